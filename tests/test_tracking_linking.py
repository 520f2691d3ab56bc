"""link_instances / link_detections: quality on scenes with known tracks, and bad input."""

import sys

import numpy as np
import pytest

pytest.importorskip("laptrack")
pd = pytest.importorskip("pandas")

from sklearn_cells.datasets import make_timelapse  # noqa: E402
from sklearn_cells.image import TimelapseFrames  # noqa: E402
from sklearn_cells.metrics import division_scores, link_scores  # noqa: E402
from sklearn_cells.tracking import (  # noqa: E402
    link_detections,
    link_instances,
    tracks_from_labels,
)


def _disk(frame, y, x, r, label):
    yy, xx = np.ogrid[:frame.shape[0], :frame.shape[1]]
    frame[(yy - y) ** 2 + (xx - x) ** 2 <= r * r] = label


def _scene(n_frames=8, gap_at=None, divide_at=None, shape=(64, 64)):
    """Two cells moving right (labels shuffled per frame) and their true label frames.

    Cell A (true id 1) moves along y=16; with ``divide_at`` it divides there into 3 and 4
    (at y=12 and y=20). Cell B (true id 2) moves along y=48 and is missed at ``gap_at``.
    """
    rng = np.random.default_rng(0)
    seen = np.zeros((n_frames,) + shape, np.int32)
    truth = np.zeros_like(seen)
    for t in range(n_frames):
        cells = []
        if divide_at is None or t < divide_at:
            cells.append((16, 8 + 3 * t, 5, 1))
        else:
            cells += [(12, 8 + 3 * t, 4, 3), (20, 8 + 3 * t, 4, 4)]
        if t != gap_at:
            cells.append((48, 8 + 3 * t, 5, 2))
        shown = rng.permutation(len(cells)) + 1 + 10 * t  # labels differ every frame
        for (y, x, r, true_id), label in zip(cells, shown):
            _disk(seen[t], y, x, r, label)
            _disk(truth[t], y, x, r, true_id)
    parents = {3: 1, 4: 1} if divide_at is not None else None
    return seen, truth, tracks_from_labels(truth, parents=parents)


def test_each_cell_keeps_one_label_and_trajectories_follow_it():
    seen, truth, true_tracks = _scene()
    result = link_instances(seen)
    assert result.tracks["track_id"].nunique() == 2
    assert link_scores(true_tracks, truth, result.tracks, result.labels)["f1"] == 1.0
    for track_id, traj in zip(result.track_ids, result.trajectories):
        assert traj.shape == (8, 2)
        np.testing.assert_allclose(np.diff(traj[:, 0]), 3.0)  # x grows 3 px per frame
        rows = result.tracks[result.tracks.track_id == track_id]
        for t, label in zip(rows["t"], rows["label"]):  # relabelled pixels = input pixels
            assert np.array_equal(result.labels[t] == track_id, seen[t] == label)


def test_a_gap_is_closed_within_max_gap_and_interpolated():
    seen, truth, true_tracks = _scene(gap_at=3)
    result = link_instances(seen, divisions=False)
    assert result.tracks["track_id"].nunique() == 2
    assert link_scores(true_tracks, truth, result.tracks, result.labels)["f1"] == 1.0
    gappy = result.tracks.groupby("track_id")["t"].count().idxmin()
    traj = result.trajectories[list(result.track_ids).index(gappy)]
    assert traj.shape == (8, 2) and traj[3, 0] == pytest.approx(8 + 3 * 3)
    broken = link_instances(seen, max_gap=0, divisions=False)
    assert broken.tracks["track_id"].nunique() == 3


def test_a_division_is_found_with_lineage():
    seen, truth, true_tracks = _scene(divide_at=4)
    result = link_instances(seen)
    first = result.tracks.groupby("track_id").first()
    daughters = first[first["parent_id"] > 0]
    assert len(daughters) == 2 and daughters["parent_id"].nunique() == 1
    mother = daughters["parent_id"].iloc[0]
    assert result.tracks.loc[result.tracks.track_id == mother, "t"].max() == 3
    assert division_scores(true_tracks, truth, result.tracks, result.labels)["f1"] == 1.0
    assert link_scores(true_tracks, truth, result.tracks, result.labels)["f1"] == 1.0
    none = link_instances(seen, divisions=False)
    assert (none.tracks["parent_id"] == 0).all()


def test_synthetic_moving_touching_dividing_cells():
    X, y, tracks = make_timelapse(n_sequences=2, n_frames=25, frame_shape=(96, 96),
                                  n_cells=6, speed=1.0, division_rate=0.04, touching=0.3,
                                  instance_masks=True, return_tracks=True, random_state=0)
    result = link_instances(TimelapseFrames(y, X.sequence_ids))
    assert set(result.tracks["sequence_id"]) == {0, 1}
    assert not set(result.tracks.track_id[result.tracks.sequence_id == 0]) & set(
        result.tracks.track_id[result.tracks.sequence_id == 1])
    for s in (0, 1):
        m = X.sequence_ids == s
        pred = result.tracks[result.tracks.sequence_id == s]
        truth = tracks[tracks.sequence_id == s]
        assert link_scores(truth, y[m], pred, result.labels[m])["f1"] > 0.97
        assert division_scores(truth, y[m], pred, result.labels[m])["n_true"] >= 1
        assert division_scores(truth, y[m], pred, result.labels[m])["recall"] >= 0.5


def test_area_and_overlap_costs_link_the_same_easy_scene():
    seen, truth, true_tracks = _scene(divide_at=4, gap_at=6)
    for kw in (dict(area_weight=1.0), dict(overlap_weight=1.0),
               dict(area_weight=0.5, overlap_weight=0.5)):
        result = link_instances(seen, **kw)
        assert link_scores(true_tracks, truth, result.tracks, result.labels)["f1"] == 1.0


def test_link_detections_matches_link_instances():
    seen, _, _ = _scene(divide_at=4)
    result = link_instances(seen)
    det = result.tracks[["t", "y", "x", "area"]].sample(frac=1.0, random_state=0)
    linked = link_detections(det)
    assert list(linked.columns) == ["t", "y", "x", "area", "track_id", "parent_id"]
    merged = linked.merge(result.tracks, on=["t", "y", "x"], suffixes=("", "_ref"))
    assert (merged.groupby("track_id")["track_id_ref"].nunique() == 1).all()
    assert (linked["parent_id"] > 0).sum() == (result.tracks["parent_id"] > 0).sum()


def test_inputs_are_never_modified():
    seen, _, _ = _scene(divide_at=4)
    before = seen.copy()
    link_instances(seen, overlap_weight=1.0)
    assert np.array_equal(seen, before)
    det = pd.DataFrame({"t": [0, 1], "y": [1.0, 2.0], "x": [1.0, 1.0]})
    link_detections(det)
    assert list(det.columns) == ["t", "y", "x"]


def test_an_empty_frame_is_a_gap_and_a_single_frame_gives_one_point_tracks():
    seen, _, _ = _scene()
    seen = seen.copy()
    seen[2] = 0
    result = link_instances(seen)
    assert result.tracks["track_id"].nunique() == 2
    assert 2 not in set(result.tracks["t"]) and not result.labels[2].any()
    assert [len(t) for t in result.trajectories] == [8, 8]
    single = link_instances(seen[:1])
    assert len(single.tracks) == 2 and [t.shape for t in single.trajectories] == [(1, 2)] * 2
    empty = link_instances(np.zeros((3, 8, 8), np.int32))
    assert len(empty.tracks) == 0 and empty.trajectories == []
    assert empty.labels.shape == (3, 8, 8)


@pytest.mark.parametrize("labels, error, match", [
    ([np.zeros((8, 8), int), np.zeros((9, 8), int)], ValueError, "different shapes"),
    (np.zeros((2, 8, 8), float), TypeError, "integer instance labels"),
    (np.zeros((8, 8), int), ValueError, r"labels\[None\]"),
    (np.zeros((0, 8, 8), int), ValueError, "n_frames >= 1"),
    (-np.ones((2, 8, 8), int), ValueError, "negative"),
    ([], ValueError, "empty"),
])
def test_bad_label_frames_are_clear_errors(labels, error, match):
    with pytest.raises(error, match=match):
        link_instances(labels)


@pytest.mark.parametrize("kw", [dict(max_distance=0), dict(max_gap=-1), dict(max_gap=1.5),
                                dict(divisions="yes"), dict(area_weight=-1.0)])
def test_bad_parameters(kw):
    with pytest.raises(ValueError, match="link_instances"):
        link_instances(np.zeros((2, 8, 8), int), **kw)


def test_bad_detections():
    with pytest.raises(ValueError, match=r"lacks the columns \['x'\]"):
        link_detections(pd.DataFrame({"t": [0], "y": [1.0]}))
    with pytest.raises(ValueError, match="frame indices"):
        link_detections(pd.DataFrame({"t": [0.5], "y": [1.0], "x": [1.0]}))
    with pytest.raises(TypeError, match="DataFrame"):
        link_detections(np.zeros((3, 3)))


def test_without_laptrack_the_error_says_what_to_install(monkeypatch):
    import sklearn_cells  # noqa: F401 (the package itself imports without laptrack)

    monkeypatch.setitem(sys.modules, "laptrack", None)
    with pytest.raises(ImportError, match=r"sklearn-cells\[tracking\]"):
        link_instances(np.ones((2, 8, 8), int))
