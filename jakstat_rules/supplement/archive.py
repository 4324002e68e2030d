"""The COMBINE archive (OMEX) of the supplement, written and read back with python-libcombine.

:func:`write_archive` adds every file of the unpacked folder with its
format (SBML, SED-ML, PEtab YAML/TSV, CSV, PNG, SVG, HTML, ...) and the
``metadata.rdf`` to a ``libcombine.CombineArchive`` (which writes
``manifest.xml``), and copies the manifest into the folder so the folder is
the archive unpacked.  :func:`archive_problems` reads an archive back and
lists what is wrong with it (an entry missing, a file not in the manifest,
a SED-ML file with errors).
"""
from __future__ import annotations

import os
import posixpath
import zipfile
from pathlib import Path
from typing import Mapping

__all__ = ["write_archive", "archive_problems", "FORMATS", "format_of"]

SPEC = "http://identifiers.org/combine.specifications/"
#: Format URIs by file suffix (COMBINE specifications or media types).
FORMATS = {
    ".sedml": SPEC + "sed-ml",  # the forms libcombine's KnownFormats (and tellurium) recognise
    ".rdf": SPEC + "omex-metadata",
    ".csv": "http://purl.org/NET/mediatypes/text/csv",
    ".tsv": "http://purl.org/NET/mediatypes/text/tab-separated-values",
    ".png": "http://purl.org/NET/mediatypes/image/png",
    ".svg": "http://purl.org/NET/mediatypes/image/svg+xml",
    ".html": "http://purl.org/NET/mediatypes/text/html",
    ".json": "http://purl.org/NET/mediatypes/application/json",
    ".yaml": "http://purl.org/NET/mediatypes/application/x-yaml",
    ".md": "http://purl.org/NET/mediatypes/text/markdown",
    "": "http://purl.org/NET/mediatypes/text/plain",
}
SBML = SPEC + "sbml"
OMEX = SPEC + "omex"


def format_of(path: str) -> str:
    """The format URI of an archive path."""
    if path.endswith(".xml"):
        return SBML
    if path.startswith("petab/") and path.endswith(".yaml"):
        return "http://identifiers.org/combine.specifications/petab"
    return FORMATS.get(posixpath.splitext(path)[1], FORMATS[""])


def write_archive(root: Path, path: Path, files: Mapping[str, str]) -> Path:
    """Write the folder ``root`` as the COMBINE archive ``path``; return ``path``.

    ``files`` maps archive paths to descriptions; every file below ``root``
    must be listed (and is then added), besides ``metadata.rdf``.
    """
    import libcombine

    on_disk = sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())
    unlisted = [p for p in on_disk if p not in files and p not in ("metadata.rdf", "manifest.xml")]
    if unlisted:  # pragma: no cover - construction error
        raise RuntimeError(f"files without a description: {unlisted[:5]}")
    archive = libcombine.CombineArchive()
    for rel in on_disk:
        if rel in ("manifest.xml",):
            continue
        fmt = format_of(rel)
        if rel == "metadata.rdf":
            fmt = FORMATS[".rdf"]
        if not archive.addFile(str(root / rel), rel, fmt, False):
            raise RuntimeError(f"libcombine could not add {rel}")
    this = archive.getManifest().createContent()  # the archive itself, as the OMEX spec lists it
    if this.setLocation(".") != 0 or this.setFormat(OMEX) != 0:  # pragma: no cover
        raise RuntimeError("libcombine could not list the archive in its manifest")
    tmp = path.with_name(f".{path.name}.tmp")
    if not archive.writeToFile(str(tmp)):
        raise RuntimeError(f"libcombine could not write {path}")
    archive.cleanUp()
    os.replace(tmp, path)
    with zipfile.ZipFile(path) as z:
        (root / "manifest.xml").write_bytes(z.read("manifest.xml"))
    return path


def archive_problems(path: str | os.PathLike) -> list[str]:
    """What is wrong with a COMBINE archive, read back with libcombine (empty: nothing).

    Checks that it opens, that every manifest entry (but the archive itself)
    is in the zip and every zip member in the manifest, that every SBML
    entry reads without libSBML errors of severity error, every SED-ML entry
    without libSEDML errors, and that the metadata names the archive's creation date
    (creators are optional: only those given with ``--author``).
    """
    import libcombine
    import libsedml

    problems: list[str] = []
    archive = libcombine.CombineArchive()
    if not archive.initializeFromArchive(str(path)):
        return [f"libcombine cannot open {path}"]
    try:
        with zipfile.ZipFile(path) as z:
            members = {n for n in z.namelist() if not n.endswith("/")}
        listed = set()
        for i in range(archive.getNumEntries()):
            entry = archive.getEntry(i)
            loc = entry.getLocation().removeprefix("./")
            if loc in (".", ""):
                continue
            listed.add(loc)
            if loc not in members:
                problems.append(f"manifest entry {loc} is not in the archive")
            if entry.getFormat() == FORMATS[".sedml"]:
                doc = libsedml.readSedMLFromString(archive.extractEntryToString(loc))
                errors = [doc.getError(k).getMessage() for k in range(doc.getNumErrors())
                          if doc.getError(k).getSeverity() >= libsedml.LIBSEDML_SEV_ERROR]
                if errors:
                    problems.append(f"{loc}: {len(errors)} SED-ML error(s), first: {errors[0]}")
        for name in sorted(members - listed - {"manifest.xml", "metadata.rdf"}):  # metadata: below
            problems.append(f"{name} is in the archive but not in its manifest")
        meta = archive.getMetadataForLocation(".")
        if meta.isEmpty() or not meta.getCreated().getDateAsString():
            problems.append("metadata.rdf names no creation date for the archive")
    finally:
        archive.cleanUp()
    return problems
