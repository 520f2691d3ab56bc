"""UNetSegmenter: a scikit-learn segmenter for (time-lapse) frames, after seed 004 "StemNet"."""

from __future__ import annotations

import numbers

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.model_selection import GroupShuffleSplit, ShuffleSplit
from sklearn.utils.validation import check_is_fitted
from skorch import NeuralNet
from skorch.callbacks import Callback, LRScheduler
from skorch.dataset import unpack_data
from skorch.utils import TeeGenerator
from torch.utils.data import Dataset

from ..base import TorchEstimatorMixin, check_device, make_callbacks, torch_seed_context
from ..metrics._segmentation import dice_score
from ..nn.unet import IGNORE_INDEX, SegmentationLoss, UNet
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

    Each input window is ``tile`` long (or the whole padded length when it fits) and
    contributes only its central part, ``margin`` pixels away from its edges except at the
    frame border, so every output pixel sees at least ``margin`` pixels of context.
    """
    if length <= tile:
        return [(0, length, 0, length)]
    step = tile - 2 * margin
    starts = list(range(0, length - tile, step)) + [length - tile]
    plan, keep_start = [], 0
    for j, s in enumerate(starts):
        keep_stop = length if j == len(starts) - 1 else s + tile - margin
        if keep_stop > keep_start:
            plan.append((s, s + tile, keep_start, keep_stop))
            keep_start = keep_stop
    return plan


# --------------------------------------------------------------------------------------
# skorch pieces
# --------------------------------------------------------------------------------------
class _SegmentationNet(NeuralNet):
    """skorch NeuralNet with optional CUDA automatic mixed precision (float16 + GradScaler)."""

    def __init__(self, *args, use_amp=False, **kwargs):
        self.use_amp = use_amp
        super().__init__(*args, **kwargs)

    def infer(self, x, **fit_params):
        if self.use_amp:
            with torch.autocast(device_type="cuda", dtype=torch.float16):
                return super().infer(x, **fit_params)
        return super().infer(x, **fit_params)

    def train_step(self, batch, **fit_params):
        if not self.use_amp:
            return super().train_step(batch, **fit_params)
        if not hasattr(self, "scaler_"):
            self.scaler_ = torch.amp.GradScaler("cuda")
        self._zero_grad_optimizer()
        self._set_training(True)
        Xi, yi = unpack_data(batch)
        y_pred = self.infer(Xi, **fit_params)
        loss = self.get_loss(y_pred, yi, X=Xi, training=True)  # float32 inside the criterion
        self.scaler_.scale(loss).backward()
        optimizers = [getattr(self, name + "_") for name in self._optimizers]
        for opt in optimizers:
            self.scaler_.unscale_(opt)  # callbacks (e.g. gradient clipping) see true gradients
        self.notify("on_grad_computed",
                    named_parameters=TeeGenerator(self.get_all_learnable_params()),
                    batch=batch, training=True)
        for opt in optimizers:
            self.scaler_.step(opt)
        self.scaler_.update()
        return {"loss": loss, "y_pred": y_pred}


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
class UNetSegmenter(TorchEstimatorMixin, ClassifierMixin, BaseEstimator):
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
        Frames larger than this are predicted in overlapping tiles of this size
        (rounded up to a multiple of ``2 ** depth``); None predicts whole frames.
    tile_overlap : int, default=64
        Overlap of neighbouring tiles; each tile keeps its centre, at least
        ``tile_overlap // 2`` pixels from its inner edges.
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
        tile_overlap: int = 64,
        early_stopping: bool = False,
        validation_fraction: float = 0.1,
        n_iter_no_change: int = 5,
        mixed_precision: bool = True,
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
        self.device = device
        self.random_state = random_state
        self.verbose = verbose

    # ---------------------------------------------------------------- validation
    def _check_params(self):
        def positive_int(name, allow_none=False, minimum=1):
            v = getattr(self, name)
            if v is None and allow_none:
                return
            if not isinstance(v, numbers.Integral) or isinstance(v, bool) or v < minimum:
                raise ValueError(f"{name}={v!r} must be an integer >= {minimum}.")

        positive_int("depth", minimum=0)
        positive_int("base_channels")
        positive_int("n_convs")
        positive_int("max_epochs")
        positive_int("batch_size")
        positive_int("n_classes", minimum=2)
        positive_int("crop_size", allow_none=True)
        positive_int("tile_size", allow_none=True)
        positive_int("tile_overlap", minimum=0)
        if not isinstance(self.kernel_size, numbers.Integral) or self.kernel_size % 2 == 0:
            raise ValueError(f"kernel_size={self.kernel_size!r} must be an odd integer (3 or 5).")
        if self.loss not in _LOSSES:
            raise ValueError(f"loss={self.loss!r} is not supported; use one of {_LOSSES}.")
        if self.optimizer not in _OPTIMIZERS:
            raise ValueError(f"optimizer={self.optimizer!r} is not supported; use 'adam' or 'sgd'.")
        if self.norm not in (None, "none", "batch", "group"):
            raise ValueError(f"norm={self.norm!r} is not supported; use None, 'batch' or 'group'.")
        if not 0 <= self.dropout < 1:
            raise ValueError(f"dropout={self.dropout!r} must be in [0, 1).")
        if not self.lr > 0:
            raise ValueError(f"lr={self.lr!r} must be > 0.")
        if not 0 < self.lr_decay <= 1:
            raise ValueError(f"lr_decay={self.lr_decay!r} must be in (0, 1] (1 = no decay).")
        if not self.foreground_weight > 0:
            raise ValueError(f"foreground_weight={self.foreground_weight!r} must be > 0.")
        tile = None if self.tile_size is None else _round_up(self.tile_size, 2**self.depth)
        if tile is not None and self.tile_overlap >= tile:
            raise ValueError(
                f"tile_overlap={self.tile_overlap} must be smaller than tile_size={self.tile_size}."
            )
        if self.early_stopping and not 0 < self.validation_fraction < 1:
            raise ValueError(f"validation_fraction={self.validation_fraction!r} must be in (0, 1).")

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
    def fit(self, X, y):
        """Train on frames ``X`` (n, H, W) or (n, C, H, W) and integer masks ``y`` (n, H, W).

        ``X`` may be a :class:`TimelapseFrames` (the output of the temporal transformers);
        its sequence ids are then used to hold out whole sequences for early stopping.
        """
        self._check_params()
        device = check_device(self.device)
        frames = self._check_X(X, reset=True)
        masks = self._check_y(y, frames)
        multiple = 2**self.depth
        crop = None if self.crop_size is None else _round_up(self.crop_size, multiple)
        class_weight = self._class_weight(masks)
        use_amp = bool(self.mixed_precision) and torch.device(device).type == "cuda"

        train_split, train_idx = None, np.arange(len(frames))
        valid_dataset = None
        if self.early_stopping:
            from skorch.helper import predefined_split

            groups = X.sequence_ids if isinstance(X, TimelapseFrames) else None
            if groups is not None and len(np.unique(groups)) >= 2:
                splitter = GroupShuffleSplit(1, test_size=self.validation_fraction,
                                             random_state=self.random_state)
            else:
                splitter, groups = ShuffleSplit(1, test_size=self.validation_fraction,
                                                random_state=self.random_state), None
            if len(frames) < 2:
                raise ValueError("early_stopping needs at least 2 frames to hold some out.")
            train_idx, valid_idx = next(splitter.split(frames, groups=groups))
            valid_dataset = _FrameDataset(frames[valid_idx], masks[valid_idx], multiple, crop,
                                          train=False)
            train_split = predefined_split(valid_dataset)
        train_dataset = _FrameDataset(frames[train_idx], masks[train_idx], multiple, crop,
                                      train=True, augment=self.augment)

        callbacks = [("dice", _DiceRecorder())]
        if self.lr_decay < 1:
            callbacks.append(("lr_decay", LRScheduler(policy="ExponentialLR", gamma=self.lr_decay,
                                                      step_every="epoch")))
        callbacks = make_callbacks(self.verbose, early_stopping=self.early_stopping,
                                   n_iter_no_change=self.n_iter_no_change, extra=callbacks)
        optimizer_kwargs = {"optimizer__weight_decay": self.weight_decay}
        if self.optimizer == "sgd":
            optimizer_kwargs["optimizer__momentum"] = self.momentum
        net = _SegmentationNet(
            module=UNet,
            module__in_channels=frames.shape[1],
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
            lr=self.lr,
            max_epochs=self.max_epochs,
            batch_size=self.batch_size,
            iterator_train__shuffle=True,
            train_split=train_split,
            callbacks=callbacks,
            device=device,
            use_amp=use_amp,
            verbose=self.verbose,
            **optimizer_kwargs,
        )
        with torch_seed_context(self.random_state, device):
            net.fit(train_dataset, None)

        self.net_ = net
        self.classes_ = np.arange(self.n_classes)
        self.n_features_in_ = frames.shape[1]
        self.class_weight_ = class_weight
        return self

    # ---------------------------------------------------------------- predict
    def _forward_tiles(self, frames: np.ndarray, write) -> None:
        """Run the net over ``frames`` tile by tile; ``write(i, ys, xs, logits)`` stores results.

        ``ys``/``xs`` are the output slices of frame ``i``; ``logits`` the matching
        ``(K, h, w)`` float32 tensor on the CPU. At most ``batch_size`` tiles are on the
        device at once.
        """
        multiple = 2**self.depth
        n, _, h, w = frames.shape
        tile = None if self.tile_size is None else _round_up(self.tile_size, multiple)
        margin = self.tile_overlap // 2
        plan_y = _plan_tiles(h, tile or h, margin, multiple)
        plan_x = _plan_tiles(w, tile or w, margin, multiple)
        module = self.net_.module_
        device = self.net_.device
        module.eval()
        use_amp = bool(self.mixed_precision) and torch.device(device).type == "cuda"

        batch, meta = [], []

        def flush():
            xb = torch.from_numpy(np.stack(batch)).to(device)
            with torch.no_grad(), torch.autocast(device_type="cuda", dtype=torch.float16,
                                                 enabled=use_amp):
                logits = module(xb).float().cpu()
            for (i, ys, xs, oy, ox), out in zip(meta, logits):
                write(i, ys, xs, out[:, oy, ox])
            batch.clear()
            meta.clear()

        for i in range(n):
            for y0, y1, ky0, ky1 in plan_y:
                for x0, x1, kx0, kx1 in plan_x:
                    window = frames[i, :, y0:y1, x0:x1]
                    th, tw = _round_up(y1 - y0, multiple), _round_up(x1 - x0, multiple)
                    window = np.ascontiguousarray(_pad_to(window, th, tw))
                    # a batch holds at most batch_size tiles, all of one shape
                    if batch and (len(batch) >= self.batch_size or window.shape != batch[0].shape):
                        flush()
                    batch.append(window)
                    meta.append((i, slice(ky0, ky1), slice(kx0, kx1),
                                 slice(ky0 - y0, ky1 - y0), slice(kx0 - x0, kx1 - x0)))
        if batch:
            flush()

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
