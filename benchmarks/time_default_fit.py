"""Wall time of one default trajectory-classifier fit: the cost bar of the trajectory issue.

Fits ``make_pipeline(VelocityTransformer(), TrajectoryScaler(),
LSTMTrajectoryClassifier(random_state=0))`` once on every track of an .npz file
written by ``benchmarks/andi_official_tracks.py`` (keys ``tracks``, ``labels``),
with one torch thread, for this checkout and for an older one (``--baseline``,
e.g. a ``git worktree`` of the commit before the change) side by side, one
process per core, so that both see the same machine load::

    git worktree add ../baseline <commit>
    python benchmarks/time_default_fit.py ../andi_data/official_10k.npz --baseline ../baseline

Writes ``<out>/default_fit_time_cpu.md``: seconds, epochs and training accuracy
of each, and their ratio.
"""

import argparse
import datetime
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

ONE_FIT = """
import sys, time, warnings
import numpy as np, torch
from sklearn.pipeline import make_pipeline
from sklearn_cells import LSTMTrajectoryClassifier, TrajectoryScaler, VelocityTransformer
warnings.filterwarnings("ignore")
torch.set_num_threads(1)
data = np.load(sys.argv[1], allow_pickle=True)
X, y = data["tracks"], data["labels"].astype(str)
pipe = make_pipeline(VelocityTransformer(), TrajectoryScaler(),
                     LSTMTrajectoryClassifier(random_state=0))
start = time.perf_counter()
pipe.fit(X, y)
import sklearn_cells
print(sklearn_cells.__file__, file=sys.stderr)
print(time.perf_counter() - start, len(pipe[-1].history_), pipe.score(X, y), len(X))
"""


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tracks", type=Path)
    parser.add_argument("--baseline", type=Path, required=True,
                        help="checkout of the version to compare with")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from _machine import machine

    runs = {}
    for name, source in (("this checkout", ROOT), ("baseline", args.baseline.resolve())):
        env = dict(os.environ, PYTHONPATH=str(source), OMP_NUM_THREADS="1")
        # -P and cwd: import the package from PYTHONPATH, not from the current folder
        runs[name] = subprocess.Popen(
            [sys.executable, "-P", "-c", ONE_FIT, str(args.tracks.resolve())],
            env=env, cwd=str(source), stdout=subprocess.PIPE, text=True)
    start = time.perf_counter()
    results = {}
    for name, process in runs.items():
        out, _ = process.communicate()
        if process.returncode:
            raise SystemExit(f"the fit of {name} failed")
        seconds, epochs, accuracy, n = out.split()[-4:]
        results[name] = (float(seconds), int(epochs), float(accuracy), int(n))
    info = machine("cpu")
    ratio = results["this checkout"][0] / results["baseline"][0]
    head = subprocess.run(["git", "-C", str(args.baseline), "rev-parse", "--short", "HEAD"],
                          capture_output=True, text=True).stdout.strip()
    lines = [
        "# One default trajectory-classifier fit: time against a baseline version", "",
        f"Tracks: `{args.tracks.name}` ({results['baseline'][3]} tracks); baseline: commit "
        f"`{head or args.baseline.name}`; both fits ran at the same time, one torch thread "
        f"each ({time.perf_counter() - start:.0f} s in all).", "",
        "| version | fit (s) | epochs | training accuracy |", "| --- | --- | --- | --- |",
    ]
    lines += [f"| {k} | {v[0]:.0f} | {v[1]} | {v[2]:.3f} |" for k, v in results.items()]
    lines += ["", f"Ratio (this checkout / baseline): **{ratio:.2f}** (issue bar: <= 1.5).", "",
              "Command:", "",
              "    python benchmarks/time_default_fit.py " + " ".join(sys.argv[1:]), "",
              f"Machine: {info['cpu_model']} ({info['cpu_cores']} cores), torch {info['torch']}, "
              f"python {info['python']}", "",
              f"Date: {datetime.datetime.now().isoformat(timespec='seconds')}"]
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "default_fit_time_cpu.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
