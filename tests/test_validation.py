"""Trajectory container validation: accepted kinds and every bad input."""

import numpy as np
import pytest

from sklearn_cells.trajectory import check_trajectories, check_trajectory_labels
from sklearn_cells.trajectory._validation import wrap_like


def test_accepts_list_object_array_and_3d_array():
    ragged = [np.zeros((5, 2)), np.ones((3, 2))]
    obj = np.empty(2, dtype=object)
    obj[0], obj[1] = ragged
    for X in (ragged, obj):
        assert [t.shape for t in check_trajectories(X)] == [(5, 2), (3, 2)]
    assert [t.shape for t in check_trajectories(np.zeros((4, 6, 3)))] == [(6, 3)] * 4


def test_integer_input_is_converted_without_touching_the_original():
    X = [np.arange(6).reshape(3, 2)]
    out = check_trajectories(X)
    assert out[0].dtype == np.float64
    out[0][0, 0] = 99
    assert X[0][0, 0] == 0


@pytest.mark.parametrize(
    "X, match",
    [
        ([], "empty"),
        (np.zeros((0, 5, 2)), "empty"),
        (np.zeros((5, 2)), "For a single trajectory pass"),
        (np.zeros(5), "3-D array"),
        ([np.zeros(5)], "reshape"),
        ([np.zeros((2, 2, 2))], "expected a 2-D"),
        ([np.zeros((1, 2))], "at least 2"),
        ([np.array([[0.0, np.nan], [1.0, 1.0]])], "NaN or infinite"),
        ([np.array([[0.0, np.inf], [1.0, 1.0]])], "NaN or infinite"),
        ([np.zeros((3, 2)), np.zeros((3, 3))], "different numbers of dimensions"),
        ([np.array([["a", "b"], ["c", "d"]])], "not numeric"),
        ("trajectories.csv", "list of"),
        (None, "list of"),
        (np.zeros((2, 3, 2, 1), dtype=object), "1-D object array"),
    ],
)
def test_bad_inputs_have_clear_errors(X, match):
    with pytest.raises(ValueError, match=match):
        check_trajectories(X)


def test_dataframe_points_to_the_loader():
    pd = pytest.importorskip("pandas")
    with pytest.raises(ValueError, match="load_tracks_csv"):
        check_trajectories(pd.DataFrame({"x": [1.0, 2.0]}))


def test_dimension_mismatch_with_fitted_estimator():
    with pytest.raises(ValueError, match="fitted with 3"):
        check_trajectories([np.zeros((4, 2))], n_dims=3)


def test_labels_checks():
    assert check_trajectory_labels([[1], [2]], 2).shape == (2,)
    with pytest.raises(ValueError, match="3 trajectories but y has 2"):
        check_trajectory_labels([0, 1], 3)
    with pytest.raises(ValueError, match="required"):
        check_trajectory_labels(None, 3)
    with pytest.raises(ValueError, match="NaN"):
        check_trajectory_labels([0.0, np.nan], 2)


def test_wrap_like_returns_the_callers_kind():
    same = [np.zeros((3, 2)), np.ones((3, 2))]
    ragged = [np.zeros((3, 2)), np.ones((2, 2))]
    assert isinstance(wrap_like(same, []), list)
    assert wrap_like(same, np.zeros((2, 4, 2))).shape == (2, 3, 2)
    out = wrap_like(ragged, np.zeros((2, 4, 2)))
    assert out.dtype == object and out.shape == (2,)
    out = wrap_like(same, np.empty(2, dtype=object))  # equal lengths stay an object array
    assert out.dtype == object and out[1].shape == (3, 2)
