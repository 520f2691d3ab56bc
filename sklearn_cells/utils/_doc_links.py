"""Links from the HTML representation of estimators to their API pages.

In a notebook, scikit-learn draws an estimator as an HTML diagram whose "?"
icon links to the estimator's documentation page, built from
``_doc_link_module`` and ``_doc_link_template``
(``sklearn.utils._repr_html.base._HTMLDocumentationLinkMixin``).
:func:`set_doc_links` sets them on every estimator the package exports, in
one place (``sklearn_cells/__init__.py``), so a new export gets its link
without any change to its class.

The page of an estimator is ``<root>generated/sklearn_cells.<Name>.html``,
where the docs build (``docs/conf.py``) writes the API page of every name
exported at the package root. The root URL of the documentation is, in this
order:

1. the environment variable ``SKLEARN_CELLS_DOCS_URL`` (read at every call,
   so it can be changed in a running session), e.g. ``file:///path/to/
   docs/_build/html/`` for a local build;
2. the ``Documentation`` entry of the installed package's project URLs
   (``[project.urls]`` in ``pyproject.toml``);
3. none: then there is no link (the diagram shows no "?" link).
"""

from __future__ import annotations

import functools
import os
from importlib import metadata

__all__ = ["DOCS_URL_ENV", "docs_url", "api_page", "set_doc_links"]

DOCS_URL_ENV = "SKLEARN_CELLS_DOCS_URL"
_DISTRIBUTION = "sklearn-cells"
# The classes exported at the package root, as registered by set_doc_links (this
# module must not import the package it is part of).
_TOP_LEVEL: set[type] = set()


@functools.cache
def _project_docs_url() -> str:
    """The installed distribution's ``Documentation`` URL, or ``""``."""
    try:
        entries = metadata.metadata(_DISTRIBUTION).get_all("Project-URL") or []
    except metadata.PackageNotFoundError:  # run from a checkout without installing
        return ""
    for entry in entries:
        label, _, url = entry.partition(",")
        if label.strip().lower() == "documentation" and url.strip():
            return url.strip()
    return ""


def docs_url() -> str:
    """Root URL of the documentation, ending in ``/``, or ``""`` when none is known.

    Examples
    --------
    >>> import os
    >>> os.environ["SKLEARN_CELLS_DOCS_URL"] = "https://example.org/sklearn-cells"
    >>> docs_url()
    'https://example.org/sklearn-cells/'
    >>> del os.environ["SKLEARN_CELLS_DOCS_URL"]
    """
    url = os.environ.get(DOCS_URL_ENV, "").strip() or _project_docs_url()
    if url and not url.endswith("/"):
        url += "/"
    return url


def api_page(cls: type) -> str:
    """Path of ``cls``'s API page relative to the documentation root.

    Classes exported at the package root (those given to :func:`set_doc_links`)
    are documented there (``generated/sklearn_cells.LSTMTrajectoryClassifier.html``);
    others under their public sub-package, as ``docs/conf.py`` lays out the API pages.
    """
    if cls in _TOP_LEVEL:
        qualified = f"sklearn_cells.{cls.__name__}"
    else:
        public = [p for p in cls.__module__.split(".") if not p.startswith("_")]
        qualified = ".".join([*public, cls.__name__])
    return f"generated/{qualified}.html"


def _doc_link_url_params(estimator) -> dict:
    # Bound as a method of the estimator by scikit-learn's _get_doc_link.
    return {"root": docs_url(), "page": api_page(type(estimator))}


def _doc_link_template(estimator) -> str:
    # No known documentation root: an empty template gives no link at all
    # (a relative link would point nowhere in a notebook).
    return "{root}{page}" if docs_url() else ""


def set_doc_links(classes) -> None:
    """Give each estimator class in ``classes``, the classes exported at the
    package root, a link to its API page.

    Sets ``_doc_link_module``, ``_doc_link_template`` and
    ``_doc_link_url_param_generator`` on each class that has scikit-learn's
    HTML documentation-link machinery (every ``BaseEstimator``); other
    classes are left alone. Subclasses defined outside ``sklearn_cells``
    get no link, as scikit-learn decides by the module of the class.

    Examples
    --------
    >>> import os
    >>> from sklearn_cells import TrajectoryScaler
    >>> os.environ["SKLEARN_CELLS_DOCS_URL"] = "https://example.org/docs/"
    >>> TrajectoryScaler()._get_doc_link()
    'https://example.org/docs/generated/sklearn_cells.TrajectoryScaler.html'
    >>> del os.environ["SKLEARN_CELLS_DOCS_URL"]
    """
    for cls in classes:
        if isinstance(cls, type):
            _TOP_LEVEL.add(cls)
        if isinstance(cls, type) and hasattr(cls, "_get_doc_link"):
            cls._doc_link_module = "sklearn_cells"
            cls._doc_link_template = property(_doc_link_template)
            cls._doc_link_url_param_generator = _doc_link_url_params
