"""Exact tiled inference of UNetSegmenter and the U-Net's receptive field (issue 14)."""

import itertools

import numpy as np
import pytest
import torch

from sklearn_cells.image._unet import UNetSegmenter, _pad_index, _plan_tiles, _round_up
from sklearn_cells.nn import unet_receptive_field
from sklearn_cells.nn.unet import UNet


# ---------------------------------------------------------------- receptive field
@pytest.mark.parametrize("depth,kernel_size,n_convs", [
    (0, 3, 2), (1, 3, 1), (2, 3, 1), (2, 3, 2), (3, 5, 1),
])
def test_receptive_field_is_the_reach_of_a_one_pixel_change(depth, kernel_size, n_convs):
    """Perturb one input pixel of a random network: outputs change exactly within the radius."""
    radius = unet_receptive_field(depth, kernel_size, n_convs)
    m = 2**depth
    torch.manual_seed(0)
    net = UNet(1, 2, depth=depth, base_channels=4, kernel_size=kernel_size, n_convs=n_convs,
               dropout=0.0).double().eval()
    assert net.receptive_field == radius
    width = _round_up(2 * radius + 4 * m, m)
    x = torch.randn(1, 1, m, width, dtype=torch.float64)
    with torch.no_grad():
        base = net(x)
        left = right = 0
        # the reach depends on the position modulo 2**depth: try every residue
        for col in range(width // 2, width // 2 + m):
            bumped = x.clone()
            bumped[..., col] += 10.0
            changed = torch.nonzero((net(bumped) - base).abs().amax(dim=(0, 1, 2)) > 1e-12)
            left = max(left, col - int(changed.min()))
            right = max(right, int(changed.max()) - col)
    assert left == radius and right == radius


def test_receptive_field_of_the_default_network_and_bad_arguments():
    assert unet_receptive_field() == unet_receptive_field(5, 5, 1) == 219
    with pytest.raises(ValueError, match="depth"):
        unet_receptive_field(-1)
    with pytest.raises(ValueError, match="kernel_size"):
        unet_receptive_field(2, 4)
    with pytest.raises(ValueError, match="n_convs"):
        unet_receptive_field(2, 3, 0)


# ---------------------------------------------------------------- planner
def test_pad_index_matches_numpy_padding():
    for length in (1, 2, 3, 7, 16):
        a = np.arange(length)
        for padded in (length, length + 1, 2 * length + 3, 40):
            expected = np.pad(a, (0, padded - length), mode="reflect" if length > 1 else "edge")
            assert np.array_equal(a[_pad_index(length, padded, True)], expected)
            assert np.array_equal(a[_pad_index(length, padded, False)],
                                  np.pad(a, (0, padded - length), mode="edge"))


@pytest.mark.parametrize("multiple", [1, 4, 32])
def test_plan_is_on_the_grid_keeps_margins_and_covers_each_pixel_once(multiple):
    for length, tile, margin in itertools.product((1, 31, 53, 100, 700, 1026),
                                                  (2, 3, 8, 32), (0, 5, 13, 60)):
        tile *= multiple
        if tile - 2 * margin < multiple:
            with pytest.raises(ValueError, match="no room"):
                _plan_tiles(max(length, 2 * tile), tile, margin, multiple)
            continue
        plan = _plan_tiles(length, tile, margin, multiple)
        padded = _round_up(length, multiple)
        cover = np.zeros(length, int)
        for start, stop, keep_start, keep_stop in plan:
            assert start % multiple == 0 and stop % multiple == 0
            assert 0 <= start <= keep_start < keep_stop <= stop <= padded
            assert stop - start <= tile
            assert start == 0 or keep_start - start >= margin
            assert stop == padded or stop - keep_stop >= margin
            cover[keep_start:keep_stop] += 1
        assert (cover == 1).all()
        assert plan[-1][1] == padded


def test_plan_wastes_no_full_tile():
    """A 1026-pixel axis in 1024 tiles (depth 5, default overlap): 1024 + 480, not 2 x 1024."""
    plan = _plan_tiles(1026, 1024, 219, 32)
    assert [stop - start for start, stop, _, _ in plan] == [1024, 480]
    area = sum((a[1] - a[0]) * (b[1] - b[0]) for a, b in itertools.product(plan, plan))
    assert area < 0.55 * 4 * 1024**2
    # fits in one tile: a single window of the padded size
    assert _plan_tiles(1000, 1024, 219, 32) == [(0, 1024, 0, 1000)]
    for length, tile, margin, m in [(1026, 1024, 219, 32), (5000, 1024, 219, 32),
                                    (900, 512, 125, 32), (71, 48, 13, 4), (100, 32, 4, 8)]:
        plan = _plan_tiles(length, tile, margin, m)
        starts = [start for start, _, _, _ in plan]
        overlap = _round_up(2 * margin, m)
        # the fewest windows, each start as late as the margins allow, the least total length
        assert len(plan) == 1 + -(-(_round_up(length, m) - tile) // (tile - overlap))
        assert all(b - a == tile - overlap for a, b in zip(starts, starts[1:]))
        assert sum(stop - start for start, stop, _, _ in plan) == (
            _round_up(length, m) + (len(plan) - 1) * overlap)


# ---------------------------------------------------------------- estimator
def _copy_fitted(seg, **params):
    """The same fitted network under other tiling parameters."""
    other = UNetSegmenter(**{**seg.get_params(), **params})
    for name in ("net_", "classes_", "n_features_in_", "instances_"):
        setattr(other, name, getattr(seg, name))
    return other


@pytest.fixture(scope="module")
def depth2():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(4, 53, 71)).astype(np.float32)
    y = (X > 0.8).astype(int)
    seg = UNetSegmenter(depth=2, base_channels=4, kernel_size=3, max_epochs=1, batch_size=2,
                        tile_size=None, random_state=0).fit(X, y)
    return seg, X


def test_tiled_equals_whole_frame_on_53x71_depth2(depth2):
    seg, X = depth2
    X_before = X.copy()
    whole = seg.predict_proba(X)
    radius = unet_receptive_field(2, 3, 1)
    for overlap in ("auto", 2 * radius):
        tiled = _copy_fitted(seg, tile_size=48, tile_overlap=overlap)
        assert tiled._tile_geometry() == (48, radius)
        proba = tiled.predict_proba(X)
        assert np.abs(proba - whole).max() < 1e-4
        assert np.array_equal(tiled.predict(X), proba.argmax(1))
    # with no overlap the seams show: the agreement above is not a coincidence
    seams = _copy_fitted(seg, tile_size=48, tile_overlap=0).predict_proba(X)
    assert np.abs(seams - whole).max() > 1e-3
    assert np.array_equal(X, X_before)


def test_tiles_are_batched_by_shape_and_bounded_by_batch_size(depth2):
    seg, X = depth2
    tiled = _copy_fitted(seg, tile_size=48, batch_size=3)
    seen = []
    hook = seg.net_.module_.register_forward_hook(
        lambda module, inputs, output: seen.append(tuple(inputs[0].shape)))
    try:
        tiled.predict(X)
    finally:
        hook.remove()
    # padded 56 x 72, margin 13, windows advance by 20: heights 48, 36; widths 48, 48, 32
    assert all(shape[0] <= 3 for shape in seen)
    assert sum(shape[0] for shape in seen) == 4 * 2 * 3
    assert sorted({shape[2:] for shape in seen}) == [(36, 32), (36, 48), (48, 32), (48, 48)]
    # tiles of one shape from all frames fill batches: 8, 4, 8, 4 tiles in batches of 3
    assert len(seen) == 3 + 2 + 3 + 2


def test_tiled_equals_whole_frame_on_700x900_depth5():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(2, 64, 64)).astype(np.float32)
    seg = UNetSegmenter(depth=5, base_channels=2, kernel_size=3, max_epochs=1, tile_size=None,
                        random_state=0).fit(X, (X > 0.8).astype(int))
    frames = rng.normal(size=(1, 700, 900)).astype(np.float32)
    whole = seg.predict_proba(frames)
    tiled = _copy_fitted(seg, tile_size=512)  # radius 125: windows of 512 advance by 256
    proba = tiled.predict_proba(frames)
    assert np.abs(proba - whole).max() < 1e-4
    assert np.array_equal(tiled.predict(frames), proba.argmax(1))


def test_default_overlap_covers_the_receptive_field():
    seg = UNetSegmenter()
    assert seg.tile_overlap == "auto"
    assert seg._tile_geometry() == (1024, unet_receptive_field(5, 5, 1))
    assert UNetSegmenter(n_convs=2, tile_size=1000)._tile_geometry() == (
        1024, unet_receptive_field(5, 5, 2))
    assert UNetSegmenter(tile_overlap=64)._tile_geometry() == (1024, 32)


@pytest.mark.parametrize("params,match", [
    ({"tile_overlap": "big"}, "'tile_overlap' parameter .* Got 'big'"),
    ({"tile_overlap": -2}, "'tile_overlap' parameter .* Got -2"),
    ({"tile_overlap": 1.5}, "'tile_overlap' parameter"),
    ({"tile_overlap": True}, "'tile_overlap' parameter .* Got True"),
    ({"tile_overlap": 30, "tile_size": 32}, "tile_overlap <= 28"),
    ({"tile_overlap": 64, "tile_size": 32}, "tile_overlap <= 28"),
    ({"tile_size": 28}, r"too small for tile_overlap='auto'.*tile_size >= 30"),
    ({"tile_size": 0}, "'tile_size' parameter .* Got 0"),
])
def test_bad_tiling_parameters(params, match):
    seg = UNetSegmenter(depth=2, base_channels=4, kernel_size=3, max_epochs=1, **params)
    with pytest.raises(ValueError, match=match):
        seg.fit(np.zeros((2, 16, 16), np.float32), np.zeros((2, 16, 16), int))
