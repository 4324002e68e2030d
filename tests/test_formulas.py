"""The formula evaluator and the depth measure of SBML formulas (jakstat_rules.formulas)."""
from __future__ import annotations

import pytest

from jakstat_rules.errors import JakstatInputError
from jakstat_rules.formulas import MAX_MATH_DEPTH, evaluate_formula, math_depth, parse_formula

MATHML = "http://www.w3.org/1998/Math/MathML"


def _sbml(*maths: tuple[str, str]) -> str:
    """An SBML skeleton with one initial assignment per (symbol, MathML body)."""
    assignments = "".join(f'<initialAssignment symbol="{sym}"><math xmlns="{MATHML}">{body}'
                          f'</math></initialAssignment>' for sym, body in maths)
    return ('<?xml version="1.0" encoding="UTF-8"?><sbml xmlns="http://www.sbml.org/sbml/'
            'level3/version2/core" level="3" version="2"><model id="m">'
            f'<listOfInitialAssignments>{assignments}</listOfInitialAssignments></model></sbml>')


def test_long_sums_and_deep_nesting_are_evaluated_without_recursion():
    values = {f"a{i}": float(i) for i in range(MAX_MATH_DEPTH + 1)}
    total = " + ".join(values)
    assert evaluate_formula(parse_formula(total), values.__getitem__) == sum(values.values())
    assert evaluate_formula(parse_formula("-" * 1999 + "a3"), values.__getitem__) == -3.0
    assert evaluate_formula(parse_formula("2^3 * exp(0) - root(2, 16) + max(1, a2, 0)"),
                            values.__getitem__) == pytest.approx(8 - 4 + 2)
    assert evaluate_formula(parse_formula("log(100) + ln(exponentiale)"), values.get) == 3.0


def test_relations_logic_and_time_as_event_triggers_use_them():
    values = {"S": 14.0, "a": 1.0, "b": 0.0}
    for text, expected in (("S >= 14", 1.0), ("(S > 14) || !(a == 1)", 0.0),
                           ("(S >= 14) && (time < 3)", 1.0), ("xor(a, b, 1)", 0.0),
                           ("a != b", 1.0), ("0 < b < a", 0.0), ("piecewise(2, S < 1, 3)", 3.0)):
        assert evaluate_formula(parse_formula(text), values.__getitem__, time=2.0) == expected, text
    assert evaluate_formula(parse_formula("time >= 10"), values.get, time=10.0) == 1.0


@pytest.mark.parametrize("text, needles", [
    (" + ".join(f"a{i}" for i in range(4 * MAX_MATH_DEPTH)), ["nested too deep",
                                                              f"up to {MAX_MATH_DEPTH + 1} terms"]),
    ("(" * 300 + "a" + ")" * 300, ["more than 200 parentheses"]),
    ("f(a) < b", ["uses 'f(a)'", "cannot evaluate"]),
])
def test_formulas_beyond_the_evaluator_are_one_message(text, needles):
    with pytest.raises(JakstatInputError) as info:
        evaluate_formula(parse_formula(text), lambda name: 1.0)
    message = str(info.value)
    assert all(n in message for n in needles), message
    assert len(message) < 400                     # the formula is shortened, not repeated


def test_math_depth_counts_what_libroadrunner_nests():
    """An n-ary operation counts n - 1 levels on top of its deepest argument; the
    deepest formula is named by its element."""
    nary = "<apply><plus/>" + "<ci>x</ci>" * 40 + "</apply>"
    nested = "<ci>x</ci>"
    for _ in range(60):
        nested = f"<apply><times/><cn>2</cn>{nested}</apply>"
    piecewise = ("<piecewise>" + "<piece><cn>1</cn><apply><lt/><ci>t</ci><cn>1</cn></apply></piece>"
                 * 5 + "<otherwise><cn>0</cn></otherwise></piecewise>")
    assert math_depth(_sbml(("a", nary))) == (39, "initialAssignment 'a'")
    assert math_depth(_sbml(("a", nary), ("b", nested))) == (60, "initialAssignment 'b'")
    # six branches: 5 levels, each piece 1 (and its condition 1 more)
    assert math_depth(_sbml(("p", piecewise))) == (5 + 1 + 1, "initialAssignment 'p'")
    assert math_depth(_sbml(("c", "<cn>3</cn>"))) == (0, "")
    with pytest.raises(JakstatInputError, match="not well-formed XML"):
        math_depth("<sbml><model>")


def test_math_depth_of_a_formula_deeper_than_python_recursion():
    depth = 20 * 1000
    body = "<ci>x</ci>"
    for _ in range(depth):
        body = f"<apply><minus/>{body}</apply>"
    assert math_depth(_sbml(("deep", body))) == (depth, "initialAssignment 'deep'")
