"""Feeding ragged trajectories to PyTorch: dataset, padded collate, length buckets.

Batches are formed from trajectories of similar length so that a batch's
padding (and the sequential steps the LSTM takes) stay close to its members'
real lengths, whatever the spread of lengths in the data set.
"""

from __future__ import annotations

import numpy as np
import torch
from torch.nn.utils.rnn import pad_sequence
from torch.utils.data import DataLoader, Dataset, Sampler

from ..nn.statistics import track_statistics

__all__ = [
    "SequenceDataset",
    "collate_sequences",
    "TrainingCollate",
    "PredictionCollate",
    "LengthBucketSampler",
    "bucketed_loader",
    "dataset_statistics",
    "window_starts",
]

_FLOAT32_MAX = float(np.finfo(np.float32).max)


def _as_float32(sequence, index: int) -> np.ndarray:
    sequence = np.asarray(sequence)
    too_large = np.abs(sequence) > _FLOAT32_MAX
    if too_large.any():
        step = int(np.flatnonzero(too_large.any(axis=1))[0])
        raise ValueError(
            f"trajectory {index} has values too large for float32 (first at time step "
            f"{step}: {sequence[step].tolist()}), which would make the loss NaN. Scale "
            "the trajectories first (TrajectoryScaler), or drop that trajectory."
        )
    return sequence.astype(np.float32)


class SequenceDataset(Dataset):
    """Variable-length sequences (and optional integer targets) as float32 tensors.

    Values beyond the float32 range are an error naming the trajectory.
    """

    def __init__(self, sequences: list[np.ndarray], y: np.ndarray | None = None) -> None:
        self.sequences = [torch.as_tensor(_as_float32(s, i)) for i, s in enumerate(sequences)]
        self.lengths = np.array([len(s) for s in sequences])
        self.y = None if y is None else torch.as_tensor(np.asarray(y))

    def __len__(self) -> int:
        return len(self.sequences)

    def __getitem__(self, i):
        return self.sequences[i], (self.y[i] if self.y is not None else 0)

    def __getitems__(self, indices):  # one call per batch instead of one per item
        return [self[i] for i in indices]


def collate_sequences(batch):
    """Zero-pad a batch; lengths are passed only when they differ."""
    xs, ys = zip(*batch)
    lengths = torch.tensor([len(x) for x in xs])
    y = torch.as_tensor(ys)
    if bool((lengths == lengths[0]).all()):
        return {"x": torch.stack(xs)}, y
    return {"x": pad_sequence(xs, batch_first=True), "lengths": lengths}, y


def dataset_statistics(dataset: SequenceDataset, indices, batch_size: int = 256) -> np.ndarray:
    """:func:`~sklearn_cells.nn.track_statistics` of the whole
    sequences ``dataset[indices]``, shape (len(indices), n_statistics)."""
    indices = np.asarray(indices)
    by_length = np.argsort(dataset.lengths[indices], kind="stable")  # little padding
    out = []
    for start in range(0, len(indices), batch_size):
        chunk = indices[by_length[start : start + batch_size]]
        inputs, _ = collate_sequences([dataset[i] for i in chunk])
        out.append(track_statistics(inputs["x"], inputs.get("lengths")))
    stats = np.empty((len(indices), out[0].shape[1]), dtype=np.float32)
    stats[by_length] = torch.cat(out).numpy()
    return stats


def window_starts(length: int, window: int) -> np.ndarray:
    """Starts of the fewest evenly spaced windows of ``window`` steps that cover a
    sequence of ``length`` steps (one window, at 0, when it is not longer)."""
    n_windows = -(-length // window)  # ceil
    if n_windows <= 1:
        return np.zeros(1, dtype=int)
    return np.linspace(0, length - window, n_windows).round().astype(int)


def windowed_statistics(sequences, window: int) -> torch.Tensor:
    """:func:`~sklearn_cells.nn.track_statistics` of each sequence; one longer than
    ``window`` steps gets the mean over evenly spaced windows of ``window`` steps
    that cover it.

    Most statistics depend on the span they are measured over (straightness
    falls as a random walk grows), so a model whose training tracks were at most
    ``window`` steps long should see statistics measured on such spans.
    """
    pieces, owner = [], []
    for i, x in enumerate(sequences):
        for start in window_starts(len(x), window):
            pieces.append(x[start : start + window])
            owner.append(i)
    inputs, _ = collate_sequences([(piece, 0) for piece in pieces])
    stats = track_statistics(inputs["x"], inputs.get("lengths"))
    owner = torch.as_tensor(owner, device=stats.device)
    total = torch.zeros(len(sequences), stats.shape[1], device=stats.device)
    total.index_add_(0, owner, stats)
    return total / torch.bincount(owner, minlength=len(sequences))[:, None]


class PredictionCollate:
    """Collate prediction batches with the statistics of :func:`windowed_statistics`.

    Parameters
    ----------
    statistics_length : int
        Length of the longest training sequence: longer sequences get their
        statistics averaged over windows of this length.
    """

    def __init__(self, statistics_length: int) -> None:
        self.statistics_length = statistics_length

    def __call__(self, batch):
        inputs, y = collate_sequences(batch)
        inputs["features"] = windowed_statistics([x for x, _ in batch], self.statistics_length)
        return inputs, y


class TrainingCollate:
    """Collate training batches with random crops and random xy rotations and reflections.

    Parameters
    ----------
    max_length : int or None
        Sequences longer than this are cut to a random window of this many
        steps (a fresh one every epoch), which bounds the cost of an epoch on
        long tracks while every part of them is still seen over the epochs.
    rotate : bool
        Rotate the first two columns (the xy plane) of each sequence by a
        random angle and reflect it with probability 1/2; other columns (z,
        log step scale) are untouched. Valid when the class does not depend on
        direction in the plane.
    whole_track_statistics : bool
        Measure :func:`~sklearn_cells.nn.track_statistics`
        on each whole sequence before cropping, and pass them as the input
        ``features``: the feature branch sees whole tracks, as at prediction.
        They are invariant to the rotations.

    The global torch generator is used, so a seeded fit is reproducible.
    """

    def __init__(self, max_length: int | None = None, rotate: bool = False,
                 whole_track_statistics: bool = False) -> None:
        self.max_length = max_length
        self.rotate = rotate
        self.whole_track_statistics = whole_track_statistics

    def __call__(self, batch):
        features = None
        if self.whole_track_statistics:
            whole, _ = collate_sequences(batch)
            features = track_statistics(whole["x"], whole.get("lengths"))
        if self.max_length is not None:
            batch = [(self._crop(x), y) for x, y in batch]
        inputs, y = collate_sequences(batch)
        if features is not None:
            inputs["features"] = features
        if self.rotate:
            inputs["x"] = _rotate_plane(inputs["x"])
        return inputs, y

    def _crop(self, x: torch.Tensor) -> torch.Tensor:
        extra = len(x) - self.max_length
        if extra <= 0:
            return x
        start = int(torch.randint(extra + 1, ()))
        return x[start : start + self.max_length]


def _rotate_plane(x: torch.Tensor) -> torch.Tensor:
    """Random rotation and reflection of columns 0 and 1, one per sequence."""
    if x.shape[2] < 2:
        return x
    angle = torch.rand(len(x)) * (2 * torch.pi)
    flip = torch.where(torch.rand(len(x)) < 0.5, -1.0, 1.0)
    cos, sin = torch.cos(angle), torch.sin(angle)
    # rows of R: (cos, -sin * flip), (sin, cos * flip): a rotation after an optional y flip
    rotation = torch.stack([torch.stack([cos, -sin * flip], 1), torch.stack([sin, cos * flip], 1)], 1)
    plane = torch.einsum("bij,btj->bti", rotation.to(x.dtype), x[..., :2])
    return torch.cat([plane, x[..., 2:]], dim=2)


class LengthBucketSampler(Sampler):
    """Yield batches of indices whose sequences have similar lengths.

    With ``shuffle=True`` the data are permuted, cut into chunks of
    ``bucket_size`` batches, sorted by length within each chunk, split into
    batches, and the batches are shuffled: randomness is kept, padding is not.
    ``repeats`` lists how often each index appears per epoch (once by
    default). The global torch RNG is used, so a seeded fit is reproducible.
    """

    def __init__(self, lengths, batch_size: int, shuffle: bool = False, bucket_size: int = 50,
                 repeats=None):
        lengths = np.asarray(lengths)
        self.indices = np.arange(len(lengths))
        if repeats is not None:
            self.indices = np.repeat(self.indices, repeats)
        self.lengths = lengths[self.indices]
        self.batch_size = int(batch_size)
        self.shuffle = shuffle
        self.bucket_size = bucket_size

    def __len__(self) -> int:
        return int(np.ceil(len(self.lengths) / self.batch_size))

    def __iter__(self):
        n = len(self.lengths)
        order = torch.randperm(n).numpy() if self.shuffle else np.arange(n)
        chunk = self.batch_size * self.bucket_size
        batches = []
        for start in range(0, n, chunk):
            part = order[start : start + chunk]
            part = part[np.argsort(self.lengths[part], kind="stable")]
            batches += [part[i : i + self.batch_size] for i in range(0, len(part), self.batch_size)]
        if self.shuffle:
            batches = [batches[i] for i in torch.randperm(len(batches)).tolist()]
        return iter(self.indices[b].tolist() for b in batches)


def bucketed_loader(dataset: SequenceDataset, batch_size: int = 32, shuffle: bool = False,
                    max_length: int | None = None, **kwargs):
    """A DataLoader over length buckets; skorch calls it as ``iterator_train``.

    With ``max_length`` (training crops, see :class:`TrainingCollate`), a
    sequence of ``T`` steps appears ``ceil(T / max_length)`` times per epoch,
    so an epoch covers about every time step once, however long the tracks.
    """
    lengths = np.asarray(dataset.lengths)
    repeats = None
    if max_length is not None:
        repeats = np.maximum(1, np.ceil(lengths / max_length).astype(int))
        lengths = np.minimum(lengths, max_length)
    sampler = LengthBucketSampler(lengths, batch_size, shuffle=shuffle, repeats=repeats)
    kwargs.setdefault("collate_fn", collate_sequences)
    return DataLoader(dataset, batch_sampler=sampler, **kwargs)
