"""ParticleMasker: the seed's three input modes, resizing and small particles."""

import numpy as np
import pytest
from sklearn.base import clone

from sklearn_cells.image._masking import ParticleMasker
from sklearn_cells.image._particles import ParticleImages


def _particle(size=60, box=(20, 40, 25, 35), value=100.0, background=10.0):
    """A bright rectangle ``box`` (top, bottom, left, right) on a darker image."""
    image = np.full((size, size), background)
    mask = np.zeros((size, size), bool)
    t, b, l, r = box
    image[t:b, l:r] = value
    mask[t:b, l:r] = True
    image[0:5, 0:5] = 50.0  # something in the surroundings
    return image, mask


def test_modes_shapes_and_content():
    image, mask = _particle()
    X = ParticleImages([image], [mask])
    out = {m: ParticleMasker(mode=m, output_size=16).fit_transform(X)[0] for m in ("surround", "crop", "crop_mask")}
    for o in out.values():
        assert o.shape == (16, 16) and o.dtype == np.float32
    # surround keeps the context in the corner; crops do not reach it
    assert out["surround"][0, 0] == pytest.approx(50.0, abs=15)
    # the 20x10 box is squared around its centre: crop shows the background
    # at the sides, crop_mask the fill value
    assert out["crop"][8, 0] == pytest.approx(10.0, abs=1)
    assert out["crop_mask"][8, 0] == 0.0
    assert out["crop_mask"][8, 8] == pytest.approx(100.0)
    # without keep_aspect the box is stretched to fill the square
    stretched = ParticleMasker(mode="crop_mask", output_size=16, keep_aspect=False).fit_transform(X)[0]
    assert stretched.min() == pytest.approx(100.0)


def test_mixed_sizes_and_no_mutation():
    rng = np.random.default_rng(0)
    images, masks = [], []
    for size in (40, 71, 120):
        image, mask = _particle(size, (size // 4, size // 2, size // 4, size // 2))
        images.append(image + rng.random(image.shape))
        masks.append(mask)
    before = [im.copy() for im in images]
    X = ParticleImages(images, masks)
    out = ParticleMasker(output_size=28, margin=2).fit_transform(X)
    assert out.shape == (3, 28, 28)
    for a, b in zip(images, before):
        np.testing.assert_array_equal(a, b)


def test_small_particles_upsample_pad_error():
    image, mask = _particle(40, (18, 24, 17, 23))  # a 6x6 particle
    X = ParticleImages([image], [mask])
    up = ParticleMasker(output_size=20, small_particles="upsample").fit_transform(X)[0]
    assert up[3:17, 3:17].min() == pytest.approx(100.0)  # enlarged to fill the input
    pad = ParticleMasker(output_size=20, small_particles="pad").fit_transform(X)[0]
    assert (pad > 50).sum() == 36  # kept at its own scale, 6x6 pixels
    assert pad[0, 0] == 0.0
    crop_pad = ParticleMasker(mode="crop", output_size=20, small_particles="pad").fit_transform(X)[0]
    assert crop_pad[0, 0] == 10.0  # the window shows the surroundings
    with pytest.raises(ValueError, match="smaller than output_size=20"):
        ParticleMasker(output_size=20, small_particles="error").fit_transform(X)


def test_particle_at_the_border_is_padded():
    image, mask = _particle(30, (0, 20, 0, 8))
    out = ParticleMasker(mode="crop", output_size=20).fit_transform(ParticleImages([image], [mask]))
    assert np.isfinite(out).all() and out.shape == (1, 20, 20)


@pytest.mark.parametrize(
    "params, match",
    [
        ({"mode": "masked"}, "'mode' parameter of ParticleMasker"),
        ({"small_particles": "grow"}, "'small_particles' parameter of ParticleMasker"),
        ({"output_size": 0}, "output_size"),
        ({"margin": -1}, "margin"),
    ],
)
def test_bad_parameters(params, match):
    image, mask = _particle()
    with pytest.raises(ValueError, match=match):
        ParticleMasker(**params).fit(ParticleImages([image], [mask]))


def test_rejects_plain_arrays():
    with pytest.raises(TypeError, match="ParticleImages"):
        ParticleMasker().fit_transform(np.zeros((2, 30, 30)))


def test_clone_and_stateless():
    masker = ParticleMasker(mode="crop", output_size=32)
    assert clone(masker).get_params() == masker.get_params()
    image, mask = _particle()
    # usable without fit (stateless), as in a pipeline refit
    assert masker.transform(ParticleImages([image], [mask])).shape == (1, 32, 32)
