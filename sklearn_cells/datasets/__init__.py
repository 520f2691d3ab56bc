"""Synthetic data generators (``make_*``) and loaders for real file formats (``load_*``)."""

from ._tracks import load_tracks_csv, tracks_from_frame
from ._trajectories import make_trajectories

__all__ = ["load_tracks_csv", "make_trajectories", "tracks_from_frame"]
