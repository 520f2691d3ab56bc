"""LSTMTrajectoryClassifier: classify whole trajectories with a stacked LSTM."""

from __future__ import annotations

import numpy as np
import torch
from skorch import NeuralNet
from skorch.callbacks import LRScheduler
from skorch.helper import predefined_split
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.model_selection import train_test_split
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted
from torch.optim.lr_scheduler import ReduceLROnPlateau
from torch.utils.data import DataLoader, Subset

from ..base import TorchEstimatorMixin, check_device, make_callbacks, torch_seed_context
from ..nn.lstm import ARCHITECTURES, LSTMSequenceClassifier
from ._sequence_data import SequenceDataset, TrainingCollate, bucketed_loader, collate_sequences
from ._validation import check_trajectories, check_trajectory_labels

__all__ = ["LSTMTrajectoryClassifier"]

_OPTIMIZERS = {"rmsprop": torch.optim.RMSprop, "adam": torch.optim.Adam, "sgd": torch.optim.SGD}


class LSTMTrajectoryClassifier(TorchEstimatorMixin, ClassifierMixin, BaseEstimator):
    """Classify trajectories with a recurrent network (LSTM, GRU or CNN + LSTM).

    The model of seed 000 (section 4) and the designs of the AnDi 2020
    challenge: the trajectory (usually scaled velocities) is fed one time step
    after another, and the class is read from the top layer's output averaged
    over time (``pooling="mean"``, the default) or after the last step
    (``"last"``, the seed's choice). Trajectories of any length >= 1 are
    accepted; padding never changes a prediction.

    The defaults were chosen by measurement on three kinds of data
    (``benchmarks/results/trajectory_defaults_cpu.md``): Adam with a learning
    rate of 3e-3, halved when the validation loss stalls, early stopping on a
    stratified 10 % validation split, random 200-step training crops of long
    tracks and random rotations of the xy plane. With them,
    ``make_pipeline(VelocityTransformer(), TrajectoryScaler(),
    LSTMTrajectoryClassifier())`` reaches (pooled out-of-fold,
    ``benchmarks/bench_trajectory_quality.py``) accuracy 0.958 on
    :func:`~sklearn_cells.make_trajectories` (SVC on :class:`TrajectoryFeatures` 0.878),
    micro-F1 0.857 on 10,000 :func:`~sklearn_cells.make_anomalous_diffusion` tracks
    (gradient boosting on the features 0.814), and macro-F1 0.454 on real
    leukocyte tracks split by donor (SVC 0.450, gradient boosting 0.459). Put
    a :class:`TrajectoryScaler` in front: the network expects inputs of order 1.

    Parameters
    ----------
    architecture : {"lstm", "gru", "cnn_lstm"}, default="lstm"
        ``"lstm"``: stacked LSTM (seed 000); ``"gru"``: stacked GRU;
        ``"cnn_lstm"``: parallel dilated 1-D convolutions (dilations 1, 2, 4,
        8) in front of the LSTM, as in the strongest AnDi 2020 entries.
    bidirectional : bool, default=False
        Add a backward direction to every recurrent layer.
    hidden_size : int, default=32
        Recurrent units per layer and direction (seed: 10).
    n_layers : int, default=2
        Stacked recurrent layers (seed: 2).
    dropout : float, default=0.0
        Dropout between recurrent layers.
    pooling : {"mean", "last"}, default="mean"
        Class read from the top output averaged over time ("mean"), or after
        the last step ("last"). "mean" generalises from short training crops
        to long trajectories: accuracy keeps growing with length.
    lr : float, default=3e-3
        Initial learning rate.
    optimizer : {"adam", "rmsprop", "sgd"} or torch optimizer class, default="adam"
        The seed used RMSprop with lr 1e-3.
    lr_schedule : {"plateau", None}, default="plateau"
        ``"plateau"`` halves the learning rate when the monitored loss (the
        validation loss with ``early_stopping``, else the training loss) has
        not improved for ``max(1, n_iter_no_change // 2)`` epochs.
    max_epochs : int, default=100
        Upper bound on epochs per ``fit``; early stopping usually ends sooner.
    batch_size : int, default=32
    max_train_length : int or None, default=200
        Training trajectories longer than this are cut to a random window of
        this many steps, a fresh one every epoch (prediction always sees the
        whole trajectory). A track of ``T`` steps appears ``ceil(T /
        max_train_length)`` times per epoch, so an epoch covers about every
        time step once, and "balanced" class weights count those appearances.
    augment : bool, default=True
        Rotate the first two input columns (the xy plane) by a random angle
        and reflect them at random, per trajectory and batch, at training time
        only; other columns (z, the log step scale) are untouched. Turn it off
        when direction in the plane carries class information, or when the
        first two columns are not x and y (e.g. after
        :class:`PolarVelocityTransformer`).
    class_weight : "balanced", dict or None, default="balanced"
        Weights the loss by class; "balanced" is the seed's 1/N_i weighting.
    early_stopping : bool, default=True
        Hold out ``validation_fraction`` of the training data (stratified when
        every class allows it) and stop when its loss has not improved for
        ``n_iter_no_change`` epochs, keeping the best weights.
    validation_fraction : float, default=0.1
    n_iter_no_change : int, default=10
    warm_start : bool, default=False
        When True, ``fit`` continues training the existing network.
    device : str, default="cpu"
        Torch device for training and prediction; "cuda" without CUDA is an error.
    random_state : int, RandomState or None, default=None
        Seeds weight initialisation, shuffling, crops, rotations, dropout and
        the validation split: two CPU fits with the same seed give identical
        predictions.
    verbose : int, default=0
        0 is silent; 1 prints a table per epoch and shows a progress bar.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels (any sortable labels, strings too).
    n_features_in_ : int
        Dimensions per time step seen in ``fit``.
    net_ : skorch.NeuralNet
        The trained net (its ``history`` holds losses and timings).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_cells import LSTMTrajectoryClassifier
    >>> rng = np.random.RandomState(0)
    >>> X = [rng.normal(scale=s, size=(20, 2)) for s in (0.3, 1.0) * 10]
    >>> y = ["still", "moving"] * 10
    >>> clf = LSTMTrajectoryClassifier(batch_size=4, random_state=0).fit(X, y)
    >>> clf.score(X, y)
    1.0
    """

    def __init__(
        self,
        architecture: str = "lstm",
        bidirectional: bool = False,
        hidden_size: int = 32,
        n_layers: int = 2,
        dropout: float = 0.0,
        pooling: str = "mean",
        lr: float = 3e-3,
        optimizer="adam",
        lr_schedule: str | None = "plateau",
        max_epochs: int = 100,
        batch_size: int = 32,
        max_train_length: int | None = 200,
        augment: bool = True,
        class_weight="balanced",
        early_stopping: bool = True,
        validation_fraction: float = 0.1,
        n_iter_no_change: int = 10,
        warm_start: bool = False,
        device: str = "cpu",
        random_state=None,
        verbose: int = 0,
    ) -> None:
        self.architecture = architecture
        self.bidirectional = bidirectional
        self.hidden_size = hidden_size
        self.n_layers = n_layers
        self.dropout = dropout
        self.pooling = pooling
        self.lr = lr
        self.optimizer = optimizer
        self.lr_schedule = lr_schedule
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.max_train_length = max_train_length
        self.augment = augment
        self.class_weight = class_weight
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.warm_start = warm_start
        self.device = device
        self.random_state = random_state
        self.verbose = verbose

    # -- fitting ---------------------------------------------------------------

    def fit(self, X, y) -> LSTMTrajectoryClassifier:
        """Train on trajectories ``X`` (list, object array or 3-D array) with labels ``y``.

        Returns
        -------
        self : LSTMTrajectoryClassifier
        """
        continuing = self.warm_start and hasattr(self, "net_")
        return self._fit(X, y, classes=None, epochs=self.max_epochs, continuing=continuing)

    def partial_fit(self, X, y, classes=None) -> LSTMTrajectoryClassifier:
        """Train for one more epoch on ``X``, ``y`` (the first call initialises).

        Parameters
        ----------
        classes : array-like, optional
            All labels that will ever be seen; needed on the first call when
            ``y`` does not contain every class.

        Notes
        -----
        As in scikit-learn's ``MLPClassifier``, ``early_stopping`` and
        ``lr_schedule`` do not apply to ``partial_fit``: every call trains one
        epoch on all of the data it is given.
        """
        return self._fit(X, y, classes=classes, epochs=1, continuing=hasattr(self, "net_"),
                         incremental=True)

    def _fit(self, X, y, *, classes, epochs, continuing, incremental=False):
        device = check_device(self.device)
        self._check_params()
        trajectories = check_trajectories(
            X, min_length=1, n_dims=self.n_features_in_ if continuing else None
        )
        y = check_trajectory_labels(y, len(trajectories))
        check_classification_targets(y)
        if continuing:
            all_classes = self.classes_
            unknown = np.setdiff1d(np.unique(y), all_classes)
            if unknown.size:
                raise ValueError(
                    f"y contains labels {unknown.tolist()} not seen in the first fit "
                    f"(classes_ = {all_classes.tolist()}). Refit from scratch with "
                    "warm_start=False, or pass every class to the first partial_fit."
                )
        else:
            all_classes = np.unique(y if classes is None else np.asarray(classes))
            unknown = np.setdiff1d(np.unique(y), all_classes)
            if unknown.size:
                raise ValueError(
                    f"y contains labels {unknown.tolist()} missing from classes="
                    f"{all_classes.tolist()}; include every label in classes."
                )
        y_encoded = np.searchsorted(all_classes, y)
        dataset = SequenceDataset(trajectories, y_encoded)

        with torch_seed_context(self.random_state, device) as seed:
            if continuing:
                net = self.net_
                # A fixed random_state must not replay the same shuffles, crops and
                # rotations in every continued fit.
                torch.manual_seed(seed + len(net.history))
                net.set_params(device=device, verbose=self.verbose)
                train_data = dataset
                if net.train_split is not None:  # hold out a part of the new data
                    idx_train, idx_valid = self._validation_split(y_encoded, seed)
                    train_data = _IndexedSubset(dataset, idx_train)
                    net.set_params(train_split=predefined_split(_IndexedSubset(dataset, idx_valid)))
            else:
                net, train_data = self._build_net(dataset, y_encoded, all_classes, device, seed,
                                                  incremental=incremental)
                net.initialize()
            net.partial_fit(train_data, None, epochs=epochs)

        self.net_ = net
        self.classes_ = all_classes
        self.n_features_in_ = trajectories[0].shape[1]
        return self

    def _check_params(self):
        for name in ("hidden_size", "n_layers", "max_epochs", "batch_size", "n_iter_no_change"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"{name} must be a positive integer; got {value!r}.")
        if self.max_train_length is not None and (
            isinstance(self.max_train_length, bool)
            or not isinstance(self.max_train_length, (int, np.integer)) or self.max_train_length < 2
        ):
            raise ValueError(
                f"max_train_length must be an integer >= 2 or None; got {self.max_train_length!r}."
            )
        if not 0 <= self.dropout < 1:
            raise ValueError(f"dropout must be in [0, 1); got {self.dropout!r}.")
        if not 0 < self.validation_fraction < 1:
            raise ValueError(
                f"validation_fraction must be in (0, 1); got {self.validation_fraction!r}."
            )
        if self.pooling not in ("mean", "last"):
            raise ValueError(f"pooling must be 'mean' or 'last'; got {self.pooling!r}.")
        if self.architecture not in ARCHITECTURES:
            raise ValueError(
                f"architecture={self.architecture!r} is not one of {list(ARCHITECTURES)}."
            )
        if self.lr_schedule not in ("plateau", None):
            raise ValueError(f"lr_schedule must be 'plateau' or None; got {self.lr_schedule!r}.")
        for name in ("bidirectional", "augment", "early_stopping"):
            if not isinstance(getattr(self, name), (bool, np.bool_)):
                raise ValueError(f"{name} must be True or False; got {getattr(self, name)!r}.")
        if isinstance(self.optimizer, str) and self.optimizer not in _OPTIMIZERS:
            raise ValueError(
                f"optimizer={self.optimizer!r} is not one of {sorted(_OPTIMIZERS)}; "
                "pass one of those or a torch.optim.Optimizer class."
            )

    def _class_weights(self, y_encoded, classes):
        if self.class_weight is None:
            return None
        if isinstance(self.class_weight, str) and self.class_weight != "balanced":
            raise ValueError(
                f"class_weight={self.class_weight!r} is not supported; use 'balanced', "
                "a dict {label: weight} or None."
            )
        present = np.unique(y_encoded)
        weights = np.ones(len(classes))
        if isinstance(self.class_weight, dict):
            for label, w in self.class_weight.items():
                if label not in classes:
                    raise ValueError(f"class_weight names label {label!r}, not in {classes.tolist()}.")
                weights[np.searchsorted(classes, label)] = w
        else:
            weights[present] = compute_class_weight("balanced", classes=present, y=y_encoded)
        return torch.as_tensor(weights, dtype=torch.float32)

    def _validation_split(self, y_encoded, seed):
        """Stratified split when every class allows it, else a plain random split."""
        n = len(y_encoded)
        n_valid = max(1, int(round(self.validation_fraction * n)))
        if n - n_valid < 1:
            raise ValueError(
                f"early_stopping needs at least 2 trajectories to hold out a validation "
                f"split; got {n}. Pass more data or early_stopping=False."
            )
        counts = np.bincount(y_encoded)
        n_classes = int((counts > 0).sum())
        stratify = (y_encoded if counts[counts > 0].min() >= 2
                    and min(n_valid, n - n_valid) >= n_classes else None)
        return train_test_split(np.arange(n), test_size=n_valid, stratify=stratify,
                                random_state=seed)

    def _build_net(self, dataset, y_encoded, classes, device, seed, incremental=False):
        early_stopping = self.early_stopping and not incremental
        train_split = None
        idx_train = np.arange(len(dataset))
        train_data = dataset
        if early_stopping:
            idx_train, idx_valid = self._validation_split(y_encoded, seed)
            train_data = _IndexedSubset(dataset, idx_train)
            train_split = predefined_split(_IndexedSubset(dataset, idx_valid))
        # Balance the loss over what an epoch really contains: a training track
        # appears ceil(T / max_train_length) times.
        repeats = np.ones(len(idx_train), dtype=int)
        if self.max_train_length is not None:
            repeats = np.maximum(1, np.ceil(dataset.lengths[idx_train] / self.max_train_length))
        y_seen = np.repeat(y_encoded[idx_train], repeats.astype(int))
        extra = []
        if self.lr_schedule == "plateau" and not incremental:
            monitor = "valid_loss" if early_stopping else "train_loss"
            extra.append(("lr_schedule", LRScheduler(
                ReduceLROnPlateau, monitor=monitor, factor=0.5,
                patience=max(1, self.n_iter_no_change // 2),
            )))
        optimizer = _OPTIMIZERS.get(self.optimizer, self.optimizer)
        net = NeuralNet(
            module=LSTMSequenceClassifier,
            module__n_features=dataset.sequences[0].shape[1],
            module__n_classes=len(classes),
            module__hidden_size=self.hidden_size,
            module__n_layers=self.n_layers,
            module__dropout=self.dropout,
            module__pooling=self.pooling,
            module__architecture=self.architecture,
            module__bidirectional=self.bidirectional,
            criterion=torch.nn.CrossEntropyLoss,
            criterion__weight=self._class_weights(y_seen, classes),
            optimizer=optimizer,
            lr=self.lr,
            max_epochs=self.max_epochs,
            batch_size=self.batch_size,
            iterator_train=bucketed_loader,
            iterator_train__shuffle=True,
            iterator_train__collate_fn=TrainingCollate(self.max_train_length, self.augment),
            iterator_train__max_length=self.max_train_length,
            iterator_valid=bucketed_loader,
            train_split=train_split,
            callbacks=make_callbacks(
                self.verbose,
                early_stopping=early_stopping,
                n_iter_no_change=self.n_iter_no_change,
                extra=extra,
            ),
            device=device,
            verbose=self.verbose,
        )
        return net, train_data

    # -- prediction ------------------------------------------------------------

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities, shape (n_trajectories, n_classes), columns as ``classes_``."""
        check_is_fitted(self, "net_")
        trajectories = check_trajectories(X, min_length=1, n_dims=self.n_features_in_)
        # Predict in length order so each batch holds similar lengths, then restore order.
        order = np.argsort([len(t) for t in trajectories], kind="stable")
        dataset = SequenceDataset([trajectories[i] for i in order])
        loader = DataLoader(
            dataset, batch_size=max(self.batch_size, 256), collate_fn=collate_sequences
        )
        module = self.net_.module_
        was_training = module.training
        module.eval()
        chunks = []
        with torch.inference_mode():
            for batch, _ in loader:
                batch = {k: v.to(self.net_.device) for k, v in batch.items()}
                chunks.append(torch.softmax(module(**batch), dim=1).cpu())
        module.train(was_training)
        proba = torch.cat(chunks).numpy().astype(np.float64)
        out = np.empty_like(proba)
        out[order] = proba
        return out

    def predict(self, X) -> np.ndarray:
        """Predicted labels from ``classes_``, one per trajectory."""
        check_is_fitted(self, "net_")
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]


class _IndexedSubset(Subset):
    """A Subset that keeps ``lengths`` for the length-bucketed loader."""

    def __init__(self, dataset: SequenceDataset, indices) -> None:
        super().__init__(dataset, indices)
        self.lengths = dataset.lengths[indices]
