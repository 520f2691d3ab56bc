"""LipNetClassifier: seed 003's CNNs for particle images, as a scikit-learn classifier.

Takes fixed-size images ``(n, H, W)`` or ``(n, C, H, W)``, normally the
output of :class:`~sklearn_cells.image._masking.ParticleMasker`, and trains
one of the LipNet networks (:mod:`sklearn_cells.nn.lipnet`) with the seed's
recipe: Adam (or SGD), batch size 32, dropout, label smoothing, random
augmentation of every training batch on the training device, optional
class weights, optional early stopping, and optional per-epoch
under-sampling of the majority class. Over-sampling is a pipeline step
(:mod:`sklearn_cells.sampling`), so it happens inside each CV training fold.
"""

from __future__ import annotations

import numpy as np
import torch
from sklearn.base import ClassifierMixin
from sklearn.utils import check_consistent_length, column_or_1d
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.validation import check_is_fitted
from skorch.dataset import Dataset
from torch import nn

from ..base import (
    ClassifierNet,
    FitData,
    TorchEstimator,
    encode_class_labels,
    positive_int,
    real_in,
    shared_parameter_docs,
)
from ..nn.lipnet import LIPNET_ARCHITECTURES, LipNet
from ..utils._validation import check_real_numbers
from ._augment import RandomAffine2d

__all__ = ["LipNetClassifier"]


class _LipNetModule(nn.Module):
    """LipNet behind input standardisation and (training-only) augmentation.

    Built from plain values (those of :class:`~sklearn_cells.nn.lipnet.LipNet`,
    the :class:`RandomAffine2d` settings as a dict or ``None``, and the input
    mean and standard deviation), so a saved net is rebuilt from its
    ``module__*`` parameters like the other estimators' (``sklearn_cells.load``).
    Augmentation runs on the raw inputs, so that the zeros it pads with equal
    the masked-out background of ``crop_mask`` inputs, and only while the
    module is in training mode: evaluation and prediction never see it.
    """

    def __init__(
        self,
        architecture: str,
        n_classes: int,
        *,
        in_channels: int,
        input_size: tuple[int, int],
        n_filters: int,
        hidden_size: int,
        dropout: float,
        augmentation: dict | None,
        mean: float,
        std: float,
    ):
        super().__init__()
        self.net = LipNet(
            architecture, n_classes, in_channels=in_channels, input_size=tuple(input_size),
            n_filters=n_filters, hidden_size=hidden_size, dropout=dropout,
        )
        augment = None if augmentation is None else RandomAffine2d(**augmentation)
        self.augment = None if augment is None or augment.is_identity else augment
        self.register_buffer("mean", torch.tensor(float(mean)))
        self.register_buffer("std", torch.tensor(float(std)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.ndim == 3:
            x = x.unsqueeze(1)
        if self.training and self.augment is not None:
            x = self.augment(x)
        return self.net((x - self.mean) / self.std)


class _EpochUndersampler(torch.utils.data.Sampler):
    """Shuffled indices without a fresh random ``fraction`` of the largest class(es).

    Seed 003, section 4.8.2: a different part of the majority class is left
    out at every epoch, so all samples are still used over the training.
    Draws from torch's global generator (seeded by the estimator).
    """

    def __init__(self, labels: np.ndarray, fraction: float):
        self.labels = np.asarray(labels)
        counts = np.bincount(self.labels)
        self.majority = np.flatnonzero(counts == counts.max())
        self.fraction = fraction
        n_drop = sum(int(round(fraction * counts[c])) for c in self.majority)
        self.n_samples = len(self.labels) - n_drop

    def __iter__(self):
        keep = []
        for c in range(self.labels.max() + 1):
            idx = torch.from_numpy(np.flatnonzero(self.labels == c))
            if c in self.majority:
                n_keep = len(idx) - int(round(self.fraction * len(idx)))
                idx = idx[torch.randperm(len(idx))[:n_keep]]
            keep.append(idx)
        keep = torch.cat(keep)
        return iter(keep[torch.randperm(len(keep))].tolist())

    def __len__(self) -> int:
        return self.n_samples


def _check_images(X, *, input_shape=None) -> np.ndarray:
    """Validate fixed-size images; return float32 ``(n, C, H, W)`` (never the caller's array)."""
    if hasattr(X, "_to_sampler_features") or isinstance(X, (list, tuple)):
        raise TypeError(
            f"LipNetClassifier takes fixed-size images (n, H, W) or (n, C, H, W); got "
            f"{type(X).__name__}. Resize particle images first, e.g. "
            "make_pipeline(ParticleMasker(mode='crop_mask', output_size=28), "
            "LipNetClassifier())."
        )
    X = np.asarray(X)
    check_real_numbers(X, "X", fix="Pass pixel intensities, e.g. X.astype(np.float32).")
    if X.ndim == 3:
        X = X[:, None]
    elif X.ndim == 4 and X.shape[-1] in (1, 3) and X.shape[1] not in (1, 3):
        raise ValueError(
            f"X has shape {X.shape}, which looks channel-last (n, H, W, C); LipNetClassifier "
            "takes channel-first images (n, C, H, W): use X.transpose(0, 3, 1, 2)."
        )
    elif X.ndim != 4:
        raise ValueError(
            f"X must be images (n, H, W) or (n, C, H, W); got an array of shape {X.shape}. "
            "A 2-D array (n, H*W) must be reshaped to (n, H, W)."
        )
    if len(X) == 0:
        raise ValueError("X holds no images (0 samples).")
    X = X.astype(np.float32)  # a copy: inputs are never modified
    if not np.isfinite(X).all():
        raise ValueError("X contains NaN or infinite values; replace them first.")
    if input_shape is not None and X.shape[1:] != tuple(input_shape):
        raise ValueError(
            f"X has images of shape {X.shape[1:]} (C, H, W) but the classifier was fitted "
            f"on {tuple(input_shape)}; resize them the same way as the training data."
        )
    return X


@shared_parameter_docs
class LipNetClassifier(ClassifierMixin, TorchEstimator):
    """LipNet CNN classifier for particle images (seed 003), trained with skorch.

    Parameters
    ----------
    architecture : {"lipnet1", "lipnet2", "lipnet4", "lipnet4c", "lipnet6"}, default="lipnet4"
        Network of seed 003's Fig. 13 (see :class:`sklearn_cells.nn.lipnet.LipNet`).
        The seed feeds ``lipnet6`` 32x32 inputs and the others 28x28.
    n_filters : int, default=32
        Channels of every convolution (32 in the seed; 8-16 train several
        times faster on a CPU).
    hidden_size : int, default=128
        Units of the hidden dense layer.
    dropout : float, default=0.25
        Dropout after each convolution block and before the output layer.
    label_smoothing : float, default=0.1
        Label smoothing of the cross-entropy loss (seed section 5.2; torch's
        form: targets ``1 - eps + eps/k`` and ``eps/k``).
    optimizer : {"adam", "sgd"}, default="adam"
        Adam, or SGD with ``momentum``.
    lr : float, default=1e-3
        Learning rate.
    momentum : float, default=0.9
        Momentum of SGD (ignored by Adam).
    weight_decay : float, default=0.0
        L2 penalty (the seed found it creates dead filters, hence 0).
    batch_size : int, default=32
        Mini-batch size (32 in the seed).
    max_epochs : int, default=20
        Number of epochs (the maximum with early stopping).
    augment : bool, default=True
        Master switch of the training-time augmentation below, applied to
        every training batch on ``device`` and never at prediction.
    rotation : float, default=180.0
        Maximum rotation in degrees.
    shift : float, default=0.1
        Maximum shift as a fraction of the image size.
    shear : float, default=0.2
        Maximum shear angle in radians.
    zoom : (float, float) or None, default=(0.8, 1.0)
        Keras-style zoom range (values below 1 magnify).
    hflip, vflip : bool, default=True
        Random horizontal / vertical flips.
    augment_padding : {"zeros", "border", "reflection"}, default="zeros"
        Fill of the pixels brought in by the transforms ("zeros" matches
        ``crop_mask`` inputs, "border" unmasked crops).
    class_weight : dict, "balanced" or None, default=None
        Weights of the classes in the loss.
    undersample_majority : float, default=0.0
        Fraction of the largest class (every class tied for largest) left
        out afresh at each epoch (seed section 4.8.2 uses 0.2).
    %(shared_parameters)s

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels (any type, strings included).
    net_ : skorch.NeuralNet
        The trained skorch net (history in ``net_.history``).
    module_ : torch.nn.Module
        The trained LipNet (without standardisation and augmentation).
    input_shape_ : tuple of int
        ``(C, H, W)`` of the training images.
    n_features_in_ : int
        Number of channels ``C`` (1 for grayscale), as for the other image
        estimators of sklearn-cells.
    input_mean_, input_std_ : float
        Standardisation of the inputs learned from the training data.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = rng.random((40, 28, 28)).astype(np.float32); y = np.repeat(["a", "b"], 20)
    >>> X[y == "b", 10:18, 10:18] += 2
    >>> clf = LipNetClassifier("lipnet1", n_filters=4, max_epochs=5, random_state=0).fit(X, y)
    >>> clf.predict(X[:2]).tolist()
    ['a', 'a']
    """

    def __init__(
        self,
        architecture: str = "lipnet4",
        *,
        n_filters: int = 32,
        hidden_size: int = 128,
        dropout: float = 0.25,
        label_smoothing: float = 0.1,
        optimizer: str = "adam",
        lr: float = 1e-3,
        momentum: float = 0.9,
        weight_decay: float = 0.0,
        batch_size: int = 32,
        max_epochs: int = 20,
        augment: bool = True,
        rotation: float = 180.0,
        shift: float = 0.1,
        shear: float = 0.2,
        zoom: tuple[float, float] | None = (0.8, 1.0),
        hflip: bool = True,
        vflip: bool = True,
        augment_padding: str = "zeros",
        class_weight=None,
        undersample_majority: float = 0.0,
        lr_schedule: str | None = None,
        early_stopping: bool = False,
        validation_fraction: float = 0.1,
        n_iter_no_change: int = 5,
        mixed_precision: bool = False,
        warm_start: bool = False,
        callbacks: list | None = None,
        accelerator=None,
        device: str = "cpu",
        random_state=None,
        verbose: int = 0,
    ):
        self.architecture = architecture
        self.n_filters = n_filters
        self.hidden_size = hidden_size
        self.dropout = dropout
        self.label_smoothing = label_smoothing
        self.optimizer = optimizer
        self.lr = lr
        self.momentum = momentum
        self.weight_decay = weight_decay
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.augment = augment
        self.rotation = rotation
        self.shift = shift
        self.shear = shear
        self.zoom = zoom
        self.hflip = hflip
        self.vflip = vflip
        self.augment_padding = augment_padding
        self.class_weight = class_weight
        self.undersample_majority = undersample_majority
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

    _net_class = ClassifierNet  # predict gives class indices (skorch's scorers)
    _parameter_constraints: dict = {
        **TorchEstimator._parameter_constraints,
        "architecture": [StrOptions(set(LIPNET_ARCHITECTURES))],
        "n_filters": [positive_int()],
        "hidden_size": [positive_int()],
        "dropout": [real_in(0, 1, closed="left")],
        "label_smoothing": [real_in(0, 1, closed="left")],
        "optimizer": [StrOptions({"adam", "sgd"})],
        "momentum": [real_in(0, 1, closed="left")],
        "weight_decay": [real_in(0, None, closed="left")],
        "augment": ["boolean"],
        "rotation": [real_in(0, None, closed="left")],
        "shift": [real_in(0, 1, closed="left")],
        "shear": [real_in(0, None, closed="left")],
        "zoom": [tuple, list, None],
        "hflip": ["boolean"],
        "vflip": ["boolean"],
        "augment_padding": [StrOptions({"zeros", "border", "reflection"})],
        "class_weight": [StrOptions({"balanced"}), dict, None],
        "undersample_majority": [real_in(0, 1, closed="left")],
    }

    def _augmentation_params(self) -> dict | None:
        """The :class:`RandomAffine2d` settings, or None without augmentation."""
        if not self.augment:
            return None
        return {
            "rotation": self.rotation,
            "shift": self.shift,
            "shear": self.shear,
            "zoom": None if self.zoom is None else tuple(self.zoom),
            "hflip": self.hflip,
            "vflip": self.vflip,
            "padding_mode": self.augment_padding,
        }

    # --------------------------------------------------------------------- fit
    def fit(self, X, y) -> LipNetClassifier:
        """Train the network.

        Parameters
        ----------
        X : array-like of shape (n_samples, H, W) or (n_samples, C, H, W)
            Fixed-size images (e.g. from ``ParticleMasker``).
        y : array-like of shape (n_samples,)
            Class labels.

        Returns
        -------
        self : LipNetClassifier
        """
        return self._fit(X, y)

    def partial_fit(self, X, y, classes=None) -> LipNetClassifier:
        """Train one more epoch on ``X``, ``y`` (the first call initialises).

        ``classes`` lists every label when the first call's ``y`` lacks some;
        early stopping does not apply to a first ``partial_fit``.
        """
        return self._fit(X, y, incremental=True, classes=classes)

    def _prepare_fit(self, X, y, *, reset, classes=None) -> FitData:
        X = _check_images(X, input_shape=None if reset else self.input_shape_)
        y = column_or_1d(np.asarray(y))
        check_consistent_length(X, y)
        classes, y_enc = encode_class_labels(
            y, fitted_classes=None if reset else self.classes_, classes=classes
        )
        if len(classes) < 2:
            raise ValueError(
                f"LipNetClassifier needs samples of at least 2 classes; got only {classes.tolist()}."
            )
        arch_min = 2 ** len(LIPNET_ARCHITECTURES[self.architecture])
        if min(X.shape[2:]) < arch_min:
            raise ValueError(
                f"{self.architecture} needs images of at least {arch_min}x{arch_min}; got "
                f"{X.shape[2]}x{X.shape[3]}. Use ParticleMasker(output_size=28) (32 for lipnet6)."
            )
        fitted = {
            "classes_": classes,
            "input_shape_": tuple(X.shape[1:]),
            "n_features_in_": int(X.shape[1]),  # channels, as for the other image estimators
        }
        if not reset:
            fitted["input_mean_"], fitted["input_std_"] = self.input_mean_, self.input_std_
        return FitData(len(X), fitted, stratify=y_enc,
                       arrays={"X": torch.from_numpy(X), "y": torch.from_numpy(y_enc)})

    def _make_datasets(self, data, train_idx, valid_idx):
        X, y = data.arrays["X"], data.arrays["y"]
        if valid_idx is None:
            return Dataset(X, y), None
        train_idx, valid_idx = torch.from_numpy(train_idx), torch.from_numpy(valid_idx)
        return Dataset(X[train_idx], y[train_idx]), Dataset(X[valid_idx], y[valid_idx])

    def _net_params(self, data, train_idx, *, early_stopping, incremental):
        X_train, y_train = data.arrays["X"][train_idx], data.arrays["y"][train_idx].numpy()
        classes = data.fitted["classes_"]
        if "input_mean_" not in data.fitted:  # a first fit: the training pixels' statistics
            pixels = X_train.numpy()
            data.fitted["input_mean_"], data.fitted["input_std_"] = (
                float(pixels.mean()), float(pixels.std()))
        # a continued fit keeps the normalisation the network was trained with
        mean, std = data.fitted["input_mean_"], data.fitted["input_std_"]
        weight = None
        if self.class_weight is not None:
            weight = compute_class_weight(
                self.class_weight, classes=classes, y=classes[data.arrays["y"].numpy()]
            )
            weight = torch.as_tensor(weight, dtype=torch.float32)
        params = dict(
            module=_LipNetModule,
            module__architecture=self.architecture,
            module__n_classes=len(classes),
            module__in_channels=int(X_train.shape[1]),
            module__input_size=tuple(int(n) for n in X_train.shape[2:]),
            module__n_filters=self.n_filters,
            module__hidden_size=self.hidden_size,
            module__dropout=self.dropout,
            module__augmentation=self._augmentation_params(),
            module__mean=mean,
            module__std=std if std > 0 else 1.0,
            criterion=nn.CrossEntropyLoss,
            criterion__weight=weight,
            criterion__label_smoothing=float(self.label_smoothing),
            optimizer=torch.optim.Adam,
            optimizer__weight_decay=self.weight_decay,
            iterator_train__shuffle=True,
            iterator_valid__batch_size=self._inference_batch_size,
        )
        if self.undersample_majority > 0:
            params["iterator_train__shuffle"] = False
            params["iterator_train__sampler"] = _EpochUndersampler(
                y_train, self.undersample_majority
            )
        if self.optimizer == "sgd":
            params.update(optimizer=torch.optim.SGD, optimizer__momentum=self.momentum)
        return params

    @property
    def module_(self) -> nn.Module:
        """The trained LipNet (without standardisation and augmentation)."""
        check_is_fitted(self, "net_")
        return self.net_.module_.net

    # ----------------------------------------------------------------- predict
    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities (softmax of the network's outputs).

        Parameters
        ----------
        X : array-like of shape (n_samples, H, W) or (n_samples, C, H, W)

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes), columns in ``classes_`` order
        """
        check_is_fitted(self, "net_")
        X = torch.from_numpy(_check_images(X, input_shape=self.input_shape_))
        batch = self._inference_batch_size
        with self._evaluation() as module:
            proba = [
                torch.softmax(module(X[i : i + batch].to(self._device)).float(), dim=1).cpu()
                for i in range(0, len(X), batch)
            ]
        return torch.cat(proba).numpy().astype(np.float64)

    def predict(self, X) -> np.ndarray:
        """Most probable class of each image.

        Parameters
        ----------
        X : array-like of shape (n_samples, H, W) or (n_samples, C, H, W)

        Returns
        -------
        y_pred : ndarray of shape (n_samples,), labels from ``classes_``
        """
        proba = self.predict_proba(X)  # checks that the classifier is fitted
        return self.classes_[np.argmax(proba, axis=1)]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = True
        return tags
