"""InstanceTracker: scikit-learn conventions, and make_timelapse's true tracks."""

import pickle

import numpy as np
import pytest

pytest.importorskip("laptrack")

from sklearn.base import clone  # noqa: E402
from sklearn.exceptions import NotFittedError  # noqa: E402
from sklearn.utils.estimator_checks import (  # noqa: E402
    check_get_params_invariance,
    check_no_attributes_set_in_init,
    check_parameters_default_constructible,
    check_set_params,
)

from sklearn_cells.datasets import make_timelapse  # noqa: E402
from sklearn_cells.metrics import link_scores  # noqa: E402
from sklearn_cells.tracking import InstanceTracker, link_instances  # noqa: E402
from sklearn_cells.trajectory import VelocityTransformer  # noqa: E402


def _labels(**kw):
    X, y, tracks = make_timelapse(n_sequences=2, n_frames=12, frame_shape=(64, 64),
                                  n_cells=4, speed=1.0, instance_masks=True,
                                  return_tracks=True, random_state=0, **kw)
    return X, y, tracks


@pytest.mark.parametrize("check", [check_parameters_default_constructible,
                                   check_no_attributes_set_in_init,
                                   check_get_params_invariance, check_set_params])
def test_sklearn_checks(check):
    check("InstanceTracker", InstanceTracker())


def test_fit_matches_link_instances_and_transform_feeds_velocities():
    X, y, _ = _labels()
    before = y.copy()
    tracker = InstanceTracker(max_distance=10.0)
    assert tracker.fit(y, sequence_ids=X.sequence_ids) is tracker
    ref = link_instances(y, max_distance=10.0, sequence_ids=X.sequence_ids)
    assert tracker.tracks_.equals(ref.tracks) and np.array_equal(tracker.labels_, ref.labels)
    assert tracker.n_tracks_ == len(tracker.trajectories_) == len(tracker.track_ids_)
    assert np.array_equal(y, before)
    out = tracker.transform(y[:12])  # the first sequence alone, same links
    first = ref.tracks[ref.tracks.sequence_id == 0]
    assert len(out) == first["track_id"].nunique()
    velocities = VelocityTransformer().fit_transform(out)
    assert all(v.shape == (len(p) - 1, 2) for v, p in zip(velocities, out))
    trajs = clone(tracker).fit_transform(y, sequence_ids=X.sequence_ids)
    assert all(np.array_equal(a, b) for a, b in zip(trajs, tracker.trajectories_))


def test_not_fitted_pickle_and_min_length():
    X, y, _ = _labels()
    with pytest.raises(NotFittedError):
        InstanceTracker().transform(y)
    tracker = InstanceTracker(min_length=12).fit(y, sequence_ids=X.sequence_ids)
    assert tracker.tracks_.groupby("track_id").size().min() >= 12
    assert set(np.unique(tracker.labels_)) == {0} | set(tracker.tracks_.track_id)
    again = pickle.loads(pickle.dumps(tracker))
    assert again.tracks_.equals(tracker.tracks_)
    with pytest.raises(ValueError, match="min_length"):
        InstanceTracker(min_length=0).fit(y)


def test_make_timelapse_true_tracks():
    X0, y0 = make_timelapse(n_sequences=2, n_frames=12, frame_shape=(64, 64), n_cells=4,
                            speed=1.0, random_state=0)
    X, y, tracks = _labels()
    assert np.array_equal(np.asarray(X0), np.asarray(X)) and np.array_equal(y0, y > 0)
    X, y, tracks = _labels(division_rate=0.1)
    assert tracks.columns.tolist() == ["sequence_id", "track_id", "t", "y", "x", "area",
                                       "parent_id"]
    for s in (0, 1):
        m = X.sequence_ids == s
        part = tracks[tracks.sequence_id == s]
        assert len(part) == sum(len(np.unique(f)) - 1 for f in y[m])
        ends = part.groupby("track_id")["t"].agg(["min", "max"])
        daughters = part.groupby("track_id")["parent_id"].first()
        for d, p in daughters[daughters > 0].items():  # a daughter starts after her mother
            assert ends.loc[d, "min"] == ends.loc[p, "max"] + 1
        result = link_instances(y[m])  # crowded: up to 8 cells in 64 x 64 pixels
        assert link_scores(part, y[m], result.tracks, result.labels)["f1"] > 0.9
    assert (tracks.parent_id > 0).sum() >= 2
