"""Readable names for the species and reactions of the generated network.

SBML ids stay what they are (built from the PySB pattern, see
:func:`jakstat_rules.export.sbml.readable_species_ids`); these are the
``name`` attributes a COPASI or CellDesigner user reads in a table:

* **species**: the molecules of the complex joined by ``:`` in the order of
  :data:`jakstat_rules.model.monomers.MONOMERS` (ligand, receptor chains,
  kinases, STATs, IRF9, regulators), each with its modified sites in
  parentheses (``pY701`` for a phosphorylated tyrosine, ``active`` /
  ``inactive`` for an activity state), then the location in brackets:
  ``IFNB1:IFNAR1:IFNAR2(pY512):JAK1(pY1034):TYK2 [membrane]``,
  ``STAT1(pY701):STAT1(pY701) [nucleus]``, ``IFNB1 [medium]``.  The PySB
  pattern itself goes into the species' notes (:data:`PATTERN_NOTE`);
* **reactions**: the rule (or rules) that make the reaction, then what it
  acts on: ``STAT1_docks_IFNAR2 (STAT1 [cytoplasm] + IFNB1:IFNAR1:...)``.
  Where rule and reactants do not single a reaction out the products are
  added (``... -> ...``), then a counter.

Both are unique within a model (:func:`species_names`,
:func:`reaction_names` check it).
"""
from __future__ import annotations

import re
from typing import Sequence

from pysb import ComplexPattern, Model

from ..model.monomers import FREE_LOCATION, MONOMERS
from .errors import SBMLExportError

#: Location site values -> the word used in names, in order of precedence
#: (a STAT docked on a receptor at the membrane is "at the membrane").
LOCATIONS = {"pm": "membrane", "endo": "endosome", "nuc": "nucleus", "cyt": "cytoplasm"}

#: States of an activity site -> the word used in names.
ACTIVITY = {"a": "active", "i": "inactive"}

#: Paragraph of a species' notes that carries its PySB pattern.
PATTERN_NOTE = "PySB pattern: "
#: Paragraph of a reaction's notes that names its rules.
RULES_NOTE = "PySB rules: "

_ORDER = {name: i for i, name in enumerate(MONOMERS)}


def _site_words(mp) -> list[str]:
    words = []
    for site in mp.monomer.sites:
        if site == "loc":
            continue
        val = mp.site_conditions.get(site)
        state = val[0] if isinstance(val, tuple) else val
        if not isinstance(state, str) or state == "u":
            continue
        if state == "p" and re.fullmatch(r"[a-z]\d+", site):
            words.append(f"p{site.upper()}")
        elif site == "act" and state in ACTIVITY:
            words.append(ACTIVITY[state])
        else:
            words.append(f"{site}={state}")
    return words


def species_name(cp: ComplexPattern) -> str:
    """Readable name of one species (see the module docstring)."""
    molecules, places = [], set()
    for mp in sorted(cp.monomer_patterns, key=lambda m: (_ORDER.get(m.monomer.name, len(_ORDER)),
                                                         m.monomer.name)):
        words = _site_words(mp)
        molecules.append(mp.monomer.name + (f"({','.join(words)})" if words else ""))
        loc = mp.site_conditions.get("loc")
        if isinstance(loc, str):
            places.add(loc)
    if not places and len(cp.monomer_patterns) == 1:
        free = FREE_LOCATION.get(cp.monomer_patterns[0].monomer.name)
        where = f" [{free}]" if free else ""
    else:
        where = next((f" [{word}]" for loc, word in LOCATIONS.items() if loc in places), "")
        if {"nuc", "cyt"} <= places and not places & {"pm", "endo"}:
            where = " [nucleus/cytoplasm]"
    return ":".join(molecules) + where


def species_names(model: Model) -> list[str]:
    """Readable names of ``model.species`` (network generated), unique.

    Raises
    ------
    SBMLExportError
        When two species would get the same name (the naming scheme no
        longer tells them apart).
    """
    names = [species_name(sp) for sp in model.species]
    seen: dict[str, int] = {}
    for i, name in enumerate(names):
        if name in seen:
            raise SBMLExportError(
                f"species {seen[name]} ({model.species[seen[name]]}) and {i} ({model.species[i]}) "
                f"would both be named {name!r}; extend jakstat_rules.export.names")
        seen[name] = i
    return names


def reaction_names(rules: Sequence[Sequence[str]], reactants: Sequence[Sequence[str]],
                   products: Sequence[Sequence[str]]) -> list[str]:
    """Unique readable names of reactions.

    Parameters
    ----------
    rules
        Per reaction, the names of the rules it comes from.
    reactants, products
        Per reaction, the readable names of its reactant and product species
        (with repeats for stoichiometry 2).

    Returns
    -------
    list of str
        ``"<rules> (<transformed reactants>)"``, with ``" -> <products>"``
        where that is needed to tell reactions apart, and ``" #<n>"`` as the
        last resort.
    """
    def side(names: Sequence[str]) -> str:
        return " + ".join(names) if names else "nothing"

    first = []
    for rls, rea, pro in zip(rules, reactants, products):
        changed = [n for n in rea if n not in pro] or list(rea)
        label = " + ".join(rls)
        first.append(f"{label} ({side(changed)})" if changed else f"{label} (-> {side(pro)})")
    counts: dict[str, int] = {}
    for n in first:
        counts[n] = counts.get(n, 0) + 1
    out = []
    for n, rls, rea, pro in zip(first, rules, reactants, products):
        if counts[n] > 1:
            n = f"{' + '.join(rls)} ({side(rea)} -> {side(pro)})"
        out.append(n)
    seen: dict[str, int] = {}
    final = []
    for n in out:
        k = seen.get(n, 0) + 1
        seen[n] = k
        final.append(n if k == 1 else f"{n} #{k}")
    return final
