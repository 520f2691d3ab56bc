"""Mini trajectories: cut trajectories into fixed-length windows (seed 000, 4.2).

The sampler cuts training trajectories into windows during ``fit`` only (as an
imbalanced-learn sampler inside ``imblearn.pipeline.Pipeline``), so a model is
trained on windows and still predicts whole trajectories of any length.
:func:`accuracy_vs_length` measures how accuracy grows with the number of time
steps seen (seed Fig. 7).
"""

from __future__ import annotations

import numbers
import warnings

import numpy as np
from imblearn.base import SamplerMixin
from sklearn.base import BaseEstimator, _fit_context
from sklearn.utils import check_random_state

from ..base import positive_int
from ._validation import check_trajectories, check_trajectory_labels

__all__ = ["TrajectoryWindowSampler", "cut_windows", "accuracy_vs_length"]


def cut_windows(
    trajectories: list[np.ndarray], window_length: int, stride: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Cut each trajectory into windows of ``window_length`` time steps.

    Parameters
    ----------
    trajectories : list of ndarray of shape (n_steps_i, n_dims)
    window_length : int
    stride : int, optional
        Steps between window starts; defaults to ``window_length``
        (non-overlapping windows, as in the seed).

    Returns
    -------
    windows : ndarray of shape (n_windows, window_length, n_dims)
    source : ndarray of shape (n_windows,)
        Index of the trajectory each window came from.

    Examples
    --------
    >>> import numpy as np
    >>> windows, source = cut_windows([np.zeros((7, 2)), np.zeros((3, 2))], 3)
    >>> windows.shape, source.tolist()
    ((3, 3, 2), [0, 0, 1])
    """
    stride = window_length if stride is None else stride
    for name, value in (("window_length", window_length), ("stride", stride)):
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
            raise ValueError(f"{name} must be a positive integer (time steps); got {value!r}.")
    windows, source = [], []
    for i, traj in enumerate(trajectories):
        n = (len(traj) - window_length) // stride + 1
        if n <= 0:
            continue
        # A strided view, copied once into the output array.
        view = np.lib.stride_tricks.sliding_window_view(traj, window_length, axis=0)[::stride][:n]
        windows.append(view.transpose(0, 2, 1))
        source.append(np.full(n, i))
    if not windows:
        n_dims = trajectories[0].shape[1] if trajectories else 0
        return np.empty((0, window_length, n_dims)), np.empty(0, dtype=int)
    return np.concatenate(windows), np.concatenate(source)


class TrajectoryWindowSampler(SamplerMixin, BaseEstimator):
    """Cut training trajectories into fixed-length windows ("mini trajectories").

    Seed 000 trained on mini trajectories of 30 time steps cut from the
    training tracks.

    An imbalanced-learn sampler: inside :class:`imblearn.pipeline.Pipeline` it
    runs during ``fit`` only, so the final estimator trains on windows while
    ``predict`` sees the whole trajectories. Each window keeps the label of
    its trajectory. Trajectories shorter than ``window_length`` are kept
    whole, as one sample each (the output is then a 1-D object array of
    windows followed by those trajectories).

    Parameters
    ----------
    window_length : int, default=30
        Time steps per window (seed: 30).
    stride : int, optional
        Steps between window starts; ``None`` means ``window_length``
        (non-overlapping windows).

    Attributes
    ----------
    sample_indices_ : ndarray of shape (n_windows,)
        Index of the source trajectory of each sample.
    n_features_in_ : int
        Dimensions per time step.

    Examples
    --------
    >>> import numpy as np
    >>> X = [np.random.rand(100, 3), np.random.rand(65, 3)]
    >>> Xw, yw = TrajectoryWindowSampler(window_length=30).fit_resample(X, ["a", "b"])
    >>> Xw.shape, yw.tolist()
    ((5, 30, 3), ['a', 'a', 'a', 'b', 'b'])
    """

    _sampling_type = "bypass"
    _parameter_constraints: dict = {
        "window_length": [positive_int()],
        "stride": [positive_int(), None],
    }

    def __init__(self, window_length: int = 30, stride: int | None = None) -> None:
        self.window_length = window_length
        self.stride = stride

    def fit(self, X, y):
        """Validate the data; use :meth:`fit_resample` to get the windows."""
        self.fit_resample(X, y)
        return self

    @_fit_context(prefer_skip_nested_validation=True)
    def fit_resample(self, X, y):
        """Cut ``X`` into windows and repeat ``y`` for each window.

        Returns
        -------
        X_windows : ndarray of shape (n_samples, window_length, n_dims)
            Or a 1-D object array when some trajectories are shorter than
            ``window_length``: the windows, then those trajectories whole.
        y_windows : ndarray of shape (n_samples,)
        """
        trajectories = check_trajectories(X, min_length=1)
        y = check_trajectory_labels(y, len(trajectories))
        windows, source = cut_windows(trajectories, self.window_length, self.stride)
        short = np.flatnonzero([len(t) < self.window_length for t in trajectories])
        if short.size:
            # Short tracks are kept whole: dropping them would bias the training
            # set against the classes whose tracks are short.
            samples = np.empty(len(windows) + short.size, dtype=object)
            for k, sample in enumerate([*windows, *(trajectories[i].copy() for i in short)]):
                samples[k] = sample  # item by item: numpy would broadcast a list
            if len(source) == 0:  # no trajectory gave a window
                warnings.warn(
                    f"window_length={self.window_length} is longer than every trajectory "
                    f"(the longest has {max(len(t) for t in trajectories)} steps): no "
                    "trajectory is cut and the model trains on whole trajectories.",
                    UserWarning,
                )
            windows, source = samples, np.concatenate([source, short])
        self.sample_indices_ = source
        self.n_features_in_ = trajectories[0].shape[1]
        return windows, y[source]

    def _fit_resample(self, X, y):  # required by SamplerMixin; fit_resample does the work
        return self.fit_resample(X, y)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.three_d_array = True
        return tags


def accuracy_vs_length(
    estimator,
    X,
    y,
    lengths,
    *,
    max_windows: int | None = 2000,
    random_state=None,
) -> dict[str, np.ndarray]:
    """Accuracy of a fitted classifier on windows of increasing length (seed Fig. 7).

    Each trajectory of ``X`` is cut into non-overlapping windows of each length
    and the estimator (usually a whole pipeline) predicts every window.

    Parameters
    ----------
    estimator : fitted classifier
        Takes trajectories in the same form as ``X``.
    X : trajectory collection
        Held-out trajectories.
    y : array-like of shape (n_trajectories,)
    lengths : iterable of int
        Window lengths, in time points of ``X``.
    max_windows : int or None, default=2000
        At most this many windows per length, drawn at random (``None``: all).
    random_state : int, RandomState or None
        Seeds the draw of windows.

    Returns
    -------
    result : dict
        ``"length"``, ``"accuracy"`` and ``"n_windows"``, one entry per length
        that gave at least one window.

    Examples
    --------
    >>> from sklearn.dummy import DummyClassifier
    >>> import numpy as np
    >>> X = [np.random.rand(50, 2) for _ in range(4)]
    >>> clf = DummyClassifier().fit(np.zeros((4, 1)), ["a", "a", "b", "a"])
    >>> class Wrap:  # predicts from trajectories
    ...     def predict(self, X): return clf.predict(np.zeros((len(X), 1)))
    >>> accuracy_vs_length(Wrap(), X, ["a", "a", "b", "a"], [10, 20])["accuracy"]
    array([0.75, 0.75])
    """
    trajectories = check_trajectories(X, min_length=1)
    y = check_trajectory_labels(y, len(trajectories))
    rng = check_random_state(random_state)
    out = {"length": [], "accuracy": [], "n_windows": []}
    for length in lengths:
        windows, source = cut_windows(trajectories, length)
        if len(windows) == 0:
            continue
        if max_windows is not None and len(windows) > max_windows:
            keep = np.sort(rng.choice(len(windows), max_windows, replace=False))
            windows, source = windows[keep], source[keep]
        accuracy = np.mean(np.asarray(estimator.predict(windows)) == y[source])
        out["length"].append(int(length))
        out["accuracy"].append(float(accuracy))
        out["n_windows"].append(len(windows))
    return {key: np.asarray(value) for key, value in out.items()}
