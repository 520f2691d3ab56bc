"""Instance matching at IoU thresholds, the CTC SEG measure, and instance scorers."""

import pickle

import numpy as np
import pytest
from scipy import ndimage
from sklearn.base import BaseEstimator
from sklearn.model_selection import GridSearchCV, KFold, cross_validate

from sklearn_cells.metrics import (
    instance_scorers,
    label_instances,
    make_instance_scorer,
    match_instances,
    seg_score,
)


@pytest.fixture
def frame():
    """4 true objects (ids 1, 2, 3, 9) and 4 predicted ones (10, 20, 30, 40), 6 x 6.

    Pairs by hand: 1-10 IoU 4/4, 2-20 IoU 4/6, 3-30 IoU 2/4 (exactly 0.5, half covered),
    9 missed, 40 a false positive.
    """
    t = np.zeros((6, 6), np.uint16)
    t[0:2, 0:2] = 1
    t[0:2, 3:6] = 2
    t[4:6, 0:2] = 3
    t[3:6, 4:6] = 9
    p = np.zeros((6, 6), np.int64)
    p[0:2, 0:2] = 10
    p[0:2, 4:6] = 20
    p[4:6, 0] = 30
    p[2, 2:4] = 40
    return t, p


def test_hand_computed_matching(frame):
    t, p = frame
    at_05, at_075 = match_instances(t, p, thresh=[0.5, 0.75])
    assert (at_05["tp"], at_05["fp"], at_05["fn"]) == (3, 1, 1)  # IoU 0.5 counts (>=)
    assert (at_05["n_true"], at_05["n_pred"]) == (4, 4)
    assert at_05["precision"] == at_05["recall"] == at_05["f1"] == pytest.approx(0.75)
    assert at_05["average_precision"] == pytest.approx(3 / 5)
    assert at_05["mean_matched_iou"] == pytest.approx((1 + 2 / 3 + 0.5) / 3)
    assert at_05["panoptic_quality"] == pytest.approx((1 + 2 / 3 + 0.5) / 4)
    assert at_05["panoptic_quality"] == pytest.approx(at_05["f1"] * at_05["mean_matched_iou"])
    assert (at_075["tp"], at_075["fp"], at_075["fn"]) == (1, 3, 3)
    assert at_075["average_precision"] == pytest.approx(1 / 7)
    assert at_075["mean_matched_iou"] == 1.0
    assert match_instances(t, p) == at_05  # a scalar thresh gives one dict


def test_hungarian_beats_greedy_matching():
    # A = 0..9, B = 10..19; P = 3..14 overlaps both, Q = 0..2 only A.
    # IoU(A,P) = 7/15, IoU(A,Q) = 3/10, IoU(B,P) = 5/17. At 0.29 greedy (A-P first)
    # finds one pair; the optimum pairs A-Q and B-P.
    t = np.repeat([1, 2], 10)[None]
    p = np.zeros_like(t)
    p[0, 3:15], p[0, 0:3] = 1, 2
    low, high = match_instances(t, p, thresh=[0.29, 0.3])
    assert (low["tp"], low["fp"], low["fn"]) == (2, 0, 0)
    assert low["mean_matched_iou"] == pytest.approx((3 / 10 + 5 / 17) / 2)
    # at 0.3 only A can be matched. StarDist breaks the tie by the total IoU of the whole
    # assignment, below-threshold pairs included: A-Q + B-P (0.594) beats A-P (0.467).
    assert (high["tp"], high["fp"], high["fn"]) == (1, 1, 1)
    assert high["mean_matched_iou"] == pytest.approx(3 / 10)


def test_above_half_matching_is_counting_pairs():
    # IoU > 0.5 pairs are disjoint, so tp is simply their count (random blobs, shifted)
    rng = np.random.default_rng(1)
    noise = ndimage.gaussian_filter(rng.normal(size=(3, 40, 40)), (0, 2, 2))
    t = label_instances(noise > 0.15)
    p = label_instances(np.roll(noise, 1, axis=2) > 0.2)
    for thr in (0.51, 0.7):
        expected = 0
        for tf, pf in zip(t, p):
            for i in range(1, tf.max() + 1):
                for j in range(1, pf.max() + 1):
                    a, b = tf == i, pf == j
                    expected += (a & b).sum() / (a | b).sum() >= thr
        got = match_instances(t, p, thresh=thr)
        assert got["tp"] == expected > 0
        assert got["n_true"] == sum(f.max() for f in t)


def test_label_values_and_sides(frame):
    t, p = frame
    ref = match_instances(t, p)
    relabelled = np.where(p > 0, 1000 - p, 0)  # other ids, same objects
    assert match_instances(t, relabelled) == ref
    huge = np.where(p > 0, 2**40 + p, 0)  # ids far above the pixel count
    assert match_instances(t, huge) == ref and seg_score(t, huge) == seg_score(t, p)
    swapped = match_instances(p, t)
    assert (swapped["fp"], swapped["fn"]) == (ref["fn"], ref["fp"])
    assert swapped["precision"] == ref["recall"] and swapped["f1"] == ref["f1"]
    # integral floats and bools are labels too
    assert match_instances(t.astype(float), p.astype(float)) == ref
    assert match_instances(t > 0, t > 0)["tp"] == 1


def test_stack_sums_counts_over_frames(frame):
    t, p = frame
    perfect = match_instances(t, t)
    assert perfect["f1"] == 1.0 and perfect["mean_matched_iou"] == 1.0
    stack = match_instances(np.stack([t, t]), np.stack([p, t]), thresh=0.5)
    assert (stack["tp"], stack["fp"], stack["fn"]) == (3 + 4, 1, 1)
    assert stack["average_precision"] == pytest.approx(7 / 9)
    assert stack["mean_matched_iou"] == pytest.approx((1 + 2 / 3 + 0.5 + 4) / 7)
    # frames of different sizes in a list; ids repeat between frames without mixing
    small_t, small_p = t[:2, :3], p[:2, :3]
    ragged = match_instances([t, small_t], [p, small_p])
    assert (ragged["tp"], ragged["n_true"], ragged["n_pred"]) == (4, 5, 5)


def test_empty_images():
    empty = np.zeros((2, 4, 4), int)
    one = empty.copy()
    one[0, 1:3, 1:3] = 5
    both = match_instances(empty, empty)
    assert (both["tp"], both["fp"], both["fn"]) == (0, 0, 0)
    assert both["f1"] == both["precision"] == both["average_precision"] == 1.0
    assert match_instances(empty, empty, empty_score=0.0)["f1"] == 0.0
    missed = match_instances(one, empty)
    assert (missed["tp"], missed["fn"], missed["fp"]) == (0, 1, 0)
    assert missed["recall"] == missed["precision"] == missed["f1"] == 0.0
    spurious = match_instances(empty, one)
    assert (spurious["fp"], spurious["fn"]) == (1, 0)
    assert spurious["precision"] == spurious["average_precision"] == 0.0
    # an empty frame next to a perfect one adds nothing: no empty_score averaged in
    assert match_instances(one, one, empty_score=0.0)["f1"] == 1.0
    assert seg_score(empty, empty) == 1.0 and seg_score(empty, one, empty_score=0.0) == 0.0
    assert seg_score(one, empty) == 0.0


def test_seg_score_hand_computed(frame):
    t, p = frame
    # 1: 1.0; 2: 4/6; 3: half covered is not "more than half" -> 0; 9: missed -> 0
    assert seg_score(t, p) == pytest.approx((1 + 2 / 3) / 4)
    assert seg_score(t, t) == 1.0
    # false positives do not lower SEG (the background made one object)
    assert seg_score(t, np.where(t > 0, t, 77)) == 1.0
    # one object over the whole frame covers every true object: Jaccard = area / 36
    assert seg_score(t, np.full_like(t, 77)) == pytest.approx((4 + 6 + 4 + 6) / 36 / 4)
    merged = np.array([[1, 1, 1, 2, 2, 0]]), np.array([[3, 3, 3, 3, 3, 0]])
    assert seg_score(*merged) == pytest.approx((3 / 5 + 2 / 5) / 2)  # both fully covered
    assert seg_score(np.stack([t, t]), np.stack([p, t])) == pytest.approx((1 + 2 / 3 + 4) / 8)


def test_inputs_not_modified(frame):
    t, p = frame
    t0, p0 = t.copy(), p.copy()
    match_instances(t, p, thresh=[0.5, 0.9])
    seg_score(t, p)
    assert np.array_equal(t, t0) and np.array_equal(p, p0)


@pytest.mark.parametrize("func", [match_instances, seg_score])
def test_bad_labels(func, frame):
    t, p = frame
    with pytest.raises(ValueError, match="same size"):
        func(t, p[:, :5])
    with pytest.raises(ValueError, match="2 frame"):
        func(np.stack([t, t]), p[None])
    with pytest.raises(ValueError, match="frame 1"):
        func([t, t], [p, p[:5]])
    with pytest.raises(ValueError, match="non-integer.*label_instances"):
        func(t, p + 0.5)
    with pytest.raises(TypeError, match="integer labels"):
        func(t, p.astype(str))
    with pytest.raises(ValueError, match="y_true holds negative labels"):
        func(t.astype(int) - 1, p)
    with pytest.raises(ValueError, match="shape"):
        func(t[None, None], p[None, None])
    with pytest.raises(ValueError, match="empty"):
        func([], [])


@pytest.mark.parametrize("thresh", [0, 1.5, -0.1, float("nan"), [0.5, 0], [], "0.5", True])
def test_bad_thresholds(thresh, frame):
    with pytest.raises(ValueError, match="thresh"):
        match_instances(*frame, thresh=thresh)
    with pytest.raises(ValueError, match="thresh"):
        make_instance_scorer(thresh=thresh)


class Threshold(BaseEstimator):
    """Pixel segmenter: foreground where X > level (a ``predict`` only estimator)."""

    def __init__(self, level=0.5):
        self.level = level

    def fit(self, X, y=None):
        return self

    def predict(self, X):
        if isinstance(X, list):
            return [(np.asarray(x) > self.level).astype(int) for x in X]
        return (np.asarray(X) > self.level).astype(int)


class SplitTouching(Threshold):
    """Also separates touching objects: each intensity value is one object."""

    def predict_instances(self, X):
        X = np.asarray(X)
        return np.where(X > self.level, np.round(X * 10).astype(int), 0)


def _touching_frames(n=6):
    """Each frame: two touching squares (0.7 and 0.8) and one apart (0.9), noise < 0.4."""
    rng = np.random.default_rng(0)
    X = rng.uniform(0, 0.4, size=(n, 12, 12))
    y = np.zeros((n, 12, 12), int)
    for i in range(n):
        r = i % 3
        for label, (rows, cols), value in ((7, (slice(r, r + 4), slice(1, 5)), 0.7),
                                           (8, (slice(r, r + 4), slice(5, 9)), 0.8),
                                           (9, (slice(8, 11), slice(8, 11)), 0.9)):
            X[i, rows, cols], y[i, rows, cols] = value, label
    return X, y


def test_scorer_uses_predict_instances_or_connected_components():
    X, y = _touching_frames()
    f1 = make_instance_scorer("f1")
    assert f1(SplitTouching().fit(X, y), X, y) == 1.0
    # predict only: the touching pair merges into one 32-pixel object, IoU 16/32 = 0.5
    # with each half, so it matches one of them at 0.5 and none at 0.6
    assert f1(Threshold().fit(X, y), X, y) == pytest.approx(2 * 2 / (2 * 2 + 0 + 1))
    strict = make_instance_scorer("f1", thresh=0.6)
    assert strict(Threshold().fit(X, y), X, y) == pytest.approx(2 / (2 + 1 + 2))
    both = make_instance_scorer("recall", thresh=[0.5, 0.6])
    assert both(Threshold().fit(X, y), X, y) == pytest.approx(np.mean([2 / 3, 1 / 3]))
    seg = make_instance_scorer("seg")
    # the merged object covers each half fully, Jaccard 16/32; the lone square 1
    assert seg(Threshold().fit(X, y), X, y) == pytest.approx((0.5 + 0.5 + 1) / 3)
    assert seg(SplitTouching().fit(X, y), X, y) == 1.0
    # ragged predictions (a list of frames) go through label_instances frame by frame
    crops = [(slice(7, None), slice(7, None)), (slice(6, None), slice(6, 12))]
    X_crops = [X[i][c] for i, c in enumerate(crops)]
    y_crops = [y[i][c] for i, c in enumerate(crops)]
    assert [c.shape for c in X_crops] == [(5, 5), (6, 6)]
    assert f1(Threshold(), X_crops, y_crops) == 1.0


def test_scorer_in_grid_search():
    X, y = _touching_frames()
    search = GridSearchCV(SplitTouching(), {"level": [0.1, 0.5, 0.85, 0.95]},
                          scoring=make_instance_scorer("average_precision"),
                          cv=KFold(3)).fit(X, y)
    assert search.best_params_ == {"level": 0.5}
    assert search.best_score_ == 1.0
    scores = search.cv_results_["mean_test_score"]
    assert scores[0] < 1 and scores[2] == pytest.approx(1 / 3) and scores[3] == 0.0
    cv = cross_validate(Threshold(), X, y, cv=KFold(2),
                        scoring=instance_scorers(["f1", "seg"], thresh=0.6))
    assert np.allclose(cv["test_f1"], 0.4) and np.allclose(cv["test_seg"], 2 / 3)
    # picklable, for n_jobs > 1
    scorer = pickle.loads(pickle.dumps(make_instance_scorer("recall", thresh=[0.5, 0.6])))
    assert scorer(Threshold(), X, y) == pytest.approx(0.5)


def test_min_size_drops_specks_in_fallback():
    X, y = _touching_frames(2)
    X = X.copy()
    X[:, 0, 11] = 0.95  # a one-pixel speck: a false positive unless dropped
    plain = make_instance_scorer("precision", thresh=0.4)
    cleaned = make_instance_scorer("precision", thresh=0.4, min_size=2)
    assert plain(Threshold(), X, y) == pytest.approx(2 / 3)
    assert cleaned(Threshold(), X, y) == 1.0


def test_scorer_bad_arguments():
    with pytest.raises(ValueError, match="unknown instance metric 'dice'"):
        make_instance_scorer("dice")
    with pytest.raises(ValueError, match="unknown instance metric"):
        instance_scorers(["f1", "accuracy"])
    with pytest.raises(ValueError, match="connectivity"):
        make_instance_scorer(connectivity=4)
    with pytest.raises(ValueError, match="min_size"):
        make_instance_scorer(min_size=-1)
    X, y = _touching_frames(2)
    with pytest.raises(ValueError, match="sample_weight"):
        make_instance_scorer()(Threshold(), X, y, sample_weight=np.ones(2))
    assert repr(make_instance_scorer("f1", thresh=0.7)) == "make_instance_scorer('f1', thresh=0.7)"
