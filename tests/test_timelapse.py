"""make_timelapse, TimelapseFrames and the temporal transformers."""

import numpy as np
import pytest
from scipy import ndimage
from sklearn.base import clone
from sklearn.model_selection import GroupKFold
from sklearn.utils import _safe_indexing

from sklearn_cells.datasets._timelapse import make_timelapse
from sklearn_cells.image._background import BackgroundSubtractor
from sklearn_cells.image._normalize import IntensityNormalizer
from sklearn_cells.image._temporal import TemporalContextStacker, TimelapseFrames


@pytest.fixture(scope="module")
def movie():
    return make_timelapse(n_sequences=3, n_frames=10, frame_shape=(40, 48), instance_masks=True,
                          division_rate=0.05, random_state=0)


# ---------------------------------------------------------------- make_timelapse
def test_make_timelapse_shapes_ids_and_reproducibility(movie):
    X, y = movie
    assert isinstance(X, TimelapseFrames) and X.shape == (30, 40, 48) and X.dtype == np.float32
    assert y.shape == (30, 40, 48) and y.dtype == np.int32
    assert X.sequence_ids.tolist() == [0] * 10 + [1] * 10 + [2] * 10
    assert X.frame_indices.tolist() == list(range(10)) * 3
    X2, y2 = make_timelapse(n_sequences=3, n_frames=10, frame_shape=(40, 48), instance_masks=True,
                            division_rate=0.05, random_state=0)
    assert np.array_equal(np.asarray(X), np.asarray(X2)) and np.array_equal(y, y2)
    X3, _ = make_timelapse(n_sequences=3, n_frames=10, frame_shape=(40, 48), random_state=1)
    assert not np.array_equal(np.asarray(X), np.asarray(X3))


def test_make_timelapse_cells_move_divide_and_binary_masks(movie):
    X, y = movie
    frac = (y > 0).mean()
    assert 0.02 < frac < 0.4
    # ids persist over time; divisions create new ids
    first, last = set(np.unique(y[0])) - {0}, set(np.unique(y[9])) - {0}
    assert first & last and (last - first)
    # cells move: the centroid of a persisting cell shifts
    cid = sorted(first & last)[0]
    c0 = np.argwhere(y[0] == cid).mean(0)
    c9 = np.argwhere(y[9] == cid).mean(0)
    assert np.hypot(*(c9 - c0)) > 1.0
    _, yb = make_timelapse(n_sequences=3, n_frames=10, frame_shape=(40, 48),
                           division_rate=0.05, random_state=0)
    assert set(np.unique(yb)) == {0, 1} and np.array_equal(yb, (y > 0).astype(np.int32))


def test_make_timelapse_background_is_removed_by_median(movie):
    """Static clutter (debris, well edge, illumination) dominates the raw background;
    after temporal-median subtraction the background is nearly flat."""
    X, y = movie
    raw = np.asarray(X)
    sub = np.asarray(BackgroundSubtractor().fit_transform(X))
    bg = y == 0
    assert sub[bg].std() < 0.6 * raw[bg].std()
    # cells still stand out (less with few frames: slow cells leak into the median)
    assert sub[~bg].mean() - sub[bg].mean() > 0.25


def test_make_timelapse_bad_sizes():
    with pytest.raises(ValueError, match="8x8"):
        make_timelapse(frame_shape=(4, 4))


# ---------------------------------------------------------------- container
def test_timelapse_frames_indexing_follows_sklearn():
    X = TimelapseFrames.from_sequences([np.zeros((3, 4, 4)), np.ones((2, 4, 4))], ["a", "b"])
    sub = _safe_indexing(X, np.array([4, 0]))
    assert isinstance(sub, TimelapseFrames)
    assert sub.sequence_ids.tolist() == ["b", "a"] and sub.frame_indices.tolist() == [1, 0]
    assert np.asarray(sub)[0].max() == 1
    assert X[1].shape == (4, 4) and len(X[1:3]) == 2 and len(X) == 5
    assert X[np.array([True, False, False, False, True])].sequence_ids.tolist() == ["a", "b"]
    folds = list(GroupKFold(2).split(X, groups=X.sequence_ids))
    for train, test in folds:
        assert not set(X.sequence_ids[train]) & set(X.sequence_ids[test])


def test_timelapse_frames_bad_inputs():
    with pytest.raises(ValueError, match="one id per frame"):
        TimelapseFrames(np.zeros((3, 4, 4)), sequence_ids=[0, 1])
    with pytest.raises(ValueError, match="repeated frame_indices"):
        TimelapseFrames(np.zeros((2, 4, 4)), frame_indices=[0, 0])
    with pytest.raises(ValueError, match="frame\\[None\\]"):
        TimelapseFrames(np.zeros((4, 4)))


# ---------------------------------------------------------------- stacking
def _ramp_sequences():
    """Two sequences whose pixel values are 100 * sequence + time."""
    seqs = [np.full((4, 2, 3), 100.0 * s) + np.arange(4)[:, None, None] for s in range(2)]
    return TimelapseFrames.from_sequences(seqs)


def test_stacker_never_mixes_sequences_and_repeats_ends():
    X = _ramp_sequences()
    Xt = TemporalContextStacker(n_context=2).fit_transform(X)
    assert isinstance(Xt, TimelapseFrames) and Xt.shape == (8, 5, 2, 3)
    values = np.asarray(Xt)[:, :, 0, 0]
    assert values[0].tolist() == [0, 0, 0, 1, 2]
    assert values[3].tolist() == [1, 2, 3, 3, 3]
    assert values[4].tolist() == [100, 100, 100, 101, 102]
    assert np.array_equal(Xt.sequence_ids, X.sequence_ids)


def test_stacker_uses_time_not_position():
    X = _ramp_sequences()
    shuffled = X[np.array([3, 6, 0, 2, 7, 1, 5, 4])]
    out = np.asarray(TemporalContextStacker(n_context=1).fit_transform(shuffled))[:, :, 0, 0]
    ref = np.asarray(TemporalContextStacker(n_context=1).fit_transform(X))[:, :, 0, 0]
    assert np.array_equal(out, ref[[3, 6, 0, 2, 7, 1, 5, 4]])
    # a missing time (frame 2 of sequence 0) is filled by the nearest towards t
    gap = X[np.array([0, 1, 3])]
    out = np.asarray(TemporalContextStacker(n_context=2).fit_transform(gap))[:, :, 0, 0]
    assert out[2].tolist() == [1, 3, 3, 3, 3]


def test_stacker_multichannel_and_zero_context():
    frames = np.arange(3 * 2 * 2 * 2, dtype=float).reshape(3, 2, 2, 2)
    out = TemporalContextStacker(n_context=1).fit_transform(frames)
    assert out.shape == (3, 6, 2, 2)
    assert np.array_equal(out[1], frames[[0, 1, 2]].reshape(6, 2, 2))
    same = TemporalContextStacker(n_context=0).fit_transform(frames[:, 0])
    assert same.shape == (3, 1, 2, 2) and np.array_equal(same[:, 0], frames[:, 0])


def test_stacker_single_frame_is_an_error():
    with pytest.raises(ValueError, match="temporal context"):
        TemporalContextStacker(n_context=2).fit_transform(np.zeros((1, 4, 4)))
    with pytest.raises(ValueError, match="single 2-D frame"):
        TemporalContextStacker().fit_transform(np.zeros((4, 4)))
    with pytest.raises(ValueError, match="n_context"):
        TemporalContextStacker(n_context=-1).fit(np.zeros((3, 4, 4)))


# ---------------------------------------------------------------- background
def test_background_is_per_sequence():
    rng = np.random.default_rng(0)
    seqs = [rng.normal(size=(5, 6, 6)) + offset for offset in (0.0, 50.0)]
    X = TimelapseFrames.from_sequences(seqs)
    out = np.asarray(BackgroundSubtractor().fit_transform(X))
    for s, seq in enumerate(seqs):
        assert np.allclose(out[5 * s:5 * s + 5], seq - np.median(seq, axis=0), atol=1e-5)
    mixed = BackgroundSubtractor().fit_transform(np.asarray(X))  # plain array = one sequence
    assert not np.allclose(mixed, out)
    mean = np.asarray(BackgroundSubtractor(method="mean").fit_transform(X))
    assert np.allclose(mean[:5].mean(0), 0, atol=1e-5)


def test_background_inputs_untouched_and_errors():
    frames = np.arange(3 * 16, dtype=np.float32).reshape(3, 4, 4)
    copy = frames.copy()
    BackgroundSubtractor().fit_transform(frames)
    assert np.array_equal(frames, copy)
    with pytest.raises(ValueError, match="needs at least 3 frames"):
        BackgroundSubtractor().fit_transform(frames[:1])
    nan = frames.copy()
    nan[0, 0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        BackgroundSubtractor().fit_transform(nan)
    with pytest.raises(ValueError, match="method"):
        BackgroundSubtractor(method="mode").fit(frames)


# ---------------------------------------------------------------- normalisation
def test_normalizer_is_robust_to_16_bit_offsets_and_gain():
    rng = np.random.default_rng(0)
    frames = rng.integers(0, 200, size=(3, 20, 20)).astype(np.uint8)
    camera = frames.astype(np.uint16) * 37 + 1200
    for method in ("percentile", "zscore"):
        a = IntensityNormalizer(method=method).fit_transform(frames)
        b = IntensityNormalizer(method=method).fit_transform(camera)
        assert a.dtype == np.float32 and np.allclose(a, b, atol=1e-4)


def test_normalizer_per_sequence_keeps_changes_over_time():
    seq = np.stack([np.linspace(0, 1, 100).reshape(10, 10) * g for g in (1.0, 2.0, 3.0)])
    X = TimelapseFrames.from_sequences([seq, seq * 5])
    per_frame = np.asarray(IntensityNormalizer(percentiles=(0, 100)).fit_transform(X))
    per_seq = np.asarray(IntensityNormalizer(per="sequence", percentiles=(0, 100)).fit_transform(X))
    assert np.allclose(per_frame.max(axis=(1, 2)), 1)
    assert np.allclose(per_seq[:3].max(axis=(1, 2)), [1 / 3, 2 / 3, 1])
    assert np.allclose(per_seq[:3], per_seq[3:])  # the gain of sequence 2 is gone
    z = IntensityNormalizer(method="zscore").fit_transform(np.zeros((2, 4, 4)))
    assert np.array_equal(z, np.zeros((2, 4, 4)))  # constant frames map to zero
    clipped = IntensityNormalizer(clip=True).fit_transform(seq)
    assert clipped.min() >= 0 and clipped.max() <= 1


def test_normalizer_bad_params():
    with pytest.raises(ValueError, match="percentiles"):
        IntensityNormalizer(percentiles=(99, 1)).fit(np.zeros((2, 4, 4)))
    with pytest.raises(ValueError, match="percentiles"):  # stateless: without fit too
        IntensityNormalizer(percentiles=(99, 1)).transform(np.zeros((2, 4, 4)))
    with pytest.raises(ValueError, match="'per' parameter of IntensityNormalizer"):
        IntensityNormalizer(per="pixel").fit(np.zeros((2, 4, 4)))


def test_transformers_are_stateless_and_clonable():
    X = _ramp_sequences()
    for est in (BackgroundSubtractor(), IntensityNormalizer(), TemporalContextStacker()):
        fitted = clone(est).fit(X)
        assert fitted.n_features_in_ == 1
        assert np.allclose(np.asarray(fitted.transform(X)), np.asarray(clone(est).transform(X)))


# ---------------------------------------------------------------- frames of any size
def _two_sizes():
    """Sequence "a": 4 frames of 6x8; sequence "b": 3 frames of 5x4 (values 100 + t)."""
    rng = np.random.default_rng(0)
    a = rng.normal(size=(4, 6, 8)).astype(np.float32)
    b = (100.0 + np.arange(3)[:, None, None] + rng.normal(size=(3, 5, 4))).astype(np.float32)
    return a, b, TimelapseFrames.from_sequences([a, b], ["a", "b"])


def test_timelapse_frames_of_different_sizes_keep_their_bookkeeping():
    _, b, X = _two_sizes()
    assert X.ragged and X.shape == (7,) and len(X) == 7 and "ragged" in repr(X)
    assert X.sequence_ids.tolist() == ["a"] * 4 + ["b"] * 3
    assert X.frame_indices.tolist() == [0, 1, 2, 3, 0, 1, 2]
    assert X[5].shape == (5, 4) and np.array_equal(X[5], b[1])
    sub = _safe_indexing(X, np.array([6, 0]))
    assert sub.ragged and sub.sequence_ids.tolist() == ["b", "a"]
    assert sub.frame_indices.tolist() == [2, 0]
    same_size = X[np.array([4, 5])]  # one size again: stacked
    assert not same_size.ragged and same_size.shape == (2, 5, 4)
    for train, test in GroupKFold(2).split(X, groups=X.sequence_ids):
        assert not set(X.sequence_ids[train]) & set(X.sequence_ids[test])
    with pytest.raises(ValueError, match="different sizes"):
        np.asarray(X, dtype=np.float64)
    with pytest.raises(ValueError, match="same C"):
        TimelapseFrames([np.zeros((4, 4)), np.zeros((2, 5, 5))])


def test_transformers_on_frames_of_different_sizes_match_per_sequence_arrays():
    a, b, X = _two_sizes()
    for est in (BackgroundSubtractor(), BackgroundSubtractor(keep_raw=True),
                IntensityNormalizer(per="sequence"), IntensityNormalizer(method="zscore"),
                TemporalContextStacker(n_context=1)):
        out = est.fit_transform(X)
        assert isinstance(out, TimelapseFrames) and out.ragged
        assert np.array_equal(out.sequence_ids, X.sequence_ids)
        for pos, seq in ((slice(0, 4), a), (slice(4, 7), b)):
            ref = np.asarray(clone(est).fit_transform(seq))
            got = np.stack([out[i] for i in range(7)[pos]])
            np.testing.assert_allclose(got, ref, rtol=1e-6, atol=1e-5)
        assert est.n_features_in_ == 1


def test_a_list_of_frames_gives_a_list():
    frames = [np.full((6, 8), 3.0), np.arange(20.0).reshape(4, 5), np.ones((7, 7))]
    out = IntensityNormalizer(percentiles=(0, 100)).fit_transform(frames)
    assert isinstance(out, list) and [f.shape for f in out] == [(6, 8), (4, 5), (7, 7)]
    assert out[1].min() == 0 and out[1].max() == 1 and not out[0].any()
    stacked = TemporalContextStacker(n_context=0).fit_transform(frames)
    assert [f.shape for f in stacked] == [(1, 6, 8), (1, 4, 5), (1, 7, 7)]
    # a list of equal-sized frames stays a list too
    same = IntensityNormalizer().fit_transform([np.ones((4, 4)), np.zeros((4, 4))])
    assert isinstance(same, list) and len(same) == 2
    assert frames[1][0, 1] == 1.0  # input untouched


def test_sequences_need_one_frame_size_where_frames_are_compared():
    frames = [np.zeros((6, 8)), np.zeros((6, 8)), np.zeros((5, 8)), np.ones((5, 8))]
    for est in (BackgroundSubtractor(), TemporalContextStacker(n_context=1)):
        with pytest.raises(ValueError, match="sequence 0 holds frames of different sizes"):
            est.fit_transform(frames)
    # one sequence id per size is the fix
    X = TimelapseFrames(frames, sequence_ids=[0, 0, 1, 1])
    assert TemporalContextStacker(n_context=1).fit_transform(X)[2].shape == (3, 5, 8)


def test_bad_lists_of_frames_name_the_frame():
    from sklearn_cells.image._temporal import check_frames

    good = np.zeros((6, 8))
    cases = [
        ([good, np.zeros((2, 6, 8))], r"X\[1\] has shape \(2, 6, 8\) but X\[0\]"),
        ([good, np.zeros((2, 3, 6, 8))], r"X\[1\] has shape .* must be \(H, W\) or \(C, H, W\)"),
        ([np.zeros((16, 12, 3)), np.zeros((10, 12, 3))], r"X\[0\] .*channel-last.*transpose"),
        ([good, np.full((3, 3), np.nan)], r"X\[1\] contains NaN"),
        ([good, np.zeros((0, 4))], r"X\[1\] is an empty frame"),
        ([], "no frames"),
    ]
    for frames, match in cases:
        with pytest.raises(ValueError, match=match):
            check_frames(frames, allow_list=True)
    with pytest.raises(TypeError, match=r"X\[1\] must be a numeric"):
        check_frames([good, np.array([["a"]])], allow_list=True)
    # a step that needs one array says so instead of numpy's "inhomogeneous shape"
    with pytest.raises(ValueError, match="frames of different sizes.*list of frames"):
        check_frames([good, np.zeros((5, 5))])


# ---------------------------------------------------------------- raw + subtracted
def test_keep_raw_keeps_cells_that_never_move():
    rng = np.random.default_rng(0)
    frames = rng.normal(scale=0.1, size=(6, 12, 12)).astype(np.float32)
    frames[:, 2:5, 2:5] += 3.0  # a cell that sits still: the median takes it
    frames[np.arange(6), 8, np.arange(6) + 3] += 3.0  # one that moves
    plain = BackgroundSubtractor().fit_transform(frames)
    both = BackgroundSubtractor(keep_raw=True).fit_transform(frames)
    assert both.shape == (6, 2, 12, 12)
    np.testing.assert_array_equal(both[:, 0], frames)
    np.testing.assert_array_equal(both[:, 1], plain)
    assert plain[:, 2:5, 2:5].mean() < 0.2 and both[:, 0, 2:5, 2:5].mean() > 2.5
    assert plain[np.arange(6), 8, np.arange(6) + 3].mean() > 2.5
    # channels: raw C, then subtracted C; per-channel normalisation treats them apart
    multi = BackgroundSubtractor(keep_raw=True).fit_transform(np.stack([frames, 10 * frames], 1))
    assert multi.shape == (6, 4, 12, 12)
    np.testing.assert_allclose(multi[:, 3], 10 * plain, rtol=1e-5, atol=1e-5)
    offset = BackgroundSubtractor(keep_raw=True).fit_transform(frames + 50)  # camera offset
    norm = IntensityNormalizer(method="zscore", per_channel=True).fit_transform(offset)
    assert abs(np.median(norm[:, 0])) < 1e-4 and abs(np.median(norm[:, 1])) < 1e-4
    joint = IntensityNormalizer(method="zscore").fit_transform(offset)
    assert abs(np.median(joint[:, 1])) > 0.5  # shifted by the raw channel's offset
    with pytest.raises(ValueError, match="keep_raw"):
        BackgroundSubtractor(keep_raw="yes").fit(frames)
    with pytest.raises(ValueError, match="per_channel"):
        IntensityNormalizer(per_channel=1).fit(frames)


# ---------------------------------------------------------------- touching cells
def test_make_timelapse_touching_pairs_merge_under_connected_components():
    from sklearn_cells.metrics import label_instances

    _, y = make_timelapse(n_sequences=2, n_frames=8, frame_shape=(48, 48), n_cells=2,
                          touching=1.0, division_rate=0.5, n_debris=0, instance_masks=True,
                          random_state=0)
    for frame in y:
        assert sorted(set(np.unique(frame)) - {0}) == [1, 2]  # pairs never divide
        # the pair shares an edge, so connected components see one object
        second = frame == 2
        near = np.zeros_like(second)
        near[:-1] |= second[1:]
        near[1:] |= second[:-1]
        near[:, :-1] |= second[:, 1:]
        near[:, 1:] |= second[:, :-1]
        assert (near & (frame == 1)).any()
        assert label_instances(frame > 0).max() == 1
    with pytest.raises(ValueError, match="touching"):
        make_timelapse(touching=1.5)


def test_make_timelapse_outline_darkens_cell_rims_only():
    kwargs = dict(n_sequences=1, n_frames=3, frame_shape=(40, 40), n_debris=0, noise=0.0,
                  cell_radius=(6.0, 8.0), n_cells=1, division_rate=0.0,
                  microwell=False, illumination=0.0, instance_masks=True, random_state=0)
    X0, y0 = make_timelapse(**kwargs)
    X1, y1 = make_timelapse(outline=0.6, **kwargs)
    assert np.array_equal(y0, y1)  # same cells, same masks
    change = np.asarray(X1) - np.asarray(X0)
    cells = y0 > 0
    in_plane = np.zeros((3, 3, 3), bool)
    in_plane[1] = ndimage.generate_binary_structure(2, 1)  # erode within each frame
    inner = ndimage.binary_erosion(cells, in_plane, iterations=4)
    rim = cells & ~ndimage.binary_erosion(cells, in_plane)
    assert change[rim].mean() < -0.2 and abs(change[inner].mean()) < 0.02
