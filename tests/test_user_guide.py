"""Run the ``>>>`` snippets of the user guide (docs/user_guide/*.rst) as doctests.

Every page must have at least one snippet, so that what the guide shows is
what the package does. The snippets use tiny data: all pages together run in
a few seconds.
"""

import doctest
from pathlib import Path

import pytest

GUIDE = Path(__file__).resolve().parents[1] / "docs" / "user_guide"
PAGES = sorted(GUIDE.glob("*.rst"))


def test_the_guide_has_its_pages():
    names = {page.stem for page in PAGES}
    assert {"index", "trajectories", "particles", "segmentation", "frame_importance",
            "metrics", "gpus", "persistence", "scaling", "choosing"} <= names


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.stem)
def test_user_guide_page(page):
    parser = doctest.DocTestParser()
    text = page.read_text(encoding="utf-8")
    test = parser.get_doctest(text, {"__name__": page.stem}, page.name, str(page), 0)
    assert test.examples, f"{page.name} has no >>> snippet"
    runner = doctest.DocTestRunner(
        optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    failures = []
    runner.run(test, out=failures.append)
    assert runner.failures == 0, "".join(failures)
