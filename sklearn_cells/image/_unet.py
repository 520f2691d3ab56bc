"""UNetSegmenter: a scikit-learn segmenter for (time-lapse) frames, after seed 004 "StemNet"."""

from __future__ import annotations


import numpy as np
import torch
from sklearn.base import ClassifierMixin
from sklearn.utils.validation import check_is_fitted
from skorch.callbacks import Callback, LRScheduler
from skorch.dataset import unpack_data
from torch.utils.data import Dataset

from ..base import (
    FitData,
    StrOptions,
    TorchEstimator,
    int_at_least,
    positive_int,
    real_in,
)
from ..metrics._segmentation import dice_score
from ..nn.unet import IGNORE_INDEX, SegmentationLoss, UNet, unet_receptive_field
from ._temporal import TimelapseFrames, check_frames

__all__ = ["UNetSegmenter"]

_LOSSES = ("weighted_ce", "balanced", "ce", "dice", "ce+dice")
_OPTIMIZERS = ("sgd", "adam")


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


class _FrameDataset(Dataset):
    """Frames and masks as (C, h, w) float / (h, w) long tensors, cropped and padded.

    Training: a random ``crop`` x ``crop`` window per frame and epoch when the frame is larger,
    random flips and 90-degree turns. Padding up to a multiple of ``2 ** depth`` is reflected
    in the image and ``IGNORE_INDEX`` in the target, so padding never counts in the loss.
    Randomness comes from torch's global generator, seeded by the estimator's random_state.
    """

    def __init__(self, frames, masks, multiple, crop=None, train=True, augment=True):
        self.frames, self.masks = frames, masks
        self.multiple, self.crop, self.train, self.augment = multiple, crop, train, augment

    def __len__(self):
        return len(self.frames)

    def _window(self, size):
        if self.crop is None or size <= self.crop:
            return 0, size
        if self.train:
            start = int(torch.randint(0, size - self.crop + 1, ()).item())
        else:  # deterministic validation window
            start = (size - self.crop) // 2
        return start, start + self.crop

    def __getitem__(self, i):
        frame, mask = self.frames[i], self.masks[i]
        y0, y1 = self._window(frame.shape[-2])
        x0, x1 = self._window(frame.shape[-1])
        frame, mask = frame[:, y0:y1, x0:x1], mask[y0:y1, x0:x1]
        h, w = (_round_up(s, self.multiple) for s in frame.shape[-2:])
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
    frame size predicts on any other.

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
    but not equal. On one 1026x1026 frame at the default settings, the network runs on
    2.0 times the padded frame's pixels (3.8 with full tiles only): 13 s instead of 30 s on
    one CPU thread (``benchmarks/bench_unet_tiling.py``).

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
    loss : {"weighted_ce", "balanced", "ce", "dice", "ce+dice"}, default="weighted_ce"
        ``"weighted_ce"``: cross-entropy with weight ``foreground_weight`` for every class
        but 0 (the seed, weight 2); ``"balanced"``: class weights by median frequency
        balancing over the training masks (the seed's ``get_freq_median``); ``"ce"``:
        unweighted; ``"dice"``: soft Dice; ``"ce+dice"``: weighted cross-entropy + Dice.
    foreground_weight : float, default=2.0
        Weight of the non-background classes in ``"weighted_ce"`` and ``"ce+dice"``.
    optimizer : {"adam", "sgd"}, default="adam"
        ``"sgd"`` is SGD with ``momentum`` (the seed: lr 0.15, momentum 0.2, decay 0.95).
    lr : float, default=1e-3
        Initial learning rate.
    momentum : float, default=0.9
        Momentum of ``"sgd"``.
    lr_decay : float, default=1.0
        The learning rate is multiplied by this after every epoch (the seed: 0.95).
    weight_decay : float, default=0.0
    max_epochs : int, default=30
    batch_size : int, default=4
        Frames (or crops) per training step, and tiles per forward pass at prediction.
    crop_size : int or None, default=256
        Train on random ``crop_size`` windows of frames larger than that (rounded up to a
        multiple of ``2 ** depth``); None trains on whole frames.
    augment : bool, default=True
        Random flips and 90-degree rotations of the training windows.
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
    early_stopping : bool, default=False
        Stop when the validation loss has not improved for ``n_iter_no_change`` epochs
        and keep the best weights. The validation frames are whole sequences when ``X`` is
        a :class:`TimelapseFrames` with several sequences.
    validation_fraction : float, default=0.1
        Share of frames (or sequences) held out when ``early_stopping``.
    n_iter_no_change : int, default=5
    mixed_precision : bool, default=True
        Use float16 autocast and gradient scaling when ``device`` is CUDA; ignored on CPU,
        so the same estimator runs unchanged on either.
    warm_start, callbacks, accelerator
        Shared by the torch estimators (see
        :class:`~sklearn_cells.base.TorchEstimator`): continued training, skorch
        callbacks run after the built-in ones (Dice recorder, learning-rate decay, early
        stopping, progress bar), and Hugging Face accelerate for several GPUs.
    device : str, default="cpu"
    random_state : int, RandomState instance or None, default=None
        Seeds weight initialisation, crops, augmentation, dropout and batch order: two fits
        with the same seed on CPU give the same predictions.
    verbose : int, default=0

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
        loss: str = "weighted_ce",
        foreground_weight: float = 2.0,
        optimizer: str = "adam",
        lr: float = 1e-3,
        momentum: float = 0.9,
        lr_decay: float = 1.0,
        weight_decay: float = 0.0,
        max_epochs: int = 30,
        batch_size: int = 4,
        crop_size: int | None = 256,
        augment: bool = True,
        tile_size: int | None = 1024,
        tile_overlap: int | str = "auto",
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
        self.foreground_weight = foreground_weight
        self.optimizer = optimizer
        self.lr = lr
        self.momentum = momentum
        self.lr_decay = lr_decay
        self.weight_decay = weight_decay
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.crop_size = crop_size
        self.augment = augment
        self.tile_size = tile_size
        self.tile_overlap = tile_overlap
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
    _parameter_constraints: dict = {
        **TorchEstimator._parameter_constraints,
        "depth": [int_at_least(0)],
        "base_channels": [positive_int()],
        "kernel_size": [positive_int()],
        "n_convs": [positive_int()],
        "dropout": [real_in(0, 1, closed="left")],
        "norm": [StrOptions({"none", "batch", "group"}), None],
        "n_classes": [int_at_least(2)],
        "loss": [StrOptions(set(_LOSSES))],
        "foreground_weight": [real_in(0, None)],
        "optimizer": [StrOptions(set(_OPTIMIZERS))],
        "momentum": [real_in(0, 1, closed="left")],
        "lr_decay": [real_in(0, 1, closed="right")],
        "weight_decay": [real_in(0, None, closed="left")],
        "crop_size": [positive_int(), None],
        "augment": ["boolean"],
        "tile_size": [positive_int(), None],
        "tile_overlap": [StrOptions({"auto"}), int_at_least(0)],
        "mixed_precision": ["boolean"],
    }

    # ---------------------------------------------------------------- validation
    def _check_params(self):
        if self.kernel_size % 2 == 0:
            raise ValueError(f"kernel_size={self.kernel_size!r} must be an odd integer (3 or 5).")
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

    def _check_X(self, X, *, reset: bool) -> np.ndarray:
        frames = check_frames(X)
        if frames.ndim == 3:
            frames = frames[:, None]
        if not reset and frames.shape[1] != self.n_features_in_:
            raise ValueError(
                f"X has {frames.shape[1]} channel(s) but this UNetSegmenter was fitted with "
                f"{self.n_features_in_}; use the same temporal context (n_context) as in fit."
            )
        return frames

    def _check_y(self, y, frames: np.ndarray) -> np.ndarray:
        if y is None:
            raise ValueError("y is required: pass one integer mask (H, W) per frame.")
        masks = np.asarray(y)
        expected = (frames.shape[0],) + frames.shape[2:]
        if masks.shape != expected:
            raise ValueError(
                f"y must hold one mask per frame with the frames' height and width, "
                f"shape {expected}; got {masks.shape}."
            )
        if masks.dtype == bool:
            masks = masks.astype(np.int64)
        elif masks.dtype.kind == "f":
            if not np.isfinite(masks).all() or not np.array_equal(masks, np.round(masks)):
                raise ValueError(
                    "y must hold integer class labels; got non-integer values. Threshold "
                    "soft masks first, e.g. y = (y > 0.5).astype(int)."
                )
        elif masks.dtype.kind not in "iu":
            raise TypeError(f"y must hold integer class labels; got dtype {masks.dtype}.")
        lo, hi = masks.min(), masks.max()
        if lo < 0 or hi >= self.n_classes:
            hint = (" For instance masks (one label per cell) pass binary masks, y > 0."
                    if hi >= self.n_classes and lo >= 0 else "")
            raise ValueError(
                f"y labels must lie in 0..{self.n_classes - 1} (n_classes={self.n_classes}); "
                f"got labels from {lo} to {hi}.{hint}"
            )
        return masks.astype(np.int64, copy=False)

    def _class_weight(self, masks):
        if self.loss in ("ce", "dice"):
            return None
        if self.loss == "balanced":
            # Median frequency balancing (Eigen & Fergus; the seed's get_freq_median):
            # freq_c = pixels of c / pixels of the frames where c occurs.
            counts = np.stack([np.bincount(m.ravel(), minlength=self.n_classes) for m in masks])
            present = counts > 0
            pixels = masks[0].size
            freq = counts.sum(0) / np.maximum(present.sum(0) * pixels, 1)
            med = np.median(freq[freq > 0]) if (freq > 0).any() else 1.0
            return np.where(freq > 0, med / np.maximum(freq, 1e-12), 1.0).astype(np.float32)
        weight = np.full(self.n_classes, float(self.foreground_weight), dtype=np.float32)
        weight[0] = 1.0
        return weight

    # ---------------------------------------------------------------- fit
    def fit(self, X, y) -> UNetSegmenter:
        """Train on frames ``X`` (n, H, W) or (n, C, H, W) and integer masks ``y`` (n, H, W).

        ``X`` may be a :class:`TimelapseFrames` (the output of the temporal transformers);
        its sequence ids are then used to hold out whole sequences for early stopping.
        """
        return self._fit(X, y)

    def partial_fit(self, X, y) -> UNetSegmenter:
        """Train one more epoch on ``X``, ``y`` (the first call initialises)."""
        return self._fit(X, y, incremental=True)

    def _prepare_fit(self, X, y, *, reset) -> FitData:
        frames = self._check_X(X, reset=reset)
        masks = self._check_y(y, frames)
        fitted = {
            "classes_": np.arange(self.n_classes),
            "n_features_in_": frames.shape[1],
            "class_weight_": self._class_weight(masks) if reset else self.class_weight_,
        }
        groups = X.sequence_ids if isinstance(X, TimelapseFrames) else None
        return FitData(len(frames), fitted, groups=groups,
                       arrays={"frames": frames, "masks": masks})

    def _make_datasets(self, data, train_idx, valid_idx):
        frames, masks = data.arrays["frames"], data.arrays["masks"]
        multiple = 2**self.depth
        crop = None if self.crop_size is None else _round_up(self.crop_size, multiple)
        train = _FrameDataset(frames[train_idx], masks[train_idx], multiple, crop,
                              train=True, augment=self.augment)
        if valid_idx is None:
            return train, None
        return train, _FrameDataset(frames[valid_idx], masks[valid_idx], multiple, crop,
                                    train=False)

    def _net_params(self, data, train_idx, *, early_stopping, incremental):
        callbacks = [("dice", _DiceRecorder())]
        if self.lr_decay < 1:
            callbacks.append(("lr_decay", LRScheduler(policy="ExponentialLR", gamma=self.lr_decay,
                                                      step_every="epoch")))
        class_weight = data.fitted["class_weight_"]
        params = dict(
            module=UNet,
            module__in_channels=data.fitted["n_features_in_"],
            module__n_classes=self.n_classes,
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

        ``ys``/``xs`` are the output slices of frame ``i``; ``logits`` the matching
        ``(K, h, w)`` float32 tensor on the CPU. Frames are padded as in a whole-frame run
        (see :func:`_plan_tiles`); a tile is gathered from the frame through padding indices,
        so no padded copy of the frames is made. At most ``batch_size`` tiles, all of one
        shape, are on the device at once; tiles are ordered by shape, then frame, so that
        batches are full.
        """
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
            with self.net_.autocast():
                logits = module(xb).float().cpu()
            for (i, ys, xs, oy, ox), out in zip(meta, logits):
                write(i, ys, xs, out[:, oy, ox])
            batch.clear()
            meta.clear()

        with self._evaluation() as module:
            for (y0, y1, ky0, ky1), (x0, x1, kx0, kx1) in tiles:
                iy, ix = index_y[y0:y1, None], index_x[None, x0:x1]
                for i in range(n):
                    if batch and (len(batch) >= self.batch_size
                                  or (y1 - y0, x1 - x0) != batch[0].shape[-2:]):
                        flush(module)
                    batch.append(frames[i][:, iy, ix])
                    meta.append((i, slice(ky0, ky1), slice(kx0, kx1),
                                 slice(ky0 - y0, ky1 - y0), slice(kx0 - x0, kx1 - x0)))
            if batch:
                flush(module)

    def predict_proba(self, X) -> np.ndarray:
        """Per-pixel class probabilities, shape (n, n_classes, H, W), float32."""
        check_is_fitted(self, "net_")
        frames = self._check_X(X, reset=False)
        n, _, h, w = frames.shape
        proba = np.empty((n, self.n_classes, h, w), dtype=np.float32)

        def write(i, ys, xs, logits):
            proba[i, :, ys, xs] = logits.softmax(0).numpy()

        self._forward_tiles(frames, write)
        return proba

    def predict(self, X) -> np.ndarray:
        """Label masks, shape (n, H, W), with values from ``classes_``."""
        check_is_fitted(self, "net_")
        frames = self._check_X(X, reset=False)
        n, _, h, w = frames.shape
        labels = np.empty((n, h, w), dtype=self.classes_.dtype)

        def write(i, ys, xs, logits):
            labels[i, ys, xs] = logits.argmax(0).numpy()

        self._forward_tiles(frames, write)
        return labels

    def score(self, X, y, sample_weight=None) -> float:
        """Mean per-frame Dice of the foreground classes (empty vs empty counts 1)."""
        if sample_weight is not None:
            raise ValueError("sample_weight is not supported by UNetSegmenter.score.")
        check_is_fitted(self, "net_")
        frames = self._check_X(X, reset=False)
        masks = self._check_y(y, frames)
        labels = None if self.n_classes == 2 else list(range(1, self.n_classes))
        return dice_score(masks, self.predict(frames), labels=labels)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        return tags
