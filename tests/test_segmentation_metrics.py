"""Segmentation metrics, scorers and instance labelling."""

import numpy as np
import pytest
from scipy import ndimage
from sklearn.base import BaseEstimator
from sklearn.metrics import f1_score, jaccard_score

from sklearn_cells.metrics._segmentation import (
    dice_score,
    error_rate,
    false_white_rate,
    iou_score,
    label_instances,
    pixel_f1_score,
    segmentation_report,
    segmentation_scorers,
    white_pixel_accuracy,
)


@pytest.fixture
def masks():
    rng = np.random.default_rng(0)
    y_true = (ndimage.gaussian_filter(rng.normal(size=(4, 32, 32)), (0, 2, 2)) > 0.1).astype(int)
    flip = rng.uniform(size=y_true.shape) < 0.1
    y_pred = np.where(flip, 1 - y_true, y_true)
    return y_true, y_pred


def test_pooled_metrics_match_sklearn(masks):
    y_true, y_pred = masks
    t, p = y_true.ravel(), y_pred.ravel()
    assert pixel_f1_score(y_true, y_pred) == pytest.approx(f1_score(t, p))
    assert dice_score(y_true, y_pred, reduction="pooled") == pytest.approx(f1_score(t, p))
    assert iou_score(y_true, y_pred, reduction="pooled") == pytest.approx(jaccard_score(t, p))
    assert error_rate(y_true, y_pred) == pytest.approx(np.mean(t != p))
    assert false_white_rate(y_true, y_pred) == pytest.approx(np.mean((t == 0) & (p == 1)))
    assert white_pixel_accuracy(y_true, y_pred) == pytest.approx(np.sum(t & p) / t.sum())


def test_frame_reduction_is_mean_of_frames(masks):
    y_true, y_pred = masks
    per_frame = [dice_score(t, p) for t, p in zip(y_true, y_pred)]
    assert dice_score(y_true, y_pred) == pytest.approx(np.mean(per_frame))
    per_frame = [iou_score(t[None], p[None]) for t, p in zip(y_true, y_pred)]
    assert iou_score(y_true, y_pred) == pytest.approx(np.mean(per_frame))


def test_perfect_and_empty_cases():
    y = np.zeros((2, 5, 5), int)
    assert dice_score(y, y) == 1.0 and iou_score(y, y) == 1.0
    assert dice_score(y, y, empty_score=0.0) == 0.0
    assert white_pixel_accuracy(y, y) == 1.0
    y[0, 1, 1] = 1
    assert dice_score(y, np.zeros_like(y)) == pytest.approx(0.5)  # frame 0: 0, frame 1: empty=1


def test_instance_labels_count_as_foreground():
    inst = np.array([[0, 3, 3, 0, 7]])
    binary = np.array([[0, 1, 1, 0, 1]])
    assert dice_score(inst, binary) == 1.0
    assert segmentation_report(inst, binary)["error_rate"] == 0.0


def test_multiclass_labels_are_macro_averaged():
    t = np.array([[0, 1, 2, 2]])
    p = np.array([[0, 1, 2, 0]])
    assert dice_score(t, p, labels=[1, 2]) == pytest.approx((1.0 + 2 / 3) / 2)


def test_report_has_the_seed_table3_measures(masks):
    report = segmentation_report(*masks)
    assert {"error_rate", "pixel_f1", "false_white_rate", "white_pixel_accuracy"} <= set(report)
    assert all(0.0 <= v <= 1.0 for v in report.values())


def test_shape_mismatch_is_an_error():
    with pytest.raises(ValueError, match="same shape"):
        dice_score(np.zeros((2, 4, 4)), np.zeros((2, 4, 5)))


def test_probabilities_are_rejected():
    with pytest.raises(ValueError, match="non-integer"):
        dice_score(np.zeros((4, 4), int), np.full((4, 4), 0.3))


def test_bad_reduction_and_unknown_scorer():
    with pytest.raises(ValueError, match="reduction"):
        dice_score(np.zeros((4, 4), int), np.zeros((4, 4), int), reduction="mean")
    with pytest.raises(ValueError, match="unknown segmentation metric"):
        segmentation_scorers(["accuracy"])


def test_scorers_call_predict_and_negate_losses(masks):
    y_true, y_pred = masks

    class Fixed(BaseEstimator):
        def fit(self, X, y):
            return self

        def predict(self, X):
            return y_pred

    scorers = segmentation_scorers()
    assert scorers["dice"](Fixed(), None, y_true) == pytest.approx(dice_score(y_true, y_pred))
    neg_error = scorers["error_rate"](Fixed(), None, y_true)
    assert neg_error == pytest.approx(-error_rate(y_true, y_pred))


def test_label_instances():
    m = np.zeros((2, 6, 6), int)
    m[0, :2, :2] = 1
    m[0, 3:, 3:] = 1
    m[0, 2, 2] = 1  # touches both squares only by corners
    m[1, 0, 0] = 1
    lab = label_instances(m)
    assert lab.dtype == np.int32 and lab.shape == m.shape
    assert lab[0].max() == 3 and lab[1].max() == 1
    assert label_instances(m, connectivity=2)[0].max() == 1
    small_removed = label_instances(m, min_size=2)
    assert small_removed[0].max() == 2 and small_removed[1].max() == 0
    assert label_instances(m[0]).shape == (6, 6)


def test_label_instances_bad_input():
    with pytest.raises(ValueError, match="connectivity"):
        label_instances(np.zeros((3, 3)), connectivity=3)
    with pytest.raises(ValueError, match="shape"):
        label_instances(np.zeros(3))
