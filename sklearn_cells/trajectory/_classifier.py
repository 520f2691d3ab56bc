"""LSTMTrajectoryClassifier: classify whole trajectories with a stacked LSTM."""

from __future__ import annotations

import numpy as np
import torch
from skorch import NeuralNet
from skorch.helper import predefined_split
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.model_selection import train_test_split
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted
from torch.utils.data import DataLoader, Subset

from ..base import TorchEstimatorMixin, check_device, make_callbacks, torch_seed_context
from ..nn.lstm import LSTMSequenceClassifier
from ._sequence_data import SequenceDataset, bucketed_loader, collate_sequences
from ._validation import check_trajectories, check_trajectory_labels

__all__ = ["LSTMTrajectoryClassifier"]

_OPTIMIZERS = {"rmsprop": torch.optim.RMSprop, "adam": torch.optim.Adam, "sgd": torch.optim.SGD}


class LSTMTrajectoryClassifier(TorchEstimatorMixin, ClassifierMixin, BaseEstimator):
    """Classify trajectories with stacked LSTMs, a linear layer and softmax.

    The model of seed 000 (section 4): the trajectory (usually velocities,
    scaled to [-1, 1]) is fed one time step after another and the class is read
    from the last hidden state. Trajectories of any length are accepted and
    packed, so padding never changes a prediction. Train on fixed-length
    windows with :class:`TrajectoryWindowSampler` in an imbalanced-learn
    pipeline, as the seed did, and predict on whole trajectories.

    Parameters
    ----------
    hidden_size : int, default=10
        LSTM units per layer (seed's best: 10).
    n_layers : int, default=2
        Stacked LSTM layers (seed's best: 2).
    dropout : float, default=0.0
        Dropout between LSTM layers.
    pooling : {"mean", "last"}, default="mean"
        Class read from the top hidden state averaged over time ("mean"), or
        after the last step ("last", the seed's choice). "mean" generalises
        from training windows to long trajectories: accuracy keeps growing
        with length instead of degrading.
    lr : float, default=1e-3
        Learning rate.
    optimizer : {"rmsprop", "adam", "sgd"} or torch optimizer class, default="rmsprop"
        Seed: RMSprop with lr 1e-3.
    max_epochs : int, default=30
        Epochs per ``fit``.
    batch_size : int, default=32
    class_weight : "balanced", dict or None, default="balanced"
        Weights the loss by class; "balanced" is the seed's 1/N_i weighting.
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the training data (stratified) and
        stop when its loss has not improved for ``n_iter_no_change`` epochs,
        keeping the best weights.
    validation_fraction : float, default=0.1
    n_iter_no_change : int, default=5
    warm_start : bool, default=False
        When True, ``fit`` continues training the existing network.
    device : str, default="cpu"
        Torch device for training and prediction; "cuda" without CUDA is an error.
    random_state : int, RandomState or None, default=None
        Seeds weight initialisation, shuffling, dropout and the validation
        split: two CPU fits with the same seed give identical predictions.
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
    >>> X = [rng.normal(loc=c, size=(20, 2)) for c in (0.0, 1.0) * 10]
    >>> y = ["still", "moving"] * 10
    >>> clf = LSTMTrajectoryClassifier(max_epochs=20, lr=0.02, random_state=0).fit(X, y)
    >>> clf.score(X, y)
    1.0
    """

    def __init__(
        self,
        hidden_size: int = 10,
        n_layers: int = 2,
        dropout: float = 0.0,
        pooling: str = "mean",
        lr: float = 1e-3,
        optimizer="rmsprop",
        max_epochs: int = 30,
        batch_size: int = 32,
        class_weight="balanced",
        early_stopping: bool = False,
        validation_fraction: float = 0.1,
        n_iter_no_change: int = 5,
        warm_start: bool = False,
        device: str = "cpu",
        random_state=None,
        verbose: int = 0,
    ) -> None:
        self.hidden_size = hidden_size
        self.n_layers = n_layers
        self.dropout = dropout
        self.pooling = pooling
        self.lr = lr
        self.optimizer = optimizer
        self.max_epochs = max_epochs
        self.batch_size = batch_size
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
        """
        return self._fit(X, y, classes=classes, epochs=1, continuing=hasattr(self, "net_"))

    def _fit(self, X, y, *, classes, epochs, continuing):
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
                net.set_params(device=device, verbose=self.verbose)
                train_data = dataset
            else:
                net, train_data = self._build_net(dataset, y_encoded, all_classes, device, seed)
                net.initialize()
            net.partial_fit(train_data, None, epochs=epochs)

        self.net_ = net
        self.classes_ = all_classes
        self.n_features_in_ = trajectories[0].shape[1]
        return self

    def _check_params(self):
        for name in ("hidden_size", "n_layers", "max_epochs", "batch_size", "n_iter_no_change"):
            value = getattr(self, name)
            if not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"{name} must be a positive integer; got {value!r}.")
        if not 0 <= self.dropout < 1:
            raise ValueError(f"dropout must be in [0, 1); got {self.dropout!r}.")
        if not 0 < self.validation_fraction < 1:
            raise ValueError(
                f"validation_fraction must be in (0, 1); got {self.validation_fraction!r}."
            )
        if self.pooling not in ("mean", "last"):
            raise ValueError(f"pooling must be 'mean' or 'last'; got {self.pooling!r}.")
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

    def _build_net(self, dataset, y_encoded, classes, device, seed):
        train_split = None
        train_data = dataset
        if self.early_stopping:
            idx_train, idx_valid = train_test_split(
                np.arange(len(dataset)),
                test_size=self.validation_fraction,
                stratify=y_encoded,
                random_state=seed,
            )
            train_data = _IndexedSubset(dataset, idx_train)
            train_split = predefined_split(_IndexedSubset(dataset, idx_valid))
        optimizer = _OPTIMIZERS.get(self.optimizer, self.optimizer)
        net = NeuralNet(
            module=LSTMSequenceClassifier,
            module__n_features=dataset.sequences[0].shape[1],
            module__n_classes=len(classes),
            module__hidden_size=self.hidden_size,
            module__n_layers=self.n_layers,
            module__dropout=self.dropout,
            module__pooling=self.pooling,
            criterion=torch.nn.CrossEntropyLoss,
            criterion__weight=self._class_weights(y_encoded, classes),
            optimizer=optimizer,
            lr=self.lr,
            max_epochs=self.max_epochs,
            batch_size=self.batch_size,
            iterator_train=bucketed_loader,
            iterator_train__shuffle=True,
            iterator_valid=bucketed_loader,
            train_split=train_split,
            callbacks=make_callbacks(
                self.verbose,
                early_stopping=self.early_stopping,
                n_iter_no_change=self.n_iter_no_change,
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
