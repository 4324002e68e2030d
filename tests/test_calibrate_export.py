"""Tests of jakstat_rules.calibrate.export: the fitted model as SBML (read
back with libSBML) and as a COPASI file (loaded and run by COPASI).
"""

from __future__ import annotations

import shutil

import pytest

from jakstat_rules.calibrate.multistart import calibrate


def test_export_sbml_and_copasi(exact_problem, tmp_path, monkeypatch):
    import libsbml

    from jakstat_rules.export.copasi import copasi
    COPASI = copasi()       # the package's entry point: the process keeps its text encoding

    out = tmp_path / "fit"
    summary = calibrate(exact_problem, out, n_starts=2, seed=0, progress=False,
                        plots=False, export_sbml=True)
    doc = libsbml.readSBMLFromFile(str(out / "fitted_model.xml"))
    model = doc.getModel()
    for pid in ("k1", "k2"):
        assert model.getParameter(pid).getValue() == pytest.approx(
            summary["best_parameters"][pid], rel=1e-12)
    # the folder moved elsewhere and COPASI run from a third folder: the experiment data
    # files are found relative to the .cps, neither to the cwd nor to where it was written
    moved = tmp_path / "elsewhere" / "fit_moved"
    moved.parent.mkdir()
    shutil.move(str(out), str(moved))
    out = moved
    (tmp_path / "cwd").mkdir()
    monkeypatch.chdir(tmp_path / "cwd")
    dm = COPASI.CRootContainer.addDatamodel()
    try:
        assert dm.loadModel(str(out / "fitted_model.cps"))
        task = dm.getTask("Parameter Estimation")
        problem = task.getProblem()
        assert problem.getExperimentSet().getExperimentCount() == 2  # conditions
        names = {problem.getOptItemList()[i].getObjectDisplayName()
                 for i in range(problem.getOptItemSize())}
        assert names == {"Values[k1].InitialValue", "Values[k2].InitialValue",
                         "Values[scale].InitialValue"}
        assert task.process(True)
        # started at the optimum of noise-free data, COPASI's weighted SSQ stays ~0
        assert problem.getSolutionValue() < 1e-6
    finally:
        COPASI.CRootContainer.removeDatamodel(dm)
    assert [p.name for p in out.rglob(".*")] == []
