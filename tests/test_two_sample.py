"""Tests for the classifier two-sample test and its row in the comparison table."""

import numpy as np
import pytest
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from sklearn_cells.trajectory import (
    LSTMTrajectoryClassifier,
    TrajectoryFeatures,
    TrajectoryScaler,
    TwoSampleTestResult,
    VelocityTransformer,
    classifier_two_sample_test,
    compare_trajectory_statistics,
)
from sklearn_cells.trajectory._two_sample import _auc_rows


def _walks(n, n_steps=30, persistence=0.0, speed=1.0, n_dims=2, seed=0):
    """Persistent random walks (AR(1) velocities), ``n`` of ``n_steps`` points."""
    rng = np.random.RandomState(seed)
    out = []
    for _ in range(n):
        v = np.empty((n_steps - 1, n_dims))
        v[0] = rng.normal(size=n_dims)
        for t in range(1, n_steps - 1):
            v[t] = persistence * v[t - 1] + np.sqrt(1 - persistence**2) * rng.normal(size=n_dims)
        out.append(np.vstack([np.zeros((1, n_dims)), np.cumsum(speed * v, axis=0)]))
    return out


def test_auc_helper_matches_sklearn_with_ties():
    rng = np.random.RandomState(0)
    y = rng.randint(0, 2, 40)
    scores = np.round(rng.uniform(size=40), 1)  # many ties
    assert _auc_rows(scores, y) == pytest.approx(roc_auc_score(y, scores))
    rows = np.vstack([scores, -scores])
    np.testing.assert_allclose(_auc_rows(rows, y), [roc_auc_score(y, s) for s in rows])


def test_same_distribution_is_indistinguishable():
    result = classifier_two_sample_test(
        _walks(40, seed=0), _walks(40, seed=1), n_permutations=19, random_state=0
    )
    assert isinstance(result, TwoSampleTestResult)
    assert abs(result.auc - 0.5) < 0.2
    low, high = result.interval
    assert low < 0.5 < high
    assert result.pvalue > 0.05
    assert (result.n_real, result.n_generated) == (40, 40)


def test_different_distributions_are_detected_and_ordered():
    real = _walks(40, persistence=0.6, seed=0)
    faster = classifier_two_sample_test(real, _walks(40, persistence=0.6, speed=2.0, seed=1),
                                        n_permutations=19, random_state=0)
    assert faster.auc > 0.95
    assert faster.pvalue == pytest.approx(1 / 20)  # no shuffle comes close
    assert faster.interval[0] > 0.85
    # A small change in persistence is harder to see than a doubled speed.
    subtle = classifier_two_sample_test(real, _walks(40, persistence=0.4, seed=2),
                                        n_permutations=0, random_state=0)
    assert 0.5 < subtle.auc < faster.auc


def test_pvalue_is_the_permutation_fraction():
    result = classifier_two_sample_test(
        _walks(20, seed=0), _walks(20, speed=1.3, seed=1), n_permutations=9, random_state=0
    )
    assert result.null_auc.shape == (9,)
    assert 0 <= result.null_auc.min() and result.null_auc.max() <= 1
    expected = (1 + np.sum(result.null_auc >= result.auc)) / 10
    assert result.pvalue == pytest.approx(expected)
    assert result.interval[0] <= result.auc <= result.interval[1]


def test_no_permutations_gives_nan_pvalue():
    result = classifier_two_sample_test(_walks(10), _walks(10, seed=1), n_permutations=0,
                                        random_state=0)
    assert np.isnan(result.pvalue) and result.null_auc.shape == (0,)
    assert "auc=" in repr(result)


def test_reproducible_and_inputs_untouched():
    real, generated = _walks(15, seed=0), np.stack(_walks(25, speed=1.5, seed=1))
    copies = [r.copy() for r in real], generated.copy()
    a = classifier_two_sample_test(real, generated, n_permutations=3, random_state=0)
    b = classifier_two_sample_test(real, generated, n_permutations=3, random_state=0)
    assert a.auc == b.auc and a.interval == b.interval
    np.testing.assert_array_equal(a.null_auc, b.null_auc)
    for r, c in zip(real, copies[0]):
        np.testing.assert_array_equal(r, c)
    np.testing.assert_array_equal(generated, copies[1])


def test_unequal_sizes_are_subsampled_or_kept():
    real, generated = _walks(12, seed=0), _walks(30, speed=2.0, seed=1)
    balanced = classifier_two_sample_test(real, generated, n_permutations=0, random_state=0)
    assert (balanced.n_real, balanced.n_generated) == (12, 12)
    kept = classifier_two_sample_test(real, generated, balance=None, n_permutations=0,
                                      random_state=0)
    assert (kept.n_real, kept.n_generated) == (12, 30)
    assert balanced.auc > 0.9 and kept.auc > 0.9


def test_ragged_lengths_and_3d():
    real = [w[: 20 + i] for i, w in enumerate(_walks(10, n_steps=40, n_dims=3, seed=0))]
    generated = _walks(10, n_steps=25, n_dims=3, speed=3.0, seed=1)
    result = classifier_two_sample_test(real, generated, cv=2, n_permutations=0, random_state=0)
    assert result.auc > 0.9


def test_custom_estimators_and_splitter():
    real, generated = _walks(20, seed=0), _walks(20, speed=2.0, seed=1)
    # predict_proba path
    proba = make_pipeline(TrajectoryFeatures(), StandardScaler(), LogisticRegression())
    # decision_function path (SVC without probability=True has no predict_proba)
    decision = make_pipeline(TrajectoryFeatures(), StandardScaler(), SVC())
    for estimator in (proba, decision):
        result = classifier_two_sample_test(
            real, generated, estimator=estimator, cv=StratifiedKFold(4), n_permutations=0,
            random_state=0,
        )
        assert result.auc > 0.9


def test_lstm_pipeline():
    # Small: two epochs of a 2 x 8 LSTM on 20 + 20 ragged tracks of 15-24 points, 2 folds.
    real = [w[: 15 + i % 10] for i, w in enumerate(_walks(20, seed=0))]
    generated = [w[: 15 + i % 10] for i, w in enumerate(_walks(20, speed=4.0, seed=1))]
    pipe = make_pipeline(
        VelocityTransformer(),
        TrajectoryScaler(),
        # the recurrent layers alone: 10 tracks a class are too few for the
        # whole-track statistics' branch and booster to learn in two epochs
        LSTMTrajectoryClassifier(max_epochs=2, hidden_size=8, batch_size=4, lr=0.03,
                                 track_features=False, early_stopping=False, random_state=0),
    )
    result = classifier_two_sample_test(real, generated, estimator=pipe, cv=2, n_permutations=0,
                                        n_bootstrap=100, random_state=0)
    assert (result.n_real, result.n_generated) == (20, 20)
    # Speed differs four-fold and survives the shared scaling: two epochs see it
    # (AUC 0.90-1.00 over random_state 0-4).
    assert result.auc > 0.8


def test_compare_table_gains_a_classifier_row():
    X, Y = _walks(20, seed=0), _walks(20, speed=2.0, seed=1)
    plain = compare_trajectory_statistics(X, Y)
    table = compare_trajectory_statistics(
        X, Y, classifier_test={"n_permutations": 4, "random_state": 0}
    )
    n = len(plain["statistic"])
    assert list(table["statistic"]) == list(plain["statistic"]) + ["classifier_auc"]
    for key in plain:
        if key != "statistic":
            np.testing.assert_array_equal(table[key][:n], plain[key])
            assert np.isnan(table[key][n])
    direct = classifier_two_sample_test(X, Y, n_permutations=4, random_state=0)
    np.testing.assert_allclose(
        [table[c][n] for c in ("auc", "auc_low", "auc_high", "auc_pvalue")],
        [direct.auc, *direct.interval, direct.pvalue],
    )
    for c in ("auc", "auc_low", "auc_high", "auc_pvalue"):
        assert np.isnan(table[c][:n]).all()
    assert "auc" not in plain  # the default table is unchanged


def test_compare_classifier_test_errors():
    X = _walks(6)
    from sklearn_cells.trajectory import trajectory_statistics

    with pytest.raises(ValueError, match="needs the trajectories"):
        compare_trajectory_statistics(trajectory_statistics(X), X, classifier_test=True)
    with pytest.raises(TypeError, match="classifier_test must be"):
        compare_trajectory_statistics(X, X, classifier_test="yes")


@pytest.mark.parametrize(
    "real, generated, kwargs, error, match",
    [
        ([], _walks(5), {}, ValueError, "real is empty"),
        (_walks(5), [], {}, ValueError, "generated is empty"),
        (_walks(5), _walks(5, n_dims=3), {}, ValueError, "same coordinates"),
        (_walks(3), _walks(10), dict(cv=5), ValueError, "at least 5 trajectories in each set"),
        (_walks(10), _walks(3), dict(cv=5, balance=None), ValueError, "generated has 3"),
        (_walks(5), _walks(5), dict(cv=1), ValueError, "at least 2 folds"),
        (_walks(5), _walks(5), dict(cv="five"), ValueError, "splitter"),
        (_walks(5), _walks(5), dict(n_permutations=-1), ValueError, "n_permutations"),
        (_walks(5), _walks(5), dict(n_bootstrap=0), ValueError, "n_bootstrap"),
        (_walks(5), _walks(5), dict(confidence_level=95), ValueError, "confidence_level"),
        (_walks(5), _walks(5), dict(balance="oversample"), ValueError, "balance"),
        (_walks(5), _walks(5), dict(estimator=HistGradientBoostingRegressor()), TypeError,
         "predict_proba"),
        ([np.zeros((2, 2))] * 5, _walks(5), {}, ValueError, "at least 3"),
    ],
)
def test_bad_input(real, generated, kwargs, error, match):
    with pytest.raises(error, match=match):
        classifier_two_sample_test(real, generated, **kwargs)
