"""Synthetic data generators (``make_*``) and loaders for real file formats (``load_*``)."""

from ._anomalous import make_anomalous_diffusion
from ._ctc import load_ctc_sequence
from ._image_folder import load_image_folder, load_tiff_stack
from ._liposomes import LIPOSOME_CLASSES, make_liposomes
from ._long_range import make_long_range_trajectories
from ._particles import extract_particles, load_particles, read_image
from ._timelapse import make_timelapse
from ._trackmate import load_trackmate_xml
from ._tracks import load_tracks_csv, tracks_from_frame
from ._trajectories import make_trajectories
from ._videos import make_migration_videos

__all__ = [
    "LIPOSOME_CLASSES",
    "extract_particles",
    "load_ctc_sequence",
    "load_image_folder",
    "load_particles",
    "load_tiff_stack",
    "load_trackmate_xml",
    "load_tracks_csv",
    "make_anomalous_diffusion",
    "make_liposomes",
    "make_long_range_trajectories",
    "make_migration_videos",
    "make_timelapse",
    "make_trajectories",
    "read_image",
    "tracks_from_frame",
]
