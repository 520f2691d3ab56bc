"""Track sets from the official AnDi 2020 generator (``andi-datasets``), saved as .npz.

Runs in a side environment, never in the library's: ``andi-datasets`` pins
numpy <= 1.26 and must not become a dependency of ``sklearn_cells``. Create it
once, outside the repository::

    python3 -m venv /work/andi_env
    /work/andi_env/bin/pip install andi-datasets      # 2.1.13 used here (numpy 1.26.4)

Usage (this file imports only numpy, andi_datasets and its dependency stochastic)::

    # Task-2-style sets (2-D, the model is the label), exactly as
    # andi_datasets.datasets_challenge.challenge_theory_dataset draws them:
    /work/andi_env/bin/python benchmarks/andi_official_tracks.py task2 --n 2000 --seed 0 /work/andi_data/official_2k.npz
    /work/andi_env/bin/python benchmarks/andi_official_tracks.py task2 --n 10000 --seed 1 /work/andi_data/official_10k.npz
    # Per model, fixed length, exponent uniform on the model's challenge grid:
    /work/andi_env/bin/python benchmarks/andi_official_tracks.py by-model --n-per-model 1000 --length 200 --seed 2 /work/andi_data/official_by_model.npz
    # Check that `task2` reproduces challenge_theory_dataset track for track:
    /work/andi_env/bin/python benchmarks/andi_official_tracks.py selftest

What the 2020 challenge generator does (andi_datasets 2.1.13, read from
``datasets_challenge.challenge_theory_dataset`` and ``models_theory``):

1. Exponents on the grid 0.05, 0.10, ..., 2.00. Per model and exponent a
   fixed count of tracks of the *maximal* length ``max_T`` = 1000: ATTM and
   CTRW on 0.05..1.00, FBM on 0.05..1.95, LW on 1.05..2.00, SBM on 0.05..2.00
   (``ceil(1.6 N / 5)`` tracks per model, LW 0.8 of that).
2. ``utils_trajectories.normalize``: per track and dimension, the increments
   of the whole 1000-point track are divided by their standard deviation.
3. Localisation noise: Gaussian, standard deviation drawn per track from
   {0.1, 0.5, 1} (the same for every dimension), added to every coordinate.
4. "Diffusion coefficient": the increments of the noisy track are multiplied
   by one standard normal number per track (same for every dimension; it can
   be negative or close to 0), and the track restarts at 0.
5. Task 2 keeps the *first* ``int(1.1 N / 5)`` tracks of each model, in the
   generator's order, which is by increasing exponent; so task-2 exponents
   cover only the lower part of each model's grid (ATTM/CTRW 0.05..0.70,
   FBM 0.05..1.35, LW 1.05..1.95, SBM 0.05..1.40). This is what the official
   function does and is kept here.
6. The tracks are shuffled and each is cut to its first
   ``np.random.randint(min_T, max_T)`` points: 10..999 (999 = max_T - 1).

``task2`` repeats these steps with the package's own functions and the same
random-number streams, so its tracks are exactly those of
``challenge_theory_dataset(N, tasks=2, dimensions=2)`` after the same seeds
(``selftest`` checks it). The FBM tracks come from the package ``stochastic``
(a dependency of andi-datasets), which draws from its own generator, not from
``np.random``: both are seeded (``np.random.seed(seed)`` and
``stochastic.random.seed(seed)``), so every file is reproducible (the
official function, seeded through ``np.random`` only, is not, for FBM).
``task2`` also keeps each track's exponent, noise level and diffusion
multiplier, which the official function does not return (its
``return_noise`` values are not aligned with the shuffled tracks).

``by-model`` draws ``--n-per-model`` tracks of every model at one length:
exponent drawn uniformly from the model's grid (step 1 above), the model's
official 2-D simulator at that length, then steps 2-4 (normalisation over that
length); no cut.

The .npz (load with ``np.load(path, allow_pickle=True)``) holds:

``tracks``      object array (n,), each float64 (T_i, 2) positions, time first
``labels``      str array (n,): 'attm', 'ctrw', 'fbm', 'lw' or 'sbm'
``exponents``   float array (n,): anomalous exponent (grid value, 2 decimals)
``lengths``     int array (n,): T_i
``noise``       float array (n,): localisation-noise standard deviation, in
                units of the normalised step, before the diffusion multiplier
``diffusion``   float array (n,): the per-track standard-normal multiplier of
                step 4; ``tracks[i] / diffusion[i]`` is the track before it
``meta``        str: JSON with the command, seed, package versions

A benchmark loads it with::

    data = np.load(path, allow_pickle=True)
    X, y = list(data["tracks"]), data["labels"]
"""

from __future__ import annotations

import argparse
import json
import sys
from importlib.metadata import version
from pathlib import Path

import numpy as np
from andi_datasets.datasets_challenge import challenge_theory_dataset
from andi_datasets.datasets_theory import datasets_theory
from andi_datasets.models_theory import models_theory
from andi_datasets.utils_trajectories import normalize
from stochastic import random as stochastic_random

MODELS = ("attm", "ctrw", "fbm", "lw", "sbm")  # the generator's label order (alphabetical)


def _seed(seed):
    """Seed numpy's global stream and the one of `stochastic` (FBM), which has its own."""
    np.random.seed(seed)
    stochastic_random.seed(seed)


def _exponent_grid():
    return np.arange(0.05, 2.01, 0.05)  # the challenge's grid, same float values


def _challenge_counts(N):
    """Tracks per (model, exponent), copied from challenge_theory_dataset."""
    exponents = _exponent_grid()
    n_exp = len(exponents)
    n_per_model = np.ceil(1.6 * N / 5)
    subdif, superdif = n_exp // 2, n_exp // 2 + 1
    n_per_class = np.zeros((len(MODELS), n_exp))
    n_per_class[:2, :subdif] = np.ceil(n_per_model / subdif)  # ctrw, attm
    n_per_class[2, :] = np.ceil(n_per_model / (n_exp - 1))  # fbm
    n_per_class[2, exponents == 2] = 0
    n_per_class[3, subdif:] = np.ceil((n_per_model / superdif) * 0.8)  # lw
    n_per_class[4, :] = np.ceil(n_per_model / n_exp)  # sbm
    return exponents, n_per_class


def _post_process(dataset, dim, T):
    """Steps 2-4 on a (n, 2 + dim * T) dataset, in the challenge's random order."""
    n_traj = dataset.shape[0]
    dataset[:, 2:] = normalize(dataset[:, 2:].reshape(n_traj * dim, T)).reshape(dataset[:, 2:].shape)
    loc_error_amplitude = np.random.choice(np.array([0.1, 0.5, 1]), size=n_traj).repeat(dim)
    loc_error = (np.random.randn(n_traj * dim, int(T)).transpose() * loc_error_amplitude).transpose()
    dataset = datasets_theory().create_noisy_localization_dataset(
        dataset, dimension=dim, T=T, noise_func=loc_error)
    trajs = dataset[:, 2:].reshape(n_traj * dim, T)
    displacements = trajs[:, 1:] - trajs[:, :-1]
    diffusion_coefficients = np.random.randn(n_traj).repeat(dim)
    new_displacements = (displacements.transpose() * diffusion_coefficients).transpose()
    new_trajs = np.cumsum(new_displacements, axis=1)
    new_trajs = np.concatenate((np.zeros((new_trajs.shape[0], 1)), new_trajs), axis=1)
    dataset[:, 2:] = new_trajs.reshape(dataset[:, 2:].shape)
    return dataset, loc_error_amplitude[::dim], diffusion_coefficients[::dim]


def task2(N, seed, min_T=10, max_T=1000, dim=2):
    """challenge_theory_dataset(N, max_T, min_T, tasks=2, dimensions=dim), with the labels kept."""
    _seed(seed)
    exponents, n_per_class = _challenge_counts(N)
    dataset = datasets_theory().create_dataset(
        T=max_T, N_models=n_per_class, exponents=exponents, dimension=dim,
        models=np.arange(len(MODELS)), load_trajectories=False, save_trajectories=False,
        N_save=100, path="datasets/")
    dataset, noise, diffusion = _post_process(dataset, dim, max_T)

    n_per_model = max(1, int(1.1 * N / 5))
    rows = np.concatenate([np.flatnonzero(dataset[:, 0] == m)[:n_per_model] for m in range(5)])
    p = np.random.permutation(rows.size)
    rows = rows[p][:N]
    tracks, lengths = [], []
    for r in rows:
        cut_T = np.random.randint(min_T, max_T)
        tracks.append(np.ascontiguousarray(dataset[r, 2:].reshape(dim, -1)[:, :cut_T].T))
        lengths.append(cut_T)
    labels = np.asarray(MODELS)[dataset[rows, 0].astype(int)]
    return tracks, labels, np.around(dataset[rows, 1], 2), np.asarray(lengths), noise[rows], diffusion[rows]


def by_model(n_per_model, length, seed, dim=2):
    """``n_per_model`` tracks per model, exponent uniform on the model's challenge grid."""
    _seed(seed)
    exponents, n_per_class = _challenge_counts(1000)
    funcs = {"attm": models_theory._twoD().attm, "ctrw": models_theory._twoD().ctrw,
             "fbm": models_theory._twoD().fbm, "lw": models_theory._twoD().lw,
             "sbm": models_theory._twoD().sbm}
    if dim != 2:
        raise ValueError("by-model draws 2-D tracks only")
    rows = []
    for m, model in enumerate(MODELS):
        grid = exponents[n_per_class[m] > 0]
        for a in np.random.choice(grid, size=n_per_model):
            rows.append(np.r_[m, a, funcs[model](length, a)])
    dataset, noise, diffusion = _post_process(np.asarray(rows), dim, length)
    tracks = [np.ascontiguousarray(row[2:].reshape(dim, -1).T) for row in dataset]
    labels = np.asarray(MODELS)[dataset[:, 0].astype(int)]
    return (tracks, labels, np.around(dataset[:, 1], 2), np.full(len(tracks), length),
            noise, diffusion)


def save(path, tracks, labels, exponents, lengths, noise, diffusion, meta):
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    obj = np.empty(len(tracks), dtype=object)
    obj[:] = tracks
    np.savez_compressed(path, tracks=obj, labels=np.asarray(labels, dtype=str),
                        exponents=np.asarray(exponents, float), lengths=np.asarray(lengths, int),
                        noise=np.asarray(noise, float), diffusion=np.asarray(diffusion, float),
                        meta=json.dumps(meta))
    counts = dict(zip(*np.unique(labels, return_counts=True)))
    print(f"wrote {path}: {len(tracks)} tracks, {({k: int(v) for k, v in counts.items()})}, "
          f"lengths {min(lengths)}..{max(lengths)}")


def selftest(N=60, seed=123):
    _seed(seed)
    _, _, X2, Y2, _, _ = challenge_theory_dataset(N=N, tasks=2, dimensions=2)
    tracks, labels, *_ = task2(N, seed)
    assert len(tracks) == len(X2[1]) == N
    for t, x, lab, y in zip(tracks, X2[1], labels, Y2[1]):
        assert np.array_equal(t.T.reshape(-1), np.asarray(x)), "track differs"
        assert MODELS[int(y)] == lab, "label differs"
    print(f"selftest ok: {N} tracks identical to challenge_theory_dataset (seed {seed})")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="mode", required=True)
    t2 = sub.add_parser("task2", help="task-2 set as challenge_theory_dataset draws it")
    t2.add_argument("out")
    t2.add_argument("--n", type=int, default=2000)
    t2.add_argument("--seed", type=int, default=0)
    t2.add_argument("--min-T", type=int, default=10)
    t2.add_argument("--max-T", type=int, default=1000)
    bm = sub.add_parser("by-model", help="fixed-length tracks per model")
    bm.add_argument("out")
    bm.add_argument("--n-per-model", type=int, default=1000)
    bm.add_argument("--length", type=int, default=200)
    bm.add_argument("--seed", type=int, default=2)
    sub.add_parser("selftest", help="task2 == challenge_theory_dataset on a small set")
    args = parser.parse_args()

    meta = {"command": "python " + " ".join(sys.argv), "andi_datasets": version("andi-datasets"),
            "numpy": np.__version__, "stochastic": version("stochastic")}
    if args.mode == "selftest":
        selftest()
    elif args.mode == "task2":
        meta.update(n=args.n, seed=args.seed, min_T=args.min_T, max_T=args.max_T)
        save(args.out, *task2(args.n, args.seed, args.min_T, args.max_T), meta)
    else:
        meta.update(n_per_model=args.n_per_model, length=args.length, seed=args.seed)
        save(args.out, *by_model(args.n_per_model, args.length, args.seed), meta)


if __name__ == "__main__":
    main()
