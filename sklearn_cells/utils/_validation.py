"""Input checks shared by the image, particle and video estimators."""

from __future__ import annotations

import numpy as np


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
