"""MDNTrajectoryGenerator: learn how cells move and generate new trajectories.

Seed 000 (section 5) trained an LSTM with a Gaussian-mixture output one step at
a time, one network per class, and generated trajectories by feeding sampled
velocities back in. This estimator is that model as a scikit-learn density
estimator (in the style of ``sklearn.mixture.GaussianMixture``), with the
seed's failings addressed:

- one class-conditional network (a learned class embedding at every step)
  with per-dimension standard deviations (``covariance="diagonal"``) and
  the position relative to the mean position so far as an extra input, so
  that the flat-substrate classes keep z to bounded tracking noise;
- the mean speed since the start of the track and the track's own
  persistence so far as extra inputs, a head whose means are a learned gain
  times the current velocity (the form of a persistent random walk), and
  training windows as long as the tracks, so that a generated cell keeps the
  speed level and persistence it started with rather than drifting back to
  the class average (the seed's generated variation was "much narrower" than
  the real one);
- every track read from a zero start step, so the first velocity is learned
  too and sampling starts where training did;
- random rotations and reflections while training, and sampling in a random
  frame, so generated sets have no preferred direction (some seed runs
  drifted);
- a log-sum-exp likelihood with a floor on sigma, gradient-norm clipping and
  a cosine learning-rate decay, stable on heavy-tailed steps.
"""

from __future__ import annotations

import math
import numbers

import numpy as np
import torch
from skorch.callbacks import GradientNormClipping
from skorch.utils import to_tensor
from sklearn.base import DensityMixin
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.validation import check_is_fitted
from torch.nn.utils.rnn import pad_sequence

from ..base import (
    FitData,
    MixedPrecisionNet,
    TorchEstimator,
    positive_int,
    real_in,
    shared_parameter_docs,
)
from ..nn.mdn import LSTMMixtureDensityNetwork
from ._scaler import TrajectoryScaler
from ._validation import check_trajectories, check_trajectory_labels
from ._velocity import VelocityTransformer

__all__ = ["MDNTrajectoryGenerator"]

_SCALINGS = ("standard", "robust", "minmax")
_COVARIANCES = ("diagonal", "isotropic")
_SYMMETRIES = ("xy+z", "xy", None)
# Largest |scaled velocity| accepted; beyond it float32 squares overflow.
_MAX_SCALED = 1e12


class _WindowDataset(torch.utils.data.Dataset):
    """Random training windows of scaled velocity sequences.

    Item ``i`` belongs to sequence ``owner[i]``; each access draws a new random
    offset (from torch's global generator, which ``fit`` seeds), so every
    epoch sees different windows covering each sequence about once.

    With ``balanced`` (and labels), item ``i`` belongs to class ``i % n_classes``
    and to a sequence of that class drawn at random (in proportion to its
    windows): an epoch holds as many windows of each class as of any other,
    and as many windows in all as without balancing.
    """

    def __init__(self, sequences, labels, crop_length: int, balanced: bool = False) -> None:
        self.sequences = [torch.as_tensor(s, dtype=torch.float32) for s in sequences]
        self.labels = None if labels is None else torch.as_tensor(labels, dtype=torch.long)
        self.crop_length = crop_length
        counts = [max(1, math.ceil(len(s) / crop_length)) for s in sequences]
        self.owner = np.repeat(np.arange(len(sequences)), counts)
        self.by_class = None
        if balanced and labels is not None:
            owner_labels = np.asarray(labels)[self.owner]
            self.by_class = [self.owner[owner_labels == c] for c in np.unique(owner_labels)]

    def __len__(self) -> int:
        return len(self.owner)

    def __getitem__(self, i):
        if self.by_class is None:
            j = int(self.owner[i])
        else:
            pool = self.by_class[i % len(self.by_class)]
            j = int(pool[int(torch.randint(len(pool), ()))])
        seq = self.sequences[j]
        if len(seq) > self.crop_length:
            start = int(torch.randint(len(seq) - self.crop_length + 1, ()))
            seq = seq[start : start + self.crop_length]
        label = None if self.labels is None else self.labels[j]
        return seq, label


def _with_start(v: torch.Tensor) -> torch.Tensor:
    """Velocities (batch, steps, n_dims) after a zero start step.

    The network reads the start step first and predicts every velocity of a
    track, the first included. Sampling begins from the same zero step, so a
    generated cell starts as the training tracks did: a model that never saw
    a zero first velocity took it for a cell at rest, and generated the slow
    class about a third too slow.
    """
    return torch.cat([torch.zeros_like(v[:, :1]), v], dim=1)


class _Collate:
    """Pad windows into a batch, transforming each by a random symmetry.

    Returns ``(X, None)`` as skorch expects, ``X`` holding ``inputs`` (the
    start step, then the window but its last step), ``targets`` (the window),
    the padding ``mask`` and, for conditional models, ``labels``.
    """

    def __init__(self, symmetry: str | None) -> None:
        self.symmetry = symmetry

    def __call__(self, batch):
        seqs, labels = zip(*batch)
        lengths = torch.tensor([len(s) for s in seqs])
        padded = pad_sequence(list(seqs), batch_first=True)
        if self.symmetry is not None:
            padded = _apply_symmetry(padded, _random_symmetries(len(seqs), self.symmetry))
        inputs, targets = _with_start(padded)[:, :-1], padded
        mask = torch.arange(inputs.shape[1])[None, :] < lengths[:, None]
        X = {"inputs": inputs, "targets": targets, "mask": mask}
        if labels[0] is not None:
            X["labels"] = torch.stack(labels)
        return X, None


def _random_symmetries(n: int, symmetry: str, generator: torch.Generator | None = None):
    """Per sequence: a rotation angle and reflection of the x-y plane, and
    (for ``"xy+z"``) a reflection of z. Drawn from torch's global generator
    unless one is given."""
    angle = torch.rand(n, generator=generator) * (2 * math.pi)
    flip_y = torch.where(torch.rand(n, generator=generator) < 0.5, -1.0, 1.0)
    flip_z = torch.where(torch.rand(n, generator=generator) < 0.5, -1.0, 1.0)
    if symmetry != "xy+z":
        flip_z = torch.ones(n)
    return angle, flip_y, flip_z


def _apply_symmetry(v: torch.Tensor, transform, *, inverse: bool = False) -> torch.Tensor:
    """Transform sequences ``v`` (batch, steps, n_dims), one transform each.

    Forward: y -> flip_y * y, then rotate x-y by the angle, and z -> flip_z * z.
    ``inverse=True`` undoes it.
    """
    angle, flip_y, flip_z = (t.to(v.device, v.dtype)[:, None] for t in transform)
    cos, sin = torch.cos(angle), torch.sin(angle)
    x, y = v[..., 0], v[..., 1]
    out = v.clone()
    if inverse:
        out[..., 0] = cos * x + sin * y
        out[..., 1] = flip_y * (cos * y - sin * x)
    else:
        y = flip_y * y
        out[..., 0] = cos * x - sin * y
        out[..., 1] = sin * x + cos * y
    if v.shape[-1] > 2:
        out[..., 2] = flip_z * v[..., 2]
    return out


def _symmetrized(velocities: list[np.ndarray], symmetry: str) -> list[np.ndarray]:
    """Copies of the velocities under the x-y rotations by multiples of 90
    degrees and reflections (and z reflection for ``"xy+z"``).

    Fitting the scaler on them gives x and y one scale and zero centres, so
    transforming scaled velocities equals transforming the originals.
    """
    out = []
    z_signs = (1.0, -1.0) if symmetry == "xy+z" and velocities[0].shape[1] > 2 else (1.0,)
    for v in velocities:
        x, y = v[:, 0], v[:, 1]
        for a, b in ((x, y), (-y, x), (-x, -y), (y, -x)):
            for sign in (1.0, -1.0):
                for z_sign in z_signs:
                    w = v.copy()
                    w[:, 0], w[:, 1] = a, sign * b
                    if len(z_signs) > 1:
                        w[:, 2] = z_sign * v[:, 2]
                    out.append(w)
    return out


class _SequenceNLL(torch.nn.Module):
    """Negative log-likelihood per step of a batch of sequences."""

    def forward(self, log_likelihood: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        return -log_likelihood.sum() / mask.sum().clamp_min(1).to(log_likelihood.device)


class _MDNNet(MixedPrecisionNet):
    """skorch net training on the exact sequence log-likelihood of the module
    (profiles summed out), with targets and padding mask inside ``X``."""

    def infer(self, x, **fit_params):
        x = to_tensor(x, device=self.device)
        with self.autocast():
            return self.module_.log_likelihood(
                x["inputs"], x["targets"], x["mask"], x.get("labels")
            )

    def get_loss(self, y_pred, y_true, X=None, training=False):
        return self.criterion_(y_pred, X["mask"])


@shared_parameter_docs
class MDNTrajectoryGenerator(DensityMixin, TorchEstimator):
    """LSTM mixture density network that learns cell movement and generates trajectories.

    Fit it on positions: it turns them into per-step displacements
    (velocities), scales them, and trains an LSTM whose Gaussian-mixture
    output is the distribution of the next velocity given all previous ones
    (seed 000, section 5). Fitted with class labels ``y`` it is one
    class-conditional model, and :meth:`sample` draws trajectories of a
    chosen class. Samples are positions in the units of the training data.

    Parameters
    ----------
    n_components : int, default=10
        Gaussian components of the mixture over the next velocity (seed: 10).
    n_profiles : int, default=1
        Latent movement profiles: with more than 1, each trajectory follows
        one learned profile drawn once (a discrete per-cell random effect,
        summed out exactly in the likelihood), which can help keep generated
        cells as different from each other as real ones. Training time grows
        about in proportion; 1 disables it.
    hidden_size : int, default=64
        LSTM units per layer (seed: 10).
    n_layers : int, default=1
        Stacked LSTM layers.
    covariance : {"diagonal", "isotropic"}, default="diagonal"
        "isotropic" is the seed's one sigma per component; "diagonal" has one
        per component and dimension, so a quiet dimension (z on a flat
        surface) stays quiet in generated trajectories.
    crop_length : int, default=300
        Steps per training window (truncated backpropagation through time);
        each epoch draws about one window per ``crop_length`` steps of each
        trajectory, at random offsets. Generating much longer trajectories
        than this takes the network into states it was not trained on; keep
        it near the lengths you will sample. Windows that cover whole tracks
        teach the network to hold a cell's speed level for the whole track.
    scaler_method : {"standard", "robust", "minmax"}, default="standard"
        How velocities are scaled before training (see
        :class:`TrajectoryScaler`); "robust" suits heavy-tailed steps,
        "minmax" is the seed's [-1, 1].
    symmetry : {"xy+z", "xy"} or None, default="xy+z"
        Symmetries of the motion the model respects. "xy": any direction in
        the x-y plane is alike, and so are mirror images; "xy+z": also up and
        down (z -> -z) are alike. Every training window is rotated and
        reflected at random, and samples are generated in a random such frame
        and transformed back, so generated sets have no preferred direction
        (some of the seed's drifted). Use None for data with a real direction
        (chemotaxis, sinking cells). Needs at least 2 dimensions; the z part
        applies when there is a third.
    ema_decays : tuple of float, default=(0.95, 0.99)
        Decays of exponential moving averages of past velocities (and
        speeds) fed to the LSTM with each velocity (see
        :class:`~sklearn_cells.nn.mdn.LSTMMixtureDensityNetwork`): the
        recent net displacement and speed. ``()`` with ``running_mean`` and
        ``position_offset`` False feeds velocities only, as the seed did.
    running_mean : bool, default=True
        Also feed the mean of all velocities (and speeds) since the start of
        the track. It tells the cell's own speed level from the class's, and
        keeps generated cells as different from each other as real ones;
        moving averages alone forget the level, and generated cells drift
        back to the class average (measurements of this and the next inputs:
        user guide, Trajectories).
    position_offset : bool, default=True
        Also feed the position relative to the mean position since the start
        of the track (scaled units, through ``asinh``). A dimension that only
        jitters around a fixed value, such as z on a flat surface, then stays
        bounded rather than wandering like a random walk.
    autoregressive : bool, default=True
        Each mixture component's mean is a learned gain in (-1, 1) times the
        current velocity plus an offset, both functions of the LSTM state
        (see :class:`~sklearn_cells.nn.mdn.MixtureDensityHead`): the form of
        a persistent random walk, at any speed.
    running_persistence : bool, default=True
        Also feed the track's own persistence so far (least-squares lag-1
        coefficient of its velocities). With it and ``autoregressive``, a
        generated cell keeps its own persistence.
    balance_classes : bool, default=True
        True draws each epoch's training windows so that every class
        gets as many as the others (tracks drawn at random within a class),
        and a class with few tracks is learned as well as a common one; False
        takes every window once per epoch. No effect without class labels.
    lr : float, default=1e-2
        Initial learning rate of Adam (annealed by ``lr_schedule``).
    max_epochs : int, default=100
        Training epochs.
    batch_size : int, default=4
        Windows per batch. Small batches give many updates per epoch; on a
        CPU an epoch costs about 1.6 times that of 16 windows per batch, and
        the model learned per-cell speed and persistence far better in the
        same number of epochs.
    gradient_clip : float, default=1.0
        Largest gradient norm (clipping keeps training stable on heavy tails).
    %(shared_parameters)s

    Attributes
    ----------
    net_ : skorch.NeuralNet
        The trained net; ``net_.module_`` is a
        :class:`~sklearn_cells.nn.mdn.LSTMMixtureDensityNetwork`.
    classes_ : ndarray of shape (n_classes,) or None
        Class labels when fitted with ``y``, else None.
    class_prior_ : ndarray of shape (n_classes,) or None
        Fraction of training trajectories per class.
    velocity_ : VelocityTransformer
    scaler_ : TrajectoryScaler
        Fitted on the training velocities.
    n_features_in_ : int
        Dimensions per time point.
    n_steps_ : int
        Median number of points of the training trajectories, the default
        length of samples.
    max_step_norm_ : ndarray of shape (n_classes,) or float
        Longest training step of each class (of all, without classes), in
        scaled units: no generated step is longer (see :meth:`sample`).

    See Also
    --------
    sklearn_cells.trajectory.compare_trajectory_statistics : judge samples
        against real trajectories.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_cells.trajectory._generator import MDNTrajectoryGenerator
    >>> rng = np.random.RandomState(0)
    >>> X = [np.cumsum(rng.normal(size=(40, 2)), axis=0) for _ in range(10)]
    >>> gen = MDNTrajectoryGenerator(n_components=2, hidden_size=8, max_epochs=2,
    ...                              random_state=0).fit(X)
    >>> gen.sample(5, n_steps=30, random_state=0).shape
    (5, 30, 2)
    >>> gen.score_samples(X).shape
    (10,)
    """

    def __init__(
        self,
        n_components: int = 10,
        n_profiles: int = 1,
        hidden_size: int = 64,
        n_layers: int = 1,
        covariance: str = "diagonal",
        crop_length: int = 300,
        scaler_method: str = "standard",
        symmetry: str | None = "xy+z",
        ema_decays=(0.95, 0.99),
        running_mean: bool = True,
        position_offset: bool = True,
        autoregressive: bool = True,
        running_persistence: bool = True,
        balance_classes: bool = True,
        lr: float = 1e-2,
        max_epochs: int = 100,
        batch_size: int = 4,
        gradient_clip: float = 1.0,
        lr_schedule: str | None = "cosine",
        early_stopping: bool = False,
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
        self.n_components = n_components
        self.n_profiles = n_profiles
        self.hidden_size = hidden_size
        self.n_layers = n_layers
        self.covariance = covariance
        self.crop_length = crop_length
        self.scaler_method = scaler_method
        self.symmetry = symmetry
        self.ema_decays = ema_decays
        self.running_mean = running_mean
        self.position_offset = position_offset
        self.autoregressive = autoregressive
        self.running_persistence = running_persistence
        self.balance_classes = balance_classes
        self.lr = lr
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.gradient_clip = gradient_clip
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

    _parameter_constraints: dict = {
        **TorchEstimator._parameter_constraints,
        "n_components": [positive_int()],
        "n_profiles": [positive_int()],
        "hidden_size": [positive_int()],
        "n_layers": [positive_int()],
        "covariance": [StrOptions(set(_COVARIANCES))],
        "crop_length": [positive_int()],
        "scaler_method": [StrOptions(set(_SCALINGS))],
        "symmetry": [StrOptions({"xy+z", "xy"}), None],
        "ema_decays": [tuple, list, None],
        "running_mean": ["boolean"],
        "position_offset": ["boolean"],
        "autoregressive": ["boolean"],
        "running_persistence": ["boolean"],
        "balance_classes": ["boolean"],
        "gradient_clip": [real_in(0, None)],
    }
    _net_class = _MDNNet

    # -- fitting ---------------------------------------------------------------

    def _check_params(self) -> None:
        try:
            decays = tuple(float(d) for d in (self.ema_decays or ()))
        except (TypeError, ValueError):
            decays = None
        if decays is None or not all(0 < d < 1 for d in decays):
            raise ValueError(
                f"ema_decays must be a tuple of numbers in (0, 1), or () for none; "
                f"got {self.ema_decays!r}."
            )

    def fit(self, X, y=None) -> MDNTrajectoryGenerator:
        """Learn the distribution of trajectories ``X`` (per class if ``y`` is given).

        Parameters
        ----------
        X : list of array-like of shape (n_steps_i, n_dims) or array of shape \
                (n_trajectories, n_steps, n_dims)
            Positions at a common sampling interval (resample first), at
            least 3 points each.
        y : array-like of shape (n_trajectories,), optional
            Class labels; makes the model class-conditional.

        Returns
        -------
        self : MDNTrajectoryGenerator
        """
        return self._fit(X, y)

    def partial_fit(self, X, y=None) -> MDNTrajectoryGenerator:
        """Train one more epoch on ``X`` (the first call initialises).

        The velocity scaling and the classes are those of the first call, and
        the cosine learning-rate decay does not apply.
        """
        return self._fit(X, y, incremental=True)

    def _prepare_fit(self, X, y, *, reset) -> FitData:
        trajectories = check_trajectories(
            X, min_length=3, n_dims=None if reset else self.n_features_in_
        )
        n_dims = trajectories[0].shape[1]
        if self.symmetry is not None and n_dims < 2:
            raise ValueError(
                f"symmetry={self.symmetry!r} rotates the x-y plane, but X has 1 "
                "dimension; set symmetry=None for 1-D trajectories."
            )
        if reset:
            classes, class_prior, y_encoded = None, None, None
            if y is not None:
                y = check_trajectory_labels(y, len(trajectories))
                classes, y_encoded, counts = np.unique(y, return_inverse=True, return_counts=True)
                class_prior = counts / counts.sum()
            velocity = VelocityTransformer().fit(trajectories)
            velocities = velocity.transform(trajectories)
            # No clipping: a density model must see the tails it is to generate
            # (clipping fast steps narrowed the fast classes' speed spread).
            scaler = TrajectoryScaler(method=self.scaler_method, clip=None)
            scaler.fit(
                velocities if self.symmetry is None else _symmetrized(velocities, self.symmetry)
            )
        else:  # continue with the first fit's scaling, classes and step limits
            classes, class_prior = self.classes_, self.class_prior_
            velocity, scaler = self.velocity_, self.scaler_
            labels = self._encode_labels(y, len(trajectories), required=True)
            y_encoded = None if labels is None else labels.numpy()
            velocities = velocity.transform(trajectories)
        scaled = scaler.transform(velocities)
        self._check_scaled(scaled)
        if reset:
            longest = np.array([np.linalg.norm(v, axis=1).max() for v in scaled])
            max_step_norm = longest.max() if classes is None else np.array(
                [longest[y_encoded == k].max() for k in range(len(classes))]
            )
        else:
            max_step_norm = getattr(self, "max_step_norm_", None)
        fitted = {
            "classes_": classes,
            "class_prior_": class_prior,
            "velocity_": velocity,
            "scaler_": scaler,
            "n_features_in_": n_dims,
            "n_steps_": int(np.median([len(t) for t in trajectories])),
            "max_step_norm_": max_step_norm,
        }
        return FitData(len(trajectories), fitted, stratify=y_encoded,
                       arrays={"scaled": scaled, "y": y_encoded})

    def _make_datasets(self, data, train_idx, valid_idx):
        scaled, y = data.arrays["scaled"], data.arrays["y"]

        def windows(idx, balanced):
            labels = None if y is None else y[idx]
            return _WindowDataset([scaled[i] for i in idx], labels, self.crop_length,
                                  balanced=balanced)

        train = windows(train_idx, self.balance_classes)
        return train, None if valid_idx is None else windows(valid_idx, False)

    def _net_params(self, data, train_idx, *, early_stopping, incremental):
        classes = data.fitted["classes_"]
        callbacks = [("gradient_clip", GradientNormClipping(self.gradient_clip))]
        return dict(
            module=LSTMMixtureDensityNetwork,
            module__n_dims=data.fitted["n_features_in_"],
            module__hidden_size=self.hidden_size,
            module__n_layers=self.n_layers,
            module__n_components=self.n_components,
            module__covariance=self.covariance,
            module__n_classes=0 if classes is None else len(classes),
            module__n_profiles=self.n_profiles,
            module__ema_decays=tuple(self.ema_decays or ()),
            module__running_mean=self.running_mean,
            module__position_offset=self.position_offset,
            module__autoregressive=self.autoregressive,
            module__running_persistence=self.running_persistence,
            criterion=_SequenceNLL,
            optimizer=torch.optim.Adam,
            iterator_train__shuffle=True,
            iterator_train__collate_fn=_Collate(self.symmetry),
            callbacks=callbacks,
        )

    @staticmethod
    def _check_scaled(scaled) -> None:
        largest = max(float(np.abs(v).max()) for v in scaled)
        if not largest < _MAX_SCALED:
            raise ValueError(
                f"after scaling, the largest velocity is {largest:.3g} times the typical "
                "one: the steps span too many orders of magnitude to model in float32. "
                "Use scaler_method='standard' (not 'robust'), or transform the data (for "
                "example remove or split tracks at tracking errors)."
            )

    def _check_trained(self, net) -> None:
        losses = [h["train_loss"] for h in net.history if "train_loss" in h]
        if losses and not np.isfinite(losses[-1]):
            raise ValueError(
                "training diverged (the loss is not finite). Lower lr, lower "
                "gradient_clip, or use scaler_method='robust' for heavy-tailed steps."
            )

    # -- helpers ---------------------------------------------------------------

    def _encode_labels(self, y, n: int, *, required: bool, name: str = "y"):
        """Class indices (tensor) for ``n`` trajectories, or None if unconditional."""
        if self.classes_ is None:
            if y is not None and required:
                raise ValueError(
                    f"{name} was given, but this generator was fitted without class labels; "
                    f"fit it with y to generate by class, or pass {name}=None."
                )
            return None
        if y is None:
            if required:
                raise ValueError(
                    f"this generator is class-conditional (classes_ = {self.classes_.tolist()}); "
                    f"pass {name}=<one of them> or one label per trajectory."
                )
            return None
        y_arr = np.asarray(y)
        if y_arr.ndim == 0:
            y_arr = np.full(n, y_arr.item(), dtype=y_arr.dtype)
        y_arr = check_trajectory_labels(y_arr, n, name=name)
        unknown = np.setdiff1d(np.unique(y_arr), self.classes_)
        if unknown.size:
            raise ValueError(
                f"{name} contains labels {unknown.tolist()} not seen in fit "
                f"(classes_ = {self.classes_.tolist()}); use one of those."
            )
        return torch.as_tensor(np.searchsorted(self.classes_, y_arr), dtype=torch.long)

    def _max_norm(self, labels, n_samples, device, dtype):
        """Each sample's longest step (scaled units): its class's longest in training."""
        longest = getattr(self, "max_step_norm_", None)
        if longest is None:
            return None
        longest = torch.as_tensor(longest, dtype=dtype)
        longest = longest[labels] if labels is not None else longest.expand(n_samples)
        return longest.to(device)

    def _scaled_batches(self, trajectories):
        """Yield (indices, padded scaled velocities, lengths) in length order."""
        velocities = self.velocity_.transform(trajectories)
        scaled = self.scaler_.transform(velocities)
        order = np.argsort([len(v) for v in scaled], kind="stable")
        batch_size = self._inference_batch_size
        for start in range(0, len(order), batch_size):
            idx = order[start : start + batch_size]
            seqs = [torch.as_tensor(scaled[i], dtype=torch.float32) for i in idx]
            yield idx, pad_sequence(seqs, batch_first=True), torch.tensor([len(s) for s in seqs])

    def _log_jacobian(self) -> float:
        # log-density of displacements in the caller's units = log-density of the
        # scaled velocities minus log|d scaled / d displacement|^-1.
        return float(np.sum(np.log(self.scaler_.scale_)))

    # -- density ---------------------------------------------------------------

    def score_samples(self, X, y=None) -> np.ndarray:
        """Mean log-likelihood per step of each trajectory.

        The likelihood is that of each displacement (``r[t+1] - r[t]``, in the
        units of ``X``) given the earlier ones (the first given only the
        class), averaged over the displacements. For a class-conditional
        model without ``y``, the classes are marginalised with their training
        frequencies.

        Parameters
        ----------
        X : trajectories of at least 3 points
        y : array-like of shape (n_trajectories,), optional
            Class of each trajectory (class-conditional models).

        Returns
        -------
        log_likelihood : ndarray of shape (n_trajectories,)
        """
        check_is_fitted(self, "net_")
        trajectories = check_trajectories(X, min_length=3, n_dims=self.n_features_in_)
        n = len(trajectories)
        labels = self._encode_labels(y, n, required=False)
        device = self._device
        if self.classes_ is not None and labels is None:
            candidates = [(torch.full((n,), c), math.log(p)) for c, p in enumerate(self.class_prior_)]
        else:
            candidates = [(labels, 0.0)]
        totals = np.empty((len(candidates), n))
        counts = np.empty(n)
        with self._evaluation() as module:
            for idx, v, lengths in self._scaled_batches(trajectories):
                v = v.to(device)
                mask = (torch.arange(v.shape[1])[None, :] < lengths[:, None]).to(device)
                inputs = _with_start(v)[:, :-1]
                for k, (lab, log_prior) in enumerate(candidates):
                    lab_b = None if lab is None else lab[idx].to(device)
                    log_lik = module.log_likelihood(inputs, v, mask, lab_b)
                    totals[k, idx] = log_lik.double().cpu().numpy() + log_prior
                counts[idx] = lengths.numpy()
        total = np.logaddexp.reduce(totals, axis=0) if len(candidates) > 1 else totals[0]
        return total / counts - self._log_jacobian()

    def score(self, X, y=None) -> float:
        """Mean of :meth:`score_samples`: higher is better (for model selection).

        Parameters
        ----------
        X : trajectories of at least 3 points
        y : array-like, optional
            Class of each trajectory (class-conditional models).

        Returns
        -------
        score : float
        """
        return float(np.mean(self.score_samples(X, y)))

    # -- prediction and generation ----------------------------------------------

    def predict(self, X, y=None):
        """One-step-ahead prediction of the positions of given trajectories (seed Fig. 8).

        Point ``t + 1`` is predicted as ``r[t] + E[v_t | v_0 .. v_(t-1)]``,
        the expected next displacement given the trajectory so far. The first
        point has no prediction and is returned as given.

        Parameters
        ----------
        X : trajectories of at least 3 points
        y : array-like, optional
            Class of each trajectory; required for class-conditional models.

        Returns
        -------
        X_pred : same kind of container as ``X``
            Predicted positions, same shapes as ``X``.
        """
        from ._validation import wrap_like

        check_is_fitted(self, "net_")
        trajectories = check_trajectories(X, min_length=3, n_dims=self.n_features_in_)
        labels = self._encode_labels(y, len(trajectories), required=True)
        device = self._device
        out = [None] * len(trajectories)
        with self._evaluation() as module:
            for idx, v, lengths in self._scaled_batches(trajectories):
                lab = None if labels is None else labels[idx].to(device)
                inputs = _with_start(v)[:, :-1].to(device)
                mean = module.predictive_mean(inputs, lab).double().cpu().numpy()
                for row, i in enumerate(idx):
                    r = trajectories[i]
                    steps = self.scaler_.inverse_transform([mean[row, : lengths[row]]])[0]
                    pred = r.astype(np.float64, copy=True)
                    pred[1:] = r[:-1] + steps * self.velocity_.dt
                    out[i] = pred
        return wrap_like(out, X)

    def sample(
        self,
        n_samples: int = 1,
        n_steps: int | None = None,
        y=None,
        seed_trajectories=None,
        random_state=None,
    ) -> np.ndarray:
        """Generate new trajectories, all advancing together one batched step at a time.

        Parameters
        ----------
        n_samples : int, default=1
            Number of trajectories.
        n_steps : int, optional
            Points per generated trajectory; default ``n_steps_`` (the median
            training length).
        y : label or array-like of shape (n_samples,), optional
            Class to draw from (one label for all, or one per trajectory);
            required for class-conditional models.
        seed_trajectories : trajectories, optional
            Positions (at least 2 points each) fed to the network first to set
            its memory, as the seed fed the first 20 steps of a real
            trajectory; one for all samples or one per sample. Each generated
            trajectory then starts at the last point of its seed, which is not
            repeated in the output. Default: none; trajectories start at the
            origin, with a first step drawn as the training tracks' first steps.
        random_state : int, RandomState or None, default=None
            Seeds the draw; the same value gives the same samples.

        Returns
        -------
        X : ndarray of shape (n_samples, n_steps, n_dims)
            Positions, in the units of the training data.

        Notes
        -----
        A drawn step longer than the longest training step of its class
        (``max_step_norm_``, scaled units) is shortened to that length, its
        direction kept. Such a step takes the network beyond anything it was
        trained on, where a cell can run away (user guide, Trajectories).
        """
        check_is_fitted(self, "net_")
        if isinstance(n_samples, bool) or not isinstance(n_samples, numbers.Integral) or n_samples < 1:
            raise ValueError(f"n_samples must be a positive integer; got {n_samples!r}.")
        n_steps = self.n_steps_ if n_steps is None else n_steps
        if isinstance(n_steps, bool) or not isinstance(n_steps, numbers.Integral) or n_steps < 1:
            raise ValueError(
                f"n_steps must be a positive integer (points per generated trajectory); "
                f"got {n_steps!r}."
            )
        labels = self._encode_labels(y, n_samples, required=True)
        device = self._device
        dtype = next(self.net_.module_.parameters()).dtype

        seed, seed_lengths = None, None
        origins = np.zeros((n_samples, self.n_features_in_))
        if seed_trajectories is not None:
            seeds = check_trajectories(
                seed_trajectories, min_length=2, n_dims=self.n_features_in_,
                name="seed_trajectories",
            )
            if len(seeds) not in (1, n_samples):
                raise ValueError(
                    f"seed_trajectories holds {len(seeds)} trajectories; pass one (shared "
                    f"by all samples) or n_samples={n_samples}."
                )
            if len(seeds) == 1:
                seeds = seeds * n_samples
            origins = np.vstack([s[-1] for s in seeds])
            scaled = self.scaler_.transform(self.velocity_.transform(seeds))
            seed = _with_start(pad_sequence(
                [torch.as_tensor(s, dtype=dtype) for s in scaled], batch_first=True
            )).to(device)
            seed_lengths = torch.tensor([len(s) + 1 for s in scaled])
            if int(seed_lengths.min()) == int(seed_lengths.max()):
                seed_lengths = None

        rng = check_random_state(random_state)
        torch_seed, plane_seed = (int(s) for s in rng.randint(np.iinfo(np.int32).max, size=2))
        generator = torch.Generator(device=device).manual_seed(torch_seed)
        if self.symmetry is not None:
            # Symmetrise the model exactly: generate in a randomly rotated and
            # reflected frame and transform back, so no direction is preferred.
            frame = _random_symmetries(
                n_samples, self.symmetry, torch.Generator().manual_seed(plane_seed)
            )
            if seed is not None:
                seed = _apply_symmetry(seed, frame)
        with self._evaluation() as module:
            steps = module.sample(
                n_steps - 1,
                seed=seed,
                seed_lengths=seed_lengths,
                labels=None if labels is None else labels.to(device),
                n_samples=n_samples,
                generator=generator,
                max_norm=self._max_norm(labels, n_samples, device, dtype),
            )
            if self.symmetry is not None:
                steps = _apply_symmetry(steps, frame, inverse=True)
        if n_steps == 1:
            return origins[:, None, :].copy()
        velocities = self.scaler_.inverse_transform(steps.double().cpu().numpy())
        return self.velocity_.inverse_transform(velocities, origin=origins)
