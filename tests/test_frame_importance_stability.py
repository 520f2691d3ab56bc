"""Seed stability, ensembles, important subsequences and the importance plot."""

import pickle

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, KFold

from sklearn_cells.datasets._videos import make_migration_videos
from sklearn_cells.plotting._importance import importance_peaks, plot_frame_importance
from sklearn_cells.video._importance import AttentionFrameScorer
from sklearn_cells.video._stability import (
    FrameImportanceEnsemble,
    importance_agreement,
    importance_rank_correlation,
    importance_stability,
    important_subsequences,
    subsequence_variation,
)

TINY = dict(attention_span=4, channels=(4, 8), embed_dim=8, max_epochs=2, batch_size=8)


@pytest.fixture(scope="module")
def videos():
    v, _ = make_migration_videos(n_videos=5, n_frames=14, frame_size=16, n_events=1,
                                 min_gap=4, random_state=0)
    return v


# -------------------------------------------------------------- pure functions
def test_rank_correlation_is_rank_based_and_per_video():
    a = np.array([[0, 1, 2, 3.0], [3, 2, 1, 0.0]])
    assert importance_rank_correlation(a, a ** 3) == pytest.approx(1.0)
    assert importance_rank_correlation(a, -a) == pytest.approx(-1.0)
    ragged = [np.arange(5.0), np.arange(3.0)]
    assert importance_rank_correlation(ragged, ragged) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="same videos"):
        importance_rank_correlation(a, a[:1])


def test_subsequence_variation_and_windows():
    x = np.zeros(20)
    x[12] = 5.0
    variation = subsequence_variation(x, window=4)
    assert variation.shape == (17,)
    assert set(np.flatnonzero(variation)) == {9, 10, 11, 12}
    windows = important_subsequences(x, window=4, n_subsequences=3)
    start, stop, score = windows[0]
    assert start <= 12 < stop and stop - start == 4 and score == variation.max()
    # Non-overlapping and sorted by decreasing variation.
    spans = [set(range(s, e)) for s, e, _ in windows]
    assert all(not (p & q) for i, p in enumerate(spans) for q in spans[i + 1 :])
    assert [w[2] for w in windows] == sorted([w[2] for w in windows], reverse=True)
    # One list per video for collections.
    assert len(important_subsequences(np.stack([x, x]), window=4)) == 2
    with pytest.raises(ValueError, match="fewer than window"):
        subsequence_variation(np.zeros(3), window=5)


def test_agreement_ensemble_beats_single_models_on_noisy_copies():
    rng = np.random.RandomState(0)
    truth = rng.rand(6, 40)
    models = [truth + 0.8 * rng.rand(6, 40) for _ in range(6)]
    result = importance_agreement(models, window=5)
    assert result.pairwise.shape == (6, 6)
    assert 0 < result.single_model < result.ensemble <= 1
    assert np.isnan(importance_agreement(models[:2]).ensemble)  # too few to split
    with pytest.raises(ValueError, match="at least 2 models"):
        importance_agreement(models[:1])


# ---------------------------------------------------------- fitted estimators
def test_importance_stability_reports_single_and_ensemble(videos):
    scorer = AttentionFrameScorer(**TINY, importance="surprise")
    result = importance_stability(scorer, videos, n_models=4, window=4, random_state=0)
    assert len(result.estimators) == 4 and len(set(result.random_states)) == 4
    for key in ("single_model", "ensemble", "single_model_subsequence", "ensemble_subsequence"):
        assert -1 <= result[key] <= 1
    # Averaging two networks agrees better with two others than one does with one.
    assert result.ensemble > result.single_model
    with pytest.raises(ValueError, match="n_models"):
        importance_stability(scorer, videos, n_models=1)


def test_ensemble_averages_members(videos):
    base = AttentionFrameScorer(**TINY)
    ensemble = FrameImportanceEnsemble(base, n_estimators=2, random_state=0).fit(videos)
    members = [m.transform(videos) for m in ensemble.estimators_]
    np.testing.assert_allclose(ensemble.transform(videos), np.mean(members, axis=0))
    assert ensemble.random_states_[0] != ensemble.random_states_[1]
    assert ensemble.score(videos) == pytest.approx(
        np.mean([m.score(videos) for m in ensemble.estimators_]))
    as_list = ensemble.transform(list(videos))
    assert isinstance(as_list, list) and len(as_list) == 5

    # Reproducible, clonable, picklable, searchable by nested keys.
    again = FrameImportanceEnsemble(base, n_estimators=2, random_state=0).fit(videos)
    np.testing.assert_array_equal(again.transform(videos), ensemble.transform(videos))
    assert clone(ensemble).get_params()["estimator__attention_span"] == 4
    restored = pickle.loads(pickle.dumps(ensemble))
    np.testing.assert_allclose(restored.transform(videos), ensemble.transform(videos))
    search = GridSearchCV(FrameImportanceEnsemble(base, n_estimators=1, random_state=0),
                          {"estimator__lr": [1e-3, 1e-2]}, cv=KFold(2), error_score="raise")
    assert search.fit(videos).best_params_["estimator__lr"] in (1e-3, 1e-2)


def test_ensemble_bad_n_estimators(videos):
    with pytest.raises(ValueError, match="n_estimators"):
        FrameImportanceEnsemble(AttentionFrameScorer(**TINY), n_estimators=0).fit(videos)


# -------------------------------------------------------------------- plotting
def test_importance_peaks():
    x = np.array([0, 3, 0, 1, 0, 2, 0, 0.5])
    assert importance_peaks(x, n_peaks=2).tolist() == [1, 5]
    assert importance_peaks(x, n_peaks=10).tolist() == [1, 3, 5, 7]


def test_plot_frame_importance_draws_curve_peaks_events_and_thumbnails():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    videos, events = make_migration_videos(n_videos=1, n_frames=20, frame_size=16,
                                           n_events=2, min_gap=4, random_state=0)
    importance = np.abs(np.diff(videos[0], axis=0, prepend=videos[0][:1])).mean(axis=(1, 2))
    windows = important_subsequences(importance, window=4, n_subsequences=2)
    ax = plot_frame_importance(importance, videos[0], events=events[0], n_peaks=3,
                               subsequences=windows, title="video 0")
    assert len(ax.thumbnail_axes_) == 3
    np.testing.assert_allclose(ax.lines[-2].get_ydata(), importance)  # the curve
    n_event_lines = sum(1 for line in ax.lines if line.get_linestyle() == "--")
    assert n_event_lines == events[0].sum()
    assert len(ax.patches) == 2  # shaded subsequences
    plt.close(ax.figure)
    # Without a video: the curve only; on a given Axes.
    fig, given = plt.subplots()
    assert plot_frame_importance(importance, ax=given).thumbnail_axes_ == []
    plt.close(fig)
    with pytest.raises(ValueError, match="frames but importance has"):
        plot_frame_importance(importance, videos[0][:5])
