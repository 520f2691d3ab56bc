"""Callbacks, interrupts and tiny validation splits of the torch estimators."""

import warnings

import numpy as np
import pytest
from skorch.callbacks import Callback, EpochScoring

from sklearn_cells import LSTMTrajectoryClassifier


def _tracks(n=12, seed=0):
    rng = np.random.RandomState(seed)
    X = [rng.normal(size=(20, 2)) * (1.0 + 2.0 * (i % 2)) for i in range(n)]
    return X, np.array(["slow", "fast"] * (n // 2))


def _small(**params):
    return LSTMTrajectoryClassifier(**{"hidden_size": 4, "max_epochs": 2, "random_state": 0,
                                       **params})


@pytest.mark.parametrize("callbacks, error, match", [
    ([print], TypeError, "skorch callbacks or \\(name, callback\\) pairs"),
    ([("acc", "accuracy")], TypeError, "skorch callbacks"),
    ([(3, EpochScoring("accuracy"))], TypeError, "skorch callbacks"),
    ([("early_stopping", EpochScoring("accuracy"))], ValueError, "taken by a built-in"),
    ([("train_loss", EpochScoring("accuracy"))], ValueError, "taken by a built-in"),
])
def test_bad_callbacks_are_a_clear_error(callbacks, error, match):
    X, y = _tracks()
    clf = _small(callbacks=callbacks)
    with pytest.raises(error, match=match):
        clf.fit(X, y)
    assert not hasattr(clf, "net_")  # nothing half-written


def test_epoch_scoring_accuracy_on_a_classifier():
    X, y = _tracks(n=60)
    clf = _small(max_epochs=8, lr=0.03, callbacks=[("score", EpochScoring("accuracy", name="valid_accuracy",
                                                  lower_is_better=False))])
    clf.fit(X, y)
    scores = [row["valid_accuracy"] for row in clf.history_]
    assert all(0.0 <= s <= 1.0 for s in scores)
    assert max(scores) > 0.5  # the classes differ three-fold in speed


class _InterruptAfterBatches(Callback):
    def __init__(self, n_batches=1):
        self.n_batches = n_batches

    def on_batch_end(self, net, **kwargs):
        self.n_batches -= 1
        if self.n_batches == 0:
            raise KeyboardInterrupt


def test_interrupt_warns_and_is_recorded():
    X, y = _tracks(n=40)
    clf = _small(max_epochs=5, early_stopping=False, callbacks=[_InterruptAfterBatches(3)])
    with pytest.warns(UserWarning, match="interrupted .* after 1 complete epoch"):
        clf.fit(X, y)
    assert clf.fit_interrupted_
    assert clf.predict(X).shape == (40,)
    assert not _small(early_stopping=False).fit(X, y).fit_interrupted_


def test_early_stopping_split_that_leaves_a_class_out_is_an_error():
    X, y = _tracks(n=2)
    with pytest.raises(ValueError, match="leaves 1 class\\(es\\) with no training sample"):
        _small().fit(X, y)
    assert _small(early_stopping=False).fit(X, y).classes_.tolist() == ["fast", "slow"]


EPOCH_LOG = []  # module level: every fit uses copies of the callbacks


class _LogEpochs(Callback):
    def __init__(self, label):
        self.label = label

    def on_epoch_end(self, net, **kwargs):
        EPOCH_LOG.append(self.label)


def test_warm_start_uses_the_callbacks_set_now():
    X, y = _tracks(n=20)
    EPOCH_LOG.clear()
    clf = _small(warm_start=True, callbacks=[_LogEpochs("first")]).fit(X, y)
    clf.set_params(callbacks=[("second", _LogEpochs("second"))], max_epochs=3).fit(X, y)
    assert EPOCH_LOG == ["first"] * 2 + ["second"] * 3
    assert "early_stopping" in dict(c for c in clf.net_.callbacks if isinstance(c, tuple))


def test_verbose_fits_print_the_time_left(capsys):
    X, y = _tracks()
    LSTMTrajectoryClassifier(hidden_size=4, max_epochs=2, early_stopping=False, verbose=1,
                             random_state=0).fit(X, y)
    out = capsys.readouterr().out
    assert "epoch 1/2:" in out and "epoch 2/2:" in out and "min left" in out


def test_an_early_stop_is_not_an_interruption():
    X, y = _tracks(n=24)
    # lr 0: the validation loss never improves, so early stopping ends the fit
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        clf = LSTMTrajectoryClassifier(hidden_size=4, lr=1e-12, max_epochs=20,
                                       n_iter_no_change=2, random_state=0).fit(X, y)
    assert len(clf.history_) < 20 and not clf.fit_interrupted_
