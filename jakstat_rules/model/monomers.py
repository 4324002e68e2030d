"""Every molecule of the model with its sites, states and database identifiers.

Names are HGNC symbols for proteins, ``mRNA_<GENE>`` for transcripts.
Sites are named by residue (``y701``) with states ``u``/``p``, binding
sites by domain or partner (``sh2``, ``box1``, ``lig``), location as a site
(``loc``: ``pm``/``endo`` for receptor chains, ``cyt``/``nuc`` for STATs and
IRF9).

Annotations are identifiers.org URIs in the current compact form,
``https://identifiers.org/<prefix>:<accession>`` (:func:`identifiers_org`):
UniProt (human) for proteins, NCBI Gene for transcripts, NCBI Gene and
miRBase for the microRNA, Gene Ontology for the DNA double-strand break
site, NCI Thesaurus and Gene Ontology for the micronucleus.

The micronucleus of irradiated mammalian cells (a chromosome fragment or
lagging chromosome enclosed in its own envelope outside the main nucleus,
Harding 2017) has no Gene Ontology term: GO:0031040 "micronucleus" is the
germline nucleus of ciliates ("a membrane-bounded organelle of ciliated
protozoan cells"), a different thing.  ``MN`` therefore *is*
NCIT:C121964 "Micronucleus" (defined as bodies of chromosomes or
chromosome fragments not sorted properly at mitosis, bounded by a nuclear
membrane) and *is a version of* GO:0005634 "nucleus".

JAKs are constitutively bound to their receptor chains (box1/box2 motifs)
and are therefore created in complex with them; they never dissociate.
"""
from __future__ import annotations

from pysb import ComponentSet

from .builder import Builder

#: Base of every annotation URI (identifiers.org resolver, compact identifiers).
IDENTIFIERS_ORG = "https://identifiers.org/"


def identifiers_org(prefix: str, accession: str) -> str:
    """The identifiers.org URI of ``prefix:accession`` (``uniprot``, ``P42224`` ->
    ``https://identifiers.org/uniprot:P42224``).

    Prefixes whose accessions carry the namespace themselves (``CHEBI:66919``,
    ``GO:0005634``) are given as the accession's own prefix: ``("CHEBI", "66919")``.
    """
    return f"{IDENTIFIERS_ORG}{prefix}:{accession}"


def _uniprot(acc: str) -> str:
    return identifiers_org("uniprot", acc)


def _gene(gene_id: str) -> str:
    return identifiers_org("ncbigene", gene_id)


def _go(term: str) -> str:
    return identifiers_org("GO", term)


#: Monomers of the IL-6 -> gp130 -> STAT3 arm (left out when it is switched off).
IL6_ARM = ("IL6", "IL6R", "IL6ST", "STAT3", "SOCS3", "PIAS3", "mRNA_SOCS3")

#: Monomers of the autocrine IL-6 loop (only in models with it, variant ``il6_autocrine``).
IL6_AUTOCRINE = ("mRNA_IL6",)

#: name -> (sites, states, [(qualifier, uri)], description)
MONOMERS: dict[str, tuple] = {
    # ligands (free in the medium or bound to receptors)
    "IFNA2": (["r1", "r2"], {}, [("is", _uniprot("P01563"))], "interferon alpha-2"),
    "IFNB1": (["r1", "r2"], {}, [("is", _uniprot("P01574"))], "interferon beta"),
    "IFNG": (["r1", "r2"], {}, [("is", _uniprot("P01579"))],
             "interferon gamma homodimer; one IFNG unit with one IFNGR1 and one IFNGR2 stands for "
             "half of the 2:2:2 signalling complex"),
    # receptor chains
    "IFNAR1": (["lig", "box1", "loc"], {"loc": ["pm", "endo"]}, [("is", _uniprot("P17181"))],
               "interferon alpha/beta receptor 1 (carries TYK2)"),
    "IFNAR2": (["lig", "box1", "y512", "usp", "loc"], {"y512": ["u", "p"], "loc": ["pm", "endo"]},
               [("is", _uniprot("P48551"))], "interferon alpha/beta receptor 2 (carries JAK1); "
               "pY512 docks STAT1/STAT2"),
    "IFNGR1": (["lig", "box1", "y440", "loc"], {"y440": ["u", "p"], "loc": ["pm", "endo"]},
               [("is", _uniprot("P15260"))], "interferon gamma receptor 1 (carries JAK1); pY440 docks STAT1"),
    "IFNGR2": (["lig", "box1", "loc"], {"loc": ["pm", "endo"]}, [("is", _uniprot("P38484"))],
               "interferon gamma receptor 2 (carries JAK2)"),
    # kinases
    "JAK1": (["box1", "y1034", "socs"], {"y1034": ["u", "p"]}, [("is", _uniprot("P23458"))],
             "Janus kinase 1; Y1034/Y1035 activation loop"),
    "JAK2": (["box1", "y1007"], {"y1007": ["u", "p"]}, [("is", _uniprot("O60674"))],
             "Janus kinase 2; Y1007/Y1008 activation loop"),
    "TYK2": (["box1", "y1054"], {"y1054": ["u", "p"]}, [("is", _uniprot("P29597"))],
             "tyrosine kinase 2; Y1054/Y1055 activation loop"),
    # STATs and IRFs
    "STAT1": (["sh2", "y701", "pias", "loc"], {"y701": ["u", "p"], "loc": ["cyt", "nuc"]},
              [("is", _uniprot("P42224"))], "signal transducer and activator of transcription 1"),
    "STAT2": (["sh2", "y690", "irf", "loc"], {"y690": ["u", "p"], "loc": ["cyt", "nuc"]},
              [("is", _uniprot("P52630"))], "signal transducer and activator of transcription 2"),
    "IRF9": (["stat", "loc"], {"loc": ["cyt", "nuc"]}, [("is", _uniprot("Q00978"))],
             "interferon regulatory factor 9 (p48), the DNA-binding subunit of ISGF3"),
    "IRF1": ([], {}, [("is", _uniprot("P10914"))], "interferon regulatory factor 1"),
    # negative regulators
    "SOCS1": (["jak"], {}, [("is", _uniprot("O15524"))], "suppressor of cytokine signalling 1"),
    "USP18": (["r2"], {}, [("is", _uniprot("Q9UMW8"))], "ubiquitin-specific protease 18 (binds IFNAR2)"),
    "PTPN2": ([], {}, [("is", _uniprot("P17706"))], "TC-PTP / TC45, nuclear STAT1 phosphatase"),
    "PTPN11": ([], {}, [("is", _uniprot("Q06124"))], "SHP-2, cytoplasmic phosphatase of JAKs, receptors, STAT1"),
    "PIAS1": (["stat"], {}, [("is", _uniprot("O75925"))], "protein inhibitor of activated STAT1"),
    "miRNA": ([], {}, [("is", _gene("406938")), ("is", identifiers_org("mirbase.mature", "MIMAT0000449"))],
              "lumped STAT1-targeting microRNA (miR-146a, MIR146A)"),
    # transcripts
    "mRNA_STAT1": ([], {}, [("is", _gene("6772"))], "STAT1 mRNA"),
    "mRNA_SOCS1": ([], {}, [("is", _gene("8651"))], "SOCS1 mRNA"),
    "mRNA_USP18": ([], {}, [("is", _gene("11274"))], "USP18 mRNA"),
    "mRNA_IRF1": ([], {}, [("is", _gene("3659"))], "IRF1 mRNA"),
    "mRNA_IRF9": ([], {}, [("is", _gene("10379"))], "IRF9 mRNA"),
    "mRNA_ISG": ([], {}, [("hasPart", _gene(g)) for g in
                          ("4599", "4938", "3434", "2537", "3429", "10561", "8519")],
                 "lumped IFN-related DNA damage resistance signature mRNA: MX1, OAS1, IFIT1, IFI6, "
                 "IFI27, IFI44, IFITM1"),
    "mRNA_IFNB1": ([], {}, [("is", _gene("3456"))], "IFNB1 mRNA (induced by radiation via cGAS-STING)"),
    # IL-6 -> gp130 -> STAT3
    "IL6": (["r1", "r2"], {}, [("is", _uniprot("P05231"))],
            "interleukin-6; one IL-6 with one IL-6R alpha and one gp130 stands for half of the 2:2:2 "
            "hexameric signalling complex"),
    "IL6R": (["lig", "loc"], {"loc": ["pm", "endo"]}, [("is", _uniprot("P08887"))],
             "interleukin-6 receptor subunit alpha (IL-6R alpha), the ligand-binding chain"),
    "IL6ST": (["lig", "box1", "y759", "y767", "socs", "loc"],
              {"y759": ["u", "p"], "y767": ["u", "p"], "loc": ["pm", "endo"]},
              [("is", _uniprot("P40189"))],
              "gp130 (carries JAK1); pY759 docks SHP-2 and SOCS3, pY767 stands for the four distal "
              "STAT-docking tyrosines (Y767, Y814, Y905, Y915)"),
    "STAT3": (["sh2", "y705", "pias", "loc"], {"y705": ["u", "p"], "loc": ["cyt", "nuc"]},
              [("is", _uniprot("P40763"))], "signal transducer and activator of transcription 3"),
    "SOCS3": (["gp"], {}, [("is", _uniprot("O14543"))],
              "suppressor of cytokine signalling 3 (binds gp130 pY759, inhibits JAK1)"),
    "PIAS3": (["stat"], {}, [("is", _uniprot("Q9Y6X2"))], "protein inhibitor of activated STAT3"),
    "mRNA_SOCS3": ([], {}, [("is", _gene("9021"))], "SOCS3 mRNA"),
    "mRNA_IL6": ([], {}, [("is", _gene("3569"))], "IL6 mRNA (STAT3-driven, variant il6_autocrine)"),
    # radiation: DNA damage -> micronuclei -> cGAS -> STING
    "DSB": ([], {}, [("is", _go("0035861"))], "DNA double-strand break site"),
    "MN": ([], {}, [("is", identifiers_org("ncit", "C121964")), ("isVersionOf", _go("0005634"))],
           "micronucleus of a mammalian cell (chromosome fragments outside the main nucleus); "
           "its envelope ruptures and exposes the DNA to cGAS.  NCIT:C121964 and a version of "
           "GO:0005634 nucleus: GO has no term for it (GO:0031040 is the ciliate germline micronucleus)"),
    "CGAS": (["act"], {"act": ["i", "a"]}, [("is", _uniprot("Q8N884"))], "cyclic GMP-AMP synthase"),
    "STING1": (["act"], {"act": ["i", "a"]}, [("is", _uniprot("Q86WV6"))], "stimulator of interferon genes"),
}

#: Where a molecule without a location site is when it is free (used in species names):
#: the interferons are added to, and measured in, the medium.
FREE_LOCATION: dict[str, str] = {"IFNA2": "medium", "IFNB1": "medium", "IFNG": "medium", "IL6": "medium"}


def add_monomers(b: Builder, names: list[str] | None = None) -> ComponentSet:
    """Create the monomers ``names`` (all by default) with their annotations.

    Returns a ComponentSet: the monomers it creates.
    """
    start = b.mark()
    for name in names or MONOMERS:
        sites, states, anns, doc = MONOMERS[name]
        b.monomer(name, list(sites), dict(states), anns, doc)
    return b.created_since(start)
