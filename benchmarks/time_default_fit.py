"""Wall time of one default trajectory-classifier fit (the cost bar of the trajectory issue).

Fits ``make_pipeline(VelocityTransformer(), TrajectoryScaler(),
LSTMTrajectoryClassifier(random_state=0))`` once on every track of an .npz file
written by ``benchmarks/andi_official_tracks.py`` (keys ``tracks``, ``labels``),
with one torch thread, and prints the seconds, the epochs trained and the
training accuracy. To compare two versions of the library in the same
conditions, run it for both at the same time, each on its own core::

    python benchmarks/time_default_fit.py ../andi_data/official_10k.npz
    PYTHONPATH=<checkout of the old version> python benchmarks/time_default_fit.py ...
"""

import sys
import time
import warnings

import numpy as np
import torch
from sklearn.pipeline import make_pipeline

import sklearn_cells
from sklearn_cells import LSTMTrajectoryClassifier, TrajectoryScaler, VelocityTransformer

warnings.filterwarnings("ignore")
torch.set_num_threads(1)
data = np.load(sys.argv[1], allow_pickle=True)
X, y = data["tracks"], data["labels"].astype(str)
pipe = make_pipeline(VelocityTransformer(), TrajectoryScaler(),
                     LSTMTrajectoryClassifier(random_state=0))
start = time.perf_counter()
pipe.fit(X, y)
seconds = time.perf_counter() - start
print(f"{sklearn_cells.__file__}: {len(X)} tracks, fit {seconds:.0f} s, "
      f"{len(pipe[-1].history_)} epochs, training accuracy {pipe.score(X, y):.3f}")
