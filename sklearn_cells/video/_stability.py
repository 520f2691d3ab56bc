"""How far to trust frame importance: seed stability, ensembles, subsequences.

The seed found that attention importance "differed a lot between networks
trained differently" and proposed two remedies, both here:

- average several networks (:class:`FrameImportanceEnsemble`) and measure how
  well importance from different seeds agrees
  (:func:`importance_stability`, :func:`importance_rank_correlation`);
- look at *subsequences* with high attention variation rather than single
  frames (:func:`subsequence_variation`, :func:`important_subsequences`).
"""

from __future__ import annotations

import numbers

import numpy as np
from joblib import Parallel, delayed
from scipy.stats import spearmanr
from sklearn.base import BaseEstimator, _fit_context, clone
from sklearn.utils import Bunch, check_random_state
from sklearn.utils._param_validation import HasMethods
from sklearn.utils.validation import check_is_fitted

from ..base import positive_int
from ._scorer import VideoTransformerMixin

__all__ = [
    "FrameImportanceEnsemble",
    "importance_agreement",
    "importance_rank_correlation",
    "importance_stability",
    "important_subsequences",
    "subsequence_variation",
]


def _as_list(importance) -> list[np.ndarray]:
    """A collection of per-video importance profiles as a list of 1-D arrays."""
    if isinstance(importance, np.ndarray) and importance.dtype != object:
        if importance.ndim == 1:
            return [importance.astype(float)]
        if importance.ndim == 2:
            return [row.astype(float) for row in importance]
        raise ValueError(
            f"importance must be 1-D (one video) or 2-D (n_videos, n_frames); got "
            f"shape {importance.shape}."
        )
    return [np.asarray(row, dtype=float).ravel() for row in importance]


def _like(profiles, template):
    """Return ``profiles`` as an array when ``template`` was one, else a list."""
    if isinstance(template, np.ndarray) and template.dtype != object:
        return np.stack(profiles) if template.ndim == 2 else profiles[0]
    return profiles


def _seeds(random_state, n):
    return check_random_state(random_state).randint(np.iinfo(np.int32).max, size=n).tolist()


def _default_estimator():
    from ._importance import AttentionFrameScorer

    return AttentionFrameScorer()


class FrameImportanceEnsemble(VideoTransformerMixin, BaseEstimator):
    """Average the frame importance of several networks trained from different seeds.

    Seed 001's caveat was that importance varies between networks; this
    ensemble is the remedy measured in ``examples/plot_frame_importance.py``.

    Each member is a clone of ``estimator`` with its own ``random_state``;
    ``transform`` averages the members' (already per-video normalised)
    importance, which is more stable across seeds than any single network.

    Parameters
    ----------
    estimator : estimator, default=None
        A frame scorer with ``random_state``, ``fit``, ``transform`` and
        ``score`` (default: ``AttentionFrameScorer()``).
    n_estimators : int, default=5
        Number of networks.
    random_state : int, RandomState instance or None, default=None
        Draws the members' seeds.
    n_jobs : int, default=None
        Members fitted in parallel (joblib).

    Attributes
    ----------
    estimators_ : list of estimators
        The fitted members.
    random_states_ : list of int
        Their seeds.

    Examples
    --------
    >>> from sklearn_cells.datasets._videos import make_migration_videos
    >>> from sklearn_cells.video._importance import AttentionFrameScorer
    >>> videos, _ = make_migration_videos(n_videos=3, n_frames=12, n_events=1,
    ...                                   frame_size=16, random_state=0)
    >>> base = AttentionFrameScorer(attention_span=4, max_epochs=1, channels=(4, 8), embed_dim=8)
    >>> ensemble = FrameImportanceEnsemble(base, n_estimators=2, random_state=0)
    >>> ensemble.fit(videos).transform(videos).shape
    (3, 12)
    """

    _parameter_constraints: dict = {
        "estimator": [HasMethods(["fit", "transform", "score"]), None],
        "n_estimators": [positive_int()],
        "random_state": ["random_state"],
        "n_jobs": [numbers.Integral, None],
    }

    def __init__(self, estimator=None, n_estimators: int = 5, random_state=None, n_jobs=None):
        self.estimator = estimator
        self.n_estimators = n_estimators
        self.random_state = random_state
        self.n_jobs = n_jobs

    # the members validate their own parameters
    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y=None):
        """Fit ``n_estimators`` clones of ``estimator``, each with its own seed.

        Parameters
        ----------
        X : list of videos or array (n_videos, n_frames, [C,] H, W)
        y : None
            Ignored.

        Returns
        -------
        self : FrameImportanceEnsemble
        """
        base = self.estimator if self.estimator is not None else _default_estimator()
        seeds = _seeds(self.random_state, self.n_estimators)
        members = [clone(base).set_params(random_state=s) for s in seeds]
        fitted = Parallel(n_jobs=self.n_jobs)(delayed(m.fit)(X) for m in members)
        self.estimators_ = list(fitted)
        self.random_states_ = seeds
        return self

    def transform(self, X):
        """Mean importance of the members.

        Returns
        -------
        importance : ndarray of shape (n_videos, n_frames) or list of ndarray
            Same container as the members return.
        """
        check_is_fitted(self, "estimators_")
        outputs = [m.transform(X) for m in self.estimators_]
        lists = [_as_list(o) for o in outputs]
        mean = [np.mean([member[i] for member in lists], axis=0) for i in range(len(lists[0]))]
        return _like(mean, outputs[0])

    def score(self, X, y=None):
        """Mean of the members' scores (negative prediction error)."""
        check_is_fitted(self, "estimators_")
        return float(np.mean([m.score(X) for m in self.estimators_]))


def importance_rank_correlation(importance_a, importance_b) -> float:
    """Mean Spearman rank correlation of two importance profiles per video.

    Parameters
    ----------
    importance_a, importance_b : array of shape (n_videos, n_frames) or list of 1-D arrays
        Importance of the same videos from two models.

    Returns
    -------
    rho : float
        Mean over videos of Spearman's rho (videos where a profile is
        constant are skipped; NaN when all are).

    Examples
    --------
    >>> import numpy as np
    >>> importance_rank_correlation(np.array([[0, 1, 2, 3.0]]), np.array([[0, 2, 5, 9.0]]))
    1.0
    """
    a, b = _as_list(importance_a), _as_list(importance_b)
    if len(a) != len(b) or any(len(x) != len(y) for x, y in zip(a, b)):
        raise ValueError(
            "importance_a and importance_b must describe the same videos (same "
            "number of videos and frames)."
        )
    rhos = []
    for x, y in zip(a, b):
        if np.ptp(x) == 0 or np.ptp(y) == 0:
            continue
        rhos.append(spearmanr(x, y).statistic)
    return float(np.mean(rhos)) if rhos else float("nan")


def subsequence_variation(importance, window: int = 5):
    """Variation of importance within each window of ``window`` frames.

    The seed's proposed remedy for unstable single-frame importance: a short
    subsequence in which attention varies a lot is "important", and this is
    more stable across networks than which single frame peaks.

    Parameters
    ----------
    importance : array of shape (n_frames,) or (n_videos, n_frames), or list of 1-D arrays
    window : int, default=5

    Returns
    -------
    variation : same container, each profile of length ``n_frames - window + 1``
        ``variation[s]`` is the standard deviation of ``importance[s:s + window]``.

    Examples
    --------
    >>> import numpy as np
    >>> subsequence_variation(np.array([0, 0, 0, 3.0, 0, 0]), window=3).round(2).tolist()
    [0.0, 1.41, 1.41, 1.41]
    """
    if not isinstance(window, numbers.Integral) or window < 2:
        raise ValueError(f"window must be an integer >= 2; got {window!r}.")
    profiles = _as_list(importance)
    out = []
    for i, x in enumerate(profiles):
        if len(x) < window:
            raise ValueError(
                f"video {i} has {len(x)} frames, fewer than window={window}; use a "
                "smaller window."
            )
        out.append(np.lib.stride_tricks.sliding_window_view(x, window).std(axis=1))
    return _like(out, importance)


def important_subsequences(importance, window: int = 5, n_subsequences: int = 3):
    """The non-overlapping windows of highest importance variation in each video.

    Parameters
    ----------
    importance : array of shape (n_frames,) or (n_videos, n_frames), or list of 1-D arrays
    window : int, default=5
        Frames per subsequence.
    n_subsequences : int, default=3
        Most subsequences returned per video (fewer when the video is short).

    Returns
    -------
    subsequences : list of (start, stop, variation) tuples, or a list of such lists
        For one video (1-D input) a list sorted by decreasing variation;
        frames ``start:stop`` form the subsequence. For several videos, one
        such list per video.

    Examples
    --------
    >>> import numpy as np
    >>> important_subsequences(np.array([0, 0, 0, 3.0, 0, 0, 0, 0]), window=3,
    ...                        n_subsequences=1)  # doctest: +ELLIPSIS
    [(1, 4, 1.414...)]
    """
    variations = subsequence_variation(importance, window)
    single = isinstance(importance, np.ndarray) and importance.ndim == 1
    result = []
    for var in _as_list(variations):
        chosen, taken = [], np.zeros(len(var) + window - 1, dtype=bool)
        for start in np.argsort(-var, kind="stable"):
            if len(chosen) >= n_subsequences:
                break
            if taken[start : start + window].any():
                continue
            taken[start : start + window] = True
            chosen.append((int(start), int(start + window), float(var[start])))
        result.append(chosen)
    return result[0] if single else result


def importance_stability(
    estimator,
    X,
    *,
    n_models: int = 6,
    window: int = 5,
    random_state=None,
    n_jobs=None,
) -> Bunch:
    """Fit ``estimator`` with several seeds and measure how much importance agrees.

    The models are split into two halves; the mean rank correlation between
    single models is compared with the rank correlation between the two
    halves' averages (two independent ensembles), for single frames and for
    subsequence variation.

    Parameters
    ----------
    estimator : estimator
        A frame scorer with ``random_state`` (e.g. ``AttentionFrameScorer``).
    X : list of videos or array (n_videos, n_frames, [C,] H, W)
        Videos to fit on and to score (the seed's in-sample analysis).
    n_models : int, default=6
        Networks to fit; at least 2 (at least 4 to compare ensembles).
    window : int, default=5
        Frames per subsequence for :func:`subsequence_variation`.
    random_state : int, RandomState instance or None, default=None
        Draws the models' seeds.
    n_jobs : int, default=None
        Models fitted in parallel (joblib).

    Returns
    -------
    result : Bunch
        ``single_model``: mean Spearman rho of frame importance between two
        single models (over all pairs); ``ensemble``: rho between the two
        halves' mean importance (NaN with fewer than 4 models);
        ``single_model_subsequence`` and ``ensemble_subsequence``: the same
        for subsequence variation; ``pairwise``: the (n_models, n_models)
        matrix of frame-level rho; ``importances``, ``estimators``,
        ``random_states``.

    Examples
    --------
    >>> from sklearn_cells.datasets._videos import make_migration_videos
    >>> from sklearn_cells.video._importance import AttentionFrameScorer
    >>> videos, _ = make_migration_videos(n_videos=3, n_frames=12, n_events=1,
    ...                                   frame_size=16, random_state=0)
    >>> base = AttentionFrameScorer(attention_span=4, max_epochs=1, channels=(4, 8), embed_dim=8)
    >>> result = importance_stability(base, videos, n_models=2, window=3, random_state=0)
    >>> sorted(result)[:3]
    ['ensemble', 'ensemble_subsequence', 'estimators']
    """
    if not isinstance(n_models, numbers.Integral) or n_models < 2:
        raise ValueError(
            f"n_models must be an integer >= 2 to compare seeds; got {n_models!r}."
        )
    seeds = _seeds(random_state, n_models)
    members = [clone(estimator).set_params(random_state=s) for s in seeds]
    fitted = Parallel(n_jobs=n_jobs)(delayed(m.fit)(X) for m in members)
    result = importance_agreement([m.transform(X) for m in fitted], window=window)
    result.estimators = list(fitted)
    result.random_states = seeds
    return result


def importance_agreement(importances, window: int = 5) -> Bunch:
    """Agreement between the importance of the same videos from several models.

    The computation behind :func:`importance_stability`, for models that are
    already fitted (or importance read out differently from the same models).

    Parameters
    ----------
    importances : list of importance collections
        One per model, each an array (n_videos, n_frames) or a list of 1-D
        arrays, all for the same videos.
    window : int, default=5
        Frames per subsequence for :func:`subsequence_variation`.

    Returns
    -------
    result : Bunch
        ``single_model``, ``ensemble``, ``single_model_subsequence``,
        ``ensemble_subsequence``, ``pairwise`` and ``importances``, as
        described in :func:`importance_stability`.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.RandomState(0)
    >>> truth = rng.rand(5, 30)
    >>> models = [truth + rng.rand(5, 30) for _ in range(4)]
    >>> result = importance_agreement(models)
    >>> bool(result.ensemble > result.single_model)
    True
    """
    importances = [_as_list(imp) for imp in importances]
    n_models = len(importances)
    if n_models < 2:
        raise ValueError(f"at least 2 models are needed to compare them; got {n_models}.")
    variations = [_as_list(subsequence_variation(imp, window)) for imp in importances]

    def pairwise(profiles):
        matrix = np.eye(n_models)
        for i in range(n_models):
            for j in range(i + 1, n_models):
                matrix[i, j] = matrix[j, i] = importance_rank_correlation(profiles[i], profiles[j])
        return matrix

    def halves(profiles):
        half = n_models // 2
        if half < 2:
            return float("nan")
        n_videos = len(profiles[0])
        def mean(group):
            return [np.mean([p[v] for p in group], axis=0) for v in range(n_videos)]

        return importance_rank_correlation(mean(profiles[:half]), mean(profiles[half : 2 * half]))

    off_diagonal = ~np.eye(n_models, dtype=bool)
    frame_matrix = pairwise(importances)
    sub_matrix = pairwise(variations)
    return Bunch(
        single_model=float(frame_matrix[off_diagonal].mean()),
        ensemble=halves(importances),
        single_model_subsequence=float(sub_matrix[off_diagonal].mean()),
        ensemble_subsequence=halves(variations),
        pairwise=frame_matrix,
        importances=importances,
    )
