"""Whole-track statistics and the feature branch of the trajectory classifier."""

import numpy as np
import pytest
import torch
from sklearn.pipeline import make_pipeline

from sklearn_cells import LSTMTrajectoryClassifier, TrajectoryScaler, VelocityTransformer
from sklearn_cells.nn.lstm import LSTMSequenceClassifier
from sklearn_cells.nn.statistics import track_statistic_names, track_statistics
from sklearn_cells.trajectory._sequence_data import (
    SequenceDataset,
    TrainingCollate,
    dataset_statistics,
    windowed_statistics,
)

NAMES = track_statistic_names()


def _stats(x, lengths=None):
    return dict(zip(NAMES, track_statistics(x, lengths)[0].tolist()))


def test_straight_line():
    s = _stats(torch.ones(1, 64, 2))
    assert s["straightness"] == pytest.approx(1.0)
    assert s["msd_exponent"] == pytest.approx(2.0, abs=1e-5)
    assert s["msd_fit_residual"] == pytest.approx(0.0, abs=1e-5)
    assert s["log_efficiency"] == pytest.approx(0.0, abs=1e-5)
    assert s["log_msd_ratio_lag8"] == pytest.approx(np.log(8), abs=1e-5)
    assert s["asphericity"] == pytest.approx(1.0, abs=1e-5)
    assert s["velocity_autocorr_lag16"] == pytest.approx(1.0)


def test_random_walk():
    torch.manual_seed(0)
    s = _stats(torch.randn(1, 4000, 2))
    assert s["msd_exponent"] == pytest.approx(1.0, abs=0.15)
    assert abs(s["log_msd_ratio_lag16"]) < 0.25
    assert s["log_kurtosis_lag1"] == pytest.approx(np.log(2.0), abs=0.1)  # 2-D Gaussian
    assert abs(s["velocity_autocorr_lag1"]) < 0.05
    assert s["straightness"] < 0.1
    for name in ("log_aging_ratio", "aging_exponent", "log_local_power_ratio"):
        assert abs(s[name]) < 0.1, name


def test_ageing_switching_and_flights():
    torch.manual_seed(2)
    t = torch.arange(1.0, 2001.0)[None, :, None]
    s = _stats(torch.randn(1, 2000, 2) * t ** -0.25)  # step variance ~ t^-0.5: subdiffusive ageing
    assert s["aging_exponent"] == pytest.approx(-0.5, abs=0.1)
    assert s["log_aging_ratio"] == pytest.approx(np.log(2**0.5 - 1), abs=0.15)
    scale = torch.where((torch.arange(2000) // 50) % 2 == 0, 1.0, 10**0.5)[None, :, None]
    assert _stats(torch.randn(1, 2000, 2) * scale)["log_local_power_ratio"] > 1.0
    gaussian = _stats(torch.randn(1, 2000, 2))["tail_share"]
    heavy = _stats(torch.distributions.StudentT(2.5).sample((1, 2000, 2)))["tail_share"]
    assert heavy > gaussian + 0.1
    still = track_statistics(torch.zeros(2, 30, 2), torch.tensor([30, 1]))
    assert still[:, NAMES.index("tail_share")].tolist() == pytest.approx([3 / 30, 1.0])


def test_circling_is_confined_and_round():
    angle = torch.arange(400) * (2 * np.pi / 40)  # 10 turns of a circle
    steps = torch.stack([torch.cos(angle), torch.sin(angle)], dim=1)[None]
    s = _stats(steps)
    assert s["straightness"] < 0.02
    assert s["asphericity"] < 0.05
    assert s["velocity_autocorr_lag1"] == pytest.approx(np.cos(2 * np.pi / 40), abs=1e-4)


def test_padding_never_changes_the_statistics():
    torch.manual_seed(1)
    x = torch.randn(3, 300, 2)
    lengths = torch.tensor([300, 120, 7])
    x_padded = x.clone()
    x_padded[1, 120:] = 99.0  # whatever lies in the padding is ignored
    x_padded[2, 7:] = -5.0
    together = track_statistics(x_padded, lengths)
    alone = torch.cat([track_statistics(x[i : i + 1, :n]) for i, n in enumerate([300, 120, 7])])
    torch.testing.assert_close(together, alone, rtol=1e-4, atol=1e-4)


def test_invariant_to_rotation_and_reflection_and_only_one_depends_on_scale():
    torch.manual_seed(2)
    x = torch.randn(4, 100, 2).cumsum(dim=1) * 0.1 + torch.randn(4, 100, 2)
    c, s = np.cos(0.7), np.sin(0.7)
    turned = x @ torch.tensor([[c, -s], [s, c]], dtype=torch.float32).T * torch.tensor([1.0, -1.0])
    torch.testing.assert_close(track_statistics(turned), track_statistics(x), rtol=1e-3, atol=1e-3)
    scaled = track_statistics(x * 7.0)
    differs = (scaled - track_statistics(x)).abs().amax(dim=0) > 1e-3
    assert [NAMES[i] for i in np.flatnonzero(differs.numpy())] == ["log_mean_step"]


@pytest.mark.parametrize("x", [torch.zeros(1, 20, 2), torch.zeros(1, 1, 2), torch.randn(1, 1, 2),
                               torch.randn(1, 2, 3), torch.randn(1, 30, 1)])
def test_finite_on_still_one_step_and_any_dimension(x):
    assert torch.isfinite(track_statistics(x)).all()


def test_training_batches_carry_statistics_of_whole_tracks():
    rng = np.random.RandomState(0)
    tracks = [rng.normal(size=(n, 2)) for n in (300, 50, 120)]
    dataset = SequenceDataset(tracks, np.array([0, 1, 0]))
    collate = TrainingCollate(max_length=40, rotate=True, whole_track_statistics=True)
    inputs, _ = collate([dataset[i] for i in range(3)])
    assert inputs["x"].shape[1] == 40  # the recurrent layers see crops ...
    np.testing.assert_allclose(inputs["features"].numpy(),  # ... the branch whole tracks
                               dataset_statistics(dataset, [0, 1, 2]), rtol=1e-5, atol=1e-5)


def test_windowed_statistics_average_windows_of_the_training_length():
    torch.manual_seed(3)
    short, long = torch.randn(25, 2), torch.randn(90, 2)  # 90 steps: 3 windows of 30
    stats = windowed_statistics([short, long], window=30)
    torch.testing.assert_close(stats[0], track_statistics(short[None])[0])
    windows = torch.stack([long[:30], long[30:60], long[60:]])
    torch.testing.assert_close(stats[1], track_statistics(windows).mean(dim=0))
    # 95 steps: 4 evenly spaced windows, the last one ending at the end
    stats = windowed_statistics([torch.randn(95, 2)], window=30)
    assert stats.shape == (1, len(NAMES)) and torch.isfinite(stats).all()


def test_prediction_measures_statistics_on_spans_seen_in_training():
    rng = np.random.RandomState(0)
    X = [rng.normal(size=(20, 2)) for _ in range(20)]
    y = np.repeat(["a", "b"], 10)
    clf = LSTMTrajectoryClassifier(hidden_size=4, max_epochs=1, feature_boosting=False,
                                  random_state=0).fit(X, y)
    assert clf.max_track_length_ == 20
    long = rng.normal(size=(60, 2)).astype(np.float32)
    x = torch.as_tensor(long)[None]
    with torch.no_grad():
        expected = torch.softmax(clf.net_.module_(
            x, features=windowed_statistics([x[0]], 20)), dim=1)
        whole = torch.softmax(clf.net_.module_(x), dim=1)
    np.testing.assert_allclose(clf.predict_proba([long]), expected.numpy(), rtol=1e-4, atol=1e-6)
    assert not np.allclose(expected.numpy(), whole.numpy())


def test_module_computes_the_statistics_it_is_not_given():
    torch.manual_seed(0)
    module = LSTMSequenceClassifier(2, 3, hidden_size=4, track_features=True)
    x, lengths = torch.randn(5, 30, 2), torch.tensor([30, 20, 10, 5, 1])
    given = module(x, lengths, features=track_statistics(x, lengths))
    torch.testing.assert_close(module(x, lengths), given)
    with pytest.raises(ValueError, match="feature_center and feature_scale"):
        LSTMSequenceClassifier(2, 3, track_features=True, feature_scale=[1.0, 2.0])


def _confined_or_free(n_per_class=30, n_steps=300, random_state=0):
    """Free random walks and walks held by a weak spring: the same steps locally,
    different net displacement over hundreds of steps."""
    rng = np.random.RandomState(random_state)
    X, y = [], []
    for label, stiffness in (("free", 0.0), ("confined", 0.05)):
        for _ in range(n_per_class):
            r = np.zeros((n_steps, 2))
            for t in range(1, n_steps):
                r[t] = r[t - 1] * (1 - stiffness) + rng.normal(size=2)
            X.append(r)
            y.append(label)
    return X, np.array(y)


def test_feature_branch_sees_long_range_confinement():
    X, y = _confined_or_free()
    X_test, y_test = _confined_or_free(random_state=1)
    scores = {}
    for track_features in (False, True):
        clf = LSTMTrajectoryClassifier(hidden_size=8, max_epochs=15, track_features=track_features,
                                       crop_length=50, early_stopping=False, random_state=0)
        pipe = make_pipeline(VelocityTransformer(), TrajectoryScaler(), clf).fit(X, y)
        scores[track_features] = pipe.score(X_test, y_test)
    assert scores[True] >= 0.9
    assert scores[True] > scores[False]


def test_float32_under_autocast():
    # long tracks: fourth powers of displacements would overflow float16
    x = torch.randn(2, 1000, 2) * 10
    with torch.autocast("cpu", dtype=torch.bfloat16):
        stats = track_statistics(x)
    assert stats.dtype == torch.float32
    torch.testing.assert_close(stats, track_statistics(x))



def test_the_recurrent_path_sees_clipped_input_the_statistics_do_not():
    torch.manual_seed(0)
    module = LSTMSequenceClassifier(n_features=2, n_classes=2).eval()
    x = torch.randn(1, 20, 2)
    big, bigger = x.clone(), x.clone()
    big[0, 5, 0], bigger[0, 5, 0] = 10.0, 1000.0  # both beyond the clip at 5
    with torch.no_grad():
        torch.testing.assert_close(module(big), module(bigger))
        loose = LSTMSequenceClassifier(n_features=2, n_classes=2, input_clip=None).eval()
        assert not torch.allclose(loose(big), loose(bigger))
    # the statistics branch is measured on the unclipped steps
    assert not torch.allclose(track_statistics(big), track_statistics(bigger))
