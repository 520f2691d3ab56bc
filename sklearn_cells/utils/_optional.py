"""Optional dependencies, imported by the functions that need them.

``import sklearn_cells`` works without pandas, tifffile or laptrack; a function that
needs one imports it here and, when it is missing, says what needs it and how to get it.
"""

from __future__ import annotations

import importlib
from types import ModuleType


def import_optional(name: str, needed_for: str, extra: str) -> ModuleType:
    """``import name``, or an ImportError naming what needs it and the extra to install.

    Examples
    --------
    >>> import_optional("numpy", "Everything", "io").__name__
    'numpy'
    """
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        package = name.partition(".")[0]
        raise ImportError(
            f"{needed_for} needs {package}, which is not installed: pip install "
            f"'sklearn-cells[{extra}]' (or pip install {package})."
        ) from exc
