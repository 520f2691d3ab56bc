"""Per-class rates and fold-averaged confusion matrices (seed 003, section 4.6).

Seed 003 reports, for every class taken as "positive" against the rest, the
true positive rate (TPR, sensitivity, recall), true negative rate (TNR,
specificity), positive and negative predictive values (PPV = precision,
NPV) and F1, plus confusion matrices normalised per fold and averaged over a
stratified 5-fold CV (its Tables 6-10). scikit-learn has no TNR/NPV report
and no fold-averaged confusion matrix; this module adds them in a form that
``cross_validate`` accepts:

>>> from sklearn.model_selection import cross_validate          # doctest: +SKIP
>>> scorer = PerClassScorer(labels=classes)                     # doctest: +SKIP
>>> cv = cross_validate(clf, X, y, scoring=scorer, cv=5)        # doctest: +SKIP
>>> mean_per_class_scores(cv, classes).f1                       # doctest: +SKIP
>>> mean_confusion_matrix(cv, classes, normalize="true")        # doctest: +SKIP

F1 is the usual harmonic mean of precision (PPV) and recall (TPR), as in
``sklearn.metrics.f1_score``; the seed's formula pairs TPR with TNR instead,
which we take to be a typo since its reported values behave like the usual F1.
"""

from __future__ import annotations

import numpy as np
from sklearn.metrics import confusion_matrix
from sklearn.utils import Bunch

__all__ = [
    "per_class_scores",
    "PerClassScorer",
    "mean_per_class_scores",
    "mean_confusion_matrix",
]

_METRICS = ("tpr", "tnr", "ppv", "npv", "f1")


def _ratio(num: np.ndarray, den: np.ndarray, zero_division: float) -> np.ndarray:
    num, den = np.asarray(num, float), np.asarray(den, float)
    out = np.full(num.shape, float(zero_division))
    np.divide(num, den, out=out, where=den > 0)
    return out


def per_class_scores(y_true, y_pred, *, labels=None, zero_division: float = np.nan) -> Bunch:
    """TPR, TNR, PPV, NPV and F1 of every class against the rest.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n_samples,)
    labels : array-like, optional
        Classes to report, in this order; default the sorted union of both.
    zero_division : float, default=nan
        Value of a rate whose denominator is zero (e.g. PPV of a class that
        is never predicted). ``nan`` lets fold averages skip it.

    Returns
    -------
    scores : Bunch
        ``labels`` and arrays ``tpr``, ``tnr``, ``ppv``, ``npv``, ``f1`` and
        ``support`` (true count), each of shape (n_classes,).

    Examples
    --------
    >>> s = per_class_scores(["a", "a", "b", "b"], ["a", "b", "b", "b"])
    >>> s.tpr.tolist(), s.tnr.tolist(), s.npv.tolist()
    ([0.5, 1.0], [1.0, 0.5], [0.6666666666666666, 1.0])
    """
    if labels is None:
        labels = np.unique(np.concatenate([np.asarray(y_true), np.asarray(y_pred)]))
    labels = np.asarray(labels)
    cm = confusion_matrix(y_true, y_pred, labels=labels)
    tp = np.diag(cm)
    fn = cm.sum(axis=1) - tp
    fp = cm.sum(axis=0) - tp
    tn = cm.sum() - tp - fn - fp
    return Bunch(
        labels=labels,
        tpr=_ratio(tp, tp + fn, zero_division),
        tnr=_ratio(tn, tn + fp, zero_division),
        ppv=_ratio(tp, tp + fp, zero_division),
        npv=_ratio(tn, tn + fn, zero_division),
        f1=_ratio(2 * tp, 2 * tp + fp + fn, zero_division),
        support=tp + fn,
    )


def _key(metric: str, label) -> str:
    return f"{metric}_{label}"


def _cm_key(true_label, pred_label) -> str:
    return f"cm_{true_label}__{pred_label}"


class PerClassScorer:
    """A ``cross_validate`` scorer returning per-class rates and confusion counts.

    Called as ``scorer(estimator, X, y)`` it predicts once and returns a dict
    ``{"f1_<label>": ..., "tpr_<label>": ..., "cm_<true>__<pred>": count}``;
    ``cross_validate(..., scoring=scorer)`` then reports each key per fold
    (prefixed ``test_``), which :func:`mean_per_class_scores` and
    :func:`mean_confusion_matrix` average.

    Parameters
    ----------
    labels : array-like
        The classes, in the order wanted. Pass them explicitly: a CV fold
        may lack a class, and every fold must return the same keys.
    metrics : sequence of str, default=("tpr", "tnr", "ppv", "npv", "f1")
    confusion : bool, default=True
        Also return the confusion-matrix counts.

    Examples
    --------
    >>> from sklearn.dummy import DummyClassifier
    >>> X, y = [[0]] * 6, ["a", "a", "a", "a", "b", "b"]
    >>> clf = DummyClassifier(strategy="most_frequent").fit(X, y)
    >>> PerClassScorer(labels=["a", "b"], confusion=False)(clf, X, y)["f1_b"]
    0.0
    """

    def __init__(self, labels, *, metrics=_METRICS, confusion: bool = True):
        unknown = set(metrics) - set(_METRICS)
        if unknown:
            raise ValueError(f"Unknown metrics {sorted(unknown)}; choose from {_METRICS}.")
        self.labels = np.asarray(labels)
        self.metrics = tuple(metrics)
        self.confusion = confusion

    def __call__(self, estimator, X, y) -> dict[str, float]:
        y_pred = estimator.predict(X)
        scores = per_class_scores(y, y_pred, labels=self.labels)
        out = {
            _key(metric, label): float(scores[metric][i])
            for metric in self.metrics
            for i, label in enumerate(self.labels)
        }
        if self.confusion:
            cm = confusion_matrix(y, y_pred, labels=self.labels)
            for i, true_label in enumerate(self.labels):
                for j, pred_label in enumerate(self.labels):
                    out[_cm_key(true_label, pred_label)] = float(cm[i, j])
        return out

    def __repr__(self) -> str:
        return f"PerClassScorer(labels={self.labels.tolist()!r}, metrics={self.metrics!r})"


def _fold_values(cv_results: dict, key: str) -> np.ndarray:
    for name in (f"test_{key}", key):
        if name in cv_results:
            return np.asarray(cv_results[name], dtype=float)
    raise KeyError(
        f"{key!r} is not in the cross-validation results; were they computed with "
        "scoring=PerClassScorer(labels) over the same labels?"
    )


def mean_per_class_scores(cv_results: dict, labels, *, metrics=_METRICS) -> Bunch:
    """Fold means (and standard deviations) of the per-class rates.

    Parameters
    ----------
    cv_results : dict
        Output of ``cross_validate(..., scoring=PerClassScorer(labels))``.
    labels : array-like
        The scorer's labels.
    metrics : sequence of str, default=("tpr", "tnr", "ppv", "npv", "f1")

    Returns
    -------
    scores : Bunch
        ``labels``; for every metric an array (n_classes,) of fold means
        (folds where the rate is undefined are skipped) and ``<metric>_std``.

    Examples
    --------
    >>> cv = {"test_f1_a": [1.0, 0.5], "test_f1_b": [0.0, 0.0]}
    >>> mean_per_class_scores(cv, ["a", "b"], metrics=["f1"]).f1.tolist()
    [0.75, 0.0]
    """
    labels = np.asarray(labels)
    out = Bunch(labels=labels)
    for metric in metrics:
        values = np.array([_fold_values(cv_results, _key(metric, label)) for label in labels])
        out[metric] = np.array([np.nanmean(v) if np.isfinite(v).any() else np.nan for v in values])
        out[f"{metric}_std"] = np.array([np.nanstd(v) if np.isfinite(v).any() else np.nan for v in values])
    return out


def mean_confusion_matrix(cv_results: dict, labels, *, normalize: str | None = "true") -> np.ndarray:
    """Confusion matrix normalised in every fold, then averaged over folds.

    Parameters
    ----------
    cv_results : dict
        Output of ``cross_validate(..., scoring=PerClassScorer(labels))``.
    labels : array-like
        The scorer's labels (rows: true class, columns: predicted class).
    normalize : {"true", "pred", "all"} or None, default="true"
        Per-fold normalisation over rows (the seed's Tables 6-8), columns or
        the whole matrix; ``None`` averages the counts (Tables 9-10).

    Returns
    -------
    cm : ndarray of shape (n_classes, n_classes)

    Examples
    --------
    >>> cv = {"test_cm_a__a": [2, 1], "test_cm_a__b": [0, 1],
    ...       "test_cm_b__a": [1, 0], "test_cm_b__b": [1, 2]}
    >>> mean_confusion_matrix(cv, ["a", "b"]).tolist()
    [[0.75, 0.25], [0.25, 0.75]]
    """
    if normalize not in ("true", "pred", "all", None):
        raise ValueError(f"normalize must be 'true', 'pred', 'all' or None; got {normalize!r}.")
    labels = np.asarray(labels)
    counts = np.stack(
        [
            np.stack([_fold_values(cv_results, _cm_key(t, p)) for p in labels], axis=-1)
            for t in labels
        ],
        axis=1,
    )  # (n_folds, n_true, n_pred)
    with np.errstate(invalid="ignore", divide="ignore"):
        if normalize == "true":
            counts = counts / counts.sum(axis=2, keepdims=True)
        elif normalize == "pred":
            counts = counts / counts.sum(axis=1, keepdims=True)
        elif normalize == "all":
            counts = counts / counts.sum(axis=(1, 2), keepdims=True)
    # a fold without samples of a class has an undefined row: average the others
    valid = np.isfinite(counts)
    n_valid = valid.sum(axis=0)
    total = np.where(valid, counts, 0.0).sum(axis=0)
    return np.divide(total, n_valid, out=np.full(total.shape, np.nan), where=n_valid > 0)
