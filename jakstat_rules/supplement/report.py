"""The supplement's human-readable model report (HTML) and its ``metadata.rdf``.

:func:`model_report_html` is generated from the model itself: the SBML the
archive ships (species with their database links, reactions with their rate
laws, parameters with value and unit) and the rule-based model's registry of
sources (:data:`jakstat_rules.model.parameters.CITATIONS`, each parameter's
provenance), plus the fitted values and the checks the build ran.  The HTML
is built as an element tree (:mod:`xml.etree.ElementTree`), so every text is
escaped.

:func:`metadata_rdf` describes the archive in the OMEX metadata vocabulary
(Dublin Core terms, BioModels qualifiers): title, description, the
creators given with ``--author`` (with their ORCID iDs), the build time as
creation date, licence, the papers the model follows, the data's citation,
taxon and cell type (from the problem's ``study.json``), and for each model
file its own creation and modification dates
(:mod:`jakstat_rules.export.revision`).  The creators and dates are written
by libcombine's ``OmexDescription``; the other statements are added to
that RDF/XML tree.
"""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import Mapping, Sequence

from ..formulas import formula_ids, math_text, parse_formula

__all__ = ["model_report_html", "metadata_rdf", "doi_of", "LICENSE_URI", "Author", "parse_author",
           "orcid_check_digit", "build_time"]

#: Licence of the archive's own content (the project's MIT licence; the data keep theirs).
LICENSE_URI = "https://spdx.org/licenses/MIT"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
DCTERMS = "http://purl.org/dc/terms/"
DC = "http://purl.org/dc/elements/1.1/"
BQMODEL = "http://biomodels.net/model-qualifiers/"
BQBIOL = "http://biomodels.net/biology-qualifiers/"
_DOI = re.compile(r"doi:(\S+?)[.;,]?(?:\s|$)")


def doi_of(citation: str) -> str | None:
    """The DOI in a citation text (``doi:10....``), or None."""
    m = _DOI.search(citation + " ")
    return m.group(1) if m else None


def _link(parent: ET.Element, uri: str, text: str | None = None) -> ET.Element:
    a = ET.SubElement(parent, "a", href=uri)
    a.text = text or uri
    return a


def _table(parent: ET.Element, header: Sequence[str]) -> ET.Element:
    table = ET.SubElement(parent, "table")
    row = ET.SubElement(table, "tr")
    for h in header:
        ET.SubElement(row, "th").text = h
    return table


def _row(table: ET.Element, cells: Sequence) -> ET.Element:
    row = ET.SubElement(table, "tr")
    for cell in cells:
        td = ET.SubElement(row, "td")
        if callable(cell):
            cell(td)
        else:
            td.text = "" if cell is None else str(cell)
    return row


def _uris(element) -> list[str]:
    out = []
    for i in range(element.getNumCVTerms()):
        term = element.getCVTerm(i)
        out += [term.getResourceURI(k) for k in range(term.getNumResources())]
    return out


def _unit_name(model, unit_id: str) -> str:
    """A unit in the model's one notation: the name of its unit definition (``1/min``,
    ``1/(molecule*s)``, ``nM``), or the SBML base unit (``dimensionless``)."""
    definition = model.getUnitDefinition(unit_id) if unit_id else None
    if definition is not None and definition.getName():
        return definition.getName()
    return unit_id


def _source(pid: str, provenance, formula: str | None) -> str:
    """Where a parameter's value comes from: its documented source, an input, or the
    parameters its formula is derived from."""
    from ..interface import INPUTS

    if provenance is not None and provenance.source:
        return provenance.source
    if pid in INPUTS:
        return "input (0 unless a condition sets it)"
    if formula:
        used = sorted(formula_ids(parse_formula(formula)))
        return "derived from " + ", ".join(used) if used else "a constant formula"
    return "derived in the model export (no formula)"


def _heading(body: ET.Element, level: int, text: str) -> None:
    ET.SubElement(body, f"h{level}").text = text


def model_report_html(sbml: str, fitted: Mapping[str, float], checks: Sequence[dict],
                      fit_summary: Mapping | None, validation: Mapping | None,
                      files: Sequence[tuple[str, str]], data: str = "") -> str:
    """The model report as an HTML page.

    Parameters
    ----------
    sbml
        The default model's SBML (as shipped in the archive).
    fitted
        Fitted model parameter values.
    checks
        Rows ``{"check", "result", "passed"}`` of the checks the build ran.
    fit_summary, validation
        ``summary.json`` and ``validation.json`` of the fit (or None).
    files
        ``(archive path, what it is)`` of the archive's files.
    data
        What the fit's data are (problem, organism, cell type), one sentence.
    """
    import libsbml

    from ..interface import INPUTS, READOUTS
    from ..model import build_model
    from ..model.parameters import CITATIONS

    doc = libsbml.readSBMLFromString(sbml)
    model = doc.getModel()
    provenance = build_model("default").jakstat_provenance
    html = ET.Element("html", lang="en")
    head = ET.SubElement(html, "head")
    ET.SubElement(head, "meta", charset="utf-8")
    ET.SubElement(head, "title").text = f"Model report: {model.getName()}"
    ET.SubElement(head, "style").text = (
        "body{font-family:sans-serif;margin:2em;max-width:90em}table{border-collapse:collapse;"
        "font-size:90%}td,th{border:1px solid #bbb;padding:2px 6px;vertical-align:top;"
        "text-align:left}code{font-size:90%}.ok{color:#070}.fail{color:#a00}")
    body = ET.SubElement(html, "body")
    _heading(body, 1, f"{model.getName()} ({model.getId()})")
    ET.SubElement(body, "p").text = (
        f"Generated by 'jakstat supplement' from the model itself: {model.getNumSpecies()} "
        f"species, {model.getNumReactions()} reactions, {model.getNumParameters()} parameters "
        f"(time in minutes, amounts in molecules per cell). Its annotations name human "
        f"proteins and genes (taxon NCBI 9606). {data}".strip())

    _heading(body, 2, "Checks that passed")
    table = _table(body, ["check", "result", "passed"])
    for c in checks:
        row = _row(table, [c["check"], c["result"], "yes" if c["passed"] else "NO"])
        row[-1].set("class", "ok" if c["passed"] else "fail")
    if fit_summary:
        from ..calibrate.racing import abandoned_note

        _heading(body, 2, "Fit quality")
        p = ET.SubElement(body, "p")
        p.text = (f"Best negative log-likelihood (training) {float(fit_summary['best_fval']):.2f}; "
                  f"{fit_summary.get('n_converged')} of {fit_summary.get('n_finished')} starts "
                  f"within {fit_summary.get('convergence_tolerance')} of the best"
                  + abandoned_note(fit_summary) + ".")
        if validation:
            p.text += (f" Prediction of the validation experiment: R\u00b2 = "
                       f"{float(validation['r2']):.3f}, NRMSE = {float(validation['nrmse']):.3f}.")

    _heading(body, 2, "Inputs and readouts")
    table = _table(body, ["id", "unit or meaning"])
    for k, v in INPUTS.items():
        _row(table, [k, f"input ({v})"])
    for k, v in READOUTS.items():
        _row(table, [k, v])

    _heading(body, 2, "Species")
    table = _table(body, ["id", "name", "initial amount", "database links"])
    for s in model.getListOfSpecies():
        ia = model.getInitialAssignment(s.getId())
        initial = (f"= {math_text(ia.getMath())}" if ia is not None
                   else f"{s.getInitialAmount():g}")
        uris = _uris(s)
        _row(table, [s.getId(), s.getName(), initial,
                     lambda td, uris=uris: [(_link(td, u), ET.SubElement(td, "br"))
                                            for u in uris]])

    _heading(body, 2, "Reactions")
    table = _table(body, ["id", "name", "reaction", "rate law"])
    for r in model.getListOfReactions():
        def side(refs):
            return " + ".join((f"{ref.getStoichiometry():g} " if ref.getStoichiometry() != 1
                               else "") + ref.getSpecies() for ref in refs) or "\u2205"
        arrow = " <-> " if r.getReversible() else " -> "
        law = r.getKineticLaw()
        rate = math_text(law.getMath()) if law is not None else ""
        _row(table, [r.getId(), r.getName(), side(r.getListOfReactants()) + arrow
                     + side(r.getListOfProducts()),
                     lambda td, rate=rate: ET.SubElement(td, "code").__setattr__("text", rate)])

    _heading(body, 2, "Parameters")
    rules = {rule.getVariable(): math_text(rule.getMath()) for rule in model.getListOfRules()}
    assigned = {ia.getSymbol(): math_text(ia.getMath())
                for ia in model.getListOfInitialAssignments()}
    table = _table(body, ["id", "value", "fitted value", "unit", "source"])
    for prm in model.getListOfParameters():
        pid = prm.getId()
        prov = provenance.get(pid)
        formula = rules.get(pid) or assigned.get(pid)
        value = f"= {formula}" if formula else f"{prm.getValue():g}"
        fit = f"{fitted[pid]:.6g}" if pid in fitted else ""
        _row(table, [pid, value, fit, _unit_name(model, prm.getUnits()),
                     _source(pid, prov, formula)])

    _heading(body, 2, "Sources")
    ul = ET.SubElement(body, "ul")
    for key, text in CITATIONS.items():
        li = ET.SubElement(ul, "li")
        ET.SubElement(li, "b").text = key
        doi = doi_of(text)
        li[-1].tail = f": {text} "
        if doi:
            _link(li, f"https://doi.org/{doi}", "link")

    _heading(body, 2, "Files of the archive")
    table = _table(body, ["file", "content"])
    for path, what in files:
        _row(table, [lambda td, path=path: _link(td, f"../{path}", path), what])
    ET.indent(html)
    return "<!DOCTYPE html>\n" + ET.tostring(html, encoding="unicode", method="html") + "\n"


@dataclass(frozen=True)
class Author:
    """A creator of the archive: a name and, optionally, an ORCID iD (``0000-0002-1825-0097``)."""

    name: str
    orcid: str | None = None

    @property
    def uri(self) -> str | None:
        """identifiers.org URI of the ORCID iD (None without one)."""
        return f"https://identifiers.org/orcid:{self.orcid}" if self.orcid else None


_ORCID = re.compile(r"^(?:https?://orcid\.org/|orcid:)?(\d{4}-\d{4}-\d{4}-\d{3}[\dX])$",
                    re.IGNORECASE)


def orcid_check_digit(digits: str) -> str:
    """The check character of the first 15 digits of an ORCID iD (ISO 7064 MOD 11-2)."""
    total = 0
    for d in digits:
        total = (total + int(d)) * 2
    result = (12 - total % 11) % 11
    return "X" if result == 10 else str(result)


def parse_author(text: str) -> Author:
    """An :class:`Author` from ``"Name <ORCID>"`` or ``"Name"`` (``--author``).

    The ORCID iD may be written bare (``0000-0002-1825-0097``) or as
    ``https://orcid.org/...``; its check digit is verified.

    Raises
    ------
    JakstatInputError
        No name, or an ORCID iD of the wrong form or with a wrong check digit.

    Examples
    --------
    >>> parse_author("Josiah Carberry <0000-0002-1825-0097>")
    Author(name='Josiah Carberry', orcid='0000-0002-1825-0097')
    """
    from ..errors import JakstatInputError

    m = re.fullmatch(r"\s*([^<>]*?)\s*(?:<\s*([^<>]*?)\s*>)?\s*", str(text))
    if m is None or not m.group(1):
        raise JakstatInputError(f"--author {text!r}: expected 'Given Family <ORCID>' (the ORCID "
                                f"iD optional), e.g. 'Josiah Carberry <0000-0002-1825-0097>'")
    name, orcid = m.group(1), m.group(2)
    if orcid is None:
        return Author(name)
    o = _ORCID.match(orcid)
    if o is None:
        raise JakstatInputError(f"--author {text!r}: ORCID iD {orcid!r} is not of the form "
                                f"0000-0000-0000-000X (four groups of four digits, the last "
                                f"character a digit or X)")
    orcid = o.group(1).upper()
    digits = orcid.replace("-", "")
    if orcid_check_digit(digits[:15]) != digits[15]:
        raise JakstatInputError(f"--author {text!r}: ORCID iD {orcid} has a wrong check digit "
                                f"(ISO 7064 MOD 11-2 gives {orcid_check_digit(digits[:15])}): "
                                f"expected an ORCID iD as orcid.org shows it")
    return Author(name, orcid)


def _description(about: str, created: str, modified: str | None = None,
                 authors: Sequence[Author] = (), description: str | None = None) -> ET.Element:
    """An ``rdf:Description`` written by libcombine's ``OmexDescription`` (dates, creators)."""
    import libcombine

    desc = libcombine.OmexDescription()
    desc.setAbout(about)
    if description:
        desc.setDescription(description)
    for author in authors:
        vcard = libcombine.VCard()
        given, _, family = author.name.rpartition(" ")
        if given:
            vcard.setGivenName(given)
        vcard.setFamilyName(family)
        desc.addCreator(vcard)
    desc.setCreated(libcombine.Date(created))
    if modified is not None:
        desc.addModification(libcombine.Date(modified))
    element = ET.fromstring(desc.toXML()).find(f"{{{RDF}}}Description")
    if element is None:  # pragma: no cover - libcombine always writes one
        raise RuntimeError("libcombine wrote no rdf:Description")
    for empty in [e for e in element if e.tag == f"{{{DCTERMS}}}description" and not e.text]:
        element.remove(empty)  # libcombine writes one even when none is set
    return element


def build_time() -> str:
    """Now, UTC, as a W3CDTF date (libcombine's clock)."""
    import libcombine

    return libcombine.OmexDescription.getCurrentDateAndTime().getDateAsString()


def metadata_rdf(title: str, description: str, created: str, authors: Sequence[Author],
                 papers: Sequence[str], data_dois: Sequence[str], taxon: int | None,
                 models: Mapping[str, tuple[str, str]]) -> str:
    """RDF/XML of the archive's metadata (the ``metadata.rdf`` of the OMEX).

    Parameters
    ----------
    title, description
        Of the archive (the description names the data's organism and cell type).
    created
        W3CDTF date of the archive: when it was built.
    authors
        Creators of the archive (``dcterms:creator`` vCards; ``dc:creator``
        the identifiers.org URI of each ORCID iD).  None: no creator statement.
    papers
        DOIs of the papers the model follows (``bqmodel:isDescribedBy``).
    data_dois
        DOIs of the data's publication (``dcterms:source``).
    taxon
        NCBI taxon id of the data (``bqbiol:hasTaxon``); None: not stated.
    models
        Archive path of each model file -> its own (created, modified) dates.
    """
    for prefix, uri in (("rdf", RDF), ("dcterms", DCTERMS), ("dc", DC), ("bqmodel", BQMODEL),
                        ("bqbiol", BQBIOL), ("vCard", "http://www.w3.org/2006/vcard/ns#")):
        ET.register_namespace(prefix, uri)
    root = ET.Element(f"{{{RDF}}}RDF")
    about = _description(".", created, authors=authors, description=description)
    root.append(about)
    ET.SubElement(about, f"{{{DCTERMS}}}title").text = title
    # BioSimulations reads the title from Dublin Core elements (dc:title)
    ET.SubElement(about, f"{{{DC}}}title").text = title
    for author in authors:
        if author.uri:
            ET.SubElement(about, f"{{{DC}}}creator", {f"{{{RDF}}}resource": author.uri})
    ET.SubElement(about, f"{{{DCTERMS}}}license", {f"{{{RDF}}}resource": LICENSE_URI})
    for doi in papers:
        ET.SubElement(about, f"{{{BQMODEL}}}isDescribedBy",
                      {f"{{{RDF}}}resource": f"https://identifiers.org/doi:{doi}"})
    for doi in data_dois:
        ET.SubElement(about, f"{{{DCTERMS}}}source",
                      {f"{{{RDF}}}resource": f"https://identifiers.org/doi:{doi}"})
    if taxon is not None:
        ET.SubElement(about, f"{{{BQBIOL}}}hasTaxon",
                      {f"{{{RDF}}}resource": f"https://identifiers.org/taxonomy:{int(taxon)}"})
    for path, (model_created, model_modified) in models.items():
        root.append(_description(f"./{path}", model_created, model_modified))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
