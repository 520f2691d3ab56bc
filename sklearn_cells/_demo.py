"""The README demo: LSTM pipeline vs SVC on trajectory features, stratified 5-fold CV."""

from __future__ import annotations

import time

import numpy as np
from imblearn.pipeline import make_pipeline as make_imb_pipeline
from sklearn.metrics import confusion_matrix, make_scorer, recall_score
from sklearn.model_selection import StratifiedKFold, cross_validate
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from .datasets import make_trajectories
from .trajectory import (
    LSTMTrajectoryClassifier,
    PolarVelocityTransformer,
    TrajectoryFeatures,
    TrajectoryScaler,
    TrajectoryWindowSampler,
    VelocityTransformer,
    accuracy_vs_length,
    resample_trajectories,
)

SAMPLING_INTERVAL = 5.0  # minutes, the seed's common interval


def make_lstm_pipeline(device: str = "cpu", random_state=0):
    """The trajectory pipeline of the demo and the example.

    Velocities, rotation-invariant speed/turning descriptors, standard
    scaling, 30-step training windows (fit time only), then the LSTM.
    """
    return make_imb_pipeline(
        VelocityTransformer(dt=SAMPLING_INTERVAL),
        PolarVelocityTransformer(),
        TrajectoryScaler(method="standard"),
        TrajectoryWindowSampler(window_length=30),
        # Polar inputs are already rotation-invariant (no xy to rotate) and the
        # windows are short: the seed's fixed-budget training, no augmentation.
        LSTMTrajectoryClassifier(hidden_size=16, lr=1e-2, max_epochs=40, augment=False,
                                 early_stopping=False, lr_schedule=None, crop_length=None,
                                 device=device, random_state=random_state),
    )


def make_svc_pipeline():
    """Hand-made trajectory features, standardised, into an RBF SVC."""
    return make_pipeline(
        TrajectoryFeatures(dt=SAMPLING_INTERVAL), StandardScaler(), SVC(class_weight="balanced")
    )


def _per_class_recall(label):
    return make_scorer(recall_score, labels=[label], average="macro", zero_division=0)


def run_demo(output="sklearn_cells_demo.png", n_jobs=-1, device="cpu", random_state=0):
    """Cross-validate both pipelines, print a table and save a figure.

    Returns
    -------
    results : dict
        ``cross_validate`` results per model name.
    """
    X, y, intervals = make_trajectories(return_intervals=True, random_state=random_state)
    X = resample_trajectories(X, intervals, SAMPLING_INTERVAL)  # seed: every 2nd / 5th step
    classes = np.unique(y)
    scoring = {"accuracy": "accuracy", **{c: _per_class_recall(c) for c in classes}}
    cv = StratifiedKFold(n_splits=5, shuffle=True, random_state=random_state)
    print(f"{len(X)} trajectories ({', '.join(f'{c}: {np.sum(y == c)}' for c in classes)}), "
          f"resampled to {SAMPLING_INTERVAL:g} min; stratified 5-fold CV\n")

    models = {"LSTM": make_lstm_pipeline(device, random_state), "SVC": make_svc_pipeline()}
    results = {}
    for name, model in models.items():
        start = time.perf_counter()
        results[name] = cross_validate(model, X, y, cv=cv, scoring=scoring, n_jobs=n_jobs,
                                       return_estimator=True, return_indices=True)
        results[name]["wall_time"] = time.perf_counter() - start

    header = f"{'model':<6}{'accuracy':>17}" + "".join(f"{c:>13}" for c in classes) + f"{'time':>8}"
    print(header)
    print("-" * len(header))
    for name, r in results.items():
        acc = r["test_accuracy"]
        row = f"{name:<6}{acc.mean():>10.3f} ± {acc.std():.3f}"
        row += "".join(f"{r[f'test_{c}'].mean():>13.3f}" for c in classes)
        print(row + f"{r['wall_time']:>7.0f}s")
    print("\n(per-class columns: recall, i.e. per-class accuracy, mean over folds)")

    _plot(results, X, y, classes, output)
    print(f"figure written to {output}")
    return results


def _plot(results, X, y, classes, output):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(15, 4.5))
    for ax, (name, r) in zip(axes, results.items()):
        matrix = np.zeros((len(classes), len(classes)))
        for estimator, test in zip(r["estimator"], r["indices"]["test"]):
            X_test = [X[i] for i in test]
            matrix += confusion_matrix(y[test], estimator.predict(X_test), labels=classes,
                                       normalize="true")
        matrix /= len(r["estimator"])
        ax.imshow(matrix, vmin=0, vmax=1, cmap="Blues")
        for (i, j), value in np.ndenumerate(matrix):
            ax.text(j, i, f"{value:.2f}", ha="center", va="center",
                    color="white" if value > 0.5 else "black")
        ax.set(xticks=range(len(classes)), xticklabels=classes, yticks=range(len(classes)),
               yticklabels=classes, xlabel="predicted", ylabel="true",
               title=f"{name}: accuracy {r['test_accuracy'].mean():.3f} (fold-averaged)")

    # Accuracy against the number of time steps seen (seed Fig. 7), on held-out folds.
    lengths = [5, 10, 15, 20, 30, 50, 80, 120, 200]
    curves = []
    for estimator, test in zip(results["LSTM"]["estimator"], results["LSTM"]["indices"]["test"]):
        curve = accuracy_vs_length(estimator, [X[i] for i in test], y[test], lengths,
                                   max_windows=500, random_state=0)
        curves.append(np.interp(lengths, curve["length"], curve["accuracy"], right=np.nan))
    axes[2].plot(lengths, np.nanmean(curves, axis=0), "o-")
    axes[2].set(xscale="log", xlabel="time points per (mini) trajectory", ylabel="accuracy",
                title="LSTM accuracy vs trajectory length", ylim=(0, 1.02))
    axes[2].axvline(30, color="grey", ls=":", label="training window")
    axes[2].legend(loc="lower right")
    fig.tight_layout()
    fig.savefig(output, dpi=110)
    plt.close(fig)
