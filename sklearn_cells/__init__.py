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

__version__ = "0.1.0"

from . import datasets, image, metrics, plotting, sampling, tracking, trajectory, video  # noqa: E402,F401
from .datasets import *  # noqa: E402,F401,F403
from .image import *  # noqa: E402,F401,F403
from .metrics import *  # noqa: E402,F401,F403
from .plotting import *  # noqa: E402,F401,F403
from .sampling import *  # noqa: E402,F401,F403
from .trajectory import *  # noqa: E402,F401,F403
from .video import *  # noqa: E402,F401,F403
from ._persistence import load, save  # noqa: E402,F401

__all__ = sorted(
    {"load", "save"}
    | set(datasets.__all__)
    | set(image.__all__)
    | set(metrics.__all__)
    | set(plotting.__all__)
    | set(sampling.__all__)
    | set(trajectory.__all__)
    | set(video.__all__)
)

# Links from the estimators' HTML diagrams to their API pages (see utils/_doc_links.py).
from .utils._doc_links import set_doc_links  # noqa: E402

set_doc_links(globals()[name] for name in __all__)
del set_doc_links
