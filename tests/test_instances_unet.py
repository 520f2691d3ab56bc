"""Touching cells: boundary targets, seeded labelling, UNetSegmenter(instances="boundary"),
and the pixel metrics on lists of masks of different sizes."""

import numpy as np
import pytest

from sklearn_cells.datasets._timelapse import make_timelapse
from sklearn_cells.image._background import BackgroundSubtractor
from sklearn_cells.image._normalize import IntensityNormalizer
from sklearn_cells.image._instances import (
    MIN_SIZE_FRACTION,
    boundary_targets,
    filter_small,
    typical_area,
)
from sklearn_cells.image._unet import UNetSegmenter
from sklearn_cells.metrics._instances import make_instance_scorer, match_instances
from sklearn_cells.metrics._segmentation import (
    dice_score,
    error_rate,
    label_instances,
    pixel_f1_score,
    white_pixel_accuracy,
)

TINY = dict(depth=2, base_channels=8, kernel_size=3, batch_size=4, dropout=0.0,
            loss="ce+dice", lr=1e-2, random_state=0)


def _two_touching_squares():
    labels = np.zeros((8, 10), np.int32)
    labels[2:6, 1:5] = 3
    labels[2:6, 5:9] = 7
    return labels


def test_boundary_targets_part_touching_cells():
    targets = boundary_targets(_two_touching_squares())
    assert set(np.unique(targets)) == {0, 1, 2}
    assert (targets[:, 4:6][2:6] == 2).all()  # the two-pixel band where the cells meet
    assert (targets[3:5, 2:4] == 1).all() and (targets[3:5, 6:8] == 1).all()
    assert (targets[_two_touching_squares() == 0] == 0).all()
    # interiors alone, as seeds, give the two cells back
    back = label_instances(targets > 0, seeds=targets == 1)
    assert match_instances(_two_touching_squares(), back)["f1"] == 1.0
    assert label_instances(targets > 0).max() == 1  # connected components merge them
    edge = np.ones((4, 4), np.int32)  # the frame's edge is not a boundary
    assert (boundary_targets(edge) == 1).all()


def test_seeded_labelling_grows_seeds_and_keeps_unseeded_objects():
    mask = np.zeros((6, 12), int)
    mask[1:5, 0:6] = 1   # two touching cells
    mask[1:3, 9:11] = 1  # a small cell whose interior was missed
    seeds = np.zeros_like(mask)
    seeds[2:4, 1] = seeds[2:4, 4] = 1
    seeds[0, 11] = 1  # a seed outside the mask is ignored
    labels = label_instances(mask, seeds=seeds)
    assert labels.dtype == np.int32 and labels.max() == 3
    assert (labels[1:5, 0:3] == labels[2, 1]).all() and (labels[1:5, 3:6] == labels[2, 4]).all()
    assert labels[2, 1] != labels[2, 4] and (labels[1:3, 9:11] == 3).all()
    assert (labels[mask == 0] == 0).all()
    assert label_instances(mask, seeds=seeds, min_size=5).max() == 2
    stack = label_instances(np.stack([mask, mask]), seeds=np.stack([seeds, 0 * seeds]))
    assert stack[0].max() == 3 and stack[1].max() == 2
    # lists of masks of different sizes give lists
    out = label_instances([mask, mask[:4, :5]], seeds=[seeds, seeds[:4, :5]])
    assert isinstance(out, list) and out[1].shape == (4, 5)
    with pytest.raises(ValueError, match="seeds must have the shape"):
        label_instances(mask, seeds=seeds[:3])
    with pytest.raises(ValueError, match="min_size"):
        label_instances(mask, min_size=-1)


def test_pixel_metrics_on_lists_of_masks_of_different_sizes():
    rng = np.random.default_rng(0)
    true = [rng.integers(0, 2, size=s) for s in [(5, 7), (9, 4), (3, 3)]]
    pred = [np.where(rng.random(t.shape) < 0.2, 1 - t, t) for t in true]
    flat_t = np.concatenate([t.ravel() for t in true])[None]
    flat_p = np.concatenate([p.ravel() for p in pred])[None]
    assert pixel_f1_score(true, pred) == pytest.approx(pixel_f1_score(flat_t, flat_p))
    assert error_rate(true, pred) == pytest.approx(error_rate(flat_t, flat_p))
    assert white_pixel_accuracy(true, pred) == pytest.approx(white_pixel_accuracy(flat_t, flat_p))
    per_frame = np.mean([dice_score(t, p) for t, p in zip(true, pred)])
    assert dice_score(true, pred) == pytest.approx(per_frame)
    with pytest.raises(ValueError, match=r"y_true\[1\] and y_pred\[1\]"):
        dice_score(true, [pred[0], pred[0], pred[2]])
    with pytest.raises(ValueError, match="3 mask"):
        dice_score(true, pred[:2])


@pytest.fixture(scope="module")
def touching():
    """Four sequences of touching pairs (40x40): three to train, one held out."""
    X, y = make_timelapse(n_sequences=4, n_frames=8, frame_shape=(40, 40), n_cells=4,
                          touching=1.0, outline=0.5, n_debris=2, instance_masks=True,
                          random_state=0)
    Xb = IntensityNormalizer(method="zscore").fit_transform(BackgroundSubtractor().fit_transform(X))
    train, test = np.flatnonzero(X.sequence_ids < 3), np.flatnonzero(X.sequence_ids == 3)
    # instance labels in y: boundary targets without being asked ("auto")
    seg = UNetSegmenter(max_epochs=25, **TINY).fit(Xb[train], y[train])
    return seg, Xb[test], y[test]


def test_boundary_output_separates_touching_cells(touching):
    seg, X, y = touching
    assert seg.instances_ == "boundary"
    assert seg.net_.module_.head.out_channels == 3 and list(seg.classes_) == [0, 1]
    assert seg.fit_check_["n_found"] >= seg.fit_check_["n_cells"] / 4  # no warning
    instances = seg.predict_instances(X)
    assert instances.shape == y.shape and instances.dtype == np.int32
    merged = label_instances(seg.predict(X))  # connected components of the same network
    f1, f1_cc = match_instances(y, instances)["f1"], match_instances(y, merged)["f1"]
    assert f1 > f1_cc + 0.1 and f1 > 0.45
    assert make_instance_scorer("f1")(seg, X, y) == pytest.approx(f1)
    # pixel outputs are cell vs background
    proba, pred = seg.predict_proba(X), seg.predict(X)
    assert proba.shape == (len(y), 2) + y.shape[1:]
    np.testing.assert_allclose(proba.sum(1), 1, atol=1e-5)
    assert np.array_equal(pred, proba.argmax(1)) and set(np.unique(pred)) <= {0, 1}
    assert seg.score(X, y) == pytest.approx(dice_score(y > 0, pred)) and seg.score(X, y) > 0.6
    as_list = seg.predict_instances(list(np.asarray(X)))
    assert isinstance(as_list, list)
    np.testing.assert_array_equal(np.stack(as_list), instances)


def test_default_min_size_is_relative_to_each_frames_own_cells(touching):
    seg, X, y = touching
    none = seg.predict_instances(X, min_size=0)
    auto, details = seg.predict_instances(X, return_details=True)
    expected = [round(MIN_SIZE_FRACTION * typical_area(f)) for f in none]
    np.testing.assert_array_equal(details.min_size, expected)
    np.testing.assert_array_equal(details.mask, seg.predict(X))  # from the same pass
    for frame, unfiltered, size in zip(auto, none, details.min_size):
        sizes = np.bincount(frame.ravel())[1:]
        assert sizes.min(initial=size) >= size
        assert frame.max() <= unfiltered.max()
    # a frame at twice the magnification keeps its cells: the size scales with them
    big = np.kron(none[0], np.ones((2, 2), dtype=none.dtype))
    assert filter_small(big, "auto")[1] == pytest.approx(4 * details.min_size[0], abs=2)


def test_typical_area_ignores_specks():
    cells = np.zeros((40, 40), np.int32)
    cells[:10, :10], cells[20:30, 20:30] = 1, 2
    for k in range(10):  # ten one-pixel specks
        cells[35, 2 * k] = 3 + k
    assert typical_area(cells) == 100
    kept, size = filter_small(cells, "auto")
    assert size == 25 and kept.max() == 2 and set(np.unique(kept)) == {0, 1, 2}


@pytest.mark.parametrize("min_size", [-1, 2.5, True, "large", None])
def test_bad_min_size(touching, min_size):
    seg, X, _ = touching
    with pytest.raises(ValueError, match="min_size must be a non-negative integer"):
        seg.predict_instances(X, min_size=min_size)


def test_pixel_classes_give_connected_components_as_instances():
    X, y = make_timelapse(n_sequences=1, n_frames=4, frame_shape=(24, 24), random_state=0)
    seg = UNetSegmenter(max_epochs=1, **TINY).fit(X, y)
    np.testing.assert_array_equal(seg.predict_instances(X, min_size=3),
                                  label_instances(seg.predict(X), min_size=3))
    # the cells of binary masks are their connected components
    areas = np.concatenate([np.bincount(f.ravel())[1:] for f in label_instances(y)])
    assert seg.cell_area_ == np.median(areas[areas > 0])


def test_boundary_mode_bad_inputs():
    X = np.zeros((2, 16, 16))
    with pytest.raises(ValueError, match="n_classes=2"):
        UNetSegmenter(instances="boundary", n_classes=3, **TINY).fit(X, np.zeros((2, 16, 16), int))
    with pytest.raises(ValueError, match="instance labels"):
        UNetSegmenter(instances="boundary", **TINY).fit(X, -np.ones((2, 16, 16), int))
    y = np.zeros((2, 16, 16), int)
    y[0, :3, :3] = 9
    with pytest.raises(ValueError, match="instances='auto'"):  # the hint for instance masks
        UNetSegmenter(instances=None, **TINY).fit(X, y)


def test_a_fit_that_finds_no_cell_warns():
    X = np.zeros((4, 32, 32), np.float32)  # frames that show nothing of the sparse cells
    y = np.zeros((4, 32, 32), int)
    y[:, 10:14, 10:14] = 1
    seg = UNetSegmenter(**{**TINY, "loss": "ce", "class_weight": None, "max_epochs": 3})
    with pytest.warns(UserWarning, match="finds almost no cells on its own training frames"):
        seg.fit(X, y)
    assert seg.fit_check_["found_pixels"] == 0 and seg.fit_check_["cell_pixels"] == 64


def test_a_fit_that_merges_touching_cells_warns():
    # a dense colony: 16 touching square cells, bright on a dark background
    y = np.zeros((4, 32, 32), int)
    for k in range(16):
        y[:, 4 + 6 * (k // 4) : 10 + 6 * (k // 4), 4 + 6 * (k % 4) : 10 + 6 * (k % 4)] = k + 1
    X = (y > 0).astype(np.float32)
    seg = UNetSegmenter(max_epochs=2, **TINY)  # too short to learn the boundaries
    with pytest.warns(UserWarning, match="touching cells merge"):
        seg.fit(X, y)
    assert seg.instances_ == "boundary"
    assert seg.fit_check_["n_found"] <= seg.fit_check_["n_cells"] / 4
