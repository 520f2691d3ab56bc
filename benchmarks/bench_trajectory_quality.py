"""Trajectory classification quality: the table of the trajectory-quality issue.

What it measures: pooled out-of-fold scores (``cross_val_predict`` on one fixed
list of splits per data set, the same splits for every model) of

* ``default``: ``make_pipeline(VelocityTransformer(), TrajectoryScaler(),
  LSTMTrajectoryClassifier(random_state=0))``, the library's defaults;
  ``default_seed1``, ``default_seed2``: the same with ``random_state=1, 2`` (the
  seed-to-seed spread); ``no_boosting``: the same with ``feature_boosting=False``;
  ``no_track_features``: the same with ``track_features=False``;
* ``lstm``, ``gru``, ``cnn_lstm``: the same pipeline with
  ``LSTMTrajectoryClassifier(architecture=..., bidirectional=..., random_state=0)``
  (bidirectional only for ``cnn_lstm``); when ``lstm`` has exactly the default's
  parameters, the default's predictions are reused instead of refitting;
* ``svc``: ``TrajectoryFeatures() + StandardScaler() + SVC(class_weight="balanced")``;
* ``hgb``: ``TrajectoryFeatures() + HistGradientBoostingClassifier(class_weight="balanced",
  random_state=0)``;

on these data sets (rows; the first six run by default):

* ``make_trajectories``: ``make_trajectories(random_state=0)``, StratifiedKFold(5,
  shuffle, seed 0); accuracy. Same setup as ``../shared/tools/check_defaults.py``.
* ``leuko``: the Ghent leukocyte tracks (``load_tracks_csv(..., fill_gaps="interpolate",
  min_length=10)``), StratifiedGroupKFold by donor (one fold per donor, shuffle, seed 0);
  macro-F1. ``leuko_essen``: the Essen tracks beside it, StratifiedGroupKFold(3) by
  patient. Skipped with a note if the files are absent.
* ``long_range``: ``make_long_range_trajectories(200, random_state=0)`` (free, trapped,
  drifting: the same steps and turns, different long-range structure); accuracy.
* ``official_2k``, ``official_10k``: tracks of the official AnDi 2020 generator (task 2,
  2-D, lengths 10-999), written by ``benchmarks/andi_official_tracks.py`` into
  ``--andi-dir`` (outside the repository); micro-F1. Skipped if absent.
* ``andi_2k``, ``andi_10k``: ``make_anomalous_diffusion(2000 or 10000, n_dims=2,
  length=(10, 1000), random_state=0)``; micro-F1.

All with StratifiedKFold(5, shuffle, seed 0) unless said. Each cell also records
accuracy, macro-F1, per-class F1 and its wall time. Under the table, the issue's
must-reach checks are reported as met / not met.

How to run (from the repository root, package installed)::

    python benchmarks/bench_trajectory_quality.py --models default,svc,hgb
    python benchmarks/bench_trajectory_quality.py --rows leuko --models default,default_seed1,default_seed2,svc,hgb
    python benchmarks/bench_trajectory_quality.py --quick --n-jobs 1 # smoke run (< 2 min)

On a 2-core CPU with ``--n-jobs 2`` the default takes about 1.5 min on long_range,
7 min on make_trajectories, 3 min per seed on leuko, 9 min on official_2k; the feature
models seconds. ``--rows`` and ``--models`` split the work over several invocations:
results are MERGED into ``<out>/trajectory_quality_cpu.json`` (the cells just computed
replace the stored ones, the others are kept) and ``trajectory_quality_cpu.md`` is
regenerated from the merged JSON. ``--quick`` uses tiny data and ``max_epochs=2`` and
writes ``*_quick.*`` files, so it never touches the real results.

Folds run in parallel with ``--n-jobs`` (joblib's loky workers, limited to one
thread each; ``torch.set_num_threads(1)`` in the main process). Warnings (short
tracks, sklearn) are silenced, as in ``check_defaults.py``.
"""

from __future__ import annotations

import argparse
import datetime
import json
import shlex
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import torch
from joblib import Parallel, delayed, parallel_config
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold, cross_val_predict
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from sklearn_cells import (
    LSTMTrajectoryClassifier,
    TrajectoryFeatures,
    TrajectoryScaler,
    VelocityTransformer,
    load_tracks_csv,
    make_long_range_trajectories,
    make_trajectories,
)
from sklearn_cells.datasets import make_anomalous_diffusion

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _machine import machine  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_LEUKO = ROOT.parent / "shared" / "data" / "leuko_ghent_tracks.csv.gz"
DEFAULT_ESSEN = DEFAULT_LEUKO.with_name("leuko_essen_tracks.csv.gz")

ROWS = ("make_trajectories", "leuko", "leuko_essen", "long_range", "official_2k",
        "official_10k", "andi_2k", "andi_10k")
MODELS = ("default", "default_seed1", "default_seed2", "no_boosting", "no_track_features",
          "lstm", "gru", "cnn_lstm", "svc", "hgb")
NEURAL = ("default", "default_seed1", "default_seed2", "no_boosting", "no_track_features",
          "lstm", "gru", "cnn_lstm")
ARCHITECTURES = {"lstm": False, "gru": False, "cnn_lstm": True}  # name -> bidirectional
MAIN_METRIC = {"make_trajectories": "accuracy", "leuko": "macro_f1", "leuko_essen": "macro_f1",
               "long_range": "accuracy", "official_2k": "micro_f1", "official_10k": "micro_f1",
               "andi_2k": "micro_f1", "andi_10k": "micro_f1"}
DEFAULT_ANDI_DIR = ROOT.parent / "andi_data"
QUICK_EPOCHS = 2


# ----------------------------------------------------------------------------- data

def _object_array(tracks) -> np.ndarray:
    """1-D object array of tracks (np.array would make a 3-D array of equal lengths)."""
    out = np.empty(len(tracks), dtype=object)
    for i, t in enumerate(tracks):
        out[i] = t
    return out


def _subsample(quick, *arrays, n=300):
    if not quick:
        return arrays
    n = min(n, len(arrays[0]))
    keep = np.sort(np.random.default_rng(0).choice(len(arrays[0]), n, replace=False))
    return tuple(a[keep] for a in arrays)


def load_row(name: str, quick: bool, leuko_path: Path, andi_dir: Path):
    """Return (X, y, cv splits, description) or None when the data is absent."""
    if name == "make_trajectories":
        if quick:
            X, y = make_trajectories(n_samples=(20, 20, 20), n_steps=100, random_state=0)[:2]
        else:
            X, y = make_trajectories(random_state=0)[:2]
        X, y = _object_array(list(X)), np.asarray(y)
        cv = list(StratifiedKFold(5, shuffle=True, random_state=0).split(X, y))
        desc = "StratifiedKFold(5, shuffle=True, random_state=0)"
    elif name == "leuko":
        if not leuko_path.is_file():
            return None
        data = load_tracks_csv(leuko_path, label_col="label", group_col="donor",
                               fill_gaps="interpolate", min_length=10)
        X, y, groups = (_object_array(list(data.data)), np.asarray(data.target),
                        np.asarray(data.groups))
        X, y, groups = _subsample(quick, X, y, groups)
        n_donors = len(np.unique(groups))
        cv = list(StratifiedGroupKFold(n_donors, shuffle=True, random_state=0)
                  .split(X, y, groups))
        desc = f"StratifiedGroupKFold({n_donors}, shuffle=True, random_state=0) by donor"
    elif name == "leuko_essen":
        path = leuko_path.with_name(DEFAULT_ESSEN.name)
        if not path.is_file():
            return None
        data = load_tracks_csv(path, label_col="label", group_col="group",
                               fill_gaps="interpolate", min_length=10)
        X, y, groups = _subsample(quick, _object_array(list(data.data)), np.asarray(data.target),
                                  np.asarray(data.groups))
        cv = list(StratifiedGroupKFold(3, shuffle=True, random_state=0).split(X, y, groups))
        desc = "StratifiedGroupKFold(3, shuffle=True, random_state=0) by patient"
    elif name == "long_range":
        n = 30 if quick else 200
        X, y = make_long_range_trajectories(n, random_state=0)
        X, y = _object_array(X), np.asarray(y)
        cv = list(StratifiedKFold(5, shuffle=True, random_state=0).split(X, y))
        desc = (f"make_long_range_trajectories({n}, random_state=0), "
                "StratifiedKFold(5, shuffle=True, random_state=0)")
    elif name in ("official_2k", "official_10k"):
        path = andi_dir / f"{name}.npz"
        if not path.is_file():
            return None
        data = np.load(path, allow_pickle=True)
        X, y = _subsample(quick, data["tracks"], data["labels"].astype(str))
        cv = list(StratifiedKFold(5, shuffle=True, random_state=0).split(X, y))
        desc = (f"official AnDi 2020 generator, {path.name} written by "
                "benchmarks/andi_official_tracks.py; StratifiedKFold(5, shuffle=True, "
                "random_state=0)")
    elif name in ("andi_2k", "andi_10k"):
        n = {"andi_2k": 2000, "andi_10k": 10000}[name]
        length = (10, 1000)
        if quick:
            n, length = {"andi_2k": 200, "andi_10k": 400}[name], (10, 100)
        X, y, _alpha = make_anomalous_diffusion(n, n_dims=2, length=length, random_state=0)
        X, y = _object_array(X), np.asarray(y)
        cv = list(StratifiedKFold(5, shuffle=True, random_state=0).split(X, y))
        desc = (f"make_anomalous_diffusion({n}, n_dims=2, length={length}, random_state=0), "
                "StratifiedKFold(5, shuffle=True, random_state=0)")
    else:
        raise ValueError(f"unknown row {name!r}")
    return X, y, cv, desc


# ----------------------------------------------------------------------------- models

def _neural(clf: LSTMTrajectoryClassifier, quick: bool):
    if quick:
        clf.set_params(max_epochs=QUICK_EPOCHS)
    return make_pipeline(VelocityTransformer(), TrajectoryScaler(), clf)


def make_model(name: str, quick: bool):
    if name == "default":
        return _neural(LSTMTrajectoryClassifier(random_state=0), quick)
    if name.startswith("default_seed"):
        return _neural(LSTMTrajectoryClassifier(random_state=int(name[-1])), quick)
    if name == "no_boosting":
        return _neural(LSTMTrajectoryClassifier(feature_boosting=False, random_state=0), quick)
    if name == "no_track_features":
        return _neural(LSTMTrajectoryClassifier(track_features=False, random_state=0), quick)
    if name in ARCHITECTURES:
        return _neural(LSTMTrajectoryClassifier(architecture=name,
                                                bidirectional=ARCHITECTURES[name],
                                                random_state=0), quick)
    if name == "svc":
        return make_pipeline(TrajectoryFeatures(), StandardScaler(), SVC(class_weight="balanced"))
    if name == "hgb":
        return make_pipeline(TrajectoryFeatures(),
                             HistGradientBoostingClassifier(class_weight="balanced",
                                                            random_state=0))
    raise ValueError(f"unknown model {name!r}")


def lstm_is_default(quick: bool) -> bool:
    """True when the ``lstm`` column is exactly the default pipeline's classifier."""
    a = make_model("default", quick)[-1].get_params()
    b = make_model("lstm", quick)[-1].get_params()
    return a == b


# ----------------------------------------------------------------------------- evaluation

def _worker_threads(_):
    """Torch threads in a loky worker (also warms the workers up: imports the package)."""
    import sklearn_cells  # noqa: F401

    return torch.get_num_threads()


def score_cell(y, pred, classes, seconds):
    per_class = f1_score(y, pred, labels=classes, average=None, zero_division=0)
    return {
        "accuracy": float(accuracy_score(y, pred)),
        "micro_f1": float(f1_score(y, pred, average="micro")),
        "macro_f1": float(f1_score(y, pred, average="macro", zero_division=0)),
        "f1_per_class": {str(c): round(float(f), 4) for c, f in zip(classes, per_class)},
        "seconds": round(seconds, 1),
    }


def evaluate(model, X, y, cv, n_jobs):
    start = time.perf_counter()
    with parallel_config(backend="loky", inner_max_num_threads=1):
        pred = cross_val_predict(model, X, y, cv=cv, n_jobs=n_jobs)
    return pred, time.perf_counter() - start


# ----------------------------------------------------------------------------- report

def _fmt(x, digits=3):
    return "–" if x is None else f"{x:.{digits}f}"


def _cell(results, row, model, key):
    return results.get("rows", {}).get(row, {}).get("models", {}).get(model, {}).get(key)


def checks(results) -> dict:
    """The issue's must-reach checks, per row: (text, met or None when a cell is missing)."""
    out = {}
    g = lambda row, model, key: _cell(results, row, model, key)  # noqa: E731
    for row in results.get("rows", {}):
        metric = MAIN_METRIC[row]
        score = g(row, "default", metric)
        best = max((v for v in (g(row, "svc", metric), g(row, "hgb", metric)) if v is not None),
                   default=None)
        floor = {"make_trajectories": 0.95, "long_range": 0.95, "official_10k": 0.86}.get(row, 0)
        text = f"default {metric} {_fmt(score)} >= better feature model {_fmt(best)}"
        margin = 0.0
        if row.startswith("leuko"):
            seeds = [g(row, m, metric) for m in ("default", "default_seed1", "default_seed2")]
            if None not in seeds:
                margin = max(seeds) - min(seeds)
                text += f" - seed spread {margin:.3f} (seeds 0/1/2: " + ", ".join(
                    f"{v:.3f}" for v in seeds) + ")"
        if floor:
            text += f" and >= {floor}"
        met = None if score is None or best is None else (score >= best - margin and score >= floor)
        if row == "official_10k":
            hgb = g(row, "hgb", metric)
            text += f"; hgb {_fmt(hgb)} >= 0.83"
            met = None if met is None or hgb is None else (met and hgb >= 0.83)
        out[row] = (text, met)
    return out


def write_markdown(results, path: Path, quick: bool):
    rows = [r for r in ROWS if r in results.get("rows", {})]
    models = [m for m in MODELS if any(m in results["rows"][r]["models"] for r in rows)]
    title = "# Trajectory classification quality" + (" (QUICK smoke run, not results)"
                                                    if quick else "")
    lines = [title, "",
             "Pooled out-of-fold predictions (`cross_val_predict`), every model on the same "
             "folds. Main metric per row: accuracy (make_trajectories, long_range), macro-F1 "
             "(leuko, leuko_essen), micro-F1 = accuracy (AnDi: official generator and ours). "
             "`hgb` uses `class_weight=\"balanced\"` on every row. `default_seed1/2`: the "
             "default with `random_state=1/2`; `no_boosting`: the default without the gradient "
             "boosting blended in (`feature_boosting=False`); `no_track_features`: the default "
             "without the whole-track feature branch (and so without boosting).",
             ""]
    if "lstm" in models and any(results["rows"][r]["models"].get("lstm", {}).get("same_as")
                                for r in rows):
        lines += ["`lstm` has exactly the default's parameters: its cells reuse the "
                  "default's predictions (not refitted).", ""]
    lines += ["| data set | n tracks | metric | " + " | ".join(models) + " |",
              "| --- | --- | --- | " + " | ".join("---" for _ in models) + " |"]
    for r in rows:
        row = results["rows"][r]
        metric = MAIN_METRIC[r]
        vals = [_fmt(row["models"].get(m, {}).get(metric)) for m in models]
        lines.append(f"| {r} | {row['n_tracks']} | {metric} | " + " | ".join(vals) + " |")
    lines += ["", "Secondary metric (accuracy where the main one is macro-F1, else macro-F1):",
              "", "| data set | metric | " + " | ".join(models) + " |",
              "| --- | --- | " + " | ".join("---" for _ in models) + " |"]
    for r in rows:
        metric = "accuracy" if MAIN_METRIC[r] == "macro_f1" else "macro_f1"
        vals = [_fmt(results["rows"][r]["models"].get(m, {}).get(metric)) for m in models]
        lines.append(f"| {r} | {metric} | " + " | ".join(vals) + " |")

    lines += ["", "Must-reach checks of the issue:", ""]
    for r, (text, met) in checks(results).items():
        status = "not evaluated (cell missing)" if met is None else ("met" if met else "not met")
        lines.append(f"- {r}: {text}: **{status}**")

    lines += ["", "Wall time per cell (s, all folds, `--n-jobs` as in the command):", "",
              "| data set | " + " | ".join(models) + " |",
              "| --- | " + " | ".join("---" for _ in models) + " |"]
    for r in rows:
        vals = []
        for m in models:
            c = results["rows"][r]["models"].get(m)
            vals.append("–" if c is None else
                        ("(reused)" if c.get("same_as") else f"{c['seconds']:.0f}"))
        lines.append(f"| {r} | " + " | ".join(vals) + " |")

    lines += ["", "Folds:", ""]
    lines += [f"- {r}: {results['rows'][r]['cv']}" for r in rows]
    cells = [c for r in rows for c in results["rows"][r]["models"].values()]
    commands = list(dict.fromkeys(c["command"] for c in cells))
    machines = list(dict.fromkeys(c["machine"] for c in cells))
    lines += ["", "Command(s):", ""] + [f"    {c}" for c in commands]
    lines += ["", "Machine: " + "; ".join(machines)]
    lines += ["", f"Last updated {results.get('updated', '')}."]
    notes = [f"- {r} / {m}: {cell['note']}" for r in rows
             for m, cell in results["rows"][r]["models"].items() if "note" in cell]
    if notes:  # cells kept from an earlier version of the library, and why
        lines += ["", "Notes on cells:", *notes]
    path.write_text("\n".join(lines) + "\n")


def machine_line(info: dict) -> str:
    return (f"{info['cpu_model']} ({info['cpu_cores']} cores), torch {info['torch']}, "
            f"{info['torch_threads']} torch thread(s) per process, python {info['python']}, "
            f"{info['device']}")


# ----------------------------------------------------------------------------- main

def _names(text: str, allowed, what: str):
    names = [s.strip() for s in text.split(",") if s.strip()]
    bad = [s for s in names if s not in allowed]
    if bad:
        raise SystemExit(f"unknown {what}: {bad}; choose from {list(allowed)}")
    return names


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", default=",".join(ROWS[:6]), help=f"comma list of {ROWS}")
    parser.add_argument("--models", default=",".join(MODELS), help=f"comma list of {MODELS}")
    parser.add_argument("--n-jobs", type=int, default=2, help="folds in parallel")
    parser.add_argument("--quick", action="store_true", help="smoke run: tiny data, 2 epochs")
    parser.add_argument("--leuko", type=Path, default=DEFAULT_LEUKO,
                        help="leukocyte tracks CSV (default: ../shared/data/... of the project)")
    parser.add_argument("--andi-dir", type=Path, default=DEFAULT_ANDI_DIR,
                        help="folder of official_2k.npz and official_10k.npz, written by "
                             "benchmarks/andi_official_tracks.py (default: ../andi_data)")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results"))
    args = parser.parse_args()
    rows = _names(args.rows, ROWS, "rows")
    models = [m for m in MODELS if m in _names(args.models, MODELS, "models")]  # default first

    torch.set_num_threads(1)
    warnings.filterwarnings("ignore")  # short-track / sklearn warnings, as in check_defaults.py
    command = "python " + " ".join(shlex.quote(a) for a in sys.argv)
    info = machine("cpu")
    if args.n_jobs != 1:
        with parallel_config(backend="loky", inner_max_num_threads=1):
            info["worker_torch_threads"] = sorted(set(Parallel(n_jobs=args.n_jobs)(
                delayed(_worker_threads)(i) for i in range(2 * abs(args.n_jobs)))))
    info["n_jobs"] = args.n_jobs
    mline = machine_line(info) + f", n_jobs {args.n_jobs}"
    if "worker_torch_threads" in info:
        mline += f" (worker torch threads {info['worker_torch_threads']})"
    print(mline, flush=True)
    same_as_default = lstm_is_default(args.quick)

    suffix = "_quick" if args.quick else ""
    args.out.mkdir(parents=True, exist_ok=True)
    json_path = args.out / f"trajectory_quality_cpu{suffix}.json"
    md_path = args.out / f"trajectory_quality_cpu{suffix}.md"
    results = json.loads(json_path.read_text()) if json_path.is_file() else {}
    results.setdefault("rows", {})

    date = datetime.datetime.now().isoformat(timespec="seconds")
    total = time.perf_counter()
    for r in rows:
        loaded = load_row(r, args.quick, args.leuko, args.andi_dir)
        if loaded is None:
            print(f"[{r}] skipped: its data is not found (give --leuko PATH or "
                  "--andi-dir DIR)", flush=True)
            continue
        X, y, cv, desc = loaded
        classes = np.unique(y)
        meta = {"n_tracks": len(X), "n_folds": len(cv), "cv": desc,
                "classes": [str(c) for c in classes],
                "class_counts": {str(c): int(n) for c, n in zip(*np.unique(y, return_counts=True))},
                "main_metric": MAIN_METRIC[r]}
        stored = results["rows"].get(r)
        if stored is not None and any(stored.get(k) != v for k, v in meta.items()):
            print(f"[{r}] data or folds differ from the stored results: dropping the stored "
                  "cells of this row", flush=True)
            stored = None
        row = results["rows"][r] = {**meta, "models": (stored or {}).get("models", {})}
        print(f"[{r}] {len(X)} tracks, {len(cv)} folds, {meta['class_counts']}", flush=True)

        preds = {}
        for m in models:
            # the default is the lstm: reuse its cell, from this run or the stored results
            if m == "lstm" and same_as_default and "default" in row["models"]:
                cell = dict(row["models"]["default"], same_as="default")
                cell.update(command=command, date=date, machine=mline)
                row["models"][m] = cell
                print(f"[{r}] lstm = default (same parameters): reused", flush=True)
                continue
            pred, seconds = evaluate(make_model(m, args.quick), X, y, cv, args.n_jobs)
            preds[m] = pred
            cell = score_cell(y, pred, classes, seconds)
            cell.update(command=command, date=date, machine=mline)
            if args.quick and m in NEURAL:
                cell["max_epochs"] = QUICK_EPOCHS
            row["models"][m] = cell
            print(f"[{r}] {m:9s} {MAIN_METRIC[r]} {cell[MAIN_METRIC[r]]:.3f}  "
                  f"acc {cell['accuracy']:.3f}  macro-F1 {cell['macro_f1']:.3f}  "
                  f"{seconds:.0f} s", flush=True)
            # write after every cell, so an interrupted run keeps what it computed
            results["updated"], results["machine"] = date, info
            json_path.write_text(json.dumps(results, indent=2) + "\n")
        results["updated"], results["machine"] = date, info
        json_path.write_text(json.dumps(results, indent=2) + "\n")

    write_markdown(results, md_path, args.quick)
    print(f"\ntotal {time.perf_counter() - total:.0f} s", flush=True)
    for r, (text, met) in checks(results).items():
        status = "not evaluated" if met is None else ("met" if met else "not met")
        print(f"check {r}: {text}: {status}", flush=True)
    print(f"wrote {json_path} and {md_path}", flush=True)


if __name__ == "__main__":
    main()
