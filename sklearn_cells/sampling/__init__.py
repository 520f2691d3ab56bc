"""imbalanced-learn samplers for image stacks, particle containers and ragged data.

:class:`NDSampler` adapts any imbalanced-learn sampler; the random over- and
under-samplers and SMOTE come ready-made. All work as steps of
``imblearn.pipeline.Pipeline`` (resampling during ``fit`` only).
"""

from ._adapter import NDSampler
from ._samplers import SMOTE, RandomOverSampler, RandomUnderSampler

__all__ = ["NDSampler", "RandomOverSampler", "RandomUnderSampler", "SMOTE"]
