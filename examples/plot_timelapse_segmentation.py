"""
Segmenting time-lapse frames: one frame or five (Network1 vs Network5)
======================================================================

Seed 004 ("StemNet") segments stem cells in time-lapse microscopy with a U-Net-like
network, after subtracting each sequence's temporal median background. It compares a
network that sees only the frame to segment (Network1) with one that also sees two frames
before and two after (Network5).

Here both are one :class:`~sklearn.pipeline.Pipeline`, and the temporal context is a
grid-search parameter. Frames carry their sequence id
(:class:`~sklearn_cells.image.TimelapseFrames`), so ``GroupKFold`` keeps sequences whole
and the temporal transformers never mix two sequences.

The networks are tiny so that this runs on a laptop CPU in a couple of minutes; for real
data use the defaults (``depth=5``, ``base_channels=16``, ``kernel_size=5``) on a GPU.

Run it as a script: ``python examples/plot_timelapse_segmentation.py``. ``--quick`` (or
the environment variable ``SKLEARN_CELLS_EXAMPLES_QUICK=1``, which the documentation build
sets) trains for fewer epochs: a smoke test, with rougher masks than a full run's.
``--out DIR`` saves the figures in ``DIR`` (nothing is written without it).
"""

# %%
# Synthetic sequences
# -------------------
# Moving, dividing cells on a background with static debris, a microwell edge and uneven
# illumination. Two sequences are kept aside as the test set.
import argparse
import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import torch
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, GroupKFold
from sklearn.pipeline import make_pipeline

from sklearn_cells.datasets import make_timelapse
from sklearn_cells.image import BackgroundSubtractor
from sklearn_cells.image import IntensityNormalizer
from sklearn_cells.image import TemporalContextStacker
from sklearn_cells.image import UNetSegmenter
from sklearn_cells.metrics import (
    label_instances,
    segmentation_report,
    segmentation_scorers,
)
from sklearn_cells.plotting import SegmentationDisplay, plot_training_curves

torch.set_num_threads(1)  # small models: one thread is as fast and reproducible

# sphinx-gallery runs the file with its own arguments: unknown ones are ignored.
parser = argparse.ArgumentParser(description="Segmenting time-lapse frames: Network1 vs Network5")
parser.add_argument("--quick", action="store_true",
                    help="fewer training epochs (also SKLEARN_CELLS_EXAMPLES_QUICK=1)")
parser.add_argument("--out", type=Path, default=None,
                    help="folder to save the figures in (default: not saved)")
args, _ = parser.parse_known_args()
QUICK = args.quick or os.environ.get("SKLEARN_CELLS_EXAMPLES_QUICK", "") not in ("", "0")
MAX_EPOCHS = 8 if QUICK else 15
print(f"mode: {'quick (fewer epochs than a full run)' if QUICK else 'full'}")


def save(fig, name, **kwargs):
    """Save ``fig`` in the ``--out`` folder, if one was given."""
    if args.out is not None:
        args.out.mkdir(parents=True, exist_ok=True)
        fig.savefig(args.out / name, **kwargs)


X, y = make_timelapse(n_sequences=8, n_frames=16, frame_shape=(48, 48), random_state=0)
train = np.flatnonzero(X.sequence_ids < 6)
test = np.flatnonzero(X.sequence_ids >= 6)
X_train, y_train, X_test, y_test = X[train], y[train], X[test], y[test]
print(X_train, "cell pixels: %.1f %%" % (100 * y.mean()))

# %%
# One pipeline, the temporal context as a parameter
# -------------------------------------------------
# ``n_context=0`` gives 1 input channel (Network1), ``n_context=2`` gives 5 (Network5).
# The scorers are the seed's Table 3 measures; error rates are negated (higher is better).
pipe = make_pipeline(
    BackgroundSubtractor(),
    IntensityNormalizer(method="zscore"),
    TemporalContextStacker(),
    UNetSegmenter(depth=2, base_channels=8, kernel_size=3, dropout=0.0, loss="ce+dice",
                  lr=3e-3, max_epochs=MAX_EPOCHS, random_state=0),
)
search = GridSearchCV(
    pipe,
    {"temporalcontextstacker__n_context": [0, 2]},
    cv=GroupKFold(n_splits=3),
    scoring=segmentation_scorers(["dice", "error_rate", "false_white_rate",
                                  "white_pixel_accuracy"]),
    refit="dice",
)
search.fit(X_train, y_train, groups=X_train.sequence_ids)
for k, dice, err in zip(search.cv_results_["param_temporalcontextstacker__n_context"],
                        search.cv_results_["mean_test_dice"],
                        search.cv_results_["mean_test_error_rate"]):
    print(f"n_context={k} ({2 * k + 1} channel(s)): CV Dice {dice:.3f}, error rate {-err:.4f}")
print("best:", search.best_params_)

# %%
# Held-out sequences: the seed's Table 3
# --------------------------------------
models = {}
for k in (0, 2):
    best_k = search.best_params_["temporalcontextstacker__n_context"]
    models[k] = search.best_estimator_ if k == best_k else clone(pipe).set_params(
        temporalcontextstacker__n_context=k).fit(X_train, y_train)
print(f"{'measure':22s} {'Network1':>9s} {'Network5':>9s}")
reports = {k: segmentation_report(y_test, m.predict(X_test)) for k, m in models.items()}
for name in reports[0]:
    print(f"{name:22s} {reports[0][name]:9.4f} {reports[2][name]:9.4f}")

# %%
# Input, truth and predicted heat map (the seed's Fig. 23)
# --------------------------------------------------------
# The input shown is the background-subtracted centre frame.
fig, axes = plt.subplots(2, 3, figsize=(10, 6.5))
for row, (k, title) in zip(axes, [(0, "Network1"), (2, "Network5")]):
    SegmentationDisplay.from_estimator(models[k], X_test, y_test, index=5).plot(
        axes=row, titles=(f"{title}: input", "truth", "P(cell)"))
fig.tight_layout()
save(fig, "timelapse_segmentation_overlays.png", dpi=80)

# %%
# Training curves from the net's history
# --------------------------------------
fig, ax = plt.subplots(figsize=(6, 4))
for k, title in [(0, "Network1"), (2, "Network5")]:
    plot_training_curves(models[k][-1], keys=("train_loss", "train_dice"), ax=ax, label=title)
ax.set_title("training loss (solid) and Dice (dashed) per epoch")
fig.tight_layout()
save(fig, "timelapse_segmentation_training.png", dpi=80)

# %%
# From masks to cells
# -------------------
# Connected components of the predicted masks give one label per cell and frame, the
# input a tracker needs. Tiny fragments are dropped.
cells = label_instances(models[0].predict(X_test), min_size=5)
true_cells = label_instances(y_test)
print("cells per frame, predicted:", cells.max(axis=(1, 2))[:8])
print("cells per frame, truth:    ", true_cells.max(axis=(1, 2))[:8])
plt.show()
