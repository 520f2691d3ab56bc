"""Figures for segmentation: input / truth / prediction panels and training curves."""

from __future__ import annotations

import numpy as np

__all__ = ["SegmentationDisplay", "plot_training_curves"]


class SegmentationDisplay:
    """Input frame, true mask and predicted foreground probability side by side.

    The seed's Fig. 23 layout. Build it with :meth:`from_estimator` or
    :meth:`from_predictions`, then :meth:`plot`.

    Parameters
    ----------
    frame : ndarray (H, W)
        The (centre) input frame.
    y_true : ndarray (H, W) or None
        True mask (labels; non-zero is foreground).
    heatmap : ndarray (H, W)
        Foreground probability (or a predicted mask).

    Examples
    --------
    >>> import numpy as np, matplotlib
    >>> matplotlib.use("Agg")
    >>> disp = SegmentationDisplay(np.zeros((8, 8)), np.eye(8), np.eye(8)).plot()
    >>> len(disp.axes_)
    3
    """

    def __init__(self, frame, y_true, heatmap):
        self.frame = np.asarray(frame)
        self.y_true = None if y_true is None else np.asarray(y_true)
        self.heatmap = np.asarray(heatmap)

    @classmethod
    def from_predictions(cls, X, y_true, proba, *, index: int = 0):
        """From frames ``X`` (n, H, W) or (n, C, H, W), masks and ``predict_proba`` output.

        For multi-channel (temporal) input the middle channel is shown; ``proba`` of shape
        (n, K, H, W) is reduced to the foreground probability ``1 - P(class 0)``.
        """
        X = np.asarray(X)
        frame = X[index] if X.ndim == 3 else X[index, X.shape[1] // 2]
        proba = np.asarray(proba)
        heat = 1.0 - proba[index, 0] if proba.ndim == 4 else proba[index]
        return cls(frame, None if y_true is None else np.asarray(y_true)[index], heat)

    @classmethod
    def from_estimator(cls, estimator, X, y_true=None, *, index: int = 0):
        """Predict frame ``index`` of ``X`` with ``estimator`` (a segmenter or a Pipeline).

        With a Pipeline, the transformed input of the final step is shown.
        """
        Xt, final = X, estimator
        if hasattr(estimator, "steps"):  # temporal steps need the whole sequence
            for _, step in estimator.steps[:-1]:
                if step not in (None, "passthrough"):
                    Xt = step.transform(Xt)
            final = estimator.steps[-1][1]
        Xi = Xt[index:index + 1]
        y = None if y_true is None else np.asarray(y_true)[index:index + 1]
        return cls.from_predictions(np.asarray(Xi), y, final.predict_proba(Xi), index=0)

    def plot(self, *, axes=None, cmap="magma", titles=("input", "truth", "prediction")):
        """Draw the three panels; returns ``self`` with ``figure_`` and ``axes_``."""
        import matplotlib.pyplot as plt

        if axes is None:
            fig, axes = plt.subplots(1, 3, figsize=(10, 3.6))
        else:
            fig = axes[0].figure
        axes[0].imshow(self.frame, cmap="gray")
        if self.y_true is not None:
            axes[1].imshow(self.y_true != 0, cmap="gray")
        im = axes[2].imshow(self.heatmap, cmap=cmap, vmin=0, vmax=1)
        fig.colorbar(im, ax=axes[2], fraction=0.046, pad=0.04)
        for ax, title in zip(axes, titles):
            ax.set_title(title)
            ax.set_axis_off()
        self.figure_, self.axes_ = fig, list(axes)
        return self


def plot_training_curves(history, keys=("train_loss", "valid_loss", "train_dice", "valid_dice"),
                         *, ax=None, label: str | None = None):
    """Plot per-epoch values from a skorch history (e.g. ``UNetSegmenter().history_``).

    Keys absent from the history are skipped. Losses and Dice go on twin y axes.

    Returns
    -------
    ax : matplotlib Axes (the loss axis)

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> history = [{"epoch": 1, "train_loss": 1.0}, {"epoch": 2, "train_loss": 0.5}]
    >>> ax = plot_training_curves(history)
    """
    import matplotlib.pyplot as plt

    if hasattr(history, "history_"):
        history = history.history_
    if ax is None:
        _, ax = plt.subplots(figsize=(5, 3.5))
    epochs = [row.get("epoch", i + 1) for i, row in enumerate(history)]
    # reuse the Dice axis of an earlier call on the same axes (curves of several models)
    ax_dice = getattr(ax, "_dice_axis", None)
    prefix = f"{label}: " if label else ""
    for key in keys:
        if not all(key in row for row in history):
            continue
        values = [row[key] for row in history]
        if key.endswith("dice"):
            if ax_dice is None:
                ax_dice = ax._dice_axis = ax.twinx()
            ax_dice.plot(epochs, values, ls="--", label=prefix + key)
            ax_dice.set_ylabel("Dice")
        else:
            ax.plot(epochs, values, label=prefix + key)
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")
    handles, labels = ax.get_legend_handles_labels()
    if ax_dice is not None:
        h2, l2 = ax_dice.get_legend_handles_labels()
        handles, labels = handles + h2, labels + l2
    if handles:
        ax.legend(handles, labels, fontsize="small")
    return ax
