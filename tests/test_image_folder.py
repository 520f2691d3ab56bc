"""load_image_folder and load_tiff_stack on tiny files written to tmp_path."""

import numpy as np
import pytest

tifffile = pytest.importorskip("tifffile")
Image = pytest.importorskip("PIL.Image")

from sklearn_cells.datasets import load_image_folder, load_tiff_stack  # noqa: E402


def _image(shape, dtype, seed=0):
    rng = np.random.default_rng(seed)
    return rng.integers(0, np.iinfo(dtype).max, size=shape, endpoint=True).astype(dtype)


def _mask(shape, seed=0):
    m = np.zeros(shape, np.uint16)
    m[1:3, 1:3] = 1
    m[-3:-1, -3:-1] = 300 + seed  # labels above 255 survive
    return m


def _write(path, array):
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".png":
        Image.fromarray(array).save(path)
    else:
        tifffile.imwrite(path, array)


def _folder(root, names=("a", "b"), shapes=None, dtype=np.uint16, ext=".tif",
            mask_ext=".tif", mask_pattern="{stem}", masks="masks"):
    shapes = shapes or [(6, 7)] * len(names)
    images, masks_out = [], []
    for i, (name, shape) in enumerate(zip(names, shapes)):
        img, m = _image(shape, dtype, i), _mask(shape, i)
        _write(root / "images" / f"{name}{ext}", img)
        if masks is not None:
            _write(root / masks / f"{mask_pattern.format(stem=name)}{mask_ext}", m)
        images.append(img)
        masks_out.append(m)
    return images, masks_out


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
@pytest.mark.parametrize("ext", [".tif", ".png"])
def test_pairs_are_stacked_with_dtype_kept(tmp_path, dtype, ext):
    images, masks = _folder(tmp_path, dtype=dtype, ext=ext, mask_ext=ext)
    data = load_image_folder(tmp_path / "images", tmp_path / "masks")
    assert data.images.dtype == dtype and data.images.shape == (2, 6, 7)
    assert np.array_equal(data.images, np.stack(images))
    assert data.masks.dtype == np.int32 and np.array_equal(data.masks, np.stack(masks))
    assert data.names.tolist() == ["a", "b"]
    assert data.filenames[1].endswith(f"b{ext}") and data.mask_filenames[0].endswith(f"a{ext}")
    X, y = load_image_folder(tmp_path / "images", tmp_path / "masks", return_X_y=True)
    assert np.array_equal(X, data.images) and np.array_equal(y, data.masks)


def test_images_only_natural_order_and_mixed_extensions(tmp_path):
    images, _ = _folder(tmp_path, names=("t10", "t2", "t1"), masks=None)
    _write(tmp_path / "images" / "t3.png", _image((6, 7), np.uint8))
    (tmp_path / "images" / "notes.txt").write_text("ignored")
    (tmp_path / "images" / "._t1.tif").write_bytes(b"macOS resource fork, not a TIFF")
    data = load_image_folder(tmp_path / "images")
    assert data.names.tolist() == ["t1", "t2", "t3", "t10"]
    assert data.masks is None and data.mask_filenames is None
    assert data.images.dtype == np.uint16  # uint8 and uint16 stacked without rescaling
    assert np.array_equal(data.images[0], images[2]) and np.array_equal(data.images[3], images[0])


def test_different_sizes_give_lists(tmp_path):
    images, masks = _folder(tmp_path, shapes=[(6, 7), (9, 5)], ext=".png", mask_ext=".tif")
    data = load_image_folder(tmp_path / "images", tmp_path / "masks")
    assert isinstance(data.images, list) and isinstance(data.masks, list)
    assert [a.shape for a in data.images] == [(6, 7), (9, 5)]
    assert all(np.array_equal(a, b) for a, b in zip(data.masks, masks))
    assert all(m.dtype == np.int32 for m in data.masks)


def test_mask_pattern_and_masks_next_to_images(tmp_path):
    _, masks = _folder(tmp_path, mask_pattern="{stem}_masks", masks="images", mask_ext=".png")
    data = load_image_folder(tmp_path / "images", tmp_path / "images",
                             mask_pattern="{stem}_masks")
    assert data.names.tolist() == ["a", "b"]
    assert np.array_equal(data.masks, np.stack(masks))
    _folder(tmp_path / "other", mask_pattern="mask_{stem}")
    data = load_image_folder(tmp_path / "other" / "images", tmp_path / "other" / "masks",
                             mask_pattern="mask_{stem}")
    assert data.mask_filenames[1].endswith("mask_b.tif")
    with pytest.raises(ValueError, match="cannot be told apart.*mask_pattern"):
        load_image_folder(tmp_path / "images", tmp_path / "images")
    for bad in ("masks", "{stem}_{stem}", "{stem}_{other}"):
        with pytest.raises(ValueError, match="mask_pattern"):
            load_image_folder(tmp_path / "images", tmp_path / "images", mask_pattern=bad)


def test_binary_and_bool_masks(tmp_path):
    _folder(tmp_path, masks=None, ext=".png", dtype=np.uint8)
    binary = np.zeros((6, 7), np.uint8)
    binary[2:4, 2:5] = 255
    _write(tmp_path / "masks" / "a.png", binary)
    _write(tmp_path / "masks" / "b.png", binary > 0)  # 1-bit PNG, read as bool
    data = load_image_folder(tmp_path / "images", tmp_path / "masks")
    assert data.masks.dtype == np.int32
    assert set(np.unique(data.masks[0])) == {0, 255} and set(np.unique(data.masks[1])) == {0, 1}


def test_colour_images_need_a_channel(tmp_path):
    rgb = _image((6, 7, 3), np.uint8)
    _write(tmp_path / "images" / "a.png", rgb)
    _write(tmp_path / "masks" / "a.png", _mask((6, 7)).astype(np.uint8))
    with pytest.raises(ValueError, match=r"a\.png is a colour image.*channel=i"):
        load_image_folder(tmp_path / "images", tmp_path / "masks")
    data = load_image_folder(tmp_path / "images", tmp_path / "masks", channel=2)
    assert np.array_equal(data.images[0], rgb[..., 2])
    with pytest.raises(ValueError, match="channel=3 is out of range"):
        load_image_folder(tmp_path / "images", channel=3)
    with pytest.raises(TypeError, match="channel"):
        load_image_folder(tmp_path / "images", channel="blue")


def test_missing_or_orphan_files_are_named(tmp_path):
    _folder(tmp_path, names=("a", "b", "c"))
    (tmp_path / "masks" / "b.tif").unlink()
    with pytest.raises(FileNotFoundError, match=r"1 image\(s\).*b\.tif \(expected b\.\*\)"):
        load_image_folder(tmp_path / "images", tmp_path / "masks")
    _write(tmp_path / "masks" / "b.tif", _mask((6, 7)))
    _write(tmp_path / "masks" / "zz.tif", _mask((6, 7)))
    with pytest.raises(ValueError, match=r"zz\.tif \(expected image zz\.\*\)"):
        load_image_folder(tmp_path / "images", tmp_path / "masks")
    (tmp_path / "masks" / "zz.tif").unlink()
    _write(tmp_path / "masks" / "a.png", _mask((6, 7)))
    with pytest.raises(ValueError, match=r"two files named 'a' \(a\.png and a\.tif\)"):
        load_image_folder(tmp_path / "images", tmp_path / "masks")


def test_size_mismatch_names_both_files(tmp_path):
    _folder(tmp_path)
    _write(tmp_path / "masks" / "b.tif", _mask((6, 8)))
    with pytest.raises(ValueError, match=r"b\.tif has shape \(6, 8\).*b\.tif has shape \(6, 7\)"):
        load_image_folder(tmp_path / "images", tmp_path / "masks")


@pytest.mark.parametrize("corrupt", ["images/b.tif", "masks/a.png", "images/b.png"])
def test_corrupt_files_are_named(tmp_path, corrupt):
    ext = ".png" if corrupt.endswith(".png") else ".tif"
    _folder(tmp_path, ext=ext, mask_ext=ext)
    target = tmp_path / corrupt
    if corrupt.startswith("masks"):
        target.write_bytes(b"\x89PNG\r\n\x1a\n garbage")
    else:  # a truncated file, as from an interrupted copy
        target.write_bytes(target.read_bytes()[:60])
    with pytest.raises(ValueError, match=f"Cannot read .*{corrupt}.*corrupt"):
        load_image_folder(tmp_path / "images", tmp_path / "masks")


def test_empty_or_missing_folders(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match="No images in .*empty"):
        load_image_folder(tmp_path / "empty")
    (tmp_path / "empty" / "readme.txt").write_text("x")
    with pytest.raises(FileNotFoundError, match=r"1 other file\(s\).*readme\.txt.*\.png"):
        load_image_folder(tmp_path / "empty")
    with pytest.raises(FileNotFoundError, match="images_dir .*nope is not a folder"):
        load_image_folder(tmp_path / "nope")
    _folder(tmp_path, masks=None)
    with pytest.raises(FileNotFoundError, match="masks_dir .*masks is not a folder"):
        load_image_folder(tmp_path / "images", tmp_path / "masks")
    (tmp_path / "masks").mkdir()
    with pytest.raises(FileNotFoundError, match="No images in .*masks"):
        load_image_folder(tmp_path / "images", tmp_path / "masks")


def test_bad_masks_and_stacks_in_a_folder(tmp_path):
    _folder(tmp_path)
    _write(tmp_path / "masks" / "a.tif", np.full((6, 7), 0.5, np.float32))
    with pytest.raises(ValueError, match=r"mask .*a\.tif holds non-integer"):
        load_image_folder(tmp_path / "images", tmp_path / "masks")
    _write(tmp_path / "masks" / "a.tif", np.full((6, 7), -1, np.int16))
    with pytest.raises(ValueError, match=r"mask .*a\.tif holds labels outside"):
        load_image_folder(tmp_path / "images", tmp_path / "masks")
    _write(tmp_path / "masks" / "a.tif", np.zeros((6, 7, 3), np.uint8))
    with pytest.raises(ValueError, match=r"mask .*a\.tif has shape \(6, 7, 3\).*single-channel"):
        load_image_folder(tmp_path / "images", tmp_path / "masks")
    _write(tmp_path / "images" / "a.tif", _image((5, 6, 7), np.uint16))
    with pytest.raises(ValueError, match=r"a\.tif has shape \(5, 6, 7\).*load_tiff_stack"):
        load_image_folder(tmp_path / "images")


def test_tiff_stack_round_trip(tmp_path):
    movie = _image((5, 6, 7), np.uint16)
    tifffile.imwrite(tmp_path / "movie.tif", movie)
    out = load_tiff_stack(tmp_path / "movie.tif")
    assert out.dtype == np.uint16 and np.array_equal(out, movie)
    tifffile.imwrite(tmp_path / "zyx.tif", movie[:, None], imagej=True,
                     metadata={"axes": "ZCYX"})  # ImageJ slices, singleton channel dropped
    assert np.array_equal(load_tiff_stack(str(tmp_path / "zyx.tif")), movie)
    with tifffile.TiffWriter(tmp_path / "pages.tiff") as w:  # plain pages, no metadata
        for frame in movie[:3]:
            w.write(frame, metadata=None)
    assert np.array_equal(load_tiff_stack(tmp_path / "pages.tiff"), movie[:3])
    tifffile.imwrite(tmp_path / "one.tif", movie[0])
    assert load_tiff_stack(tmp_path / "one.tif").shape == (1, 6, 7)
    movie[0, 0, 0] += 1
    assert not np.array_equal(out, movie)  # a copy, not a view of the caller's data


def test_tiff_stack_channels(tmp_path):
    hyper = _image((4, 2, 6, 7), np.uint16)
    tifffile.imwrite(tmp_path / "tcyx.tif", hyper, imagej=True, metadata={"axes": "TCYX"})
    with pytest.raises(ValueError, match=r"tcyx\.tif has a channel axis.*TCYX.*channel=i"):
        load_tiff_stack(tmp_path / "tcyx.tif")
    assert np.array_equal(load_tiff_stack(tmp_path / "tcyx.tif", channel=1), hyper[:, 1])
    with pytest.raises(ValueError, match="channel=2 is out of range"):
        load_tiff_stack(tmp_path / "tcyx.tif", channel=2)
    rgb = _image((3, 6, 7, 3), np.uint8)
    tifffile.imwrite(tmp_path / "rgb.tif", rgb, photometric="rgb")
    with pytest.raises(ValueError, match="channel axis"):
        load_tiff_stack(tmp_path / "rgb.tif")
    assert np.array_equal(load_tiff_stack(tmp_path / "rgb.tif", channel=0), rgb[..., 0])
    tifffile.imwrite(tmp_path / "gray.tif", hyper[:, 0], photometric="minisblack")
    with pytest.raises(ValueError, match="no channel axis.*leave channel=None"):
        load_tiff_stack(tmp_path / "gray.tif", channel=0)


def test_tiff_stack_bad_files(tmp_path):
    with pytest.raises(FileNotFoundError, match="missing.tif does not exist"):
        load_tiff_stack(tmp_path / "missing.tif")
    with pytest.raises(ValueError, match=r"movie\.png is not a TIFF"):
        load_tiff_stack(tmp_path / "movie.png")
    (tmp_path / "bad.tif").write_bytes(b"not a tiff at all")
    with pytest.raises(ValueError, match=r"Cannot read .*bad\.tif.*corrupt"):
        load_tiff_stack(tmp_path / "bad.tif")
    tifffile.imwrite(tmp_path / "tzyx.tif", _image((3, 2, 6, 7), np.uint8), imagej=True,
                     metadata={"axes": "TZYX"})
    with pytest.raises(ValueError,
                       match=r"tzyx\.tif has shape \(3, 2, 6, 7\).*TZYX.*max\(axis=1\)"):
        load_tiff_stack(tmp_path / "tzyx.tif")
