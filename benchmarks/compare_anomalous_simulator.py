"""make_anomalous_diffusion against the official AnDi 2020 generator, model by model.

Reads track sets written by ``benchmarks/andi_official_tracks.py`` (official
generator, ``andi-datasets``, run in its own environment) and draws the same
number of tracks, of the same lengths, from
:func:`sklearn_cells.make_anomalous_diffusion`, one model at a time. Per model:

- ``classifier_two_sample_test`` AUC (default estimator: gradient boosting on
  ``TrajectoryFeatures``; 0.5 = indistinguishable), with the real-vs-real
  baseline: the official set split in two halves;
- quantiles (10/50/90 %) of the exponents, of the lengths, of the lag-1
  autocorrelation of the increments (localisation noise makes it negative),
  of the step excess kurtosis, of the time-averaged-MSD exponent (lags 1-10)
  and of the step standard deviation (the scale).

The official tracks carry the challenge's random "diffusion coefficient": the
steps of each noisy track multiplied by one standard-normal number (stored as
``diffusion``). Comparisons marked *unscaled* divide it out (the simulator
proper); those marked *as challenge* keep it, and the library then draws with
``random_scale=True`` where it has that option.

Comparisons (rows of each model's table):

``real vs real``          official halves (unscaled), the chance level at this size
``default alpha``         library with its own exponent draw, vs official unscaled
``matched alpha``         library with the official exponents, vs official unscaled
``as challenge``          matched alpha, library ``random_scale=True`` if it exists,
                          vs official as generated (with the multiplier)
``task2 real vs real``    the --task2 set (lengths 10..999, cut from 1000-point
                          tracks), official halves, unscaled
``task2 matched alpha``   library ``length=(10, 999)``, official exponents, vs it

Usage (library environment; single-threaded)::

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/compare_anomalous_simulator.py \\
        --official /work/andi_data/official_by_model.npz \\
        --task2 /work/andi_data/official_2k.npz --label before

Results go to ``benchmarks/results/anomalous_simulator_cpu.json`` (one entry per
``--label``, kept across runs) and ``.md`` (regenerated from every stored label).
"""

from __future__ import annotations

import argparse
import datetime
import inspect
import json
import shlex
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _machine import machine  # noqa: E402

from sklearn_cells import classifier_two_sample_test  # noqa: E402
from sklearn_cells.datasets import make_anomalous_diffusion  # noqa: E402

MODELS = ("attm", "ctrw", "fbm", "lw", "sbm")
QUANTILES = (0.1, 0.5, 0.9)
STATS = ("exponent", "length", "lag1_autocorr", "step_kurtosis", "msd_exponent", "step_std")
NOTES = [
    "Runs: `before` = the simulator before the fixes (no `random_scale` option: its `as challenge` "
    "row compares unit-scale library tracks with the official ones); `after` = with them; "
    "`after-10k` = task-2 rows on the 10k set (about 2000 tracks per model, more power than the "
    "2k set's 400). Intervals are bootstrap intervals of the AUC (no refits): they run narrow, "
    "compare with the `real vs real` rows.",
    "",
    "Differences found and fixed in `sklearn_cells/datasets/_anomalous.py`:",
    "",
    "- Lengths: the challenge simulates, normalises and noises 1000-point tracks and cuts each to "
    "its first 10..999 points; the library simulated every track at its own length, so short "
    "tracks were normalised on their own (task-2 AUC 0.62-0.91 before). Now a `length=(min, max)` "
    "range simulates at max and cuts, as the challenge.",
    "- Random step multiplier: the challenge multiplies each noisy track's steps by one "
    "standard-normal number (its \"diffusion coefficient\"; tracks restart at 0); the library "
    "had unit-variance steps only (AUC 0.95-0.98). New option `random_scale=True` (default False: "
    "unit steps as before).",
    "- Capped durations (ATTM segments, Levy flights): `exp(log(n))` falls just below `n` for "
    "41 % of the lengths, so a segment meant to cover the whole track ended one step early and a "
    "new diffusion coefficient or direction took the last step (ATTM AUC 0.55, step kurtosis "
    "doubled). Capped values are now exactly the cap.",
    "- SBM: the reference (`cumsum(dx) - dx[0]`) drops the first step, whose variance 1 stands "
    "out of the later ones for alpha far from 1 (AUC 0.55, kurtosis q90 5.1 vs 2.0); dropped now.",
    "- Levy walk: the reference drops the first step too (first flight one step shorter); "
    "dropped now (straight 15-point tracks at alpha 2: 0.409 library, 0.408 reference).",
    "- 3-D CTRW and ATTM: the reference draws a normal length along a uniform direction "
    "(`sample_sphere`), not a 3-D Gaussian; now as the reference (3-D is not in these rows).",
    "",
    "Left as they are (documented):",
    "",
    "- Exponents: the library draws them continuously from each model's range; the challenge "
    "uses the grid 0.05, 0.10, ..., and its task-2 function keeps the first tracks of each model "
    "in generator order, i.e. only the lower part of each grid (ATTM/CTRW 0.05-0.70, FBM "
    "0.05-1.35, LW 1.05-1.95, SBM 0.05-1.40). The `default alpha` rows (by-model set, full "
    "grid) are at the baseline; pass `alpha=` for other ranges.",
    "- A single Levy flight (constant steps; about 20 % of the official LW tracks at alpha = 2 "
    "and 200 points) is divided by a rounding-error standard deviation in the reference "
    "(`variance == 0` misses 1e-16), giving a straight track some 1e15 long where the noise "
    "vanishes; the library divides by the rms step. About 1 % of the by-model LW set.",
    "- Without `random_scale` the noise is added to the first point as well (the track starts "
    "near 0, not at 0); with it the track starts at 0 exactly, as the reference.",
    "- The official task-2 lengths are `randint(10, 1000)`, 10..999; the library's default "
    "range is 10..1000 inclusive.",
]

ROWS = ("real vs real", "default alpha", "matched alpha", "as challenge",
        "task2 real vs real", "task2 matched alpha")


# ----------------------------------------------------------------------------- data

def load_official(path):
    data = np.load(path, allow_pickle=True)
    out = {k: data[k] for k in ("labels", "exponents", "lengths", "noise", "diffusion")}
    out["tracks"] = list(data["tracks"])
    out["meta"] = json.loads(str(data["meta"]))
    return out


def unscaled(tracks, diffusion):
    """Tracks before the challenge's per-track step multiplier (exact up to rounding)."""
    return [t / d if d != 0 else t for t, d in zip(tracks, diffusion)]


def has_random_scale() -> bool:
    return "random_scale" in inspect.signature(make_anomalous_diffusion).parameters


def library(model, exponents, length, seed, random_scale=False):
    """Library tracks of ``model``: one per entry of ``exponents`` (None: its own draw)."""
    extra = {"random_scale": True} if random_scale else {}
    tracks, alphas = [], []
    values, counts = np.unique(exponents, return_counts=True)
    for i, (a, k) in enumerate(zip(values, counts)):
        X, _, al = make_anomalous_diffusion(int(k), models=model, alpha=float(a), length=length,
                                            random_state=seed * 1000 + i, **extra)
        tracks += X
        alphas.append(al)
    return tracks, np.concatenate(alphas)


# ----------------------------------------------------------------------------- statistics

def track_stats(tracks):
    """Per-track statistics (pooled over both dimensions)."""
    out = {k: [] for k in STATS if k != "exponent"}
    lags = np.arange(1, 11)
    for x in tracks:
        s = np.diff(x, axis=0)
        out["length"].append(len(x))
        sc = s - s.mean(axis=0)
        den = np.sum(sc**2)
        out["lag1_autocorr"].append(np.sum(sc[1:] * sc[:-1]) / den if den > 0 else 0.0)
        v = sc.ravel()
        m2 = np.mean(v**2)
        out["step_kurtosis"].append(np.mean(v**4) / m2**2 - 3 if m2 > 0 else 0.0)
        out["step_std"].append(np.sqrt(m2))
        use = lags[lags < len(x) - 1]
        msd = np.array([np.mean(np.sum((x[k:] - x[:-k]) ** 2, axis=1)) for k in use])
        if len(use) >= 2 and np.all(msd > 0):
            out["msd_exponent"].append(np.polyfit(np.log(use), np.log(msd), 1)[0])
        else:
            out["msd_exponent"].append(np.nan)
    return {k: np.asarray(v, float) for k, v in out.items()}


def quantiles(x):
    x = np.asarray(x, float)
    x = x[np.isfinite(x)]
    return [round(float(q), 3) for q in np.quantile(x, QUANTILES)] if x.size else None


def c2st(real, generated, seed):
    t = time.perf_counter()
    r = classifier_two_sample_test(real, generated, n_permutations=0, random_state=seed)
    return {"auc": round(r.auc, 3), "interval": [round(v, 3) for v in r.interval],
            "n_real": r.n_real, "n_generated": r.n_generated,
            "seconds": round(time.perf_counter() - t, 1)}


def stat_block(tracks, exponents):
    st = track_stats(tracks)
    st["exponent"] = np.asarray(exponents, float)
    return {k: quantiles(st[k]) for k in STATS}


# ----------------------------------------------------------------------------- main

def compare_model(model, off, t2, seed, scale_option, by_model=True):
    res = {"rows": {}, "stats": {}}
    rng = np.random.RandomState(seed)
    if by_model:
        _compare_by_model(model, off, seed, scale_option, rng, res)
    if t2 is not None:
        _compare_task2(model, t2, seed, rng, res)
    return res


def _compare_by_model(model, off, seed, scale_option, rng, res):
    sel = np.flatnonzero(off["labels"] == model)
    real_raw = [off["tracks"][i] for i in sel]
    real = unscaled(real_raw, off["diffusion"][sel])
    exps = off["exponents"][sel]
    length = int(off["lengths"][sel][0])
    if not np.all(off["lengths"][sel] == length):
        raise SystemExit("--official must hold one length per model (by-model set)")
    half = len(real) // 2
    perm = rng.permutation(len(real))
    res["rows"]["real vs real"] = c2st([real[i] for i in perm[:half]],
                                       [real[i] for i in perm[half:]], seed)
    lib_def, _, a_def = make_anomalous_diffusion(len(real), models=model, length=length,
                                                 random_state=seed + 1)
    res["rows"]["default alpha"] = c2st(real, lib_def, seed)
    lib_mat, a_mat = library(model, exps, length, seed + 2)
    res["rows"]["matched alpha"] = c2st(real, lib_mat, seed)
    lib_sc, _ = library(model, exps, length, seed + 3, random_scale=scale_option)
    res["rows"]["as challenge"] = c2st(real_raw, lib_sc, seed)
    res["stats"]["official (unscaled)"] = stat_block(real, exps)
    res["stats"]["library, default alpha"] = stat_block(lib_def, a_def)
    res["stats"]["library, matched alpha"] = stat_block(lib_mat, a_mat)
    res["stats"]["official (as challenge)"] = {"step_std": quantiles(track_stats(real_raw)["step_std"])}
    res["stats"]["library, as challenge"] = {"step_std": quantiles(track_stats(lib_sc)["step_std"])}


def _compare_task2(model, t2, seed, rng, res):
    sel = np.flatnonzero(t2["labels"] == model)
    real2 = unscaled([t2["tracks"][i] for i in sel], t2["diffusion"][sel])
    exps2 = t2["exponents"][sel]
    perm = rng.permutation(len(real2))
    half = len(real2) // 2
    res["rows"]["task2 real vs real"] = c2st([real2[i] for i in perm[:half]],
                                             [real2[i] for i in perm[half:]], seed)
    # The official cut is randint(min_T, max_T): max_T - 1 points at most.
    lo, hi = int(t2["meta"].get("min_T", 10)), int(t2["meta"].get("max_T", 1000)) - 1
    lib2, a2 = library(model, exps2, (lo, hi), seed + 4)
    res["rows"]["task2 matched alpha"] = c2st(real2, lib2, seed)
    res["stats"]["task2 official (unscaled)"] = stat_block(real2, exps2)
    res["stats"]["task2 library, matched alpha"] = stat_block(lib2, a2)


def machine_line(info):
    return (f"{info['cpu_model']} ({info['cpu_cores']} cores), torch {info['torch']}, "
            f"{info['torch_threads']} torch thread(s), python {info['python']}, {info['device']}")


def fmt_q(q):
    return "–" if q is None else " / ".join(f"{v:.3g}" for v in q)


def write_markdown(results, path):
    labels = list(results["runs"])
    lines = ["# make_anomalous_diffusion vs the official AnDi 2020 generator", "",
             "Per model: classifier two-sample test (`classifier_two_sample_test`, default "
             "estimator = gradient boosting on `TrajectoryFeatures`, 5 folds, no permutations) "
             "between official tracks (`andi-datasets`, via `benchmarks/andi_official_tracks.py`) "
             "and tracks of `make_anomalous_diffusion`; AUC 0.5 = indistinguishable, with its 95 % "
             "bootstrap interval. `real vs real` splits the official set in two halves: the level "
             "to reach. *Unscaled*: the official tracks divided by the challenge's per-track "
             "random step multiplier (its \"diffusion coefficient\"); `as challenge` keeps it "
             "(library with `random_scale=True` where that option exists). `task2` rows use the "
             "task-2 set (lengths 10-999, cut from 1000-point tracks, exponents as the official "
             "task-2 draw), library with `length=(10, 999)` and the same exponents.", ""]
    lines += ["Official sets (side environment `/work/andi_env`, `andi-datasets` 2.1.13; see the "
              "docstring of `benchmarks/andi_official_tracks.py`):", "",
              "    /work/andi_env/bin/python benchmarks/andi_official_tracks.py by-model "
              "--n-per-model 1000 --length 200 --seed 2 /work/andi_data/official_by_model.npz",
              "    /work/andi_env/bin/python benchmarks/andi_official_tracks.py task2 --n 2000 "
              "--seed 0 /work/andi_data/official_2k.npz",
              "    /work/andi_env/bin/python benchmarks/andi_official_tracks.py task2 --n 10000 "
              "--seed 1 /work/andi_data/official_10k.npz", ""]
    lines += ["## AUC per model", ""]
    head = "| model | comparison | " + " | ".join(labels) + " |"
    lines += [head, "| --- | --- | " + " | ".join("---" for _ in labels) + " |"]
    for m in MODELS:
        for row in ROWS:
            cells = []
            for lab in labels:
                c = results["runs"][lab]["models"].get(m, {}).get("rows", {}).get(row)
                cells.append("–" if c is None else
                             f"{c['auc']:.3f} [{c['interval'][0]:.3f}, {c['interval'][1]:.3f}]")
            if any(c != "–" for c in cells):
                lines.append(f"| {m} | {row} | " + " | ".join(cells) + " |")
    for lab in labels:
        run = results["runs"][lab]
        lines += ["", f"## Statistics, run `{lab}`", "",
                  "Quantiles 10 / 50 / 90 % over tracks. lag1_autocorr: of the centred "
                  "increments (both axes pooled); step_kurtosis: excess kurtosis of the centred "
                  "increments; msd_exponent: slope of log time-averaged MSD on lags 1-10; "
                  "step_std: rms of the centred increments (the scale).", ""]
        for m in MODELS:
            st = run["models"].get(m, {}).get("stats")
            if not st:
                continue
            lines += [f"**{m}**", "", "| set | " + " | ".join(STATS) + " |",
                      "| --- | " + " | ".join("---" for _ in STATS) + " |"]
            for name, block in st.items():
                lines.append(f"| {name} | " + " | ".join(fmt_q(block.get(k)) for k in STATS) + " |")
            lines.append("")
        lines += [f"Command: `{run['command']}`", "",
                  f"Library: `make_anomalous_diffusion{run['signature']}`", "",
                  f"Official sets: {run['official_meta']}", "",
                  f"Machine: {run['machine']}", "", f"Date: {run['date']}, {run['seconds']:.0f} s."]
    lines += ["", "## Notes", ""] + NOTES
    path.write_text("\n".join(lines) + "\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--official", required=True, type=Path,
                        help="by-model set of andi_official_tracks.py (one length)")
    parser.add_argument("--task2", type=Path, help="task-2 set of andi_official_tracks.py")
    parser.add_argument("--label", default="run", help="name of this run in the results")
    parser.add_argument("--models", default=",".join(MODELS))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--skip-by-model", action="store_true",
                        help="only the --task2 comparisons (--official is still read)")
    parser.add_argument("--markdown-only", action="store_true",
                        help="rewrite the .md from the stored .json and exit")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results"))
    args = parser.parse_args()
    if args.markdown_only:
        results = json.loads((args.out / "anomalous_simulator_cpu.json").read_text())
        write_markdown(results, args.out / "anomalous_simulator_cpu.md")
        return
    torch.set_num_threads(1)
    warnings.filterwarnings("ignore")
    models = [m for m in MODELS if m in args.models.split(",")]

    off = load_official(args.official)
    t2 = load_official(args.task2) if args.task2 else None
    info = machine("cpu")
    command = "OMP_NUM_THREADS=1 python " + " ".join(shlex.quote(a) for a in sys.argv)
    json_path = args.out / "anomalous_simulator_cpu.json"
    md_path = args.out / "anomalous_simulator_cpu.md"
    results = json.loads(json_path.read_text()) if json_path.is_file() else {}
    results.setdefault("runs", {})
    scale_option = has_random_scale()
    run = {"command": command, "machine": machine_line(info), "machine_info": info,
           "date": datetime.datetime.now().isoformat(timespec="seconds"),
           "signature": str(inspect.signature(make_anomalous_diffusion)).split(" -> ")[0],
           "random_scale_option": scale_option,
           "official_meta": {"by_model": off["meta"], "task2": t2["meta"] if t2 else None},
           "models": {}}
    total = time.perf_counter()
    for m in models:
        run["models"][m] = compare_model(m, off, t2, args.seed, scale_option,
                                         by_model=not args.skip_by_model)
        print(m, {r: c["auc"] for r, c in run["models"][m]["rows"].items()}, flush=True)
    run["seconds"] = time.perf_counter() - total
    results["runs"][args.label] = run
    args.out.mkdir(parents=True, exist_ok=True)
    json_path.write_text(json.dumps(results, indent=2) + "\n")
    write_markdown(results, md_path)
    print(f"wrote {json_path} and {md_path} ({run['seconds']:.0f} s)")


if __name__ == "__main__":
    main()
