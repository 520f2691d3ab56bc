"""Synthetic migration videos with known events (make_migration_videos)."""

import numpy as np
import pytest

from sklearn_cells.datasets._videos import (
    EVENT_KINDS,
    HARD_EVENT_KINDS,
    make_migration_videos,
)


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


# ------------------------------------------------------------ events="hard"
def _event_auc(importance, events):
    """Per-video ROC AUC of event frames against ordinary frames, averaged."""
    from sklearn.metrics import roc_auc_score

    return np.mean([roc_auc_score(e, i) for i, e in zip(importance, events) if e.any()])


def _frame_change(videos):
    from sklearn_cells.video import FrameChangeScorer

    return FrameChangeScorer().fit(videos).transform(videos)


def test_hard_events_shapes_kinds_and_names():
    videos, events, kinds = make_migration_videos(
        n_videos=20, n_frames=40, events="hard", return_event_kinds=True, random_state=0
    )
    assert videos.shape == (20, 40, 32, 32) and videos.dtype == np.float32
    assert (events.sum(axis=1) == 3).all()
    np.testing.assert_array_equal(events, kinds != "")
    # Every hard kind occurs, with its full name (no truncated strings).
    assert set(kinds[events]) == set(HARD_EVENT_KINDS)
    only = make_migration_videos(n_videos=3, n_frames=30, n_events=2, events="hard",
                                 event_kinds=("protrusion_reversal",),
                                 return_event_kinds=True, random_state=0)[2]
    assert set(only[only != ""]) == {"protrusion_reversal"}
    # Hard videos are other videos, not the ordinary ones relabelled.
    ordinary = make_migration_videos(n_videos=20, n_frames=40, random_state=0)[0]
    assert not np.allclose(videos, ordinary)


def test_frame_change_finds_ordinary_events_but_not_hard_ones():
    # The point of events="hard": the change from the previous frame, which
    # finds ordinary events almost perfectly, is at chance on hard events.
    videos, events = make_migration_videos(n_videos=40, n_frames=40, random_state=0)
    assert _event_auc(_frame_change(videos), events) > 0.9
    videos, events, kinds = make_migration_videos(
        n_videos=40, n_frames=40, events="hard", return_event_kinds=True, random_state=0
    )
    importance = _frame_change(videos)
    assert 0.4 < _event_auc(importance, events) < 0.6
    for kind in HARD_EVENT_KINDS:
        keep = (kinds == "") | (kinds == kind)
        per_kind = [(i[k], e[k]) for i, e, k in zip(importance, events, keep)]
        assert _event_auc(*zip(*per_kind)) < 0.7, kind


def _centroids(videos):
    yy, xx = np.mgrid[0 : videos.shape[-2], 0 : videos.shape[-1]]
    weights = np.clip(videos, 0, None)
    total = weights.sum(axis=(-2, -1))
    return np.stack([(weights * xx).sum((-2, -1)) / total,
                     (weights * yy).sum((-2, -1)) / total], axis=-1)


@pytest.mark.parametrize("kind", ["quiet_turn", "slowdown"])
def test_quiet_turns_and_slowdowns_change_the_motion(kind):
    videos, events = make_migration_videos(n_videos=12, n_frames=30, n_events=1, events="hard",
                                           event_kinds=(kind,), noise=0.0, random_state=0)
    centroids = _centroids(videos.astype(float))
    t = events.argmax(axis=1)
    rows = np.arange(len(videos))
    before = centroids[rows, t - 1] - centroids[rows, t - 4]
    after = centroids[rows, t + 2] - centroids[rows, t - 1]
    ratio = np.linalg.norm(after, axis=1) / np.linalg.norm(before, axis=1)
    cos = (before * after).sum(axis=1) / np.linalg.norm(before, axis=1) / np.linalg.norm(
        after, axis=1)
    if kind == "quiet_turn":  # a new direction (> 80 degrees) at about the same speed
        assert (cos < np.cos(np.radians(80))).all()
        assert 0.7 < np.median(ratio) < 1.3
    else:  # nearly stopped
        assert (ratio < 0.3).all()


def test_protrusion_reversal_reverses_how_the_outline_turns():
    from scipy.ndimage import map_coordinates

    videos, events = make_migration_videos(n_videos=12, n_frames=30, n_events=1, events="hard",
                                           event_kinds=("protrusion_reversal",), noise=0.0,
                                           random_state=0)
    angles = np.linspace(0, 2 * np.pi, 72, endpoint=False)
    shifts = np.arange(-8, 9)
    for video, centre, t in zip(videos.astype(float), _centroids(videos.astype(float)),
                                events.argmax(axis=1)):
        # Intensity on a ring through the protrusions, and how far (in 5 degree
        # steps) it turns from each frame to the next.
        rings = [map_coordinates(f, [cy + 3.5 * np.sin(angles), cx + 3.5 * np.cos(angles)],
                                 order=1) for f, (cx, cy) in zip(video, centre)]
        turn = np.array([shifts[np.argmax([np.dot(np.roll(a, s), b) for s in shifts])]
                         for a, b in zip(rings[:-1], rings[1:])])  # turn[t - 1]: frame t
        before, after = turn[t - 5 : t - 1].mean(), turn[t - 1 : t + 3].mean()
        assert np.sign(after - before) == -np.sign(before) and abs(after - before) >= 1


def test_default_videos_unchanged_by_the_hard_option():
    a = make_migration_videos(n_videos=2, n_frames=20, n_events=2, random_state=3)
    b = make_migration_videos(n_videos=2, n_frames=20, n_events=2, events="ordinary",
                              event_kinds=EVENT_KINDS, random_state=3)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(events="subtle"), "events must be 'ordinary' or 'hard'"),
        (dict(events="hard", event_kinds=("turn",)), "pass events='ordinary'"),
        (dict(event_kinds=("quiet_turn",)), "pass events='hard'"),
        (dict(events="hard", event_kinds=()), "non-empty"),
        (dict(events="hard", event_kinds=("slowdown",), n_events=2), "slows down"),
    ],
)
def test_bad_hard_event_parameters(kwargs, match):
    with pytest.raises(ValueError, match=match):
        make_migration_videos(n_videos=2, n_frames=30, **kwargs)
