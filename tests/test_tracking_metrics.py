"""link_scores and division_scores on results with known errors."""

import numpy as np
import pytest

pd = pytest.importorskip("pandas")
pytest.importorskip("skimage")

from sklearn_cells.metrics import division_scores, link_scores  # noqa: E402
from sklearn_cells.tracking import tracks_from_labels  # noqa: E402


def _frames():
    """Cells 1 and 2 side by side for 4 frames; 2 divides into 3 and 4 after frame 1."""
    labels = np.zeros((4, 20, 30), np.int32)
    for t in range(4):
        labels[t, 2:6, 2 + t:6 + t] = 1
        if t < 2:
            labels[t, 10:16, 10:16] = 2
        else:
            labels[t, 10:13, 10:16], labels[t, 14:17, 10:16] = 3, 4
    return labels, tracks_from_labels(labels, parents={3: 2, 4: 2})


def test_perfect_result_scores_one():
    labels, tracks = _frames()
    assert link_scores(tracks, labels, tracks, labels) == pytest.approx(
        {"precision": 1.0, "recall": 1.0, "f1": 1.0, "n_true": 8, "n_pred": 8})
    assert division_scores(tracks, labels, tracks, labels)["f1"] == 1.0


def test_a_swap_costs_links_and_a_missed_division_costs_recall():
    labels, tracks = _frames()
    swapped = labels.copy()
    swapped[3][labels[3] == 3], swapped[3][labels[3] == 4] = 4, 3  # daughters swap at t=3
    pred = tracks_from_labels(swapped, parents={3: 2, 4: 2})
    scores = link_scores(tracks, labels, pred, swapped)
    assert scores["precision"] == scores["recall"] == pytest.approx(6 / 8)
    no_lineage = tracks.assign(parent_id=0)
    scores = link_scores(tracks, labels, no_lineage, labels)
    assert scores["precision"] == 1.0 and scores["recall"] == pytest.approx(6 / 8)
    division = division_scores(tracks, labels, no_lineage, labels)
    assert division["recall"] == 0.0 and division["n_pred"] == 0


def test_cells_are_matched_by_coverage_not_by_label():
    labels, tracks = _frames()
    shifted = np.where(labels > 0, labels + 100, 0)
    shifted[:, 2:6, :] = np.where(shifted[:, 2:6, :] > 0, 101, 0)
    pred = tracks_from_labels(shifted, parents={103: 102, 104: 102})
    assert link_scores(tracks, labels, pred, shifted)["f1"] == 1.0
    merged = np.where(labels > 0, 1, 0)  # one blob covers all cells: no one-to-one match
    merged_tracks = tracks_from_labels(merged)
    assert link_scores(tracks, labels, merged_tracks, merged)["precision"] < 1.0


def test_errors():
    labels, tracks = _frames()
    with pytest.raises(ValueError, match="differ in shape"):
        link_scores(tracks, labels, tracks, labels[:3])
    two = tracks.assign(sequence_id=np.arange(len(tracks)) % 2)
    with pytest.raises(ValueError, match="several sequences"):
        link_scores(two, labels, tracks, labels)
