"""Check a built documentation (``make -C docs html`` or ``html-plot``).

    python docs/check_build.py [BUILD_DIR] [--gallery]

Checks that

- every public name (the package's ``__all__`` and that of every public
  sub-package and module) has its API page, where the links of the
  estimators' HTML diagrams point (:func:`sklearn_cells.utils._doc_links.api_page`);
- every user-guide page was built;
- with ``--gallery`` (a build that ran the examples): every
  ``examples/plot_*.py`` has its page, each page shows at least one figure
  rendered from its own code, and every relative link of the page (the
  estimators' diagrams included) points at a file of the build.

Exits with status 1 and a list of the problems when a check fails.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import re
import sys
from pathlib import Path
from urllib.parse import urlsplit

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path.insert(0, str(ROOT))

import sklearn_cells  # noqa: E402


def public_names() -> dict[str, str]:
    """Every public name, mapped to the page the docs build writes for it."""
    pages = {}
    modules = [m.name for m in pkgutil.iter_modules(sklearn_cells.__path__)
               if not m.name.startswith("_")]
    for sub in modules:
        module = importlib.import_module(f"sklearn_cells.{sub}")
        for name in getattr(module, "__all__", []):
            if name in sklearn_cells.__all__:
                pages[name] = f"generated/sklearn_cells.{name}.html"
            else:
                pages[f"{sub}.{name}"] = f"generated/sklearn_cells.{sub}.{name}.html"
    for name in sklearn_cells.__all__:
        pages.setdefault(name, f"generated/sklearn_cells.{name}.html")
    return pages


def check_api(build: Path) -> list[str]:
    from sklearn_cells.utils._doc_links import api_page

    problems = [f"no API page for {name} ({page})"
                for name, page in sorted(public_names().items())
                if not (build / page).is_file()]
    for name in sklearn_cells.__all__:
        obj = getattr(sklearn_cells, name)
        if isinstance(obj, type) and hasattr(obj, "_get_doc_link"):
            if not (build / api_page(obj)).is_file():
                problems.append(f"the HTML diagram of {name} links to a missing page "
                                f"{api_page(obj)}")
    return problems


def check_user_guide(build: Path) -> list[str]:
    return [f"user-guide page {page.name} was not built"
            for page in sorted((DOCS / "user_guide").glob("*.rst"))
            if not (build / "user_guide" / f"{page.stem}.html").is_file()]


def check_gallery(build: Path) -> list[str]:
    problems = []
    examples = sorted((ROOT / "examples").glob("plot_*.py"))
    if not examples:
        return ["no examples/plot_*.py found"]
    for example in examples:
        page = build / "auto_examples" / f"{example.stem}.html"
        if not page.is_file():
            problems.append(f"{example.name}: no page {page.relative_to(build)}")
            continue
        html = page.read_text(encoding="utf-8")
        figures = re.findall(rf'<img[^>]+src="([^"]*sphx_glr_{re.escape(example.stem)}_\d+\.png)"',
                             html)
        if not figures:
            problems.append(f"{example.name}: its page shows no figure (was the gallery run?)")
        for src in figures:
            if not (page.parent / src).resolve().is_file():
                problems.append(f"{example.name}: figure {src} is missing")
        for href in re.findall(r'href="([^"]+)"', html):
            parts = urlsplit(href)
            if parts.scheme or parts.netloc or not parts.path or href.startswith("#"):
                continue
            if not (page.parent / parts.path).resolve().exists():
                problems.append(f"{example.name}: broken link {href}")
    return problems


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Check a built documentation.")
    parser.add_argument("build", nargs="?", type=Path, default=DOCS / "_build" / "html",
                        help="the HTML build folder (default: docs/_build/html)")
    parser.add_argument("--gallery", action="store_true",
                        help="also require an executed gallery with a figure per example")
    args = parser.parse_args(argv)
    if not (args.build / "index.html").is_file():
        print(f"{args.build} holds no built documentation (index.html)", file=sys.stderr)
        return 1
    problems = check_api(args.build) + check_user_guide(args.build)
    if args.gallery:
        problems += check_gallery(args.build)
    for problem in problems:
        print(problem, file=sys.stderr)
    n_examples = len(list((ROOT / "examples").glob("plot_*.py")))
    print(f"checked {len(public_names())} API pages, the user guide"
          + (f" and {n_examples} example pages" if args.gallery else "")
          + (f": {len(problems)} problem(s)" if problems else ": all present"))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
