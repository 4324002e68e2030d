"""Small example models and PEtab problems with a known answer.

Two uses: tests and benchmarks need problems whose true parameters are known,
and the Kirby PEtab writer needs a model honouring the model contract before
the real JAK-STAT model is exported.  Nothing here is biology to be trusted:

* :data:`STANDIN_ANTIMONY` is a five-reaction caricature of IFN -> receptor ->
  STAT1 phosphorylation with the contract ids (``IFNa_pM``, ``IFNb_pM``,
  ``pSTAT1_total``, time in minutes, molecules per cell, resting at zero dose)
  and the parameter names of :data:`jakstat_rules.data.kirby.ESTIMATED_PARAMETERS`.
* :func:`write_example_problem` writes a two-state conversion model
  ``A -> B -> 0`` observed through a scale factor, with data simulated from
  known parameters.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
from petab.v1 import C

from jakstat_rules.io import atomic_write

__all__ = ["STANDIN_ANTIMONY", "write_standin_sbml", "EXAMPLE_TRUE",
           "write_example_problem"]

STANDIN_ANTIMONY = """
model jakstat_standin
  // time in minutes, amounts in molecules per cell, doses in pM
  compartment cell = 1
  IFNa_pM = 0; IFNb_pM = 0
  kon_IFNA2_IFNAR2 = 2e-4   // per pM per min
  kon_IFNB1_IFNAR2 = 5e-3   // per pM per min
  kr_IFN_IFNAR = 0.05       // per min
  kint_complex = 0.03       // per min, internalisation of bound receptor
  kr_pSTAT_dimer = 0.5      // per min, dissociation of pSTAT1 dimers
  kf_dimer = 0.2            // per min, pseudo-first-order dimerisation
  kcat_STAT_phos = 2e-4     // per bound receptor per min
  kdp_PTPN2_pSTAT1 = 0.08   // per min, dephosphorylation
  IFNAR_0 = 2000
  STAT1_0 = 5e4
  species IFNAR in cell, IFNAR_a in cell, IFNAR_b in cell
  species STAT1 in cell, pSTAT1 in cell, pSTAT1_d in cell
  substanceOnly species IFNAR, IFNAR_a, IFNAR_b, STAT1, pSTAT1, pSTAT1_d
  IFNAR = IFNAR_0; IFNAR_a = 0; IFNAR_b = 0
  STAT1 = STAT1_0; pSTAT1 = 0; pSTAT1_d = 0
  bind_a: IFNAR -> IFNAR_a; kon_IFNA2_IFNAR2 * IFNa_pM * IFNAR - kr_IFN_IFNAR * IFNAR_a
  bind_b: IFNAR -> IFNAR_b; kon_IFNB1_IFNAR2 * IFNb_pM * IFNAR - 0.1 * kr_IFN_IFNAR * IFNAR_b
  int_a: IFNAR_a -> ; kint_complex * IFNAR_a
  int_b: IFNAR_b -> ; kint_complex * IFNAR_b
  dimer: pSTAT1 -> pSTAT1_d; kf_dimer * pSTAT1 - kr_pSTAT_dimer * pSTAT1_d
  phos: STAT1 -> pSTAT1; kcat_STAT_phos * (IFNAR_a + IFNAR_b) * STAT1
  dephos: pSTAT1 -> STAT1; kdp_PTPN2_pSTAT1 * pSTAT1
  pSTAT1_total := pSTAT1 + pSTAT1_d
end
"""


def write_standin_sbml(path: str | os.PathLike) -> Path:
    """Write the stand-in JAK-STAT model (:data:`STANDIN_ANTIMONY`) as SBML.

    Parameters
    ----------
    path
        Output file.

    Returns
    -------
    pathlib.Path
        The written file.
    """
    import tellurium as te

    return atomic_write(path, te.antimonyToSBML(STANDIN_ANTIMONY))


_EXAMPLE_ANTIMONY = """
model conversion
  compartment c = 1
  k1 = 0.3; k2 = 0.05; A0 = 10
  species A in c, B in c
  A = A0; B = 0
  conv: A -> B; k1 * A
  deg: B -> ; k2 * B
end
"""

#: True parameters of :func:`write_example_problem`.
EXAMPLE_TRUE = {"k1": 0.3, "k2": 0.05, "scale": 2.5}


def write_example_problem(out_dir: str | os.PathLike, noise_sd: float = 0.0,
                          seed: int = 0, estimate_sigma: bool = False) -> Path:
    """Write a PEtab problem with data simulated from :data:`EXAMPLE_TRUE`.

    Model ``A -> B -> 0`` (rates ``k1``, ``k2``), two conditions
    (``A0`` = 10 or 4), observables ``A`` and ``scale * B`` with normal
    noise (observing ``A`` makes ``k1`` and ``k2`` identifiable).  The data
    are simulated on the simulation core (:class:`~jakstat_rules.engine.Engine`).

    Parameters
    ----------
    out_dir
        Folder for ``problem.yaml`` and its tables.
    noise_sd
        Standard deviation of the Gaussian noise added to the data.
    seed
        Seed of the noise.
    estimate_sigma
        Estimate the noise SD ``sigma`` (else fixed at ``max(noise_sd, 0.05)``).

    Returns
    -------
    pathlib.Path
        The YAML file.
    """
    import tellurium as te

    from jakstat_rules.engine import Engine

    from ..petab_io import write_problem

    sbml = te.antimonyToSBML(_EXAMPLE_ANTIMONY)
    engine = Engine(sbml)
    times = np.array([0.5, 1, 2, 4, 7, 10, 15, 20, 30, 45])
    rng = np.random.default_rng(seed)
    rows = []
    for cid, a0 in (("high", 10.0), ("low", 4.0)):
        engine.start({"k1": EXAMPLE_TRUE["k1"], "k2": EXAMPLE_TRUE["k2"], "A0": a0})
        res = engine.simulate([0.0, *times.tolist()], ["A", "B"])
        for obs, col, factor in (("A_obs", 0, 1.0), ("B_obs", 1, EXAMPLE_TRUE["scale"])):
            y = factor * res[1:, col] + noise_sd * rng.standard_normal(len(times))
            for t, v in zip(times, y):
                rows.append({C.OBSERVABLE_ID: obs, C.SIMULATION_CONDITION_ID: cid,
                             C.MEASUREMENT: v, C.TIME: t,
                             C.OBSERVABLE_PARAMETERS: "scale" if obs == "B_obs" else "",
                             C.NOISE_PARAMETERS: "sigma" if estimate_sigma else
                             max(noise_sd, 0.05)})
    conditions = pd.DataFrame({C.CONDITION_ID: ["high", "low"], "A0": [10.0, 4.0]})
    observables = pd.DataFrame([{
        C.OBSERVABLE_ID: "B_obs", C.OBSERVABLE_FORMULA: "observableParameter1_B_obs * B",
        C.NOISE_FORMULA: "noiseParameter1_B_obs", C.NOISE_DISTRIBUTION: C.NORMAL,
        C.OBSERVABLE_TRANSFORMATION: C.LIN}, {
        C.OBSERVABLE_ID: "A_obs", C.OBSERVABLE_FORMULA: "A",
        C.NOISE_FORMULA: "noiseParameter1_A_obs", C.NOISE_DISTRIBUTION: C.NORMAL,
        C.OBSERVABLE_TRANSFORMATION: C.LIN}])
    par = [{C.PARAMETER_ID: pid, C.PARAMETER_SCALE: C.LOG10, C.LOWER_BOUND: lb,
            C.UPPER_BOUND: ub, C.NOMINAL_VALUE: nominal, C.ESTIMATE: 1}
           for pid, lb, ub, nominal in (("k1", 1e-3, 10.0, 0.1), ("k2", 1e-3, 10.0, 0.1),
                                        ("scale", 1e-2, 1e2, 1.0))]
    if estimate_sigma:
        par.append({C.PARAMETER_ID: "sigma", C.PARAMETER_SCALE: C.LOG10,
                    C.LOWER_BOUND: 1e-3, C.UPPER_BOUND: 10.0, C.NOMINAL_VALUE: 0.1,
                    C.ESTIMATE: 1})
    return write_problem(out_dir, sbml, conditions.set_index(C.CONDITION_ID),
                         observables.set_index(C.OBSERVABLE_ID), pd.DataFrame(rows),
                         pd.DataFrame(par).set_index(C.PARAMETER_ID))
