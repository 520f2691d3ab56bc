"""Validation of trajectory collections.

A trajectory is a float array ``(n_steps, n_dims)``, time first. A collection
is either a list (or 1-D object array) of such arrays, which may differ in
length ("ragged"), or a 3-D array ``(n_trajectories, n_steps, n_dims)``.

This is the transpose of sktime's channel-first ``(n, n_dims, n_steps)``
layout: here each row of a trajectory is one time point, as in a track table.
"""

from __future__ import annotations

import numbers

import numpy as np

__all__ = ["check_trajectories", "check_trajectory_labels", "wrap_like"]


def _describe(X) -> str:
    return f"{type(X).__name__} with shape {np.shape(X)}" if hasattr(X, "shape") else type(X).__name__


def _trajectory_items(X, name: str) -> list:
    """The trajectories of the collection ``X`` as a non-empty list, not yet checked."""
    if isinstance(X, (str, bytes)) or X is None or isinstance(X, numbers.Number):
        raise ValueError(
            f"{name} must be a list of (n_steps, n_dims) arrays or a 3-D array "
            f"(n_trajectories, n_steps, n_dims); got {_describe(X)}."
        )
    if hasattr(X, "columns") and hasattr(X, "iloc"):
        raise ValueError(
            f"{name} is a DataFrame. Long-format track tables are converted with "
            "sklearn_cells.datasets.load_tracks_csv (or tracks_from_frame); pass "
            "the resulting list of trajectories."
        )
    if isinstance(X, np.ndarray) and X.dtype != object:
        if X.ndim != 3:
            hint = (
                " For a single trajectory pass [X]."
                if X.ndim == 2
                else ""
            )
            raise ValueError(
                f"{name} is a numeric array with {X.ndim} dimension(s) (shape "
                f"{X.shape}); expected a 3-D array (n_trajectories, n_steps, n_dims) "
                f"or a list of 2-D (n_steps, n_dims) arrays.{hint}"
            )
        items = list(X)
    elif isinstance(X, np.ndarray):
        if X.ndim != 1:
            raise ValueError(
                f"{name} is an object array with shape {X.shape}; expected a 1-D "
                "object array of (n_steps, n_dims) arrays."
            )
        items = list(X)
    else:
        try:
            items = list(X)
        except TypeError as exc:
            raise ValueError(
                f"{name} must be a list of (n_steps, n_dims) arrays or a 3-D array; "
                f"got {_describe(X)}."
            ) from exc
    if len(items) == 0:
        raise ValueError(
            f"{name} is empty: at least one trajectory is needed."
        )
    return items


def _check_trajectory(item, i: int, name: str, min_length: int, dtype) -> np.ndarray:
    """Trajectory ``i`` of ``name`` as a finite, numeric 2-D array of ``dtype``."""
    try:
        arr = np.asarray(item)
    except ValueError as exc:  # ragged nested lists inside one trajectory
        raise ValueError(
            f"trajectory {i} of {name} could not be read as a 2-D array: {exc}"
        ) from exc
    if arr.dtype.kind not in "biuf":
        raise ValueError(
            f"trajectory {i} of {name} is not numeric (dtype {arr.dtype}); "
            "trajectories hold coordinates as numbers. Convert strings with "
            "np.asarray(t, dtype=float) or remove non-numeric columns."
        )
    if arr.ndim != 2:
        fix = " Use t.reshape(-1, 1) for one-dimensional tracks." if arr.ndim == 1 else ""
        raise ValueError(
            f"trajectory {i} of {name} has shape {arr.shape}; expected a 2-D "
            f"array (n_steps, n_dims), time first.{fix}"
        )
    if arr.shape[1] == 0:
        raise ValueError(f"trajectory {i} of {name} has no coordinate columns.")
    if arr.shape[0] < min_length:
        raise ValueError(
            f"trajectory {i} of {name} has {arr.shape[0]} time point(s); at least "
            f"{min_length} are needed. Drop trajectories shorter than "
            f"{min_length} points."
        )
    if not np.isfinite(arr).all():
        bad = np.flatnonzero(~np.isfinite(arr).all(axis=1))
        raise ValueError(
            f"trajectory {i} of {name} contains NaN or infinite values at "
            f"time step(s) {bad[:5].tolist()}{'...' if bad.size > 5 else ''}. "
            "Interpolate or drop those points (or split the track there) "
            "before passing it."
        )
    return arr.astype(dtype, copy=False)


def _check_dimensions(trajectories: list[np.ndarray], name: str, n_dims: int | None) -> None:
    """Check that all trajectories have the same dimensions, ``n_dims`` if given."""
    dims = {t.shape[1] for t in trajectories}
    if len(dims) > 1:
        first = trajectories[0].shape[1]
        odd = next(i for i, t in enumerate(trajectories) if t.shape[1] != first)
        raise ValueError(
            f"trajectories in {name} have different numbers of dimensions "
            f"{sorted(dims)} (trajectory 0 has {first}, trajectory {odd} has "
            f"{trajectories[odd].shape[1]}). Pad 2-D tracks with a zero z column "
            "or keep only the shared coordinates."
        )
    if n_dims is not None and trajectories[0].shape[1] != n_dims:
        raise ValueError(
            f"{name} has {trajectories[0].shape[1]} dimension(s) per time step, but "
            f"this estimator was fitted with {n_dims}. Pass trajectories with the "
            "same coordinates as during fit."
        )


def check_trajectories(
    X,
    *,
    min_length: int = 2,
    n_dims: int | None = None,
    dtype=np.float64,
    name: str = "X",
) -> list[np.ndarray]:
    """Validate a trajectory collection and return it as a list of 2-D arrays.

    The returned arrays are new arrays whenever a conversion was needed and
    otherwise the caller's arrays, which sklearn-cells never writes to.

    Parameters
    ----------
    X : list of array-like of shape (n_steps_i, n_dims), 1-D object array of \
            those, or array-like of shape (n_trajectories, n_steps, n_dims)
        The trajectories.
    min_length : int, default=2
        Fewest time points a trajectory may have.
    n_dims : int, optional
        Required number of dimensions (for example ``n_features_in_`` of a
        fitted estimator).
    dtype : numpy dtype, default=np.float64
        The dtype of the returned arrays.
    name : str, default="X"
        Name used in error messages.

    Returns
    -------
    trajectories : list of ndarray of shape (n_steps_i, n_dims)

    Raises
    ------
    ValueError
        For an empty collection, wrong dimensionality, non-numeric data, NaN
        or infinite values, trajectories that are too short, or a mix of
        dimensionalities. Each message names the trajectory and the fix.

    Examples
    --------
    >>> import numpy as np
    >>> trajs = check_trajectories([np.zeros((5, 2)), np.ones((3, 2))])
    >>> [t.shape for t in trajs]
    [(5, 2), (3, 2)]
    """
    items = _trajectory_items(X, name)
    trajectories = [
        _check_trajectory(item, i, name, min_length, dtype) for i, item in enumerate(items)
    ]
    _check_dimensions(trajectories, name, n_dims)
    return trajectories


def check_trajectory_labels(y, n_trajectories: int, *, name: str = "y") -> np.ndarray:
    """Validate per-trajectory labels (or groups) against the collection size.

    Examples
    --------
    >>> check_trajectory_labels(["a", "b"], 2)
    array(['a', 'b'], dtype='<U1')
    """
    if y is None:
        raise ValueError(
            f"{name} is required: pass one label per trajectory."
        )
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y.ravel()
    if y.ndim != 1:
        raise ValueError(
            f"{name} must be 1-D with one entry per trajectory; got shape {y.shape}."
        )
    if y.shape[0] != n_trajectories:
        raise ValueError(
            f"X has {n_trajectories} trajectories but {name} has {y.shape[0]} "
            "entries; pass exactly one label per trajectory."
        )
    if y.dtype.kind == "f" and not np.isfinite(y).all():
        raise ValueError(f"{name} contains NaN or infinite labels.")
    return y


def wrap_like(trajectories: list[np.ndarray], like):
    """Return ``trajectories`` in the same kind of container as ``like``.

    A 3-D array stays a 3-D array when all outputs share one length (otherwise
    a 1-D object array is returned, as there is no ragged 3-D array); an object
    array stays an object array; anything else becomes a list.
    """
    if isinstance(like, np.ndarray):
        if like.dtype != object and len({t.shape for t in trajectories}) == 1:
            return np.stack(trajectories)
        out = np.empty(len(trajectories), dtype=object)
        for i, trajectory in enumerate(trajectories):  # avoids numpy broadcasting
            out[i] = trajectory
        return out
    return list(trajectories)
