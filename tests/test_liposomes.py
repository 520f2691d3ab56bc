"""make_liposomes: class balance, sizes, masks, surroundings, reproducibility."""

import numpy as np
import pytest

from sklearn_cells.datasets._liposomes import LIPOSOME_CLASSES, make_liposomes
from sklearn_cells.image._particles import ParticleImages


@pytest.fixture(scope="module")
def balanced():
    return make_liposomes(60, weights=[1, 1, 1], surround=8, random_state=0)


def test_default_weights_follow_the_seed():
    # counts only: tiny images keep this fast
    X, y = make_liposomes(400, surround=0, size_scale=0.4, random_state=1)
    labels, counts = np.unique(y, return_counts=True)
    expected = LIPOSOME_CLASSES["lamellarity"]
    for label, count in zip(labels, counts):
        assert abs(count - 400 * expected[label]) <= 1.5
    assert counts.min() >= 1  # the 0.6 % class is present


def test_container_and_surroundings(balanced):
    X, y = balanced
    assert isinstance(X, ParticleImages) and len(X) == len(y) == 60
    for image, mask in X:
        assert image.dtype == np.uint8 and mask.dtype == bool and mask.any()
        rows, cols = np.flatnonzero(mask.any(1)), np.flatnonzero(mask.any(0))
        # the particle is surrounded by `surround` pixels on every side
        assert rows[0] == 8 and image.shape[0] - 1 - rows[-1] == 8
        assert cols[0] == 8 and image.shape[1] - 1 - cols[-1] == 8
    assert len({tuple(s) for s in X.sizes}) > 10  # sizes vary


def test_classes_differ_as_described(balanced):
    X, y = balanced
    area = np.array([m.sum() for m in X.masks])
    # multilamellar liposomes are larger than unilamellar ones (seed Figs. 3-4)
    assert np.median(area[y == "multilamellar"]) > 1.5 * np.median(area[y == "unilamellar"])
    # membranes are dark: the mask's darkest decile is darker than the surroundings
    for image, mask in X[y == "unilamellar"]:
        assert np.percentile(image[mask], 10) < np.median(image[~mask]) - 20


def test_encapsulation_interiors():
    X, y = make_liposomes(30, task="encapsulation", weights=[1, 1, 1], surround=4, random_state=0)
    assert set(y) == {"full", "empty", "uncertain"}
    inside = []
    for image, mask in X:
        # interior: mask eroded well inside the membrane
        from scipy import ndimage

        core = ndimage.binary_erosion(mask, iterations=6)
        inside.append(image[core].mean())
    inside = np.array(inside)
    assert inside[y == "full"].mean() < inside[y == "empty"].mean() - 20


def test_reproducible_and_seed_dependent():
    X1, y1 = make_liposomes(5, surround=2, random_state=3)
    X2, y2 = make_liposomes(5, surround=2, random_state=3)
    X3, _ = make_liposomes(5, surround=2, random_state=4)
    assert (y1 == y2).all()
    assert all(np.array_equal(a.image, b.image) for a, b in zip(X1, X2))
    assert not all(a.image.shape == b.image.shape and np.array_equal(a.image, b.image) for a, b in zip(X1, X3))


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"task": "size"}, "Unknown task"),
        ({"weights": [1, 1]}, "weights must be 3"),
        ({"weights": [1, -1, 1]}, "weights must be 3"),
        ({"n_samples": 0}, "n_samples"),
        ({"surround": -1}, "surround"),
    ],
)
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        make_liposomes(**{"n_samples": 3, **kwargs})
