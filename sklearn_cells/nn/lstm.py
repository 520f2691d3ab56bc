"""Stacked LSTM sequence classifier (seed 000, section 4.1)."""

from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

__all__ = ["LSTMSequenceClassifier"]


class LSTMSequenceClassifier(nn.Module):
    """Stacked LSTM whose hidden states feed a linear layer of class scores.

    Variable-length batches never let padding change a result: the read-out
    uses only each sequence's real time steps. On CUDA the batch is packed
    (cuDNN then skips the padding). On CPU it is run padded and masked, which
    is exact because the LSTM is causal (steps after a sequence's end cannot
    influence its earlier outputs) and much faster: PyTorch's packed backward
    on CPU costs O(T**2) per sequence. With length-bucketed batches the padding
    is small, so compute follows each batch's own lengths, not the longest
    trajectory of the data set.

    Parameters
    ----------
    n_features : int
        Values per time step (e.g. 3 velocity components).
    n_classes : int
        Number of output classes.
    hidden_size : int, default=10
        LSTM units per layer (seed: 10).
    n_layers : int, default=2
        Stacked LSTM layers (seed: 2).
    dropout : float, default=0.0
        Dropout between LSTM layers (ignored for one layer).
    pooling : {"mean", "last"}, default="mean"
        Read the class from the top layer's hidden state averaged over all
        time steps ("mean"), or from the state after the last step ("last",
        as in the seed). Averaging lets a model trained on short windows
        accumulate evidence over longer trajectories.

    Examples
    --------
    >>> import torch
    >>> module = LSTMSequenceClassifier(n_features=3, n_classes=2)
    >>> x = torch.zeros(4, 30, 3)
    >>> module(x, lengths=torch.tensor([30, 20, 10, 5])).shape
    torch.Size([4, 2])
    """

    def __init__(
        self,
        n_features: int,
        n_classes: int,
        hidden_size: int = 10,
        n_layers: int = 2,
        dropout: float = 0.0,
        pooling: str = "mean",
    ) -> None:
        super().__init__()
        if pooling not in ("mean", "last"):
            raise ValueError(f"pooling must be 'mean' or 'last'; got {pooling!r}.")
        self.pooling = pooling
        self.lstm = nn.LSTM(
            n_features,
            hidden_size,
            num_layers=n_layers,
            batch_first=True,
            dropout=dropout if n_layers > 1 else 0.0,
        )
        self.head = nn.Linear(hidden_size, n_classes)

    def forward(self, x: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        """Class scores (logits) of shape (batch, n_classes).

        Parameters
        ----------
        x : tensor of shape (batch, max_steps, n_features)
            Zero-padded sequences.
        lengths : tensor of shape (batch,), optional
            Real lengths (at least 1); ``None`` means every sequence fills
            ``max_steps``.
        """
        if lengths is None:
            out, (h, _) = self.lstm(x)
            return self.head(h[-1] if self.pooling == "last" else out.mean(dim=1))
        if x.is_cuda:
            packed = pack_padded_sequence(x, lengths.cpu(), batch_first=True, enforce_sorted=False)
            out, (h, _) = self.lstm(packed)
            if self.pooling == "last":
                return self.head(h[-1])  # state after each sequence's own last step
            out, _ = pad_packed_sequence(out, batch_first=True)  # zeros after each end
            return self.head(out.sum(dim=1) / lengths.to(out.device, out.dtype)[:, None])
        out, _ = self.lstm(x)
        lengths = lengths.to(out.device)
        if self.pooling == "last":
            return self.head(out[torch.arange(len(out), device=out.device), lengths - 1])
        steps = torch.arange(out.shape[1], device=out.device)
        mask = (steps[None, :] < lengths[:, None]).to(out.dtype)[..., None]
        return self.head((out * mask).sum(dim=1) / lengths.to(out.dtype)[:, None])
