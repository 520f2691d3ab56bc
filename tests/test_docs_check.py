"""docs/check_build.py: the check that every example page shows a figure and every
public name has its API page (run by ``make -C docs html-plot`` and by CI)."""

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("check_build", ROOT / "docs" / "check_build.py")
check_build = importlib.util.module_from_spec(spec)
spec.loader.exec_module(check_build)

EXAMPLES = sorted(p.stem for p in (ROOT / "examples").glob("plot_*.py"))


def _fake_build(tmp_path, *, figures=True, broken_link=False):
    """A build folder holding what a successful html-plot build holds."""
    build = tmp_path / "html"
    (build / "_images").mkdir(parents=True)
    (build / "auto_examples").mkdir()
    (build / "index.html").write_text("<html></html>")
    for page in check_build.public_names().values():
        (build / page).parent.mkdir(parents=True, exist_ok=True)
        (build / page).write_text("<html></html>")
    (build / "user_guide").mkdir()
    for page in (ROOT / "docs" / "user_guide").glob("*.rst"):
        (build / "user_guide" / f"{page.stem}.html").write_text("<html></html>")
    for stem in EXAMPLES:
        body = '<a href="../generated/sklearn_cells.TrajectoryScaler.html#x">s</a>'
        if figures:
            image = f"sphx_glr_{stem}_001.png"
            (build / "_images" / image).write_bytes(b"png")
            body += f'<img src="../_images/{image}" alt="" class="sphx-glr-single-img"/>'
        if broken_link:
            body += '<a href="../generated/nothing.html">x</a>'
        (build / "auto_examples" / f"{stem}.html").write_text(f"<html>{body}</html>")
    return build


def test_examples_exist():
    assert len(EXAMPLES) >= 6


def test_complete_build_passes(tmp_path, capsys):
    build = _fake_build(tmp_path)
    assert check_build.main([str(build), "--gallery"]) == 0
    assert "all present" in capsys.readouterr().out


def test_example_page_without_figure_fails(tmp_path, capsys):
    build = _fake_build(tmp_path, figures=False)
    assert check_build.main([str(build)]) == 0  # figures are only required with --gallery
    assert check_build.main([str(build), "--gallery"]) == 1
    err = capsys.readouterr().err
    for stem in EXAMPLES:
        assert f"{stem}.py: its page shows no figure" in err


def test_missing_api_page_and_broken_link_fail(tmp_path, capsys):
    build = _fake_build(tmp_path, broken_link=True)
    (build / "generated" / "sklearn_cells.LSTMTrajectoryClassifier.html").unlink()
    assert check_build.main([str(build), "--gallery"]) == 1
    err = capsys.readouterr().err
    assert "no API page for LSTMTrajectoryClassifier" in err
    assert "the HTML diagram of LSTMTrajectoryClassifier links to a missing page" in err
    assert "broken link ../generated/nothing.html" in err


def test_no_build_is_an_error(tmp_path, capsys):
    assert check_build.main([str(tmp_path)]) == 1
    assert "holds no built documentation" in capsys.readouterr().err


@pytest.mark.parametrize("name, page", [
    ("LSTMTrajectoryClassifier", "generated/sklearn_cells.LSTMTrajectoryClassifier.html"),
    ("save", "generated/sklearn_cells.save.html"),
    ("nn.unet_receptive_field", "generated/sklearn_cells.nn.unet_receptive_field.html"),
    ("base.TorchEstimator", "generated/sklearn_cells.base.TorchEstimator.html"),
])
def test_public_names_map_to_the_pages_conf_writes(name, page):
    assert check_build.public_names()[name] == page
