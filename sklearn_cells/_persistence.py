"""Save and load fitted models without pickle: :func:`save` and :func:`load`.

A pickle or joblib file runs whatever code it names while it is loaded, so a
model file from someone else is a program from someone else. :func:`save`
writes skops' format (:mod:`skops.io`), a zip of JSON and numpy arrays that
names the type of every object it holds, and :func:`load` builds only the
types of an allow-list, refusing the whole file, before anything is built or
imported, if it names any other. The allow-list is what skops itself trusts
(built-in values and containers, numpy arrays and dtypes, scikit-learn's
public estimators) and :data:`ALLOWED_TYPES`:

- the estimators of the sub-packages (those of ``sklearn_cells.__all__`` and of
  ``sklearn_cells.tracking``);
- ``imblearn.pipeline.Pipeline`` and the imbalanced-learn samplers that
  :class:`~sklearn_cells.sampling.NDSampler` wraps (``imblearn.over_sampling``,
  ``imblearn.under_sampling``, ``imblearn.combine``);
- the trees of the gradient boosting that ``LSTMTrajectoryClassifier`` fits
  (``TreePredictor``, numpy arrays only), whose node indices are checked
  after loading: scikit-learn reads them without bounds checks, which is why
  skops does not trust this type.

Functions are never allowed by default (a ``FunctionTransformer(func)`` or a
skorch callback needs ``trusted=``). The torch estimators save their net as
plain data (module class path, ``module__*`` parameters, weights as numpy
arrays, history; see :mod:`sklearn_cells._net_state`): the module class must
be one that the estimators build, and the weights must fit the module that
the saved parameters build, which is checked before building it.
"""

from __future__ import annotations

import itertools
import os
import sys
import warnings
import zipfile
from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np
import skops.io as sio
from imblearn import combine, over_sampling, under_sampling
from imblearn.pipeline import Pipeline as ImbPipeline
from sklearn.base import BaseEstimator
from sklearn.ensemble._hist_gradient_boosting.common import PREDICTOR_RECORD_DTYPE
from sklearn.ensemble._hist_gradient_boosting.gradient_boosting import BaseHistGradientBoosting
from sklearn.ensemble._hist_gradient_boosting.predictor import TreePredictor

# The subpackages whose __all__ make up sklearn_cells.__all__ (sklearn_cells
# itself is still being imported when this module is).
from . import datasets, image, metrics, plotting, sampling, tracking, trajectory, video

__all__ = ["ALLOWED_TYPES", "load", "save"]


def _type_name(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def _estimator_names(*modules) -> set[str]:
    """The type names of the estimator classes in the ``__all__`` of ``modules``."""
    objects = (getattr(module, name) for module in modules for name in module.__all__)
    return {_type_name(obj) for obj in objects
            if isinstance(obj, type) and issubclass(obj, BaseEstimator)}


#: Type names that :func:`load` builds beyond those skops trusts by default.
#: Fixed when sklearn_cells is imported: a name read from a file is compared
#: with these strings, so a file cannot make loading import any module (one
#: that splits an allowed name elsewhere names at most a package these import).
ALLOWED_TYPES = frozenset(
    _estimator_names(datasets, image, metrics, plotting, sampling, tracking, trajectory, video)
    | _estimator_names(over_sampling, under_sampling, combine)
    | {_type_name(ImbPipeline), _type_name(TreePredictor)}
)


def _refused(untrusted: Iterable[str], trusted: Iterable[str]) -> list[str]:
    allowed = ALLOWED_TYPES | set(trusted)
    return sorted(set(untrusted) - allowed)


_MISSING = object()


def _reachable(type_name: str) -> bool:
    """Whether ``type_name`` ("module.Name" or "module.Class.method") names an
    attribute of an imported module, as :func:`load` will look it up.

    A lambda or a function or class defined inside a function is not one. The
    object being saved is in memory, so its module is already imported.
    """
    parts = type_name.split(".")
    for i in range(len(parts) - 1, 0, -1):
        obj = sys.modules.get(".".join(parts[:i]))
        if obj is not None:
            for attribute in parts[i:]:
                obj = getattr(obj, attribute, _MISSING)
            return obj is not _MISSING
    return False


def _not_a_model_file(path: str | os.PathLike, reason: str) -> ValueError:
    return ValueError(f"{os.fspath(path)!r} is not a model file written by sklearn_cells.save: "
                      f"{reason}")


def _untrusted_types(data: bytes, path: str | os.PathLike) -> list[str]:
    """The type names of the file that skops does not trust, read without building anything."""
    try:
        return sio.get_untrusted_types(data=data)
    except zipfile.BadZipFile as exc:
        raise _not_a_model_file(
            path, "it is not a skops zip file, or a truncated one. Pickle and joblib files run "
            "code when loaded: load them only if you trust their source, with pickle.load or "
            "joblib.load."
        ) from exc
    except Exception as exc:  # skops reading a malformed schema: KeyError, TypeError, ...
        raise _not_a_model_file(path, f"its schema is malformed: {str(exc).strip()}") from exc


def _estimators(obj: Any, seen: set[int]) -> Iterator[BaseEstimator]:
    """The estimators in ``obj``, their attributes and their lists, tuples and dicts."""
    if id(obj) in seen:
        return
    seen.add(id(obj))
    if isinstance(obj, BaseEstimator):
        yield obj
        children = vars(obj).values()
    elif isinstance(obj, (list, tuple)):
        children = obj
    elif isinstance(obj, dict):
        children = obj.values()
    else:
        return
    for child in children:
        yield from _estimators(child, seen)


def _tree_problem(tree: Any, n_features: int) -> str | None:
    """What is wrong with a TreePredictor's nodes, or None.

    scikit-learn walks them without bounds checks, so a crafted tree could
    make predict read outside memory or loop forever (which is why skops
    does not trust TreePredictor). A fitted tree numbers each node's children
    after it, splits on features it was fitted on, and here only on numeric
    ones (the boosting of LSTMTrajectoryClassifier has no categorical ones).
    """
    nodes = getattr(tree, "nodes", None)
    if not (isinstance(nodes, np.ndarray) and nodes.dtype == PREDICTOR_RECORD_DTYPE
            and nodes.ndim == 1 and nodes.size):
        return "is not an array of nodes"
    splits = np.flatnonzero(nodes["is_leaf"] == 0)
    for child in ("left", "right"):
        index = nodes[child][splits].astype(np.int64)
        if np.any((index <= splits) | (index >= nodes.size)):
            return "links to nodes outside it, or back"
    if np.any((nodes["feature_idx"][splits] < 0) | (nodes["feature_idx"][splits] >= n_features)):
        return "splits on features the model does not have"
    if np.any(nodes["is_categorical"][splits]):
        return ("has categorical splits, which load does not check (pass "
                f"trusted=[{_type_name(TreePredictor)!r}] if you trust the file)")
    return None


def _check_trees(model: Any, path: str | os.PathLike) -> None:
    """Refuse the gradient-boosting trees in ``model`` that scikit-learn would misread."""
    for estimator in _estimators(model, set()):
        if isinstance(estimator, BaseHistGradientBoosting):
            n_features = getattr(estimator, "n_features_in_", 0)
            for tree in itertools.chain.from_iterable(getattr(estimator, "_predictors", [])):
                problem = _tree_problem(tree, n_features)
                if problem:
                    raise _not_a_model_file(path, f"a gradient-boosting tree {problem}.")


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

    Raises
    ------
    TypeError
        If the model holds something that could never be loaded back: a
        lambda, a function or class defined inside a function, or a bound
        method that its class inherits (nothing is written).

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
    try:
        untrusted = sio.get_untrusted_types(data=data)
    except ValueError as exc:  # e.g. a bound method that its class inherits
        raise TypeError(
            f"cannot save {os.fspath(path)!r}: skops cannot read back what it writes for this "
            f"model ({exc})"
        ) from exc
    # skops writes a lambda or a local function as "module.name", which no
    # load can find: refuse it now rather than when the file is needed.
    unreachable = [name for name in untrusted if not _reachable(name)]
    if unreachable:
        raise TypeError(
            f"cannot save {os.fspath(path)!r}: the model holds {unreachable}, which cannot be "
            "loaded back (a lambda, or a function or class defined inside a function). "
            "Define it at the top level of a module and use it from there."
        )
    refused = _refused(untrusted, ())
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

    The file's types are checked before anything is built or imported: it
    loads only if every type is allowed (the estimators of sklearn_cells, the
    imbalanced-learn pipeline and samplers, see :data:`ALLOWED_TYPES`, and the
    built-in, numpy and scikit-learn types skops trusts) or listed in
    ``trusted``. The weights of a torch estimator are checked against the
    shapes that its saved parameters ask for before its network is built,
    and the trees of gradient boosting (``TreePredictor``) against what
    scikit-learn's prediction reads (unless that type is in ``trusted``). A
    fitted torch estimator predicts on the device it was saved from when that
    device is present, else on the CPU.

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
        If the file is not a model file written by :func:`save`: not in
        skops' format (e.g. a pickle or joblib file, which must never be
        loaded from an untrusted source), corrupted or truncated, with an
        unknown kind of node, with weights that do not fit the saved network
        parameters, or with gradient-boosting trees whose nodes point outside
        them. The message names the file; the cause is chained.

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
    untrusted = _untrusted_types(data, path)
    refused = _refused(untrusted, trusted)
    if refused:
        raise TypeError(
            f"refusing to load {os.fspath(path)!r}: it holds types outside sklearn_cells.load's "
            f"allow-list: {refused}. Loading them could run code. If you created the file or "
            f"trust its source and these types, pass load(path, trusted={refused})."
        )
    try:
        model = sio.loads(data, trusted=sorted(set(untrusted)))
    except Exception as exc:  # only allowed types are built: whatever fails is the file's
        raise _not_a_model_file(
            path, f"it is corrupted, or was written by another version: {str(exc).strip()}"
        ) from exc
    if _type_name(TreePredictor) not in trusted:
        _check_trees(model, path)
    return model
