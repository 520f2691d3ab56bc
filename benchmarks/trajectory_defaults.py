"""Measure one choice of trajectory-classifier defaults on one data set.

The defaults of ``TrajectoryScaler`` and ``LSTMTrajectoryClassifier`` were chosen
with this script: each call scores the three-step pipeline

    make_pipeline(VelocityTransformer(), TrajectoryScaler(**SCALER),
                  LSTMTrajectoryClassifier(random_state=0, **CLASSIFIER))

on one data set, with the folds of ``bench_trajectory_quality.py``, and prints
one line. The table of the calls made is in
``benchmarks/results/trajectory_defaults_cpu.md``.

Usage (from the repository root)::

    python benchmarks/trajectory_defaults.py make_trajectories --classifier '{"augment": false}'
    python benchmarks/trajectory_defaults.py leuko --scaler '{"per_trajectory": true}'
    python benchmarks/trajectory_defaults.py andi_2k --one-fold

``make_trajectories``: accuracy, StratifiedKFold(5); ``leuko``: macro-F1,
StratifiedGroupKFold by donor (``--leuko PATH``, default
``../shared/data/leuko_ghent_tracks.csv.gz``); ``andi_2k``: micro-F1 on
``make_anomalous_diffusion(2000, n_dims=2, length=(10, 1000))``,
StratifiedKFold(5). ``--one-fold`` scores only the first fold (5x cheaper, for
screening). Pooled out-of-fold predictions otherwise. ``--random-state`` changes the
classifier's seed (default 0), to re-check a difference smaller than the
seed-to-seed spread (about 0.01 in macro-F1 on Leuko).
"""

from __future__ import annotations

import argparse
import json
import time
import warnings
from pathlib import Path

import numpy as np
import torch
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold, cross_val_predict
from sklearn.pipeline import make_pipeline

import sklearn_cells as sc

ROOT = Path(__file__).resolve().parents[1]


def _objects(X) -> np.ndarray:
    out = np.empty(len(X), dtype=object)
    for i, x in enumerate(X):  # item by item: equal lengths must not become a 3-D array
        out[i] = x
    return out


def load(name: str, leuko: Path):
    """X, y, the folds and the metric of one data set."""
    if name == "make_trajectories":
        X, y = sc.make_trajectories(random_state=0)[:2]
        X, y = _objects(X), np.asarray(y)
        return X, y, list(StratifiedKFold(5, shuffle=True, random_state=0).split(X, y)), "accuracy"
    if name == "leuko":
        data = sc.load_tracks_csv(leuko, label_col="label", group_col="donor",
                                  fill_gaps="interpolate", min_length=10)
        X, y, groups = _objects(data.data), np.asarray(data.target), np.asarray(data.groups)
        cv = StratifiedGroupKFold(len(set(groups)), shuffle=True, random_state=0)
        return X, y, list(cv.split(X, y, groups)), "macro_f1"
    if name == "andi_2k":
        X, y, _ = sc.make_anomalous_diffusion(2000, n_dims=2, length=(10, 1000), random_state=0)
        X = _objects(X)
        return X, y, list(StratifiedKFold(5, shuffle=True, random_state=0).split(X, y)), "micro_f1"
    raise ValueError(f"unknown data set {name!r}")


def main() -> None:
    parser = argparse.ArgumentParser(description="Score one choice of trajectory defaults.")
    parser.add_argument("data", choices=["make_trajectories", "leuko", "andi_2k"])
    parser.add_argument("--scaler", default="{}", help="TrajectoryScaler parameters (JSON)")
    parser.add_argument("--classifier", default="{}",
                        help="LSTMTrajectoryClassifier parameters (JSON)")
    parser.add_argument("--one-fold", action="store_true", help="score the first fold only")
    parser.add_argument("--random-state", type=int, default=0,
                        help="the classifier's seed (re-check a small difference with another)")
    parser.add_argument("--n-jobs", type=int, default=1)
    parser.add_argument("--leuko", type=Path,
                        default=ROOT.parent / "shared" / "data" / "leuko_ghent_tracks.csv.gz")
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    torch.set_num_threads(1)

    X, y, cv, metric = load(args.data, args.leuko)
    pipe = make_pipeline(sc.VelocityTransformer(), sc.TrajectoryScaler(**json.loads(args.scaler)),
                         sc.LSTMTrajectoryClassifier(random_state=args.random_state,
                                                     **json.loads(args.classifier)))
    start = time.perf_counter()
    if args.one_fold:
        train, test = cv[0]
        y_true, y_pred = y[test], pipe.fit(X[train], y[train]).predict(X[test])
        epochs = f", {len(pipe[-1].history_)} epochs"
    else:
        y_true, y_pred = y, cross_val_predict(pipe, X, y, cv=cv, n_jobs=args.n_jobs)
        epochs = ""
    score = (f1_score(y_true, y_pred, average="macro") if metric == "macro_f1"
             else accuracy_score(y_true, y_pred))
    seed = f" random_state={args.random_state}" if args.random_state else ""
    print(f"{args.data} scaler={args.scaler} classifier={args.classifier}{seed}"
          f"{' one fold' if args.one_fold else ''}: {metric} {score:.3f} "
          f"({time.perf_counter() - start:.0f} s{epochs})", flush=True)


if __name__ == "__main__":
    main()
