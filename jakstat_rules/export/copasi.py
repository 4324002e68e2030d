"""COPASI: load the exported SBML, run time courses, write a ready-to-run ``.cps`` file.

Uses COPASI's own Python bindings (``python-copasi``, ``import COPASI``).

* :func:`load_sbml` / :func:`load_cps` return a :class:`CopasiModel` with the
  messages COPASI logged while reading the file;
* :meth:`CopasiModel.time_course` sets the inputs (all other inputs 0) and
  returns the readouts as a table;
* :func:`cps_text` writes the COPASI file of ``sbml/jakstat_ifn.cps``: the
  SBML model plus one parameter set per standard condition of the default
  model (:func:`cps_conditions`, read from
  :data:`jakstat_rules.conditions.CONDITIONS`), a 0-240 min deterministic
  time-course task with tight tolerances, a readout report and a plot.

Parameter sets and time spans
    A COPASI file has one time-course task, and a parameter set holds model
    values only, not a duration.  The file therefore stores *every*
    default-variant condition of the conditions table as a parameter set,
    and one task of :data:`CPS_DURATION` = 240 min, the span of all of them
    but ``radiation_10Gy`` (followed for 48 h, ``t_end`` 2880 min).  Each
    parameter set carries the condition's description and time span as its
    COPASI comment; for a condition whose span differs from the task (the
    radiation one) the comment says to set the task's duration to it.
    Conditions of other variants (``socs1_loss``, ``jak2_v617f``) belong to
    the variants' own SBML files and are not in this file.
"""
from __future__ import annotations

import html
import os
import re
from dataclasses import dataclass, field
from typing import Iterable, Mapping

import pandas as pd

from ..conditions import CONDITIONS, Condition
from .errors import SBMLExportError
from .revision import MODIFIED

#: Readouts in the report and plot of the .cps file.
CPS_READOUTS = ("pSTAT1_total", "pSTAT1_nuc", "GAF_nuc", "ISGF3_nuc", "SOCS1_mRNA", "ISG_mRNA")

#: Duration (min) and number of output intervals of the .cps time-course task.
CPS_DURATION, CPS_STEPS = 240.0, 240

#: COPASI message numbers that are about COPASI's local list of annotation
#: databases ("The MIRIAM resource ... is unknown to COPASI"), not about the model.
MIRIAM_LIST_MESSAGES = (9304,)

#: The annotation databases the model uses, as COPASI's MIRIAM resource list
#: describes them (display name, URN, identifier pattern, namespace embedded
#: in the identifier, deprecated URIs).  The COPASI GUI ships the full list;
#: the pip bindings (``python-copasi``) start with an empty one, and then
#: write every SBO term as ``urn:miriam:unknown:SBO:...`` into a ``.cps``
#: and drop the SBO terms on SBML export.  :func:`ensure_miriam_resources`
#: fills an empty list with these entries (same URNs as the GUI's list).
MIRIAM_RESOURCES: tuple[tuple[str, str, str, bool, tuple[str, ...]], ...] = (
    ("Systems Biology Ontology", "urn:miriam:sbo", r"^SBO:\d{7}$", True,
     ("urn:miriam:biomodels.sbo", "urn:miriam:obo.sbo", "http://biomodels.net/SBO/")),
    ("UniProt Knowledgebase", "urn:miriam:uniprot",
     r"^([A-N,R-Z][0-9]([A-Z][A-Z, 0-9][A-Z, 0-9][0-9]){1,2})|"
     r"([O,P,Q][0-9][A-Z, 0-9][A-Z, 0-9][A-Z, 0-9][0-9])(\.\d+)?$", False, ()),
    ("ChEBI", "urn:miriam:chebi", r"^CHEBI:\d+$", True, ("urn:miriam:obo.chebi",)),
    ("Gene Ontology", "urn:miriam:go", r"^GO:\d{7}$", True, ("urn:miriam:obo.go",)),
    ("NCBI Gene", "urn:miriam:ncbigene", r"^\d+$", False, ()),
    ("miRBase mature sequence", "urn:miriam:mirbase.mature", r"^MIMAT\d{7}$", False, ()),
    ("NCIt", "urn:miriam:ncit", r"^C\d+$", False, ()),
    ("Taxonomy", "urn:miriam:taxonomy", r"^\d+$", False, ()),
    ("DOI", "urn:miriam:doi", r"^(doi\:)?\d{2}\.\d{4}.*$", False, ()),
    ("PubMed", "urn:miriam:pubmed", r"^\d+$", False, ()),
)


def copasi():
    """COPASI's Python bindings (``import COPASI``), with the process's text encoding kept.

    Importing COPASI sets the C locale for every category (``LC_ALL=C``), which turns
    Python's default text encoding (``open()`` without ``encoding``) into ASCII for the
    rest of the process; the character-type category is set back to what it was, the
    others (numbers among them) stay as COPASI set them.
    """
    import locale

    ctype = locale.setlocale(locale.LC_CTYPE)
    import COPASI

    if locale.setlocale(locale.LC_CTYPE) != ctype:
        locale.setlocale(locale.LC_CTYPE, ctype)
    return COPASI


def ensure_miriam_resources() -> int:
    """Give COPASI the annotation databases of :data:`MIRIAM_RESOURCES` if it knows none.

    COPASI maps an annotation URI to a database through this list; with an
    empty list (the pip bindings) SBO terms become ``urn:miriam:unknown``.
    A non-empty list (a COPASI configuration with the full list) is left
    alone.  Called by :func:`load_sbml` and :func:`load_cps`.

    Returns
    -------
    int
        The number of resources COPASI knows afterwards.
    """
    import tempfile
    from xml.sax.saxutils import escape, quoteattr

    C = copasi()
    resources = C.CRootContainer.getMiriamResources()
    if resources.getResourceList().size() > 0:
        return resources.getResourceList().size()
    items = []
    for name, urn, pattern, embedded, deprecated in MIRIAM_RESOURCES:
        uris = f"<uri>{escape(urn)}</uri>" + "".join(
            f'<uri deprecated="true">{escape(u)}</uri>' for u in deprecated)
        items.append(f"<datatype pattern={quoteattr(pattern)} "
                     f"namespaceEmbeddedInPattern={quoteattr(str(embedded))}>"
                     f"<name>{escape(name)}</name><uris>{uris}</uris></datatype>")
    text = '<?xml version="1.0" encoding="UTF-8"?>\n<miriam>' + "".join(items) + "</miriam>\n"
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "MIRIAMResources.xml")
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(text)
        if not resources.updateMIRIAMResourcesFromFile(None, path):
            raise SBMLExportError("COPASI did not read the list of annotation databases")
    return resources.getResourceList().size()


@dataclass
class CopasiMessage:
    """One entry of COPASI's message log."""

    severity: str  # "error", "warning", ...
    number: int
    text: str

    @property
    def about_units(self) -> bool:
        return "unit" in self.text.lower()


def _drain_messages() -> list[CopasiMessage]:
    C = copasi()
    names = {C.CCopasiMessage.ERROR: "error", C.CCopasiMessage.WARNING: "warning",
             C.CCopasiMessage.EXCEPTION: "exception", C.CCopasiMessage.ERROR_FILTERED: "error",
             C.CCopasiMessage.WARNING_FILTERED: "warning"}
    out = []
    while C.CCopasiMessage.size() > 0:
        m = C.CCopasiMessage.getFirstMessage()
        text = re.sub(r"^>[A-Z]+ [0-9T:-]+<\s*", "", m.getText().strip())
        out.append(CopasiMessage(names.get(m.getType(), "info"), m.getNumber(), text))
    return out


@dataclass
class CopasiModel:
    """A COPASI data model with the messages logged while loading it."""

    datamodel: object
    messages: list[CopasiMessage] = field(default_factory=list)

    @property
    def model(self):
        return self.datamodel.getModel()

    def model_messages(self) -> list[CopasiMessage]:
        """Messages about the model (without COPASI's MIRIAM-database-list notices)."""
        return [m for m in self.messages if m.number not in MIRIAM_LIST_MESSAGES]

    def value(self, name: str) -> float:
        """Initial value of a global quantity (parameter) by name."""
        return self._model_value(name).getInitialValue()

    def _model_value(self, name: str):
        mv = self.model.getModelValue(name)
        if mv is None:
            raise SBMLExportError(f"COPASI model has no global quantity {name!r}")
        return mv

    def set_values(self, values: Mapping[str, float]) -> None:
        """Set initial values of global quantities; dependent initial amounts follow.

        COPASI refreshes the dependent initial values once for all the changed
        quantities, not once per quantity (each refresh walks the whole model)."""
        changed = copasi().ObjectStdVector()
        for name, v in values.items():
            mv = self._model_value(name)
            mv.setInitialValue(float(v))
            changed.push_back(mv.getInitialValueReference())
        if changed.size():
            self.model.updateInitialValues(changed)

    def set_inputs(self, inputs: Mapping[str, float]) -> None:
        """Set the model inputs: those in ``inputs``, every other input to 0."""
        from ..interface import INPUTS
        unknown = sorted(set(inputs) - set(INPUTS))
        if unknown:
            raise SBMLExportError(f"unknown input(s) {unknown}: expected some of {sorted(INPUTS)}")
        self.set_values({k: float(inputs.get(k, 0.0)) for k in INPUTS})

    def apply_parameter_set(self, name: str) -> None:
        """Apply the parameter set of this exact name (as COPASI's 'Apply' button does);
        the sets of the standard conditions are named by :func:`parameter_set_name`."""
        sets = self.model.getModelParameterSets()
        for i in range(sets.size()):
            ps = sets.get(i)
            if ps.getObjectName() == name:
                ps.updateModel()
                return
        raise SBMLExportError(f"COPASI file has no parameter set {name!r}")

    def parameter_sets(self) -> list[str]:
        sets = self.model.getModelParameterSets()
        return [sets.get(i).getObjectName() for i in range(sets.size())]

    def configure_time_course(self, duration: float = CPS_DURATION, steps: int = CPS_STEPS,
                              rtol: float = 1e-10, atol: float = 1e-10):
        """Set the deterministic (LSODA) time-course task; returns the task."""
        C = copasi()
        task = self.datamodel.getTask("Time-Course")
        task.setMethodType(C.CTaskEnum.Method_deterministic)
        task.setScheduled(True)
        pr = task.getProblem()
        pr.setDuration(float(duration))
        pr.setStepNumber(int(steps))
        pr.setTimeSeriesRequested(True)
        m = task.getMethod()
        m.getParameter("Relative Tolerance").setDblValue(rtol)
        m.getParameter("Absolute Tolerance").setDblValue(atol)
        m.getParameter("Max Internal Steps").setIntValue(1000000)
        return task

    def run_time_course(self, readouts: Iterable[str] | None = None, configure: bool = True,
                        **kw) -> pd.DataFrame:
        """Run the time-course task; a table of time and the readouts (global quantities).

        ``configure=False`` runs the task as stored in the file.
        """
        task = self.configure_time_course(**kw) if configure else \
            self.datamodel.getTask("Time-Course")
        task.getProblem().setTimeSeriesRequested(True)
        report = task.getReport()
        target = report.getTarget()
        report.setTarget("")  # results are returned, not written next to the file
        try:
            ok = task.process(True)
        finally:
            report.setTarget(target)
        if not ok:
            msgs = "; ".join(m.text for m in _drain_messages() if m.severity == "error")
            raise SBMLExportError(f"COPASI time course failed: {msgs}")
        ts = task.getTimeSeries()
        titles = [ts.getTitle(i) for i in range(ts.getNumVariables())]
        from ..interface import READOUTS
        names = list(readouts) if readouts is not None else \
            [r for r in READOUTS if f"Values[{r}]" in titles]
        cols = {"time": [ts.getData(s, 0) for s in range(ts.getRecordedSteps())]}
        for r in names:
            key = f"Values[{r}]"
            if key not in titles:
                raise SBMLExportError(f"readout {r!r} is not in COPASI's time series")
            j = titles.index(key)
            cols[r] = [ts.getData(s, j) for s in range(ts.getRecordedSteps())]
        return pd.DataFrame(cols)

    def time_course(self, inputs: Mapping[str, float], readouts: Iterable[str] | None = None,
                    **kw) -> pd.DataFrame:
        """Set ``inputs`` (others 0) and run the time course (default 0-240 min)."""
        self.set_inputs(inputs)
        return self.run_time_course(readouts, **kw)


def load_sbml(sbml: str) -> CopasiModel:
    """Import an SBML string into a new COPASI data model.

    Raises
    ------
    SBMLExportError
        When COPASI cannot import the file.
    """
    C = copasi()
    ensure_miriam_resources()
    dm = C.CRootContainer.addDatamodel()
    C.CCopasiMessage.clearDeque()
    ok = dm.importSBMLFromString(sbml)
    msgs = _drain_messages()
    if not ok:
        raise SBMLExportError("COPASI cannot import the SBML: "
                              + "; ".join(m.text for m in msgs if m.severity == "error"))
    return CopasiModel(dm, msgs)


def load_cps(path: str | os.PathLike) -> CopasiModel:
    """Load a COPASI ``.cps`` file.

    Raises
    ------
    SBMLExportError
        When COPASI cannot load the file (the message names it).
    """
    C = copasi()
    ensure_miriam_resources()
    dm = C.CRootContainer.addDatamodel()
    C.CCopasiMessage.clearDeque()
    ok = dm.loadModel(str(path))
    msgs = _drain_messages()
    if not ok:
        raise SBMLExportError(f"COPASI cannot load {str(path)!r}: "
                              + "; ".join(m.text for m in msgs if m.severity == "error"))
    return CopasiModel(dm, msgs)


#: Ends the name of every parameter set of the ``.cps`` file, so that no name is a prefix
#: (or a substring) of another: basico's ``apply_parameter_set(name)`` selects every set
#: whose name contains ``name`` unless ``exact=True``.
PARAMETER_SET_SUFFIX = " (condition)"


def parameter_set_name(condition_id: str) -> str:
    """The name of a condition's parameter set in the ``.cps`` file, e.g.
    ``"ifnb_100pM (condition)"``."""
    return f"{condition_id}{PARAMETER_SET_SUFFIX}"


def cps_conditions() -> list[Condition]:
    """The conditions stored in the ``.cps`` file as parameter sets.

    Every condition of :data:`~jakstat_rules.conditions.CONDITIONS` for the
    default model, in table order (see the module docstring for the time
    spans).
    """
    return [c for c in CONDITIONS.values() if c.variant == "default"]


def _condition_comment(condition: Condition) -> str:
    """COPASI comment (XHTML) of a condition's parameter set: what it is and its time span."""
    inputs = (", ".join(f"{k} = {v:g}" for k, v in condition.inputs.items()) + " (others 0)"
              if condition.inputs else "none (every input 0)")
    span = f"Time span: 0-{condition.t_end:g} min."
    if condition.t_end != CPS_DURATION:
        span += (f" The stored time-course task runs {CPS_DURATION:g} min: set its duration "
                 f"to {condition.t_end:g} min for this condition.")
    paragraphs = (f"{condition.id}: {condition.description}.", f"Inputs: {inputs}.", span,
                  "From jakstat_rules.conditions.CONDITIONS; apply, then run the time course.")
    body = "".join(f"<p>{html.escape(p, quote=False)}</p>" for p in paragraphs)
    return f'<body xmlns="http://www.w3.org/1999/xhtml">{body}</body>'


def cps_text(sbml: str) -> str:
    """The ``.cps`` file: the SBML model ready to run in COPASI.

    Contains one parameter set per condition of :func:`cps_conditions`
    (apply one, then run the time course; its comment gives the condition's
    description and time span), the 0-240 min time-course task (LSODA,
    rtol = atol = 1e-10), a report of time and :data:`CPS_READOUTS`
    (tab-separated, to ``jakstat_ifn_timecourse.tsv`` next to the file) and
    a plot of the readouts.  The generation date is fixed for reproducibility.
    """
    C = copasi()
    cm = load_sbml(sbml)
    dm, model = cm.datamodel, cm.model
    sets = model.getModelParameterSets()
    for condition in cps_conditions():
        ps = C.CModelParameterSet(parameter_set_name(condition.id))
        sets.addAndOwn(ps)
        ps.createFromModel()
        ps.setNotes(_condition_comment(condition))
        for k, v in condition.inputs.items():
            mp = ps.getModelParameter(cm._model_value(k).getCN())
            if mp is None:
                raise SBMLExportError(f"parameter set {condition.id!r}: input {k!r} not found")
            mp.setValue(float(v), C.CCore.Framework_ParticleNumbers)
    task = cm.configure_time_course()

    time_cn = model.getValueReference().getCN().getString()
    cns = [(r, cm._model_value(r).getValueReference().getCN().getString()) for r in CPS_READOUTS]
    reports = dm.getReportDefinitionList()
    rd = reports.createReportDefinition("jakstat readouts", "time and readouts of the time course")
    rd.setTaskType(C.CTaskEnum.Task_timeCourse)
    rd.setIsTable(True)
    rd.setSeparator(C.CCopasiReportSeparator("\t"))
    table = rd.getTableAddr()
    table.push_back(C.CRegisteredCommonName(time_cn))
    for _, cn in cns:
        table.push_back(C.CRegisteredCommonName(cn))
    rep = task.getReport()
    rep.setReportDefinition(rd)
    rep.setTarget("jakstat_ifn_timecourse.tsv")
    rep.setAppend(False)

    plots = dm.getPlotDefinitionList()
    spec = plots.createPlotSpec("jakstat readouts", C.CPlotItem.plot2d)
    if spec is not None:
        for name, cn in cns:
            item = spec.createItem(name, C.CPlotItem.curve2d)
            item.addChannel(C.CPlotDataChannelSpec(C.CCommonName(time_cn)))
            item.addChannel(C.CPlotDataChannelSpec(C.CCommonName(cn)))
    text = dm.saveModelToString()
    C.CRootContainer.removeDatamodel(dm)
    # COPASI stamps the file with the time of saving: use the model's modification date
    text = re.sub(r"(<!-- generated with COPASI [^>]*? at )[0-9T:Z+-]+( -->)",
                  rf"\g<1>{MODIFIED}\g<2>", text, count=1)
    return canonical_keys(canonical_rdf(text))


_KEY_DEF = re.compile(r'\bkey="([A-Za-z]+)_(\d+)"')
#: A whole key-shaped token (not part of a longer name or a dotted path).
_KEY_TOKEN = re.compile(r"(?<![\w.])([A-Za-z]+_\d+)(?![\w])")


def canonical_keys(text: str) -> str:
    """Renumber COPASI's object keys in order of definition.

    COPASI draws keys (``Metabolite_12``, ``FunctionParameter_680``) from
    process-wide counters, so the same model saved twice in one process gets
    other numbers.  Keys are internal cross-references only: renumbering every
    defined key consistently, per prefix, in order of first definition makes
    the file reproducible without changing what it means.
    """
    mapping: dict[str, str] = {}
    counters: dict[str, int] = {}
    for m in _KEY_DEF.finditer(text):
        old = f"{m.group(1)}_{m.group(2)}"
        if old not in mapping:
            counters[m.group(1)] = counters.get(m.group(1), -1) + 1
            mapping[old] = f"{m.group(1)}_{counters[m.group(1)]}"
    if not mapping:
        return text
    return _KEY_TOKEN.sub(lambda m: mapping.get(m.group(1), m.group(1)), text)


_LI_RUN = re.compile(r"(?:^[ ]*<rdf:li rdf:resource=\"[^\"]*\"/>\n)+", re.M)
_DESC = re.compile(r"(^  <rdf:Description rdf:about=\"[^\"]*\">\n)(.*?\n)(  </rdf:Description>$)", re.M | re.S)
_ITEM = re.compile(r"^    <([\w:]+)(?:[^\n]*?/>\n|[^\n]*?>\n.*?^    </\1>\n)", re.M | re.S)
#: An rdf:Bag (its closing tag at the same indentation as the opening one).
_BAG = re.compile(r"^( *)<rdf:Bag>\n(.*?)^\1</rdf:Bag>\n", re.M | re.S)


def _sort_bag(m: re.Match) -> str:
    """Sort the members of one rdf:Bag, simple (``<rdf:li rdf:resource=.../>``) or
    compound (``<rdf:li>...</rdf:li>``, e.g. COPASI's bibliographic citations)."""
    indent, body = m.group(1), m.group(2)
    inner = re.escape(indent + "  ")
    items = [i.group(0) for i in re.finditer(
        rf"^{inner}<rdf:li[^\n]*?/>\n|^{inner}<rdf:li>\n.*?^{inner}</rdf:li>\n", body, re.M | re.S)]
    if "".join(items) != body:  # not the simple layout: leave it
        return m.group(0)
    return f"{indent}<rdf:Bag>\n" + "".join(sorted(items)) + f"{indent}</rdf:Bag>\n"


def canonical_rdf(text: str) -> str:
    """Sort COPASI's RDF annotation statements, which it writes in a run-dependent order.

    Within each annotation's top-level ``rdf:Description`` the statements,
    and within each ``rdf:Bag`` the members (resources, or compound entries such as
    COPASI's bibliographic citations), are sorted; RDF gives no
    meaning to their order, and sorting makes the ``.cps`` reproducible.
    """
    text = _LI_RUN.sub(lambda m: "".join(sorted(m.group(0).splitlines(keepends=True))), text)
    text = _BAG.sub(_sort_bag, text)

    def desc(m: re.Match) -> str:
        body = m.group(2)
        items = [i.group(0) for i in _ITEM.finditer(body)]
        if "".join(items) != body:  # not the simple layout: leave it
            return m.group(0)
        return m.group(1) + "".join(sorted(items)) + m.group(3)

    return _DESC.sub(desc, text)
