"""SBML export of the generated network: PySB's SBML post-processed with python-libsbml.

PySB writes the reaction network BioNetGen generated (species ``__s<i>``,
reactions ``r<i>``, every expression as an assignment rule).  This module
turns it into a file a COPASI user can trust:

* **units**: a unit definition for every parameter (from the parameter
  registry's unit strings), inferred units for rate expressions,
  observables in molecules, model-level units (time ``min``, substance and
  extent ``molecule``, volume ``pL``) and ``sbml:units="dimensionless"`` on
  every number, so libSBML's unit and modelling-practice checks report
  nothing;
* **readable ids and names**: the model id is the PySB model name
  (``jakstat_ifn`` or ``jakstat_ifn_<variant>``); species ids are built from
  the PySB pattern (``STAT1_py701_nuc__STAT1_py701_nuc``), species names are
  short and readable (``STAT1(pY701):STAT1(pY701) [nucleus]``,
  :mod:`.names`) with the PySB pattern in the notes; reactions get unique
  names (rule and what it acts on) with their rules in the notes;
  observables and expressions keep their PySB names; every parameter keeps
  its PySB name as id and name and carries its unit, source and description
  as notes;
* **one reference per species**: a reactant or product that occurs twice
  (homodimerisation) is one ``speciesReference`` with ``stoichiometry="2"``,
  and every ``speciesReference`` states its stoichiometry, so COPASI and
  other tools read the same equation;
* **annotations**: identifiers.org URIs in the compact form
  (``https://identifiers.org/uniprot:P42224``) on every species
  (``bqbiol:is`` for one molecule, ``bqbiol:hasPart`` for complexes), SBO
  terms on species, reactions and parameters, the papers the model and
  each parameter come from (DOIs), the taxon (human), the creator and the
  creation and modification dates of :mod:`.revision` (the output is
  byte-for-byte reproducible), ChEBI on the drug inputs;
* **faithful maths**: inputs stay constant parameters (doses enter the
  species' initial amounts through initial assignments), expressions are
  written with observable ids instead of expanded species sums, no ``time``
  modifiers, no volume literals in rate laws.

Constructs the exporter cannot write faithfully raise
:class:`~jakstat_rules.export.errors.SBMLExportError` naming the component.
"""
from __future__ import annotations

import re
from pathlib import Path

import libsbml
import sympy
from pysb import Expression, Model, Observable
from pysb.export import export

from ..interface import READOUTS
from ..io import atomic_write
from ..model.parameters import CITATIONS
from ..model.monomers import identifiers_org
from ..network import generate_network
from . import units as U
from .annotation import DOI, add_cv, model_annotation, set_notes
from .errors import SBMLExportError
from .names import PATTERN_NOTE, RULES_NOTE, reaction_names, species_names
from .sbml_units import UnitRegistry, compartment_and_model_units, component_units
from .revision import CREATED, MODIFIED

#: Creation date written into every file (see :mod:`.revision`; kept under this name for callers).
CREATION_DATE = CREATED
#: Modification date written into every file (see :mod:`.revision`).
MODIFIED_DATE = MODIFIED

#: ChEBI terms of the drug inputs and UniProt terms of the ligand inputs.
INPUT_TERMS: dict[str, str] = {
    "ruxolitinib_nM": identifiers_org("CHEBI", "66919"),
    "tofacitinib_nM": identifiers_org("CHEBI", "71200"),
    "IFNa_pM": identifiers_org("uniprot", "P01563"),
    "IFNb_pM": identifiers_org("uniprot", "P01574"),
    "IFNg_pM": identifiers_org("uniprot", "P01579"),
    "IL6_pM": identifiers_org("uniprot", "P05231"),
}



# ----------------------------------------------------------------------------- public API
def to_sbml(model: Model) -> str:
    """The model as an annotated, unit-consistent SBML Level 3 Version 2 string.

    Parameters
    ----------
    model
        A model from :func:`jakstat_rules.model.build_model`; its network is
        generated (or taken from the cache) first.

    Returns
    -------
    str
        The SBML document.  Parameter, observable and expression ids are the
        PySB names.

    Raises
    ------
    SBMLExportError
        For a construct that cannot be written faithfully (unknown unit,
        local function, compartments, ...), naming the component.
    """
    return libsbml.writeSBMLToString(to_sbml_document(model))


def write_sbml(model: Model, path: str | Path) -> Path:
    """Write :func:`to_sbml` atomically (temporary file, then rename)."""
    text = to_sbml(model)
    return atomic_write(path, text)


def consistency_report(doc: libsbml.SBMLDocument | str, units: bool = True
                       ) -> list[tuple[int, int, str]]:
    """All findings of libSBML's consistency checks, modelling practice included, and the
    unit checks unless ``units`` is False.

    Returns ``(severity, error id, message)`` triples (severity:
    ``libsbml.LIBSBML_SEV_WARNING`` / ``_ERROR`` / ``_FATAL``); an empty
    list is a clean file.  With ``units=False`` the unit checks are left out:
    in SBML Level 3 every one of them is a warning, and on the model they
    take most of the check's time (``benchmarks/bench_netfile.py``).
    """
    if isinstance(doc, str):
        doc = libsbml.readSBMLFromString(doc)
    for cat in (libsbml.LIBSBML_CAT_GENERAL_CONSISTENCY, libsbml.LIBSBML_CAT_IDENTIFIER_CONSISTENCY,
                libsbml.LIBSBML_CAT_UNITS_CONSISTENCY, libsbml.LIBSBML_CAT_MATHML_CONSISTENCY,
                libsbml.LIBSBML_CAT_SBO_CONSISTENCY, libsbml.LIBSBML_CAT_OVERDETERMINED_MODEL,
                libsbml.LIBSBML_CAT_MODELING_PRACTICE):
        doc.setConsistencyChecks(cat, units or cat != libsbml.LIBSBML_CAT_UNITS_CONSISTENCY)
    doc.checkConsistency()
    out = []
    for i in range(doc.getNumErrors()):
        e = doc.getError(i)
        if e.getSeverity() >= libsbml.LIBSBML_SEV_WARNING:
            out.append((e.getSeverity(), e.getErrorId(), e.getMessage().strip()))
    return out


# ----------------------------------------------------------------------------- the pipeline
def to_sbml_document(model: Model) -> libsbml.SBMLDocument:
    """The post-processed :class:`libsbml.SBMLDocument` (see :func:`to_sbml`)."""
    _check_supported(model)
    comp_units = component_units(model)
    text, species_ids = network_sbml(model)
    text = text.replace('compartment="default"', 'compartment="cell"').replace(
        '<compartment id="default"', '<compartment id="cell"')
    doc = libsbml.readSBMLFromString(text)
    if doc.getNumErrors(libsbml.LIBSBML_SEV_ERROR):
        raise SBMLExportError(f"PySB's SBML export of {model.name!r} does not parse: "
                              f"{doc.getError(0).getMessage()}")
    sm = doc.getModel()
    sm.setId(model.name)
    sm.setName(_model_title(model))

    compartment_and_model_units(sm)
    _species(sm, model, species_ids)
    _expressions(sm, model)
    _parameters(sm, model, comp_units)
    _reactions(sm, model, species_ids)
    _dimensionless_numbers(sm)
    model_annotation(sm, model)
    # only errors stop the export, and unit findings are never errors in Level 3: the unit
    # checks run on every committed file in the tests and in the supplement's checks
    errors = [f for f in consistency_report(doc, units=False) if f[0] >= libsbml.LIBSBML_SEV_ERROR]
    if errors:
        msgs = "; ".join(f"[{eid}] {msg}" for _, eid, msg in errors[:3])
        raise SBMLExportError(f"the SBML of {model.name!r} fails libSBML's checks "
                              f"({len(errors)} errors): {msgs}")
    return doc


def network_sbml(model: Model) -> tuple[str, list[str]]:
    """PySB's SBML of a model's reaction network, with readable ids.

    The network comes from :func:`~jakstat_rules.network.generate_network`
    (BioNetGen, cached by content); species are named by
    :func:`readable_species_ids` and observables by their PySB names.  Any
    PySB model can be written this way (compartments included); :func:`to_sbml`
    adds the annotations, units and checks of the project's own model.

    Returns
    -------
    (str, list of str)
        The SBML text and the id of every species of ``model.species``.
    """
    generate_network(model)
    species_ids = readable_species_ids(model)
    text = export(model, "sbml")
    obs_ids = {f"__obs{i}": o.name for i, o in enumerate(model.observables)}
    sp_ids = {f"__s{i}": sid for i, sid in enumerate(species_ids)}
    text = re.sub(r"(?<![A-Za-z0-9_])(__s\d+|__obs\d+)(?![A-Za-z0-9_])",
                  lambda m: sp_ids.get(m.group(1)) or obs_ids[m.group(1)], text)
    return text, species_ids


def _check_supported(model: Model) -> None:
    if model.compartments:
        raise SBMLExportError(
            f"model {model.name!r} has compartments ({', '.join(c.name for c in model.compartments)}); "
            "the exporter writes one compartment (the cell) with locations as sites")
    for ex in model.expressions:
        if ex.is_local:
            raise SBMLExportError(
                f"expression {ex.name!r} is a local function (tags {[t.name for t in ex.tags()]}); "
                "SBML has no per-reactant functions, so it cannot be exported faithfully")
    if getattr(model, "energypatterns", None):
        raise SBMLExportError(f"model {model.name!r} has energy patterns, which the exporter "
                              "cannot write")


def _model_title(model: Model) -> str:
    """The SBML model name: letters, digits, spaces and underscores only (COPASI shows
    the model name inside expressions, where ``->`` or ``,`` read as operators)."""
    variant = getattr(model, "jakstat_variant", "default")
    title = "Interferon JAK STAT1 signalling rule based model of jakstat_rules"
    return title if variant == "default" else f"{title} variant {variant}"


# ----------------------------------------------------------------------------- species
def readable_species_ids(model: Model) -> list[str]:
    """SBML ids for ``model.species`` built from their patterns.

    One token per molecule: the monomer name, then ``p<site>`` for every
    phosphorylated site and the value of every other non-``u`` state
    (location, activity); molecules of a complex are joined by ``__``.
    ``STAT1(sh2=None, y701='p', pias=None, loc='nuc')`` -> ``STAT1_py701_nuc``.
    Ids that would repeat get ``_2``, ``_3``, ... in species order.
    """
    taken = {c.name for c in model.parameters} | {c.name for c in model.expressions} \
        | {c.name for c in model.observables} | {"cell", model.name}
    ids, seen = [], set()
    for sp in model.species:
        parts = []
        for mp in sp.monomer_patterns:
            tok = [mp.monomer.name]
            for site in mp.monomer.sites:
                val = mp.site_conditions.get(site)
                state = val[0] if isinstance(val, tuple) else val
                if isinstance(state, str) and state != "u":
                    tok.append(f"p{site}" if state == "p" else state)
            parts.append("_".join(tok))
        base = "__".join(parts)
        if not re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", base):
            base = re.sub(r"[^A-Za-z0-9_]", "_", base)
            if base[0].isdigit():
                base = "s_" + base
        if base in taken:
            base = f"{base}_species"
        sid, n = base, 2
        while sid in seen:
            sid, n = f"{base}_{n}", n + 1
        seen.add(sid)
        ids.append(sid)
    return ids


def _species_terms(model: Model) -> dict[str, list[tuple[str, str]]]:
    """Monomer name -> [(qualifier, uri)] from the model's annotations."""
    terms: dict[str, list[tuple[str, str]]] = {}
    for ann in model.annotations:
        subj = getattr(ann.subject, "name", None)
        if subj in model.monomers.keys():
            terms.setdefault(subj, []).append((ann.predicate, ann.object))
    return terms


def _species(sm: libsbml.Model, model: Model, species_ids: list[str]) -> None:
    terms = _species_terms(model)
    for sp, sid, name in zip(model.species, species_ids, species_names(model)):
        s = sm.getSpecies(sid)
        s.setName(name)
        s.setMetaId(f"meta_{sid}")
        set_notes(s, f"{PATTERN_NOTE}{sp}")
        mons = [mp.monomer.name for mp in sp.monomer_patterns]
        if len(mons) == 1:
            name = mons[0]
            if not terms.get(name):
                raise SBMLExportError(f"monomer {name!r} has no database annotation; expected "
                                      "identifiers.org URIs (UniProt, ChEBI, NCBI Gene, GO)")
            for qual, uri in terms[name]:
                add_cv(s, qual, uri)
            s.setSBOTerm(_species_sbo(name))
        else:
            uris = []
            for name in mons:
                if not terms.get(name):
                    raise SBMLExportError(f"monomer {name!r} has no database annotation")
                for _, uri in terms[name]:
                    if uri not in uris:
                        uris.append(uri)
            for uri in uris:
                add_cv(s, "hasPart", uri)
            s.setSBOTerm(253)  # non-covalent complex


def _species_sbo(monomer: str) -> int:
    if monomer.startswith("mRNA_"):
        return 250  # ribonucleic acid (libSBML does not place 278 "messenger RNA" under material entity)
    if monomer == "miRNA":
        return 250  # ribonucleic acid (libSBML does not place 316 "microRNA" under material entity)
    if monomer in ("DSB", "MN"):
        return 285  # material entity of unspecified nature
    return 252  # polypeptide chain


# ----------------------------------------------------------------------------- expressions
def _expressions(sm: libsbml.Model, model: Model) -> None:
    """Rewrite expression rules with observable and expression ids (not expanded sums)."""
    for ex in model.expressions:
        rule = sm.getAssignmentRule(ex.name)
        if rule is None:
            raise SBMLExportError(f"expression {ex.name!r} is missing from PySB's SBML")
        rule.setMath(math_ast(ex.expr, f"expression {ex.name!r}"))


_FUNCS = {sympy.exp: "exp", sympy.log: "ln", sympy.Min: "min", sympy.Max: "max"}


def math_ast(expr: sympy.Expr, where: str) -> libsbml.ASTNode:
    """A libSBML AST for a sympy formula over PySB components (numbers dimensionless).

    Raises
    ------
    SBMLExportError
        For a function or construct with no SBML translation.
    """
    formula = _infix(expr, where)
    ast = libsbml.parseL3Formula(formula)
    if ast is None:
        raise SBMLExportError(f"{where}: libSBML cannot parse {formula!r}: "
                              f"{libsbml.getLastParseL3Error()}")
    return ast


def _infix(e, where: str) -> str:
    if isinstance(e, sympy.Symbol):
        return e.name
    if e.is_Integer:
        return str(int(e))
    if e.is_Rational:
        return f"({int(e.p)}/{int(e.q)})"
    if e.is_Float:
        return repr(float(e))
    if isinstance(e, sympy.Add):
        return "(" + " + ".join(_infix(a, where) for a in e.args) + ")"
    if isinstance(e, sympy.Mul):
        num, den = [], []
        for a in e.args:
            if isinstance(a, sympy.Pow) and a.args[1].is_Integer and a.args[1] < 0:
                den.append(a.args[0] if a.args[1] == -1 else sympy.Pow(a.args[0], -a.args[1]))
            elif a.is_Rational and not a.is_Integer:
                if a.p != 1:
                    num.append(sympy.Integer(a.p))
                den.append(sympy.Integer(a.q))
            else:
                num.append(a)
        top = " * ".join(_infix(a, where) for a in num) or "1"
        if not den:
            return f"({top})"
        return f"({top} / ({' * '.join(_infix(a, where) for a in den)}))"
    if isinstance(e, sympy.Pow):
        b, x = e.args
        if x == -1:
            return f"(1 / {_infix(b, where)})"
        return f"({_infix(b, where)} ^ {_infix(x, where)})"
    if e.func in _FUNCS:
        return f"{_FUNCS[e.func]}({', '.join(_infix(a, where) for a in e.args)})"
    raise SBMLExportError(f"{where}: cannot translate {e} ({type(e).__name__}) to SBML; "
                          "expected +, -, *, /, ^, exp, log, min, max")


# ----------------------------------------------------------------------------- parameters
def _parameters(sm: libsbml.Model, model: Model, comp_units) -> None:
    prov = getattr(model, "jakstat_provenance", {})
    reg = UnitRegistry(sm)
    for unit, text in comp_units.values():  # declared units first: inferred ones reuse their ids
        if text is not None:
            reg.uid(unit, text)
    components = {c.name: c for c in model.all_components()}
    for i in range(sm.getNumParameters()):
        p = sm.getParameter(i)
        pid = p.getId()
        if pid not in comp_units:
            raise SBMLExportError(f"SBML parameter {pid!r} is not a PySB parameter, expression "
                                  "or observable; cannot give it a unit")
        unit, text = comp_units[pid]
        p.setUnits(reg.uid(unit, text))
        p.setName(pid)
        p.setMetaId(f"meta_{pid}")
        comp = components.get(pid)
        info = prov.get(pid)
        lines = []
        if isinstance(comp, Observable):
            lines.append(f"Observable (molecules): {READOUTS.get(pid, str(comp.reaction_pattern))}")
            p.setSBOTerm(361)  # amount of an entity pool
        elif isinstance(comp, Expression):
            lines.append(f"Expression: {comp.name} = {comp.expr}")
            if pid in READOUTS:
                lines.append(f"Readout: {READOUTS[pid]}")
            p.setSBOTerm(_parameter_sbo(pid, text or "", expression=True))
        else:
            p.setSBOTerm(_parameter_sbo(pid, text or ""))
        if info is not None:
            if info.description:
                lines.append(info.description)
            lines.append(f"Unit: {text}")
            lines.append(f"Source: {info.source}")
            for key, ref in CITATIONS.items():
                if re.search(rf"\b{re.escape(key)}\b", info.source):
                    m = DOI.search(ref)
                    if m:
                        add_cv(p, "isDescribedBy", identifiers_org("doi", m.group(1)))
        elif text is None:
            lines.append(f"Unit (inferred from the formula): {U.show(unit)}")
        if pid in INPUT_TERMS:
            add_cv(p, "isPropertyOf", INPUT_TERMS[pid])
        if info is not None and info.source == "input":
            lines.insert(0, "INPUT: set this parameter to apply the treatment; 0 = untreated.")
        set_notes(p, *lines)


def _parameter_sbo(pid: str, unit: str, expression: bool = False) -> int:
    """SBO term of a parameter from its name and unit."""
    if unit in ("pM", "nM") and pid.endswith(("_pM", "_nM")) and not pid.startswith(("IC50", "Kapp")):
        return 196  # concentration of an entity pool
    if pid.startswith("IC50_"):
        return 288  # IC50
    if pid.startswith("Kapp_"):
        return 261  # inhibitory constant
    if pid == "n_hill":
        return 190  # Hill coefficient
    if pid.startswith("K_") and unit == "molecule":
        return 191  # Hill constant
    if pid.startswith("vmax_"):
        return 186  # maximal velocity
    if pid.startswith("f_") and pid.endswith("_free"):
        return 540  # fraction of an entity pool
    if unit == "molecule":
        return 361  # amount of an entity pool
    if unit == "L":
        return 468  # volume
    if pid.startswith(("kcat", "kact_by", "kcat_")):
        return 25  # catalytic rate constant
    if unit in ("1/(M*s)", "1/(molecule*min)", "1/(molecule*s)"):
        return 36  # forward bimolecular rate constant, continuous case
    if unit in ("1/min", "1/s"):
        if pid.startswith(("koff", "kr_")):
            return 38  # reverse unimolecular rate constant, continuous case
        return 35  # forward unimolecular rate constant, continuous case
    if unit == "molecule/min" or pid.startswith("ksyn_"):
        return 186 if not expression else 2
    return 2  # quantitative systems description parameter


# ----------------------------------------------------------------------------- reactions
_REACTION_SBO = [
    ("dephosphorylates", 330), ("phosphorylates", 216), ("activates_TYK2", 216),
    ("activates_JAK", 216), ("autoactivates", 216), ("transcribed", 183), ("drives_IFNB1", 183),
    ("translated", 184), ("imported", 185), ("shuttles", 185), ("recycles", 185), ("secreted", 185),
    ("internalised", 185), ("binds", 177), ("recruits", 177), ("docks", 177), ("dimerise", 177),
    ("decays", 179), ("degrades", 179), ("cleared", 179), ("repaired", 179),
    ("forms_micronucleus", 182), ("inactivates", 181), ("activates", 181),
]


def _reaction_sbo(rule_name: str) -> int:
    for key, term in _REACTION_SBO:
        if key in rule_name:
            return term
    return 176  # biochemical reaction


def _reactions(sm: libsbml.Model, model: Model, species_ids: list[str]) -> None:
    """SBO terms, one reference per species with explicit stoichiometry, modifiers, names."""
    species = {sm.getSpecies(i).getId() for i in range(sm.getNumSpecies())}
    allowed = species | {sm.getParameter(i).getId() for i in range(sm.getNumParameters())}
    readable = dict(zip(species_ids, species_names(model)))
    rules, reactants, products = [], [], []
    for i in range(sm.getNumReactions()):
        r = sm.getReaction(i)
        r.setMetaId(f"meta_{r.getId()}")
        rule_names = r.getName().split(" + ")
        rules.append(rule_names)
        r.setSBOTerm(_reaction_sbo(rule_names[0]))
        sides = []
        for refs in (r.getListOfReactants(), r.getListOfProducts()):
            sides.append(_merge_references(r.getId(), refs))
        reactants.append([readable[s] for s, n in sides[0] for _ in range(n)])
        products.append([readable[s] for s, n in sides[1] for _ in range(n)])
        mods = sorted({r.getModifier(j).getSpecies() for j in range(r.getNumModifiers())}
                      & species, key=_natural)
        while r.getNumModifiers():
            r.removeModifier(0)
        for sid in mods:
            m = r.createModifier()
            m.setSpecies(sid)
        kl = r.getKineticLaw()
        _check_rate_law(r.getId(), kl.getMath(), allowed)
    for i, name in enumerate(reaction_names(rules, reactants, products)):
        r = sm.getReaction(i)
        r.setName(name)
        set_notes(r, f"{RULES_NOTE}{', '.join(rules[i])}",
                   f"Reaction: {' + '.join(reactants[i]) or 'nothing'} -> "
                   f"{' + '.join(products[i]) or 'nothing'}")


def _merge_references(rid: str, refs: libsbml.ListOfSpeciesReferences) -> list[tuple[str, int]]:
    """Merge repeated species references into one with a stoichiometry; state it on every one.

    Returns ``(species id, stoichiometry)`` in the order of first occurrence.
    """
    counts: dict[str, int] = {}
    for j in range(refs.size()):
        ref = refs.get(j)
        if ref.isSetStoichiometry() and ref.getStoichiometry() != 1:
            raise SBMLExportError(f"reaction {rid!r}: PySB wrote stoichiometry "
                                  f"{ref.getStoichiometry()} for {ref.getSpecies()!r}; expected "
                                  "repeated references of stoichiometry 1")
        counts[ref.getSpecies()] = counts.get(ref.getSpecies(), 0) + 1
    for j in reversed(range(refs.size())):
        refs.remove(j)
    for sid, n in counts.items():
        ref = libsbml.SpeciesReference(3, 2)
        ref.setSpecies(sid)
        ref.setStoichiometry(float(n))
        ref.setConstant(True)
        if refs.append(ref) != libsbml.LIBSBML_OPERATION_SUCCESS:
            raise SBMLExportError(f"reaction {rid!r}: cannot write the reference to {sid!r}")
    return list(counts.items())


def _natural(s: str):
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", s)]


def _check_rate_law(rid: str, ast: libsbml.ASTNode, allowed: set[str]) -> None:
    """Rate laws may use species, parameters and BioNetGen's symmetry factors only."""
    stack = [ast]
    while stack:
        n = stack.pop()
        if n.isName() and n.getType() == libsbml.AST_NAME and n.getName() not in allowed:
            raise SBMLExportError(f"reaction {rid!r}: rate law refers to {n.getName()!r}, which "
                                  "is neither a species nor a parameter (a volume literal?)")
        if n.getType() == libsbml.AST_NAME_TIME:
            raise SBMLExportError(f"reaction {rid!r}: rate law uses time directly")
        if n.isNumber() and n.getType() == libsbml.AST_REAL:
            if n.getValue() not in (0.5, 1.0 / 3, 1.0 / 6, 2.0, 3.0, 1.0):
                raise SBMLExportError(f"reaction {rid!r}: number {n.getValue()} in the rate law "
                                      "(volume literal?); expected parameters only")
        stack.extend(n.getChild(j) for j in range(n.getNumChildren()))


def _dimensionless_numbers(sm: libsbml.Model) -> None:
    asts = [sm.getRule(i).getMath() for i in range(sm.getNumRules())]
    asts += [sm.getInitialAssignment(i).getMath() for i in range(sm.getNumInitialAssignments())]
    asts += [sm.getReaction(i).getKineticLaw().getMath() for i in range(sm.getNumReactions())]
    for ast in asts:
        stack = [ast]
        while stack:
            n = stack.pop()
            if n.isNumber():
                n.setUnits("dimensionless")
            if n.getType() == libsbml.AST_NAME and n.getName() == "time":
                n.setType(libsbml.AST_NAME_TIME)
            stack.extend(n.getChild(j) for j in range(n.getNumChildren()))


