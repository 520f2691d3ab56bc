"""Synthetic migration videos with known events (make_migration_videos)."""

import numpy as np
import pytest

from sklearn_cells.datasets._videos import EVENT_KINDS, make_migration_videos


def test_shapes_dtypes_and_event_counts():
    videos, events, kinds = make_migration_videos(
        n_videos=5, n_frames=30, frame_size=24, n_events=2, return_event_kinds=True,
        random_state=0,
    )
    assert videos.shape == (5, 30, 24, 24) and videos.dtype == np.float32
    assert events.shape == (5, 30) and events.dtype == bool
    assert (events.sum(axis=1) == 2).all()
    np.testing.assert_array_equal(events, kinds != "")
    assert set(kinds[events]) <= set(EVENT_KINDS)
    assert np.isfinite(videos).all()


def test_events_respect_min_gap_and_margins():
    _, events = make_migration_videos(n_videos=10, n_frames=40, n_events=3, min_gap=6,
                                      random_state=1)
    for row in events:
        frames = np.flatnonzero(row)
        assert frames[0] >= 6 and frames[-1] <= 40 - 3
        assert np.diff(frames).min() >= 6


def test_reproducible_and_seed_dependent():
    a = make_migration_videos(n_videos=2, n_frames=20, n_events=2, random_state=3)
    b = make_migration_videos(n_videos=2, n_frames=20, n_events=2, random_state=3)
    c = make_migration_videos(n_videos=2, n_frames=20, n_events=2, random_state=4)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert not np.array_equal(a[0], c[0])


def test_every_kind_occurs_and_single_kind_can_be_asked_for():
    _, _, kinds = make_migration_videos(n_videos=20, n_frames=40, return_event_kinds=True,
                                        random_state=0)
    assert set(kinds[kinds != ""]) == set(EVENT_KINDS)
    _, _, only = make_migration_videos(n_videos=3, n_frames=30, n_events=2,
                                       event_kinds=("division",), n_cells=2,
                                       return_event_kinds=True, random_state=0)
    assert set(only[only != ""]) == {"division"}


def test_events_change_the_picture_more_than_ordinary_frames():
    # Without pixel noise, the change from the frame before is larger at
    # events than at ordinary frames (the ground truth is visible).
    videos, events = make_migration_videos(n_videos=20, n_frames=40, noise=0.0, random_state=0)
    change = np.abs(np.diff(videos, axis=1)).mean(axis=(2, 3))
    at_event, ordinary = change[events[:, 1:]], change[~events[:, 1:]]
    assert np.median(at_event) > 2 * np.median(ordinary)


def test_cells_stay_in_view_and_divisions_add_a_cell():
    videos, _, kinds = make_migration_videos(n_videos=6, n_frames=30, n_events=1,
                                             event_kinds=("division",), noise=0.0,
                                             return_event_kinds=True, random_state=2)
    # Cells stay inside: only faint tails of their outlines reach the border.
    assert np.abs(videos[:, :, [0, -1], :]).max() < 0.2
    assert np.abs(videos[:, :, :, [0, -1]]).max() < 0.2
    # Total brightness rises after a division (two daughters).
    for video, row in zip(videos, kinds):
        t = int(np.flatnonzero(row)[0])
        assert video[t + 2 :].sum(axis=(1, 2)).mean() > video[: t - 1].sum(axis=(1, 2)).mean()


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(n_events=10, n_frames=20), "do not fit"),
        (dict(event_kinds=("explosion",)), "event_kinds"),
        (dict(n_frames=1), "n_frames"),
        (dict(frame_size=8), "frame_size"),
        (dict(noise=-1.0), "noise"),
    ],
)
def test_bad_parameters(kwargs, match):
    with pytest.raises(ValueError, match=match):
        make_migration_videos(**kwargs)
