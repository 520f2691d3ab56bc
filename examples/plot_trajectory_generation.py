"""
Generating cell trajectories with an LSTM mixture density network
=================================================================

Seed 000 (section 5) trained an LSTM whose output is a Gaussian mixture over
the next velocity of a migrating cell, and generated new trajectories by
feeding sampled velocities back in. Its generated trajectories looked right
but varied less than the real ones, the cells on flat substrates gained z
motion, and some runs drifted in a preferred direction.

Here :class:`~sklearn_cells.MDNTrajectoryGenerator` learns the three
environments of :func:`~sklearn_cells.datasets.make_trajectories` in one
class-conditional model. We choose the number of mixture components by
held-out likelihood with :class:`~sklearn.model_selection.GridSearchCV`,
generate trajectories per class, and compare them with held-out real ones:
side by side, as statistic densities and as a table of distances.

Run it as a script: ``python examples/plot_trajectory_generation.py``.
``--quick`` (or the environment variable ``SKLEARN_CELLS_EXAMPLES_QUICK=1``,
which the documentation build sets) trains for fewer epochs: a smoke test whose
generated trajectories match the real ones less closely than a full run's.
``--out DIR`` saves the figures in ``DIR`` (nothing is written without it).
"""

# %%
# Data: three environments at a common 5 min sampling interval
# ---------------------------------------------------------------
# Collagen tracks are recorded every 2.5 min, plastic and fibronectin every
# minute; like the seed, we bring them to 5 min first.
import argparse
import os
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from sklearn.model_selection import GridSearchCV, StratifiedKFold, train_test_split

from sklearn_cells.datasets import make_trajectories
from sklearn_cells.plotting import (
    plot_persistence_speed_density,
    plot_statistic_densities,
    plot_trajectories,
)
from sklearn_cells.trajectory import (
    MDNTrajectoryGenerator,
    compare_trajectory_statistics,
    displacement_drift_test,
    resample_trajectories,
)

# sphinx-gallery runs the file with its own arguments: unknown ones are ignored.
parser = argparse.ArgumentParser(description="Generating cell trajectories with an LSTM MDN")
parser.add_argument("--quick", action="store_true",
                    help="fewer training epochs (also SKLEARN_CELLS_EXAMPLES_QUICK=1)")
parser.add_argument("--out", type=Path, default=None,
                    help="folder to save the figures in (default: not saved)")
args, _ = parser.parse_known_args()
QUICK = args.quick or os.environ.get("SKLEARN_CELLS_EXAMPLES_QUICK", "") not in ("", "0")
# Epochs of the search and of the final fit (the estimator's default is 100).
SEARCH_EPOCHS, FINAL_EPOCHS = (5, 40) if QUICK else (15, 100)
print(f"mode: {'quick (fewer epochs than a full run)' if QUICK else 'full'}")


def save(fig, name, **kwargs):
    """Save ``fig`` in the ``--out`` folder, if one was given."""
    if args.out is not None:
        args.out.mkdir(parents=True, exist_ok=True)
        fig.savefig(args.out / name, **kwargs)


X, y, intervals = make_trajectories(return_intervals=True, random_state=0)
X = resample_trajectories(X, intervals, 5.0)
idx_train, idx_test = train_test_split(
    np.arange(len(X)), test_size=0.25, stratify=y, random_state=0
)
X_train, y_train = [X[i] for i in idx_train], y[idx_train]
X_test, y_test = [X[i] for i in idx_test], y[idx_test]
print(f"{len(X_train)} training and {len(X_test)} held-out trajectories")

# %%
# Choosing the number of mixture components by held-out likelihood
# -------------------------------------------------------------------
# ``score`` is the mean log-likelihood per step of held-out trajectories (of
# each displacement given the earlier ones), so ``GridSearchCV`` can compare
# models directly. Short fits are enough to rank the candidates; the chosen
# setting is then trained fully.
search = GridSearchCV(
    MDNTrajectoryGenerator(max_epochs=SEARCH_EPOCHS, random_state=0),
    {"n_components": [1, 10]},
    cv=StratifiedKFold(2, shuffle=True, random_state=0),
    refit=False,  # the chosen setting is trained fully below
)
search.fit(X_train, y_train)
for params, score in zip(search.cv_results_["params"], search.cv_results_["mean_test_score"]):
    print(f"{params}: held-out log-likelihood per step {score:.3f}")

generator = MDNTrajectoryGenerator(**search.best_params_, max_epochs=FINAL_EPOCHS, random_state=0)
generator.fit(X_train, y_train)
print(f"held-out log-likelihood per step: {generator.score(X_test, y_test):.3f}")

# %%
# Generating trajectories per class
# ----------------------------------
# All trajectories of a call advance together, one batched step at a time.
real = {c: [x for x, label in zip(X_test, y_test) if label == c] for c in generator.classes_}
generated = {
    c: generator.sample(100, n_steps=len(real[c][0]), y=c, random_state=0)
    for c in generator.classes_
}

fig, axes = plt.subplots(2, 6, figsize=(20, 7), sharex="row", sharey="row")
for k, c in enumerate(generator.classes_):
    plot_trajectories(
        {f"{c} (real)": real[c], f"{c} (generated)": generated[c]},
        dt=5.0, max_trajectories=20, axes=axes[:, 2 * k : 2 * k + 2],
        time_unit="min", length_unit="um",
    )
fig.tight_layout()
save(fig, "trajectory_generation_tracks.png", dpi=80)

# %%
# Statistics: real against generated
# ------------------------------------
# The seed judged its generated trajectories by the density of
# superstatistical persistence and speed (its Fig. 10), which came out "much
# narrower" than the real one. Local persistence and speed in 10-step windows
# approximate it.
fig, axes = plt.subplots(3, 4, figsize=(15, 9))
for row, c in zip(axes, generator.classes_):
    plot_statistic_densities({"real": real[c], "generated": generated[c]}, dt=5.0, axes=row)
    row[0].set_title(c, loc="left")
fig.tight_layout()
save(fig, "trajectory_generation_statistics.png", dpi=80)

fig, axes = plt.subplots(1, 6, figsize=(20, 3.4), sharex=True, sharey=False)
for k, c in enumerate(generator.classes_):
    plot_persistence_speed_density(
        {f"{c} real": real[c], f"{c} generated": generated[c]}, dt=5.0, axes=axes[2 * k : 2 * k + 2]
    )
fig.tight_layout()
save(fig, "trajectory_generation_persistence_speed.png", dpi=80)

# %%
# The comparison table gives one row per statistic; ``std_ratio`` below 1
# means the generated set varies less than the real one.
for c in generator.classes_:
    table = compare_trajectory_statistics(real[c], generated[c], dt=5.0)
    print(f"\n{c}: drift test p-value of generated set "
          f"{displacement_drift_test(generated[c])[1]:.2f}")
    print(f"{'statistic':>20} {'wasserstein':>12} {'ks':>6} {'std_ratio':>9}")
    for name, w, ks, ratio in zip(
        table["statistic"], table["wasserstein"], table["ks_statistic"], table["std_ratio"]
    ):
        print(f"{name:>20} {w:12.3f} {ks:6.2f} {ratio:9.2f}")
