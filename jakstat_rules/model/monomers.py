"""Every molecule of the model with its sites, states and database identifiers.

Names are HGNC symbols for proteins, ``mRNA_<GENE>`` for transcripts.
Sites are named by residue (``y701``) with states ``u``/``p``, binding
sites by domain or partner (``sh2``, ``box1``, ``lig``), location as a site
(``loc``: ``pm``/``endo`` for receptor chains, ``cyt``/``nuc`` for STATs and
IRF9).  Annotations are identifiers.org URIs: UniProt (human) for proteins,
NCBI Gene for transcripts and the microRNA, Gene Ontology for the lumped
radiation intermediates (DNA double-strand break, micronucleus).

JAKs are constitutively bound to their receptor chains (box1/box2 motifs)
and are therefore created in complex with them; they never dissociate.
"""
from __future__ import annotations

from pysb import ComponentSet

from .builder import Builder

UNIPROT = "http://identifiers.org/uniprot/"
NCBIGENE = "http://identifiers.org/ncbigene/"
GO = "http://identifiers.org/GO:"
CHEBI = "http://identifiers.org/CHEBI:"

#: name -> (sites, states, [(qualifier, uri)], description)
MONOMERS: dict[str, tuple] = {
    # ligands (free in the medium or bound to receptors)
    "IFNA2": (["r1", "r2"], {}, [("is", UNIPROT + "P01563")], "interferon alpha-2"),
    "IFNB1": (["r1", "r2"], {}, [("is", UNIPROT + "P01574")], "interferon beta"),
    "IFNG": (["r1", "r2"], {}, [("is", UNIPROT + "P01579")],
             "interferon gamma homodimer; one IFNG unit with one IFNGR1 and one IFNGR2 stands for "
             "half of the 2:2:2 signalling complex"),
    # receptor chains
    "IFNAR1": (["lig", "box1", "loc"], {"loc": ["pm", "endo"]}, [("is", UNIPROT + "P17181")],
               "interferon alpha/beta receptor 1 (carries TYK2)"),
    "IFNAR2": (["lig", "box1", "y512", "usp", "loc"], {"y512": ["u", "p"], "loc": ["pm", "endo"]},
               [("is", UNIPROT + "P48551")], "interferon alpha/beta receptor 2 (carries JAK1); "
               "pY512 docks STAT1/STAT2"),
    "IFNGR1": (["lig", "box1", "y440", "loc"], {"y440": ["u", "p"], "loc": ["pm", "endo"]},
               [("is", UNIPROT + "P15260")], "interferon gamma receptor 1 (carries JAK1); pY440 docks STAT1"),
    "IFNGR2": (["lig", "box1", "loc"], {"loc": ["pm", "endo"]}, [("is", UNIPROT + "P38484")],
               "interferon gamma receptor 2 (carries JAK2)"),
    # kinases
    "JAK1": (["box1", "y1034", "socs"], {"y1034": ["u", "p"]}, [("is", UNIPROT + "P23458")],
             "Janus kinase 1; Y1034/Y1035 activation loop"),
    "JAK2": (["box1", "y1007"], {"y1007": ["u", "p"]}, [("is", UNIPROT + "O60674")],
             "Janus kinase 2; Y1007/Y1008 activation loop"),
    "TYK2": (["box1", "y1054"], {"y1054": ["u", "p"]}, [("is", UNIPROT + "P29597")],
             "tyrosine kinase 2; Y1054/Y1055 activation loop"),
    # STATs and IRFs
    "STAT1": (["sh2", "y701", "pias", "loc"], {"y701": ["u", "p"], "loc": ["cyt", "nuc"]},
              [("is", UNIPROT + "P42224")], "signal transducer and activator of transcription 1"),
    "STAT2": (["sh2", "y690", "irf", "loc"], {"y690": ["u", "p"], "loc": ["cyt", "nuc"]},
              [("is", UNIPROT + "P52630")], "signal transducer and activator of transcription 2"),
    "IRF9": (["stat", "loc"], {"loc": ["cyt", "nuc"]}, [("is", UNIPROT + "Q00978")],
             "interferon regulatory factor 9 (p48), the DNA-binding subunit of ISGF3"),
    "IRF1": ([], {}, [("is", UNIPROT + "P10914")], "interferon regulatory factor 1"),
    # negative regulators
    "SOCS1": (["jak"], {}, [("is", UNIPROT + "O15524")], "suppressor of cytokine signalling 1"),
    "USP18": (["r2"], {}, [("is", UNIPROT + "Q9UMW8")], "ubiquitin-specific protease 18 (binds IFNAR2)"),
    "PTPN2": ([], {}, [("is", UNIPROT + "P17706")], "TC-PTP / TC45, nuclear STAT1 phosphatase"),
    "PTPN11": ([], {}, [("is", UNIPROT + "Q06124")], "SHP-2, cytoplasmic phosphatase of JAKs, receptors, STAT1"),
    "PIAS1": (["stat"], {}, [("is", UNIPROT + "O75925")], "protein inhibitor of activated STAT1"),
    "miRNA": ([], {}, [("is", NCBIGENE + "406938"), ("is", "http://identifiers.org/mirbase.mature/MIMAT0000449")],
              "lumped STAT1-targeting microRNA (miR-146a, MIR146A)"),
    # transcripts
    "mRNA_STAT1": ([], {}, [("is", NCBIGENE + "6772")], "STAT1 mRNA"),
    "mRNA_SOCS1": ([], {}, [("is", NCBIGENE + "8651")], "SOCS1 mRNA"),
    "mRNA_USP18": ([], {}, [("is", NCBIGENE + "11274")], "USP18 mRNA"),
    "mRNA_IRF1": ([], {}, [("is", NCBIGENE + "3659")], "IRF1 mRNA"),
    "mRNA_IRF9": ([], {}, [("is", NCBIGENE + "10379")], "IRF9 mRNA"),
    "mRNA_ISG": ([], {}, [("hasPart", NCBIGENE + g) for g in
                          ("4599", "4938", "3434", "2537", "3429", "10561", "8519")],
                 "lumped IFN-related DNA damage resistance signature mRNA: MX1, OAS1, IFIT1, IFI6, "
                 "IFI27, IFI44, IFITM1"),
    "mRNA_IFNB1": ([], {}, [("is", NCBIGENE + "3456")], "IFNB1 mRNA (induced by radiation via cGAS-STING)"),
    # radiation: DNA damage -> micronuclei -> cGAS -> STING
    "DSB": ([], {}, [("is", GO + "0035861")], "DNA double-strand break site"),
    "MN": ([], {}, [("is", GO + "0031040")], "micronucleus (ruptured, exposing DNA to cGAS)"),
    "CGAS": (["act"], {"act": ["i", "a"]}, [("is", UNIPROT + "Q8N884")], "cyclic GMP-AMP synthase"),
    "STING1": (["act"], {"act": ["i", "a"]}, [("is", UNIPROT + "Q86WV6")], "stimulator of interferon genes"),
}


def add_monomers(b: Builder, names: list[str] | None = None) -> ComponentSet:
    """Create the monomers ``names`` (all by default) with their annotations.

    Returns a ComponentSet: the monomers it creates.
    """
    start = b.mark()
    for name in names or MONOMERS:
        sites, states, anns, doc = MONOMERS[name]
        b.monomer(name, list(sites), dict(states), anns, doc)
    return b.created_since(start)
