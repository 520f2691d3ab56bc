"""FrameChangeScorer: the no-network baseline of frame importance."""

import pickle

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from sklearn_cells.video import AttentionFrameScorer, FrameChangeScorer


def _noise_videos(n_videos=3, n_frames=12, size=8, jump_at=(5, 7, 9), seed=0):
    """Pixel noise, with everything brighter from one frame on in each video."""
    rng = np.random.RandomState(seed)
    videos = rng.normal(0, 0.05, (n_videos, n_frames, size, size))
    for video, t in zip(videos, jump_at):
        video[t:] += 0.5
    return videos


def test_the_frame_with_a_jump_scores_highest():
    videos = _noise_videos()
    importance = FrameChangeScorer().fit(videos).transform(videos)
    assert importance.shape == (3, 12)
    assert importance.argmax(axis=1).tolist() == [5, 7, 9]
    # The seed's normalisation: each video's least changing frame is 0, the
    # jump is many times the noise-only change.
    np.testing.assert_allclose(importance.min(axis=1), 0.0, atol=1e-12)
    assert (importance.max(axis=1) > np.log(10)).all()


def test_raw_changes_first_frame_and_score():
    videos = _noise_videos()
    scorer = FrameChangeScorer().fit(videos)
    changes = scorer.frame_changes(videos)
    assert len(changes) == 3 and all(np.isnan(c[0]) for c in changes)
    expected = np.mean(np.diff(videos, axis=1) ** 2, axis=(2, 3))
    np.testing.assert_allclose(np.stack([c[1:] for c in changes]), expected, rtol=1e-6)
    # The first frame gets the video's smallest change, so 0 after normalising.
    assert (scorer.transform(videos)[:, 0] == 0).all()
    # score is the error of the "nothing moves" predictor, higher is better.
    assert scorer.score(videos) == pytest.approx(-expected.mean(), rel=1e-6)
    assert scorer.score(videos) > scorer.score(videos * 2)


def test_same_output_layout_as_the_attention_scorer():
    videos = _noise_videos(n_videos=3, n_frames=10, size=16, jump_at=(4, 5, 6))
    attention = AttentionFrameScorer(attention_span=3, channels=(4, 8), embed_dim=8, max_epochs=1,
                                     random_state=0).fit(videos)
    change = FrameChangeScorer().fit(videos)
    assert change.transform(videos).shape == attention.transform(videos).shape == (3, 10)
    ragged = [videos[0], videos[1][:7], videos[2][:, None]]  # (T, H, W) and (T, 1, H, W)
    for out in (change.transform(ragged), attention.transform(ragged)):
        assert isinstance(out, list) and [len(o) for o in out] == [10, 7, 10]
    assert [len(c) for c in change.frame_changes(ragged)] == [
        len(e) for e in attention.prediction_errors(ragged)
    ]
    assert change.frame_shape_ == attention.frame_shape_ == (1, 16, 16)
    assert change.n_features_in_ == attention.n_features_in_ == 1


def test_channels_are_pooled_and_videos_are_independent():
    videos = _noise_videos()
    colour = np.stack([videos, videos], axis=2)  # (n, T, 2, H, W)
    scorer = FrameChangeScorer().fit(colour)
    assert scorer.n_features_in_ == 2
    np.testing.assert_allclose(scorer.transform(colour),
                               FrameChangeScorer().fit(videos).transform(videos), atol=1e-6)
    np.testing.assert_array_equal(scorer.transform(colour[1:2])[0], scorer.transform(colour)[1])


def test_clone_pickle_and_inputs_left_alone():
    videos = _noise_videos()
    before = videos.copy()
    scorer = FrameChangeScorer().fit(videos)
    assert clone(scorer).get_params() == {}
    restored = pickle.loads(pickle.dumps(scorer))
    np.testing.assert_array_equal(restored.transform(videos), scorer.transform(videos))
    np.testing.assert_array_equal(videos, before)


def test_not_fitted():
    with pytest.raises(NotFittedError):
        FrameChangeScorer().transform(_noise_videos())


@pytest.mark.parametrize(
    "X, match",
    [
        (np.zeros((1, 1, 8, 8)), "at least 2 are needed to compare a frame"),
        (np.zeros((10, 8, 8)), r"For a single video pass \[video\]"),
        ("video.tif", "must be a list of"),
        ([], "empty"),
        (np.full((1, 4, 8, 8), np.nan), "NaN or infinite"),
        ([np.zeros((4, 8, 8)), np.zeros((4, 9, 9))], "same size"),
        (np.zeros((1, 4, 8, 8), dtype=object), "not numeric"),
    ],
)
def test_bad_videos(X, match):
    with pytest.raises(ValueError, match=match):
        FrameChangeScorer().fit(X)


def test_frames_of_another_size_than_fit():
    scorer = FrameChangeScorer().fit(np.zeros((2, 4, 8, 8)))
    with pytest.raises(ValueError, match="fitted on frames of shape"):
        scorer.transform(np.zeros((2, 4, 9, 9)))
