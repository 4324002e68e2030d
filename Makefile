# The two commands of README.md. Both create .venv from the project's own files.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
STAMP  := $(VENV)/.installed
RESULTS ?= results
# two pytest workers (pytest-xdist), each test module on one worker so that its module
# fixtures are built once: the suite's wall time on a 2-core machine drops by a third;
# modules are handed out in collection order, the longest first (tests/conftest.py)
PYTEST_ARGS ?= -n 2 --dist loadscope --no-loadscope-reorder
# the tests marked heavy (the whole supplement re-run in COPASI and tellurium, cross-checks in
# PySB's ScipyOdeSimulator beside the one `make test` runs,
# the Kirby AMICI gradient) run with `make test-all`; `make test` is what CI runs
TEST_SELECTION ?= -m "not heavy"

.PHONY: demo test test-all setup clean sbml docs-figures

setup: $(STAMP)

# AMICI (exact derivatives) cannot be resolved by pip together with PySB: `jakstat
# setup-gradients` installs it in a second step, the same command a pip user runs
$(STAMP): setup.cfg pyproject.toml jakstat_rules/calibrate/requirements-gradients.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --upgrade pip setuptools wheel
	$(VENV)/bin/python -m pip install -e '.[test]'
	$(VENV)/bin/jakstat setup-gradients
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/jakstat demo --out $(RESULTS)

test: $(STAMP)
	$(VENV)/bin/python -m pytest -q -ra $(PYTEST_ARGS) $(TEST_SELECTION)

test-all: $(STAMP)
	$(VENV)/bin/python -m pytest -q -ra $(PYTEST_ARGS)

sbml: $(STAMP)
	$(VENV)/bin/jakstat export --copasi
	$(VENV)/bin/jakstat reference

clean:
	rm -rf $(VENV) $(RESULTS) .pytest_cache
