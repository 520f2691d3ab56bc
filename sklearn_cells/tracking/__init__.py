"""Cell tracking: link instance-label frames into tracks, post-process them, and read and
write the Cell Tracking Challenge format.

The third and fourth parts of a cell-tracking system (seed 004: image preprocessing,
segmentation, track linking, post-processing of tracks), between
:meth:`~sklearn_cells.image.UNetSegmenter.predict_instances` and the trajectory
estimators. Linking uses laptrack, an optional dependency (``pip install
'sklearn-cells[tracking]'``), imported only when a function needs it. Import the names
from here: ``from sklearn_cells.tracking import link_instances``.

A track table is a pandas DataFrame with one row per cell and frame: ``track_id, t, y, x,
area, parent_id`` (0: no parent), plus ``sequence_id`` when several sequences are linked.
A track ends at a division; the daughters' tracks name it as ``parent_id``.
"""

from ._ctc_tracks import read_ctc_tracks, write_ctc_tracks
from ._detections import tracks_from_labels
from ._linking import link_detections, link_instances
from ._postprocess import drop_short_tracks, fill_gaps, split_at_divisions
from ._tracker import InstanceTracker
from ._trajectories import tracks_to_trajectories

__all__ = [
    "InstanceTracker",
    "drop_short_tracks",
    "fill_gaps",
    "link_detections",
    "link_instances",
    "read_ctc_tracks",
    "split_at_divisions",
    "tracks_from_labels",
    "tracks_to_trajectories",
    "write_ctc_tracks",
]
