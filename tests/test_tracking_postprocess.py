"""Post-processing of track tables: short tracks, gaps, divisions, trajectories."""

import numpy as np
import pytest

pd = pytest.importorskip("pandas")
pytest.importorskip("laptrack")

from sklearn_cells.datasets import make_timelapse  # noqa: E402
from sklearn_cells.metrics import division_scores, link_scores  # noqa: E402
from sklearn_cells.tracking import (  # noqa: E402
    drop_short_tracks,
    fill_gaps,
    link_instances,
    split_at_divisions,
    tracks_to_trajectories,
)


def _table(rows):
    return pd.DataFrame(rows, columns=["track_id", "t", "y", "x", "area", "parent_id"])


def test_drop_short_tracks_keeps_lineage_consistent():
    tracks = _table([(1, 0, 0, 0, 9, 0), (1, 1, 0, 1, 9, 0),          # mother, 2 frames
                     (2, 2, 0, 2, 5, 1), (2, 3, 0, 3, 5, 1), (2, 4, 0, 4, 5, 1),
                     (3, 2, 5, 2, 5, 1)])                             # 1-frame daughter
    before = tracks.copy()
    kept = drop_short_tracks(tracks, min_length=2)
    assert sorted(kept["track_id"].unique()) == [1, 2]
    assert kept.loc[kept.track_id == 2, "parent_id"].eq(1).all()
    no_mother = drop_short_tracks(tracks, min_length=3)
    assert no_mother["track_id"].unique().tolist() == [2]
    assert no_mother["parent_id"].eq(0).all()  # its mother is gone
    pd.testing.assert_frame_equal(tracks, before)


def test_fill_gaps_interpolates_and_marks_new_rows():
    tracks = _table([(7, 0, 0.0, 0.0, 10.0, 0), (7, 3, 3.0, 6.0, 40.0, 0),
                     (8, 1, 5.0, 5.0, 4.0, 7)])
    filled = fill_gaps(tracks)
    seven = filled[filled.track_id == 7]
    assert seven["t"].tolist() == [0, 1, 2, 3]
    np.testing.assert_allclose(seven["x"], [0, 2, 4, 6])
    np.testing.assert_allclose(seven["area"], [10, 20, 30, 40])
    assert seven["interpolated"].tolist() == [False, True, True, False]
    assert len(filled[filled.track_id == 8]) == 1 and len(tracks) == 3


def test_tracks_to_trajectories_orders_by_track_and_refuses_two_rows_per_frame():
    tracks = _table([(2, 0, 1.0, 2.0, 1, 0), (1, 0, 5.0, 6.0, 1, 0), (1, 1, 5.0, 7.0, 1, 0)])
    trajectories, ids = tracks_to_trajectories(tracks, return_track_ids=True)
    assert ids.tolist() == [1, 2]
    np.testing.assert_array_equal(trajectories[0], [[6.0, 5.0], [7.0, 5.0]])
    with pytest.raises(ValueError, match="two rows at t=0"):
        tracks_to_trajectories(_table([(1, 0, 0, 0, 1, 0), (1, 0, 1, 1, 1, 0)]))
    with pytest.raises(ValueError, match=r"lacks the columns \['parent_id'\]"):
        tracks_to_trajectories(tracks.drop(columns="parent_id"))


def test_split_at_divisions_recovers_divisions_linked_without_them():
    X, y, truth = make_timelapse(n_sequences=1, n_frames=30, frame_shape=(96, 96), n_cells=5,
                                 speed=1.0, division_rate=0.05, instance_masks=True,
                                 return_tracks=True, random_state=3)
    plain = link_instances(y, divisions=False)
    assert division_scores(truth, y, plain.tracks, plain.labels)["n_pred"] == 0
    split = split_at_divisions(plain.tracks, max_distance=10.0, max_area_ratio=0.9)
    labels = _relabel(plain.labels, plain.tracks, split)
    scores = division_scores(truth, y, split, labels)
    assert scores["n_true"] >= 3 and scores["f1"] >= 0.8
    assert link_scores(truth, y, split, labels)["f1"] >= link_scores(
        truth, y, plain.tracks, plain.labels)["f1"]


def _relabel(labels, before, after):
    """Frames of ``after`` (same rows as ``before``, new track ids)."""
    key = ["t", "y", "x"]
    ids = before[key + ["track_id"]].merge(after[key + ["track_id"]], on=key)
    out = np.zeros_like(labels)
    for old, new, t in zip(ids["track_id_x"], ids["track_id_y"], ids["t"]):
        out[t][labels[t] == old] = new
    return out


def test_split_at_divisions_leaves_lone_births_alone():
    tracks = _table([(1, 0, 10, 10, 40, 0), (1, 1, 10, 11, 40, 0), (1, 2, 10, 12, 40, 0),
                     (2, 1, 40, 40, 20, 0), (2, 2, 40, 41, 20, 0)])   # far away: no mother
    assert split_at_divisions(tracks)["parent_id"].eq(0).all()
    near = tracks.assign(y=[10, 10, 10, 14, 14], x=[10, 11, 12, 11, 12])
    assert split_at_divisions(near, max_area_ratio=0.6)["parent_id"].eq(0).all()  # too big
    split = split_at_divisions(near)
    assert split["track_id"].nunique() == 3
    assert split.groupby("track_id")["parent_id"].first().tolist() == [0, 1, 1]
