"""AttentionFrameScorer: unsupervised next-frame prediction and frame importance."""

import pickle

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

from sklearn_cells.datasets._videos import make_migration_videos
from sklearn_cells.nn.attention import NextFramePredictor, attention_kl_to_uniform
from sklearn_cells.video._importance import AttentionFrameScorer
from sklearn_cells.video._readout import attention_change

TINY = dict(attention_span=4, channels=(4, 8), embed_dim=8, n_heads=2, max_epochs=2, batch_size=8)


@pytest.fixture(scope="module")
def videos():
    v, _ = make_migration_videos(n_videos=6, n_frames=14, frame_size=16, n_events=1,
                                 min_gap=4, random_state=0)
    return v


@pytest.fixture(scope="module")
def fitted(videos):
    return AttentionFrameScorer(**TINY, random_state=0).fit(videos)


def _auc(importance, events):
    return np.mean([roc_auc_score(e, i) for i, e in zip(importance, events)])


def test_fit_returns_self_and_sets_attributes(videos):
    scorer = AttentionFrameScorer(**TINY, random_state=0)
    assert scorer.fit(videos) is scorer
    assert scorer.frame_shape_ == (1, 16, 16) and scorer.n_features_in_ == 1
    assert len(scorer.history_) == TINY["max_epochs"]


def test_transform_one_value_per_frame_normalised_per_video(fitted, videos):
    importance = fitted.transform(videos)
    assert importance.shape == (6, 14)
    assert np.isfinite(importance).all()
    # Divided by the smallest value, then log: each video's minimum is 0.
    np.testing.assert_allclose(importance.min(axis=1), 0.0, atol=1e-12)
    assert (importance.max(axis=1) > 0).all()


def test_ragged_list_in_list_out_and_channel_axis(fitted, videos):
    ragged = [videos[0], videos[1][:9], videos[2][:, None]]  # (T, H, W) and (T, 1, H, W)
    importance = fitted.transform(ragged)
    assert isinstance(importance, list)
    assert [len(i) for i in importance] == [14, 9, 14]
    # A video's importance does not depend on the others passed with it.
    np.testing.assert_allclose(importance[2], fitted.transform(videos[2:3])[0])


@pytest.mark.parametrize("importance", ["attention", "attention_change", "surprise"])
def test_all_readouts(fitted, videos, importance):
    scorer = clone(fitted).set_params(importance=importance)
    scorer.net_, scorer.frame_shape_, scorer.n_features_in_ = (
        fitted.net_, fitted.frame_shape_, fitted.n_features_in_)
    out = scorer.transform(videos)
    assert out.shape == (6, 14) and np.isfinite(out).all()


def test_attention_change_ignores_sliding_attention_and_sees_shifts():
    n_frames, attention_span = 12, 4
    # Attention that stays on the same lags (or slides along with time)
    # does not change what the network uses: the floor everywhere.
    steady = np.tile([0.4, 0.3, 0.2, 0.1], (n_frames, 1))
    steady[:3] = [[1, 0, 0, 0], [4 / 7, 3 / 7, 0, 0], [4 / 9, 3 / 9, 2 / 9, 0]]
    change = attention_change(steady)
    assert change.shape == (n_frames,)
    # Constant lag profile: renormalised over shared frames it still differs a
    # little (one lag drops out), but far less than a jump.
    assert change.max() < 0.2
    # At frame 8 the network suddenly looks only 3 frames back.
    jumped = steady.copy()
    jumped[8] = [0.0, 0.0, 0.0, 1.0]
    out = attention_change(jumped)
    assert out.argmax() == 8 and out[8] > 0.5
    assert (out > 0).all()  # floored, so the log normalisation stays finite


def test_attention_rows_are_distributions(fitted, videos):
    rows = fitted.attention(videos[:2])
    assert rows[0].shape == (14, 4)
    np.testing.assert_allclose(rows[0].sum(axis=1), 1.0, rtol=1e-5)
    # The first step can only look at itself.
    assert rows[0][0, 0] == pytest.approx(1.0)


def test_long_videos_are_processed_in_exact_chunks(fitted, videos):
    video = np.concatenate([videos[0], videos[1], videos[2]])[:, None]  # (42, 1, H, W)
    whole_rows, whole_errors = fitted._run(video, chunk=1000)
    chunk_rows, chunk_errors = fitted._run(video, chunk=10)
    np.testing.assert_allclose(chunk_rows, whole_rows, atol=1e-5)
    np.testing.assert_allclose(chunk_errors, whole_errors, rtol=1e-4, equal_nan=True)

def test_training_improves_prediction(videos):
    scorer = AttentionFrameScorer(**{**TINY, "max_epochs": 6}, lr=5e-3, random_state=0)
    scorer.fit(videos)
    losses = scorer.history_[:, "train_loss"]
    assert losses[-1] < losses[0]
    # The untrained network copies the last frame; training must beat that.
    copy_error = np.mean((videos[:, 1:] - videos[:, :-1]) ** 2)
    assert -scorer.score(videos) < copy_error
    assert scorer.score(videos) < 0


def test_surprise_finds_event_frames():
    # In-sample (the seed's use): event frames are the least predictable. At
    # this tiny scale the network is still close to its copy-the-last-frame
    # start; examples/plot_frame_importance.py measures the trained network.
    videos, events = make_migration_videos(n_videos=8, n_frames=20, frame_size=16,
                                           n_events=2, random_state=1)
    scorer = AttentionFrameScorer(attention_span=4, channels=(8, 16), embed_dim=16, lr=5e-3,
                                  max_epochs=4, importance="surprise", random_state=0)
    importance = scorer.fit(videos).transform(videos)
    assert _auc(importance, events) > 0.8


def test_n_predict_and_score_is_one_step_ahead(videos):
    scorer = AttentionFrameScorer(**{**TINY, "n_predict": 2}, random_state=0).fit(videos)
    assert scorer.transform(videos).shape == (6, 14)
    errors = scorer.prediction_errors(videos)
    assert np.isnan(errors[0][0]) and np.isfinite(errors[0][1:]).all()
    assert scorer.score(videos) == pytest.approx(-np.mean([e[1:] for e in errors]))


def test_attention_penalty_flattens_attention(videos):
    def kl(scorer):
        frames = torch.as_tensor(videos[:, :, None])
        with torch.no_grad():
            _, attention = scorer.net_.module_(frames)
        return float(attention_kl_to_uniform(attention, scorer.attention_span))

    params = {**TINY, "max_epochs": 4, "lr": 1e-2}
    free = AttentionFrameScorer(**params, random_state=0).fit(videos)
    flat = AttentionFrameScorer(**params, attention_penalty=1.0, random_state=0).fit(videos)
    assert kl(flat) < kl(free)


def test_early_stopping_holds_out_videos(videos):
    scorer = AttentionFrameScorer(**{**TINY, "max_epochs": 3}, early_stopping=True,
                                  validation_fraction=0.34, random_state=0).fit(videos)
    assert "valid_loss" in scorer.history_[-1]


def test_pipeline_and_grid_search(videos):
    pipe = make_pipeline(
        FunctionTransformer(lambda v: v / np.abs(v).max()),  # any video preprocessing
        AttentionFrameScorer(**TINY, random_state=0),
    )
    pipe.fit(videos)
    assert pipe.transform(videos).shape == (6, 14)
    assert np.isfinite(pipe.score(videos))
    search = GridSearchCV(
        pipe, {"attentionframescorer__attention_span": [2, 4]}, cv=KFold(3), error_score="raise"
    )
    search.fit(videos)
    assert search.best_params_["attentionframescorer__attention_span"] in (2, 4)
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()
    assert search.transform(videos).shape == (6, 14)


# ------------------------------------------------------------------ bad inputs
def test_videos_with_different_frame_sizes():
    videos = [np.zeros((10, 16, 16), np.float32), np.zeros((10, 16, 20), np.float32)]
    with pytest.raises(ValueError, match="same size.*Crop or resize"):
        AttentionFrameScorer(**TINY).fit(videos)


def test_frame_size_differs_from_fit(fitted):
    with pytest.raises(ValueError, match=r"fitted on frames of shape \(1, 16, 16\)"):
        fitted.transform(np.zeros((2, 14, 20, 20), np.float32))


def test_too_few_frames_for_the_context():
    videos = np.zeros((3, 4, 16, 16), np.float32)
    with pytest.raises(ValueError, match="at least 5 are needed.*lower attention_span"):
        AttentionFrameScorer(**TINY).fit(videos)


def test_too_few_frames_at_transform(fitted):
    with pytest.raises(ValueError, match="video 1 of X has 3 frame"):
        fitted.transform([np.zeros((8, 16, 16)), np.zeros((3, 16, 16))])


def test_nan_pixels(videos):
    bad = videos.copy()
    bad[2, 5, 3, 3] = np.nan
    with pytest.raises(ValueError, match=r"video 2 of X has NaN .* frame\(s\) \[5\]"):
        AttentionFrameScorer(**TINY).fit(bad)


@pytest.mark.parametrize(
    "X, match",
    [
        (np.zeros((10, 16, 16)), "single video pass"),
        ([np.zeros((10, 16))], "expected \\(n_frames, H, W\\)"),
        ([], "empty"),
        ([np.full((10, 8, 8), "a")], "not numeric"),
    ],
)
def test_malformed_collections(X, match):
    with pytest.raises(ValueError, match=match):
        AttentionFrameScorer(**TINY).fit(X)


@pytest.mark.parametrize(
    "params, match",
    [
        (dict(importance="peaks"), "'importance' parameter"),
        (dict(attention_span=0), "attention_span"),
        (dict(attention_penalty=-1.0), "attention_penalty"),
        (dict(n_heads=3), "divisible by n_heads"),
        (dict(attention_values="pixels"), "'attention_values' parameter"),
        (dict(channels=()), "channels must be a non-empty tuple"),
        (dict(channels=(4, 0)), "channels must be a non-empty tuple"),
        (dict(n_groups=0), "'n_groups' parameter"),
        (dict(lr=0.0), "'lr' parameter"),
        (dict(crop_length=2), "crop_length must be at least"),
    ],
)
def test_bad_parameters(videos, params, match):
    with pytest.raises(ValueError, match=match):
        AttentionFrameScorer(**{**TINY, **params}).fit(videos)

@pytest.mark.cuda
def test_cuda_fit_gives_numpy_and_matches_shapes(videos):
    scorer = AttentionFrameScorer(**TINY, device="cuda", random_state=0).fit(videos)
    importance = scorer.transform(videos)
    assert isinstance(importance, np.ndarray) and importance.shape == (6, 14)
    assert isinstance(scorer.score(videos), float)
    cpu = pickle.loads(pickle.dumps(scorer))  # a CUDA-trained scorer pickles
    assert np.isfinite(cpu.transform(videos)).all()


def test_nn_module_usable_alone():
    model = NextFramePredictor(1, (16, 16), attention_span=3, n_predict=2, channels=(4, 8),
                               embed_dim=8)
    frames = torch.rand(2, 7, 1, 16, 16)
    prediction, attention = model(frames)
    assert prediction.shape == (2, 7, 2, 1, 16, 16)
    # Untrained, it copies the last frame.
    torch.testing.assert_close(prediction[:, :, 0], frames)
    # Causal and banded: nothing from the future or beyond the context.
    assert torch.all(attention.triu(1) == 0) and torch.all(attention.tril(-3) == 0)


@pytest.mark.parametrize("values", ["maps", "summaries"])
def test_nn_module_motion_summaries_is_causal(values):
    model = NextFramePredictor(1, (16, 16), attention_span=3, n_predict=2, channels=(4, 8),
                               embed_dim=8, motion=True, values=values)
    frames = torch.rand(2, 7, 1, 16, 16)
    prediction, attention = model(frames)
    assert prediction.shape == (2, 7, 2, 1, 16, 16) and attention.shape == (2, 2, 7, 7)
    torch.testing.assert_close(prediction[:, :, 0], frames)  # copies the last frame
    with torch.no_grad():  # a trained-looking decoder, so the context matters
        model.decoder.out.weight.normal_()
    prediction, attention = model(frames)
    changed = frames.clone()
    changed[:, 4:] = torch.rand_like(changed[:, 4:])
    later, later_attention = model(changed)
    # Steps 0-3 see frames 0-3 only (the motion input of frame t uses t - 1).
    torch.testing.assert_close(later[:, :4], prediction[:, :4])
    torch.testing.assert_close(later_attention[:, :, :4], attention[:, :, :4])
    assert not torch.allclose(later[:, 4:], prediction[:, 4:])

