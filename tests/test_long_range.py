"""make_long_range_trajectories: shapes, seeds, identical local statistics, long-range
separation, errors."""

import numpy as np
import pytest
from scipy.stats import ks_2samp
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import sklearn_cells
from sklearn_cells import TrajectoryFeatures
from sklearn_cells.datasets import make_long_range_trajectories

DEFAULT = ("free", "trapped", "drifting")
ALL = ("free", "trapped", "drifting", "circling")


def _local(x):
    """Step lengths over the track's mean step, signed turning angles."""
    steps = np.diff(x, axis=0)
    length = np.linalg.norm(steps, axis=1)
    heading = np.arctan2(steps[:, 1], steps[:, 0])
    return length / length.mean(), np.angle(np.exp(1j * np.diff(heading)))


def _pooled(X, y, label):
    parts = [_local(x) for x, c in zip(X, y) if c == label]
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


def _straightness(x):
    return np.linalg.norm(x[-1] - x[0]) / np.linalg.norm(np.diff(x, axis=0), axis=1).sum()


def test_exported_at_the_root():
    assert sklearn_cells.make_long_range_trajectories is make_long_range_trajectories
    assert "make_long_range_trajectories" in sklearn_cells.__all__
    assert "make_long_range_trajectories" in sklearn_cells.datasets.__all__


def test_shapes_dtypes_lengths_and_labels():
    X, y = make_long_range_trajectories(7, length=(20, 60), random_state=0)
    assert isinstance(X, list) and len(X) == 21 and y.shape == (21,)
    assert all(x.dtype == np.float64 and x.ndim == 2 and x.shape[1] == 2 for x in X)
    assert all(np.isfinite(x).all() for x in X)
    lengths = np.array([len(x) for x in X])
    assert lengths.min() >= 20 and lengths.max() <= 60 and len(set(lengths)) > 5
    assert y.dtype.kind == "U"
    assert dict(zip(*np.unique(y, return_counts=True))) == {c: 7 for c in DEFAULT}
    assert y.tolist() != sorted(y.tolist())  # shuffled, not in blocks
    X, y = make_long_range_trajectories(2, length=3, random_state=0)
    assert {x.shape for x in X} == {(3, 2)}


def test_per_class_counts_and_class_choice():
    X, y = make_long_range_trajectories((3, 0, 2), length=10, random_state=0)
    assert len(X) == 5 and dict(zip(*np.unique(y, return_counts=True))) == {
        "free": 3, "drifting": 2}
    _, y = make_long_range_trajectories((1, 2), length=10, classes=("circling", "free"),
                                        random_state=0)
    assert sorted(y.tolist()) == ["circling", "free", "free"]
    _, y = make_long_range_trajectories(2, length=10, classes="trapped", random_state=0)
    assert y.tolist() == ["trapped", "trapped"]


def test_reproducible_with_seed():
    a = make_long_range_trajectories(5, length=(10, 50), classes=ALL, random_state=3)
    b = make_long_range_trajectories(5, length=(10, 50), classes=ALL,
                                     random_state=np.random.RandomState(3))
    c = make_long_range_trajectories(5, length=(10, 50), classes=ALL, random_state=4)
    assert np.array_equal(a[1], b[1])
    assert all(np.array_equal(p, q) for p, q in zip(a[0], b[0]))
    assert not all(p.shape == q.shape and np.array_equal(p, q) for p, q in zip(a[0], c[0]))


@pytest.mark.parametrize("seed", [0, 1])
def test_local_statistics_match_across_classes(seed):
    """Step lengths and |turning angles| pooled per class: same distribution; the
    signed turning angle is symmetric in every class."""
    X, y = make_long_range_trajectories(40, length=(100, 300), classes=ALL,
                                        random_state=seed)
    pooled = {c: _pooled(X, y, c) for c in ALL}
    for c in ALL[1:]:
        assert ks_2samp(pooled["free"][0], pooled[c][0]).pvalue > 0.01, c
        assert ks_2samp(np.abs(pooled["free"][1]), np.abs(pooled[c][1])).pvalue > 0.01, c
    abs_means = [np.abs(pooled[c][1]).mean() for c in ALL]
    assert max(abs_means) / min(abs_means) < 1.03
    for c in DEFAULT:  # within each track (on average) as well as over the class
        signed = pooled[c][1]
        assert abs(signed.mean()) < 0.03 and abs((signed > 0).mean() - 0.5) < 0.03, c
    # circling: one chirality per track, as many left as right
    left = [np.mean(_local(x)[1] > 0) > 0.5 for x, c in zip(X, y) if c == "circling"]
    assert sum(left) == len(left) // 2


def test_persistence_is_the_mean_turning_cosine():
    for persistence in (0.6, 0.9):
        X, _ = make_long_range_trajectories(30, length=200, persistence=persistence,
                                            noise=0.0, classes="free", random_state=0)
        cos = np.concatenate([np.cos(_local(x)[1]) for x in X])
        assert cos.mean() == pytest.approx(persistence, abs=0.01)


def test_class_rules_without_noise():
    X, y = make_long_range_trajectories(40, length=1000, noise=0.0, classes=ALL,
                                        random_state=0)
    # circling: one chirality per track, both chiralities in the class
    chirality = [np.sign(_local(x)[1]) for x, c in zip(X, y) if c == "circling"]
    assert all(np.all(s == s[0]) for s in chirality)
    assert {s[0] for s in chirality} == {-1.0, 1.0}
    # trapped: bounded net displacement; free: diffusive; drifting: ballistic
    net = {c: np.median([np.linalg.norm(x[-1] - x[0]) / np.linalg.norm(np.diff(x, axis=0),
                                                                       axis=1).mean()
                         for x, k in zip(X, y) if k == c]) for c in ALL}
    assert net["trapped"] < 15 < 50 < net["free"] < 300 < net["drifting"]
    assert net["circling"] < 50


def test_long_range_features_separate_local_features_do_not():
    X, y = make_long_range_trajectories(40, length=(100, 300), random_state=0)
    tf = TrajectoryFeatures().fit(X)
    F = tf.transform(X)
    names = list(tf.get_feature_names_out())
    cv = StratifiedKFold(5, shuffle=True, random_state=0)
    model = make_pipeline(StandardScaler(), LogisticRegression())
    local = F[:, [names.index(n) for n in ("speed_mean", "speed_std",
                                            "turning_angle_abs_mean", "turning_cos_mean")]]
    assert cross_val_score(model, local, y, cv=cv).mean() < 0.5  # chance: 1/3
    assert cross_val_score(model, F, y, cv=cv).mean() > 0.75
    # a straightness threshold alone
    s = np.array([_straightness(x) for x in X])
    predicted = np.where(s < 0.1, "trapped", np.where(s < 0.45, "free", "drifting"))
    assert (predicted == y).mean() > 0.75


@pytest.mark.parametrize("kwargs, match", [
    ({"n_samples": 0}, "n_samples must be an integer >= 1"),
    ({"n_samples": 2.5}, "n_samples must be an int"),
    ({"n_samples": True}, "n_samples must be an int"),
    ({"n_samples": (1, 2)}, "gives 2 counts for 3 classes"),
    ({"n_samples": (1, -1, 2)}, "integers >= 0"),
    ({"n_samples": (0, 0, 0)}, "asks for no trajectories"),
    ({"length": 2}, "at least 3 points"),
    ({"length": (2, 10)}, "at least 3 points"),
    ({"length": (10, 5)}, "min <= max"),
    ({"length": (5.0, 10)}, "must hold integers"),
    ({"length": "long"}, "int or a \\(min, max\\) tuple"),
    ({"n_dims": 3}, "n_dims must be 2"),
    ({"persistence": 1.0}, "strictly between 0 and 1"),
    ({"persistence": 0}, "strictly between 0 and 1"),
    ({"persistence": float("nan")}, "strictly between 0 and 1"),
    ({"persistence": "high"}, "strictly between 0 and 1"),
    ({"noise": -0.1}, "noise is a standard deviation"),
    ({"noise": float("inf")}, "noise is a standard deviation"),
    ({"classes": ()}, "classes is empty"),
    ({"classes": ("free", "spinning")}, "Unknown class name"),
    ({"classes": ("free", "free")}, "more than once"),
    ({"classes": 3}, "classes must be a sequence"),
    ({"random_state": "seed"}, "cannot be used to seed"),
])
def test_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        make_long_range_trajectories(**{"length": 10, **kwargs})
