"""
Stacking the LSTM and the SVC: one harness, two data sets
=========================================================

The LSTM on velocities and the SVC on hand-made track features see a
trajectory in different ways: the network reads the steps one after another,
the SVC only summary statistics (speed, turning, straightness, MSD exponent,
...). Where they make different mistakes, a third model that weighs their
class probabilities may beat both. Here we try exactly that with
:class:`~sklearn.ensemble.StackingClassifier`, and measure the three models in
one harness:

* the same precomputed folds for every model, pooled out-of-fold predictions
  with :func:`~sklearn.model_selection.cross_val_predict`;
* real leukocyte tracks (four treatments, four donors), split by donor,
  scored by macro-F1;
* simulated anomalous diffusion
  (:func:`~sklearn_cells.datasets.make_anomalous_diffusion`, five models of
  the AnDi 2020 challenge), stratified 5-fold, scored by micro-F1 (the
  accuracy).

Run it as a script. ``--quick`` (or the environment variable
``SKLEARN_CELLS_EXAMPLES_QUICK=1``) uses tiny data and 3 LSTM epochs: a smoke
test of the code, not a benchmark; the documentation build sets the variable.
``--out DIR`` saves the figure in ``DIR`` (nothing is written without it),
``--leuko PATH`` names the leukocyte CSV (the row is skipped with a message
when the file is absent).

The full run is expensive: the stack re-fits both base models on three inner
folds of every outer training fold, so the LSTM is trained 4 + 16 times on
the leukocyte tracks and 5 + 20 times on 2000 AnDi tracks, one fit at a time
on one thread; count on the better part of an hour on a 2-core CPU (the
script prints its own time).
"""

# %%
# Set-up
# ------
# One torch thread and ``n_jobs=1`` throughout, so the run is reproducible
# and does not fight other jobs for the cores. Sphinx-gallery runs the file
# with its own ``sys.argv``, so unknown arguments are ignored.
import argparse
import os
import time
import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402
from sklearn.base import clone  # noqa: E402
from sklearn.ensemble import StackingClassifier  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.metrics import f1_score  # noqa: E402
from sklearn.model_selection import (  # noqa: E402
    StratifiedGroupKFold,
    StratifiedKFold,
    cross_val_predict,
    train_test_split,
)
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from sklearn.svm import SVC  # noqa: E402

import sklearn_cells  # noqa: E402
from sklearn_cells.datasets import load_tracks_csv, make_anomalous_diffusion  # noqa: E402
from sklearn_cells.trajectory import (  # noqa: E402
    LSTMTrajectoryClassifier,
    TrajectoryFeatures,
    TrajectoryScaler,
    VelocityTransformer,
)

# The repository root, found from the package (sphinx-gallery runs a copy of
# this file from another folder, so __file__ would not do).
ROOT = Path(sklearn_cells.__file__).resolve().parents[1]

parser = argparse.ArgumentParser(
    description="Stacking the LSTM and the SVC on leukocyte tracks and anomalous diffusion."
)
parser.add_argument("--quick", action="store_true",
                    help="tiny data and 3 LSTM epochs (also SKLEARN_CELLS_EXAMPLES_QUICK=1)")
parser.add_argument("--out", type=Path, default=None,
                    help="folder to save the figure in (default: not saved)")
parser.add_argument("--leuko", type=Path,
                    default=ROOT.parent / "shared" / "data" / "leuko_ghent_tracks.csv.gz",
                    help="leukocyte tracks CSV (default: ../shared/data/leuko_ghent_tracks.csv.gz "
                         "next to the repository)")
args, _ = parser.parse_known_args()  # sphinx-gallery passes its own arguments
QUICK = args.quick or os.environ.get("SKLEARN_CELLS_EXAMPLES_QUICK", "") not in ("", "0")

torch.set_num_threads(1)
N_JOBS = 1
# scikit-learn 1.9 deprecates SVC(probability=True) (removal planned for 1.11)
# in favour of CalibratedClassifierCV(SVC(), ensemble=False); we keep the
# former, the model the benchmarks use, and silence only that warning.
warnings.filterwarnings("ignore", message="The `probability` parameter was deprecated",
                        category=FutureWarning)
QUICK_EPOCHS = 3
start = time.perf_counter()
print(f"mode: {'quick (smoke test, not a benchmark)' if QUICK else 'full'}")


def object_array(tracks):
    """1-D object array of tracks.

    ``np.array(tracks)`` would build a 3-D float array when all tracks happen
    to have the same length, and fail on ragged ones; a 1-D object array is
    always "n_samples" long, and fancy indexing (which the CV helpers use)
    returns the very same track arrays.
    """
    out = np.empty(len(tracks), dtype=object)
    for i, track in enumerate(tracks):
        out[i] = track
    return out


# %%
# The data: leukocyte tracks by donor, and anomalous diffusion
# ------------------------------------------------------------
# The leukocyte tracks are labelled by treatment and recorded from four
# donors. Tracks of one donor resemble each other, so a random split would in
# part measure donor recognition: each fold holds out one donor
# (:class:`~sklearn.model_selection.StratifiedGroupKFold`). The AnDi tracks
# have the challenge's lengths, 10 to 1000 points (quick mode: 10 to 100).
datasets = {}
if args.leuko.is_file():
    leuko = load_tracks_csv(args.leuko, label_col="label", group_col="donor",
                            fill_gaps="interpolate", min_length=10)
    X, y, groups = object_array(list(leuko.data)), np.asarray(leuko.target), np.asarray(leuko.groups)
    if QUICK:  # ~300 tracks, the class proportions kept
        keep, _ = train_test_split(np.arange(len(X)), train_size=300, stratify=y, random_state=0)
        keep = np.sort(keep)
        X, y, groups = X[keep], y[keep], groups[keep]
    n_donors = len(np.unique(groups))
    datasets["Leuko"] = {
        "X": X, "y": y, "groups": groups, "metric": "macro",
        "cv": list(StratifiedGroupKFold(n_donors, shuffle=True, random_state=0).split(X, y, groups)),
    }
else:
    print(f"Leuko skipped: {args.leuko} not found (give the file with --leuko PATH)")

n_andi, andi_length = (150, (10, 100)) if QUICK else (2000, (10, 1000))
X, y, _alpha = make_anomalous_diffusion(n_andi, n_dims=2, length=andi_length, random_state=0)
X, y = object_array(X), np.asarray(y)
datasets["AnDi"] = {
    "X": X, "y": y, "groups": None, "metric": "micro",
    "cv": list(StratifiedKFold(5, shuffle=True, random_state=0).split(X, y)),
}

for name, d in datasets.items():
    labels, counts = np.unique(d["y"], return_counts=True)
    lengths = [len(t) for t in d["X"]]
    print(f"{name}: {len(d['X'])} tracks, {min(lengths)}-{max(lengths)} points, "
          f"{len(d['cv'])} folds, classes " + ", ".join(f"{c} {n}" for c, n in zip(labels, counts)))

# %%
# The models
# ----------
# (a) the LSTM pipeline with the library's defaults, (b) the SVC on track
# features, with ``probability=True`` so that it gives class probabilities
# to stack, and (c) a logistic regression on the out-of-fold class
# probabilities of both.
#
# :class:`~sklearn.ensemble.StackingClassifier` does not validate ``X``
# itself: it hands it unchanged to ``cross_val_predict`` and to the base
# pipelines, which index it by rows. The list of ragged tracks therefore
# works as it is; we pass the 1-D object array built above, which indexes
# the same way. What it cannot do is route ``groups`` to its internal
# splitter (``cv`` gets ``X`` and ``y`` only). For the leukocyte tracks the
# inner folds should also hold out whole donors, else the meta-learner is
# trained on probabilities that are optimistic in the way a donor-mixed
# split is. :class:`DonorKFold` below looks each track's donor up by the
# identity of its array, which survives the row indexing of the CV helpers.


class DonorKFold:
    """StratifiedGroupKFold whose groups are looked up from the tracks.

    ``lookup`` maps ``id(track)`` to the track's group (plain ints as keys,
    so copies of the splitter, which StackingClassifier makes, still work).
    One fold per group present in the data it is asked to split.
    """

    def __init__(self, lookup, random_state=0):
        self.lookup = lookup
        self.random_state = random_state

    def _groups(self, X):
        return np.array([self.lookup[id(track)] for track in X])

    def get_n_splits(self, X=None, y=None, groups=None):
        if X is None:
            return len(set(self.lookup.values()))
        return len(np.unique(self._groups(X)))

    def split(self, X, y, groups=None):
        groups = self._groups(X)
        cv = StratifiedGroupKFold(len(np.unique(groups)), shuffle=True,
                                  random_state=self.random_state)
        return cv.split(X, y, groups)


def make_models(quick, inner_cv):
    lstm = make_pipeline(VelocityTransformer(), TrajectoryScaler(),
                         LSTMTrajectoryClassifier(random_state=0))
    if quick:
        lstm.set_params(lstmtrajectoryclassifier__max_epochs=QUICK_EPOCHS)
    svc = make_pipeline(TrajectoryFeatures(), StandardScaler(),
                        SVC(class_weight="balanced", probability=True, random_state=0))
    stack = StackingClassifier(
        estimators=[("lstm", clone(lstm)), ("svc", clone(svc))],
        final_estimator=LogisticRegression(max_iter=1000, class_weight="balanced"),
        cv=inner_cv,
        stack_method="predict_proba",
        n_jobs=N_JOBS,
    )
    # the stacked LSTM is the same model as (a), quick-mode epochs included
    assert stack.estimators[0][1][-1].get_params() == lstm[-1].get_params()
    return {"LSTM": lstm, "SVC": svc, "Stack": stack}


make_models(QUICK, 3)["Stack"]

# %%
# One harness: the same folds, pooled out-of-fold predictions
# -----------------------------------------------------------
# Every model is cross-validated on the same precomputed list of splits, and
# the held-out predictions of all folds are pooled before scoring. Inside
# each outer training fold, the stack splits again: three inner folds on
# AnDi, one per remaining donor on the leukocyte tracks.
results = {}
for data_name, d in datasets.items():
    if d["groups"] is not None:
        inner_cv = DonorKFold({id(t): g for t, g in zip(d["X"], d["groups"])})
    else:
        inner_cv = StratifiedKFold(3, shuffle=True, random_state=0)
    classes = np.unique(d["y"])
    for model_name, model in make_models(QUICK, inner_cv).items():
        t0 = time.perf_counter()
        pred = cross_val_predict(model, d["X"], d["y"], cv=d["cv"], n_jobs=N_JOBS)
        seconds = time.perf_counter() - t0
        results[data_name, model_name] = {
            "score": f1_score(d["y"], pred, average=d["metric"], zero_division=0),
            "per_class": f1_score(d["y"], pred, labels=classes, average=None, zero_division=0),
            "classes": classes,
            "seconds": seconds,
        }
        print(f"  {data_name:<6} {model_name:<6} {d['metric']}-F1 "
              f"{results[data_name, model_name]['score']:.3f}  ({seconds:.0f} s)")

# %%
# The table
# ---------
# One row per model, one column per data set; then the F1 of each class.
model_names = ["LSTM", "SVC", "Stack"]
data_names = list(datasets)
columns = [f"{n} ({datasets[n]['metric']}-F1)" for n in data_names]
header = f"{'model':<7}" + "".join(f"{c:>22}" for c in columns)
print(header + "\n" + "-" * len(header))
for m in model_names:
    print(f"{m:<7}" + "".join(f"{results[n, m]['score']:>22.3f}" for n in data_names))

for n in data_names:
    classes = results[n, model_names[0]]["classes"]
    print(f"\n{n}: F1 per class")
    print(f"{'model':<7}" + "".join(f"{c:>9}" for c in classes))
    for m in model_names:
        print(f"{m:<7}" + "".join(f"{f:>9.3f}" for f in results[n, m]["per_class"]))

print()
for n in data_names:
    best_base = max(("LSTM", "SVC"), key=lambda m: results[n, m]["score"])
    gain = results[n, "Stack"]["score"] - results[n, best_base]["score"]
    print(f"{n}: stack {'+' if gain >= 0 else ''}{gain:.3f} vs. the better base model ({best_base})")

# %%
# The metric per data set and model
# ---------------------------------
fig, ax = plt.subplots(figsize=(6.5, 4.2))
width = 0.8 / len(model_names)
x = np.arange(len(data_names))
for i, m in enumerate(model_names):
    scores = [results[n, m]["score"] for n in data_names]
    bars = ax.bar(x + (i - (len(model_names) - 1) / 2) * width, scores, width, label=m)
    ax.bar_label(bars, fmt="%.2f", fontsize=8, padding=2)
ax.set_xticks(x, columns)
ax.set(ylim=(0, 1.05), ylabel="F1 (pooled out-of-fold)",
       title="LSTM, SVC and their stack" + (" (quick mode)" if QUICK else ""))
ax.legend(loc="upper left", ncols=3)
fig.tight_layout()
if args.out is not None:
    args.out.mkdir(parents=True, exist_ok=True)
    fig.savefig(args.out / "trajectory_stacking_scores.png", dpi=90)
    print(f"figure: {args.out / 'trajectory_stacking_scores.png'}")

# %%
# What the numbers show
# ---------------------
# Read the table above, not this paragraph: it states only what the design
# allows. The stack combines the two models' class probabilities with one
# linear layer, so it can gain where they err on different tracks and their
# probabilities are informative; the per-class F1 shows where each base model
# is weak. It pays for that in data: the meta-learner sees probabilities of
# base models trained on two thirds of each outer training fold (on the
# leukocyte tracks, on two of three donors), which are weaker than the base
# models it is then applied with, and with four donors its few weights are
# estimated from few, correlated tracks. A stack that lands at or below the
# better base model is therefore a possible, honest outcome; the line
# "stack ... vs. the better base model" gives the measured difference.
# Quick-mode numbers (tiny data, 3 epochs) say nothing about the methods.
print(f"total time: {time.perf_counter() - start:.0f} s")
