"""Sphinx configuration for sklearn-cells.

Build with ``make -C docs html`` (examples are not run: fast) or
``make -C docs html-plot`` / ``SKLEARN_CELLS_DOCS_PLOT=1 make -C docs html``
(examples are run in their quick mode and their output and figures embedded:
minutes; ``SKLEARN_CELLS_EXAMPLES_QUICK=0`` runs them at full size, hours on a
CPU). ``SKLEARN_CELLS_DOCS_OFFLINE=1`` skips the intersphinx inventories (no
network); CI builds that way with ``-W`` (see ``docs/contributing.rst``).

The API page is generated from the package itself: every sub-package's
``__all__`` becomes one section of ``api.rst`` (see :func:`_write_api_sections`),
so a new export appears in the docs without editing any ``.rst`` file.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
import sys
from pathlib import Path

from sphinx.util import logging

DOCS_DIR = Path(__file__).resolve().parent
# Build from the checkout even when the package is not installed.
sys.path.insert(0, str(DOCS_DIR.parent))

import sklearn_cells  # noqa: E402

logger = logging.getLogger(__name__)

# -- Project -----------------------------------------------------------------

project = "sklearn-cells"
author = "The sklearn-cells developers"
copyright = "The sklearn-cells developers"
version = release = sklearn_cells.__version__

# -- General -----------------------------------------------------------------

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]
templates_path = ["_templates"]
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store"]
default_role = "literal"

# autodoc / autosummary / numpydoc: numpydoc renders the docstrings; the class
# template (``_templates/autosummary/class.rst``) lists the methods once.
autosummary_generate = True
autodoc_typehints = "none"  # the numpydoc "Parameters" sections carry the types
autodoc_member_order = "groupwise"
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False

intersphinx_mapping = {
    "python": ("https://docs.python.org/3", None),
    "numpy": ("https://numpy.org/doc/stable", None),
    "sklearn": ("https://scikit-learn.org/stable", None),
    "imblearn": ("https://imbalanced-learn.org/stable", None),
    "skorch": ("https://skorch.readthedocs.io/en/stable", None),
    "torch": ("https://docs.pytorch.org/docs/stable", None),
    "matplotlib": ("https://matplotlib.org/stable", None),
}
if os.environ.get("SKLEARN_CELLS_DOCS_OFFLINE"):
    intersphinx_mapping = {}
intersphinx_timeout = 10

# -- Example gallery ---------------------------------------------------------

# The examples train neural networks for minutes each, so by default the
# gallery only renders their code and text; SKLEARN_CELLS_DOCS_PLOT=1 (make
# html-plot) or ``-D plot_gallery=1`` runs them.
_run_examples = os.environ.get("SKLEARN_CELLS_DOCS_PLOT", "0").lower() not in ("", "0", "false")
plot_gallery = "True" if _run_examples else "False"  # sphinx-gallery's own type is str

# How the examples run inside the build (they run in this process):
# - in their quick mode, unless the caller set SKLEARN_CELLS_EXAMPLES_QUICK=0;
#   every example reads the variable, the same switch as its ``--quick`` option;
# - with one torch thread: a 2-core machine runs the examples' parallel
#   cross-validation without oversubscription (two torch threads under load
#   made a fit 10 times slower), and the figures are reproducible;
# - with the links of the estimators' HTML diagrams relative to the example
#   pages (auto_examples/), so that they point at the API pages of this build.
os.environ.setdefault("SKLEARN_CELLS_EXAMPLES_QUICK", "1")
os.environ.setdefault("SKLEARN_CELLS_DOCS_URL", "../")
os.environ.setdefault("MPLBACKEND", "agg")
if _run_examples:
    import torch

    torch.set_num_threads(1)
sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",  # which files are run when plot_gallery is on
    "ignore_pattern": r"__init__\.py",
    "within_subsection_order": "FileNameSortKey",
    "doc_module": ("sklearn_cells",),
    "backreferences_dir": "generated/backreferences",
    "remove_config_comments": True,
    "show_memory": False,
    # Only worth a page (docs/sg_execution_times.rst) when examples are run.
    "write_computation_times": _run_examples,
}

# -- HTML --------------------------------------------------------------------

html_theme = "pydata_sphinx_theme"
html_title = f"sklearn-cells {release}"
html_theme_options = {
    "show_toc_level": 2,
    "navigation_with_keys": False,
}
html_show_sourcelink = False

# -- The generated API page --------------------------------------------------

# Sections of the API page, in this order; public sub-packages and modules
# with an ``__all__`` that are not named here follow alphabetically, and those
# that export nothing are left out. Names exported only at the root
# (``save``, ``load``) get their own section first.
API_SECTION_ORDER = ["trajectory", "image", "video", "sampling", "datasets", "metrics",
                     "plotting", "nn", "base"]
API_SECTIONS_FILE = DOCS_DIR / "generated" / "api_sections.txt"  # included by api.rst


def _public_subpackages() -> list[str]:
    names = [m.name for m in pkgutil.iter_modules(sklearn_cells.__path__)
             if not m.name.startswith("_")]
    rank = {name: i for i, name in enumerate(API_SECTION_ORDER)}
    return sorted(names, key=lambda name: (rank.get(name, len(rank)), name))


def _root_only_names() -> list[str]:
    """Names exported at the root that no public sub-package or module exports."""
    exported = set()
    for sub in _public_subpackages():
        try:
            exported.update(getattr(importlib.import_module(f"sklearn_cells.{sub}"),
                                    "__all__", []))
        except Exception:  # reported by _api_sections_rst
            pass
    return sorted((n for n in sklearn_cells.__all__ if n not in exported), key=str.lower)


def _api_sections_rst() -> str:
    """One autosummary section per sub-package, listing its ``__all__``.

    Names also exported at the top level are documented there
    (``sklearn_cells.LSTMTrajectoryClassifier``, as users import them and as
    sphinx-gallery links them); the others under their sub-package.
    """
    top_level = set(sklearn_cells.__all__)
    documented: set[str] = set()
    blocks = []
    root_only = _root_only_names()
    if root_only:
        title = "Saving and loading models"
        rows = [title, "-" * len(title), "",
                ".. automodule:: sklearn_cells._persistence", "   :no-members:", "",
                ".. currentmodule:: sklearn_cells", "",
                ".. autosummary::", "   :toctree: generated", "   :nosignatures:", ""]
        rows += [f"   {n}" for n in root_only] + [""]
        blocks.append("\n".join(rows))
        documented.update(root_only)
    for sub in _public_subpackages():
        modname = f"sklearn_cells.{sub}"
        try:
            module = importlib.import_module(modname)
        except Exception as exc:  # a sub-package under construction must not stop the build
            logger.warning("API page: cannot import %s (%s: %s); section skipped.",
                           modname, type(exc).__name__, exc)
            continue
        names = [n for n in getattr(module, "__all__", []) if not n.startswith("_")]
        # One entry per object: a name exported by two sub-packages is listed once.
        names = [n for n in names if n not in documented]
        if not names:
            continue
        documented.update(names)
        title = f":mod:`{modname}`"
        rows = [title, "-" * len(title), "", f".. automodule:: {modname}", ""]
        for in_top, current in ((True, "sklearn_cells"), (False, modname)):
            chosen = sorted((n for n in names if (n in top_level) == in_top), key=str.lower)
            if not chosen:
                continue
            rows += [f".. currentmodule:: {current}", "",
                     ".. autosummary::", "   :toctree: generated", "   :nosignatures:", ""]
            rows += [f"   {n}" for n in chosen] + [""]
        blocks.append("\n".join(rows))
    return "\n".join(blocks) if blocks else "Nothing is exported yet.\n"


def _write_api_sections(app) -> None:
    """Write the API sections and their autosummary stubs (builder-inited).

    ``api.rst`` includes the file; autosummary's own stub generation only scans
    ``.rst`` documents, so the stubs for the included file are generated here.
    """
    from sphinx.ext.autosummary.generate import generate_autosummary_docs

    text = _api_sections_rst()
    API_SECTIONS_FILE.parent.mkdir(parents=True, exist_ok=True)
    # Rewrite only on change, so that an unchanged API does not rebuild api.rst.
    if not API_SECTIONS_FILE.exists() or API_SECTIONS_FILE.read_text() != text:
        API_SECTIONS_FILE.write_text(text)
    generate_autosummary_docs([str(API_SECTIONS_FILE)], output_dir=API_SECTIONS_FILE.parent,
                              app=app,
                              overwrite=app.config.autosummary_generate_overwrite)


def _resolve_public_alias(app, env, node, contnode):
    """Resolve ``sklearn_cells.<sub>.Name`` to the documented ``sklearn_cells.Name``.

    Docstrings and examples refer to objects by either path; the API page
    documents each once, under its top-level name when it has one.
    """
    target = node.get("reftarget", "")
    if node.get("refdomain") != "py" or not target.startswith("sklearn_cells."):
        return None
    parts = target.split(".")
    top_level = set(sklearn_cells.__all__)
    for i in range(2, len(parts)):
        if parts[i] in top_level:
            alias = ".".join(["sklearn_cells", *parts[i:]])
            return env.get_domain("py").resolve_xref(
                env, node["refdoc"], app.builder, node["reftype"], alias, node, contnode)
    return None


# Plumbing that every scikit-learn estimator inherits; its docstrings point to
# scikit-learn's user guide, and it says nothing about this package. Our own
# ``set_output`` (the opt-out of transformers with non-tabular output) is kept.
_SKIPPED_INHERITED = {"get_metadata_routing", "set_output"}


def _skip_sklearn_plumbing(app, what, name, obj, skip, options):
    if name.startswith("set_") and name.endswith("_request"):
        return True
    # The methods a torch.nn.Module inherits (forward hooks, state_dict, ...)
    # are torch's to document.
    if (getattr(obj, "__module__", None) or "").startswith("torch."):
        return True
    if name in _SKIPPED_INHERITED and not (getattr(obj, "__module__", None) or "").startswith(
            "sklearn_cells"):
        return True
    return None


def _inherited_sklearn_label(app, env, node, contnode):
    """Render scikit-learn's user-guide labels in inherited docstrings as text.

    Inherited methods (``ClassifierMixin.score``) cite labels of scikit-learn's
    own docs (``:ref:`accuracy <accuracy_score>```). Online, intersphinx
    resolves them; in an offline build they would be undefined-label warnings
    about text we do not own, so they become plain text. Only references from
    docstrings of scikit-learn objects are touched.
    """
    if intersphinx_mapping or node.get("reftype") != "ref":
        return None
    if "docstring of sklearn." not in (node.source or ""):
        return None
    return contnode


def setup(app):
    # Before autosummary's own builder-inited handler (priority 500).
    app.connect("builder-inited", _write_api_sections, priority=400)
    app.connect("missing-reference", _resolve_public_alias)
    app.connect("missing-reference", _inherited_sklearn_label)
    app.connect("autodoc-skip-member", _skip_sklearn_plumbing)
