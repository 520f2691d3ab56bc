"""UNetSegmenter: a scikit-learn segmenter for (time-lapse) frames, after seed 004 "StemNet"."""

from __future__ import annotations

import warnings

import numpy as np
import torch
from scipy import ndimage
from sklearn.base import ClassifierMixin
from sklearn.utils import Bunch
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.validation import check_is_fitted
from skorch.callbacks import Callback
from skorch.dataset import unpack_data
from torch.utils.data import Dataset

from ..base import (
    FitData,
    TorchEstimator,
    int_at_least,
    positive_int,
    real_in,
    shared_parameter_docs,
)
from ..metrics._segmentation import dice_score, label_instances
from ..nn.unet import IGNORE_INDEX, SegmentationLoss, UNet, unet_receptive_field
from ._instances import (
    boundary_targets,
    filter_small,
    holds_instance_labels,
    instances_from_proba,
)
from ._temporal import TimelapseFrames, check_frames

__all__ = ["UNetSegmenter"]

_OPTIMIZERS = ("sgd", "adam")
# max_epochs="auto": the seed's budget on a GPU; on a CPU about the 318 steps with which
# 6 epochs on PSC reached a test pixel F1 of 0.86 (benchmarks/bench_unet.py --only
# psc_defaults), at about 2.4 s a step on 2 cores for 256-pixel windows.
_GPU_EPOCHS = 30
_CPU_STEPS = 300


# --------------------------------------------------------------------------------------
# data
# --------------------------------------------------------------------------------------
def _round_up(n: int, m: int) -> int:
    return -(-n // m) * m


def _pad_to(a: np.ndarray, h: int, w: int, value=None) -> np.ndarray:
    """Pad the last two axes at the bottom/right to (h, w): reflect, or a constant."""
    ph, pw = h - a.shape[-2], w - a.shape[-1]
    if ph == 0 and pw == 0:
        return a
    widths = [(0, 0)] * (a.ndim - 2) + [(0, ph), (0, pw)]
    if value is None:
        return np.pad(a, widths, mode="reflect" if min(a.shape[-2:]) > 1 else "edge")
    return np.pad(a, widths, mode="constant", constant_values=value)


def _pad_index(length: int, padded: int, reflect: bool) -> np.ndarray:
    """Source index of each position of an axis padded at the end as :func:`_pad_to` does.

    ``a[..., _pad_index(n, m, True)]`` equals ``np.pad(a, (0, m - n), mode="reflect")`` along
    that axis (reflection repeats with period ``2 * (n - 1)`` when the pad is longer than the
    axis); ``reflect=False`` repeats the edge. Gathering a tile through these indices gives the
    window of the padded frame without padding the whole frame.
    """
    j = np.arange(padded)
    if not reflect or length == 1:
        return np.minimum(j, length - 1)
    period = 2 * (length - 1)
    j = j % period
    return np.where(j < length, j, period - j)


def _subset(items, idx):
    """``items[idx]`` for an array or a list of frames."""
    return [items[i] for i in idx] if isinstance(items, list) else items[idx]


class _FrameDataset(Dataset):
    """Frames and masks as (C, h, w) float / (h, w) long tensors, cropped and padded.

    ``frames`` and ``masks`` are arrays or lists (frames of any sizes). Training items
    are random ``crop`` x ``crop`` windows (the whole frame along an axis shorter than
    that); with probability ``foreground_fraction`` a window is centred on a random
    foreground pixel of its mask. An epoch has ``n_items`` items drawn from the frames in
    proportion to their windows per frame, or, when ``n_items`` is None, as many windows
    per frame as cover its area once (at least one), so that an epoch shows about every
    pixel once. Items are padded to one shape, a multiple of ``2 ** depth``: reflected in
    the image and ``IGNORE_INDEX`` in the target, so padding never counts in the loss.
    Random flips and 90-degree turns when ``augment``. Validation items are one centred
    window per frame. Randomness comes from torch's global generator, seeded by the
    estimator's random_state.
    """

    def __init__(self, frames, masks, multiple, crop=None, train=True, augment=True,
                 n_items=None, foreground_fraction=0.0):
        self.frames, self.masks = frames, masks
        self.crop, self.train, self.augment = crop, train, augment
        self.n_items, self.foreground_fraction = n_items, foreground_fraction
        sizes = np.array([f.shape[-2:] for f in frames], dtype=np.int64)
        windows = sizes if crop is None else np.minimum(sizes, crop)
        self.shape = tuple(_round_up(int(s), multiple) for s in windows.max(0))
        per_frame = np.ones(len(sizes), dtype=np.int64)
        if train:
            per_frame = np.maximum(1, np.round(sizes.prod(1) / windows.prod(1))).astype(np.int64)
        self.items = np.repeat(np.arange(len(sizes)), per_frame)

    def __len__(self):
        return len(self.items) if self.n_items is None else self.n_items

    def _start(self, size, centre=None):
        if self.crop is None or size <= self.crop:
            return 0
        if not self.train:  # deterministic validation window
            return (size - self.crop) // 2
        if centre is not None:
            return min(max(centre - self.crop // 2, 0), size - self.crop)
        return int(torch.randint(0, size - self.crop + 1, ()).item())

    def _centre(self, mask):
        """A random foreground pixel ``(y, x)`` (or None) with ``foreground_fraction``."""
        if not (self.train and self.foreground_fraction > 0):
            return None, None
        if self.crop is None or max(mask.shape) <= self.crop:
            return None, None  # the window is the whole frame anyway
        if torch.rand(()).item() >= self.foreground_fraction:
            return None, None
        where = np.flatnonzero(mask.ravel() > 0)  # on the fly: no per-frame index in memory
        if not where.size:
            return None, None
        k = int(where[int(torch.randint(0, where.size, ()).item())])
        return divmod(k, mask.shape[-1])

    def __getitem__(self, i):
        if self.n_items is not None:  # a fixed number of items: frames drawn at random
            i = int(torch.randint(0, len(self.items), ()).item())
        j = int(self.items[i])
        frame, mask = self.frames[j], self.masks[j]
        cy, cx = self._centre(mask)
        y0, x0 = self._start(frame.shape[-2], cy), self._start(frame.shape[-1], cx)
        y1 = frame.shape[-2] if self.crop is None else min(y0 + self.crop, frame.shape[-2])
        x1 = frame.shape[-1] if self.crop is None else min(x0 + self.crop, frame.shape[-1])
        frame, mask = frame[:, y0:y1, x0:x1], mask[y0:y1, x0:x1]
        h, w = self.shape
        frame = torch.from_numpy(np.ascontiguousarray(_pad_to(frame, h, w)))
        mask = torch.from_numpy(_pad_to(mask.astype(np.int64), h, w, IGNORE_INDEX))
        if self.train and self.augment:
            flips = torch.randint(0, 2, (2,))
            k = int(torch.randint(0, 4, ()).item()) if h == w else 0
            dims = [d for d, f in zip((-2, -1), flips.tolist()) if f]
            if dims:
                frame, mask = frame.flip(dims), mask.flip(dims)
            if k:
                frame, mask = frame.rot90(k, (-2, -1)), mask.rot90(k, (-2, -1))
            frame, mask = frame.contiguous(), mask.contiguous()
        return frame, mask


def _plan_tiles(length: int, tile: int, margin: int, multiple: int):
    """1-D tiling: ``[(start, stop, keep_start, keep_stop)]`` covering ``[0, length)``.

    Windows ``[start, stop)`` lie in the axis padded to ``_round_up(length, multiple)``, the
    length a whole-frame run pads to; ``tile`` must be a multiple of ``multiple``. Every
    start and stop is a multiple of ``multiple``, so each window sits on the whole frame's
    pooling grid and has a size the network accepts. A window keeps ``[keep_start,
    keep_stop)``, at least ``margin`` pixels from its edges except at the ends of the padded
    axis, where a whole-frame run has the same zero padding. The kept ranges cover
    ``[0, length)`` once. With ``margin`` at least the network's receptive-field radius,
    every kept pixel thus sees exactly the input it sees in a whole-frame run.

    Neighbouring windows overlap by ``2 * margin`` rounded up to ``multiple``, the least the
    grid allows, and windows advance by the rest of ``tile``. All windows but the last are
    ``tile`` long and the last one stops at the padded end, so it is only as long as what is
    left: a 1026-pixel axis in 1024-pixel tiles costs 1024 + 480 pixels (depth 5, margin
    219), not two full tiles. No plan of ``tile``-bounded windows has fewer windows or a
    smaller summed length.
    """
    padded = _round_up(length, multiple)
    if padded <= tile:
        return [(0, padded, 0, length)]
    step = (tile - 2 * margin) // multiple * multiple
    if step < multiple:
        raise ValueError(
            f"tiles of {tile} pixels with margin {margin} leave no room: the tile must be at "
            f"least 2 * margin + {multiple} pixels."
        )
    starts = list(range(0, padded - tile, step))
    starts.append(starts[-1] + step)  # the first start whose window reaches the end
    plan, keep_start = [], 0
    for j, start in enumerate(starts):
        stop = min(start + tile, padded)
        if j == len(starts) - 1:
            keep_stop = length
        else:  # middle of the overlap with the next window: >= margin from both edges
            keep_stop = (starts[j + 1] + stop) // 2
        plan.append((start, stop, keep_start, keep_stop))
        keep_start = keep_stop
    return plan


# --------------------------------------------------------------------------------------
# skorch pieces
# --------------------------------------------------------------------------------------
class _DiceRecorder(Callback):
    """Record the pooled foreground Dice of each epoch's batches as train_dice / valid_dice."""

    def on_epoch_begin(self, net, **kwargs):
        self.counts_ = {True: np.zeros(3), False: np.zeros(3)}

    def on_batch_end(self, net, batch, training, y_pred=None, **kwargs):
        if y_pred is None:
            return
        _, yi = unpack_data(batch)
        with torch.no_grad():
            pred = y_pred.argmax(1).to(yi.device) > 0
            valid = yi != IGNORE_INDEX
            true = (yi > 0) & valid
            pred = pred & valid
            self.counts_[training] += [(pred & true).sum().item(), (pred & ~true).sum().item(),
                                       (~pred & true).sum().item()]

    def on_epoch_end(self, net, dataset_valid=None, **kwargs):
        for training, name in ((True, "train_dice"), (False, "valid_dice")):
            tp, fp, fn = self.counts_[training]
            if training or dataset_valid is not None:
                dice = float(2 * tp / (2 * tp + fp + fn)) if tp + fp + fn else 1.0
                net.history.record(name, dice)


# --------------------------------------------------------------------------------------
# estimator
# --------------------------------------------------------------------------------------
def _warn_about_fit(check: dict) -> None:
    """Warn when a network finds (almost) no cells, or far fewer than ``y`` holds,
    on windows of its own training frames."""
    found, cells = check["found_pixels"], check["cell_pixels"]
    n_found, n_cells = check["n_found"], check["n_cells"]
    if found < 0.1 * cells:
        warnings.warn(
            f"UNetSegmenter finds almost no cells on its own training frames: {found} cell "
            f"pixels where y has {cells}. Likely cause: too few training steps for sparse "
            "cells (predicting background wins the loss). Train longer (max_epochs, "
            "steps_per_epoch), raise foreground_fraction or use class_weight='balanced', "
            "and check that y marks the cells with labels > 0.",
            UserWarning, stacklevel=4)
    elif n_cells >= 4 and n_found <= n_cells / 4:
        warnings.warn(
            f"UNetSegmenter finds {n_found} cell(s) where y has {n_cells} on windows of its "
            "own training frames: touching cells merge, as the network has not learned "
            "their boundaries. Train longer (boundary targets need more epochs than binary "
            "masks: max_epochs, steps_per_epoch).",
            UserWarning, stacklevel=4)


@shared_parameter_docs
class UNetSegmenter(ClassifierMixin, TorchEstimator):
    """U-Net pixel classifier for microscopy frames, with optional temporal channels.

    The fully convolutional network of seed 004 ("StemNet"): ``depth`` poolings (5 takes
    a 1024-pixel frame down to 32), ``kernel_size`` x ``kernel_size`` convolutions,
    transposed-convolution upsampling with concatenated skips, dropout, a cross-entropy
    weighted for the rare cell pixels, and momentum SGD with a per-epoch decaying learning
    rate (or Adam). The input channels are inferred from ``X``: 1 for plain frames, 5 after
    ``TemporalContextStacker(n_context=2)`` (the seed's Network5), so 1 vs 5 frames is a
    grid-search parameter of a ``Pipeline``.

    Frames of any height and width are accepted: they are padded (reflected) at the
    bottom/right to a multiple of ``2 ** depth`` and the prediction is cropped back, so
    frames smaller than ``2 ** depth`` (or than the receptive field) work, with border
    context made of reflections. Large frames are trained on random ``crop_size`` windows
    and predicted tile by tile (``tile_size``, overlapping by ``tile_overlap``), so memory
    is bounded by the tile and ``batch_size``, not by the frame; a model trained on one
    frame size predicts on any other. ``X`` may also be a list of frames of different
    sizes (``(H_i, W_i)`` or ``(C, H_i, W_i)``, e.g. from
    :func:`~sklearn_cells.datasets.load_image_folder`) with a list of masks ``y``; a list
    in gives a list out from ``predict``, ``predict_proba`` and ``predict_instances``.
    Training windows are padded to one shape (the padding ignored by the loss), and
    prediction runs the frames of each size together.

    An epoch shows about every training pixel once: each frame gives as many random
    windows as cover its area (at least one), so 35 frames of 576x720 in 256-pixel
    windows make 210 windows, 53 steps of 4. ``steps_per_epoch`` fixes the number of
    optimiser steps instead, whatever the data. A share ``foreground_fraction`` of the
    windows is centred on a random cell pixel, so that sparse cells are seen often.

    Touching cells: when ``y`` holds instance labels (one integer per cell), the network
    learns three classes, background, cell interior and cell boundary (the cell pixels
    next to another label), as in the three-class U-Nets of Caicedo et al. (2019,
    Cytometry A 95:952). :meth:`predict_instances` then grows each connected group of
    interior pixels over the cell pixels nearest to it, so cells that touch stay apart
    where the network sees the boundary between them. After training, :meth:`fit` warns
    when the network finds almost no cells, or far fewer than ``y`` holds, on its own
    training frames. How this compares with Otsu and watershed baselines: user guide,
    Segmentation.

    Tiled prediction equals whole-frame prediction. The frame is padded once, as for a
    whole-frame run; tiles start on multiples of ``2 ** depth``, so they share the whole
    frame's pooling grid, and each keeps only pixels at least ``tile_overlap // 2`` from its
    inner edges. When that margin covers the network's receptive-field radius
    (:func:`sklearn_cells.nn.unet_receptive_field`: 219 pixels at the default depth 5,
    kernel 5, one convolution per level), every kept pixel is computed from exactly the
    inputs of the whole-frame run, and ``tile_overlap="auto"`` (the default) chooses that
    overlap. The two then agree up to float rounding only (measured on CPU: below 1e-6
    in probability, often bit for bit; float16 under ``mixed_precision`` on CUDA rounds
    more coarsely), because a convolution library may sum in an order that depends on the
    input's shape. Exactness also needs per-pixel layers: ``norm="group"`` normalises over
    each tile, so its tiled output differs. A smaller overlap is faster and usually close,
    but not equal (timings: user guide, Segmentation).

    Parameters
    ----------
    depth : int, default=5
        Number of 2x2 poolings (the seed: 5).
    base_channels : int, default=16
        Feature maps of the first level, doubled at each level (the seed: 16).
    kernel_size : int, default=5
        Odd convolution size (the seed: 5).
    n_convs : int, default=1
        Convolutions per level and direction (the seed: 1; the original U-Net: 2).
    dropout : float, default=0.25
        Dropout after each convolution (the seed: 0.25).
    norm : {None, "batch", "group"}, default="batch"
        Normalisation after each convolution. The seed used none (batch size 1); batch
        normalisation makes training robust to the learning rate.
    n_classes : int, default=2
        Pixel classes; masks ``y`` hold labels ``0 .. n_classes - 1`` (0 = background).
    loss : {"ce", "dice", "ce+dice"}, default="ce"
        ``"ce"``: cross-entropy weighted by ``class_weight`` (the seed); ``"dice"``: soft
        Dice of the foreground classes; ``"ce+dice"``: their sum.
    class_weight : {"foreground", "balanced"}, dict or None, default="foreground"
        Weights of the classes in the cross-entropy (the network's classes:
        background, interior and boundary with ``instances="boundary"``).
        ``"foreground"``: ``foreground_weight`` for every class but 0 (the seed);
        ``"balanced"``: median frequency balancing over the training masks (the
        seed's ``get_freq_median``); a dict maps classes to weights (others 1);
        None: unweighted. Unused with ``loss="dice"``.
    foreground_weight : float, default=2.0
        Weight of the non-background classes with ``class_weight="foreground"``.
    optimizer : {"adam", "sgd"}, default="adam"
        ``"sgd"`` is SGD with ``momentum`` (the seed: lr 0.15, momentum 0.2, decay 0.95).
    lr : float, default=1e-3
        Initial learning rate.
    momentum : float, default=0.9
        Momentum of ``"sgd"``.
    weight_decay : float, default=0.0
    max_epochs : int or "auto", default="auto"
        Passes over the training frames (see ``steps_per_epoch``). ``"auto"`` fits the
        budget to the machine: 30 epochs on a GPU (the seed's budget), and on a CPU as
        many as make about 300 optimiser steps (at least 2, at most 30), about ten
        minutes on two cores for a dozen frames of 700x1100; the user guide
        (Segmentation) has the measurements behind it. ``verbose=1`` shows the time left.
    batch_size : int, default=4
        Frames (or crops) per training step, and tiles per forward pass at prediction.
    crop_size : int or None, default=256
        Train on random ``crop_size`` windows of frames larger than that (rounded up to a
        multiple of ``2 ** depth``); None trains on whole frames.
    steps_per_epoch : int or None, default=None
        Optimiser steps (batches of ``batch_size`` windows) per epoch, the windows drawn
        from the frames in proportion to their area. None: as many windows as cover each
        training frame once (one per frame no larger than ``crop_size``).
    foreground_fraction : float in [0, 1], default=0.5
        Share of the training windows centred on a random foreground pixel of their
        mask (the rest uniformly placed); only matters for frames larger than
        ``crop_size``. Frames without foreground get uniform windows (measurements: user
        guide, Segmentation).
    augment : bool, default=True
        Random flips and 90-degree rotations of the training windows.
    instances : {"auto", "boundary"} or None, default="auto"
        ``"boundary"``: ``y`` holds instance labels (0 background, one positive integer
        per cell; ``n_classes`` must be 2); the network also learns the cells' boundaries,
        and :meth:`predict_instances` separates touching cells. None: ``y`` holds pixel
        classes, and :meth:`predict_instances` labels the connected components of the
        predicted foreground (touching cells merge). ``"auto"``: ``"boundary"`` when
        ``n_classes=2`` and ``y`` holds a label above 1 (instance masks), else None; the
        choice is ``instances_``. ``predict`` and ``predict_proba`` always give the pixel
        classes (cell vs background with boundary targets).
    tile_size : int or None, default=1024
        Frames larger than this (after padding to a multiple of ``2 ** depth``) are predicted
        in overlapping tiles at most this large (rounded up to a multiple of ``2 ** depth``);
        the last tile along an axis is only as long as what is left. None predicts whole
        frames.
    tile_overlap : int or "auto", default="auto"
        Least overlap of neighbouring tiles, rounded up to a multiple of ``2 ** depth``;
        each tile keeps its centre, at least ``tile_overlap // 2`` pixels from its inner
        edges. ``"auto"`` is twice the receptive-field radius of the network (438 at the
        default depth, kernel_size and n_convs; 26 for depth 2, kernel 3), the least overlap
        with which tiled equals whole-frame prediction; ``tile_size`` must then be at least
        that plus ``2 ** depth``.
    %(shared_parameters)s

    Attributes
    ----------
    net_ : skorch.NeuralNet
        The trained net; ``net_.module_`` is the :class:`sklearn_cells.nn.unet.UNet`.
    classes_ : ndarray of shape (n_classes,)
        ``0 .. n_classes - 1``.
    n_features_in_ : int
        Input channels.
    class_weight_ : ndarray or None
        The class weights of the cross-entropy.
    instances_ : {"boundary", None}
        Whether the network learned boundary targets (see ``instances``).
    cell_area_ : float
        Median pixel count of the training cells (the instances of ``y`` with boundary
        targets, else the connected components of its foreground).
    fit_check_ : dict
        The check after :meth:`fit` on windows of up to four training frames:
        ``cell_pixels`` and ``n_cells`` in ``y``, ``found_pixels`` and ``n_found`` by
        :meth:`predict_instances`.
    history_ : skorch History
        Per-epoch ``train_loss``, ``train_dice`` (and ``valid_loss``, ``valid_dice``).

    Examples
    --------
    >>> from sklearn_cells.datasets._timelapse import make_timelapse
    >>> X, y = make_timelapse(n_sequences=1, n_frames=4, frame_shape=(32, 32), random_state=0)
    >>> seg = UNetSegmenter(depth=2, base_channels=4, kernel_size=3, max_epochs=2,
    ...                     random_state=0).fit(X, y)
    >>> seg.predict(X).shape, seg.predict_proba(X).shape
    ((4, 32, 32), (4, 2, 32, 32))
    """

    def __init__(
        self,
        depth: int = 5,
        base_channels: int = 16,
        kernel_size: int = 5,
        n_convs: int = 1,
        dropout: float = 0.25,
        norm: str | None = "batch",
        n_classes: int = 2,
        loss: str = "ce",
        class_weight: str | dict | None = "foreground",
        foreground_weight: float = 2.0,
        optimizer: str = "adam",
        lr: float = 1e-3,
        momentum: float = 0.9,
        weight_decay: float = 0.0,
        max_epochs: int | str = "auto",
        batch_size: int = 4,
        crop_size: int | None = 256,
        steps_per_epoch: int | None = None,
        foreground_fraction: float = 0.5,
        augment: bool = True,
        instances: str | None = "auto",
        tile_size: int | None = 1024,
        tile_overlap: int | str = "auto",
        lr_schedule: str | None = None,
        early_stopping: bool = False,
        validation_fraction: float = 0.1,
        n_iter_no_change: int = 5,
        mixed_precision: bool = True,
        warm_start: bool = False,
        callbacks: list | None = None,
        accelerator=None,
        device: str = "cpu",
        random_state=None,
        verbose: int = 0,
    ):
        self.depth = depth
        self.base_channels = base_channels
        self.kernel_size = kernel_size
        self.n_convs = n_convs
        self.dropout = dropout
        self.norm = norm
        self.n_classes = n_classes
        self.loss = loss
        self.class_weight = class_weight
        self.foreground_weight = foreground_weight
        self.optimizer = optimizer
        self.lr = lr
        self.momentum = momentum
        self.weight_decay = weight_decay
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.crop_size = crop_size
        self.steps_per_epoch = steps_per_epoch
        self.foreground_fraction = foreground_fraction
        self.augment = augment
        self.instances = instances
        self.tile_size = tile_size
        self.tile_overlap = tile_overlap
        self.lr_schedule = lr_schedule
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.mixed_precision = mixed_precision
        self.warm_start = warm_start
        self.callbacks = callbacks
        self.accelerator = accelerator
        self.device = device
        self.random_state = random_state
        self.verbose = verbose

    # ---------------------------------------------------------------- validation
    _min_inference_batch = 1  # tiles of up to tile_size**2 pixels: batch_size at a time
    _parameter_constraints: dict = {
        **TorchEstimator._parameter_constraints,
        "depth": [int_at_least(0)],
        "base_channels": [positive_int()],
        "kernel_size": [positive_int()],
        "n_convs": [positive_int()],
        "dropout": [real_in(0, 1, closed="left")],
        "norm": [StrOptions({"batch", "group"}), None],
        "n_classes": [int_at_least(2)],
        "loss": [StrOptions({"ce", "dice", "ce+dice"})],
        "class_weight": [StrOptions({"foreground", "balanced"}), dict, None],
        "foreground_weight": [real_in(0, None)],
        "optimizer": [StrOptions(set(_OPTIMIZERS))],
        "momentum": [real_in(0, 1, closed="left")],
        "weight_decay": [real_in(0, None, closed="left")],
        "max_epochs": [positive_int(), StrOptions({"auto"})],
        "crop_size": [positive_int(), None],
        "steps_per_epoch": [positive_int(), None],
        "foreground_fraction": [real_in(0, 1, closed="both")],
        "augment": ["boolean"],
        "instances": [StrOptions({"auto", "boundary"}), None],
        "tile_size": [positive_int(), None],
        "tile_overlap": [StrOptions({"auto"}), int_at_least(0)],
    }

    # ---------------------------------------------------------------- validation
    def _check_params(self):
        if self.kernel_size % 2 == 0:
            raise ValueError(f"kernel_size={self.kernel_size!r} must be an odd integer (3 or 5).")
        if self.instances == "boundary" and self.n_classes != 2:
            raise ValueError(
                f"instances='boundary' separates cells from background and needs n_classes=2; "
                f"got n_classes={self.n_classes}."
            )
        self._tile_geometry()

    def _tile_geometry(self) -> tuple[int | None, int]:
        """Validated ``(tile, margin)``: the tile rounded up to ``2 ** depth`` (None: whole
        frames) and the context each tile keeps from its inner edges."""
        multiple = 2**self.depth
        if self.tile_overlap == "auto":
            margin = unet_receptive_field(self.depth, self.kernel_size, self.n_convs)
        else:
            margin = int(self.tile_overlap) // 2
        if self.tile_size is None:
            return None, margin
        tile = _round_up(self.tile_size, multiple)
        if tile - 2 * margin < multiple:
            if self.tile_overlap == "auto":
                raise ValueError(
                    f"tile_size={self.tile_size} is too small for tile_overlap='auto', twice "
                    f"the network's receptive-field radius ({2 * margin} pixels): use "
                    f"tile_size >= {2 * margin + multiple}, tile_size=None, or a smaller "
                    "integer tile_overlap (tiled predictions then differ slightly from "
                    "whole-frame ones near tile seams)."
                )
            raise ValueError(
                f"tile_overlap={self.tile_overlap} must be smaller than tile_size="
                f"{self.tile_size} by at least 2**depth={multiple}: use tile_overlap <= "
                f"{tile - multiple} or a larger tile_size."
            )
        return tile, margin

    def _check_X(self, X, *, reset: bool):
        """Frames as an ``(n, C, H, W)`` float32 array, or a list of ``(C, H_i, W_i)``
        arrays when ``X`` is a list (or a ragged :class:`TimelapseFrames`)."""
        frames = check_frames(X, allow_list=True)
        if isinstance(frames, list):
            frames = [f[None] if f.ndim == 2 else f for f in frames]
            channels = frames[0].shape[0]
        else:
            frames = frames[:, None] if frames.ndim == 3 else frames
            channels = frames.shape[1]
        if not reset and channels != self.n_features_in_:
            raise ValueError(
                f"X has {channels} channel(s) but this UNetSegmenter was fitted with "
                f"{self.n_features_in_}; use the same temporal context (n_context) as in fit."
            )
        return frames

    def _check_labels(self, masks: np.ndarray, where: str) -> np.ndarray:
        """One array of masks as int64 labels (dtype checks only)."""
        if masks.dtype == bool:
            return masks.astype(np.int64)
        if masks.dtype.kind == "f":
            if not np.isfinite(masks).all() or not np.array_equal(masks, np.round(masks)):
                raise ValueError(
                    f"{where} must hold integer class labels; got non-integer values. Threshold "
                    "soft masks first, e.g. y = (y > 0.5).astype(int)."
                )
        elif masks.dtype.kind not in "iu":
            raise TypeError(f"{where} must hold integer class labels; got dtype {masks.dtype}.")
        return masks.astype(np.int64, copy=False)

    def _check_y(self, y, frames, instances: str | None):
        """Masks in the container kind of ``frames``: an ``(n, H, W)`` int64 array or a
        list of ``(H_i, W_i)`` arrays; class labels, or instance labels when
        ``instances="boundary"``."""
        if y is None:
            raise ValueError("y is required: pass one integer mask (H, W) per frame.")
        if isinstance(frames, list):
            if isinstance(y, (str, bytes)) or not hasattr(y, "__len__"):
                raise ValueError("y must hold one integer mask (H_i, W_i) per frame of X.")
            if len(y) != len(frames):
                raise ValueError(
                    f"y must hold one mask per frame; got {len(y)} mask(s) for {len(frames)} "
                    "frames."
                )
            masks = []
            for i, (m, f) in enumerate(zip(y, frames)):
                m = np.asarray(m)
                if m.shape != f.shape[-2:]:
                    raise ValueError(
                        f"y[{i}] has shape {m.shape} but frame {i} of X is {f.shape[-2:]}; "
                        "each mask must have its frame's height and width."
                    )
                masks.append(self._check_labels(m, f"y[{i}]"))
            lo = min(int(m.min()) for m in masks)
            hi = max(int(m.max()) for m in masks)
        else:
            try:
                masks = np.asarray(y)
            except ValueError:
                masks = None
            expected = (frames.shape[0],) + frames.shape[2:]
            if masks is None or masks.shape != expected:
                got = "masks of different sizes" if masks is None else f"shape {masks.shape}"
                raise ValueError(
                    f"y must hold one mask per frame with the frames' height and width, "
                    f"shape {expected}; got {got}."
                )
            masks = self._check_labels(masks, "y")
            lo, hi = int(masks.min()), int(masks.max())
        if instances == "boundary" or (instances == "auto" and self.n_classes == 2 and hi > 1):
            if lo < 0:
                raise ValueError(
                    f"y holds negative labels (min {lo}); with instances='boundary' y holds "
                    "instance labels: 0 for background, one positive integer per cell."
                )
        elif lo < 0 or hi >= self.n_classes:
            hint = (" For instance masks (one label per cell) pass binary masks, y > 0, or "
                    "use instances='auto' to learn to separate touching cells."
                    if hi >= self.n_classes and lo >= 0 else "")
            raise ValueError(
                f"y labels must lie in 0..{self.n_classes - 1} (n_classes={self.n_classes}); "
                f"got labels from {lo} to {hi}.{hint}"
            )
        return masks

    def _n_outputs(self, instances: str | None) -> int:
        """Classes of the network: the pixel classes, or background/interior/boundary."""
        return 3 if instances == "boundary" else self.n_classes

    def _class_weight(self, masks, n: int):
        if self.loss == "dice" or self.class_weight is None:
            return None
        if self.class_weight == "balanced":
            # Median frequency balancing (Eigen & Fergus; the seed's get_freq_median):
            # freq_c = pixels of c / pixels of the frames where c occurs.
            counts = np.stack([np.bincount(m.ravel(), minlength=n) for m in masks])
            pixels = np.array([m.size for m in masks], dtype=np.float64)
            present = counts > 0
            freq = counts.sum(0) / np.maximum((present * pixels[:, None]).sum(0), 1)
            med = np.median(freq[freq > 0]) if (freq > 0).any() else 1.0
            return np.where(freq > 0, med / np.maximum(freq, 1e-12), 1.0).astype(np.float32)
        if self.class_weight == "foreground":
            weight = np.full(n, float(self.foreground_weight), dtype=np.float32)
            weight[0] = 1.0
            return weight
        weight = np.ones(n, dtype=np.float32)
        for label, w in self.class_weight.items():
            if label not in range(n):
                raise ValueError(f"class_weight names class {label!r}; the network's classes "
                                 f"are 0 .. {n - 1}.")
            weight[label] = w
        return weight

    @staticmethod
    def _cell_area(masks, instances: str | None) -> float:
        """Median pixel count of the cells of training masks (0 without any)."""
        areas = []
        for mask in masks:
            labels = mask if instances == "boundary" else label_instances(mask > 0)
            counts = np.bincount(np.asarray(labels).ravel())[1:]
            areas.append(counts[counts > 0])
        areas = np.concatenate(areas)
        return float(np.median(areas)) if areas.size else 0.0

    # ---------------------------------------------------------------- fit
    def fit(self, X, y) -> UNetSegmenter:
        """Train on frames ``X`` and integer masks ``y``.

        ``X`` is ``(n, H, W)`` or ``(n, C, H, W)``, or a list of frames of any sizes
        (``(H_i, W_i)`` or ``(C, H_i, W_i)``) with ``y`` a list of masks ``(H_i, W_i)``.
        ``y`` holds class labels, or instance labels (one integer per cell) when
        ``instances="boundary"``. ``X`` may be a :class:`TimelapseFrames` (the output of
        the temporal transformers); its sequence ids are then used to hold out whole
        sequences for early stopping.

        After training, the network is run on windows of up to four training frames
        centred on their cells: when it finds (almost) no cell there, or far fewer
        cells than ``y`` holds, a warning names the likely cause and the fix
        (``fit_check_`` holds the counts).
        """
        self._fit(X, y)
        frames = self._check_X(X, reset=False)
        self.fit_check_ = self._check_fit(frames, self._check_y(y, frames, self.instances_))
        return self

    def _check_fit(self, frames, masks) -> dict:
        """Compare the cells of up to four training windows with what the network finds."""
        size = self.crop_size or max(m.shape[0] for m in masks)
        windows, truth = [], []
        for i in np.linspace(0, len(masks) - 1, min(4, len(masks))).round().astype(int):
            rows, cols = np.nonzero(masks[i])
            if rows.size == 0:
                continue
            h, w = masks[i].shape  # a window around the middle cell pixel
            y0 = int(np.clip(rows[rows.size // 2] - size // 2, 0, max(0, h - size)))
            x0 = int(np.clip(cols[rows.size // 2] - size // 2, 0, max(0, w - size)))
            windows.append(frames[i][:, y0 : y0 + size, x0 : x0 + size])
            truth.append(masks[i][y0 : y0 + size, x0 : x0 + size])
        if not windows:
            return dict(cell_pixels=0, found_pixels=0, n_cells=0, n_found=0)
        found = self.predict_instances(windows)
        if self.instances_ != "boundary":
            truth = [label_instances(t > 0) for t in truth]
        check = dict(cell_pixels=sum(int((t > 0).sum()) for t in truth),
                      found_pixels=sum(int((f > 0).sum()) for f in found),
                      n_cells=sum(len(np.unique(t)) - 1 for t in truth),
                      n_found=sum(int(f.max()) for f in found))
        _warn_about_fit(check)
        return check

    def partial_fit(self, X, y) -> UNetSegmenter:
        """Train one more epoch on ``X``, ``y`` (the first call initialises)."""
        return self._fit(X, y, incremental=True)

    def _prepare_fit(self, X, y, *, reset) -> FitData:
        frames = self._check_X(X, reset=reset)
        instances = self.instances_ if not reset else self.instances
        masks = self._check_y(y, frames, instances)
        if instances == "auto":
            instances = "boundary" if holds_instance_labels(masks, self.n_classes) else None
        cell_area = self._cell_area(masks, instances) if reset else self.cell_area_
        if instances == "boundary":
            targets = [boundary_targets(m) for m in masks]
            masks = targets if isinstance(masks, list) else np.stack(targets)
        n_outputs = self._n_outputs(instances)
        fitted = {
            "classes_": np.arange(self.n_classes),
            "n_features_in_": frames[0].shape[0],
            "instances_": instances,
            "class_weight_": self._class_weight(masks, n_outputs) if reset else self.class_weight_,
            "cell_area_": cell_area,
        }
        groups = X.sequence_ids if isinstance(X, TimelapseFrames) else None
        return FitData(len(frames), fitted, groups=groups,
                       arrays={"frames": frames, "masks": masks})

    def _n_epochs(self, train, device: str) -> int:
        if self.max_epochs != "auto":
            return self.max_epochs
        if torch.device(device).type == "cuda" or self.accelerator is not None:
            return _GPU_EPOCHS
        steps = -(-len(train) // self.batch_size)  # per epoch
        return int(np.clip(round(_CPU_STEPS / steps), 2, _GPU_EPOCHS))

    def _make_datasets(self, data, train_idx, valid_idx):
        frames, masks = data.arrays["frames"], data.arrays["masks"]
        multiple = 2**self.depth
        crop = None if self.crop_size is None else _round_up(self.crop_size, multiple)
        n_items = None if self.steps_per_epoch is None else self.steps_per_epoch * self.batch_size
        train = _FrameDataset(_subset(frames, train_idx), _subset(masks, train_idx), multiple,
                              crop, train=True, augment=self.augment, n_items=n_items,
                              foreground_fraction=self.foreground_fraction)
        if valid_idx is None:
            return train, None
        return train, _FrameDataset(_subset(frames, valid_idx), _subset(masks, valid_idx),
                                    multiple, crop, train=False)

    def _net_params(self, data, train_idx, *, early_stopping, incremental):
        callbacks = [("dice", _DiceRecorder())]
        class_weight = data.fitted["class_weight_"]
        params = dict(
            module=UNet,
            module__in_channels=data.fitted["n_features_in_"],
            module__n_classes=self._n_outputs(data.fitted["instances_"]),
            module__depth=self.depth,
            module__base_channels=self.base_channels,
            module__kernel_size=self.kernel_size,
            module__n_convs=self.n_convs,
            module__dropout=self.dropout,
            module__norm=self.norm,
            criterion=SegmentationLoss,
            criterion__loss=self.loss,
            criterion__class_weight=None if class_weight is None else class_weight.tolist(),
            optimizer=torch.optim.SGD if self.optimizer == "sgd" else torch.optim.Adam,
            optimizer__weight_decay=self.weight_decay,
            iterator_train__shuffle=True,
            callbacks=callbacks,
        )
        if self.optimizer == "sgd":
            params["optimizer__momentum"] = self.momentum
        return params

    # ---------------------------------------------------------------- predict
    def _forward_tiles(self, frames: np.ndarray, write) -> None:
        """Run the net over ``frames`` tile by tile; ``write(i, ys, xs, logits)`` stores results.

        ``frames`` is an ``(n, C, H, W)`` array or a list of ``(C, H_i, W_i)`` frames (run
        in groups of one size). ``ys``/``xs`` are the output slices of frame ``i``;
        ``logits`` the matching ``(K, h, w)`` float32 tensor on the CPU. Frames are padded
        as in a whole-frame run (see :func:`_plan_tiles`); a tile is gathered from the
        frame through padding indices, so no padded copy of the frames is made. At most
        ``batch_size`` tiles, all of one shape, are on the device at once; tiles are
        ordered by shape, then frame, so that batches are full.
        """
        if isinstance(frames, list):
            groups: dict = {}
            for i, f in enumerate(frames):
                groups.setdefault(f.shape, []).append(i)
            for idx in groups.values():
                self._forward_tiles(np.stack([frames[i] for i in idx]),
                                    lambda i, ys, xs, out, idx=idx: write(idx[i], ys, xs, out))
            return
        multiple = 2**self.depth
        tile, margin = self._tile_geometry()
        n, _, h, w = frames.shape
        plan_y = _plan_tiles(h, tile or _round_up(h, multiple), margin, multiple)
        plan_x = _plan_tiles(w, tile or _round_up(w, multiple), margin, multiple)
        reflect = min(h, w) > 1  # as _pad_to, which pads the training windows
        index_y = _pad_index(h, plan_y[-1][1], reflect)
        index_x = _pad_index(w, plan_x[-1][1], reflect)
        tiles = sorted(((ty, tx) for ty in plan_y for tx in plan_x),
                       key=lambda t: (t[0][1] - t[0][0], t[1][1] - t[1][0]))
        device = self._device
        batch, meta = [], []

        def flush(module):
            xb = torch.from_numpy(np.stack(batch)).to(device)
            logits = module(xb).float().cpu()
            for (i, ys, xs, oy, ox), out in zip(meta, logits):
                write(i, ys, xs, out[:, oy, ox])
            batch.clear()
            meta.clear()

        with self._evaluation() as module:
            for (y0, y1, ky0, ky1), (x0, x1, kx0, kx1) in tiles:
                iy, ix = index_y[y0:y1, None], index_x[None, x0:x1]
                for i in range(n):
                    if batch and (len(batch) >= self._inference_batch_size
                                  or (y1 - y0, x1 - x0) != batch[0].shape[-2:]):
                        flush(module)
                    batch.append(frames[i][:, iy, ix])
                    meta.append((i, slice(ky0, ky1), slice(kx0, kx1),
                                 slice(ky0 - y0, ky1 - y0), slice(kx0 - x0, kx1 - x0)))
            if batch:
                flush(module)

    @staticmethod
    def _allocate(frames, leading: tuple, dtype):
        """One output per frame: ``(n, *leading, H, W)``, or a list for a list of frames."""
        if isinstance(frames, list):
            return [np.empty(leading + f.shape[-2:], dtype=dtype) for f in frames]
        return np.empty((len(frames),) + leading + frames.shape[-2:], dtype=dtype)

    def _network_proba(self, frames):
        """Softmax of the network's logits, ``(n, K, H, W)`` or a list (K = 3 with
        ``instances="boundary"``: background, interior, boundary)."""
        proba = self._allocate(frames, (self._n_outputs(self.instances_),), np.float32)

        def write(i, ys, xs, logits):
            proba[i][:, ys, xs] = logits.softmax(0).numpy()

        self._forward_tiles(frames, write)
        return proba

    def predict_proba(self, X):
        """Per-pixel class probabilities, float32.

        Shape ``(n, n_classes, H, W)``, or a list of ``(n_classes, H_i, W_i)`` arrays when
        ``X`` is a list of frames. With ``instances="boundary"`` the classes are background
        and cell (interior plus boundary).
        """
        check_is_fitted(self, "net_")
        frames = self._check_X(X, reset=False)
        proba = self._network_proba(frames)
        if self.instances_ != "boundary":
            return proba
        merged = self._allocate(frames, (2,), np.float32)
        for out, p in zip(merged, proba):
            out[0] = p[0]
            out[1] = p[1] + p[2]
        return merged

    def predict(self, X):
        """Label masks with values from ``classes_``.

        Shape ``(n, H, W)``, or a list of ``(H_i, W_i)`` masks when ``X`` is a list of
        frames. With ``instances="boundary"``: 1 for cell pixels, 0 for background.
        """
        check_is_fitted(self, "net_")
        frames = self._check_X(X, reset=False)
        labels = self._allocate(frames, (), self.classes_.dtype)

        def write(i, ys, xs, logits):
            labels[i][ys, xs] = self._pixel_classes(logits.softmax(0))

        self._forward_tiles(frames, write)
        return labels

    def _pixel_classes(self, proba: torch.Tensor) -> np.ndarray:
        """Pixel classes from ``(K, h, w)`` probabilities: with boundary targets, cell
        where P(interior) + P(boundary) > P(background)."""
        if self.instances_ == "boundary":
            return (proba[1] + proba[2] > proba[0]).numpy()
        return proba.argmax(0).numpy()

    def predict_instances(self, X, *, min_size: int | str = "auto",
                          return_details: bool = False):
        """Instance label images: 0 for background, ``1..k`` for the ``k`` cells of a frame.

        With boundary targets (``instances_ == "boundary"``), each connected group of
        interior pixels (``P(interior) > 0.5``) seeds one cell, grown over the predicted
        cell pixels nearest to it (:func:`~sklearn_cells.metrics.label_instances` with
        ``seeds``), so touching cells stay apart where the network sees the boundary
        between them. Otherwise the connected components of the predicted foreground
        (any class but 0) are the cells, and touching cells merge.

        Parameters
        ----------
        X : frames as in :meth:`predict`
        min_size : int or "auto", default="auto"
            Cells with fewer pixels are dropped: specks of a few pixels count as false
            objects. "auto" decides per frame, relative to that frame's own cells: a
            quarter of the area of the cell a random cell pixel belongs to (the
            area-weighted median), so frames at different magnifications each keep
            their cells. The sizes used are in the details.
        return_details : bool, default=False
            Also return, from the same network pass, the pixel classes of
            :meth:`predict` and the size used for each frame.

        Returns
        -------
        labels : ndarray of int32 of shape (n, H, W), or a list of (H_i, W_i) arrays when
            ``X`` is a list of frames.
        details : Bunch, only with ``return_details``
            ``mask`` (as :meth:`predict` returns it) and ``min_size`` (ndarray of int,
            one per frame).
        """
        check_is_fitted(self, "net_")
        if not (isinstance(min_size, str) and min_size == "auto") and (
                isinstance(min_size, (bool, np.bool_))
                or not isinstance(min_size, (int, np.integer)) or min_size < 0):
            raise ValueError(
                f"min_size must be a non-negative integer (pixels) or 'auto'; got {min_size!r}."
            )
        frames = self._check_X(X, reset=False)
        labels, masks, sizes = [], [], []
        for proba in self._network_proba(frames):
            cells, size = filter_small(
                instances_from_proba(proba, self.instances_ == "boundary"), min_size)
            labels.append(cells)
            sizes.append(size)
            if return_details:
                masks.append(self._pixel_classes(torch.from_numpy(proba)).astype(
                    self.classes_.dtype))
        as_list = isinstance(frames, list)
        labels = labels if as_list else np.stack(labels)
        if not return_details:
            return labels
        return labels, Bunch(mask=masks if as_list else np.stack(masks),
                             min_size=np.asarray(sizes))

    def score(self, X, y, sample_weight=None) -> float:
        """Mean per-frame Dice of the foreground classes (empty vs empty counts 1).

        With ``instances="boundary"``, of the cells (``y > 0``) against :meth:`predict`.
        """
        if sample_weight is not None:
            raise ValueError("sample_weight is not supported by UNetSegmenter.score.")
        check_is_fitted(self, "net_")
        frames = self._check_X(X, reset=False)
        masks = self._check_y(y, frames, self.instances_)
        labels = None if self.n_classes == 2 else list(range(1, self.n_classes))
        return dice_score(masks, self.predict(frames), labels=labels)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        return tags
