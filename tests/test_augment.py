"""RandomAffine2d: fused plain-torch augmentation (issue 13)."""

import importlib.util
import math
import sys

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from sklearn_cells.image._augment import (
    RandomAffine2d,
    _affine_grid,
    _affine_theta,
)

OFF = dict(rotation=0, shift=0, shear=0, zoom=None, hflip=False, vflip=False)


def _warp(x, *, angle=0.0, shift=(0.0, 0.0), shear=0.0, zoom=1.0, flip=(1.0, 1.0)):
    """Apply one explicit transform (the same to every image) with the matrix builder."""
    n = x.shape[0]

    def full(v):
        return torch.full((n,), float(v), dtype=x.dtype)

    theta = _affine_theta(
        full(angle), full(shift[0]), full(shift[1]), full(shear), full(zoom),
        full(flip[0]), full(flip[1]), x.shape[2], x.shape[3],
    )
    return F.grid_sample(x, _affine_grid(theta, x.shape[2], x.shape[3]), align_corners=False)


def _blob(height, width, cy=0.0, cx=0.0, sigma=2.0):
    """A Gaussian blob (1, 1, H, W) at (cy, cx) pixels from the image centre."""
    yy, xx = torch.meshgrid(
        torch.arange(height) - (height - 1) / 2, torch.arange(width) - (width - 1) / 2,
        indexing="ij",
    )
    return torch.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / (2 * sigma**2))[None, None].float()


def _moments(img):
    """Centroid (y, x) from the image centre and radial standard deviation, per image."""
    h, w = img.shape[-2:]
    yy, xx = torch.meshgrid(
        torch.arange(h) - (h - 1) / 2, torch.arange(w) - (w - 1) / 2, indexing="ij"
    )
    mass = img.sum(dim=(-2, -1))
    cy = (img * yy).sum(dim=(-2, -1)) / mass
    cx = (img * xx).sum(dim=(-2, -1)) / mass
    var = (img * ((yy - cy[..., None, None]) ** 2 + (xx - cx[..., None, None]) ** 2)).sum(
        dim=(-2, -1)
    ) / mass
    return cy, cx, var.sqrt()


# --------------------------------------------------------------- identity
def test_everything_off_gives_none_and_an_identity_module():
    assert RandomAffine2d(**OFF).is_identity
    assert RandomAffine2d(**{**OFF, "zoom": (1.0, 1.0)}).is_identity
    x = torch.rand(3, 2, 9, 7)
    module = RandomAffine2d(**OFF)
    assert module.is_identity
    assert torch.equal(module(x), x)


def test_zero_transform_matrix_is_identity_up_to_rounding():
    x = torch.rand(2, 3, 9, 14)
    torch.testing.assert_close(_warp(x), x, rtol=0, atol=1e-6)


def test_eval_mode_is_identity_and_train_mode_is_not():
    x = torch.rand(4, 1, 16, 16)
    module = RandomAffine2d()
    module.eval()
    assert module(x) is x
    module.train()
    assert not torch.allclose(module(x), x)


def test_input_is_not_modified():
    x = torch.rand(4, 2, 12, 10)
    before = x.clone()
    RandomAffine2d()(x)
    assert torch.equal(x, before)


# ----------------------------------------------------- geometry of the matrix
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("height, width", [(28, 28), (5, 9), (12, 3)])
def test_grid_equals_affine_grid_without_corner_alignment(height, width, dtype):
    theta = torch.randn(4, 2, 3, generator=torch.Generator().manual_seed(0), dtype=dtype)
    expected = F.affine_grid(theta, [4, 1, height, width], align_corners=False)
    grid = _affine_grid(theta, height, width)
    assert grid.dtype == dtype
    torch.testing.assert_close(grid, expected, rtol=0, atol=1e-6)



@pytest.mark.parametrize("k", [1, 2, -1])
def test_quarter_turns_match_rot90(k):
    x = torch.rand(2, 3, 7, 7)
    # Equal up to the float32 rounding of cos(pi / 2).
    torch.testing.assert_close(_warp(x, angle=k * math.pi / 2), torch.rot90(x, k, (2, 3)),
                               rtol=0, atol=1e-6)


@pytest.mark.parametrize("flip, dims", [((-1.0, 1.0), (3,)), ((1.0, -1.0), (2,)),
                                        ((-1.0, -1.0), (2, 3))])
def test_flips_match_torch_flip_on_non_square_images(flip, dims):
    x = torch.rand(2, 2, 5, 8)
    torch.testing.assert_close(_warp(x, flip=flip), torch.flip(x, dims), rtol=0, atol=1e-6)


def test_shift_moves_content_by_the_fraction_of_each_side():
    x = torch.rand(1, 1, 10, 8)
    # 1/8 of the width is one pixel right, 2/10 of the height two pixels down.
    out = _warp(x, shift=(1 / 8, 2 / 10))
    torch.testing.assert_close(out[..., 2:, 1:], x[..., :-2, :-1], rtol=0, atol=1e-6)
    assert torch.all(out[..., :2, :] == 0) and torch.all(out[..., :, :1] == 0)


@pytest.mark.parametrize("angle, zoom", [(math.pi / 2, 1.0), (0.0, 0.5), (0.7, 0.8)])
def test_shift_is_in_output_pixels_whatever_the_rotation_and_zoom(angle, zoom):
    x = _blob(41, 61, sigma=1.5)
    cy, cx, _ = _moments(_warp(x, angle=angle, zoom=zoom, shift=(0.1, -0.1)))
    assert (cx.item(), cy.item()) == pytest.approx((6.1, -4.1), abs=0.05)


def test_rotation_is_counter_clockwise_in_pixel_units_on_non_square_images():
    # A blob 6 px right of the centre goes 6 px up: pixel units, not normalised ones.
    x = _blob(31, 61, cx=6.0)
    cy, cx, _ = _moments(_warp(x, angle=math.pi / 2))
    assert cy.item() == pytest.approx(-6.0, abs=0.05)
    assert cx.item() == pytest.approx(0.0, abs=0.05)


@pytest.mark.parametrize("zoom, expected", [(0.5, 2.0), (2.0, 0.5)])
def test_zoom_divides_the_coordinates_about_the_centre(zoom, expected):
    x = _blob(49, 49, cy=3.0, cx=-2.0, sigma=2.0)
    cy, cx, spread = _moments(_warp(x, zoom=zoom))
    _, _, spread0 = _moments(x)
    assert cy.item() == pytest.approx(3.0 * expected, abs=0.05)
    assert cx.item() == pytest.approx(-2.0 * expected, abs=0.05)
    assert (spread / spread0).item() == pytest.approx(expected, rel=0.03)


def test_shear_is_parallel_to_the_x_axis():
    x = _blob(31, 31, cy=5.0, cx=0.0)
    cy, cx, _ = _moments(_warp(x, shear=0.2))
    assert cy.item() == pytest.approx(5.0, abs=0.05)
    assert abs(cx.item()) == pytest.approx(5.0 * math.tan(0.2), abs=0.05)


# ------------------------------------------------------- the random module
def test_forced_zoom_draw_through_the_module():
    module = RandomAffine2d(**{**OFF, "zoom": (0.5, 0.5)})
    x = _blob(49, 49, cy=2.0, cx=1.0).repeat(3, 2, 1, 1)
    cy, cx, spread = _moments(module(x))
    torch.testing.assert_close(cy, torch.full_like(cy, 4.0), rtol=0, atol=0.05)
    torch.testing.assert_close(cx, torch.full_like(cx, 2.0), rtol=0, atol=0.05)
    assert torch.allclose(spread / _moments(x)[2], torch.tensor(2.0), rtol=0.03)


def test_flip_draws_give_exact_flips_with_probability_one_half():
    torch.manual_seed(0)
    x = torch.rand(1, 1, 6, 9).repeat(200, 1, 1, 1)
    out = RandomAffine2d(**{**OFF, "hflip": True})(x)
    same = torch.isclose(out, x, rtol=0, atol=1e-6).flatten(1).all(1)
    flipped = torch.isclose(out, torch.flip(x, (3,)), rtol=0, atol=1e-6).flatten(1).all(1)
    assert torch.all(same ^ flipped)
    assert 70 < flipped.sum().item() < 130


def test_random_shifts_stay_within_the_range_and_spread_over_it():
    torch.manual_seed(0)
    x = _blob(24, 40, sigma=2.0).repeat(64, 1, 1, 1)
    cy, cx, _ = _moments(RandomAffine2d(**{**OFF, "shift": 0.1})(x))
    assert cx.abs().max() <= 4.0 + 0.05 and cy.abs().max() <= 2.4 + 0.05
    assert cx.std() > 1.5 and cy.std() > 0.9  # uniform on [-4, 4] / [-2.4, 2.4]: 2.3 / 1.4


def test_reproducible_under_manual_seed_and_different_per_seed():
    x = torch.rand(8, 1, 16, 16)
    module = RandomAffine2d()
    torch.manual_seed(3)
    a = module(x)
    torch.manual_seed(3)
    b = module(x)
    torch.manual_seed(4)
    c = module(x)
    assert torch.equal(a, b)
    assert not torch.allclose(a, c)


def test_every_image_of_a_batch_gets_its_own_transform():
    torch.manual_seed(0)
    x = torch.rand(1, 1, 16, 16).repeat(8, 1, 1, 1)
    out = RandomAffine2d()(x).flatten(1)
    distances = torch.cdist(out, out)
    off_diagonal = distances[~torch.eye(8, dtype=bool)]
    assert off_diagonal.min() > 0.1


@pytest.mark.parametrize(
    "padding_mode, edges",
    [("zeros", (0.0, 0.0)), ("border", (0.0, 7.0)), ("reflection", (2.5, 4.5))],
)
def test_padding_mode_fills_the_pixels_brought_in(padding_mode, edges):
    # Zoom 2 shrinks a ramp to the central half; the first and last output
    # columns sample 3.5 px outside the image: zero, clamped to the edge
    # columns (0 and 7), or mirrored about the image edges (2.5 and 4.5).
    module = RandomAffine2d(**{**OFF, "zoom": (2.0, 2.0), "padding_mode": padding_mode})
    ramp = torch.arange(8.0).repeat(8, 1)[None, None]
    row = module(ramp)[0, 0, 4]
    assert (row[0].item(), row[-1].item()) == pytest.approx(edges, abs=1e-5)


@pytest.mark.parametrize("shape", [(5, 1, 28, 28), (3, 4, 12, 20), (2, 3, 17, 9)])
def test_any_channels_and_non_square_images(shape):
    x = torch.rand(*shape)
    out = RandomAffine2d()(x)
    assert out.shape == x.shape and out.dtype == x.dtype


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16, torch.float64])
def test_other_float_dtypes_follow_the_float32_result(dtype):
    x = torch.rand(4, 2, 12, 16)
    module = RandomAffine2d()
    torch.manual_seed(1)
    ref = module(x)
    torch.manual_seed(1)
    out = module(x.to(dtype))
    assert out.dtype == dtype
    atol = {torch.float16: 2e-3, torch.bfloat16: 2e-2, torch.float64: 1e-5}[dtype]
    torch.testing.assert_close(out.float(), ref, rtol=0, atol=atol)


@pytest.mark.cuda
@pytest.mark.parametrize("dtype", [torch.float32, torch.float16])
def test_cuda_batches_stay_on_the_device(dtype):
    module = RandomAffine2d().to("cuda")
    x = torch.rand(8, 3, 20, 24, device="cuda", dtype=dtype)
    torch.manual_seed(0)
    a = module(x)
    torch.manual_seed(0)
    b = module(x)
    assert a.is_cuda and a.dtype == dtype and a.shape == x.shape
    assert torch.equal(a, b)
    assert torch.isfinite(a).all()


def test_works_without_kornia(monkeypatch):
    monkeypatch.setitem(sys.modules, "kornia", None)  # `import kornia` now raises ImportError
    monkeypatch.setitem(sys.modules, "kornia.augmentation", None)
    # A fresh copy of the module, imported with kornia blocked (sys.modules untouched).
    path = sys.modules["sklearn_cells.image._augment"].__file__
    spec = importlib.util.spec_from_file_location("_augment_without_kornia", path)
    fresh = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(fresh)
    out = fresh.RandomAffine2d()(torch.rand(4, 1, 28, 28))
    assert out.shape == (4, 1, 28, 28)

    from sklearn_cells.image import LipNetClassifier

    rng = np.random.default_rng(0)
    X = rng.random((16, 16, 16), dtype=np.float32)
    y = np.repeat([0, 1], 8)
    clf = LipNetClassifier("lipnet2", n_filters=4, hidden_size=8, max_epochs=1, random_state=0)
    assert clf.fit(X, y).predict(X).shape == (16,)


# -------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    "params, error, match",
    [
        (dict(rotation=-1), ValueError, "rotation is a maximum magnitude"),
        (dict(shift=-0.1), ValueError, "shift is a maximum magnitude"),
        (dict(shear=-0.2), ValueError, "shear is a maximum magnitude"),
        (dict(rotation=float("nan")), ValueError, "finite number >= 0"),
        (dict(shift=float("inf")), ValueError, "finite number >= 0"),
        (dict(shear=2.0), ValueError, "below pi/2"),
        (dict(rotation=True), TypeError, "rotation must be a number"),
        (dict(shift="0.1"), TypeError, "shift must be a number"),
        (dict(zoom=(1.0, 0.8)), ValueError, r"0 < low <= high; got \(1.0, 0.8\)"),
        (dict(zoom=(0.0, 1.0)), ValueError, "0 < low <= high"),
        (dict(zoom=(-0.5, 1.0)), ValueError, "0 < low <= high"),
        (dict(zoom=0.8), TypeError, "pair of numbers"),
        (dict(zoom=(0.8,)), TypeError, "pair of numbers"),
        (dict(zoom="ab"), TypeError, "pair of numbers"),
        (dict(hflip=1), TypeError, "hflip must be True or False"),
        (dict(vflip=None), TypeError, "vflip must be True or False"),
        (dict(padding_mode="constant"), ValueError, "'zeros', 'border' or 'reflection'"),
    ],
)
def test_bad_parameters_raise_clear_errors(params, error, match):
    with pytest.raises(error, match=match):
        RandomAffine2d(**params)


def test_bad_batches_raise_clear_errors():
    module = RandomAffine2d()
    with pytest.raises(ValueError, match=r"\(batch, C, H, W\).*unsqueeze\(1\)"):
        module(torch.rand(4, 28, 28))
    with pytest.raises(TypeError, match="floating-point.*x.float"):
        module(torch.zeros(4, 1, 28, 28, dtype=torch.uint8))
