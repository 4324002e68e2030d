#!/usr/bin/env bash
# The reference fit of the model to Kirby et al. 2021 (B cells), step by step.
# Data: the copy shipped in jakstat_rules/data/kirby2021 (or $JAKSTAT_DATA); nothing derived
# from them is committed except the summaries copied at the end.
set -euo pipefail
cd "$(dirname "$0")/../.."
J=.venv/bin/jakstat
WORK=${WORK:-results/kirby2021}
STARTS=${STARTS:-16}
WORKERS=${WORKERS:-2}

# 1. PEtab problems (train: 20190108, 20190119, 20190121; validation: 20190214)
$J data petab --out "$WORK/petab" --petab-version 1  # the PEtab version of the committed fit
# 2. multistart fit (resumable: re-run the same command to continue). Exact derivatives (AMICI
#    forward sensitivities, one simulation per distinct dose): about 3x faster per start than
#    finite differences on the core, same optima (docs/calibration.md, "Exact gradients").
#    --rtol 1e-6 --atol 1e-6 (integration) and --tol 1e-6 (optimiser): 2.3x faster than
#    --rtol 1e-8 --tol 1e-8 and, on this problem (no pre-equilibration; amounts of 1e2-1e5
#    molecules per cell), the same optimum (to 5e-5 in the NLL, checked at rtol 1e-10) and the
#    same split of the 16 starts (docs/benchmarks.md, target 1).
$J calibrate "$WORK/petab/train/problem.yaml" --starts "$STARTS" --seed 1 --workers "$WORKERS" \
   --out "$WORK/fit" --export-sbml --gradient exact --optimizer trf \
   --rtol 1e-6 --atol 1e-6 --tol 1e-6 --no-progress
# 3. prediction of the validation experiment (only its scale and noise re-estimated)
$J validate "$WORK/fit" "$WORK/petab/validation/problem.yaml" --out "$WORK/validation"
# 4. profile likelihoods of the model parameters (default budget: 20 points per side;
#    MAX_STEPS=N overrides it)
$J profile "$WORK/petab/train/problem.yaml" --fit "$WORK/fit" --out "$WORK/profiles" \
   --workers "$WORKERS" ${MAX_STEPS:+--max-steps "$MAX_STEPS"} \
   --parameters kon_IFNA2_IFNAR2 kon_IFNB1_IFNAR2 kcat_STAT_phos kdp_PTPN2_pSTAT1 kr_pSTAT_dimer kint_complex
# 5. what replicate noise allows
.venv/bin/python calibration/kirby2021/replicate_baseline.py > "$WORK/replicate_baseline.json"
# 6. copy the small summaries next to this script
OUT=calibration/kirby2021/results
mkdir -p "$OUT"
cp "$WORK"/fit/{summary.json,best_parameters.tsv,optimize_result.tsv,waterfall.png,parameters.png} "$OUT"/
cp "$WORK"/fit/fit.png "$OUT"/fit_training.png
cp "$WORK"/validation/{validation.json,prediction.png} "$OUT"/
cp "$WORK"/validation/fit.png "$OUT"/validation_fit.png
cp "$WORK"/profiles/profiles.json "$OUT"/
cp "$WORK"/profiles/*.png "$OUT"/
cp "$WORK/replicate_baseline.json" "$OUT"/
