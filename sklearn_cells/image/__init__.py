"""Images: time-lapse frames (background, normalisation, temporal context, U-Net)."""

from ._background import BackgroundSubtractor
from ._normalize import IntensityNormalizer
from ._temporal import TemporalContextStacker, TimelapseFrames
from ._unet import UNetSegmenter

__all__ = [
    "BackgroundSubtractor",
    "IntensityNormalizer",
    "TemporalContextStacker",
    "TimelapseFrames",
    "UNetSegmenter",
]
