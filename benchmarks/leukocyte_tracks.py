"""Real data: classify leukocyte tracks by treatment, split by donor.

Data: ``leuko_ghent_tracks.csv.gz`` (4 treatments x 4 donors; not shipped with the
package). Evaluation: leave-one-donor-out (``GroupKFold`` on donor), macro-F1, the
LSTM pipeline against an SVC on hand-made trajectory features in the same folds.

Usage::

    python benchmarks/leukocyte_tracks.py PATH/TO/leuko_ghent_tracks.csv.gz [--out benchmarks/results]
"""

from __future__ import annotations

import argparse
import json
import warnings
import platform
import time
from pathlib import Path

import numpy as np
import torch
from imblearn.pipeline import make_pipeline as make_imb_pipeline
from sklearn.metrics import f1_score
from sklearn.model_selection import GroupKFold, cross_validate
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from sklearn_cells import (
    LSTMTrajectoryClassifier,
    PolarVelocityTransformer,
    TrajectoryFeatures,
    TrajectoryScaler,
    TrajectoryWindowSampler,
    VelocityTransformer,
    load_tracks_csv,
)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path")
    parser.add_argument("--out", default="benchmarks/results")
    parser.add_argument("--max-epochs", type=int, default=15)
    parser.add_argument("--window", type=int, default=30)
    parser.add_argument("--n-jobs", type=int, default=1)
    parser.add_argument("--early-stopping", action="store_true",
                        help="stop on the loss of a validation split of the training windows")
    args = parser.parse_args()
    torch.set_num_threads(1)
    warnings.filterwarnings("ignore", message=".*shorter than window_length")

    # Every track of 3+ points is classified; only training windows need window+1 points.
    data = load_tracks_csv(args.path, label_col="label", group_col="donor",
                           fill_gaps="interpolate", min_length=3)
    X, y, groups = data.data, data.target, data.groups
    print(f"{len(X)} tracks, labels {dict(zip(*np.unique(y, return_counts=True)))}, "
          f"donors {np.unique(groups).tolist()}")

    lstm = make_imb_pipeline(
        VelocityTransformer(), PolarVelocityTransformer(), TrajectoryScaler(method="robust"),
        TrajectoryWindowSampler(window_length=args.window),
        LSTMTrajectoryClassifier(hidden_size=16, lr=1e-2, augment=False, lr_schedule=None,
                                 crop_length=None, max_epochs=args.max_epochs,
                                 early_stopping=args.early_stopping, n_iter_no_change=3,
                                 random_state=0),
    )
    svc = make_pipeline(TrajectoryFeatures(), StandardScaler(), SVC(class_weight="balanced"))
    cv = GroupKFold(n_splits=len(np.unique(groups)))
    results = {}
    for name, model in (("SVC on TrajectoryFeatures", svc), ("LSTM pipeline", lstm)):
        start = time.perf_counter()
        r = cross_validate(model, X, y, groups=groups, cv=cv, scoring="f1_macro",
                           n_jobs=args.n_jobs, return_estimator=True, return_indices=True)
        per_class = np.mean([
            f1_score(y[test], est.predict([X[i] for i in test]), labels=np.unique(y), average=None)
            for est, test in zip(r["estimator"], r["indices"]["test"])
        ], axis=0)
        results[name] = {
            "macro_f1_per_fold": r["test_score"].round(4).tolist(),
            "macro_f1_mean": float(r["test_score"].mean()),
            "f1_per_class": dict(zip(np.unique(y).tolist(), per_class.round(3).tolist())),
            "seconds": round(time.perf_counter() - start, 1),
        }
        print(name, json.dumps(results[name]))

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    machine = f"{platform.platform()}, {platform.processor() or platform.machine()}, " \
              f"torch {torch.__version__}, 1 torch thread, CPU"
    lines = [
        "# Leukocyte tracks by treatment, leave-one-donor-out", "",
        f"Machine: {machine}", "",
        f"Command: `python benchmarks/leukocyte_tracks.py PATH/leuko_ghent_tracks.csv.gz "
        f"--max-epochs {args.max_epochs} --window {args.window}"
        f"{' --early-stopping' if args.early_stopping else ''}`", "",
        f"{len(X)} tracks (3+ points, gaps interpolated); the LSTM trains on "
        f"{args.window}-step windows of the tracks long enough and predicts every track. "
        "GroupKFold by donor (4 folds), macro-F1.", "",
        "| model | macro-F1 (mean) | per fold | F1 per class | time |",
        "| --- | --- | --- | --- | --- |",
    ]
    for name, r in results.items():
        lines.append(f"| {name} | {r['macro_f1_mean']:.3f} | {r['macro_f1_per_fold']} | "
                     f"{r['f1_per_class']} | {r['seconds']:.0f} s |")
    (out / "leukocyte_tracks.md").write_text("\n".join(lines) + "\n")
    (out / "leukocyte_tracks.json").write_text(json.dumps({"machine": machine, **results}, indent=2))


if __name__ == "__main__":
    main()
