"""Machinery shared by the estimators: device checks, seeding and skorch set-up.

Every estimator in sklearn-cells wraps (rather than subclasses) a skorch
``NeuralNet``: ``__init__`` only stores hyperparameters, and ``fit`` builds the
net as ``self.net_``. The helpers here keep that pattern identical everywhere.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import numpy as np
import torch
from sklearn.utils import check_random_state

__all__ = ["TorchEstimatorMixin", "check_device", "torch_seed_context", "make_callbacks"]


def check_device(device: str | torch.device) -> str:
    """Return ``device`` as a string after checking that it can be used.

    Parameters
    ----------
    device : str or torch.device
        ``"cpu"``, ``"cuda"``, ``"cuda:1"``, ``"mps"``, ...

    Returns
    -------
    device : str

    Raises
    ------
    ValueError
        If the device string is not understood or the device is not present.
        A CUDA request on a machine without CUDA is an error, never a silent
        CPU run.

    Examples
    --------
    >>> check_device("cpu")
    'cpu'
    """
    try:
        parsed = torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise ValueError(
            f"device={device!r} is not a valid torch device; use 'cpu' or 'cuda'."
        ) from exc
    if parsed.type == "cuda":
        if not torch.cuda.is_available():
            raise ValueError(
                f"device={device!r} was requested but CUDA is not available "
                "(torch.cuda.is_available() is False). Use device='cpu', or install "
                "a CUDA build of PyTorch on a machine with an NVIDIA GPU."
            )
        if parsed.index is not None and parsed.index >= torch.cuda.device_count():
            raise ValueError(
                f"device={device!r} was requested but only "
                f"{torch.cuda.device_count()} CUDA device(s) are present."
            )
    elif parsed.type == "mps" and not torch.backends.mps.is_available():
        raise ValueError(f"device={device!r} was requested but MPS is not available.")
    return str(device)


@contextlib.contextmanager
def torch_seed_context(random_state, device: str = "cpu") -> Iterator[int]:
    """Seed torch for the duration of a block without touching the caller's RNG.

    The global torch generator (and CUDA's, when used) is forked, seeded from
    ``random_state`` and restored afterwards, so a fit with a fixed
    ``random_state`` is reproducible and leaves the user's own seeding alone.

    Yields
    ------
    seed : int
        The seed used, also handy for seeding data loaders.
    """
    seed = int(check_random_state(random_state).randint(np.iinfo(np.int32).max))
    cuda_devices = []
    if torch.device(device).type == "cuda":
        cuda_devices = [torch.device(device).index or 0]
    with torch.random.fork_rng(devices=cuda_devices):
        torch.manual_seed(seed)
        yield seed


def _silent(*args, **kwargs) -> None:
    """A picklable sink that prints nothing (a lambda would break pickling)."""


def make_callbacks(
    verbose: int,
    *,
    early_stopping: bool = False,
    n_iter_no_change: int = 5,
    extra: list | None = None,
) -> list:
    """The skorch callbacks every estimator uses.

    ``verbose=0`` is silent; ``verbose>=1`` prints skorch's per-epoch table and
    shows a tqdm progress bar over the batches. Early stopping monitors the
    validation loss and restores the best weights at the end of training.
    """
    from skorch.callbacks import EarlyStopping, ProgressBar

    callbacks = list(extra or [])
    if early_stopping:
        callbacks.append(
            (
                "early_stopping",
                EarlyStopping(
                    monitor="valid_loss", patience=n_iter_no_change, load_best=True,
                    sink=print if verbose else _silent,
                ),
            )
        )
    if verbose:
        callbacks.append(("progress_bar", ProgressBar()))
    return callbacks


class TorchEstimatorMixin:
    """Mixin for estimators that hold a skorch net in ``net_``.

    Provides the training history and the scikit-learn tags that say the
    estimator does not take a plain 2-D array. Estimators using it define
    ``device``, ``random_state`` and ``verbose``.
    """

    def _validated_device(self) -> str:
        return check_device(self.device)

    @property
    def history_(self):
        """skorch's training history (per-epoch losses, durations, ...)."""
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(self, "net_")
        return self.net_.history

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.three_d_array = True
        tags.non_deterministic = False
        return tags
