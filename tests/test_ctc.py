"""load_ctc_sequence on small CTC folders written here, and on the real PSC sequence."""

import numpy as np
import pytest

tifffile = pytest.importorskip("tifffile")

from sklearn_cells.datasets._ctc import load_ctc_sequence  # noqa: E402


def _write_ctc(root, sequence="01", n_frames=4, masked=(1, 3), dtype=np.uint16, truth="GT",
               shape=(12, 10)):
    rng = np.random.default_rng(0)
    (root / sequence).mkdir(parents=True)
    frames = rng.integers(0, np.iinfo(dtype).max, size=(n_frames,) + shape).astype(dtype)
    for t, f in enumerate(frames):
        tifffile.imwrite(root / sequence / f"t{t:03d}.tif", f)
    masks = {}
    if truth:
        seg = root / f"{sequence}_{truth}" / "SEG"
        seg.mkdir(parents=True)
        for t in masked:
            m = np.zeros(shape, np.uint16)
            m[2:5, 2:5], m[7:9, 6:9] = 1, 300 + t
            tifffile.imwrite(seg / f"man_seg{t:03d}.tif", m)
            masks[t] = m
    return frames, masks


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
def test_loads_frames_masks_and_indices(tmp_path, dtype):
    frames, masks = _write_ctc(tmp_path, dtype=dtype)
    data = load_ctc_sequence(tmp_path, "01")
    assert data.frames.dtype == dtype and np.array_equal(data.frames, frames)
    assert data.frame_indices.tolist() == [0, 1, 2, 3]
    assert data.mask_indices.tolist() == [1, 3] and data.truth == "GT"
    assert data.masks.dtype == np.int32 and data.masks.shape == (2, 12, 10)
    assert np.array_equal(data.masks[1], masks[3])  # instance labels kept (301..)
    assert data.annotated.tolist() == [False, True, False, True]
    assert np.array_equal(data.frames[data.annotated], frames[[1, 3]])


def test_sequence_defaults_to_the_only_one_and_silver_truth(tmp_path):
    _write_ctc(tmp_path, sequence="02", truth="ST")
    data = load_ctc_sequence(tmp_path)
    assert data.sequence == "02" and data.truth == "ST" and len(data.masks) == 2
    frames_only = load_ctc_sequence(tmp_path, truth=None)
    assert frames_only.masks.shape == (0, 12, 10) and not frames_only.annotated.any()


def test_missing_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match="is not a folder"):
        load_ctc_sequence(tmp_path / "nope")


def test_missing_sequence_lists_the_choices(tmp_path):
    _write_ctc(tmp_path, sequence="01")
    with pytest.raises(FileNotFoundError, match=r"available sequences: \['01'\]"):
        load_ctc_sequence(tmp_path, "02")


def test_several_sequences_need_a_choice(tmp_path):
    _write_ctc(tmp_path / "a", sequence="01")
    (tmp_path / "a" / "02").mkdir()
    with pytest.raises(FileNotFoundError, match="choose one"):
        load_ctc_sequence(tmp_path / "a")


def test_frames_without_masks(tmp_path):
    _write_ctc(tmp_path, truth=None)
    with pytest.raises(FileNotFoundError, match="no masks"):
        load_ctc_sequence(tmp_path, "01")


def test_no_frames(tmp_path):
    (tmp_path / "01").mkdir()
    with pytest.raises(FileNotFoundError, match="no frames"):
        load_ctc_sequence(tmp_path, "01")


def test_mask_without_frame(tmp_path):
    _write_ctc(tmp_path, n_frames=2, masked=(1, 5))
    with pytest.raises(ValueError, match="no frame"):
        load_ctc_sequence(tmp_path, "01")


def test_mask_shape_mismatch(tmp_path):
    _write_ctc(tmp_path)
    tifffile.imwrite(tmp_path / "01_GT" / "SEG" / "man_seg001.tif", np.zeros((5, 5), np.uint16))
    with pytest.raises(ValueError, match="shape"):
        load_ctc_sequence(tmp_path, "01")


def test_real_psc_sequence(shared_data_dir):
    data = load_ctc_sequence(shared_data_dir / "PhC-C2DL-PSC", "02")
    assert data.frames.shape == (50, 576, 720) and data.frames.dtype == np.uint8
    assert data.truth == "ST" and data.masks.shape == (50, 576, 720)
    assert data.annotated.all()
    assert 0.01 < (data.masks > 0).mean() < 0.06  # about 3 % foreground
    assert len(np.unique(data.masks[0])) > 20  # instance labels
