"""The optional packages of the tracking functions, imported when first needed.

laptrack (and the pandas and scikit-image it brings) is the ``tracking`` extra, not a
dependency of the library: ``import sklearn_cells`` must work without it, so these imports
happen inside the functions that need them, with a message that says what to install.
"""

from __future__ import annotations

_HINT = "pip install 'sklearn-cells[tracking]'"


def _missing(package: str, exc: ImportError) -> ImportError:
    return ImportError(
        f"Cell tracking needs {package}, which is not installed: {_HINT} "
        f"(or pip install {package})."
    )


def import_laptrack():
    try:
        import laptrack
    except ImportError as exc:
        raise _missing("laptrack", exc) from exc
    return laptrack


def import_pandas():
    try:
        import pandas
    except ImportError as exc:  # pragma: no cover - pandas is in the test extra
        raise _missing("pandas", exc) from exc
    return pandas


def import_tifffile():
    try:
        import tifffile
    except ImportError as exc:  # pragma: no cover - tifffile is in the test extra
        raise ImportError(
            "Reading and writing Cell Tracking Challenge TIFFs needs tifffile: pip install "
            "'sklearn-cells[io]' (or pip install tifffile)."
        ) from exc
    return tifffile
