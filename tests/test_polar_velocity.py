"""PolarVelocityTransformer: rotation invariance, values, containers, errors."""

import numpy as np
import pytest

from sklearn_cells import PolarVelocityTransformer


def _rotate(v, angle):
    c, s = np.cos(angle), np.sin(angle)
    out = v.copy()
    out[:, :2] = v[:, :2] @ np.array([[c, s], [-s, c]])
    return out


def test_descriptors_are_rotation_invariant():
    v = np.random.RandomState(0).normal(size=(50, 3))
    a = PolarVelocityTransformer().fit_transform([v])[0]
    b = PolarVelocityTransformer().fit_transform([_rotate(v, 1.234)])[0]
    np.testing.assert_allclose(a, b, atol=1e-12)


def test_speed_and_turning_values():
    v = np.array([[1.0, 0.0], [1.0, 1.0], [1.0, 0.0]])  # +45 deg, then -45 deg
    out = PolarVelocityTransformer().fit_transform([v])[0]
    np.testing.assert_allclose(out[:, 0], [1.0, np.sqrt(2), 1.0])
    np.testing.assert_allclose(np.arctan2(out[:, 2], out[:, 1]), [0.0, np.pi / 4, -np.pi / 4])


def test_containers_and_no_mutation():
    X = np.random.RandomState(1).normal(size=(3, 10, 2))
    X_copy = X.copy()
    out = PolarVelocityTransformer().fit_transform(X)
    assert out.shape == (3, 10, 3)
    np.testing.assert_array_equal(X, X_copy)
    ragged = [X[0], X[1, :4]]
    assert [o.shape for o in PolarVelocityTransformer().fit_transform(ragged)] == [(10, 3), (4, 3)]


def test_errors():
    with pytest.raises(ValueError, match="2-D or 3-D velocities"):
        PolarVelocityTransformer().fit([np.zeros((5, 4))])
    fitted = PolarVelocityTransformer().fit([np.zeros((5, 3))])
    with pytest.raises(ValueError, match="fitted with 3"):
        fitted.transform([np.zeros((5, 2))])
