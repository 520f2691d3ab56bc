"""sklearn-cells: deep learning for cell-biology data as scikit-learn estimators.

The public API is collected from the sub-packages; each keeps its own
``__all__``:

- :mod:`sklearn_cells.trajectory`: trajectory transformers, classifier, generator
- :mod:`sklearn_cells.image`: particle and time-lapse image transformers and models
- :mod:`sklearn_cells.video`: unsupervised frame importance in migration videos
- :mod:`sklearn_cells.sampling`: imbalanced-learn samplers for n-d and ragged data
- :mod:`sklearn_cells.datasets`: synthetic generators (``make_*``) and loaders (``load_*``)
- :mod:`sklearn_cells.tracking`: linking instance-label frames into tracks (laptrack, an
  optional dependency); its names are imported from the sub-package only
- :mod:`sklearn_cells.metrics`, :mod:`sklearn_cells.plotting`
"""

__version__ = "0.2.0"

from . import datasets, image, metrics, plotting, sampling, tracking, trajectory, video  # noqa: E402
from ._persistence import load, save  # noqa: E402

# The sub-packages whose names the top level collects; sklearn_cells.tracking keeps its
# own (it needs the optional laptrack).
_SUBPACKAGES = (datasets, image, metrics, plotting, sampling, trajectory, video)

# Public, but reached through their sub-package only (``sklearn_cells.trajectory.
# check_trajectories``): input checks, building blocks, result types and tracking
# measures that a pipeline never names, so that the top level lists what users build with.
_SUBPACKAGE_ONLY = frozenset({
    "check_particles", "check_trajectories", "check_trajectory_labels", "check_videos",
    "RandomAffine2d", "Particle", "TwoSampleTestResult", "LIPOSOME_CLASSES",
    "importance_peaks", "read_image", "importance_agreement",
    "importance_rank_correlation", "subsequence_variation",
    "link_scores", "division_scores", "ctc_tracking_scores",
})

__all__ = sorted(
    {"load", "save"}
    | {name for sub in _SUBPACKAGES for name in sub.__all__} - _SUBPACKAGE_ONLY
)
globals().update({name: getattr(sub, name) for sub in _SUBPACKAGES for name in sub.__all__
                  if name in __all__})

# Links from the estimators' HTML diagrams to their API pages (see utils/_doc_links.py).
from .utils._doc_links import set_doc_links  # noqa: E402

set_doc_links(globals()[name] for name in __all__)
del set_doc_links
