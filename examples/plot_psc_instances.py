"""
Cells, not pixels: touching stem cells in a real phase-contrast sequence
========================================================================

Pixel masks are not what a biologist counts or tracks: two cells that touch make one
blob of foreground. Here a U-Net learns a third class, the cells' *boundaries*, from
instance masks (``UNetSegmenter(instances="boundary")``), and
:meth:`~sklearn_cells.image.UNetSegmenter.predict_instances` grows one cell from each
group of interior pixels, so touching cells stay apart.

The data are 50 frames of pancreatic stem cells in phase contrast (PhC-C2DL-PSC, sequence
02, of the Cell Tracking Challenge, with its silver-truth instance masks), read from
``../shared/data`` with :func:`~sklearn_cells.datasets.load_ctc_sequence`: frames 0-34
train, frames 35-49 test. Without that folder the example falls back to synthetic
touching cells (:func:`~sklearn_cells.datasets.make_timelapse` with ``touching=0.5``
and ``outline=0.5``).

The U-Net is compared, on the same test frames, with the classical pipeline: an Otsu
threshold, then connected components or a distance-transform watershed
(scikit-image; the baselines are skipped without it), their minimum object size and
seed distance tuned on the training frames. The instance metrics are those of StarDist
and Cellpose (:func:`~sklearn_cells.metrics.match_instances`: F1 and average precision
of one-to-one matches at IoU thresholds) and the Cell Tracking Challenge SEG
(:func:`~sklearn_cells.metrics.seg_score`).

Run it as a script: ``python examples/plot_psc_instances.py``. A full run trains the
library's default U-Net for 6 epochs (about 15 minutes on one CPU core; the figures of
such a run are in ``benchmarks/results/unet_quality_cpu.md``). ``--quick`` (or the
environment variable ``SKLEARN_CELLS_EXAMPLES_QUICK=1``, which the documentation build
sets) trains a small U-Net for about a minute: a smoke test whose cells are rougher.
``--out DIR`` saves the figures in ``DIR`` (nothing is written without it), and
``--data-dir`` names the folder that holds ``PhC-C2DL-PSC``.
"""

# %%
# The frames and their instance masks
# -----------------------------------
import argparse
import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import torch
from scipy import ndimage

import sklearn_cells
from sklearn_cells.datasets import load_ctc_sequence, make_timelapse
from sklearn_cells.image import IntensityNormalizer, UNetSegmenter
from sklearn_cells.metrics import (
    label_instances,
    match_instances,
    pixel_f1_score,
    seg_score,
)

torch.set_num_threads(1)

ROOT = Path(sklearn_cells.__file__).resolve().parents[1]
# sphinx-gallery runs the file with its own arguments: unknown ones are ignored.
parser = argparse.ArgumentParser(description="Instance segmentation of touching cells")
parser.add_argument("--quick", action="store_true",
                    help="a small U-Net trained briefly (also SKLEARN_CELLS_EXAMPLES_QUICK=1)")
parser.add_argument("--out", type=Path, default=None,
                    help="folder to save the figures in (default: not saved)")
parser.add_argument("--data-dir", type=Path, default=ROOT.parent / "shared" / "data",
                    help="folder holding PhC-C2DL-PSC (default: ../shared/data)")
args, _ = parser.parse_known_args()
QUICK = args.quick or os.environ.get("SKLEARN_CELLS_EXAMPLES_QUICK", "") not in ("", "0")
print(f"mode: {'quick (a small U-Net, briefly trained)' if QUICK else 'full'}")


def save(fig, name, **kwargs):
    """Save ``fig`` in the ``--out`` folder, if one was given."""
    if args.out is not None:
        args.out.mkdir(parents=True, exist_ok=True)
        fig.savefig(args.out / name, **kwargs)


psc = args.data_dir / "PhC-C2DL-PSC"
if psc.is_dir():
    data = load_ctc_sequence(psc, "02")
    frames, masks = data.frames, data.masks
    train, test = np.arange(35), np.arange(35, 50)
    source = "PhC-C2DL-PSC 02"
else:
    print(f"{psc} not found: synthetic touching cells instead (give the folder with --data-dir)")
    X, masks = make_timelapse(n_sequences=3, n_frames=20, frame_shape=(128, 128), n_cells=16,
                              touching=0.5, outline=0.5, microwell=False,
                              instance_masks=True, random_state=0)
    frames = np.asarray(X)
    train, test = np.arange(40), np.arange(40, 60)
    source = "make_timelapse(touching=0.5)"
if QUICK:
    test = test[:5]
n_cells = [len(np.unique(m)) - 1 for m in masks[test]]
print(f"{source}: {len(frames)} frames of {frames.shape[1:]}, {np.mean(n_cells):.0f} cells "
      f"per test frame, {100 * np.mean(masks > 0):.1f} % cell pixels")

# %%
# A U-Net with a boundary class
# -----------------------------
# ``y`` is the instance masks themselves: the segmenter derives the three classes
# (background, interior, boundary) from them. Frames are scaled to their 1st-99.8th
# percentiles. The full run uses the library's defaults with a CPU budget of 6 epochs
# (an epoch shows every training pixel about once, half of the crops centred on cells);
# the quick run a small network and 60 steps.
if QUICK:
    unet = UNetSegmenter(instances="boundary", depth=3, base_channels=8, kernel_size=3,
                         crop_size=128, steps_per_epoch=20, max_epochs=3, lr=3e-3,
                         random_state=0)
else:
    unet = UNetSegmenter(instances="boundary", max_epochs=6, random_state=0)
X = IntensityNormalizer().fit_transform(frames)
unet.fit(X[train], masks[train])

# %%
# Specks of a few pixels would count as false cells: by default ``predict_instances``
# drops objects smaller than half the median training cell (``cell_area_``).
min_size = round(0.5 * unet.cell_area_)
print(f"U-Net: median training cell {unet.cell_area_:.0f} pixels, min_size={min_size}")
cells = unet.predict_instances(X[test])
# the same pixels, touching cells merged
merged = label_instances(unet.predict(X[test]), min_size=min_size)

# %%
# The classical pipeline: Otsu, then components or watershed
# ----------------------------------------------------------
# The Otsu threshold of each raw frame, then connected components, or a watershed of
# the distance to the background seeded at its maxima. The smallest object kept and
# the least seed distance are chosen on some training frames.
fit_frames = train[::4]
methods = {"U-Net, boundary class": cells, "U-Net, connected components": merged}
try:
    from skimage.feature import peak_local_max
    from skimage.filters import threshold_otsu
    from skimage.segmentation import watershed
except ImportError:
    print("scikit-image is not installed: the Otsu baselines are skipped")
else:
    def drop_small(labels, min_size):
        sizes = np.bincount(labels.ravel())
        small = sizes < min_size
        small[0] = False
        return np.where(small[labels], 0, labels)

    def distance_watershed(mask, min_distance):
        dist = ndimage.distance_transform_edt(mask)
        peaks = peak_local_max(dist, min_distance=min_distance, labels=ndimage.label(mask)[0],
                               exclude_border=False)
        markers = np.zeros(mask.shape, np.int32)
        markers[tuple(peaks.T)] = np.arange(1, len(peaks) + 1)
        return watershed(-dist, markers, mask=mask)

    otsu = np.stack([f > threshold_otsu(f) for f in frames.astype(np.float32)])

    def tuned(label_fn, grid):
        best = max(grid, key=lambda g: match_instances(
            masks[fit_frames], np.stack([label_fn(otsu[i], **g) for i in fit_frames]))["f1"])
        print(f"  chosen on the training frames: {best}")
        return np.stack([label_fn(otsu[i], **best) for i in test])

    methods["Otsu, connected components"] = tuned(
        lambda m, min_size: label_instances(m, min_size=min_size),
        [dict(min_size=s) for s in (0, 20, 60)])
    methods["Otsu, watershed"] = tuned(
        lambda m, min_size, min_distance: drop_small(distance_watershed(m, min_distance),
                                                     min_size),
        [dict(min_size=s, min_distance=d) for s in (0, 20, 60) for d in (3, 6)])

# %%
# Instance metrics on the test frames
# -----------------------------------
# F1 and average precision (StarDist's ``tp / (tp + fp + fn)``) of one-to-one matches
# at IoU 0.5, SEG (mean IoU of the true cells with the object covering most of them),
# and the pixel F1 of the cell masks.
thresholds = np.round(np.arange(0.5, 1.0, 0.05), 2)
curves = {}
print(f"{'method':28s} {'F1@0.5':>7s} {'AP@0.5':>7s} {'SEG':>6s} {'pixel F1':>9s} "
      f"{'cells':>6s}")
for name, labels in methods.items():
    scores = match_instances(masks[test], labels, thresh=list(thresholds))
    curves[name] = [s["average_precision"] for s in scores]
    print(f"{name:28s} {scores[0]['f1']:7.3f} {scores[0]['average_precision']:7.3f} "
          f"{seg_score(masks[test], labels):6.3f} "
          f"{pixel_f1_score(masks[test] > 0, labels > 0):9.3f} "
          f"{scores[0]['n_pred'] / len(test):6.1f}")
print(f"{'truth':28s} {'':7s} {'':7s} {'':6s} {'':9s} {np.mean(n_cells):6.1f}")

# %%
# Contours over the raw frame
# ---------------------------
# Predicted cells outlined on the first test frame (a quarter of it), the instance
# labels, and the connected components of the same network's pixel mask, where cells
# that touch become one object.


def outlines(labels):
    """Pixels of an object next to another label (background included)."""
    high = ndimage.maximum_filter(labels, size=3)
    low = ndimage.minimum_filter(labels, size=3)
    return (labels > 0) & ((high != labels) | (low != labels))


h, w = frames.shape[1:]
window = (slice(0, h // 2), slice(0, w // 2))
fig, axes = plt.subplots(1, 3, figsize=(13, 4.6))
raw = frames[test[0]][window]
axes[0].imshow(raw, cmap="gray")
for labels, colour in ((masks[test[0]], (0.2, 0.9, 0.2)), (cells[0], (1.0, 0.2, 0.6))):
    overlay = np.zeros(raw.shape + (4,))
    overlay[outlines(labels[window])] = colour + (1.0,)
    axes[0].imshow(overlay, interpolation="nearest")
axes[0].set_title("raw frame: truth (green), U-Net cells (pink)")
for ax, labels, title in ((axes[1], cells[0], "U-Net instances"),
                          (axes[2], merged[0], "connected components")):
    colours = np.random.default_rng(0).permutation(labels.max() + 1)  # neighbours differ
    ax.imshow(np.ma.masked_equal(np.where(labels > 0, colours[labels] + 1, 0)[window], 0),
              cmap="tab20", interpolation="nearest")
    ax.set_title(f"{title} ({labels.max()} objects in the frame)")
for ax in axes:
    ax.set_axis_off()
fig.tight_layout()
save(fig, "psc_instances_contours.png", dpi=80)

# %%
# Average precision across IoU thresholds
# ---------------------------------------
# At IoU 0.5 an object must cover half of its cell; at 0.9 its outline must be nearly
# exact.
fig, ax = plt.subplots(figsize=(6, 4))
for name, curve in curves.items():
    ax.plot(thresholds, curve, marker="o", label=name)
ax.set_xlabel("IoU threshold")
ax.set_ylabel("average precision  tp / (tp + fp + fn)")
ax.set_ylim(0, 1)
ax.legend()
ax.set_title(f"{source}: test frames")
fig.tight_layout()
save(fig, "psc_instances_ap.png", dpi=80)
plt.show()
