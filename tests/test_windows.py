"""Mini trajectories: window sampler inside pipelines, accuracy vs length."""

import warnings

import numpy as np
import pytest
from imblearn.pipeline import make_pipeline
from sklearn.base import BaseEstimator, ClassifierMixin

from sklearn_cells.trajectory import (
    LSTMTrajectoryClassifier,
    TrajectoryWindowSampler,
    accuracy_vs_length,
    cut_windows,
)


class _LengthRecorder(ClassifierMixin, BaseEstimator):
    """Records the lengths it is fitted and asked to predict on."""

    def fit(self, X, y):
        self.fit_lengths_ = [len(x) for x in X]
        self.classes_ = np.unique(y)
        return self

    def predict(self, X):
        self.predict_lengths_ = [len(x) for x in X]
        return np.full(len(X), self.classes_[0])


def test_cut_windows_values_and_sources():
    traj = np.arange(20, dtype=float).reshape(10, 2)
    windows, source = cut_windows([traj, traj[:4]], 4, stride=3)
    assert windows.shape == (4, 4, 2) and source.tolist() == [0, 0, 0, 1]
    np.testing.assert_array_equal(windows[1], traj[3:7])


def test_sampler_cuts_at_fit_only_inside_imblearn_pipeline():
    X = [np.random.RandomState(0).rand(n, 3) for n in (95, 61, 30)]
    pipe = make_pipeline(TrajectoryWindowSampler(window_length=30), _LengthRecorder())
    pipe.fit(X, ["a", "b", "b"])
    assert pipe[-1].fit_lengths_ == [30] * 6
    pipe.predict(X)
    assert pipe[-1].predict_lengths_ == [95, 61, 30]
    np.testing.assert_array_equal(pipe[0].sample_indices_, [0, 0, 0, 1, 1, 2])


def test_sampler_keeps_labels_and_does_not_modify_input():
    X = np.random.RandomState(0).rand(2, 65, 2)
    X_copy = X.copy()
    Xw, yw = TrajectoryWindowSampler(window_length=20, stride=10).fit_resample(X, ["u", "v"])
    assert Xw.shape == (10, 20, 2) and yw.tolist() == ["u"] * 5 + ["v"] * 5
    np.testing.assert_array_equal(X, X_copy)


def test_short_trajectories_are_kept_whole_without_warnings():
    X = [np.arange(24.0).reshape(12, 2), np.ones((5, 2)), np.zeros((2, 2))]
    X_copy = [x.copy() for x in X]
    sampler = TrajectoryWindowSampler(window_length=10)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Xw, yw = sampler.fit_resample(X, ["a", "b", "c"])
    assert Xw.dtype == object and [len(x) for x in Xw] == [10, 5, 2]
    assert yw.tolist() == ["a", "b", "c"] and sampler.sample_indices_.tolist() == [0, 1, 2]
    np.testing.assert_array_equal(Xw[1], X[1])
    for x, x0 in zip(X, X_copy):
        np.testing.assert_array_equal(x, x0)


def test_window_longer_than_every_trajectory_keeps_all_whole_and_warns():
    X = [np.zeros((12, 2))]
    with pytest.warns(UserWarning, match="longer than every trajectory.*12 steps"):
        Xw, yw = TrajectoryWindowSampler(window_length=50).fit_resample(X, [0])
    assert len(Xw) == 1 and Xw[0].shape == (12, 2) and yw.tolist() == [0]
    assert not np.shares_memory(Xw[0], X[0])


def test_short_tracks_reach_the_classifier_in_a_pipeline():
    """The short class would vanish if short tracks were dropped."""
    rng = np.random.RandomState(0)
    X = [rng.normal(size=(40, 2)) for _ in range(8)] + [3 * rng.normal(size=(8, 2)) for _ in range(8)]
    y = ["long"] * 8 + ["short"] * 8
    pipe = make_pipeline(TrajectoryWindowSampler(20),
                         LSTMTrajectoryClassifier(max_epochs=2, early_stopping=False, random_state=0))
    pipe.fit(X, y)
    assert pipe[-1].classes_.tolist() == ["long", "short"]


@pytest.mark.parametrize("params", [dict(window_length=0), dict(window_length=2.5), dict(stride=0)])
def test_bad_window_parameters(params):
    with pytest.raises(ValueError, match="parameter of TrajectoryWindowSampler must be an int"):
        TrajectoryWindowSampler(**params).fit_resample([np.zeros((12, 2))], [0])


def test_label_length_mismatch():
    with pytest.raises(ValueError, match="2 trajectories but y has 1"):
        TrajectoryWindowSampler(5).fit_resample([np.zeros((12, 2))] * 2, [0])


def test_accuracy_vs_length_on_a_length_sensitive_rule():
    """A classifier that needs >= 20 steps to be right: accuracy must jump there."""

    class NeedsTwenty:
        def predict(self, X):
            return np.array(["long" if len(x) >= 20 else "short" for x in X])

    X = [np.zeros((100, 2))] * 3
    result = accuracy_vs_length(NeedsTwenty(), X, ["long"] * 3, [5, 10, 20, 50, 200])
    assert result["length"].tolist() == [5, 10, 20, 50]  # 200 gives no window
    assert result["accuracy"].tolist() == [0.0, 0.0, 1.0, 1.0]
    assert result["n_windows"].tolist() == [60, 30, 15, 6]
    capped = accuracy_vs_length(NeedsTwenty(), X, ["long"] * 3, [5], max_windows=7, random_state=0)
    assert capped["n_windows"].tolist() == [7]


@pytest.mark.parametrize("kwargs", [{"stride": 0}, {"stride": 1.5}, {"stride": True},
                                    {"window_length": 0}])
def test_cut_windows_rejects_bad_lengths(kwargs):
    params = {"window_length": 3, **kwargs}
    with pytest.raises(ValueError, match="must be a positive integer"):
        cut_windows([np.zeros((7, 2))], **params)
