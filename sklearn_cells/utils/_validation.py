"""Checks shared by the estimators: of input data and of parameters."""

from __future__ import annotations

import numpy as np
from sklearn.utils.validation import _is_fitted


def check_real_numbers(
    a: np.ndarray, name: str, *, fix: str, numeric_error: type[Exception] = ValueError
) -> None:
    """Raise unless ``a`` holds real numbers (booleans, integers or floats).

    Complex values are a ``ValueError`` (pass magnitudes); any other dtype raises
    ``numeric_error`` with ``fix``, what to pass instead. ``name`` starts the message.
    """
    if np.iscomplexobj(a):
        raise ValueError(
            f"{name} holds complex numbers (dtype {a.dtype}); pass real values, e.g. "
            "magnitudes with np.abs."
        )
    if a.dtype.kind not in "biuf":
        raise numeric_error(
            f"{name} must be a numeric array; dtype {a.dtype} is not numeric. {fix}"
        )


def check_range(value, name: str, *, within=(-np.inf, np.inf)) -> None:
    """Raise unless ``value`` is ``(low, high)``, finite, ``within[0] <= low < high <= within[1]``.

    For tuple parameters such as ``feature_range``, whose two ends must be ordered.
    """
    try:
        low, high = (float(v) for v in value)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be a pair (min, max) of numbers; got {value!r}.") from exc
    if not (np.isfinite([low, high]).all() and within[0] <= low < high <= within[1]):
        bounds = "" if within == (-np.inf, np.inf) else f" within [{within[0]:g}, {within[1]:g}]"
        raise ValueError(
            f"{name}={value!r} is invalid: it must be (min, max) with finite min < max{bounds}."
        )


def validate_params_unless_fitted(estimator, *checks) -> None:
    """Validate the parameters of a stateless transformer used without ``fit``.

    Transformers tagged ``requires_fit=False`` may ``transform`` without the ``fit`` that
    validates their parameters: then their constraints are validated here, and ``checks``
    (what constraints cannot express) run. After a ``fit``, nothing is validated again.
    """
    if not _is_fitted(estimator):
        estimator._validate_params()
        for check in checks:
            check()
