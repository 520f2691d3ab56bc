"""Per-class TPR/TNR/PPV/NPV/F1 and fold-averaged confusion matrices."""

import numpy as np
import pytest
from sklearn.datasets import make_classification
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import confusion_matrix, f1_score, precision_score, recall_score
from sklearn.model_selection import StratifiedKFold, cross_validate

from sklearn_cells.metrics._classification import (
    PerClassScorer,
    mean_confusion_matrix,
    mean_per_class_scores,
    per_class_scores,
)


def test_per_class_scores_match_definitions():
    rng = np.random.default_rng(0)
    labels = np.array(["uni", "multi", "unc"])
    y_true = rng.choice(labels, 200, p=[0.7, 0.2, 0.1])
    y_pred = np.where(rng.random(200) < 0.7, y_true, rng.choice(labels, 200))
    s = per_class_scores(y_true, y_pred, labels=labels)
    np.testing.assert_allclose(s.tpr, recall_score(y_true, y_pred, labels=labels, average=None))
    np.testing.assert_allclose(s.ppv, precision_score(y_true, y_pred, labels=labels, average=None))
    np.testing.assert_allclose(s.f1, f1_score(y_true, y_pred, labels=labels, average=None))
    for i, label in enumerate(labels):
        neg_true, neg_pred = y_true != label, y_pred != label
        assert s.tnr[i] == pytest.approx((neg_true & neg_pred).sum() / neg_true.sum())
        assert s.npv[i] == pytest.approx((neg_true & neg_pred).sum() / neg_pred.sum())
        assert s.support[i] == (y_true == label).sum()


def test_undefined_rates_are_nan_or_chosen_value():
    s = per_class_scores(["a", "a", "b"], ["a", "a", "a"])
    assert np.isnan(s.ppv[1]) and s.f1[1] == 0.0 and s.tpr[1] == 0.0
    assert per_class_scores(["a", "a", "b"], ["a", "a", "a"], zero_division=0.0).ppv[1] == 0.0


def test_cross_validate_with_scorer_and_fold_averages():
    X, y = make_classification(300, n_classes=3, n_informative=4, weights=[0.6, 0.3, 0.1], random_state=0)
    labels = np.array(["x", "y", "z"])
    y = labels[y]
    cv = StratifiedKFold(5, shuffle=True, random_state=0)
    clf = LogisticRegression(max_iter=500)
    res = cross_validate(clf, X, y, cv=cv, scoring=PerClassScorer(labels))
    assert res["test_f1_z"].shape == (5,) and "test_cm_x__y" in res
    # fold-averaged, row-normalised confusion matrix = mean of per-fold normalised matrices
    expected = []
    scores = []
    for train, test in cv.split(X, y):
        pred = clf.fit(X[train], y[train]).predict(X[test])
        expected.append(confusion_matrix(y[test], pred, labels=labels, normalize="true"))
        scores.append(per_class_scores(y[test], pred, labels=labels).npv)
    cm = mean_confusion_matrix(res, labels)
    np.testing.assert_allclose(cm, np.mean(expected, axis=0))
    np.testing.assert_allclose(cm.sum(axis=1), 1.0)
    counts = mean_confusion_matrix(res, labels, normalize=None)
    assert counts.sum() == pytest.approx(len(y) / 5)
    means = mean_per_class_scores(res, labels)
    np.testing.assert_allclose(means.npv, np.mean(scores, axis=0))
    assert means.f1.shape == (3,) and (means.f1_std >= 0).all()
    # above chance on every class (a guess at the class frequencies has F1 = frequency)
    prevalence = np.array([(y == label).mean() for label in labels])
    assert (means.f1 > prevalence + 0.1).all()


def test_majority_classifier_has_zero_minority_f1():
    X = np.zeros((50, 1))
    y = np.array(["maj"] * 45 + ["min"] * 5)
    res = cross_validate(DummyClassifier(), X, y, cv=StratifiedKFold(5), scoring=PerClassScorer(["maj", "min"]))
    means = mean_per_class_scores(res, ["maj", "min"])
    assert means.f1[1] == 0.0 and means.tpr[1] == 0.0 and np.isnan(means.ppv[1])
    assert means.tnr[0] == 0.0 and means.tpr[0] == 1.0


def test_fold_without_a_class_is_skipped_in_the_average():
    res = {"test_cm_a__a": [2, 3], "test_cm_a__b": [0, 1], "test_cm_b__a": [0, 0], "test_cm_b__b": [2, 0]}
    cm = mean_confusion_matrix(res, ["a", "b"])
    np.testing.assert_allclose(cm, [[0.875, 0.125], [0.0, 1.0]])


def test_errors():
    with pytest.raises(ValueError, match="Unknown metrics"):
        PerClassScorer(["a"], metrics=["auc"])
    with pytest.raises(KeyError, match="PerClassScorer"):
        mean_confusion_matrix({}, ["a"])
    with pytest.raises(ValueError, match="normalize"):
        mean_confusion_matrix({}, ["a"], normalize="rows")


def test_plots():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from sklearn_cells.datasets._liposomes import make_liposomes
    from sklearn_cells.plotting._classification import (
        plot_confusion_matrix,
        plot_particles,
        plot_per_class_scores,
    )

    a = per_class_scores(["x", "y", "y"], ["x", "y", "x"], labels=["x", "y"])
    b = per_class_scores(["x", "y", "y"], ["x", "x", "x"], labels=["x", "y"])
    ax = plot_per_class_scores({"A": a, "B": b}, metric="tpr")
    heights = [p.get_height() for p in ax.patches]
    np.testing.assert_allclose(heights, [1.0, 0.5, 1.0, 0.0])
    ax = plot_confusion_matrix([[0.75, 0.25], [0.1, 0.9]], ["x", "y"])
    assert {t.get_text() for t in ax.texts} >= {"0.75", "0.90"}
    X, y = make_liposomes(12, weights=[1, 1, 1], surround=3, size_scale=0.5, random_state=0)
    axes = plot_particles(X, y, n_per_class=2)
    assert axes.shape == (3, 2) and len(axes[0, 0].images) == 1
    with pytest.raises(ValueError, match="empty"):
        plot_per_class_scores({})
    plt.close("all")
