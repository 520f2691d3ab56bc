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

__all__ = ["SequenceDataset", "collate_sequences", "LengthBucketSampler", "bucketed_loader"]


class SequenceDataset(Dataset):
    """Variable-length sequences (and optional integer targets) as float32 tensors."""

    def __init__(self, sequences: list[np.ndarray], y: np.ndarray | None = None) -> None:
        self.sequences = [torch.as_tensor(np.asarray(s, dtype=np.float32)) for s in sequences]
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


class LengthBucketSampler(Sampler):
    """Yield batches of indices whose sequences have similar lengths.

    With ``shuffle=True`` the data are permuted, cut into chunks of
    ``bucket_size`` batches, sorted by length within each chunk, split into
    batches, and the batches are shuffled: randomness is kept, padding is not.
    The global torch RNG is used, so a seeded fit is reproducible.
    """

    def __init__(self, lengths, batch_size: int, shuffle: bool = False, bucket_size: int = 50):
        self.lengths = np.asarray(lengths)
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
        return iter(b.tolist() for b in batches)


def bucketed_loader(dataset: SequenceDataset, batch_size: int = 32, shuffle: bool = False, **kwargs):
    """A DataLoader over length buckets; skorch calls it as ``iterator_train``."""
    sampler = LengthBucketSampler(dataset.lengths, batch_size, shuffle=shuffle)
    kwargs.setdefault("collate_fn", collate_sequences)
    return DataLoader(dataset, batch_sampler=sampler, **kwargs)
