"""LSTMTrajectoryClassifier: quality, padding invariance, reproducibility, misuse."""


import numpy as np
import pytest
import torch
from imblearn.pipeline import make_pipeline
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.model_selection import GridSearchCV, StratifiedKFold

from sklearn_cells import (
    LSTMTrajectoryClassifier,
    TrajectoryScaler,
    TrajectoryWindowSampler,
    VelocityTransformer,
)
from sklearn_cells.datasets import make_trajectories
from sklearn_cells.nn.lstm import LSTMSequenceClassifier
from sklearn_cells.trajectory._sequence_data import windowed_statistics


def _data(n=12, n_steps=60, random_state=0):
    """Collagen (3-D motion) vs plastic (2-D): learnable in a few epochs."""
    X, y = make_trajectories(n_samples=(n, n, 0), n_steps=n_steps, dt=5.0,
                             random_state=random_state)
    return X, y


def _pipeline(**params):
    params = {"hidden_size": 8, "lr": 1e-2, "optimizer": "adam", "max_epochs": 8,
              "random_state": 0, **params}
    return make_pipeline(VelocityTransformer(dt=5.0), TrajectoryScaler(method="standard"),
                         TrajectoryWindowSampler(20), LSTMTrajectoryClassifier(**params))


@pytest.fixture(scope="module")
def fitted():
    X, y = _data()
    return _pipeline(max_epochs=15, batch_size=16, lr=2e-2).fit(X, y)


def test_held_out_accuracy_well_above_chance(fitted):
    X_test, y_test = _data(n=20, random_state=1)
    assert fitted.score(X_test, y_test) >= 0.9  # chance is 0.5
    proba = fitted.predict_proba(X_test)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)
    assert fitted.classes_.tolist() == ["collagen", "plastic"]


ARCHITECTURES = [("lstm", False), ("gru", False), ("lstm", True), ("cnn_lstm", True)]


def test_default_pipeline_learns():
    """Library defaults everywhere: the three-step pipeline must learn (chance is 0.5)."""
    X, y = _data(n=16, n_steps=60)
    X_test, y_test = _data(n=20, n_steps=60, random_state=1)
    pipe = make_pipeline(VelocityTransformer(), TrajectoryScaler(),
                         LSTMTrajectoryClassifier(random_state=0)).fit(X, y)
    assert pipe.score(X_test, y_test) >= 0.85
    assert "valid_loss" in pipe[-1].history_[-1]  # early stopping on a validation split


@pytest.mark.parametrize("architecture, bidirectional", ARCHITECTURES)
@pytest.mark.parametrize("pooling", ["mean", "last"])
def test_padding_never_changes_a_prediction(pooling, architecture, bidirectional):
    rng = np.random.RandomState(0)
    X = [rng.normal(size=(n, 3)) for n in (5, 40, 17, 2, 1)]
    clf = LSTMTrajectoryClassifier(max_epochs=1, pooling=pooling, architecture=architecture,
                                   bidirectional=bidirectional, hidden_size=6,
                                   random_state=0).fit(X, [0, 1, 0, 1, 1])
    together = clf.predict_proba(X)
    alone = np.vstack([clf.predict_proba([x]) for x in X])
    np.testing.assert_allclose(together, alone, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("architecture, bidirectional", ARCHITECTURES)
def test_module_ignores_what_lies_in_the_padding(architecture, bidirectional):
    torch.manual_seed(0)
    module = LSTMSequenceClassifier(2, 3, architecture=architecture,
                                    bidirectional=bidirectional).eval()
    x = torch.randn(2, 7, 2)
    padded = torch.cat([x[:1], torch.cat([x[1:, :4], torch.full((1, 3, 2), 9.0)], dim=1)])
    out = module(padded, lengths=torch.tensor([7, 4]))
    torch.testing.assert_close(out[1], module(x[1:, :4])[0])
    torch.testing.assert_close(out[0], module(x[:1])[0])


@pytest.mark.parametrize("architecture", ["lstm", "gru", "cnn_lstm"])
def test_architectures_learn(architecture):
    X, y = _data(n=10, n_steps=40)
    X_test, y_test = _data(n=10, n_steps=40, random_state=1)
    pipe = make_pipeline(VelocityTransformer(), TrajectoryScaler(), LSTMTrajectoryClassifier(
        architecture=architecture, bidirectional=True, hidden_size=8, max_epochs=10, batch_size=4,
        early_stopping=False, random_state=0)).fit(X, y)
    assert pipe.score(X_test, y_test) >= 0.8


def test_training_crops_and_rotations():
    from sklearn_cells.trajectory._sequence_data import (
        SequenceDataset, TrainingCollate, bucketed_loader)

    rng = np.random.RandomState(0)
    X = [rng.normal(size=(n, 3)) for n in (250, 100, 30)]
    torch.manual_seed(0)
    loader = bucketed_loader(SequenceDataset(X, [0, 1, 2]), batch_size=8, shuffle=True,
                             max_length=100, collate_fn=TrainingCollate(100, rotate=True))
    (batch, y), = list(loader)
    # the 250-step track appears ceil(250 / 100) = 3 times, each a 100-step crop
    assert sorted(y.tolist()) == [0, 0, 0, 1, 2]
    lengths = batch["lengths"]
    assert sorted(lengths.tolist()) == [30, 100, 100, 100, 100]
    for row, label, n in zip(batch["x"], y, lengths):
        source = torch.as_tensor(X[label], dtype=torch.float32)
        crop = row[:n]
        # rotation/reflection of xy: norms kept, third column untouched and a real crop
        start = [s for s in range(len(source) - n + 1)
                 if torch.allclose(source[s:s + n, 2], crop[:, 2])]
        assert len(start) == 1
        original = source[start[0]:start[0] + n]
        torch.testing.assert_close(crop[:, :2].norm(dim=1), original[:, :2].norm(dim=1))
    assert not torch.allclose(batch["x"][y == 1][0, :100, :2],
                              torch.as_tensor(X[1][:, :2], dtype=torch.float32))


def test_prediction_sees_whole_trajectories_without_augmentation():
    X, y = _data(n=4, n_steps=30)
    clf = LSTMTrajectoryClassifier(max_epochs=2, crop_length=10, random_state=0).fit(X, y)
    module = clf.net_.module_.eval()
    with torch.no_grad():
        direct = torch.softmax(module(torch.as_tensor(X[0][None], dtype=torch.float32)), 1)
    np.testing.assert_allclose(clf.predict_proba(X[:1]), direct.numpy(), rtol=1e-5)


def test_test_time_augment_is_invariant_to_square_symmetries_of_the_plane():
    rng = np.random.RandomState(0)
    X = [rng.normal(size=(n, 3)) for n in (12, 30, 7, 25, 18, 9)]
    y = [0, 1, 0, 1, 0, 1]
    params = dict(max_epochs=2, batch_size=2, hidden_size=6, early_stopping=False, random_state=0)
    plain = LSTMTrajectoryClassifier(**params).fit(X, y)
    tta = LSTMTrajectoryClassifier(test_time_augment=True, **params).fit(X, y)
    # training is untouched: the same weights
    for a, b in zip(plain.net_.module_.parameters(), tta.net_.module_.parameters()):
        torch.testing.assert_close(a, b)
    quarter_turn = np.array([[0.0, -1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
    mirror = np.diag([-1.0, 1.0, 1.0])
    for transform in (quarter_turn, mirror, quarter_turn @ quarter_turn @ mirror):
        moved = [x @ transform.T for x in X]
        np.testing.assert_allclose(tta.predict_proba(moved), tta.predict_proba(X), atol=1e-6)
        assert not np.allclose(plain.predict_proba(moved), plain.predict_proba(X), atol=1e-6)
    # the mean over the 8 symmetries, z (third column) left as it is
    expected = np.mean([plain.predict_proba([x @ np.linalg.matrix_power(quarter_turn, k).T
                                             @ flip.T for x in X])
                        for k in range(4) for flip in (np.eye(3), mirror)], axis=0)
    np.testing.assert_allclose(tta.predict_proba(X), expected, rtol=1e-5, atol=1e-6)
    z_moved = [x + np.array([0.0, 0.0, 1.0]) for x in X]
    assert not np.allclose(tta.predict_proba(z_moved), tta.predict_proba(X), atol=1e-6)


def test_balanced_weights_count_the_crops_of_long_tracks():
    rng = np.random.RandomState(0)
    X = [rng.normal(size=(400, 2)) for _ in range(3)] + [rng.normal(size=(50, 2)) for _ in range(6)]
    y = ["long"] * 3 + ["short"] * 6
    clf = LSTMTrajectoryClassifier(max_epochs=1, crop_length=100, early_stopping=False,
                                   random_state=0).fit(X, y)
    # 12 crops of "long" against 6 tracks of "short": "short" weighs twice as much
    weight = clf.net_.criterion_.weight.numpy()
    np.testing.assert_allclose(weight[1] / weight[0], 2.0)


def test_warm_start_holds_out_part_of_the_new_data():
    X, y = _data(n=10, n_steps=30)
    clf = LSTMTrajectoryClassifier(max_epochs=1, warm_start=True, random_state=0).fit(X, y)
    X2, y2 = _data(n=10, n_steps=30, random_state=5)
    clf.fit(X2, y2)
    assert len(clf.history_) == 2 and "valid_loss" in clf.history_[-1]
    valid = clf.net_.train_split.keywords["valid_ds"]  # skorch's predefined_split
    new = [torch.as_tensor(x, dtype=torch.float32) for x in X2]
    for i in valid.indices:  # validation tracks come from the new data, not the first fit's
        torch.testing.assert_close(valid.dataset.sequences[i], new[i])


def test_partial_fit_trains_on_all_data_without_early_stopping():
    X, y = _data(n=4, n_steps=30)
    clf = LSTMTrajectoryClassifier(random_state=0)  # early_stopping=True by default
    clf.partial_fit(X, y)
    clf.partial_fit(X, y)
    assert len(clf.history_) == 2 and "valid_loss" not in clf.history_[-1]
    assert clf.net_.train_split is None


def test_3d_array_and_list_give_the_same_predictions():
    X, y = _data(n=4, n_steps=30)
    X = np.stack(X)
    clf = LSTMTrajectoryClassifier(max_epochs=2, random_state=0).fit(X, y)
    np.testing.assert_array_equal(clf.predict_proba(X), clf.predict_proba(list(X)))

def test_early_stopping_records_validation_loss():
    X, y = _data(n=10, n_steps=30)
    clf = LSTMTrajectoryClassifier(max_epochs=30, early_stopping=True, n_iter_no_change=2,
                                   lr=0.05, random_state=0).fit(X, y)
    history = clf.history_
    assert "valid_loss" in history[-1]
    assert len(history) < 30  # stopped before max_epochs


def test_warm_start_and_partial_fit_continue_training():
    X, y = _data(n=4, n_steps=30)
    clf = LSTMTrajectoryClassifier(max_epochs=2, warm_start=True, random_state=0).fit(X, y)
    clf.fit(X, y)
    assert len(clf.history_) == 4
    clf.partial_fit(X, y)
    assert len(clf.history_) == 5
    cold = LSTMTrajectoryClassifier(max_epochs=2, random_state=0).fit(X, y)
    cold.fit(X, y)
    assert len(cold.history_) == 2


def test_partial_fit_classes_and_unknown_labels():
    X, y = _data(n=4, n_steps=30)
    clf = LSTMTrajectoryClassifier(random_state=0)
    clf.partial_fit(X[:4], y[:4], classes=["collagen", "plastic", "fibronectin"])
    assert clf.classes_.tolist() == ["collagen", "fibronectin", "plastic"]
    with pytest.raises(ValueError, match="not seen in the first fit"):
        clf.partial_fit(X[:2], ["collagen", "amoeboid"])
    with pytest.raises(ValueError, match="missing from classes"):
        LSTMTrajectoryClassifier().partial_fit(X[:2], ["a", "b"], classes=["a"])

def test_grid_search_with_two_jobs():
    X, y = _data(n=10, n_steps=40)
    search = GridSearchCV(
        _pipeline(max_epochs=2), {"lstmtrajectoryclassifier__hidden_size": [4, 8]},
        cv=StratifiedKFold(5), n_jobs=2,
    ).fit(X, y)
    assert search.best_params_["lstmtrajectoryclassifier__hidden_size"] in (4, 8)

def test_new_n_dims_at_predict():
    X, y = _data(n=3, n_steps=20)
    clf = LSTMTrajectoryClassifier(max_epochs=1).fit(X, y)
    with pytest.raises(ValueError, match="fitted with 3"):
        clf.predict([x[:, :2] for x in X])

@pytest.mark.parametrize(
    "params, match",
    [
        (dict(hidden_size=0), "'hidden_size' parameter .* must be an int in the range \\[1"),
        (dict(n_layers=1.5), "'n_layers' parameter"),
        (dict(dropout=1.0), "dropout"),
        (dict(pooling="max"), "pooling"),
        (dict(optimizer="lbfgs"), "'optimizer' parameter"),
        (dict(class_weight="inverse"), "'class_weight' parameter"),
        (dict(class_weight={"amoeboid": 2.0}), "not in"),
        (dict(early_stopping=True, validation_fraction=1.5), "validation_fraction"),
        (dict(architecture="transformer"), "'architecture' parameter .* 'transformer'"),
        (dict(bidirectional="yes"), "'bidirectional' parameter .* 'bool'"),
        (dict(augment=None), "'augment' parameter .* 'bool'"),
        (dict(test_time_augment="yes"), "'test_time_augment' parameter .* 'bool'"),
        (dict(lr_schedule="step"), "lr_schedule"),
        (dict(crop_length=1), "'crop_length' parameter .* \\[2, inf\\)"),
        (dict(hidden_size=True), "'hidden_size' parameter .* Got True"),
    ],
)
def test_bad_parameters(params, match):
    X, y = _data(n=2, n_steps=20)
    with pytest.raises(ValueError, match=match):
        LSTMTrajectoryClassifier(max_epochs=1, **params).fit(X, y)


@pytest.mark.parametrize(
    "X, y, match",
    [
        ([np.zeros((5, 3))] * 2, [0], "2 trajectories but y has 1"),
        ([np.full((5, 3), np.nan)], [0], "NaN"),
        ([], [], "empty"),
        ([np.zeros((5, 3)), np.zeros((5, 2))], [0, 1], "different numbers of dimensions"),
        ([np.zeros((5, 3))] * 2, [0.5, 1.5], "Unknown label type"),
        ([np.zeros((5, 3)), np.full((5, 3), 1e39)], [0, 1], "trajectory 1 has values too large"),
    ],
)
def test_bad_inputs(X, y, match):
    with pytest.raises(ValueError, match=match):
        LSTMTrajectoryClassifier(max_epochs=1).fit(X, y)


@pytest.mark.cuda
def test_cuda_fit_matches_cpu_quality():
    X, y = _data()
    pipe = _pipeline(device="cuda").fit(X, y)
    X_test, y_test = _data(n=20, random_state=1)
    assert pipe.score(X_test, y_test) >= 0.9
    assert isinstance(pipe.predict_proba(X_test), np.ndarray)


def test_verbose_prints_epochs_and_silent_by_default(capsys):
    X, y = _data(n=2, n_steps=20)
    LSTMTrajectoryClassifier(max_epochs=2).fit(X, y)
    assert capsys.readouterr().out == ""
    LSTMTrajectoryClassifier(max_epochs=2, verbose=1).fit(X, y)
    captured = capsys.readouterr()
    assert "train_loss" in captured.out and "epoch" in captured.out


@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("pooling", ["mean", "last"])
def test_masked_path_equals_torch_packed_lstm(pooling, bidirectional):
    """Padded + masked (and reversed within each length) equals torch's packed LSTM."""
    from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

    torch.manual_seed(0)
    module = LSTMSequenceClassifier(3, 2, hidden_size=5, pooling=pooling,
                                    bidirectional=bidirectional).eval()
    reference = torch.nn.LSTM(3, 5, num_layers=2, batch_first=True, bidirectional=bidirectional)
    for layer, directions in enumerate(module.layers):
        for direction, rnn in enumerate(directions):
            suffix = f"_l{layer}" + ("_reverse" if direction else "")
            for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
                getattr(reference, name + suffix).data.copy_(getattr(rnn, name + "_l0"))
    lengths = torch.tensor([9, 4, 1])
    x = torch.randn(3, 9, 3)
    packed_out, (h, _) = reference(pack_padded_sequence(x, lengths, batch_first=True,
                                                        enforce_sorted=False))
    if pooling == "last":
        expected = module.head(torch.cat([h[-2], h[-1]], 1) if bidirectional else h[-1])
    else:
        out, _ = pad_packed_sequence(packed_out, batch_first=True)
        expected = module.head(out.sum(dim=1) / lengths[:, None])
    torch.testing.assert_close(module(x, lengths=lengths), expected)


def test_feature_boosting_blends_gradient_boosting_on_the_statistics():
    X, y = _data(n=30, n_steps=40)
    X_test, y_test = _data(n=10, n_steps=40, random_state=1)
    pipe = make_pipeline(VelocityTransformer(dt=5.0), TrajectoryScaler(),
                         LSTMTrajectoryClassifier(hidden_size=8, max_epochs=3, random_state=0))
    clf = pipe.fit(X, y)[-1]
    assert isinstance(clf.booster_, HistGradientBoostingClassifier)
    assert clf.booster_weight_ in np.round(np.linspace(0, 1, 11), 10)
    V = pipe[:-1].transform(X_test)
    blended = clf.predict_proba(V)
    booster, weight = clf.booster_, clf.booster_weight_
    clf.booster_ = None  # the network alone
    network = clf.predict_proba(V)
    stats = windowed_statistics([torch.as_tensor(v, dtype=torch.float32) for v in V],
                                clf.max_track_length_).numpy()
    expected = weight * network + (1 - weight) * booster.predict_proba(stats)
    np.testing.assert_allclose(blended, expected, rtol=1e-5, atol=1e-6)

    off = LSTMTrajectoryClassifier(hidden_size=8, max_epochs=1, feature_boosting=False,
                                   random_state=0).fit(V, y_test)
    assert off.booster_ is None and off.booster_weight_ == 1.0
    # partial_fit trains the network alone: the booster would need all data at once
    clf.booster_ = booster
    assert clf.partial_fit(V, y_test).booster_ is None
