"""make_trajectories: seed 000 Table 1 shapes, physics of the classes, errors."""

import numpy as np
import pytest

from sklearn_cells.datasets import make_trajectories


def test_defaults_follow_table_1():
    X, y, dt = make_trajectories(return_intervals=True, random_state=0)
    labels, counts = np.unique(y, return_counts=True)
    assert dict(zip(labels, counts)) == {"collagen": 65, "plastic": 177, "fibronectin": 69}
    lengths = {label: {len(x) for x, l in zip(X, y) if l == label} for label in labels}
    assert lengths == {"collagen": {577}, "plastic": {998}, "fibronectin": {998}}
    assert set(dt[y == "collagen"]) == {2.5} and set(dt[y != "collagen"]) == {1.0}
    assert all(x.shape[1] == 3 and np.isfinite(x).all() for x in X)


def test_z_is_tracking_noise_on_2d_surfaces_and_motion_in_collagen():
    X, y = make_trajectories(n_samples=10, random_state=1)
    z_range = {label: np.mean([np.ptp(x[:, 2]) for x, l in zip(X, y) if l == label])
               for label in np.unique(y)}
    z_rms = np.mean([x[:, 2].std() for x, l in zip(X, y) if l != "collagen"])
    assert 1.5 < z_rms < 2.5  # about 2 um rms of noise around a fixed plane
    assert z_range["collagen"] > 3 * z_range["plastic"]


def test_plastic_and_fibronectin_share_typical_speed():
    X, y = make_trajectories(n_samples=(0, 60, 60), n_steps=300, random_state=2)
    speed = {label: np.median([np.median(np.linalg.norm(np.diff(x[:, :2], axis=0), axis=1))
                               for x, l in zip(X, y) if l == label])
             for label in ("plastic", "fibronectin")}
    assert speed["fibronectin"] == pytest.approx(speed["plastic"], rel=0.35)


def test_random_state_reproducible():
    a = make_trajectories(n_samples=2, n_steps=20, random_state=3)[0]
    b = make_trajectories(n_samples=2, n_steps=20, random_state=3)[0]
    c = make_trajectories(n_samples=2, n_steps=20, random_state=4)[0]
    assert all(np.array_equal(p, q) for p, q in zip(a, b))
    assert not np.array_equal(a[0], c[0])


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(n_samples=(1, 2)), "3 values"),
        (dict(n_samples=-1), "non-negative"),
        (dict(n_samples=0), "no trajectories"),
        (dict(n_steps=1), "n_steps >= 2"),
        (dict(dt=0), "positive"),
    ],
)
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        make_trajectories(**kwargs)
