"""Parameter registry: every constant of the model with value, unit and source.

One unit system for the whole model: time in minutes, amounts in molecules
per cell.  Literature values are entered in the units the paper uses (for
example M^-1 s^-1 for an association rate) and converted inside the model by
expressions built from the named constants below (Avogadro's number, the
medium volume per cell, seconds per minute, ...), never as precomputed
literals.

``source`` is a key of :data:`CITATIONS`, optionally followed by where in the
paper the number stands, or ``"assumed: <reason>"``.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ParamSpec:
    """Value, unit and source of one model parameter."""

    value: float
    unit: str
    source: str
    description: str = ""


#: Papers and databases the values come from.
CITATIONS: dict[str, str] = {
    "Kirby2021": "Kirby D et al. Determinants of ligand specificity and functional plasticity in type I "
                 "interferon signaling. Front Immunol 2021;12:748423. doi:10.3389/fimmu.2021.748423",
    "Kok2020": "Kok F et al. Disentangling molecular mechanisms regulating sensitization of interferon alpha "
               "signal transduction. Mol Syst Biol 2020;16:e8955. doi:10.15252/msb.20198955",
    "Yamada2003": "Yamada S et al. Control mechanism of JAK/STAT signal transduction pathway. FEBS Lett "
                  "2003;534:190-196. doi:10.1016/S0014-5793(02)03842-5",
    "Liu2020": "Liu S et al. Targeting IFN/STAT1 pathway as a promising strategy to overcome "
               "radioresistance. Onco Targets Ther 2020;13:6037-6050. doi:10.2147/OTT.S256708 "
               "(PMC7321691); the model's pathway follows its Figure 1",
    "Thomas2011": "Thomas C et al. Structural linkage between ligand discrimination and receptor activation "
                  "by type I interferons. Cell 2011;146:621-632. doi:10.1016/j.cell.2011.06.048",
    "Lamken2004": "Lamken P et al. Ligand-induced assembling of the type I interferon receptor on supported "
                  "lipid bilayers. J Mol Biol 2004;341:303-318. doi:10.1016/j.jmb.2004.05.059",
    "Gavutis2005": "Gavutis M et al. Lateral ligand-receptor interactions on membranes probed by "
                   "simultaneous fluorescence-interference detection. Biophys J 2005;88:4289-4302. "
                   "doi:10.1529/biophysj.104.055855",
    "Walter1995": "Walter MR et al. Crystal structure of a complex between interferon-gamma and its soluble "
                  "high-affinity receptor. Nature 1995;376:230-235. doi:10.1038/376230a0",
    "QuintasCardama2010": "Quintas-Cardama A et al. Preclinical characterization of the selective JAK1/2 "
                          "inhibitor INCB018424. Blood 2010;115:3109-3117. doi:10.1182/blood-2009-04-214957",
    "Meyer2010": "Meyer DM et al. Anti-inflammatory activity and neutrophil reductions mediated by the "
                 "JAK1/JAK3 inhibitor CP-690,550 in rat adjuvant-induced arthritis. J Inflamm 2010;7:41. "
                 "doi:10.1186/1476-9255-7-41",
    "Haspel1999": "Haspel RL, Darnell JE. A nuclear protein tyrosine phosphatase is required for the "
                  "inactivation of Stat1. PNAS 1999;96:10188-10193. doi:10.1073/pnas.96.18.10188",
    "tenHoeve2002": "ten Hoeve J et al. Identification of a nuclear Stat1 protein tyrosine phosphatase. "
                    "Mol Cell Biol 2002;22:5662-5668. doi:10.1128/MCB.22.16.5662-5668.2002",
    "Sharova2009": "Sharova LV et al. Database for mRNA half-life of 19977 genes obtained by DNA microarray "
                   "analysis of pluripotent and differentiating mouse embryonic stem cells. DNA Res "
                   "2009;16:45-58. doi:10.1093/dnares/dsn030",
    "Schwanhausser2011": "Schwanhausser B et al. Global quantification of mammalian gene expression "
                         "control. Nature 2011;473:337-342. doi:10.1038/nature10098",
    "Lu2010": "Lu LF et al. Function of miR-146a in controlling Treg cell-mediated regulation of Th1 "
              "responses. Cell 2010;142:914-929. doi:10.1016/j.cell.2010.08.012",
    "Burnette2011": "Burnette BC et al. The efficacy of radiotherapy relies upon induction of type I "
                    "interferon-dependent innate and adaptive immunity. Cancer Res 2011;71:2488-2496. "
                    "doi:10.1158/0008-5472.CAN-10-2820",
    "Harding2017": "Harding SM et al. Mitotic progression following DNA damage enables pattern recognition "
                   "within micronuclei. Nature 2017;548:466-470. doi:10.1038/nature23470",
    "Rothkamm2003": "Rothkamm K, Lobrich M. Evidence for a lack of DNA double-strand break repair in human "
                    "cells exposed to very low x-ray doses. PNAS 2003;100:5057-5062. "
                    "doi:10.1073/pnas.0830918100",
    "James2005": "James C et al. A unique clonal JAK2 mutation leading to constitutive signalling causes "
                 "polycythaemia vera. Nature 2005;434:1144-1148. doi:10.1038/nature03546",
    "Francois-Newton2011": "Francois-Newton V et al. USP18-based negative feedback control is induced by "
                           "type I and type III interferons and specifically inactivates interferon alpha "
                           "response. PLoS One 2011;6:e22200. doi:10.1371/journal.pone.0022200",
    "Heinrich2003": "Heinrich PC et al. Principles of interleukin (IL)-6-type cytokine signalling and its "
                    "regulation. Biochem J 2003;374:1-20. doi:10.1042/BJ20030407",
    "Singh2006": "Singh A, Jayaraman A, Hahn J. Modeling regulatory mechanisms in IL-6 signal transduction "
                 "in hepatocytes. Biotechnol Bioeng 2006;95:850-862. doi:10.1002/bit.21026 (BioModels "
                 "BIOMD0000000151)",
    "Sobotta2017": "Sobotta S et al. Model based targeting of IL-6-induced inflammatory responses in "
                   "cultured primary hepatocytes to improve application of the JAK inhibitor ruxolitinib. "
                   "Front Physiol 2017;8:775. doi:10.3389/fphys.2017.00775",
    "Taga1989": "Taga T et al. Interleukin-6 triggers the association of its receptor with a possible "
                "signal transducer, gp130. Cell 1989;58:573-581. doi:10.1016/0092-8674(89)90438-8",
    "Gerhartz1996": "Gerhartz C et al. Differential activation of acute phase response factor/STAT3 and "
                    "STAT1 via the cytoplasmic domain of the interleukin 6 signal transducer gp130. J Biol "
                    "Chem 1996;271:12991-12998. doi:10.1074/jbc.271.22.12991",
    "Nicholson2000": "Nicholson SE et al. Suppressor of cytokine signaling-3 preferentially binds to the "
                     "SHP-2-binding site on the shared cytokine receptor subunit gp130. PNAS "
                     "2000;97:6493-6498. doi:10.1073/pnas.100135197",
    "Croker2003": "Croker BA et al. SOCS3 negatively regulates IL-6 signaling in vivo. Nat Immunol "
                  "2003;4:540-545. doi:10.1038/ni931",
    "Lang2003": "Lang R et al. SOCS3 regulates the plasticity of gp130 signaling. Nat Immunol "
                "2003;4:546-550. doi:10.1038/ni932",
    "QingStark2004": "Qing Y, Stark GR. Alternative activation of STAT1 and STAT3 in response to "
                     "interferon-gamma. J Biol Chem 2004;279:41679-41685. doi:10.1074/jbc.M406413200",
    "Chung1997": "Chung CD et al. Specific inhibition of Stat3 signal transduction by PIAS3. Science "
                 "1997;278:1803-1805. doi:10.1126/science.278.5344.1803",
    "Yamamoto2002": "Yamamoto T et al. The nuclear isoform of protein-tyrosine phosphatase TC-PTP regulates "
                    "interleukin-6-mediated signaling pathway through STAT3 dephosphorylation. Biochem "
                    "Biophys Res Commun 2002;297:811-817. doi:10.1016/S0006-291X(02)02291-X",
    "Weigert2012": "Weigert O et al. Genetic resistance to JAK2 enzymatic inhibitors is overcome by HSP90 "
                   "inhibition. J Exp Med 2012;209:259-273. doi:10.1084/jem.20111694",
    "Deshpande2012": "Deshpande A et al. Kinase domain mutations confer resistance to novel inhibitors "
                     "targeting JAK2V617F in myeloproliferative neoplasms. Leukemia 2012;26:708-715. "
                     "doi:10.1038/leu.2011.255",
    "GrivennikovKarin2008": "Grivennikov S, Karin M. Autocrine IL-6 signaling: a key event in "
                            "tumorigenesis? Cancer Cell 2008;13:7-9. doi:10.1016/j.ccr.2007.12.020",
    "Gao2007": "Gao SP et al. Mutations in the EGFR kinase domain mediate STAT3 activation via IL-6 "
               "production in human lung adenocarcinomas. J Clin Invest 2007;117:3846-3856. "
               "doi:10.1172/JCI31871",
    "Chang2013": "Chang Q et al. The IL-6/JAK/Stat3 feed-forward loop drives tumorigenesis and metastasis. "
                 "Neoplasia 2013;15:848-862. doi:10.1593/neo.13706",
    "Lee2014": "Lee HJ et al. Drug resistance via feedback activation of Stat3 in oncogene-addicted cancer "
               "cells. Cancer Cell 2014;26:207-221. doi:10.1016/j.ccr.2014.05.019",
    "Matsushita2009": "Matsushita K et al. Zc3h12a is an RNase essential for controlling immune responses by "
                      "regulating mRNA decay. Nature 2009;458:1185-1190. doi:10.1038/nature07924",
    "Paschoud2006": "Paschoud S et al. Destabilization of interleukin-6 mRNA requires a putative RNA "
                    "stem-loop structure, an AU-rich element, and the RNA-binding protein AUF1. Mol "
                    "Cell Biol 2006;26:8228-8241. doi:10.1128/MCB.01155-06",
    "CODATA2018": "CODATA 2018 recommended values of the fundamental physical constants (exact SI value)",
    "SI": "definition of the SI prefixes and units",
}


def _p(value: float, unit: str, source: str, description: str = "") -> ParamSpec:
    return ParamSpec(float(value), unit, source, description)


#: The registry.  Keys are PySB / SBML parameter ids.
PARAMETERS: dict[str, ParamSpec] = {
    # ------------------------------------------------------------ inputs
    "IFNa_pM": _p(0, "pM", "input", "IFN-alpha2 concentration added to the medium at t = 0"),
    "IFNb_pM": _p(0, "pM", "input", "IFN-beta concentration added to the medium at t = 0"),
    "IFNg_pM": _p(0, "pM", "input", "IFN-gamma concentration added to the medium at t = 0"),
    "ruxolitinib_nM": _p(0, "nM", "input", "ruxolitinib concentration in the medium"),
    "tofacitinib_nM": _p(0, "nM", "input", "tofacitinib concentration in the medium"),
    "IR_Gy": _p(0, "Gy", "input", "ionising radiation dose given at t = 0"),
    "IL6_pM": _p(0, "pM", "input", "IL-6 concentration added to the medium at t = 0"),
    # ------------------------------------------------------------ constants
    "N_A": _p(6.02214076e23, "molecule/mol", "CODATA2018", "Avogadro constant"),
    "s_per_min": _p(60, "s/min", "SI", "seconds per minute"),
    "M_per_pM": _p(1e-12, "M/pM", "SI", "molar per picomolar"),
    "M_per_nM": _p(1e-9, "M/nM", "SI", "molar per nanomolar"),
    "V_medium": _p(1e-5, "L", "Kirby2021 (volEC = 1/cell density, 1e5 cells per L)",
                   "medium volume per cell"),
    "V_cyt": _p(1e-12, "L", "assumed: cytoplasmic volume of a ~12 um cell (1 pL), as in Kok2020",
                "cytoplasmic volume"),
    "V_nuc": _p(0.25e-12, "L", "assumed: nucleus a quarter of the cytoplasmic volume (Kok2020 uses a "
                "similar ratio)", "nuclear volume"),
    # ------------------------------------------------------------ receptors
    "IFNAR1_0": _p(2000, "molecule", "Kirby2021 (R1 = 2000; fitted 1970 for B cells)",
                   "IFNAR1:TYK2 per cell"),
    "IFNAR2_0": _p(2000, "molecule", "Kirby2021 (R2 = 2000; fitted 2093 for B cells)", "IFNAR2:JAK1 per cell"),
    "IFNGR1_0": _p(4000, "molecule", "assumed: 1e3-2e4 IFNGR1 per cell across cell types (Walter1995 "
                   "review of binding studies)", "IFNGR1:JAK1 per cell"),
    "IFNGR2_0": _p(1000, "molecule", "assumed: IFNGR2 limiting, a quarter of IFNGR1", "IFNGR2:JAK2 per cell"),
    # type I binding (Kirby2021 model defaults, ifnmodels/Mixed_IFN_ppCompatible.py: ka1/kd1, ka2/kd2
    # in M^-1 s^-1 before division by N_A*volEC; 2D recruitment ka3 = ka4 per molecule per s)
    "kon_IFNA2_IFNAR1": _p(2e5, "1/(M*s)", "Kirby2021 (ka1; after Thomas2011)"),
    "koff_IFNA2_IFNAR1": _p(1.0, "1/s", "Kirby2021 (kd1): Kd 5 uM"),
    "kon_IFNA2_IFNAR2": _p(3e6, "1/(M*s)", "Kirby2021 (ka2; after Lamken2004)"),
    "koff_IFNA2_IFNAR2": _p(0.015, "1/s", "Kirby2021 (kd2): Kd 5 nM"),
    "kon_IFNB1_IFNAR1": _p(3e5, "1/(M*s)", "Kirby2021 (k_a1): Kd 100 nM"),
    "koff_IFNB1_IFNAR1": _p(0.03, "1/s", "Kirby2021 (k_d1): IFN-beta binds IFNAR1 50x tighter than IFN-alpha2"),
    "kon_IFNB1_IFNAR2": _p(5e6, "1/(M*s)", "Kirby2021 (k_a2): Kd 0.4 nM"),
    "koff_IFNB1_IFNAR2": _p(0.002, "1/s", "Kirby2021 (k_d2)"),
    "ka_2D": _p(3.623188e-4, "1/(molecule*s)", "Kirby2021 (ka3 = ka4 = 1e-12/volPM): 2D recruitment of "
                "the second receptor chain"),
    "koff_2D_IFNA2_IFNAR1": _p(0.3, "1/s", "Kirby2021 (kd4): IFNAR1 leaving IFNa2:IFNAR2:IFNAR1"),
    "koff_2D_IFNB1_IFNAR1": _p(0.006, "1/s", "Kirby2021 (k_d4): IFNAR1 leaving IFNb:IFNAR2:IFNAR1"),
    # type II
    "kon_IFNG_IFNGR1": _p(5e7, "1/(M*s)", "Walter1995 and references therein: Kd about 0.1 nM"),
    "koff_IFNG_IFNGR1": _p(5e-3, "1/s", "Walter1995: Kd about 0.1 nM"),
    "koff_2D_IFNG_IFNGR2": _p(0.3, "1/s", "assumed: IFNGR2 binds IFNG:IFNGR1 weakly, as IFNAR1 binds "
                              "IFNa2:IFNAR2 (Kirby2021 kd4)"),
    # trafficking
    "kint_complex": _p(0.03, "1/min", "Kirby2021 (kint_a = 5e-4 1/s)",
                       "internalisation of ligand-bridged receptor complexes"),
    "krec_receptor": _p(0.006, "1/min", "Kirby2021 (krec_b1 = 1e-4 1/s)",
                        "recycling of endosomal receptor chains to the surface"),
    "kdeg_IFN_medium": _p(0.0, "1/min", "assumed: IFN stable in medium over hours (0 = no decay)",
                          "decay of IFN in the medium"),
    # ------------------------------------------------------------ kinases
    "kact_JAK": _p(6.0, "1/min", "assumed: JAK trans-phosphorylation within seconds of receptor "
                   "dimerisation (pSTAT1 detectable at 2.5 min, Kirby2021 data)",
                   "JAK trans-activation in a ligand-bridged complex"),
    "kcat_JAK1_IFNAR2_y512": _p(6.0, "1/min", "assumed: same time scale as JAK activation"),
    "kcat_JAK1_IFNGR1_y440": _p(6.0, "1/min", "assumed: same time scale as JAK activation"),
    "kdp_PTPN11_JAK": _p(2e-5, "1/(molecule*min)", "Yamada2003: SHP-2 dephosphorylates the receptor-JAK "
                         "complex (rescaled so that pJAK lasts ~5 min at PTPN11_0)"),
    "kdp_PTPN11_receptor": _p(2e-5, "1/(molecule*min)", "Yamada2003: SHP-2 dephosphorylates the receptor"),
    "PTPN11_0": _p(1e4, "molecule", "assumed: 1e4 SHP-2 per cell (Schwanhausser2011 median abundance)"),
    "V617F_activity": _p(0.005, "1/min", "James2005: JAK2 V617F constitutively phosphorylated; rate "
                         "assumed so that a minority of JAK2 is active at rest in the V617F variant",
                         "ligand-independent auto-activation of JAK2 V617F"),
    "kcat_JAK2V617F_STAT1": _p(1e-6, "1/(molecule*min)", "assumed: weak ligand-independent STAT1 "
                               "phosphorylation by active JAK2 V617F"),
    # JAK inhibitors: enzymatic IC50 at Km ATP, so Ki = IC50 / 2 (Cheng-Prusoff)
    "IC50_ruxolitinib_JAK1": _p(3.3, "nM", "QuintasCardama2010 Table 1"),
    "IC50_ruxolitinib_JAK2": _p(2.8, "nM", "QuintasCardama2010 Table 1"),
    "IC50_ruxolitinib_TYK2": _p(19, "nM", "QuintasCardama2010 Table 1"),
    "IC50_tofacitinib_JAK1": _p(3.2, "nM", "Meyer2010 Table 1 (enzyme assay)"),
    "IC50_tofacitinib_JAK2": _p(4.1, "nM", "Meyer2010 Table 1 (enzyme assay)"),
    "IC50_tofacitinib_TYK2": _p(34, "nM", "Meyer2010 Table 1 (enzyme assay)"),
    "fold_IC50_ruxolitinib_JAK2_G935R": _p(10, "dimensionless", "Deshpande2012: the JAK2 kinase-domain "
                                           "mutations of a ruxolitinib resistance screen raise the "
                                           "ruxolitinib EC50 of Ba/F3 JAK2 V617F cells 9- to 33-fold; "
                                           "G935R is one that confers resistance across JAK inhibitors "
                                           "(Weigert2012); 10, the low end of that range, not a figure "
                                           "for G935R alone",
                                           "fold rise of JAK2's ruxolitinib IC50 (and Kapp) in variant "
                                           "jak2_g935r"),
    "ATP_cell_over_Km": _p(50, "dimensionless", "assumed: 1-5 mM cellular ATP over JAK ATP Km of tens of "
                           "uM; explains ~100-fold weaker cellular than enzymatic potency "
                           "(QuintasCardama2010: cellular IC50 ~ 100-300 nM)",
                           "[ATP]cell / Km(ATP) for the Cheng-Prusoff shift"),
    # ------------------------------------------------------------ STATs
    "STAT1_0": _p(1e5, "molecule", "Kok2020 reports 4.9e5 STAT1 in Huh7.5 hepatoma cells; lymphocytes "
                  "are ~5x smaller: 1e5 (assumed scaling)", "total STAT1 protein at rest"),
    "STAT2_0": _p(5e4, "molecule", "Kok2020 (STAT2 lower than STAT1); assumed half of STAT1"),
    "IRF9_0": _p(2e4, "molecule", "Kok2020 (IRF9 limiting for ISGF3); assumed value"),
    "kf_STAT_dock": _p(1e6, "1/(M*s)", "assumed: diffusion-limited SH2-pY association, 1e6 M^-1 s^-1"),
    "kr_STAT_dock": _p(6.0, "1/min", "assumed: SH2-pY peptide Kd ~ 0.1-1 uM, off rate ~0.1 1/s"),
    "kcat_STAT_phos": _p(20, "1/min", "assumed: phosphorylation and release of a docked STAT in seconds"),
    "kf_pSTAT_dimer": _p(1e6, "1/(M*s)", "assumed: diffusion-limited reciprocal SH2-pY association"),
    "kr_pSTAT_dimer": _p(0.05, "1/min", "assumed: phospho-dimers stable (Kd ~ nM); Yamada2003 treats "
                         "the dimer as a stable unit"),
    "kf_IRF9_STAT2": _p(1e6, "1/(M*s)", "assumed: diffusion-limited association"),
    "kr_IRF9_STAT2": _p(0.06, "1/min", "assumed: stable ISGF3 (Kd ~ nM)"),
    "kimp_dimer": _p(0.3, "1/min", "Yamada2003 (0.005 1/s) and Kok2020 (4.3 1/h): nuclear accumulation "
                     "within 2-10 min"),
    "kimp_STAT": _p(0.01, "1/min", "assumed: slow carrier-independent import of unphosphorylated STAT"),
    "kexp_STAT": _p(0.03, "1/min", "assumed: export faster than import, so ~25% of STAT1 nuclear at rest"),
    "kdp_PTPN2_pSTAT1": _p(2e-5, "1/(molecule*min)", "Haspel1999 / tenHoeve2002: nuclear pSTAT1 lost "
                           "with t1/2 ~15 min after the signal stops; rate per TC45 molecule assumed"),
    "PTPN2_0": _p(1e4, "molecule", "assumed: 1e4 TC45 per cell (Schwanhausser2011 median abundance)"),
    "kdp_PTPN11_pSTAT1": _p(2e-6, "1/(molecule*min)", "Yamada2003: cytoplasmic SHP-2 dephosphorylation "
                            "of STAT1 slower than nuclear"),
    "kdeg_STAT1": _p(0.0005, "1/min", "Schwanhausser2011: STAT1 protein half-life ~ 1 day"),
    "kdeg_STAT1_mRNA": _p(0.002, "1/min", "Sharova2009: STAT1 mRNA half-life ~ 6 h"),
    "STAT1_mRNA_0": _p(50, "molecule", "assumed: 50 copies per cell (Schwanhausser2011 range)"),
    # ------------------------------------------------------------ transcription
    "K_ISRE": _p(500, "molecule", "assumed: half-maximal ISRE activity at 500 nuclear ISGF3"),
    "K_GAS": _p(500, "molecule", "assumed: half-maximal GAS activity at 500 nuclear GAF"),
    "n_hill": _p(2, "dimensionless", "assumed: cooperative occupation of tandem ISRE/GAS sites; an integer keeps "
                 "the Hill term defined for slightly negative solver values"),
    "vmax_SOCS1_mRNA": _p(5, "molecule/min", "assumed: strong induction of SOCS1 within 1 h"),
    "vmax_USP18_mRNA": _p(2, "molecule/min", "assumed"),
    "vmax_IRF1_mRNA": _p(5, "molecule/min", "assumed: IRF1 is an immediate-early GAS gene"),
    "vmax_IRF9_mRNA": _p(0.5, "molecule/min", "assumed"),
    "vmax_STAT1_mRNA": _p(1, "molecule/min", "assumed: STAT1 induced ~5-fold within a day"),
    "vmax_ISG_mRNA": _p(20, "molecule/min", "assumed: ISG reporter lumps several strong ISRE genes"),
    "w_GAS_on_ISRE": _p(0.1, "dimensionless", "assumed: GAF drives ISRE genes weakly (GAS-like elements)"),
    "w_ISRE_on_GAS": _p(0.1, "dimensionless", "assumed: ISGF3 drives GAS genes weakly"),
    "kdeg_SOCS1_mRNA": _p(0.027, "1/min", "Kok2020 fitted SOCS1 mRNA half-life 26 min"),
    "kdeg_USP18_mRNA": _p(0.006, "1/min", "assumed: half-life ~ 2 h"),
    "kdeg_IRF1_mRNA": _p(0.023, "1/min", "Sharova2009: IRF1 mRNA half-life ~ 30 min"),
    "kdeg_IRF9_mRNA": _p(0.003, "1/min", "assumed: half-life ~ 4 h"),
    "kdeg_ISG_mRNA": _p(0.002, "1/min", "Sharova2009: MX1/IFIT1/OAS1 mRNA half-lives of several hours"),
    "SOCS1_mRNA_0": _p(2, "molecule", "assumed: SOCS1 barely expressed at rest"),
    "USP18_mRNA_0": _p(0, "molecule", "assumed: USP18 negligible at rest (Kok2020 starts near zero); "
                       "a positive value would need the USP18:IFNAR2 equilibrium at t = 0"),
    "IRF1_mRNA_0": _p(0, "molecule", "assumed: IRF1 not expressed in resting cells"),
    "IRF9_mRNA_0": _p(10, "molecule", "assumed"),
    "ISG_mRNA_0": _p(10, "molecule", "assumed"),
    "ktl_SOCS1": _p(1.0, "1/min", "assumed: ~1 protein per mRNA per min, typical mammalian translation "
                    "rate (Schwanhausser2011)"),
    "ktl_USP18": _p(1.0, "1/min", "assumed: typical translation rate (Schwanhausser2011)"),
    "ktl_IRF1": _p(1.0, "1/min", "assumed: typical translation rate (Schwanhausser2011)"),
    "K_IRF1": _p(2000, "molecule", "assumed: half-maximal activation of IRF-E by 2e3 IRF1"),
    "kdeg_SOCS1": _p(0.015, "1/min", "Kok2020 fitted SOCS1 protein half-life 46 min"),
    "kdeg_USP18": _p(0.002, "1/min", "assumed: USP18 half-life ~ 6 h (Kok2020: slow USP18 turnover)"),
    "kdeg_IRF1": _p(0.023, "1/min", "assumed: IRF1 protein half-life ~ 30 min"),
    "kdeg_IRF9": _p(0.001, "1/min", "assumed: IRF9 half-life ~ 12 h"),
    # ------------------------------------------------------------ regulators
    "kf_SOCS1_JAK1": _p(1e6, "1/(M*s)", "assumed: diffusion-limited"),
    "kr_SOCS1_JAK1": _p(0.1, "1/min", "assumed: SOCS1 KIR-JAK complex Kd ~ 10 nM"),
    "kf_USP18_IFNAR2": _p(1e6, "1/(M*s)", "assumed: diffusion-limited"),
    "kr_USP18_IFNAR2": _p(0.6, "1/min", "assumed: Kd ~ 100 nM; Francois-Newton2011"),
    "PIAS1_0": _p(5000, "molecule", "assumed: 5e3 nuclear PIAS1 per cell"),
    "kf_PIAS1_STAT1": _p(2e5, "1/(M*s)", "assumed"),
    "kr_PIAS1_STAT1": _p(0.1, "1/min", "assumed"),
    "miRNA_0": _p(1000, "molecule", "assumed: 1e3 copies of lumped STAT1-targeting miRNA (miR-146a, Lu2010)"),
    "k_miRNA_STAT1_mRNA": _p(1e-6, "1/(molecule*min)", "assumed: doubles STAT1 mRNA decay at miRNA_0",
                             "miRNA-directed STAT1 mRNA decay"),
    # ------------------------------------------------------------ IL-6 -> gp130 -> STAT3
    "IL6R_0": _p(1500, "molecule", "Heinrich2003 (10^2-10^4 IL-6R alpha per cell across cell types; "
                 "hepatoma cells ~10^3); assumed 1500", "IL-6R alpha per cell"),
    "IL6ST_0": _p(5000, "molecule", "Heinrich2003 (gp130 expressed ubiquitously, in excess of IL-6R "
                  "alpha); assumed 5000", "gp130:JAK1 per cell"),
    "kon_IL6_IL6R": _p(1e6, "1/(M*s)", "Taga1989 (low-affinity IL-6:IL-6R alpha, Kd ~ 1 nM); association "
                       "rate assumed 1e6 M^-1 s^-1"),
    "koff_IL6_IL6R": _p(1e-3, "1/s", "Taga1989: Kd ~ 1 nM with kon_IL6_IL6R"),
    "koff_2D_IL6_IL6ST": _p(0.01, "1/s", "Taga1989: gp130 turns the ~1 nM site into a ~10-60 pM "
                            "high-affinity site; 2D off rate assumed so that IL-6:IL-6R alpha recruits most "
                            "free gp130 (with ka_2D)"),
    "kdeg_IL6_medium": _p(0.0, "1/min", "assumed: IL-6 stable in medium over hours (0 = no decay)"),
    "kcat_JAK1_IL6ST": _p(6.0, "1/min", "assumed: as kcat_JAK1_IFNAR2_y512 (Heinrich2003: gp130 "
                          "tyrosines phosphorylated within a minute of IL-6)"),
    "kdp_PTPN11_gp130": _p(2e-5, "1/(molecule*min)", "Heinrich2003 (SHP-2 recruited to gp130 pY759 "
                           "attenuates JAK1 signalling); rate per SHP-2 assumed equal to kdp_PTPN11_JAK"),
    "kint_IL6_complex": _p(0.01, "1/min", "Heinrich2003 (IL-6:IL-6R alpha:gp130 complexes are internalised "
                           "and IL-6 degraded in lysosomes); rate assumed (t1/2 ~ 70 min), chosen so that "
                           "without SOCS3 the IL-6 pSTAT3 response stays high for 2 h as in Croker2003"),
    "w_STAT1_IL6ST": _p(0.5, "dimensionless", "Gerhartz1996: STAT1 docks on 2 (Y905, Y915) of the 4 "
                        "distal gp130 tyrosines that dock STAT3"),
    "w_STAT3_IFNGR1": _p(0.2, "dimensionless", "QingStark2004: IFN-gamma activates STAT3 through IFNGR1 "
                         "Y440, weakly in wild-type cells; relative docking rate assumed 0.2 of STAT1's"),
    "STAT3_0": _p(1e5, "molecule", "assumed: as STAT1_0 (STAT1 and STAT3 of similar abundance, "
                  "Schwanhausser2011)", "total STAT3 protein at rest"),
    "kdp_PTPN2_pSTAT3": _p(2e-5, "1/(molecule*min)", "Yamamoto2002: nuclear TC45 (PTPN2) dephosphorylates "
                           "STAT3; rate assumed equal to kdp_PTPN2_pSTAT1"),
    "kdp_PTPN2_pSTAT3_dimer": _p(2e-5, "1/(molecule*min)", "Yamamoto2002: TC45 dephosphorylates nuclear "
                                 "STAT3 and ends IL-6 signalling; dimer-bound STAT3 assumed a substrate at "
                                 "the monomer's rate (pSTAT3 falls within an hour of IL-6, Heinrich2003)"),
    "kdp_PTPN11_pSTAT3": _p(2e-6, "1/(molecule*min)", "Yamada2003 / Heinrich2003: cytoplasmic SHP-2; "
                            "assumed equal to kdp_PTPN11_pSTAT1"),
    "PIAS3_0": _p(5000, "molecule", "Chung1997 (PIAS3 binds activated STAT3, blocks DNA binding); "
                  "amount assumed as PIAS1_0"),
    "kf_PIAS3_STAT3": _p(2e5, "1/(M*s)", "assumed: as kf_PIAS1_STAT1"),
    "kr_PIAS3_STAT3": _p(0.1, "1/min", "assumed: as kr_PIAS1_STAT1"),
    "K_SIE": _p(500, "molecule", "assumed: half-maximal SOCS3 promoter activity at 500 nuclear STAT3 "
                "dimers, as K_GAS"),
    "w_STAT1_STAT3_on_SIE": _p(0.5, "dimensionless", "assumed: STAT1:STAT3 heterodimers bind the SOCS3 "
                               "promoter's STAT element, with half the weight of STAT3 homodimers"),
    "vmax_SOCS3_mRNA": _p(50, "molecule/min", "assumed: SOCS3 mRNA rises within 30 min of IL-6, as in "
                          "the hepatocyte time courses modelled by Singh2006 and Sobotta2017"),
    "kdeg_SOCS3_mRNA": _p(0.023, "1/min", "assumed: SOCS3 is an unstable immediate-early transcript, "
                          "half-life ~ 30 min (as kdeg_IRF1_mRNA)"),
    "SOCS3_mRNA_0": _p(2, "molecule", "assumed: SOCS3 barely expressed at rest"),
    "ktl_SOCS3": _p(1.0, "1/min", "assumed: typical translation rate (Schwanhausser2011)"),
    "kdeg_SOCS3": _p(0.012, "1/min", "assumed: SOCS3 protein short-lived, half-life ~ 1 h"),
    "kf_SOCS3_IL6ST": _p(1e6, "1/(M*s)", "assumed: diffusion-limited SH2-pY association"),
    "kr_SOCS3_IL6ST": _p(0.6, "1/min", "Nicholson2000: SOCS3 binds the gp130 pY757/759 peptide "
                         "tightly (sub-uM); off rate assumed 0.01 1/s"),
    # ------------------------------------------------------------ autocrine IL-6 (variant il6_autocrine)
    "vmax_IL6_mRNA": _p(5, "molecule/min", "assumed: as vmax_IRF1_mRNA; IL6 is a STAT3 target gene in "
                        "STAT3-driven tumour cells (GrivennikovKarin2008; Chang2013)",
                        "maximal STAT3-driven IL6 transcription"),
    "kdeg_IL6_mRNA": _p(0.023, "1/min", "Paschoud2006: IL-6 mRNA is degraded with a half-life of 30 "
                        "min (ln 2 / 30 min), an AU-rich transcript (also cut by Regnase-1, "
                        "Matsushita2009)"),
    "IL6_secretion_pM_per_min": _p(0.2, "pM/min", "assumed: at full STAT3 promoter activity IL-6 "
                                   "accumulates at 12 pM/h (~6 ng/mL per day), the order of the ng/mL "
                                   "IL-6 in 1-2-day conditioned media of IL-6-autocrine tumour cells "
                                   "(Gao2007; Chang2013)",
                                   "rise of the medium's IL-6 at full STAT3 promoter activity"),
    # ------------------------------------------------------------ radiation
    "DSB_per_Gy": _p(35, "molecule/Gy", "Rothkamm2003: ~35 DNA double-strand breaks per Gy per cell"),
    "krep_DSB": _p(0.006, "1/min", "Rothkamm2003: DSB repair half-time ~ 2 h"),
    "kMN_DSB": _p(0.0005, "1/min", "Harding2017: micronuclei appear after mitosis, a day after IR"),
    "kdeg_MN": _p(0.0005, "1/min", "assumed: micronuclei persist ~1 day"),
    "CGAS_0": _p(1e4, "molecule", "assumed: 1e4 cGAS per cell"),
    "STING1_0": _p(1e4, "molecule", "assumed: 1e4 STING per cell"),
    "kact_CGAS_MN": _p(1e-3, "1/(molecule*min)", "Harding2017: cGAS localises to ruptured micronuclei"),
    "kinact_CGAS": _p(0.05, "1/min", "assumed"),
    "kact_STING1": _p(1e-5, "1/(molecule*min)", "assumed: cGAMP-mediated STING activation"),
    "kinact_STING1": _p(0.05, "1/min", "assumed"),
    "vmax_IFNB1_mRNA": _p(0.002, "1/min", "assumed: per active STING (IRF3)"),
    "kdeg_IFNB1_mRNA": _p(0.02, "1/min", "assumed: IFNB1 mRNA half-life ~ 30 min"),
    "ksec_IFNB1": _p(0.5, "1/min", "assumed: translation and secretion per mRNA (Burnette2011: tens "
                     "of pg/mL IFN-beta 1-3 days after 10-20 Gy)"),
}
