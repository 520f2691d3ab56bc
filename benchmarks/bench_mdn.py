"""Benchmark MDNTrajectoryGenerator: fit time, sampling, training overhead and sample quality.

Run from the repository root::

    python benchmarks/bench_mdn.py            # under 10 min on a 2-core CPU
    python benchmarks/bench_mdn.py --quick    # smoke run (~1 min)
    python benchmarks/bench_mdn.py --training-draws 1   # (c) on one draw (~3.5 min)

All fits run first, ``--n-jobs`` (default 2) at a time, one torch thread each:

Fit: the defaults on the whole ``make_trajectories()`` set (311 tracks),
    timed. Target: under 5 minutes.
(a) Sampling 1,000 trajectories x 1,000 steps: all trajectories advancing
    together one batched step at a time (``sample``), against a loop over
    trajectories of the same model, one stateful step at a time (the seed's
    approach). The loop is timed on ``--loop-trajectories`` trajectories and
    scaled to 1,000 (each trajectory costs the same; ``--loop-trajectories
    1000`` runs them all). Target: batched at least 50x faster.
(b) Training time per epoch of the estimator against a hand-written PyTorch
    loop training the same module on the same windows (same batches, window
    order, optimizer and gradient clipping). Target: at most 1.10x.
(c) Quality on held-out ``make_trajectories()`` data (issues 3 and 16), for
    each of three fit seeds, trained and held out on ``--training-draws``
    (default 3) pooled draws: one draw's tracks can stray from the
    population by more than the bars allow (seed 0's fibronectin tracks are
    more persistent than any of 20 other draws), and a faithful generator
    inherits that. Measured: held-out log-likelihood against n_components=1
    and the untrained model; per class, Wasserstein distances between
    generated and held-out statistics against an i.i.d. Gaussian-velocity
    baseline; the individuality of generated cells (spread and mean of the
    per-trajectory mean speed and persistence, level persistence of speed)
    against fresh draws of ``make_trajectories()`` and against the training
    tracks, beside how far the training tracks themselves are from the fresh
    draws; z extent of the 2-D classes; drift; and the classifier two-sample
    test (``classifier_two_sample_test``, gradient boosting on
    ``TrajectoryFeatures``): out-of-fold ROC AUC of generated against fresh
    real tracks (target <= 0.70; 0.5 means indistinguishable), beside the same
    AUC for the i.i.d. Gaussian baseline and for real against real (two
    halves of the fresh draws: what chance gives at this sample size).

Results go to ``benchmarks/results/mdn_<device>.md`` and ``.json``
(``_quick`` for ``--quick``, and the names of the parts run when ``--skip``
leaves some out, e.g. ``mdn_cpu_quality.md``, so a partial run never
overwrites a full one). CUDA runs when ``--device cuda`` is given (and skips
with a note where none is present).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch
from joblib import Parallel, delayed
from sklearn.model_selection import train_test_split
from torch.utils.data import DataLoader

from sklearn_cells.base import torch_seed_context
from sklearn_cells.datasets import make_trajectories
from sklearn_cells.nn.mdn import LSTMMixtureDensityNetwork
from sklearn_cells.trajectory import (
    MDNTrajectoryGenerator,
    TrajectoryScaler,
    VelocityTransformer,
    classifier_two_sample_test,
    compare_trajectory_statistics,
    displacement_drift_test,
    resample_trajectories,
    trajectory_statistics,
)
# The hand-written loop reuses the estimator's data pipeline, so both train on the same windows.
from sklearn_cells.trajectory._generator import _Collate, _symmetrized, _WindowDataset

from _machine import machine  # benchmarks/_machine.py, beside this script

RESULTS = Path(__file__).resolve().parent / "results"
CLASSES_2D = ("plastic", "fibronectin")


def load_data(random_state=0, n_draws=1):
    """``n_draws`` make_trajectories() draws from ``random_state`` on, pooled,
    at the seed's common 5 min sampling."""
    X5, y = [], []
    for seed in range(random_state, random_state + n_draws):
        X, labels, intervals = make_trajectories(return_intervals=True, random_state=seed)
        X5 += resample_trajectories(X, intervals, 5.0)
        y += list(labels)
    return X5, np.asarray(y)


def sync(device):
    if device.startswith("cuda"):
        torch.cuda.synchronize()


# -- (a) sampling ---------------------------------------------------------------------


def bench_sampling(gen, device, n_traj, n_steps, loop_traj, repeats):
    label = gen.classes_[0]
    gen.sample(10, n_steps=20, y=label, random_state=0)  # warm-up
    batched = []
    for r in range(repeats):
        sync(device)
        t0 = time.perf_counter()
        gen.sample(n_traj, n_steps=n_steps + 1, y=label, random_state=r)
        sync(device)
        batched.append(time.perf_counter() - t0)
    sync(device)
    t0 = time.perf_counter()
    for i in range(loop_traj):
        gen.sample(1, n_steps=n_steps + 1, y=label, random_state=i)
    sync(device)
    loop = (time.perf_counter() - t0) * n_traj / loop_traj
    best = min(batched)
    return {
        "n_trajectories": n_traj,
        "n_steps": n_steps,
        "batched_s": best,
        "loop_s": loop,
        "loop_timed_trajectories": loop_traj,
        "speedup": loop / best,
    }


# -- (b) training overhead --------------------------------------------------------------


def _prepared(gen_params, X, y):
    """The windows and module the estimator builds, for the hand-written loop."""
    velocities = VelocityTransformer().fit_transform(X)
    symmetry = gen_params["symmetry"]
    scaler = TrajectoryScaler(method=gen_params["scaler_method"], clip=None).fit(
        velocities if symmetry is None else _symmetrized(velocities, symmetry)
    )
    classes, y_enc = np.unique(y, return_inverse=True)
    dataset = _WindowDataset(
        scaler.transform(velocities), y_enc, gen_params["crop_length"],
        balanced=gen_params["balance_classes"],
    )
    return dataset, len(classes)


def hand_written_epochs(gen_params, X, y, device, epochs, seed=0):
    dataset, n_classes = _prepared(gen_params, X, y)
    times = []
    with torch_seed_context(seed, device):
        model = LSTMMixtureDensityNetwork(
            X[0].shape[1],
            n_classes=n_classes,
            ema_decays=tuple(gen_params["ema_decays"]),
            **{name: gen_params[name] for name in (
                "hidden_size", "n_layers", "n_components", "covariance", "n_profiles",
                "running_mean", "position_offset", "running_persistence", "autoregressive",
            )},
        ).to(device)
        optimizer = torch.optim.Adam(model.parameters(), lr=gen_params["lr"])
        loader = DataLoader(
            dataset, batch_size=gen_params["batch_size"], shuffle=True,
            collate_fn=_Collate(gen_params["symmetry"]),
        )
        scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs)
        for _ in range(epochs):
            sync(device)
            t0 = time.perf_counter()
            model.train()
            for batch, _ in loader:
                batch = {k: v.to(device) for k, v in batch.items()}
                log_lik = model.log_likelihood(
                    batch["inputs"], batch["targets"], batch["mask"], batch["labels"]
                )
                loss = -log_lik.sum() / batch["mask"].sum()
                optimizer.zero_grad()
                loss.backward()
                torch.nn.utils.clip_grad_norm_(model.parameters(), gen_params["gradient_clip"])
                optimizer.step()
            scheduler.step()
            sync(device)
            times.append(time.perf_counter() - t0)
    return times


def bench_training(X, y, device, epochs, repeats):
    est = MDNTrajectoryGenerator(max_epochs=epochs, device=device, random_state=0)
    params = est.get_params()
    # warm-up both
    MDNTrajectoryGenerator(max_epochs=1, device=device, random_state=0).fit(X, y)
    hand_written_epochs(params, X, y, device, 1)
    ours, hand = [], []
    for _ in range(repeats):  # interleaved, so load changes hit both alike
        fitted = MDNTrajectoryGenerator(**{**params, "max_epochs": epochs}).fit(X, y)
        ours += [row["dur"] for row in fitted.history_]
        hand += hand_written_epochs(params, X, y, device, epochs)
    return {
        "epochs_timed": len(ours),
        "windows_per_epoch": len(_prepared(params, X, y)[0]),
        "estimator_s_per_epoch": float(np.median(ours)),
        "hand_written_s_per_epoch": float(np.median(hand)),
        "ratio": float(np.median(ours) / np.median(hand)),
    }


# -- (c) quality --------------------------------------------------------------------------


def gaussian_baseline(X_train, n, n_steps, rng):
    """i.i.d. Gaussian velocities with the class's mean and covariance."""
    V = np.concatenate([np.diff(x, axis=0) for x in X_train])
    steps = rng.multivariate_normal(V.mean(0), np.cov(V, rowvar=False), size=(n, n_steps - 1))
    return np.concatenate([np.zeros((n, 1, V.shape[1])), np.cumsum(steps, axis=1)], axis=1)


def _bootstrap_std_interval(values, rng, n_boot=2000, level=0.9):
    draws = rng.choice(values, size=(n_boot, len(values)), replace=True).std(axis=1)
    return [float(q) for q in np.quantile(draws, [(1 - level) / 2, (1 + level) / 2])]


def level_persistence(X):
    """Correlation, over trajectories, of the log mean speed in the first and
    second halves: how well a cell keeps its own speed level."""
    speeds = [np.linalg.norm(np.diff(x, axis=0), axis=1) for x in X]
    halves = np.log([[s[: len(s) // 2].mean(), s[len(s) // 2 :].mean()] for s in speeds])
    return float(np.corrcoef(halves.T)[0, 1])


def c2st(real, other, seed=0):
    """Classifier two-sample AUC and its bootstrap 95 % interval (no permutations:
    the question is whether the AUC is below a bar, which the interval answers)."""
    result = classifier_two_sample_test(real, other, n_permutations=0, random_state=seed)
    return {"auc": result.auc, "interval_95": list(result.interval), "n_per_set": result.n_real}


def _fit(params, X, y):
    """One fit, timed; run in a worker process (one torch thread each)."""
    torch.set_num_threads(1)
    t0 = time.perf_counter()
    gen = MDNTrajectoryGenerator(**params).fit(X, y)
    return gen, time.perf_counter() - t0


def _individuality(generated, reference):
    """Ratios of the generated per-trajectory statistics to a reference set's:
    spread and mean of the mean speed and of the persistence (lag-1 velocity
    autocorrelation), and both sets' level persistence."""
    g, r = trajectory_statistics(generated, dt=5.0), trajectory_statistics(reference, dt=5.0)
    return {
        "speed_spread": float(g["mean_speed"].std() / r["mean_speed"].std()),
        "speed_mean": float(g["mean_speed"].mean() / r["mean_speed"].mean()),
        "persistence_mean": float(g["persistence"].mean() / r["persistence"].mean()),
        "persistence_spread": float(g["persistence"].std() / r["persistence"].std()),
        "level_persistence": level_persistence(generated),
        "level_persistence_reference": level_persistence(reference),
    }


WASSERSTEIN_STATISTICS = ("speed", "turning_angle", "persistence", "local_persistence", "msd_exponent")


def quality_split(X, y):
    """The training and held-out tracks of (c)."""
    idx_train, idx_test = train_test_split(
        np.arange(len(X)), test_size=0.25, stratify=y, random_state=0
    )
    return [X[i] for i in idx_train], y[idx_train], [X[i] for i in idx_test], y[idx_test]


def quality_jobs(X, y, device, max_epochs, fit_seeds):
    """The fits (c) needs: the model for each fit seed and the two likelihood
    baselines, as ``{key: (params, X, y)}``."""
    X_train, y_train, _, _ = quality_split(X, y)
    params = dict(device=device, random_state=0, max_epochs=max_epochs)
    jobs = {("seed", seed): {**params, "random_state": seed} for seed in fit_seeds}
    jobs["single"] = {**params, "n_components": 1}
    jobs["untrained"] = {**params, "max_epochs": 1, "lr": 1e-12}  # initial weights, one no-op epoch
    return {key: (p, X_train, y_train) for key, p in jobs.items()}


def bench_quality(X, y, fitted, max_epochs, n_generated, n_independent_draws, fit_seeds, n_jobs,
                  training_draws=1):
    X_train, y_train, X_test, y_test = quality_split(X, y)
    gen, fit_s = fitted[("seed", fit_seeds[0])]
    out = {
        "fit_s": fit_s,
        "fit_s_by_seed": {seed: fitted[("seed", seed)][1] for seed in fit_seeds},
        "n_jobs": n_jobs,
        "max_epochs": max_epochs,
        "n_train": len(X_train),
        "n_test": len(X_test),
        "n_generated": n_generated,
        "n_independent_draws": n_independent_draws,
        "training_draws": training_draws,
        "heldout_loglik": gen.score(X_test, y_test),
        "heldout_loglik_marginal": gen.score(X_test),
        "heldout_loglik_1_component": fitted["single"][0].score(X_test, y_test),
        "heldout_loglik_untrained": fitted["untrained"][0].score(X_test, y_test),
        "heldout_loglik_by_seed": {
            seed: fitted[("seed", seed)][0].score(X_test, y_test) for seed in fit_seeds
        },
        "classes": {},
    }
    # The held-out split has few trajectories per class (16 of collagen), too
    # few to pin down a spread: the variation bars are read against fresh
    # draws of make_trajectories(), none of which trained the model.
    X_fresh, y_fresh = [], []
    for seed in range(training_draws, training_draws + n_independent_draws):
        X_draw, y_draw = load_data(random_state=seed)
        X_fresh += X_draw
        y_fresh += list(y_draw)
    y_fresh = np.asarray(y_fresh)
    out["n_independent"] = len(X_fresh)
    rng = np.random.RandomState(1)
    z_extent = {}
    for c in gen.classes_:
        real = [x for x, label in zip(X_test, y_test) if label == c]
        n_steps = int(np.median([len(x) for x in real]))
        generated = gen.sample(n_generated, n_steps=n_steps, y=c, random_state=1)
        baseline = gaussian_baseline(
            [x for x, label in zip(X_train, y_train) if label == c], n_generated, n_steps, rng
        )
        s_real, s_gen = trajectory_statistics(real, dt=5.0), trajectory_statistics(generated, dt=5.0)
        t_base = compare_trajectory_statistics(s_real, baseline, dt=5.0)
        names = list(t_base["statistic"])
        fresh = [x for x, label in zip(X_fresh, y_fresh) if label == c]
        train = [x for x, label in zip(X_train, y_train) if label == c]
        row = {
            "n_steps": n_steps,
            "baseline_wasserstein": {
                k: float(t_base["wasserstein"][names.index(k)]) for k in WASSERSTEIN_STATISTICS
            },
            "mean_speed_mean": {"real": float(s_real["mean_speed"].mean()), "generated": float(s_gen["mean_speed"].mean())},
            "mean_speed_std": {"real": float(s_real["mean_speed"].std()), "generated": float(s_gen["mean_speed"].std())},
            "z_extent": {"real": float(s_real["extent"][:, 2].mean()), "generated": float(s_gen["extent"][:, 2].mean())},
            "z_smoothed_extent": {
                "real": float(s_real["smoothed_extent"][:, 2].mean()),
                "generated": float(s_gen["smoothed_extent"][:, 2].mean()),
            },
            "drift_pvalue": {
                "real": displacement_drift_test(real)[1],
                "generated": displacement_drift_test(generated)[1],
                "generated_xy": displacement_drift_test(generated, dims=(0, 1))[1],
                "generated_z": displacement_drift_test(generated, dims=(2,))[1],
            },
            # How far the training tracks themselves are from fresh draws: a
            # model that learns its training data faithfully inherits this.
            "training_vs_fresh": _individuality(train, fresh),
        }
        std = row["mean_speed_std"]
        std["ratio"] = std["generated"] / std["real"]
        std["real_interval_90"] = _bootstrap_std_interval(s_real["mean_speed"], rng)
        std["independent"] = float(trajectory_statistics(fresh, dt=5.0)["mean_speed"].std())
        std["n_independent"] = len(fresh)
        # Against fresh draws: hundreds of tracks per class (the held-out split
        # has as few as 16), all as long as the generated ones.
        row["c2st"] = {
            "gaussian_baseline": c2st(fresh, baseline),
            "real_vs_real": c2st(fresh[: len(fresh) // 2], fresh[len(fresh) // 2 :]),
        }
        out["classes"][str(c)] = row
        z_extent[str(c)] = row
    # Every bar, for every fit seed: the spread of generated cells varies from
    # fit to fit.
    out["by_seed"] = {}
    z_collagen = out["classes"].get("collagen", {}).get("z_smoothed_extent", {}).get("real")
    for seed in fit_seeds:
        model = fitted[("seed", seed)][0]
        out["by_seed"][seed] = {}
        for c in gen.classes_:
            row = out["classes"][str(c)]
            real = [x for x, label in zip(X_test, y_test) if label == c]
            fresh = [x for x, label in zip(X_fresh, y_fresh) if label == c]
            train = [x for x, label in zip(X_train, y_train) if label == c]
            generated = model.sample(n_generated, n_steps=row["n_steps"], y=c, random_state=1)
            t_gen = compare_trajectory_statistics(real, generated, dt=5.0)
            names = list(t_gen["statistic"])
            wasserstein = {k: float(t_gen["wasserstein"][names.index(k)]) for k in WASSERSTEIN_STATISTICS}
            s_gen = trajectory_statistics(generated, dt=5.0)
            out["by_seed"][seed][str(c)] = {
                "vs_fresh": _individuality(generated, fresh),
                "vs_training": _individuality(generated, train),
                "c2st": c2st(fresh, generated),
                "wasserstein": wasserstein,
                "wasserstein_below_baseline": int(sum(
                    wasserstein[k] < row["baseline_wasserstein"][k] for k in WASSERSTEIN_STATISTICS
                )),
                "drift_pvalue": displacement_drift_test(generated)[1],
                "z_smoothed_extent_ratio_to_collagen_real": float(
                    s_gen["smoothed_extent"][:, 2].mean() / z_collagen
                ) if z_collagen else None,
            }
    for c in CLASSES_2D:
        if c in z_extent and "collagen" in z_extent:
            for key in ("z_extent", "z_smoothed_extent"):
                z_extent[c][key]["ratio_to_collagen_real"] = {
                    who: z_extent[c][key][who] / z_extent["collagen"][key]["real"]
                    for who in ("real", "generated")
                }
    return out


# -- report --------------------------------------------------------------------------------


def _ratio(by, key):
    """'fresh (training)' ratio text for one statistic."""
    return f"{by['vs_fresh'][key]:.2f} ({by['vs_training'][key]:.2f})"


def markdown(results) -> str:
    m = results["machine"]
    lines = [
        f"# MDNTrajectoryGenerator benchmark ({m['device']})",
        "",
        f"Machine: {m['processor']}, {m['cpu_cores']} cores, torch {m['torch']} "
        f"({m['torch_threads']} thread(s)), device `{m['device']}`"
        + (f" ({m['gpu']})" if "gpu" in m else "") + ".",
        f"Command: `{results['command']}`" + (
            f", {results['total_s'] / 60:.1f} min in all." if "total_s" in results else ""
        ),
        "",
    ]
    if "fit" in results:
        f = results["fit"]
        lines += [
            "## Default fit on the whole make_trajectories() set",
            "",
            f"{f['n_trajectories']} trajectories, {f['max_epochs']} epochs: {f['fit_s']:.0f} s "
            f"(target < 300 s; one torch thread, run beside the fits of (c), {f['n_jobs']} at a "
            "time).",
            "",
        ]
    if "sampling" in results:
        s = results["sampling"]
        lines += [
            "## (a) Sampling 1,000 x 1,000 steps: batched vs per-trajectory loop",
            "",
            "| batched (s) | loop (s) | speed-up | target |",
            "| --- | --- | --- | --- |",
            f"| {s['batched_s']:.2f} | {s['loop_s']:.1f} (timed on {s['loop_timed_trajectories']} "
            f"trajectories, scaled) | {s['speedup']:.0f}x | >= 50x |",
            "",
        ]
    if "training" in results:
        t = results["training"]
        lines += [
            "## (b) Training time per epoch vs a hand-written PyTorch loop",
            "",
            "| estimator (s/epoch) | hand-written (s/epoch) | ratio | target |",
            "| --- | --- | --- | --- |",
            f"| {t['estimator_s_per_epoch']:.3f} | {t['hand_written_s_per_epoch']:.3f} | "
            f"{t['ratio']:.3f} | <= 1.10 |",
            "",
            f"Median over {t['epochs_timed']} epochs each ({t['windows_per_epoch']} windows per "
            "epoch), interleaved.",
            "",
        ]
    if "quality" in results:
        q = results["quality"]
        seeds = q["by_seed"]
        first = next(iter(seeds))
        lines += [
            "## (c) Quality on held-out make_trajectories() data (5 min sampling)",
            "",
            f"{q['n_train']} training / {q['n_test']} held-out trajectories"
            + (f" (from {q['training_draws']} pooled make_trajectories() draws)"
               if q.get("training_draws", 1) > 1 else "") + ", "
            f"max_epochs={q['max_epochs']}; fits "
            + ", ".join(f"{t:.0f} s" for t in q["fit_s_by_seed"].values())
            + f" (fit seeds {', '.join(str(k) for k in seeds)}; {q['n_jobs']} at a time).",
            "",
            "| held-out log-likelihood per step | value |",
            "| --- | --- |",
            "| fitted (class given), fit seeds "
            + " / ".join(str(k) for k in seeds) + " | "
            + " / ".join(f"{v:.3f}" for v in q["heldout_loglik_by_seed"].values()) + " |",
            f"| fitted (classes marginalised), seed {first} | {q['heldout_loglik_marginal']:.3f} |",
            f"| n_components=1 | {q['heldout_loglik_1_component']:.3f} |",
            f"| untrained | {q['heldout_loglik_untrained']:.3f} |",
            "",
            "Every bar for every fit seed. Ratios are generated / real per-trajectory statistics "
            f"({q['n_generated']} generated per class), against {q['n_independent']} trajectories of "
            f"{q['n_independent_draws']} fresh make_trajectories() draws and, in brackets, against "
            "the training tracks the model learned from. Targets: spread of the mean speed and of "
            "the persistence 0.75-1.25; mean persistence 0.85-1.15; classifier two-sample AUC "
            "<= 0.70 (against fresh draws; gradient boosting on TrajectoryFeatures, 5 folds); "
            "Wasserstein distance to the held-out tracks below the i.i.d. Gaussian baseline's for "
            "all 5 statistics; no drift (p > 0.05); smoothed z extent of the 2-D classes at most "
            "0.10 of real collagen's. Level persistence: correlation over trajectories of the log "
            "mean speed of the first and second halves.",
            "",
            "| class | seed | speed spread | mean speed | persistence spread | mean persistence "
            "| level persistence | C2ST AUC | Wasserstein < baseline | drift p | z |",
            "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
        ]
        for c, row in q["classes"].items():
            for seed, by_class in seeds.items():
                b = by_class[c]
                z = b["z_smoothed_extent_ratio_to_collagen_real"]
                lines.append(
                    f"| {c} | {seed} | {_ratio(b, 'speed_spread')} | {_ratio(b, 'speed_mean')} "
                    f"| {_ratio(b, 'persistence_spread')} | {_ratio(b, 'persistence_mean')} "
                    f"| {b['vs_fresh']['level_persistence']:.2f} | {b['c2st']['auc']:.3f} "
                    f"| {b['wasserstein_below_baseline']} of 5 | {b['drift_pvalue']:.2f} "
                    f"| {'' if z is None or c not in CLASSES_2D else f'{z:.3f}'} |"
                )
            t = row["training_vs_fresh"]
            lines.append(
                f"| {c} | training tracks / fresh | {t['speed_spread']:.2f} | {t['speed_mean']:.2f} "
                f"| {t['persistence_spread']:.2f} | {t['persistence_mean']:.2f} "
                f"| {t['level_persistence']:.2f} (fresh {t['level_persistence_reference']:.2f}) "
                "| | | | |"
            )
        lines += [
            "",
            "The rows 'training tracks / fresh' compare the training split itself with the fresh "
            "draws: a generator that reproduces its training data faithfully inherits these "
            "ratios against fresh draws."
            + ("" if q.get("training_draws", 1) > 1 else
               " One draw's split can stray from the population by more than the bars allow; "
               "the default run trains on three pooled draws (`mdn_cpu.md`)."),
            "",
            f"Wasserstein distance to held-out real statistics, fit seed {first} / i.i.d. Gaussian "
            "baseline:",
            "",
            "| class | speed | turning angle | persistence | local persistence | MSD exponent |",
            "| --- | --- | --- | --- | --- | --- |",
        ]
        for c, r in q["classes"].items():
            w = seeds[first][c]["wasserstein"]
            lines.append(
                f"| {c} | "
                + " | ".join(
                    f"{w[k]:.3f} / {r['baseline_wasserstein'][k]:.3f}" for k in WASSERSTEIN_STATISTICS
                )
                + " |"
            )
        lines += [
            "",
            f"Spread of the per-trajectory mean speed, fit seed {first}, against the held-out split "
            "(with its bootstrap 90 % interval) and against the fresh draws:",
            "",
            "| class | generated | held-out split (90 % interval) | ratio | fresh draws (n) | ratio |",
            "| --- | --- | --- | --- | --- | --- |",
        ]
        for c, r in q["classes"].items():
            std = r["mean_speed_std"]
            low, high = std["real_interval_90"]
            lines.append(
                f"| {c} | {std['generated']:.3f} | {std['real']:.3f} ({low:.3f}-{high:.3f}) "
                f"| {std['ratio']:.2f} | {std['independent']:.3f} ({std['n_independent']}) "
                f"| {std['generated'] / std['independent']:.2f} |"
            )
        lines += [
            "",
            f"Fit seed {first}:",
            "",
            "| class | mean speed real / gen "
            "| z extent real / gen | smoothed z extent real / gen | drift p real / gen (xy, z) |",
            "| --- | --- | --- | --- | --- |",
        ]
        for c, r in q["classes"].items():
            d = r["drift_pvalue"]
            lines.append(
                f"| {c} | {r['mean_speed_mean']['real']:.3f} / {r['mean_speed_mean']['generated']:.3f} "
                f"| {r['z_extent']['real']:.1f} / {r['z_extent']['generated']:.1f} "
                f"| {r['z_smoothed_extent']['real']:.1f} / {r['z_smoothed_extent']['generated']:.1f} "
                f"| {d['real']:.3f} / {d['generated']:.3g} ({d['generated_xy']:.3g}, {d['generated_z']:.3g}) |"
            )
        lines += [
            "",
            "Classifier two-sample test against the fresh draws, with its bootstrap 95 % interval, "
            "beside the same for the i.i.d. Gaussian baseline and real against real (two halves of "
            "the fresh draws: what chance gives at this sample size):",
            "",
            f"| class | tracks per set | generated, seed {first} (95 % interval) "
            "| Gaussian baseline | real vs real |",
            "| --- | --- | --- | --- | --- |",
        ]
        for c, r in q["classes"].items():
            t = r["c2st"]
            g = seeds[first][c]["c2st"]
            lines.append(
                f"| {c} | {g['n_per_set']} | {g['auc']:.3f} ({g['interval_95'][0]:.3f}-"
                f"{g['interval_95'][1]:.3f}) | {t['gaussian_baseline']['auc']:.3f} "
                f"| {t['real_vs_real']['auc']:.3f} ({t['real_vs_real']['interval_95'][0]:.3f}-"
                f"{t['real_vs_real']['interval_95'][1]:.3f}) |"
            )
        ratios = [
            f"{c}: raw {q['classes'][c]['z_extent']['ratio_to_collagen_real']['real']:.2f} real, "
            f"{q['classes'][c]['z_extent']['ratio_to_collagen_real']['generated']:.2f} generated; "
            f"smoothed {q['classes'][c]['z_smoothed_extent']['ratio_to_collagen_real']['real']:.2f} real, "
            f"{q['classes'][c]['z_smoothed_extent']['ratio_to_collagen_real']['generated']:.2f} generated"
            for c in CLASSES_2D
            if c in q["classes"] and "ratio_to_collagen_real" in q["classes"][c]["z_extent"]
        ]
        if ratios:
            lines += ["", f"z extent relative to real collagen's (seed {first}): " + "; ".join(ratios) + "."]
        lines.append("")
    for note in results.get("notes", []):
        lines.append(f"Note: {note}")
    return "\n".join(lines) + "\n"


SECTIONS = ("fit", "sampling", "training", "quality")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, smoke run")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--loop-trajectories", type=int, default=None)
    parser.add_argument("--skip", nargs="*", default=[], choices=SECTIONS)
    parser.add_argument("--quality-epochs", type=int, default=None)
    parser.add_argument("--n-jobs", type=int, default=2, help="parallel fits in (c)")
    parser.add_argument(
        "--training-draws", type=int, default=3,
        help="(c) trains and holds out on this many pooled make_trajectories() draws "
        "(seeds 0, 1, ...); the fresh draws follow them",
    )
    args = parser.parse_args(argv)
    torch.set_num_threads(1 if args.device == "cpu" else torch.get_num_threads())
    start = time.perf_counter()

    results = {"machine": machine(args.device), "command": "python " + " ".join(sys.argv), "notes": []}
    if args.device.startswith("cuda") and not torch.cuda.is_available():
        results["notes"].append("CUDA requested but not available: nothing was run on CUDA.")
        print(markdown(results))
        return results
    X, y = load_data()
    # Every fit at once, n_jobs at a time (one torch thread each): the defaults
    # on the whole set, timed, and the fits that (c) needs.
    epochs = args.quality_epochs or (5 if args.quick else MDNTrajectoryGenerator().max_epochs)
    fit_seeds = (0,) if args.quick else (0, 1, 2)
    n_jobs = 1 if args.device.startswith("cuda") else args.n_jobs
    jobs = {}
    if "fit" not in args.skip:
        jobs["whole set"] = (
            dict(device=args.device, random_state=0, **({"max_epochs": 2} if args.quick else {})),
            X, y,
        )
    X_quality, y_quality = load_data(n_draws=args.training_draws)
    if "quality" not in args.skip:
        jobs.update(quality_jobs(X_quality, y_quality, args.device, epochs, fit_seeds))
    fitted = dict(zip(jobs, Parallel(n_jobs=n_jobs)(
        delayed(_fit)(params, X_fit, y_fit) for params, X_fit, y_fit in jobs.values()
    )))
    gen = None
    if "fit" not in args.skip:
        gen, fit_s = fitted["whole set"]
        results["fit"] = {
            "n_trajectories": len(X), "max_epochs": gen.max_epochs, "fit_s": fit_s,
            "n_jobs": n_jobs,
        }
        print(results["fit"], flush=True)
    if "sampling" not in args.skip:
        # Sampling speed depends on the model's size, not on how well it is trained.
        if gen is None:
            gen = MDNTrajectoryGenerator(max_epochs=1, device=args.device, random_state=0).fit(X, y)
        n = 100 if args.quick else 1000
        loop = args.loop_trajectories or (5 if args.quick else 20)
        results["sampling"] = bench_sampling(gen, args.device, n, n, loop, 1 if args.quick else 3)
        print(results["sampling"], flush=True)
    if "training" not in args.skip:
        results["training"] = bench_training(
            X, y, args.device, epochs=1 if args.quick else 3, repeats=1 if args.quick else 3
        )
        print(results["training"], flush=True)
    if "quality" not in args.skip:
        results["quality"] = bench_quality(
            X_quality, y_quality, fitted, epochs, n_generated=40 if args.quick else 300,
            n_independent_draws=1 if args.quick else 5, fit_seeds=fit_seeds, n_jobs=n_jobs,
            training_draws=args.training_draws,
        )
        print(json.dumps(results["quality"], indent=1, default=float), flush=True)
    results["total_s"] = time.perf_counter() - start

    RESULTS.mkdir(exist_ok=True)
    name = "mdn_" + args.device.replace(":", "") + ("_quick" if args.quick else "")
    if args.skip:  # a partial run must not overwrite the full results
        name += "_" + "_".join(p for p in SECTIONS if p not in args.skip)
    if args.training_draws != 3:
        name += f"_{args.training_draws}draws"
    (RESULTS / f"{name}.json").write_text(json.dumps(results, indent=1, default=float))
    (RESULTS / f"{name}.md").write_text(markdown(results))
    print(markdown(results))
    return results


if __name__ == "__main__":
    main()
