"""Plain PyTorch modules of the four studies, usable in a hand-written loop.

``lstm`` (trajectory classifiers, seed 000), ``mdn`` (the trajectory
generator, seed 000), ``lipnet`` (particle CNNs, seed 003), ``unet`` (StemNet
segmentation, seed 004) and ``attention`` (next-frame prediction with
attention over frames, seed 001), and ``statistics`` (whole-track
displacement statistics for the trajectory classifier's feature branch).
They hold no scikit-learn or numpy I/O.
"""

from .statistics import track_statistic_names, track_statistics
from .unet import unet_receptive_field

__all__: list[str] = ["track_statistic_names", "track_statistics", "unet_receptive_field"]
