"""Cell Tracking Challenge format (write / read), CTC measures, and the PSC silver truth."""

import numpy as np
import pytest

pytest.importorskip("laptrack")
tifffile = pytest.importorskip("tifffile")

from sklearn_cells.datasets import load_ctc_sequence, make_timelapse  # noqa: E402
from sklearn_cells.metrics import ctc_tracking_scores, link_scores  # noqa: E402
from sklearn_cells.tracking import (  # noqa: E402
    link_instances,
    read_ctc_tracks,
    tracks_from_labels,
    write_ctc_tracks,
)


def _dividing(n_frames=20):
    X, y, tracks = make_timelapse(n_sequences=1, n_frames=n_frames, frame_shape=(64, 64),
                                  n_cells=4, speed=1.0, division_rate=0.06,
                                  instance_masks=True, return_tracks=True, random_state=1)
    return y, tracks.drop(columns="sequence_id")


def test_write_then_read_gives_the_same_tracks(tmp_path):
    y, tracks = _dividing()
    assert (tracks["parent_id"] > 0).any()
    folder = write_ctc_tracks(tmp_path / "01_RES", tracks, y)
    names = sorted(p.name for p in folder.iterdir())
    assert names[0] == "mask000.tif" and names[-1] == "res_track.txt" and len(names) == 21
    assert tifffile.imread(folder / "mask005.tif").dtype == np.uint16
    back = read_ctc_tracks(folder)
    assert np.array_equal(back.labels, y)
    cols = ["track_id", "t", "parent_id"]
    assert back.tracks[cols].values.tolist() == tracks[cols].values.tolist()
    np.testing.assert_allclose(back.tracks[["y", "x", "area"]], tracks[["y", "x", "area"]])
    first = tracks.groupby("track_id")["t"].agg(["min", "max"])
    for label, b, e, p in back.lines:
        assert (first.loc[label, "min"], first.loc[label, "max"]) == (b, e)


def test_a_gap_is_written_as_a_continuation_track(tmp_path):
    y, tracks = _dividing(8)
    gappy = tracks[~((tracks.track_id == 1) & (tracks.t == 3))]
    y_gap = y.copy()
    y_gap[3][y_gap[3] == 1] = 0
    truth_folder = write_ctc_tracks(tmp_path / "01_GT", gappy, y_gap, truth=True)
    assert truth_folder.name == "TRA" and (truth_folder / "man_track003.tif").is_file()
    lines = read_ctc_tracks(tmp_path / "01_GT").lines
    new = lines[lines[:, 0] > tracks.track_id.max()]
    assert new.tolist() == [[tracks.track_id.max() + 1, 4, 7, 1]]  # continues 1 after t=3
    assert lines[lines[:, 0] == 1, 2].tolist() == [2]


def test_read_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="neither man_track.txt"):
        read_ctc_tracks(tmp_path)
    (tmp_path / "res_track.txt").write_text("1 0 0 0\n")
    with pytest.raises(FileNotFoundError, match="no label images"):
        read_ctc_tracks(tmp_path)


def test_ctc_measures_from_py_ctcmetrics():
    pytest.importorskip("ctc_metrics")
    y, tracks = _dividing()
    result = link_instances(y)
    perfect = ctc_tracking_scores(tracks, y, tracks, y)
    assert perfect["TRA"] == pytest.approx(1.0) and perfect["DET"] == pytest.approx(1.0)
    scores = ctc_tracking_scores(tracks, y, result.tracks, result.labels)
    assert scores["TRA"] >= 0.95 and scores["DET"] == pytest.approx(1.0)
    worse = link_instances(y, max_gap=0, divisions=False, max_distance=2.0)
    assert ctc_tracking_scores(tracks, y, worse.tracks, worse.labels)["TRA"] < scores["TRA"]


@pytest.mark.shared_data
def test_psc_silver_truth_is_linked_with_f1_above_098(shared_data_dir):
    data = load_ctc_sequence(shared_data_dir / "PhC-C2DL-PSC", "02", truth="ST")
    masks = data.masks[:20]  # the whole sequence scores 0.997 (tracking guide)
    truth = tracks_from_labels(masks)
    result = link_instances(masks)
    scores = link_scores(truth, masks, result.tracks, result.labels)
    assert scores["f1"] >= 0.98 and scores["recall"] >= 0.99


def test_without_py_ctcmetrics_the_error_says_what_to_install(monkeypatch):
    import sys

    y, tracks = _dividing(4)
    for name in ("ctc_metrics", "ctc_metrics.scripts", "ctc_metrics.scripts.evaluate"):
        monkeypatch.setitem(sys.modules, name, None)  # also once imported by a test before
    with pytest.raises(ImportError, match="py-ctcmetrics"):
        ctc_tracking_scores(tracks, y, tracks, y)
