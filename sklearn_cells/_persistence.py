"""Save and load fitted models without pickle: :func:`save` and :func:`load`.

A pickle or joblib file runs whatever code it names while it is loaded, so a
model file from someone else is a program from someone else. :func:`save`
writes skops' format (:mod:`skops.io`), a zip of JSON and numpy arrays that
names the type of every object it holds, and :func:`load` builds only the
types of an allow-list, refusing the whole file, before anything is built,
if it names any other:

- classes of scikit-learn estimators (subclasses of
  :class:`sklearn.base.BaseEstimator`: transformers, samplers, pipelines,
  classifiers) defined in ``sklearn_cells``, ``sklearn`` or ``imblearn``,
  skorch nets excepted (their unpickling runs pickle);
- the trees of a fitted ``HistGradientBoosting*`` model (``TreePredictor``,
  which holds numpy arrays only);
- what skops itself trusts: built-in values and containers, numpy arrays and
  dtypes, and the scikit-learn types it knows.

Functions are never allowed by default (a ``FunctionTransformer(func)`` or a
skorch callback needs ``trusted=``). The torch estimators save their net as
plain data (module class path, ``module__*`` parameters, weights as numpy
arrays, history; see :class:`~sklearn_cells.base.TorchEstimator`), and the
module class must be a ``torch.nn.Module`` defined in ``sklearn_cells``.
"""

from __future__ import annotations

import os
import warnings
import zipfile
from collections.abc import Iterable
from typing import Any

import skops.io as sio
from sklearn.base import BaseEstimator
from skorch import NeuralNet

from ._net_state import resolve_class

__all__ = ["load", "save"]

_PACKAGES = ("sklearn_cells", "sklearn", "imblearn")
# Plain data holders inside allowed estimators (a fitted HistGradientBoosting*
# keeps its trees as these): arrays and numbers, no code.
_DATA_TYPES = frozenset({"sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor"})


def _is_allowed(type_name: str) -> bool:
    """Whether ``type_name`` is an estimator class of an allowed package, or data."""
    if type_name in _DATA_TYPES:
        return True
    cls = resolve_class(type_name, _PACKAGES, BaseEstimator)
    return cls is not None and not issubclass(cls, NeuralNet)


def _refused(untrusted: Iterable[str], trusted: Iterable[str]) -> list[str]:
    extra = set(trusted)
    return sorted(t for t in untrusted if t not in extra and not _is_allowed(t))


def save(model: Any, path: str | os.PathLike) -> None:
    """Save an estimator or a pipeline to ``path`` in a format safe to load.

    Unlike pickle and joblib, the file holds no code: :func:`load` refuses
    any type outside its allow-list, so loading a file from an untrusted
    source cannot run code. Fitted torch estimators are saved with their
    weights on the CPU, so a model trained on a GPU loads on a machine
    without one.

    Parameters
    ----------
    model : estimator or Pipeline
        Fitted or not: any scikit-learn, imbalanced-learn or sklearn-cells
        estimator, or a (imblearn or sklearn) ``Pipeline`` of them.
    path : str or path-like
        File to write (overwritten); ``.skops`` is the usual extension.

    Warns
    -----
    UserWarning
        If the model holds types that :func:`load` refuses by default (a
        function, a skorch callback, ...), with the ``trusted=`` list that
        loads it.

    See Also
    --------
    load : Load a model saved by this function.

    Examples
    --------
    >>> import tempfile, os
    >>> import numpy as np
    >>> from sklearn_cells import LSTMTrajectoryClassifier, load, save
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(12, 10, 2)); y = np.repeat([0, 1], 6)
    >>> X[y == 1] += 1
    >>> clf = LSTMTrajectoryClassifier(hidden_size=4, max_epochs=2, random_state=0).fit(X, y)
    >>> path = os.path.join(tempfile.mkdtemp(), "model.skops")
    >>> save(clf, path)
    >>> bool((load(path).predict_proba(X) == clf.predict_proba(X)).all())
    True
    """
    data = sio.dumps(model)
    refused = _refused(sio.get_untrusted_types(data=data), ())
    if refused:
        warnings.warn(
            f"{os.fspath(path)!r} holds types that sklearn_cells.load refuses by default: "
            f"{refused}. Load it with load(path, trusted={refused}) if you trust the file.",
            UserWarning,
            stacklevel=2,
        )
    with open(path, "wb") as f:
        f.write(data)


def load(path: str | os.PathLike, *, trusted: Iterable[str] = ()) -> Any:
    """Load a model saved by :func:`save`, refusing files that could run code.

    The file's types are checked before anything is built: it loads only if
    every type is allowed (scikit-learn-compatible estimators defined in
    ``sklearn_cells``, ``sklearn`` or ``imblearn``, and the numpy and built-in
    types skops trusts) or listed in ``trusted``. A fitted torch estimator
    predicts on the device it was saved from when that device is present,
    else on the CPU.

    Parameters
    ----------
    path : str or path-like
        A file written by :func:`save` (or by ``skops.io.dump``).
    trusted : iterable of str, default=()
        Further type names (as in the error message) to allow. Trusting a
        type means trusting its code with the file's data: list only types
        you have checked, for files you trust.

    Returns
    -------
    model : estimator or Pipeline

    Raises
    ------
    TypeError
        If the file names types outside the allow-list; the message lists
        them. Nothing from the file is built.
    ValueError
        If the file is not in skops' format (e.g. a pickle or joblib file,
        which must never be loaded from an untrusted source).

    See Also
    --------
    save : Save a model in this format.

    Examples
    --------
    >>> import tempfile, os
    >>> from sklearn_cells import TrajectoryScaler, load, save
    >>> path = os.path.join(tempfile.mkdtemp(), "scaler.skops")
    >>> save(TrajectoryScaler(), path)
    >>> load(path)
    TrajectoryScaler()
    """
    if isinstance(trusted, str):
        raise TypeError(f"trusted must be a list of type names; got the string {trusted!r}.")
    trusted = list(trusted)
    with open(path, "rb") as f:
        data = f.read()
    try:
        untrusted = sio.get_untrusted_types(data=data)
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise ValueError(
            f"{os.fspath(path)!r} is not a model file written by sklearn_cells.save (skops "
            "format). Pickle and joblib files run code when loaded: load them only if you "
            "trust their source, with pickle.load or joblib.load."
        ) from exc
    refused = _refused(untrusted, trusted)
    if refused:
        raise TypeError(
            f"refusing to load {os.fspath(path)!r}: it holds types outside sklearn_cells.load's "
            f"allow-list: {refused}. Loading them could run code. If you created the file or "
            f"trust its source and these types, pass load(path, trusted={refused})."
        )
    return sio.loads(data, trusted=sorted(set(untrusted)))
