"""LSTMTrajectoryClassifier: classify whole trajectories with a stacked LSTM."""

from __future__ import annotations

import numpy as np
import torch
from sklearn.base import ClassifierMixin
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import log_loss
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.validation import check_is_fitted
from torch.utils.data import DataLoader, Subset

from ..base import (
    ClassifierNet,
    FitData,
    TorchEstimator,
    encode_class_labels,
    int_at_least,
    positive_int,
    real_in,
    shared_parameter_docs,
)
from ..nn.lstm import ARCHITECTURES, LSTMSequenceClassifier
from ._sequence_data import (
    PredictionCollate,
    SequenceDataset,
    TrainingCollate,
    bucketed_loader,
    collate_sequences,
    dataset_statistics,
)
from ._validation import check_trajectories, check_trajectory_labels

__all__ = ["LSTMTrajectoryClassifier"]

_OPTIMIZERS = {"rmsprop": torch.optim.RMSprop, "adam": torch.optim.Adam, "sgd": torch.optim.SGD}


@shared_parameter_docs
class LSTMTrajectoryClassifier(ClassifierMixin, TorchEstimator):
    """Classify trajectories with a recurrent network (LSTM, GRU or CNN + LSTM).

    The model of seed 000 (section 4) and the designs of the AnDi 2020
    challenge: the trajectory (usually scaled velocities) is fed one time step
    after another, and the class is read from the top layer's output averaged
    over time (``pooling="mean"``, the default) or after the last step
    (``"last"``, the seed's choice). Trajectories of any length >= 1 are
    accepted; padding never changes a prediction.

    The defaults were chosen by measurement (``benchmarks/results/trajectory_defaults_cpu.md``):
    Adam with a learning rate of 3e-3, halved when the validation loss
    stalls, early stopping on a stratified 10 % validation split, random
    200-step training crops of long tracks, random rotations of the xy plane,
    and whole-track displacement statistics beside the recurrent summary
    (``track_features``). How ``make_pipeline(VelocityTransformer(),
    TrajectoryScaler(), LSTMTrajectoryClassifier())`` compares with hand-made
    features on simulated, official AnDi and real leukocyte tracks: see the
    user guide (Trajectories) and ``benchmarks/results/trajectory_quality_cpu.md``.
    Put a :class:`TrajectoryScaler` in front: the network expects inputs of order 1.

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
    track_features : bool, default=True
        Give the head whole-track displacement statistics beside the
        recurrent summary (:func:`~sklearn_cells.nn.track_statistics`:
        mean squared displacement over lags 1 to 256 and its exponent,
        straightness, efficiency, gyration and asphericity, velocity
        autocorrelation, kurtosis), measured from the network's own input on
        whole tracks even when the recurrent layers train on crops, and
        standardised by the training set's median and standard deviation. The recurrent
        layers see steps and average over time; these statistics carry what
        they cannot accumulate: net displacement, confinement and how
        displacement grows with the lag. Standardised values are clipped to
        [-5, 5], and a statistic's standard deviation is floored at 0.1. The
        branch treats every input column as a velocity component: with
        ``TrajectoryScaler(per_trajectory=True)`` its log-scale column is
        integrated as a drift, so turn the branch off there. At prediction, a
        trajectory longer than every training trajectory (``max_track_length_``,
        e.g. after training on windows of :class:`TrajectoryWindowSampler`)
        gets the mean of its statistics over windows of that length, the
        spans the branch was trained on.
    feature_boosting : bool, default=True
        With ``track_features``, also fit gradient boosting
        (``HistGradientBoostingClassifier``, with the class weights of
        ``class_weight``) on the training tracks' statistics and predict the
        blend ``w p_network + (1 - w) p_boosting``. ``w`` is chosen from 0,
        0.1, ..., 1 by the log-loss on the early-stopping validation split (0.5
        without one). Trees read thresholds of a few statistics better than a
        small network trained for a few epochs, and the blend lets the data
        decide between them (see the user guide's trajectory benchmark).
        ``partial_fit`` trains the network alone and predicts with it alone:
        the booster needs the whole data set at once; so do fits on fewer than
        40 training tracks, too few for the trees to split.
    lr : float, default=3e-3
        Initial learning rate.
    optimizer : {"adam", "rmsprop", "sgd"} or torch optimizer class, default="adam"
        The seed used RMSprop with lr 1e-3.
    max_epochs : int, default=100
        Upper bound on epochs per ``fit``; early stopping usually ends sooner.
    batch_size : int, default=32
    crop_length : int or None, default=200
        Training trajectories longer than this are cut to a random window of
        this many steps, a fresh one every epoch (prediction always sees the
        whole trajectory). A track of ``T`` steps appears ``ceil(T /
        crop_length)`` times per epoch, so an epoch covers about every
        time step once, and "balanced" class weights count those appearances.
    augment : bool, default=True
        Rotate the first two input columns (the xy plane) by a random angle
        and reflect them at random, per trajectory and batch, at training time
        only; other columns (z, the log step scale) are untouched. Turn it off
        when direction in the plane carries class information, or when the
        first two columns are not x and y (e.g. after
        :class:`PolarVelocityTransformer`).
    test_time_augment : bool, default=False
        Predict the mean of the class probabilities over the 8 symmetries of
        the square in the xy plane (rotations by multiples of 90 degrees, each
        with and without a reflection; other columns untouched). Predictions
        are then exactly invariant to those transformations of the input, and
        with ``augment=True`` close to invariant to any rotation. It costs 8
        forward passes per prediction and leaves training unchanged. Off by
        default: it changed pooled scores by less than their seed-to-seed
        spread (user guide, Trajectories).
        Ignored for one-column inputs.
    class_weight : "balanced", dict or None, default="balanced"
        Weights the loss by class; "balanced" is the seed's 1/N_i weighting.
    %(shared_parameters)s

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels (any sortable labels, strings too).
    n_features_in_ : int
        Dimensions per time step seen in ``fit``.
    max_track_length_ : int
        Steps of the longest training trajectory.
    booster_ : HistGradientBoostingClassifier or None
        The gradient boosting of ``feature_boosting`` (``None`` without it).
    booster_weight_ : float
        The network's weight ``w`` in the blend (1.0 without a booster).
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
        track_features: bool = True,
        feature_boosting: bool = True,
        lr: float = 3e-3,
        optimizer="adam",
        max_epochs: int = 100,
        batch_size: int = 32,
        crop_length: int | None = 200,
        augment: bool = True,
        test_time_augment: bool = False,
        class_weight="balanced",
        lr_schedule: str | None = "plateau",
        early_stopping: bool = True,
        validation_fraction: float = 0.1,
        n_iter_no_change: int = 10,
        mixed_precision: bool = False,
        warm_start: bool = False,
        callbacks: list | None = None,
        accelerator=None,
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
        self.track_features = track_features
        self.feature_boosting = feature_boosting
        self.lr = lr
        self.optimizer = optimizer
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.crop_length = crop_length
        self.augment = augment
        self.test_time_augment = test_time_augment
        self.class_weight = class_weight
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
        "architecture": [StrOptions(set(ARCHITECTURES))],
        "bidirectional": ["boolean"],
        "hidden_size": [positive_int()],
        "n_layers": [positive_int()],
        "dropout": [real_in(0, 1, closed="left")],
        "pooling": [StrOptions({"mean", "last"})],
        "track_features": ["boolean"],
        "feature_boosting": ["boolean"],
        "optimizer": [StrOptions(set(_OPTIMIZERS)), type],
        "crop_length": [int_at_least(2), None],
        "augment": ["boolean"],
        "test_time_augment": ["boolean"],
        "class_weight": [StrOptions({"balanced"}), dict, None],
    }

    # -- fitting ---------------------------------------------------------------

    def fit(self, X, y) -> LSTMTrajectoryClassifier:
        """Train on trajectories ``X`` (list, object array or 3-D array) with labels ``y``.

        Returns
        -------
        self : LSTMTrajectoryClassifier
        """
        return self._fit(X, y)

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
        ``lr_schedule`` do not apply to a first ``partial_fit``: every call
        trains one epoch on all of the data it is given.
        """
        return self._fit(X, y, incremental=True, classes=classes)

    def _prepare_fit(self, X, y, *, reset, classes=None) -> FitData:
        trajectories = check_trajectories(
            X, min_length=1, n_dims=None if reset else self.n_features_in_
        )
        y = check_trajectory_labels(y, len(trajectories))
        all_classes, y_encoded = encode_class_labels(
            y, fitted_classes=None if reset else self.classes_, classes=classes
        )
        longest = max(len(t) for t in trajectories)
        if not reset and self.max_track_length_ is not None:
            longest = max(longest, self.max_track_length_)
        return FitData(
            len(trajectories),
            {"classes_": all_classes, "n_features_in_": trajectories[0].shape[1],
             "max_track_length_": longest},
            stratify=y_encoded,
            arrays={"dataset": SequenceDataset(trajectories, y_encoded), "y": y_encoded},
        )

    def _make_datasets(self, data, train_idx, valid_idx):
        dataset = data.arrays["dataset"]
        if valid_idx is None:
            return dataset, None
        return _IndexedSubset(dataset, train_idx), _IndexedSubset(dataset, valid_idx)

    def _class_weights(self, y_encoded, classes):
        if self.class_weight is None:
            return None
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

    def _net_params(self, data, train_idx, *, early_stopping, incremental):
        dataset, classes = data.arrays["dataset"], data.fitted["classes_"]
        # Balance the loss over what an epoch really contains: a training track
        # appears ceil(T / crop_length) times.
        repeats = np.ones(len(train_idx), dtype=int)
        if self.crop_length is not None:
            repeats = np.maximum(1, np.ceil(dataset.lengths[train_idx] / self.crop_length))
        y_seen = np.repeat(data.arrays["y"][train_idx], repeats.astype(int))
        features = {}
        if self.track_features:
            stats = dataset_statistics(dataset, train_idx)
            center = np.median(stats, axis=0)
            # The spread of each statistic, floored so that one that barely varies in
            # the training set is not blown up into noise of unit size.
            spread = np.maximum(stats.std(axis=0), 0.1)
            features = dict(module__track_features=True,
                            module__feature_center=center.tolist(),
                            module__feature_scale=spread.tolist())
        return dict(
            module=LSTMSequenceClassifier,
            **features,
            module__n_features=data.fitted["n_features_in_"],
            module__n_classes=len(classes),
            module__hidden_size=self.hidden_size,
            module__n_layers=self.n_layers,
            module__dropout=self.dropout,
            module__pooling=self.pooling,
            module__architecture=self.architecture,
            module__bidirectional=self.bidirectional,
            criterion=torch.nn.CrossEntropyLoss,
            criterion__weight=self._class_weights(y_seen, classes),
            optimizer=_OPTIMIZERS.get(self.optimizer, self.optimizer),
            iterator_train=bucketed_loader,
            iterator_train__shuffle=True,
            iterator_train__collate_fn=TrainingCollate(
                self.crop_length, self.augment, whole_track_statistics=self.track_features),
            iterator_train__max_length=self.crop_length,
            iterator_valid=bucketed_loader,
        )

    def _after_training(self, data, net, train_idx, valid_idx, *, incremental):
        data.fitted.update(booster_=None, booster_weight_=1.0)
        dataset, y = data.arrays["dataset"], data.arrays["y"]
        booster = HistGradientBoostingClassifier(random_state=0)
        # below two leaves' worth of tracks the trees cannot split: they would only
        # predict the class frequencies
        too_few = len(train_idx) < 2 * booster.min_samples_leaf
        if (incremental or not (self.track_features and self.feature_boosting) or too_few
                or len(np.unique(y[train_idx])) < 2):
            return
        weights = self._class_weights(y[train_idx], data.fitted["classes_"])
        booster.fit(dataset_statistics(dataset, train_idx), y[train_idx],
                    sample_weight=None if weights is None else weights.numpy()[y[train_idx]])
        weight = 0.5  # without held-out data, an even blend
        if valid_idx is not None:
            # the blend weight that predicts the held-out tracks best (ties: the network)
            sequences = [dataset.sequences[i] for i in valid_idx]
            proba, boosted = self._probabilities(net, sequences, booster,
                                                 data.fitted["max_track_length_"])
            grid = np.linspace(1.0, 0.0, 11)
            losses = [log_loss(y[valid_idx], w * proba + (1 - w) * boosted,
                               labels=np.arange(proba.shape[1])) for w in grid]
            weight = float(grid[int(np.argmin(losses))])
        data.fitted.update(booster_=booster, booster_weight_=weight)

    def _probabilities(self, net, sequences, booster, statistics_length, symmetries=None):
        """The network's probabilities for ``sequences`` and the booster's
        (``None`` without one), both measured on spans of ``statistics_length``."""
        if not self.track_features:
            statistics_length = None
        collate = collate_sequences
        if statistics_length is not None:
            collate = PredictionCollate(statistics_length)
        loader = DataLoader([(x, 0) for x in sequences], batch_size=self._inference_batch_size,
                            collate_fn=collate)
        chunks, stats = [], []
        with self._evaluation(net) as module:
            device = next(module.parameters()).device
            for batch, _ in loader:
                batch = {k: v.to(device) for k, v in batch.items()}
                if "features" in batch:
                    stats.append(batch["features"].cpu())
                chunks.append(_softmax(module, batch, symmetries).cpu())
        proba = torch.cat(chunks).numpy().astype(np.float64)
        proba /= proba.sum(axis=1, keepdims=True)  # exactly, in float64
        if booster is None:
            return proba, None
        return proba, _booster_probabilities(booster, torch.cat(stats).numpy(), proba.shape[1])

    # -- prediction ------------------------------------------------------------

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities, shape (n_trajectories, n_classes), columns as ``classes_``."""
        check_is_fitted(self, "net_")
        trajectories = check_trajectories(X, min_length=1, n_dims=self.n_features_in_)
        # Predict in length order so each batch holds similar lengths, then restore order.
        order = np.argsort([len(t) for t in trajectories], kind="stable")
        sequences = SequenceDataset([trajectories[i] for i in order]).sequences
        symmetries = None
        if self.test_time_augment and self.n_features_in_ >= 2:
            symmetries = _plane_symmetries()
        proba, boosted = self._probabilities(self.net_, sequences, self.booster_,
                                             self.max_track_length_, symmetries)
        if boosted is not None:
            proba = self.booster_weight_ * proba + (1 - self.booster_weight_) * boosted
        out = np.empty_like(proba)
        out[order] = proba
        return out

    def predict(self, X) -> np.ndarray:
        """Predicted labels from ``classes_``, one per trajectory."""
        check_is_fitted(self, "net_")
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]


def _booster_probabilities(booster, stats: np.ndarray, n_classes: int) -> np.ndarray:
    """The booster's probabilities with a column for every class, also those it
    never saw in training (probability 0)."""
    out = np.zeros((len(stats), n_classes))
    out[:, booster.classes_] = booster.predict_proba(stats)
    return out


def _softmax(module, batch: dict, symmetries=None) -> torch.Tensor:
    """Class probabilities of one batch; with ``symmetries``, averaged over the 8
    symmetries of the square in the xy plane."""
    if symmetries is None:
        return torch.softmax(module(**batch).float(), dim=1)
    batch = dict(batch)
    x, proba = batch.pop("x"), 0.0
    for matrix in symmetries.to(x.device, x.dtype):
        turned = torch.cat([x[..., :2] @ matrix.T, x[..., 2:]], dim=2)
        proba = proba + torch.softmax(module(turned, **batch).float(), dim=1)
    return proba / len(symmetries)


def _plane_symmetries() -> torch.Tensor:
    """The 8 symmetries of the square: rotations by 0, 90, 180, 270 degrees, each with and
    without a reflection, as 2 x 2 matrices."""
    rotations = [torch.tensor([[1.0, 0.0], [0.0, 1.0]])]
    quarter = torch.tensor([[0.0, -1.0], [1.0, 0.0]])
    for _ in range(3):
        rotations.append(quarter @ rotations[-1])
    flip = torch.tensor([[1.0, 0.0], [0.0, -1.0]])
    return torch.stack(rotations + [r @ flip for r in rotations])


class _IndexedSubset(Subset):
    """A Subset that keeps ``lengths`` for the length-bucketed loader."""

    def __init__(self, dataset: SequenceDataset, indices) -> None:
        super().__init__(dataset, indices)
        self.lengths = dataset.lengths[indices]
