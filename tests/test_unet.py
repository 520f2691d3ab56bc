"""UNet module, segmentation losses and UNetSegmenter."""

import pickle

import numpy as np
import pytest
import torch
from skorch.callbacks import LRScheduler
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, GroupKFold
from sklearn.pipeline import make_pipeline

from sklearn_cells.datasets._timelapse import make_timelapse
from sklearn_cells.image._background import BackgroundSubtractor
from sklearn_cells.image._normalize import IntensityNormalizer
from sklearn_cells.image._temporal import TemporalContextStacker
from sklearn_cells.image._unet import UNetSegmenter, _plan_tiles
from sklearn_cells.metrics._segmentation import dice_score, segmentation_scorers
from sklearn_cells.nn.unet import IGNORE_INDEX, SegmentationLoss, UNet

TINY = dict(depth=2, base_channels=4, kernel_size=3, batch_size=4, random_state=0)


@pytest.fixture(scope="module")
def data():
    """Four 32x32 sequences of 8 frames: 3 to train, 1 held out (background removed)."""
    X, y = make_timelapse(n_sequences=4, n_frames=8, frame_shape=(32, 32), n_cells=3,
                          n_debris=3, random_state=0)
    Xb = IntensityNormalizer(method="zscore").fit_transform(BackgroundSubtractor().fit_transform(X))
    train = np.flatnonzero(X.sequence_ids < 3)
    test = np.flatnonzero(X.sequence_ids == 3)
    return X, y, Xb, train, test


@pytest.fixture(scope="module")
def fitted(data):
    _, y, Xb, train, _ = data
    seg = UNetSegmenter(max_epochs=12, loss="ce+dice", lr=1e-2, dropout=0.0, **TINY)
    return seg.fit(Xb[train], y[train])


# ---------------------------------------------------------------- nn module
@pytest.mark.parametrize("norm", [None, "batch", "group"])
def test_unet_shapes_and_gradients(norm):
    net = UNet(5, 3, depth=2, base_channels=4, kernel_size=3, n_convs=2, norm=norm)
    x = torch.randn(2, 5, 16, 24, requires_grad=True)
    out = net(x)
    assert out.shape == (2, 3, 16, 24)
    out.sum().backward()
    assert x.grad is not None and torch.isfinite(x.grad).all()


def test_unet_rejects_sizes_not_multiple_of_2_pow_depth():
    with pytest.raises(ValueError, match="multiple of 2\\*\\*depth"):
        UNet(1, depth=3)(torch.zeros(1, 1, 20, 24))


@pytest.mark.parametrize("loss", ["ce", "dice", "ce+dice"])
def test_losses_ignore_padding_and_prefer_the_truth(loss):
    crit = SegmentationLoss(loss, class_weight=[1.0, 2.0])
    target = torch.zeros(1, 4, 4, dtype=torch.long)
    target[0, :2] = 1
    good = torch.stack([1 - target, target], 1).float() * 8 - 4
    bad = -good
    assert crit(good, target) < crit(bad, target)
    padded = target.clone()
    padded[0, :, 3] = IGNORE_INDEX
    changed = bad.clone()
    changed[..., 3] = good[..., 3] * 3  # ignored column must not matter
    assert torch.allclose(crit(bad, padded), crit(changed, padded))


def test_weighted_ce_weights_foreground_as_the_seed():
    logits = torch.zeros(1, 2, 1, 2)
    target = torch.tensor([[[0, 1]]])
    plain = SegmentationLoss("ce")(logits, target)
    weighted = SegmentationLoss("ce", class_weight=[1.0, 2.0])(logits, target)
    assert weighted == pytest.approx(plain * 1.5)


def test_tile_plan_covers_every_pixel_once():
    for length, tile, margin in [(100, 32, 4), (64, 64, 8), (33, 32, 0), (500, 128, 32)]:
        plan = _plan_tiles(length, tile, margin, 8)
        cover = np.zeros(length, int)
        for start, stop, k0, k1 in plan:
            assert start <= k0 < k1 <= stop and stop - start <= max(tile, length)
            assert k0 == 0 or k0 - start >= margin
            assert k1 == length or stop - k1 >= margin
            cover[k0:k1] += 1
        assert (cover == 1).all()


# ---------------------------------------------------------------- estimator
def test_fit_predict_shapes_and_quality(data, fitted):
    _, y, Xb, _, test = data
    pred = fitted.predict(Xb[test])
    proba = fitted.predict_proba(Xb[test])
    assert pred.shape == y[test].shape and proba.shape == (len(test), 2, 32, 32)
    assert proba.dtype == np.float32 and np.allclose(proba.sum(1), 1, atol=1e-5)
    assert np.array_equal(pred, proba.argmax(1))
    # held-out sequence: well above the all-background (0) and all-cell (~0.15) Dice
    assert fitted.score(Xb[test], y[test]) > 0.65
    assert fitted.score(Xb[test], y[test]) == pytest.approx(dice_score(y[test], pred))
    hist = fitted.history_
    assert hist[-1, "train_loss"] < hist[0, "train_loss"]
    assert hist[-1, "train_dice"] > hist[0, "train_dice"]
    assert fitted.n_features_in_ == 1 and list(fitted.classes_) == [0, 1]


def test_predicts_other_frame_sizes_and_tiny_frames(data, fitted):
    """Fully convolutional: any size works; frames smaller than 2**depth are padded."""
    _, _, Xb, _, test = data
    frames = np.asarray(Xb)[test]
    assert fitted.predict(frames[:, :23, :30]).shape == (len(test), 23, 30)
    assert fitted.predict(np.tile(frames, (1, 2, 3))).shape == (len(test), 64, 96)
    assert fitted.predict(frames[:, :3, :2]).shape == (len(test), 3, 2)


def test_tiled_prediction_matches_whole_frame(data, fitted):
    _, _, Xb, _, test = data
    frames = np.tile(np.asarray(Xb)[test][:2], (1, 2, 2))  # 64x64
    whole = fitted.predict_proba(frames)
    tiled = clone(fitted).set_params(tile_size=32, tile_overlap=16)
    tiled.net_ = fitted.net_
    tiled.classes_, tiled.n_features_in_ = fitted.classes_, fitted.n_features_in_
    tiled.instances_ = fitted.instances_
    p = tiled.predict_proba(frames)
    # each kept pixel sees >= 8 pixels of context: nearly the same probabilities
    assert np.mean(np.abs(p - whole) < 0.05) > 0.97
    assert np.mean(p.argmax(1) == whole.argmax(1)) > 0.98


def test_random_crops_train_on_large_frames(data):
    _, y, Xb, train, test = data
    big_X = np.tile(np.asarray(Xb)[train][:8], (1, 2, 2))
    big_y = np.tile(y[train][:8], (1, 2, 2))
    seg = UNetSegmenter(max_epochs=1, crop_size=16, **TINY).fit(big_X, big_y)
    assert seg.predict(big_X[:1]).shape == (1, 64, 64)

@pytest.mark.parametrize("optimizer,loss,class_weight",
                         [("sgd", "ce", "balanced"), ("adam", "dice", "foreground")])
def test_optimizers_losses_and_the_seed_lr_decay(data, optimizer, loss, class_weight):
    _, y, Xb, train, _ = data
    decay = LRScheduler(policy="ExponentialLR", gamma=0.5)  # the seed's schedule, as a callback
    seg = UNetSegmenter(max_epochs=2, optimizer=optimizer, loss=loss, class_weight=class_weight,
                        lr=0.05 if optimizer == "sgd" else 1e-3, callbacks=[decay],
                        momentum=0.2, **TINY).fit(Xb[train], y[train])
    lrs = [g["lr"] for g in seg.net_.optimizer_.param_groups]
    assert lrs[0] == pytest.approx(seg.lr * 0.25)
    if class_weight == "balanced":
        assert seg.class_weight_[1] > seg.class_weight_[0]  # rare cells weigh more
    else:
        assert seg.class_weight_ is None  # Dice has no class weights
    expected = torch.optim.SGD if optimizer == "sgd" else torch.optim.Adam
    assert isinstance(seg.net_.optimizer_, expected)
    assert seg.net_.use_amp is False  # mixed_precision=True is ignored off CUDA


def test_amp_train_step_code_path_runs():
    """The GradScaler branch of the training step, run on CPU where the scaler and
    CUDA autocast disable themselves; on a GPU the CUDA tests cover it for real."""
    import warnings

    from sklearn_cells.base import MixedPrecisionNet

    net = MixedPrecisionNet(UNet, SegmentationLoss, module__in_channels=1, module__depth=1,
                            module__base_channels=2, module__kernel_size=3, max_epochs=2,
                            batch_size=2, train_split=None, use_amp=True, lr=0.05)
    X = torch.randn(4, 1, 8, 8)
    y = (X[:, 0] > 0).long()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        net.fit(X, y)
    assert len(net.history) == 2 and np.isfinite(net.history[-1, "train_loss"])


def test_early_stopping_holds_out_whole_sequences(data):
    X, y, Xb, train, _ = data
    seg = UNetSegmenter(max_epochs=3, early_stopping=True, validation_fraction=0.34,
                        n_iter_no_change=1, **TINY).fit(Xb[train], y[train])
    assert "valid_loss" in seg.history_[-1] and "valid_dice" in seg.history_[-1]
    assert len(seg.history_) <= 3


def test_grid_search_over_temporal_context_with_group_kfold(data):
    """1 vs 5 temporal channels is a grid parameter; folds never split a sequence."""
    X, y, _, _, _ = data
    pipe = make_pipeline(BackgroundSubtractor(), IntensityNormalizer(method="zscore"),
                         TemporalContextStacker(), UNetSegmenter(max_epochs=1, **TINY))
    search = GridSearchCV(pipe, {"temporalcontextstacker__n_context": [0, 2]},
                          cv=GroupKFold(2), scoring=segmentation_scorers(["dice", "error_rate"]),
                          refit="dice")
    search.fit(X, y, groups=X.sequence_ids)
    assert search.cv_results_["param_temporalcontextstacker__n_context"].tolist() == [0, 2]
    assert search.best_estimator_[-1].n_features_in_ in (1, 5)
    assert np.all(np.asarray(search.cv_results_["mean_test_dice"]) >= 0)
    assert search.predict(X[:8]).shape == (8, 32, 32)


# ---------------------------------------------------------------- bad inputs
def test_mask_shape_differs_from_frames():
    with pytest.raises(ValueError, match="one mask per frame"):
        UNetSegmenter(**TINY).fit(np.zeros((2, 16, 16)), np.zeros((2, 16, 15), int))


def test_non_integer_labels():
    with pytest.raises(ValueError, match="integer class labels"):
        UNetSegmenter(**TINY).fit(np.zeros((2, 16, 16)), np.full((2, 16, 16), 0.5))


def test_out_of_range_labels_suggest_binarising_instances():
    y = np.zeros((2, 16, 16), int)
    y[0, :4, :4] = 7
    with pytest.raises(ValueError, match="y > 0"):
        UNetSegmenter(instances=None, **TINY).fit(np.zeros((2, 16, 16)), y)
    with pytest.raises(ValueError, match="must lie in 0..1"):
        UNetSegmenter(**TINY).fit(np.zeros((2, 16, 16)), -y)


def test_nan_pixels():
    X = np.zeros((2, 16, 16))
    X[0, 3, 3] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        UNetSegmenter(**TINY).fit(X, np.zeros((2, 16, 16), int))


def test_empty_training_set():
    with pytest.raises(ValueError, match="no frames"):
        UNetSegmenter(**TINY).fit(np.zeros((0, 16, 16)), np.zeros((0, 16, 16), int))


def test_single_2d_frame():
    with pytest.raises(ValueError, match="single 2-D frame"):
        UNetSegmenter(**TINY).fit(np.zeros((16, 16)), np.zeros((16, 16), int))


def test_channel_count_must_match_fit(fitted):
    with pytest.raises(ValueError, match="channel"):
        fitted.predict(np.zeros((1, 5, 16, 16)))


@pytest.mark.parametrize("param,value,match", [
    ("loss", "focal", "'loss' parameter"), ("optimizer", "rmsprop", "'optimizer' parameter"),
    ("kernel_size", 4, "odd"), ("norm", "layer", "'norm' parameter"), ("depth", -1, "depth"),
    ("tile_overlap", 64, "tile_overlap"),
    ("norm", "none", "'norm' parameter"),  # None is the documented value
    ("loss", "weighted_ce", "'loss' parameter"),  # 0.1 name: now class_weight="foreground"
    ("class_weight", {5: 2.0}, "class_weight names class 5"),
])
def test_bad_hyperparameters(param, value, match):
    seg = UNetSegmenter(**{**TINY, param: value, "tile_size": 32})
    with pytest.raises(ValueError, match=match):
        seg.fit(np.zeros((2, 16, 16)), np.zeros((2, 16, 16), int))

@pytest.mark.cuda
@pytest.mark.parametrize("mixed_precision", [False, True])
def test_cuda_fit_predict_numpy_outputs(data, mixed_precision):
    _, y, Xb, train, test = data
    seg = UNetSegmenter(max_epochs=12, loss="ce+dice", lr=1e-2, dropout=0.0, device="cuda",
                        mixed_precision=mixed_precision, **TINY).fit(Xb[train], y[train])
    assert seg.net_.use_amp == mixed_precision
    pred, proba = seg.predict(Xb[test]), seg.predict_proba(Xb[test])
    assert isinstance(pred, np.ndarray) and isinstance(proba, np.ndarray)
    assert proba.dtype == np.float32
    assert seg.score(Xb[test], y[test]) > 0.6
    cpu = pickle.loads(pickle.dumps(seg))
    assert cpu.predict(Xb[test]).shape == pred.shape


@pytest.mark.cuda
def test_cuda_tiled_prediction_on_a_large_frame(fitted):
    seg = clone(fitted).set_params(device="cuda", tile_size=256, batch_size=2)
    X, y = make_timelapse(n_sequences=1, n_frames=3, frame_shape=(600, 700), random_state=1)
    seg.fit(np.asarray(X)[:1, :64, :64], y[:1, :64, :64])
    assert seg.predict(X).shape == (3, 600, 700)


def test_plots_from_estimator_and_history(data, fitted):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from sklearn_cells.plotting._segmentation import SegmentationDisplay, plot_training_curves

    _, y, Xb, _, test = data
    disp = SegmentationDisplay.from_estimator(fitted, Xb[test], y[test], index=2).plot()
    assert len(disp.axes_) == 3 and disp.heatmap.shape == (32, 32)
    assert 0 <= disp.heatmap.min() and disp.heatmap.max() <= 1
    ax = plot_training_curves(fitted)
    assert [line.get_label() for line in ax.get_lines()] == ["train_loss"]
    plt.close("all")


# ---------------------------------------------------------------- frames of any size
def test_lists_of_frames_of_different_sizes(data, fitted):
    """fit, predict, predict_proba and score take lists; a list in gives a list out."""
    _, y, Xb, train, test = data
    frames, masks = np.asarray(Xb), y
    sizes = [(32, 32), (24, 30), (17, 32), (32, 21)]
    X_list = [frames[i][:h, :w] for i, (h, w) in zip(train, sizes * 6)]
    y_list = [masks[i][:h, :w] for i, (h, w) in zip(train, sizes * 6)]
    seg = UNetSegmenter(max_epochs=12, loss="ce+dice", lr=1e-2, dropout=0.0, **TINY)
    seg.fit(X_list, y_list)
    test_list = [frames[i][:h, :w] for i, (h, w) in zip(test, sizes * 2)]
    pred = seg.predict(test_list)
    proba = seg.predict_proba(test_list)
    assert isinstance(pred, list) and isinstance(proba, list)
    assert [p.shape for p in pred] == [f.shape for f in test_list]
    assert [p.shape for p in proba] == [(2,) + f.shape for f in test_list]
    for p, q in zip(pred, proba):
        assert np.array_equal(p, q.argmax(0))
    truth = [masks[i][:h, :w] for i, (h, w) in zip(test, sizes * 2)]
    assert seg.score(test_list, truth) > 0.6
    # a list of equal-sized frames gives the array's predictions, frame by frame
    as_list = fitted.predict(list(frames[test]))
    assert isinstance(as_list, list)
    np.testing.assert_array_equal(np.stack(as_list), fitted.predict(frames[test]))


def test_masks_of_a_list_must_match_their_frames():
    X = [np.zeros((16, 16)), np.zeros((12, 20))]
    with pytest.raises(ValueError, match=r"y\[1\] has shape \(12, 19\) but frame 1 of X is "
                                         r"\(12, 20\)"):
        UNetSegmenter(**TINY).fit(X, [np.zeros((16, 16), int), np.zeros((12, 19), int)])
    with pytest.raises(ValueError, match="got 1 mask"):
        UNetSegmenter(**TINY).fit(X, [np.zeros((16, 16), int)])
    with pytest.raises(ValueError, match="masks of different sizes"):
        UNetSegmenter(**TINY).fit(np.zeros((2, 16, 16)), [np.zeros((16, 16)), np.zeros((8, 8))])


# ---------------------------------------------------------------- training budget
def _batches_per_epoch(seg):
    return [len(h["batches"]) for h in seg.history_]


def test_an_epoch_covers_each_frame_once_or_lasts_steps_per_epoch():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(3, 64, 48)).astype(np.float32)
    y = (X > 1).astype(int)
    # 64x48 frames in 16x16 crops: 12 windows per frame, 36 per epoch, 9 batches of 4
    seg = UNetSegmenter(max_epochs=2, crop_size=16, **TINY).fit(X, y)
    assert _batches_per_epoch(seg) == [9, 9]
    seg = UNetSegmenter(max_epochs=2, crop_size=16, steps_per_epoch=5, **TINY).fit(X, y)
    assert _batches_per_epoch(seg) == [5, 5]
    assert _batches_per_epoch(seg.partial_fit(X, y)) == [5, 5, 5]
    # frames no larger than the crop: one window per frame, as before
    seg = UNetSegmenter(max_epochs=1, crop_size=64, batch_size=1, depth=2, base_channels=4,
                        kernel_size=3).fit(X, y)
    assert _batches_per_epoch(seg) == [3]


def test_foreground_fraction_centres_crops_on_cells():
    from sklearn_cells.image._unet import _FrameDataset

    frames = np.zeros((2, 1, 96, 96), np.float32)
    masks = np.zeros((2, 96, 96), np.int64)
    masks[0, 70:73, 10:13] = 1  # one small cell in a large frame; none in frame 1
    seen = {}
    for fraction in (0.0, 0.5, 1.0):
        ds = _FrameDataset(frames, masks, 16, crop=16, foreground_fraction=fraction,
                           augment=False)
        assert len(ds) == 72  # (96 / 16) ** 2 windows per frame
        torch.manual_seed(0)
        hits = [bool((ds[i][1] == 1).any()) for i in range(36)]  # frame 0's items
        seen[fraction] = np.mean(hits)
    assert seen[1.0] == 1.0 and 0.3 < seen[0.5] < 0.8 and seen[0.0] < 0.2
    # a frame without cells falls back to uniform crops
    ds = _FrameDataset(frames, masks, 16, crop=16, foreground_fraction=1.0)
    assert ds[40][0].shape == (1, 16, 16)


def test_foreground_sampling_is_reproducible(data):
    _, y, Xb, train, _ = data
    X = np.tile(np.asarray(Xb)[train][:4], (1, 2, 2))
    Y = np.tile(y[train][:4], (1, 2, 2))
    params = dict(max_epochs=1, crop_size=16, foreground_fraction=0.7, **TINY)
    a = UNetSegmenter(**params).fit(X, Y).predict_proba(X[:1])
    b = UNetSegmenter(**params).fit(X, Y).predict_proba(X[:1])
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("param,value,match", [
    ("steps_per_epoch", 0, "steps_per_epoch"), ("foreground_fraction", 1.5, "foreground_fraction"),
    ("instances", "distance", "instances"),
])
def test_bad_budget_and_instance_parameters(param, value, match):
    with pytest.raises(ValueError, match=match):
        UNetSegmenter(**{**TINY, param: value}).fit(np.zeros((2, 16, 16)),
                                                    np.zeros((2, 16, 16), int))


def test_auto_epochs_fit_the_budget_to_the_device():
    seg = UNetSegmenter(batch_size=4)
    assert seg._n_epochs(range(400), "cpu") == 3  # 100 steps an epoch, about 300 steps
    assert seg._n_epochs(range(8), "cpu") == 30  # at most the GPU budget
    assert seg._n_epochs(range(40_000), "cpu") == 2  # at least two passes
    assert seg._n_epochs(range(400), "cuda") == 30
    assert seg.set_params(max_epochs=7)._n_epochs(range(400), "cpu") == 7
