"""Who made the exported model files and when: creator, creation and modification dates.

The files in ``sbml/`` must be reproducible byte for byte (a test
regenerates them and compares), so the dates cannot be the time of export.
They are constants with a real meaning instead:

* :data:`CREATED` is the time of the commit that added the rule-based model
  to the repository (``61934de``, "Rule-based IFN/JAK/STAT1 model").
* :data:`MODIFIED` is when (UTC, to the minute) the exported model last
  changed.  It is tied to the content: :data:`FINGERPRINT` is the SHA-256
  of the exported SBML files with the dates masked (:func:`fingerprint`), and
  ``tests/test_export_sbml.py`` fails when the committed files no longer
  have that fingerprint, naming the new one.  Whoever changes the model
  (rules, parameters, annotations, names) therefore sets :data:`MODIFIED`
  to the time of the change and :data:`FINGERPRINT` to the value the test
  prints, in the same commit as the regenerated files.

The creator is the project as a whole, as in ``CITATION.cff``: the
repository carries no personal author identity.  SBML's model history
needs a vCard name with a given and a family name, so the entity
"jakstat-rules contributors" is written as given name ``jakstat-rules``,
family name ``contributors`` and organisation ``jakstat-rules contributors``.
"""
from __future__ import annotations

import hashlib
import re
from typing import Iterable

#: Creation date of the model (W3CDTF, UTC): the commit that added it.
CREATED = "2026-11-21T05:11:24Z"
#: When the exported model last changed (W3CDTF, UTC, to the minute).
MODIFIED = "2026-12-06T23:54:00Z"
#: SHA-256 of the exported SBML files with dates masked, when :data:`MODIFIED` was set.
FINGERPRINT = "e193464b09545f97b8218a74166480445774d2cbbfd2bb5306043ba61ac9482c"

#: The creator of the files (see the module docstring).
CREATOR = {"given": "jakstat-rules", "family": "contributors",
           "organisation": "jakstat-rules contributors"}

_DATE = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:Z|[+-]\d\d:\d\d)")


def fingerprint(sbml_texts: Iterable[str]) -> str:
    """SHA-256 over SBML texts (in the order given) with every W3CDTF date masked.

    The dates are masked so that setting :data:`MODIFIED` does not change
    the fingerprint it is recorded with.
    """
    h = hashlib.sha256()
    for text in sbml_texts:
        h.update(_DATE.sub("<date>", text).encode("utf-8"))
        h.update(b"\0")
    return h.hexdigest()
