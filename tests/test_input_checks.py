"""Inputs that used to give cryptic errors or silent wrong results (issues 13 and 14).

Values beyond float32, complex pixels, channel-last frames and videos, corrupt
files, a features= callable with the wrong number of rows, and particle crops
without masks.
"""

import numpy as np
import pytest
from imblearn.over_sampling import SMOTE
from imblearn.under_sampling import TomekLinks

from sklearn_cells.datasets._ctc import load_ctc_sequence
from sklearn_cells.datasets._liposomes import make_liposomes
from sklearn_cells.datasets._particles import load_particles
from sklearn_cells.datasets._tracks import load_tracks_csv
from sklearn_cells.image._background import BackgroundSubtractor
from sklearn_cells.image._lipnet import LipNetClassifier
from sklearn_cells.image._masking import ParticleMasker
from sklearn_cells.image._particle_features import ParticleFeatures
from sklearn_cells.image._particles import ParticleImages
from sklearn_cells.image._temporal import TemporalContextStacker, check_frames
from sklearn_cells.image._unet import UNetSegmenter
from sklearn_cells.sampling._adapter import NDSampler
from sklearn_cells.video._importance import AttentionFrameScorer
from sklearn_cells.video._validation import check_videos

tifffile = pytest.importorskip("tifffile")

TINY_SCORER = dict(attention_span=2, channels=(4,), embed_dim=4, n_heads=1, max_epochs=1)


def _videos(n=2, t=6, size=8, seed=0):
    return np.random.default_rng(seed).random((n, t, size, size))


# --- values beyond float32 -------------------------------------------------------------
def test_video_values_beyond_float32_name_video_and_frame():
    videos = _videos()
    videos[1, 4, 2, 3] = -1e39  # finite in float64, -inf in float32
    with pytest.raises(ValueError, match=r"video 1 of X .*too large for float32.*frame\(s\) \[4\]"):
        check_videos(videos)
    with pytest.raises(ValueError, match="too large for float32"):
        AttentionFrameScorer(**TINY_SCORER).fit(videos)
    assert videos[1, 4, 2, 3] == -1e39  # input untouched
    # the float32 maximum itself is fine
    videos[1, 4, 2, 3] = np.finfo(np.float32).max
    assert np.isfinite(check_videos(videos)[0][1]).all()


def test_frame_values_beyond_float32():
    frames = np.zeros((2, 8, 8))
    frames[1, 0, 0] = 1e39
    with pytest.raises(ValueError, match="too large for float32"):
        check_frames(frames)
    assert check_frames(frames, dtype=np.float64)[1, 0, 0] == 1e39


# --- complex data ----------------------------------------------------------------------
def test_complex_frames_are_refused_with_np_abs_hint():
    frames = np.ones((3, 8, 8)) * (1 + 1j)
    with pytest.raises(ValueError, match=r"complex.*np\.abs"):
        check_frames(frames)
    for transformer in (TemporalContextStacker(n_context=1), BackgroundSubtractor()):
        with pytest.raises(ValueError, match="complex"):
            transformer.fit_transform(frames)
    with pytest.raises(ValueError, match="complex"):
        UNetSegmenter(depth=1, max_epochs=1).fit(frames, np.zeros((3, 8, 8), int))


def test_complex_videos_and_particles_are_refused():
    with pytest.raises(ValueError, match=r"video 0 of X holds complex.*np\.abs"):
        check_videos([_videos()[0] + 0j])
    images = [np.ones((5, 6)), np.ones((4, 4)) * 1j]
    with pytest.raises(ValueError, match=r"Image 1 holds complex.*np\.abs"):
        ParticleImages(images, [np.ones((5, 6), bool), np.ones((4, 4), bool)])


def test_complex_or_non_numeric_images_are_refused():
    y = np.array([0, 1, 0, 1])
    with pytest.raises(ValueError, match=r"X holds complex.*np\.abs"):
        LipNetClassifier(max_epochs=1).fit(np.ones((4, 8, 8)) * 1j, y)
    with pytest.raises(ValueError, match="X must be a numeric array; dtype <U1"):
        LipNetClassifier(max_epochs=1).fit(np.full((4, 8, 8), "a"), y)
    with pytest.raises(ValueError, match="Image 0 must be a numeric array.*np.asarray"):
        ParticleImages([np.full((4, 4), "a")], [np.ones((4, 4), bool)])


# --- channel-last layouts ----------------------------------------------------------------
@pytest.mark.parametrize("channels", [1, 3, 4])
def test_channel_last_frames_say_how_to_transpose(channels):
    frames = np.zeros((2, 16, 12, channels))
    with pytest.raises(ValueError, match=r"channel-last.*X\.transpose\(0, 3, 1, 2\)"):
        check_frames(frames)
    # the U-Net reports the layout, not a mismatch with y
    with pytest.raises(ValueError, match="channel-last"):
        UNetSegmenter(depth=1, max_epochs=1).fit(frames, np.zeros((2, 16, 12), int))


@pytest.mark.parametrize("shape", [(2, 1, 16, 12), (2, 3, 16, 12), (2, 4, 16, 3),
                                   (2, 5, 16, 4), (2, 3, 4, 3), (2, 15, 3, 3)])
def test_channel_first_frames_are_accepted(shape):
    frames = np.random.default_rng(0).random(shape)
    np.testing.assert_array_equal(check_frames(frames), frames.astype(np.float32))


@pytest.mark.parametrize("channels", [1, 3, 4])
def test_channel_last_videos_say_how_to_transpose(channels):
    video = np.zeros((6, 16, 12, channels))
    with pytest.raises(ValueError, match=r"video 1 of X .*channel-last.*transpose\(0, 3, 1, 2\)"):
        check_videos([video[:, :, :, :1].transpose(0, 3, 1, 2), video])
    with pytest.raises(ValueError, match=r"channel-last.*X\.transpose\(0, 1, 4, 2, 3\)"):
        check_videos(np.stack([video, video]))
    with pytest.raises(ValueError, match=r"one channel-last video.*\[X\.transpose\(0, 3, 1, 2\)\]"):
        AttentionFrameScorer(**TINY_SCORER).fit(video)
    # the suggested fix is accepted and keeps the channels
    videos, _ = check_videos([video.transpose(0, 3, 1, 2)])
    assert videos[0].shape == (6, channels, 16, 12)


@pytest.mark.parametrize("shape", [(6, 1, 16, 12), (6, 3, 16, 12), (6, 4, 16, 3), (6, 5, 8, 4)])
def test_channel_first_videos_are_accepted(shape):
    video = np.random.default_rng(0).random(shape)
    videos, was_array = check_videos([video])
    np.testing.assert_array_equal(videos[0], video.astype(np.float32))
    videos, was_array = check_videos(video[None])
    assert was_array and videos[0].shape == shape


# --- corrupt files -----------------------------------------------------------------------
def _particle_folder(root):
    (root / "images").mkdir()
    (root / "masks").mkdir()
    for name in ("p0", "p1"):
        tifffile.imwrite(root / "images" / f"{name}.tif", np.ones((6, 7), np.uint8))
        tifffile.imwrite(root / "masks" / f"{name}.tif", np.ones((6, 7), np.uint8))
    (root / "labels.csv").write_text("name,label\np0,a\np1,b\n")


@pytest.mark.parametrize("corrupt", ["images/p1.tif", "masks/p0.tif"])
def test_load_particles_names_a_corrupt_file(tmp_path, corrupt):
    _particle_folder(tmp_path)
    path = tmp_path / corrupt
    path.write_bytes(path.read_bytes()[:20])  # truncated TIFF
    with pytest.raises(ValueError, match=rf"Cannot read .*{corrupt}.*corrupt") as info:
        load_particles(tmp_path)
    assert info.value.__cause__ is not None


def test_load_particles_names_a_corrupt_png(tmp_path):
    _particle_folder(tmp_path)
    (tmp_path / "images" / "p0.tif").unlink()
    (tmp_path / "images" / "p0.png").write_bytes(b"\x89PNG not really")
    with pytest.raises(ValueError, match=r"Cannot read .*p0\.png.*corrupt"):
        load_particles(tmp_path)


@pytest.mark.parametrize("corrupt", ["01/t001.tif", "01_GT/SEG/man_seg000.tif"])
def test_load_ctc_sequence_names_a_corrupt_file(tmp_path, corrupt):
    (tmp_path / "01").mkdir()
    (tmp_path / "01_GT" / "SEG").mkdir(parents=True)
    for t in range(2):
        tifffile.imwrite(tmp_path / "01" / f"t{t:03d}.tif", np.zeros((5, 6), np.uint16))
    tifffile.imwrite(tmp_path / "01_GT" / "SEG" / "man_seg000.tif", np.ones((5, 6), np.uint16))
    (tmp_path / corrupt).write_bytes(b"not a tiff")
    with pytest.raises(ValueError, match=rf"Cannot read .*{corrupt}") as info:
        load_ctc_sequence(tmp_path, "01")
    assert info.value.__cause__ is not None


@pytest.mark.parametrize("name, content, match", [
    ("ragged.csv", b"track_id,t,x,y\n1,0,1,2\n1,1,2,3,4,5\n", "different numbers of fields"),
    ("quote.csv", b'track_id,t,x,y\n1,0,"1,2\n', "Cannot parse"),
    ("binary.csv", bytes(range(128, 256)), "not UTF-8 text"),
    ("cut.csv.gz", b"\x1f\x8b\x08\x00\x00\x00\x00\x00", "corrupt or truncated"),
    ("bad.csv.gz", b"plain text", "Cannot parse"),
])
def test_load_tracks_csv_names_a_corrupt_file(tmp_path, name, content, match):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(ValueError, match=match) as info:
        load_tracks_csv(path)
    assert name in str(info.value) and info.value.__cause__ is not None


# --- NDSampler(features=...) -------------------------------------------------------------
@pytest.mark.parametrize("features, shape", [
    (lambda X: np.zeros((3, 2)), r"\(3, 2\)"),
    (lambda X: np.zeros(10), r"\(10,\)"),
    (lambda X: np.zeros((10, 2, 2)), r"\(10, 2, 2\)"),
])
def test_features_with_wrong_rows_name_shape_and_expected_rows(features, shape):
    X, y = np.random.default_rng(0).random((10, 4, 4)), np.repeat([0, 1], 5)
    with pytest.raises(ValueError, match=rf"returned an array of shape {shape}.*\(10, n_features\)"):
        NDSampler(TomekLinks(), features=features).fit_resample(X, y)


def test_features_must_be_callable_and_numeric():
    X, y = np.zeros((4, 2, 2)), np.array([0, 0, 1, 1])
    with pytest.raises(TypeError, match="callable"):
        NDSampler(TomekLinks(), features="area").fit_resample(X, y)
    with pytest.raises(ValueError, match="numeric"):
        NDSampler(TomekLinks(), features=lambda X: [["a"]] * len(X)).fit_resample(X, y)


# --- particle crops without masks --------------------------------------------------------
def test_particles_without_masks_get_the_whole_crop():
    images = [np.random.default_rng(i).random((10 + i, 12)) for i in range(3)]
    X = ParticleImages(images, None)
    assert all(m.dtype == bool and m.shape == im.shape and m.all() for im, m in X)
    assert all(a is b for a, b in zip(X.images, images))  # images not copied
    X = ParticleImages(images)  # the default
    assert all(m.all() for m in X.masks)
    masks = [None, np.eye(11, 12, dtype=bool), None]  # only some crops segmented
    X = ParticleImages(images, masks)
    np.testing.assert_array_equal(X.masks[1], masks[1])
    assert X.masks[0].all() and X.masks[2].all()
    with pytest.raises(ValueError, match="3 images but 2 masks"):
        ParticleImages(images, [None, None])


def test_transformers_and_samplers_run_on_particles_without_masks():
    X_true, y = make_liposomes(24, surround=10, weights=[0.7, 0.3, 0.0], random_state=0)
    X = ParticleImages(list(X_true.images), None)
    # every masker mode shows the whole (resized) crop; crop_mask pads non-square
    # crops with fill_value instead of the edge pixels
    crops = {mode: ParticleMasker(mode=mode, output_size=16).fit_transform(X)
             for mode in ("crop_mask", "crop", "surround")}
    np.testing.assert_allclose(crops["crop"], crops["surround"])
    square = X.sizes[:, 0] == X.sizes[:, 1]
    assert square.sum() >= 5
    np.testing.assert_allclose(crops["crop_mask"][square], crops["surround"][square])
    features = ParticleFeatures().fit_transform(X)
    assert features.shape[0] == 24 and np.isfinite(features).all()
    names = list(ParticleFeatures().fit(X).get_feature_names_out())
    area = features[:, names.index("area")]
    np.testing.assert_array_equal(area, X.sizes.prod(axis=1))  # area is the crop's
    # the radial profile still tells the particles apart: it differs between crops
    radial = features[:, [i for i, n in enumerate(names) if n.startswith("radial")]]
    assert radial.std(axis=0).max() > 0
    X_res, y_res = NDSampler(SMOTE(k_neighbors=2, random_state=0)).fit_resample(X, y)
    assert np.bincount(np.unique(y_res, return_inverse=True)[1]).tolist() == [17, 17]
    assert all(m.all() for m in X_res.masks[: len(X)])
