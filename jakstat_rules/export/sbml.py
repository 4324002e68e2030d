"""SBML export of the generated network (python-libsbml post-processing of PySB's export).

Minimal version: PySB's SBML with the model id set and observables renamed to
their PySB names (``pSTAT1_total`` instead of ``__obs0``).
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

import libsbml
from pysb import Model
from pysb.export import export

from ..errors import JakstatInputError
from ..network import generate_network


def to_sbml(model: Model) -> str:
    """The model as an SBML Level 3 Version 2 string."""
    generate_network(model)
    doc = libsbml.readSBMLFromString(export(model, "sbml"))
    if doc.getNumErrors(libsbml.LIBSBML_SEV_ERROR):
        raise JakstatInputError(f"PySB's SBML export of {model.name!r} does not parse: "
                                f"{doc.getError(0).getMessage()}")
    sm = doc.getModel()
    sm.setId(model.name)
    sm.setName(model.name)
    for i, obs in enumerate(model.observables):
        p = sm.getParameter(f"__obs{i}")
        if p is not None:
            _rename(doc, f"__obs{i}", obs.name)
    return libsbml.writeSBMLToString(doc)


def _rename(doc: libsbml.SBMLDocument, old: str, new: str) -> None:
    sm = doc.getModel()
    el = sm.getElementBySId(old)
    el.setId(new)
    sm.renameSIdRefs(old, new)
    for rule in sm.getListOfRules():
        if rule.getVariable() == old:
            rule.setVariable(new)
    for ia in sm.getListOfInitialAssignments():
        if ia.getSymbol() == old:
            ia.setSymbol(new)


def write_sbml(model: Model, path: str | Path) -> Path:
    """Write the SBML atomically (temporary file, then rename)."""
    text = to_sbml(model)
    return atomic_write(path, text)


def atomic_write(path: str | Path, text: str) -> Path:
    """Write ``text`` to ``path`` through a temporary file in the same folder."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path
