"""Images: particle crops (masking, LipNet, hand-made features) and time-lapse
frames (background, normalisation, temporal context, U-Net)."""

from ._augment import RandomAffine2d
from ._background import BackgroundSubtractor
from ._lipnet import LipNetClassifier
from ._masking import ParticleMasker
from ._normalize import IntensityNormalizer
from ._particle_features import ParticleFeatures
from ._particles import Particle, ParticleImages, check_particles
from ._temporal import TemporalContextStacker, TimelapseFrames
from ._unet import UNetSegmenter

__all__ = [
    "BackgroundSubtractor",
    "IntensityNormalizer",
    "LipNetClassifier",
    "Particle",
    "ParticleFeatures",
    "ParticleImages",
    "ParticleMasker",
    "TemporalContextStacker",
    "TimelapseFrames",
    "UNetSegmenter",
    "check_particles",
    "RandomAffine2d",
]
