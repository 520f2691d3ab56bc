"""Machinery shared by the estimators: device checks, seeding and skorch set-up.

Every estimator in sklearn-cells wraps (rather than subclasses) a skorch
``NeuralNet``: ``__init__`` only stores hyperparameters, and ``fit`` builds the
net as ``self.net_``. The helpers here keep that pattern identical everywhere.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import textwrap
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import BaseEstimator, clone
from sklearn.model_selection import GroupShuffleSplit, train_test_split
from sklearn.utils import check_random_state
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils._param_validation import (
    HasMethods,
    Interval,
    StrOptions,
    validate_parameter_constraints,
)
from sklearn.utils.validation import check_is_fitted
from torch.optim.lr_scheduler import CosineAnnealingLR, ReduceLROnPlateau
from skorch import NeuralNet
from skorch.callbacks import Callback, EarlyStopping, LRScheduler, ProgressBar
from skorch.dataset import unpack_data
from skorch.helper import predefined_split
from skorch.history import History
from skorch.utils import TeeGenerator

from ._net_state import net_to_plain, plain_to_net

__all__ = ["TorchEstimator", "FitData", "MixedPrecisionNet", "check_device", "torch_seed_context", "make_callbacks"]


def check_device(device: str | torch.device) -> str:
    """Return ``device`` as a string after checking that it can be used.

    Parameters
    ----------
    device : str or torch.device
        ``"cpu"``, ``"cuda"``, ``"cuda:1"``, ``"mps"``, ...  A plain
        ``"cuda"`` on a machine with several GPUs picks the one with the most
        free memory, so the jobs of ``GridSearchCV(n_jobs=k)`` spread over k
        GPUs (each job picks when its fit starts).

    Returns
    -------
    device : str

    Raises
    ------
    ValueError
        If the device string is not understood or the device is not present.
        A CUDA request on a machine without CUDA is an error, never a silent
        CPU run.

    Examples
    --------
    >>> check_device("cpu")
    'cpu'
    """
    try:
        parsed = torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise ValueError(
            f"device={device!r} is not a valid torch device; use 'cpu' or 'cuda'."
        ) from exc
    if parsed.type == "cuda":
        if not torch.cuda.is_available():
            raise ValueError(
                f"device={device!r} was requested but CUDA is not available "
                "(torch.cuda.is_available() is False). Use device='cpu', or install "
                "a CUDA build of PyTorch on a machine with an NVIDIA GPU."
            )
        n_devices = torch.cuda.device_count()
        if parsed.index is not None and parsed.index >= n_devices:
            raise ValueError(
                f"device={device!r} was requested but only {n_devices} CUDA device(s) "
                "are present."
            )
        if parsed.index is None and n_devices > 1:
            free = [torch.cuda.mem_get_info(i)[0] for i in range(n_devices)]
            return f"cuda:{int(np.argmax(free))}"
    elif parsed.type == "mps" and not torch.backends.mps.is_available():
        raise ValueError(f"device={device!r} was requested but MPS is not available.")
    return str(device)


@contextlib.contextmanager
def torch_seed_context(random_state, device: str = "cpu") -> Iterator[int]:
    """Seed torch for the duration of a block without touching the caller's RNG.

    The global torch generator (and CUDA's, when used) is forked, seeded from
    ``random_state`` and restored afterwards, so a fit with a fixed
    ``random_state`` is reproducible and leaves the user's own seeding alone.

    Yields
    ------
    seed : int
        The seed used, also handy for seeding data loaders.
    """
    seed = int(check_random_state(random_state).randint(np.iinfo(np.int32).max))
    cuda_devices = []
    if torch.device(device).type == "cuda":
        cuda_devices = [torch.device(device).index or 0]
    with torch.random.fork_rng(devices=cuda_devices):
        torch.manual_seed(seed)
        yield seed


def _silent(*args, **kwargs) -> None:
    """A picklable sink that prints nothing (a lambda would break pickling)."""


class TimeLeft(Callback):
    """Print, after each epoch, the epochs done, the time spent and the time left
    at the mean epoch time so far (at most: early stopping may end sooner)."""

    def __init__(self, max_epochs: int, sink=print) -> None:
        self.max_epochs = max_epochs
        self.sink = sink

    def on_train_begin(self, net, **kwargs) -> None:
        self.start_, self.first_epoch_ = time.monotonic(), len(net.history)

    def on_epoch_end(self, net, **kwargs) -> None:
        done = len(net.history) - self.first_epoch_
        spent = time.monotonic() - self.start_
        left = spent / done * (self.max_epochs - done)
        self.sink(f"epoch {done}/{self.max_epochs}: {spent / 60:.1f} min spent, "
                  f"at most {left / 60:.1f} min left")


def make_callbacks(
    verbose: int,
    *,
    early_stopping: bool = False,
    n_iter_no_change: int = 5,
    extra: list | None = None,
    max_epochs: int | None = None,
) -> list:
    """The skorch callbacks every estimator uses.

    ``verbose=0`` is silent; ``verbose>=1`` prints skorch's per-epoch table,
    shows a tqdm progress bar over the batches and, given ``max_epochs``, the
    time left. Early stopping monitors the validation loss and restores the
    best weights at the end of training.
    """
    callbacks = list(extra or [])
    if early_stopping:
        callbacks.append(
            (
                "early_stopping",
                EarlyStopping(
                    monitor="valid_loss", patience=n_iter_no_change, load_best=True,
                    sink=print if verbose else _silent,
                ),
            )
        )
    if verbose:
        callbacks.append(("progress_bar", ProgressBar()))
        if max_epochs is not None:
            callbacks.append(("time_left", TimeLeft(max_epochs)))
    return callbacks


# Names skorch or the estimators give their own callbacks.
_BUILTIN_CALLBACK_NAMES = frozenset({
    "epoch_timer", "train_loss", "valid_loss", "valid_acc", "print_log", "early_stopping",
    "progress_bar", "lr_schedule", "time_left",
})


def check_callbacks(callbacks) -> list:
    """``callbacks`` as a list, each a skorch ``Callback`` or a ``(name, Callback)`` pair
    whose name is not one of the built-in callbacks'."""
    if callbacks is None:
        return []
    for item in callbacks:
        name, callback = item if isinstance(item, tuple) and len(item) == 2 else (None, item)
        if not isinstance(callback, Callback) or not isinstance(name, (str, type(None))):
            raise TypeError(
                f"callbacks must hold skorch callbacks or (name, callback) pairs; got {item!r}. "
                "Pass e.g. [skorch.callbacks.EpochScoring('accuracy')] or "
                "[('acc', EpochScoring('accuracy'))]."
            )
        if name in _BUILTIN_CALLBACK_NAMES:
            raise ValueError(
                f"the callback name {name!r} is taken by a built-in callback; choose another "
                "name (built-in behaviour has its own parameters, e.g. early_stopping and "
                "n_iter_no_change)."
            )
    return list(callbacks)


def _train(net, dataset, epochs: int) -> bool:
    """``net.partial_fit(dataset, epochs=epochs)`` that tells whether it was interrupted.

    skorch ends training quietly on ``KeyboardInterrupt``; the estimators warn.
    """
    if not net.initialized_:
        net.initialize()
    net.notify("on_train_begin", X=dataset, y=None)
    interrupted = False
    try:
        net.fit_loop(dataset, None, epochs=epochs)
    except KeyboardInterrupt:
        # skorch's EarlyStopping ends training by raising KeyboardInterrupt too
        interrupted = not any(isinstance(cb, EarlyStopping) and cb.misses_ >= cb.patience
                              for _, cb in net.callbacks_)
    net.notify("on_train_end", X=dataset, y=None)
    return interrupted


class _Integer(Interval):
    """An integer interval that, unlike scikit-learn's, refuses booleans."""

    def __init__(self, left, right=None, *, closed="left"):
        super().__init__(Integral, left, right, closed=closed)

    def is_satisfied_by(self, val):
        return not isinstance(val, (bool, np.bool_)) and super().is_satisfied_by(val)


class _Real(Interval):
    """A real interval that refuses booleans."""

    def __init__(self, left, right=None, *, closed="neither"):
        super().__init__(Real, left, right, closed=closed)

    def is_satisfied_by(self, val):
        return not isinstance(val, (bool, np.bool_)) and super().is_satisfied_by(val)


def positive_int():
    """Constraint: an integer >= 1 (booleans refused)."""
    return _Integer(1, None, closed="left")


def int_at_least(low: int):
    """Constraint: an integer >= ``low`` (booleans refused)."""
    return _Integer(low, None, closed="left")


def real_in(low, high=None, closed="neither"):
    """Constraint: a real number in the interval (booleans refused)."""
    return _Real(low, high, closed=closed)


def encode_class_labels(y, *, fitted_classes=None, classes=None):
    """Return ``(classes, y as indices into classes)`` for a classifier's fit.

    ``fitted_classes`` are those of an earlier fit that is being continued;
    ``classes`` the full label set a first ``partial_fit`` may be given. A
    label outside them is an error that says how to fix it.
    """
    y = np.asarray(y)
    check_classification_targets(y)
    if fitted_classes is not None:
        all_classes = fitted_classes
        hint = ("not seen in the first fit (classes_ = {known}). Refit from scratch with "
                "warm_start=False, or pass every class to the first partial_fit.")
    else:
        all_classes = np.unique(y if classes is None else np.asarray(classes))
        hint = "missing from classes={known}; include every label in classes."
    unknown = np.setdiff1d(np.unique(y), all_classes)
    if unknown.size:
        raise ValueError(
            f"y contains labels {unknown.tolist()} " + hint.format(known=all_classes.tolist())
        )
    return all_classes, np.searchsorted(all_classes, y)


class MixedPrecisionNet(NeuralNet):
    """skorch ``NeuralNet`` with optional CUDA automatic mixed precision.

    With ``use_amp=True`` the forward pass runs under float16 autocast and the
    loss is scaled (``torch.amp.GradScaler``) so small gradients survive;
    callbacks see unscaled gradients. Off, it is a plain ``NeuralNet``.
    """

    def __init__(self, *args, use_amp=False, **kwargs):
        self.use_amp = use_amp
        super().__init__(*args, **kwargs)

    def autocast(self):
        """float16 autocast when ``use_amp``, else a no-op context."""
        if self.use_amp:
            return torch.autocast(device_type="cuda", dtype=torch.float16)
        return contextlib.nullcontext()

    def infer(self, x, **fit_params):
        with self.autocast():
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


class ClassifierNet(MixedPrecisionNet):
    """A net whose ``predict`` gives class indices, as skorch's classifiers do.

    Its ``predict_proba`` applies the softmax that skorch infers from the
    cross-entropy criterion, so that scikit-learn scorers in skorch callbacks
    (``EpochScoring("accuracy")``) see class indices and probabilities, not logits.
    """

    def predict(self, X):
        return self.predict_proba(X).argmax(axis=1)


@functools.cache
def _accelerated(net_class: type) -> type:
    """``net_class`` with skorch's ``AccelerateMixin`` (Hugging Face accelerate)."""
    from skorch.hf import AccelerateMixin

    return type(f"Accelerated{net_class.__name__}", (AccelerateMixin, net_class), {})


@dataclass
class FitData:
    """What an estimator's ``_prepare_fit`` hands to :class:`TorchEstimator`.

    Attributes
    ----------
    n_samples : int
        Number of units the validation split draws from (trajectories, images,
        frames, videos).
    fitted : dict
        Fitted attributes (``classes_``, ``n_features_in_``, ...) that are set
        on the estimator only once training has succeeded.
    stratify, groups : ndarray or None
        Labels to stratify the validation split by, or groups to keep whole.
    arrays : dict
        Whatever else the estimator's own hooks need (validated arrays, ...).
    """

    n_samples: int
    fitted: dict
    stratify: np.ndarray | None = None
    groups: np.ndarray | None = None
    arrays: dict = field(default_factory=dict)


_SHARED_PARAMETERS = """\
lr_schedule : {{"plateau", "cosine"}} or None, default={lr_schedule!r}
    ``"plateau"`` halves the learning rate when the monitored loss (the
    validation loss with early stopping, else the training loss) has not
    improved for ``max(1, n_iter_no_change // 2)`` epochs; ``"cosine"``
    anneals it to 0 over ``max_epochs``; None keeps it constant. Another
    schedule goes in ``callbacks`` (e.g. the seed 004 decay,
    ``LRScheduler(policy="ExponentialLR", gamma=0.95)``). Not applied by
    ``partial_fit``.
early_stopping : bool, default={early_stopping!r}
    Hold out ``validation_fraction`` of the training samples and stop when
    the validation loss has not improved for ``n_iter_no_change`` epochs,
    keeping the best weights. The split is stratified by class where every
    class allows it and keeps whole sequences or videos together where the
    data are grouped.
validation_fraction : float, default={validation_fraction!r}
    Share of the training samples held out by ``early_stopping``.
n_iter_no_change : int, default={n_iter_no_change!r}
    Patience of early stopping in epochs: 10 for the trajectory models,
    whose epochs are short and many, 5 for the image and video models.
mixed_precision : bool, default={mixed_precision!r}
    Train and predict with float16 autocast (and gradient scaling) when
    ``device`` is CUDA; ignored on CPU, so the same estimator runs on
    either. On by default only for the U-Net, whose convolutions gain most;
    the recurrent and small networks stay in float32.
warm_start : bool, default={warm_start!r}
    When True, ``fit`` continues training the fitted network instead of
    starting afresh, with the current ``lr``, ``max_epochs``,
    ``batch_size`` and ``callbacks`` (the network's other settings stay
    those of the first fit) and shuffles drawn from a new seed. A loaded
    model continues with a fresh optimizer.
callbacks : list of skorch callbacks or None, default={callbacks!r}
    Run after the built-in ones; each a ``Callback`` or a ``(name,
    Callback)`` pair whose name is not a built-in one (``early_stopping``,
    ``lr_schedule``, ``progress_bar``, skorch's ``train_loss``, ...). Every
    fit uses fresh copies, so the estimator stays clone- and search-safe. A
    ``KeyboardInterrupt`` during training ends the fit with a warning, keeps
    the weights trained so far (the best ones with early stopping) and sets
    ``fit_interrupted_``.
accelerator : accelerate.Accelerator or None, default={accelerator!r}
    Train through Hugging Face accelerate (data-parallel on several GPUs
    when started with ``accelerate launch``, and its mixed precision); the
    accelerator places the model and ``device`` is not used.
device : str, default={device!r}
    Torch device for training and prediction (``"cpu"``, ``"cuda"``,
    ``"cuda:1"``, ...); a device that is not there is an error.
random_state : int, RandomState instance or None, default={random_state!r}
    Seeds weight initialisation, shuffling, crops, augmentation, dropout and
    the validation split: two CPU fits with the same seed give the same model.
verbose : int, default={verbose!r}
    0 is silent; 1 prints skorch's table per epoch and a progress bar.
"""


def shared_parameter_docs(cls: type) -> type:
    """Class decorator: put the parameters every torch estimator shares, with
    the defaults of ``cls``'s signature, where its docstring says
    ``%(shared_parameters)s`` (documented once, so the copies cannot drift)."""
    defaults = {name: p.default for name, p in inspect.signature(cls).parameters.items()}
    text = _SHARED_PARAMETERS.format(**defaults)
    placeholder = "    %(shared_parameters)s\n"
    if cls.__doc__ is not None:  # docstrings are stripped under python -OO
        if placeholder not in cls.__doc__:
            raise ValueError(f"{cls.__name__}'s docstring lacks {placeholder.strip()}")
        cls.__doc__ = cls.__doc__.replace(placeholder, textwrap.indent(text, "    "))
    return cls


class TorchEstimator(BaseEstimator):
    """Base class of the estimators that train a torch module through skorch.

    :meth:`_fit` runs the same steps for every subclass, which only override
    hooks, as scikit-learn's ``BaseMixture`` does:

    1. validate the parameters (``_parameter_constraints``, shared ones
       declared here) and the device;
    2. ``_prepare_fit(X, y, reset)``: validate the data, return a
       :class:`FitData` (the fitted attributes are kept until the end, so a
       fit that fails leaves the estimator as it was);
    3. inside :func:`torch_seed_context`: hold out a validation split
       (:meth:`_validation_split`, always from the derived seed), build the
       datasets (``_make_datasets``) and the net (``_net_params``), train;
    4. ``_after_training``: fit what builds on the trained net;
    5. set the fitted attributes and ``net_``.

    The parameters every subclass shares (``lr_schedule``, early stopping,
    ``mixed_precision``, ``warm_start``, ``callbacks``, ``accelerator``,
    ``device``, ``random_state``, ``verbose``) are documented once, in
    ``_SHARED_PARAMETERS``, and put into each subclass's docstring by
    :func:`shared_parameter_docs`.
    """

    _parameter_constraints: dict = {
        "lr": [real_in(0, None)],
        "max_epochs": [positive_int()],
        "batch_size": [positive_int()],
        "device": [str, torch.device],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
        "lr_schedule": [StrOptions({"plateau", "cosine"}), None],
        "early_stopping": ["boolean"],
        "validation_fraction": [real_in(0, 1)],
        "n_iter_no_change": [positive_int()],
        "warm_start": ["boolean"],
        "callbacks": [list, None],
        "mixed_precision": ["boolean"],
        "accelerator": [HasMethods(["prepare", "backward"]), None],
    }
    _net_class = MixedPrecisionNet

    # -- hooks -------------------------------------------------------------------

    def _check_params(self) -> None:
        """Checks that involve several parameters (the table covers single ones)."""

    def _prepare_fit(self, X, y, *, reset: bool, **kwargs) -> FitData:
        raise NotImplementedError

    def _make_datasets(self, data: FitData, train_idx, valid_idx):
        """Return ``(train_dataset, valid_dataset or None)``."""
        raise NotImplementedError

    def _net_params(self, data: FitData, train_idx, *, early_stopping: bool,
                    incremental: bool) -> dict:
        """The skorch parameters of this estimator (module, criterion, ...).

        A ``"callbacks"`` entry lists the estimator's built-in callbacks; the
        base adds early stopping, the progress bar and the user's ``callbacks``.
        """
        raise NotImplementedError

    def _n_epochs(self, train, device: str) -> int:
        """Epochs of a fit on the dataset ``train``: ``max_epochs`` (a subclass may
        derive it from the data and the device)."""
        return self.max_epochs

    def _after_training(self, data: FitData, net, train_idx, valid_idx, *,
                        incremental: bool) -> None:
        """Fit what builds on the trained ``net`` (fitted values go to ``data.fitted``)."""

    def _check_trained(self, net) -> None:
        """Raise if training failed (e.g. a non-finite loss)."""
        losses = [h["train_loss"] for h in net.history if "train_loss" in h]
        if losses and not np.isfinite(losses[-1]):
            raise ValueError(
                "training diverged (the training loss is not finite). Lower lr, scale "
                "the inputs (they may be too large), or check them for extreme values."
            )

    # -- the fixed steps ---------------------------------------------------------

    def _validate_params(self) -> None:
        validate_parameter_constraints(
            self._parameter_constraints,
            self.get_params(deep=False),
            caller_name=type(self).__name__,
        )
        self._check_params()

    def _fit(self, X, y=None, *, incremental: bool = False, **prepare_kwargs):
        self._validate_params()
        device = check_device(self.device)
        continuing = hasattr(self, "net_") and (incremental or self.warm_start)
        data = self._prepare_fit(X, y, reset=not continuing, **prepare_kwargs)
        # A net restored by load/unpickling has no optimizer: continuing rebuilds
        # the full net as a first fit would and trains the restored weights on.
        restored = continuing and not self.net_.initialized_
        if continuing and not restored:
            early_stopping = self.net_.train_split is not None
        else:
            early_stopping = self.early_stopping and not incremental
        with torch_seed_context(self.random_state, device) as seed:
            train_idx, valid_idx = np.arange(data.n_samples), None
            if early_stopping:
                train_idx, valid_idx = self._validation_split(data, seed)
            train, valid = self._make_datasets(data, train_idx, valid_idx)
            epochs = 1 if incremental else self._n_epochs(train, device)
            train_split = None if valid is None else predefined_split(valid)
            if continuing and not restored:
                net = self.net_
                # A fixed random_state must not replay the first fit's shuffles.
                torch.manual_seed(seed + len(net.history))
                # Parameters set since the last fit reach the net, and its optimizer.
                net.set_params(verbose=self.verbose, train_split=train_split, lr=self.lr,
                               max_epochs=epochs, batch_size=self.batch_size)
                for group in net.optimizer_.param_groups:
                    if "initial_lr" in group:  # what a learning-rate schedule starts from
                        group["initial_lr"] = self.lr
                if self.accelerator is None:
                    net.set_params(device=device)
                # the callbacks set now, beside the built-in ones of the first fit
                builtin = [c for c in net.callbacks
                           if isinstance(c, tuple) and c[0] in _BUILTIN_CALLBACK_NAMES]
                net.callbacks = builtin + clone(check_callbacks(self.callbacks), safe=False)
                net.initialize_callbacks()
            else:
                net = self._build_net(data, train_idx, device, train_split, epochs,
                                      early_stopping=early_stopping, incremental=incremental)
                net.initialize()
                if restored:
                    net.module_.load_state_dict(self.net_.module_.state_dict())
                    net.history = History(self.net_.history)
                    torch.manual_seed(seed + len(net.history))
            epochs_before = len(net.history)
            interrupted = _train(net, train, epochs=epochs)
            self._check_trained(net)
            self._after_training(data, net, train_idx, valid_idx, incremental=incremental)
        if interrupted:
            done = sum("dur" in row for row in net.history[epochs_before:])
            warnings.warn(
                f"training was interrupted (KeyboardInterrupt) after {done} complete epoch(s) "
                f"of this fit; {type(self).__name__} keeps the weights it has (with early "
                "stopping, the best on the validation split) and sets fit_interrupted_=True. "
                "Fit again to train fully.", UserWarning, stacklevel=3)
        data.fitted["fit_interrupted_"] = interrupted
        for name, value in data.fitted.items():
            setattr(self, name, value)
        self.net_ = net
        return self

    def _build_net(self, data, train_idx, device, train_split, epochs, *, early_stopping,
                   incremental):
        params = self._net_params(data, train_idx, early_stopping=early_stopping,
                                  incremental=incremental)
        builtin = params.pop("callbacks", [])
        if self.lr_schedule is not None and not incremental:
            builtin.append(("lr_schedule", self._lr_scheduler(early_stopping, epochs)))
        user = clone(check_callbacks(self.callbacks), safe=False)
        callbacks = make_callbacks(
            self.verbose, early_stopping=early_stopping,
            n_iter_no_change=self.n_iter_no_change, extra=builtin, max_epochs=epochs,
        ) + user
        net_class, placement = self._net_class, {
            "device": device,
            "use_amp": self.mixed_precision and torch.device(device).type == "cuda",
        }
        if torch.device(device).type == "cuda":
            # page-locked batches copy to the GPU asynchronously
            params.setdefault("iterator_train__pin_memory", True)
            params.setdefault("iterator_valid__pin_memory", True)
        if self.accelerator is not None:
            # accelerate places the module and the batches, and does mixed precision
            net_class = _accelerated(self._net_class)
            placement = {"device": None, "accelerator": self.accelerator,
                         "callbacks__print_log__sink": "auto" if self.verbose else _silent}
        return net_class(
            lr=self.lr, max_epochs=epochs, batch_size=self.batch_size,
            train_split=train_split, callbacks=callbacks, verbose=self.verbose,
            **placement, **params,
        )

    def _lr_scheduler(self, early_stopping: bool, epochs: int) -> LRScheduler:
        if self.lr_schedule == "cosine":
            # annealing the rate to 0 settles the weights at the end of training
            return LRScheduler(CosineAnnealingLR, T_max=epochs)
        return LRScheduler(ReduceLROnPlateau, factor=0.5,
                           monitor="valid_loss" if early_stopping else "train_loss",
                           patience=max(1, self.n_iter_no_change // 2))

    def _validation_split(self, data: FitData, seed: int):
        """Indices ``(train, valid)``: whole groups if given, stratified when possible."""
        n = data.n_samples
        n_valid = max(1, int(round(self.validation_fraction * n)))
        if n - n_valid < 1:
            raise ValueError(
                f"early_stopping holds out a validation split and needs at least 2 "
                f"samples; got {n}. Pass more data or early_stopping=False."
            )
        if data.groups is not None and len(np.unique(data.groups)) >= 2:
            splitter = GroupShuffleSplit(1, test_size=self.validation_fraction, random_state=seed)
            return next(splitter.split(np.zeros(n), groups=data.groups))
        stratify = data.stratify
        if stratify is not None:
            _, counts = np.unique(stratify, return_counts=True)
            if counts.min() < 2 or min(n_valid, n - n_valid) < len(counts):
                stratify = None
        train, valid = train_test_split(np.arange(n), test_size=n_valid, stratify=stratify,
                                        random_state=seed)
        if data.stratify is not None:
            missing = np.setdiff1d(data.stratify, data.stratify[train])
            if missing.size:
                raise ValueError(
                    f"early_stopping holds out {len(valid)} of {n} samples for validation, "
                    f"which leaves {missing.size} class(es) with no training sample. Pass more "
                    "samples per class or early_stopping=False."
                )
        return train, valid

    # -- inference ---------------------------------------------------------------

    # Least samples per prediction batch: without gradients, batches can be far larger
    # than in training. The U-Net, whose samples are large tiles, uses batch_size.
    _min_inference_batch = 256

    @property
    def _inference_batch_size(self) -> int:
        return max(self.batch_size, self._min_inference_batch)

    @contextlib.contextmanager
    def _evaluation(self, net: NeuralNet | None = None) -> Iterator[torch.nn.Module]:
        """The module of ``net`` (the fitted ``net_`` by default) in evaluation mode,
        under ``torch.inference_mode`` and, as ``mixed_precision`` says, CUDA autocast.

        The module's previous mode is restored afterwards, so a later
        ``partial_fit`` trains with dropout and batch statistics as before.
        Outputs may be float16 under autocast: callers convert what they return.
        """
        if net is None:
            check_is_fitted(self, "net_")
            net = self.net_
        module = net.module_
        was_training = module.training
        module.eval()
        try:
            with torch.inference_mode(), net.autocast():
                yield module
        finally:
            module.train(was_training)

    # -- scikit-learn protocol ---------------------------------------------------

    @property
    def _device(self) -> torch.device:
        """Where the fitted module's weights are (an accelerator may have put them)."""
        return next(self.net_.module_.parameters()).device

    @property
    def history_(self):
        """skorch's training history (per-epoch losses, durations, ...)."""
        check_is_fitted(self, "net_")
        return self.net_.history

    def __getstate__(self):
        # pickle, joblib, copy and sklearn_cells.save see the net as plain data.
        state = dict(super().__getstate__())
        if isinstance(state.get("net_"), NeuralNet):
            state["net_"] = net_to_plain(state["net_"])
        return state

    def __setstate__(self, state):
        state = dict(state)
        net = state.pop("net_", None)
        super().__setstate__(state)
        if isinstance(net, dict):
            try:  # the device it was saved from when present here, else the CPU
                device = check_device(net.get("device", "cpu"))
            except ValueError:
                device = "cpu"
            use_amp = self.mixed_precision and device.startswith("cuda")
            net = plain_to_net(net, self._net_class, device=device, use_amp=use_amp)
        if net is not None:
            self.net_ = net

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.three_d_array = True
        tags.non_deterministic = False
        return tags

