"""What replicate noise allows: the scale-aligned mean of the training experiments
predicting the validation experiment (the bar for the model).

Each training experiment (B cells, 20190108/20190119/20190121) is brought to the
scale of the first by a least-squares scale factor, the three are averaged
well by well (same cytokine, dose, time), and the validation experiment
(20190214) is predicted by that mean times its own least-squares scale factor,
the only parameter a model prediction is allowed to re-estimate too.

Usage::

    .venv/bin/python calibration/kirby2021/replicate_baseline.py [--data DIR]
"""
from __future__ import annotations

import argparse
import json

import numpy as np

from jakstat_rules.data.kirby import TRAIN_EXPERIMENTS, VALIDATION_EXPERIMENTS, load_kirby
from jakstat_rules.calibrate.validate import prediction_metrics



def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=None, help="Kirby data folder (default: $JAKSTAT_DATA or "
                                                 "../shared/data/kirby2021)")
    args = ap.parse_args()
    data = load_kirby(args.data)
    table = data.pivot_table(index=["cytokine", "conc_M", "time_min"], columns="experiment",
                             values="B cells")
    ref = table[TRAIN_EXPERIMENTS[0]]
    aligned = []
    for exp in TRAIN_EXPERIMENTS:
        y = table[exp]
        s = float(np.dot(y, ref) / np.dot(y, y))
        aligned.append(s * y)
    mean = np.mean(aligned, axis=0)
    val = table[VALIDATION_EXPERIMENTS[0]].to_numpy()
    s = float(np.dot(mean, val) / np.dot(mean, mean))
    metrics = prediction_metrics(val, s * mean)
    print(json.dumps({"baseline": "scale-aligned mean of training experiments",
                      "validation": VALIDATION_EXPERIMENTS[0], "n": int(len(val)),
                      **{k: round(v, 4) for k, v in metrics.items()}}, indent=1))


if __name__ == "__main__":
    main()
