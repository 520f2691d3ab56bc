"""Plots for per-class classification results and particle galleries.

- :func:`plot_per_class_scores`: grouped bars of per-class rates for several
  models side by side (seed 003, Fig. 22);
- :func:`plot_confusion_matrix`: a fold-averaged confusion matrix with its
  values printed (Tables 6-10), via scikit-learn's ``ConfusionMatrixDisplay``;
- :func:`plot_particles`: a gallery of particle cut-outs with mask contours.

matplotlib is imported inside the functions (an optional dependency); they
draw on a given ``ax`` or a new figure and return the axes.
"""

from __future__ import annotations

import numpy as np

__all__ = ["plot_per_class_scores", "plot_confusion_matrix", "plot_particles"]


def _new_axes(ax, figsize):
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    return ax


def plot_per_class_scores(
    scores: dict, *, metric: str = "f1", ax=None, error: bool = True, title: str | None = None
):
    """Grouped bars of one per-class rate for several models.

    Parameters
    ----------
    scores : dict of str -> Bunch
        Model name -> output of :func:`~sklearn_cells.metrics.mean_per_class_scores`
        (or :func:`~sklearn_cells.metrics.per_class_scores`); all with the same labels.
    metric : {"f1", "tpr", "tnr", "ppv", "npv"}, default="f1"
    ax : matplotlib Axes, optional
    error : bool, default=True
        Draw ``<metric>_std`` as error bars when present.
    title : str, optional

    Returns
    -------
    ax : matplotlib Axes

    Examples
    --------
    >>> from sklearn_cells.metrics._classification import per_class_scores
    >>> s = per_class_scores(["a", "b", "b"], ["a", "b", "a"])
    >>> ax = plot_per_class_scores({"model": s})   # doctest: +SKIP
    """
    if not scores:
        raise ValueError("scores is empty; pass {model name: per-class scores}.")
    ax = _new_axes(ax, (6.4, 3.6))
    names = list(scores)
    labels = np.asarray(scores[names[0]]["labels"])
    width = 0.8 / len(names)
    x = np.arange(len(labels))
    for k, name in enumerate(names):
        values = np.asarray(scores[name][metric], dtype=float)
        err = scores[name].get(f"{metric}_std") if error else None
        offset = (k - (len(names) - 1) / 2) * width
        bars = ax.bar(x + offset, np.nan_to_num(values), width, yerr=err, capsize=2, label=name)
        for bar, v in zip(bars, values):  # the value at the foot of each bar
            ax.annotate(
                "n/a" if np.isnan(v) else f"{v:.2f}",
                (bar.get_x() + bar.get_width() / 2, 0.01),
                ha="center", va="bottom", fontsize=7, rotation=90,
                color="white" if v > 0.15 else "black",
            )
    ax.set_xticks(x, [str(label) for label in labels])
    ax.set_ylim(0, 1.05)
    ax.set_ylabel(metric.upper() if metric != "f1" else "F1")
    # below the axes, where it never hides a bar
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.1), ncol=min(len(names), 3), frameon=False)
    if title:
        ax.set_title(title)
    return ax


def plot_confusion_matrix(cm, labels, *, ax=None, title: str | None = None, values_format: str = ".2f"):
    """Show a (fold-averaged) confusion matrix with its values.

    Parameters
    ----------
    cm : array-like of shape (n_classes, n_classes)
        Rows: true class, columns: predicted class.
    labels : array-like of shape (n_classes,)
    ax : matplotlib Axes, optional
    title : str, optional
    values_format : str, default=".2f"

    Returns
    -------
    ax : matplotlib Axes

    Examples
    --------
    >>> ax = plot_confusion_matrix([[0.9, 0.1], [0.2, 0.8]], ["a", "b"])  # doctest: +SKIP
    """
    from sklearn.metrics import ConfusionMatrixDisplay

    ax = _new_axes(ax, (4, 3.6))
    display = ConfusionMatrixDisplay(np.asarray(cm, dtype=float), display_labels=list(labels))
    display.plot(ax=ax, values_format=values_format, colorbar=False, cmap="Blues")
    if title:
        ax.set_title(title)
    return ax


def plot_particles(X, y=None, *, n_per_class: int = 4, contour: bool = True, axes=None, random_state=0):
    """Gallery of particle cut-outs (rows: classes), masks drawn as contours.

    Parameters
    ----------
    X : ParticleImages or ndarray of shape (n, H, W)
        Cut-outs, or fixed-size inputs (e.g. from ``ParticleMasker``).
    y : array-like of shape (n,), optional
        Labels; one row per class (a single row without labels).
    n_per_class : int, default=4
    contour : bool, default=True
        Outline the masks (ParticleImages only).
    axes : array of matplotlib Axes, optional
        Of shape (n_classes, n_per_class).
    random_state : int, default=0
        Which samples are shown.

    Returns
    -------
    axes : ndarray of matplotlib Axes

    Examples
    --------
    >>> from sklearn_cells.datasets._liposomes import make_liposomes
    >>> X, y = make_liposomes(30, weights=[1, 1, 1], surround=10, random_state=0)
    >>> axes = plot_particles(X, y)   # doctest: +SKIP
    """
    import matplotlib.pyplot as plt

    rng = np.random.default_rng(random_state)
    y = np.zeros(len(X), dtype=int) if y is None else np.asarray(y)
    classes = np.unique(y)
    if axes is None:
        _, axes = plt.subplots(len(classes), n_per_class, figsize=(1.6 * n_per_class, 1.7 * len(classes)),
                               squeeze=False)
    axes = np.asarray(axes).reshape(len(classes), n_per_class)
    for row, label in enumerate(classes):
        idx = np.flatnonzero(y == label)
        idx = rng.choice(idx, min(n_per_class, len(idx)), replace=False)
        for col in range(n_per_class):
            ax = axes[row, col]
            ax.set_axis_off()
            if col >= len(idx):
                continue
            item = X[int(idx[col])]
            image = item.image if hasattr(item, "mask") else item
            ax.imshow(np.asarray(image, dtype=float).squeeze(), cmap="gray")
            if contour and hasattr(item, "mask"):
                ax.contour(item.mask, levels=[0.5], colors="tab:red", linewidths=0.6)
            if col == 0 and len(classes) > 1:
                ax.set_title(str(label), fontsize=8, loc="left")
    return axes
