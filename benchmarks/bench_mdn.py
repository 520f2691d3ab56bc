"""Benchmark MDNTrajectoryGenerator: sampling, training overhead and sample quality.

Run from the repository root::

    python benchmarks/bench_mdn.py            # a few minutes on a 2-core CPU
    python benchmarks/bench_mdn.py --quick    # smoke run (~1 min)

(a) Sampling 1,000 trajectories x 1,000 steps: all trajectories advancing
    together one batched step at a time (``sample``), against a loop over
    trajectories of the same model, one stateful step at a time (the seed's
    approach). The loop is timed on ``--loop-trajectories`` trajectories and
    scaled to 1,000 (each trajectory costs the same; ``--loop-trajectories
    1000`` runs them all). Target: batched at least 50x faster.
(b) Training time per epoch of the estimator against a hand-written PyTorch
    loop training the same module on the same windows (same batches,
    optimizer and gradient clipping). Target: at most 1.10x.
(c) Quality on held-out ``make_trajectories()`` data (the issue's "Must
    reach" list): held-out log-likelihood against n_components=1 and the
    untrained model; per class, distances between generated and real
    statistics against an i.i.d. Gaussian-velocity baseline; spread of the
    per-trajectory mean speed, against the held-out split and against fresh
    draws of ``make_trajectories()``; z extent of the 2-D classes; drift;
    per class, the classifier two-sample test (``classifier_two_sample_test``,
    gradient boosting on ``TrajectoryFeatures``): out-of-fold ROC AUC of
    generated against fresh real tracks (target <= 0.70; 0.5 means
    indistinguishable), beside the same AUC for the i.i.d. Gaussian baseline
    and for real against real (two halves of the fresh draws: what chance
    gives at this sample size).

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


def load_data(random_state=0):
    X, y, intervals = make_trajectories(return_intervals=True, random_state=random_state)
    X5 = resample_trajectories(X, intervals, 5.0)  # the seed's common 5 min
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
    scaler = TrajectoryScaler(method=gen_params["scaling"], clip=None).fit(
        velocities if symmetry is None else _symmetrized(velocities, symmetry)
    )
    classes, y_enc = np.unique(y, return_inverse=True)
    dataset = _WindowDataset(scaler.transform(velocities), y_enc, gen_params["window_length"])
    return dataset, len(classes)


def hand_written_epochs(gen_params, X, y, device, epochs, seed=0):
    dataset, n_classes = _prepared(gen_params, X, y)
    times = []
    with torch_seed_context(seed, device):
        model = LSTMMixtureDensityNetwork(
            X[0].shape[1],
            hidden_size=gen_params["hidden_size"],
            n_layers=gen_params["n_layers"],
            n_components=gen_params["n_components"],
            covariance=gen_params["covariance"],
            n_classes=n_classes,
            n_profiles=gen_params["n_profiles"],
            ema_decays=tuple(gen_params["ema_decays"]),
            running_mean=gen_params["running_mean"],
            position_offset=gen_params["position_offset"],
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


def bench_quality(X, y, device, max_epochs, n_generated, n_independent_draws, fit_seeds):
    idx_train, idx_test = train_test_split(
        np.arange(len(X)), test_size=0.25, stratify=y, random_state=0
    )
    X_train, y_train = [X[i] for i in idx_train], y[idx_train]
    X_test, y_test = [X[i] for i in idx_test], y[idx_test]
    params = dict(device=device, random_state=0, max_epochs=max_epochs)
    t0 = time.perf_counter()
    gen = MDNTrajectoryGenerator(**params).fit(X_train, y_train)
    fit_s = time.perf_counter() - t0
    single = MDNTrajectoryGenerator(**{**params, "n_components": 1}).fit(X_train, y_train)
    untrained = MDNTrajectoryGenerator(**{**params, "max_epochs": 0}).fit(X_train, y_train)
    out = {
        "fit_s": fit_s,
        "max_epochs": max_epochs,
        "n_train": len(X_train),
        "n_test": len(X_test),
        "n_generated": n_generated,
        "n_independent_draws": n_independent_draws,
        "heldout_loglik": gen.score(X_test, y_test),
        "heldout_loglik_marginal": gen.score(X_test),
        "heldout_loglik_1_component": single.score(X_test, y_test),
        "heldout_loglik_untrained": untrained.score(X_test, y_test),
        "classes": {},
    }
    # The held-out split has few trajectories per class (16 of collagen), too
    # few to pin down a spread: the variation bar is also checked against
    # fresh draws of make_trajectories(), none of which trained the model.
    X_fresh, y_fresh = [], []
    for seed in range(1, n_independent_draws + 1):
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
        t_gen = compare_trajectory_statistics(s_real, s_gen)
        t_base = compare_trajectory_statistics(s_real, baseline, dt=5.0)
        names = list(t_gen["statistic"])
        row = {
            "wasserstein": {
                k: {
                    "generated": float(t_gen["wasserstein"][names.index(k)]),
                    "gaussian_baseline": float(t_base["wasserstein"][names.index(k)]),
                }
                for k in ("speed", "turning_angle", "persistence", "local_persistence", "msd_exponent")
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
        }
        std = row["mean_speed_std"]
        std["ratio"] = std["generated"] / std["real"]
        std["real_interval_90"] = _bootstrap_std_interval(s_real["mean_speed"], rng)
        fresh = [x for x, label in zip(X_fresh, y_fresh) if label == c]
        std["independent"] = float(trajectory_statistics(fresh, dt=5.0)["mean_speed"].std())
        std["n_independent"] = len(fresh)
        std["ratio_independent"] = std["generated"] / std["independent"]
        std["level_persistence"] = {
            "independent": level_persistence(fresh), "generated": level_persistence(generated)
        }
        # Against fresh draws: hundreds of tracks per class (the held-out split
        # has as few as 16), all as long as the generated ones.
        row["c2st"] = {
            "generated": c2st(fresh, generated),
            "gaussian_baseline": c2st(fresh, baseline),
            "real_vs_real": c2st(fresh[: len(fresh) // 2], fresh[len(fresh) // 2 :]),
        }
        out["classes"][str(c)] = row
        z_extent[str(c)] = row
    # The spread of generated cells varies from fit to fit: repeat the check
    # with other seeds of the same model.
    out["variation_by_seed"] = {}
    for seed in fit_seeds:
        refit = gen if seed == params["random_state"] else MDNTrajectoryGenerator(
            **{**params, "random_state": seed}
        ).fit(X_train, y_train)
        out["variation_by_seed"][seed] = {}
        for c in gen.classes_:
            n_steps = int(np.median([len(x) for x, label in zip(X_test, y_test) if label == c]))
            generated = refit.sample(n_generated, n_steps=n_steps, y=c, random_state=1)
            spread = float(trajectory_statistics(generated, dt=5.0)["mean_speed"].std())
            fresh = [x for x, label in zip(X_fresh, y_fresh) if label == c]
            out["variation_by_seed"][seed][str(c)] = {
                "c2st_auc": c2st(fresh, generated)["auc"],
                "ratio_independent": spread / out["classes"][str(c)]["mean_speed_std"]["independent"],
                "level_persistence": level_persistence(generated),
                "z_smoothed_extent_ratio_to_collagen_real": float(
                    trajectory_statistics(generated, dt=5.0)["smoothed_extent"][:, 2].mean()
                    / out["classes"]["collagen"]["z_smoothed_extent"]["real"]
                ) if "collagen" in out["classes"] else None,
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


def markdown(results) -> str:
    m = results["machine"]
    lines = [
        f"# MDNTrajectoryGenerator benchmark ({m['device']})",
        "",
        f"Machine: {m['processor']}, {m['cpu_cores']} cores, torch {m['torch']} "
        f"({m['torch_threads']} thread(s)), device `{m['device']}`"
        + (f" ({m['gpu']})" if "gpu" in m else "") + ".",
        f"Command: `{results['command']}`",
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
        lines += [
            "## (c) Quality on held-out make_trajectories() data (5 min sampling)",
            "",
            f"{q['n_train']} training / {q['n_test']} held-out trajectories, "
            f"max_epochs={q['max_epochs']}, fit {q['fit_s']:.0f} s.",
            "",
            "| held-out log-likelihood per step | value |",
            "| --- | --- |",
            f"| fitted (class given) | {q['heldout_loglik']:.3f} |",
            f"| fitted (classes marginalised) | {q['heldout_loglik_marginal']:.3f} |",
            f"| n_components=1 | {q['heldout_loglik_1_component']:.3f} |",
            f"| untrained | {q['heldout_loglik_untrained']:.3f} |",
            "",
            "Wasserstein distance to held-out real statistics, generated / i.i.d. Gaussian baseline:",
            "",
            "| class | speed | turning angle | persistence | local persistence | MSD exponent |",
            "| --- | --- | --- | --- | --- | --- |",
        ]
        for c, r in q["classes"].items():
            w = r["wasserstein"]
            lines.append(
                f"| {c} | "
                + " | ".join(
                    f"{w[k]['generated']:.3f} / {w[k]['gaussian_baseline']:.3f}"
                    for k in ("speed", "turning_angle", "persistence", "local_persistence", "msd_exponent")
                )
                + " |"
            )
        lines += [
            "",
            f"Variation: std of the per-trajectory mean speed, generated ({q['n_generated']} per "
            "class) against the held-out split (with its bootstrap 90 % interval) and against "
            f"{q['n_independent']} trajectories of {q['n_independent_draws']} fresh "
            "make_trajectories() draws (target: ratio within 0.75-1.25):",
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
                f"| {std['ratio_independent']:.2f} |"
            )
        seeds = q["variation_by_seed"]
        lines += [
            "",
            "The same ratio against fresh draws for fits with other seeds; level "
            "persistence (correlation over trajectories of the log mean speed of the first "
            "and second halves; fresh draws in the header); smoothed z extent of the 2-D "
            "classes relative to real collagen's (target at most 0.10):",
            "",
            "| random_state | "
            + " | ".join(
                f"{c} ratio | {c} persistence ({r['mean_speed_std']['level_persistence']['independent']:.2f})"
                for c, r in q["classes"].items()
            )
            + " | z " + ", ".join(CLASSES_2D) + " |",
            "| --- |" + " --- | --- |" * len(q["classes"]) + " --- |",
        ]
        for seed, by_class in seeds.items():
            lines.append(
                f"| {seed} | "
                + " | ".join(
                    f"{v['ratio_independent']:.2f} | {v['level_persistence']:.2f}"
                    for v in by_class.values()
                )
                + " | "
                + ", ".join(
                    f"{by_class[c]['z_smoothed_extent_ratio_to_collagen_real']:.3f}"
                    for c in CLASSES_2D if c in by_class
                )
                + " |"
            )
        lines += [
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
            "Classifier two-sample test, per class: out-of-fold ROC AUC of gradient boosting on "
            "TrajectoryFeatures (5 stratified folds) separating fresh real tracks from generated "
            "ones, equal numbers of each, with its bootstrap 95 % interval (0.5: "
            "indistinguishable; target <= 0.70). Beside it the same for the other fit seeds, the "
            "i.i.d. Gaussian baseline, and real against real (two halves of the fresh draws):",
            "",
            "| class | tracks per set | generated, seed 0 (95 % interval) | "
            + " | ".join(f"seed {seed}" for seed in seeds if int(seed) != 0)
            + (" | " if len(seeds) > 1 else "")
            + "Gaussian baseline | real vs real |",
            "| --- | --- | --- |" + " --- |" * (len(seeds) - 1) + " --- | --- |",
        ]
        for c, r in q["classes"].items():
            t = r["c2st"]
            g = t["generated"]
            others = [v[c]["c2st_auc"] for seed, v in seeds.items() if int(seed) != 0]
            lines.append(
                f"| {c} | {g['n_per_set']} | {g['auc']:.3f} ({g['interval_95'][0]:.3f}-"
                f"{g['interval_95'][1]:.3f}) | "
                + "".join(f"{a:.3f} | " for a in others)
                + f"{t['gaussian_baseline']['auc']:.3f} | {t['real_vs_real']['auc']:.3f} "
                f"({t['real_vs_real']['interval_95'][0]:.3f}-{t['real_vs_real']['interval_95'][1]:.3f}) |"
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
            lines += ["", "z extent relative to real collagen's: " + "; ".join(ratios) + "."]
        lines.append("")
    for note in results.get("notes", []):
        lines.append(f"Note: {note}")
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, smoke run")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--loop-trajectories", type=int, default=None)
    parser.add_argument("--skip", nargs="*", default=[], choices=["sampling", "training", "quality"])
    parser.add_argument("--quality-epochs", type=int, default=None)
    args = parser.parse_args(argv)
    torch.set_num_threads(1 if args.device == "cpu" else torch.get_num_threads())

    results = {"machine": machine(args.device), "command": "python " + " ".join(sys.argv), "notes": []}
    if args.device.startswith("cuda") and not torch.cuda.is_available():
        results["notes"].append("CUDA requested but not available: nothing was run on CUDA.")
        print(markdown(results))
        return results
    X, y = load_data()
    if "sampling" not in args.skip:
        # Sampling speed depends on the model's size, not on how well it is trained.
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
        epochs = args.quality_epochs or (5 if args.quick else MDNTrajectoryGenerator().max_epochs)
        results["quality"] = bench_quality(
            X, y, args.device, epochs, n_generated=40 if args.quick else 300,
            n_independent_draws=1 if args.quick else 5,
            fit_seeds=(0,) if args.quick else (0, 1, 2),
        )
        print(json.dumps(results["quality"], indent=1), flush=True)

    RESULTS.mkdir(exist_ok=True)
    name = "mdn_" + args.device.replace(":", "") + ("_quick" if args.quick else "")
    if args.skip:  # a partial run must not overwrite the full results
        name += "_" + "_".join(p for p in ("sampling", "training", "quality") if p not in args.skip)
    (RESULTS / f"{name}.json").write_text(json.dumps(results, indent=1, default=float))
    (RESULTS / f"{name}.md").write_text(markdown(results))
    print(markdown(results))
    return results


if __name__ == "__main__":
    main()
