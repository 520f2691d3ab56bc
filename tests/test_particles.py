"""ParticleImages container, load_particles / extract_particles."""

import pickle

import numpy as np
import pytest
from sklearn.model_selection import StratifiedKFold, train_test_split
from sklearn.utils import _safe_indexing

from sklearn_cells.datasets._particles import extract_particles, load_particles, read_image
from sklearn_cells.image._particles import Particle, ParticleImages, check_particles


def _disc(h, w, r):
    yy, xx = np.mgrid[:h, :w]
    return np.hypot(yy - h / 2, xx - w / 2) < r


@pytest.fixture
def particles():
    rng = np.random.default_rng(0)
    sizes = [(20, 30), (25, 25), (40, 35), (18, 18), (30, 22), (26, 33)]
    images = [rng.random(s) for s in sizes]
    masks = [_disc(h, w, 6) for h, w in sizes]
    return ParticleImages(images, masks), images, masks


def test_indexing_returns_containers(particles):
    X, images, masks = particles
    assert X.shape == (6,) and len(X) == 6
    item = X[2]
    assert isinstance(item, Particle) and item.image is images[2]
    sub = X[[4, 0]]
    assert isinstance(sub, ParticleImages) and sub.sizes.tolist() == [[30, 22], [20, 30]]
    assert X[np.array([True, False] * 3)].sizes[:, 0].tolist() == [20, 40, 30]
    assert len(X[1:3]) == 2
    assert len(X[np.array([], dtype=int)]) == 0
    # the form sklearn's _safe_indexing uses
    assert X[np.array([1, 2]), ...].sizes.tolist() == [[25, 25], [40, 35]]
    assert _safe_indexing(X, [5, 1]).sizes.tolist() == [[26, 33], [25, 25]]


def test_works_with_splitters_and_pickle(particles):
    X, _, _ = particles
    y = np.array(["a", "b"] * 3)
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=2, stratify=y, random_state=0)
    assert isinstance(X_tr, ParticleImages) and len(X_tr) == 4 and len(X_te) == 2
    for train, test in StratifiedKFold(3).split(X, y):
        assert len(X[train]) == 4
    X2 = pickle.loads(pickle.dumps(X))
    assert all(np.array_equal(a.image, b.image) for a, b in zip(X, X2))


def test_masks_become_boolean_and_images_are_not_copied(particles):
    _, images, masks = particles
    X = ParticleImages(images, [m.astype(np.uint8) for m in masks])
    assert X.masks[0].dtype == bool and X.images[0] is images[0]
    assert "ParticleImages(n_samples=6" in repr(X)


def test_same_size_3d_array_input():
    X = ParticleImages(np.zeros((3, 8, 9)), np.ones((3, 8, 9), bool))
    assert X.sizes.tolist() == [[8, 9]] * 3 and X.images.shape == (3,)


@pytest.mark.parametrize(
    "images, masks, match",
    [
        ([np.zeros((5, 5))], [np.ones((5, 6), bool)], "same shape as its image"),
        ([np.zeros((5, 5))], [np.zeros((5, 5), bool)], "is empty"),
        ([np.zeros((5, 5))], [np.full((5, 5), 2)], "not binary"),
        ([np.zeros((5, 5, 3))], [np.ones((5, 5), bool)], "channel axis"),
        ([np.zeros((5, 5)), np.zeros((5, 5))], [np.ones((5, 5), bool)], "2 images but 1 masks"),
        ([], [], "at least one image"),
        ([np.full((5, 5), np.nan)], [np.ones((5, 5), bool)], "NaN"),
        ([np.zeros(5)], [np.ones(5, bool)], "must be 2-D"),
    ],
    ids=["shape-mismatch", "empty-mask", "non-binary-mask", "channel-axis", "count", "none", "nan", "1d"],
)
def test_bad_particles_raise_clear_errors(images, masks, match):
    with pytest.raises(ValueError, match=match):
        ParticleImages(images, masks)


def test_check_particles_rejects_arrays():
    with pytest.raises(TypeError, match="ParticleImages"):
        check_particles(np.zeros((3, 5, 5)))


def _write_folder(root, fmt):
    import tifffile
    from PIL import Image

    (root / "images").mkdir()
    (root / "masks").mkdir()
    rng = np.random.default_rng(1)
    rows = ["name,label"]
    expected = {}
    for i, (h, w) in enumerate([(20, 24), (30, 30), (16, 22)]):
        image = rng.integers(0, 255, (h, w)).astype(np.uint8)
        mask = _disc(h, w, 5).astype(np.uint8) * 255
        name = f"p{i}"
        if fmt == "tif":
            tifffile.imwrite(root / "images" / f"{name}.tif", image)
            tifffile.imwrite(root / "masks" / f"{name}.tif", mask)
        else:
            Image.fromarray(image).save(root / "images" / f"{name}.png")
            Image.fromarray(mask).save(root / "masks" / f"{name}.png")
        rows.append(f"{name}.{fmt},{'ab'[i % 2]}")
        expected[name] = image
    (root / "labels.csv").write_text("\n".join(rows) + "\n")
    return expected


@pytest.mark.parametrize("fmt", ["tif", "png"])
def test_load_particles_round_trip(tmp_path, fmt):
    expected = _write_folder(tmp_path, fmt)
    data = load_particles(tmp_path)
    assert data.names.tolist() == ["p0", "p1", "p2"]
    assert data.target.tolist() == ["a", "b", "a"]
    for name, (image, mask) in zip(data.names, data.data):
        np.testing.assert_array_equal(image, expected[name])
        assert mask.dtype == bool and mask.sum() > 0
    X, y = load_particles(tmp_path, return_X_y=True, labels=None)
    assert y is None and len(X) == 3


def test_load_particles_errors(tmp_path):
    _write_folder(tmp_path, "tif")
    (tmp_path / "masks" / "p1.tif").unlink()
    with pytest.raises(FileNotFoundError, match="no mask"):
        load_particles(tmp_path)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_particles(tmp_path / "nowhere")
    with pytest.raises(ValueError, match="unsupported extension"):
        read_image(tmp_path / "labels.csv")


def test_load_particles_missing_label(tmp_path):
    _write_folder(tmp_path, "png")
    with pytest.raises(ValueError, match="no label"):
        load_particles(tmp_path, labels={"p0": "a"})


def test_extract_particles():
    labels = np.zeros((50, 60), int)
    labels[5:15, 5:20] = 3
    labels[30:45, 40:50] = 7
    image = np.arange(50 * 60, dtype=float).reshape(50, 60)
    X, ids = extract_particles(image, labels, surround=4)
    assert ids.tolist() == [3, 7]
    assert X.sizes.tolist() == [[18, 23], [23, 18]]
    assert X[0].mask.sum() == 150 and X[0].image[0, 0] == image[1, 1]
    with pytest.raises(ValueError, match="no object"):
        extract_particles(image, np.zeros_like(labels))


@pytest.mark.shared_data
def test_extract_particles_real_frame(shared_data_dir):
    """Defaults on a real Cell Tracking Challenge frame (phase contrast)."""
    import tifffile

    from sklearn_cells.image._masking import ParticleMasker
    from sklearn_cells.image._particle_features import ParticleFeatures

    folder = shared_data_dir / "PhC-C2DL-PSC"
    frame = tifffile.imread(folder / "02" / "t000.tif")
    labels = tifffile.imread(folder / "02_ST" / "SEG" / "man_seg000.tif")
    X, ids = extract_particles(frame, labels)
    assert len(X) == len(np.unique(labels)) - 1 > 10
    features = ParticleFeatures().fit_transform(X)
    assert np.isfinite(features).all()
    # cells are roundish blobs: circularity in a plausible band
    assert 0.4 < np.median(features[:, 1]) <= 1.1
    assert ParticleMasker().fit_transform(X).shape == (len(X), 28, 28)
