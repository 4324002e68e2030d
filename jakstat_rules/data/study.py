"""Who the data of a PEtab problem come from: organism and cell type (``study.json``).

A PEtab problem does not say which organism or cell type its measurements
were taken in, yet a publication supplement must (the archive's
``bqbiol:hasTaxon``).  ``jakstat data petab`` and ``jakstat data import
--organism ... --cell-type ...`` therefore write a small file next to each
``problem.yaml``::

    {"organism": "Mus musculus", "ncbi_taxon": 10090, "cell_type": "B cell"}

Every key may be absent: what is not known is not written (an organism
given by a Latin name the project does not know has no ``ncbi_taxon``; give
``NCBITaxon:NNNN`` then).  :func:`read_study` returns the record of a
problem, or None when it has none.
"""
from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from jakstat_rules.errors import JakstatInputError

__all__ = ["STUDY_FILE", "ORGANISMS", "study_record", "write_study", "read_study"]

#: Name of the study file next to ``problem.yaml``.
STUDY_FILE = "study.json"

#: Organisms known by common name: name -> (Latin name, NCBI taxon id).
ORGANISMS: dict[str, tuple[str, int]] = {
    "human": ("Homo sapiens", 9606),
    "mouse": ("Mus musculus", 10090),
    "rat": ("Rattus norvegicus", 10116),
}

_LATIN = re.compile(r"^[A-Z][a-z]+ [a-z]+(?: [a-z]+)?$")
_TAXON = re.compile(r"^NCBITaxon:(\d{1,9})$", re.IGNORECASE)
_KEYS = {"organism": str, "ncbi_taxon": int, "cell_type": str}


def _organism(text: str) -> dict[str, Any]:
    value = " ".join(str(text).split())
    by_latin = {latin.lower(): (latin, taxon) for latin, taxon in ORGANISMS.values()}
    if value.lower() in ORGANISMS:
        latin, taxon = ORGANISMS[value.lower()]
        return {"organism": latin, "ncbi_taxon": taxon}
    if value.lower() in by_latin:
        latin, taxon = by_latin[value.lower()]
        return {"organism": latin, "ncbi_taxon": taxon}
    m = _TAXON.match(value)
    if m and int(m.group(1)) > 0:
        taxon = int(m.group(1))
        names = [latin for latin, t in ORGANISMS.values() if t == taxon]
        return {**({"organism": names[0]} if names else {}), "ncbi_taxon": taxon}
    if _LATIN.match(value):
        return {"organism": value}
    raise JakstatInputError(f"organism {text!r} unknown; expected one of {sorted(ORGANISMS)}, a "
                            f"Latin name ('Mus musculus') or an NCBI taxon ('NCBITaxon:10090')")


def study_record(organism: str | None = None, cell_type: str | None = None) -> dict[str, Any]:
    """The ``study.json`` record of an organism and a cell type (checked, nothing written).

    Parameters
    ----------
    organism
        ``"human"``, ``"mouse"``, ``"rat"``, a Latin name (``"Mus musculus"``)
        or an NCBI taxon (``"NCBITaxon:10090"``); None: unknown.
    cell_type
        Free text on one line (``"B cell"``); None: unknown.

    Returns
    -------
    dict
        ``organism``, ``ncbi_taxon``, ``cell_type``, the known ones only.

    Raises
    ------
    JakstatInputError
        An organism in none of these forms, an empty or multi-line cell type.

    Examples
    --------
    >>> study_record("mouse", "B cell")
    {'organism': 'Mus musculus', 'ncbi_taxon': 10090, 'cell_type': 'B cell'}
    """
    record: dict[str, Any] = {}
    if organism is not None:
        record.update(_organism(organism))
    if cell_type is not None:
        text = str(cell_type).strip()
        if not text or "\n" in text or "\r" in text:
            raise JakstatInputError(f"cell type {cell_type!r}: expected a name on one line, "
                                    f"e.g. 'B cell'")
        record["cell_type"] = text
    return record


def write_study(folder: str | os.PathLike, organism: str | None = None,
                cell_type: str | None = None) -> Path | None:
    """Write ``folder/study.json`` (see :func:`study_record`); nothing when both are None.

    Returns
    -------
    pathlib.Path or None
        The file written.
    """
    from jakstat_rules.io import write_json

    record = study_record(organism, cell_type)
    if not record:
        return None
    return write_json(Path(folder) / STUDY_FILE, record)


def read_study(problem_yaml: str | os.PathLike) -> dict[str, Any] | None:
    """The study record next to a ``problem.yaml``, or None if it has none.

    Raises
    ------
    JakstatInputError
        A damaged ``study.json`` (not an object of the documented keys and types).
    """
    from jakstat_rules.io import read_json

    path = Path(problem_yaml).parent / STUDY_FILE
    if not path.is_file():
        return None
    data = read_json(path, what="study file")
    bad = (not isinstance(data, dict)
           or any(k not in _KEYS or not isinstance(v, _KEYS[k]) or isinstance(v, bool)
                  for k, v in data.items()))
    if bad:
        raise JakstatInputError(f"study file {str(path)!r} is damaged: expected a JSON object "
                                f"with 'organism' (text), 'ncbi_taxon' (integer), 'cell_type' "
                                f"(text), as 'jakstat data import --organism' writes it")
    return dict(data)
