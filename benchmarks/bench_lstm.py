"""Benchmark LSTMTrajectoryClassifier training speed.

Run from the repository root::

    python benchmarks/bench_lstm.py            # a few minutes on a shared 2-core CPU
    python benchmarks/bench_lstm.py --quick    # smoke run, seconds (after data set-up)
    python benchmarks/bench_lstm.py --out DIR  # write the results elsewhere

All timings come from one run, after a warm-up, with ``torch.set_num_threads(1)``.
The model hyperparameters are the demo's (``sklearn_cells._demo.make_lstm_pipeline``):
2 recurrent layers of 16 units, mean pooling, Adam lr 1e-2, batch size 32, class
weights "balanced".

Training settings, all sections: the estimator runs with
``feature_boosting=False, early_stopping=False, lr_schedule=None, augment=False,
crop_length=None``
(set here explicitly, whatever the demo sets; the estimator's defaults are early
stopping on a validation split, a plateau LR schedule, random xy rotations and
200-step training crops), so an epoch is one pass over the training batches and
nothing else: no validation split or pass, no LR scheduler, no random rotations,
no random crops (or repeated long sequences). That is the work the hand-written loop does, so (a) compares like with like, and
(b) keeps the same number of time steps per epoch for ragged and equal lengths.

(a) Time per epoch of ``LSTMTrajectoryClassifier.fit`` against a hand-written
    PyTorch loop training the same module class (``LSTMSequenceClassifier``,
    same ``architecture`` and ``bidirectional``) with the same optimizer, batch
    size and weighted ``CrossEntropyLoss`` on the same 30-step windows
    (make_trajectories -> resample to 5 min -> VelocityTransformer ->
    PolarVelocityTransformer -> TrajectoryScaler -> TrajectoryWindowSampler(30)),
    once per architecture: ("lstm", unidirectional), ("gru", unidirectional),
    ("cnn_lstm", bidirectional). Repetitions are interleaved (estimator, loop,
    estimator, loop, ...) and the median of the per-pair ratios is reported.
    Primary figure: wall time of the whole ``fit`` (validation, tensor
    conversion, net set-up and all epochs) divided by the number of epochs, the
    loop timed the same way (tensor conversion, model set-up, epochs). Also
    given: process CPU time of the whole fit (least sensitive to other jobs on
    a shared machine) and per-epoch time only (skorch's history ``dur``
    against the loop's own per-epoch clock). Target: ratio <= 1.10 for each
    architecture.
(b) Ragged lengths (uniform in 10..1000) against equal lengths with the same
    number of sequences and the same total number of time steps, time per epoch
    of the estimator. Target: <= 1.5x. For context, a hand-written loop with
    plain shuffled batches (no length buckets) on the ragged data is timed too.
    Repetitions stop early when a time budget is spent (slow ragged training).
(c) Fit time at N = 1k, 4k, 16k windows (overlapping windows, stride 3, drawn
    from the same pipeline), reported per window and per epoch, and the slope
    of log time against log N. Target: close to linear.
(b) and (c) use the default architecture ("lstm", unidirectional) only.

When (a) (for an architecture) or (b) misses its target, the script profiles
(cProfile of one fit of that architecture; for (b) also training steps with and without lengths, and torch.profiler) and
writes the findings under the table.
(d) With CUDA available, (a)-(c) again with ``device="cuda"``; otherwise the
    section is skipped and the results say so.

Results go to ``<out>/lstm_cpu.md`` and ``.json`` (``lstm_cpu_cuda.*`` on a
machine with CUDA, ``*_quick.*`` with ``--quick`` so a smoke run never
overwrites the real figures).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import skorch
import torch
from sklearn.utils.class_weight import compute_class_weight
from torch.utils.data import DataLoader, TensorDataset

from sklearn_cells._demo import SAMPLING_INTERVAL, make_lstm_pipeline
from sklearn_cells.datasets import make_trajectories
from sklearn_cells.nn.lstm import LSTMSequenceClassifier
from sklearn_cells.trajectory import LSTMTrajectoryClassifier, resample_trajectories
from sklearn_cells.trajectory._classifier import _OPTIMIZERS
from sklearn_cells.trajectory._sequence_data import collate_sequences

RESULTS = Path(__file__).resolve().parent / "results"

# (quick, full) sizes; chosen so a full run takes a few minutes on a loaded 2-core CPU.
SIZES = {
    "a_epochs": (1, 3),
    "a_repeats": (2, 7),
    # (b): 320 sequences = 10 batches, so length buckets can work; a time budget stops
    # the repetitions early where ragged training is slow (see the diagnosis).
    "b_sequences": (32, 320),
    "b_epochs": (1, 1),
    "b_repeats": (1, 3),
    "b_budget_s": (10, 60),
    "c_sizes": ((250, 1000, 4000), (1000, 4000, 16000)),
    "c_epochs": (1, 2),
    "c_repeats": (1, 2),
}


def machine() -> dict:
    processor = platform.processor()
    if not processor:  # empty on many Linux systems
        try:
            with open("/proc/cpuinfo") as f:
                processor = next(
                    line.split(":", 1)[1].strip() for line in f if line.startswith("model name")
                )
        except (OSError, StopIteration):
            processor = platform.machine()
    info = {
        "platform": platform.platform(),
        "processor": processor,
        "cpu_cores": os.cpu_count(),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "skorch": skorch.__version__,
        "torch_threads": torch.get_num_threads(),
        "cuda": torch.cuda.is_available(),
        "date": datetime.datetime.now().isoformat(timespec="seconds"),
    }
    if info["cuda"]:
        info["gpu"] = torch.cuda.get_device_name(0)
    info.update(_library_version())
    return info


def _library_version() -> dict:
    """The git commit measured, and the tracked files of sklearn_cells/ changed since."""
    root = Path(__file__).resolve().parents[1]
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True, check=True
        ).stdout.strip()
        changed = subprocess.run(
            ["git", "diff", "--name-only", "HEAD", "--", "sklearn_cells"],
            cwd=root, capture_output=True, text=True, check=True,
        ).stdout.split()
    except (OSError, subprocess.CalledProcessError):
        return {"commit": None, "library_changed": []}
    return {"commit": commit, "library_changed": changed}


def sync(device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.synchronize()


# (a) runs once per architecture: (architecture, bidirectional).
ARCHITECTURES = (("lstm", False), ("gru", False), ("cnn_lstm", True))

# One pass over the training batches per epoch, as in the hand-written loop: no
# validation split, LR scheduler, augmentation or training crops (estimator defaults;
# set here explicitly, whatever the demo sets, so the comparison is like for like).
# The gradient boosting of feature_boosting is fitted once after training, not per
# epoch, and the loop has none.
LIKE_FOR_LIKE = {
    "feature_boosting": False,
    "early_stopping": False,
    "lr_schedule": None,
    "augment": False,
    "crop_length": None,
}


def estimator_params(device: str, architecture: str = "lstm", bidirectional: bool = False) -> dict:
    """The demo's hyperparameters, with the training-only settings of ``LIKE_FOR_LIKE``."""
    params = make_lstm_pipeline(device=device, random_state=0)[-1].get_params()
    params.update(LIKE_FOR_LIKE, architecture=architecture, bidirectional=bidirectional, verbose=0)
    return params


def arch_label(architecture: str, bidirectional: bool) -> str:
    return architecture + (", bidirectional" if bidirectional else "")


# -- data ------------------------------------------------------------------------------


def demo_trajectories(random_state=0):
    """The demo's data: make_trajectories() resampled to the common 5 min interval."""
    X, y, intervals = make_trajectories(return_intervals=True, random_state=random_state)
    return resample_trajectories(X, intervals, SAMPLING_INTERVAL), y


def demo_windows(X, y, stride=None):
    """The demo's 30-step training windows (float64 array) and string labels."""
    pre = make_lstm_pipeline()[:-1]  # transformers + TrajectoryWindowSampler
    pre.set_params(trajectorywindowsampler__stride=stride)
    return pre.fit_resample(X, y)


def ragged_and_equal(n_sequences, n_dims=4, low=10, high=1000, random_state=0):
    """Ragged lengths uniform in [low, high] and equal lengths, same total of steps.

    Lengths come in antithetic pairs (l, low + high - l): each is uniform in
    [low, high] and the mean is exactly (low + high) / 2, so the equal-length
    set has exactly as many time steps.
    """
    rng = np.random.RandomState(random_state)
    half = rng.randint(low, high + 1, size=n_sequences // 2)
    lengths = rng.permutation(np.concatenate([half, low + high - half]))
    equal_length = (low + high) // 2
    ragged = [rng.normal(size=(n, n_dims)) for n in lengths]
    equal = rng.normal(size=(len(lengths), equal_length, n_dims))
    y = rng.choice(np.array(["a", "b", "c"]), size=len(lengths))
    return ragged, equal, y, lengths


# -- timed fits --------------------------------------------------------------------------


def estimator_fit(X, y, params, epochs):
    """Whole-fit wall time / epochs, and skorch's per-epoch ``dur``."""
    device = params["device"]
    clf = LSTMTrajectoryClassifier(**{**params, "max_epochs": epochs})
    sync(device)
    t0, c0 = time.perf_counter(), time.process_time()
    clf.fit(X, y)
    sync(device)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    return {
        "per_epoch_wall": wall / epochs,
        "per_epoch_cpu": cpu / epochs,
        "per_epoch_dur": [h["dur"] for h in clf.history_],
    }


def hand_written_fit(X, y, params, epochs, collate_fn=None):
    """A plain PyTorch loop training the same module on the same data.

    ``X`` is a 3-D array (TensorDataset, default collate) or, with
    ``collate_fn``, a list of ragged sequences in plain shuffled batches.
    Returns whole-fit wall time / epochs and the per-epoch times.
    """
    device = params["device"]
    sync(device)
    t0, c0 = time.perf_counter(), time.process_time()
    classes, y_enc = np.unique(y, return_inverse=True)
    targets = torch.as_tensor(y_enc)
    if collate_fn is None:
        data = TensorDataset(torch.as_tensor(np.asarray(X, dtype=np.float32)), targets)
    else:
        data = list(zip((torch.as_tensor(np.asarray(x, dtype=np.float32)) for x in X), targets))
    n_features = data[0][0].shape[-1]
    torch.manual_seed(0)
    loader = DataLoader(data, batch_size=params["batch_size"], shuffle=True, collate_fn=collate_fn)
    model = LSTMSequenceClassifier(
        n_features,
        len(classes),
        hidden_size=params["hidden_size"],
        n_layers=params["n_layers"],
        dropout=params["dropout"],
        pooling=params["pooling"],
        architecture=params["architecture"],
        bidirectional=params["bidirectional"],
        # the branch computes the whole-track statistics from each batch, as the
        # estimator's training collate does
        track_features=params["track_features"],
    ).to(device)
    weight = compute_class_weight("balanced", classes=np.arange(len(classes)), y=y_enc)
    criterion = torch.nn.CrossEntropyLoss(weight=torch.as_tensor(weight, dtype=torch.float32)).to(device)
    optimizer = _OPTIMIZERS[params["optimizer"]](model.parameters(), lr=params["lr"])
    epoch_times = []
    for _ in range(epochs):
        sync(device)
        t_epoch = time.perf_counter()
        model.train()
        running = 0.0  # an epoch loss, as any real loop reports (skorch records it too)
        for xb, yb in loader:
            if isinstance(xb, dict):
                xb = {k: v.to(device) for k, v in xb.items()}
                logits = model(**xb)
            else:
                logits = model(xb.to(device))
            loss = criterion(logits, yb.to(device))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            running += loss.item() * len(yb)
        sync(device)
        epoch_times.append(time.perf_counter() - t_epoch)
    sync(device)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    return {"per_epoch_wall": wall / epochs, "per_epoch_cpu": cpu / epochs, "per_epoch_dur": epoch_times}


def _med(values):
    return float(np.median(values))


# -- (a) estimator vs hand-written loop ----------------------------------------------------


def bench_overhead(W, yw, params, epochs, repeats):
    label = arch_label(params["architecture"], params["bidirectional"])
    estimator_fit(W, yw, params, 1)  # warm-up both
    hand_written_fit(W, yw, params, 1)
    rows = []
    for _ in range(repeats):  # interleaved, so load changes hit both alike
        est = estimator_fit(W, yw, params, epochs)
        hand = hand_written_fit(W, yw, params, epochs)
        rows.append({"estimator": est, "hand_written": hand})
        print(
            f"  (a) [{label}] estimator {est['per_epoch_wall']:.3f} s/epoch, loop "
            f"{hand['per_epoch_wall']:.3f} s/epoch, ratio "
            f"{est['per_epoch_wall'] / hand['per_epoch_wall']:.3f}",
            flush=True,
        )
    wall_ratios = [r["estimator"]["per_epoch_wall"] / r["hand_written"]["per_epoch_wall"] for r in rows]
    cpu_ratios = [r["estimator"]["per_epoch_cpu"] / r["hand_written"]["per_epoch_cpu"] for r in rows]
    dur_ratios = [
        _med(r["estimator"]["per_epoch_dur"]) / _med(r["hand_written"]["per_epoch_dur"]) for r in rows
    ]
    return {
        "architecture": params["architecture"],
        "bidirectional": bool(params["bidirectional"]),
        "n_windows": len(W),
        "window_length": int(W.shape[1]),
        "n_features": int(W.shape[2]),
        "epochs_per_fit": epochs,
        "repeats": repeats,
        "estimator_s_per_epoch_wall": _med([r["estimator"]["per_epoch_wall"] for r in rows]),
        "hand_written_s_per_epoch_wall": _med([r["hand_written"]["per_epoch_wall"] for r in rows]),
        "ratio_wall": _med(wall_ratios),
        "ratios_wall": wall_ratios,
        "estimator_s_per_epoch_cpu": _med([r["estimator"]["per_epoch_cpu"] for r in rows]),
        "hand_written_s_per_epoch_cpu": _med([r["hand_written"]["per_epoch_cpu"] for r in rows]),
        "ratio_cpu": _med(cpu_ratios),
        "estimator_s_per_epoch_dur": _med([d for r in rows for d in r["estimator"]["per_epoch_dur"]]),
        "hand_written_s_per_epoch_dur": _med([d for r in rows for d in r["hand_written"]["per_epoch_dur"]]),
        "ratio_dur": _med(dur_ratios),
        "ratios_dur": dur_ratios,
        "target": 1.10,
    }


# -- (b) ragged vs equal lengths -------------------------------------------------------------


def bench_ragged(n_sequences, params, epochs, repeats, budget_s, unbucketed=True):
    """Ragged vs equal, interleaved; stops repeating once ``budget_s`` is spent.

    Enough sequences are needed for length buckets to work (with few batches,
    each spans a wide range of lengths), but ragged training may be slow: the
    budget keeps the run short then, at the price of fewer repetitions.
    """
    ragged, equal, y, lengths = ragged_and_equal(n_sequences)
    # warm-up both code paths (with and without lengths) on short sequences
    estimator_fit([x[:40] for x in ragged[:32]], y[:32], params, 1)
    estimator_fit(equal[:32, :40], y[:32], params, 1)
    rows = []
    start = time.perf_counter()
    for rep in range(repeats):
        if rep and time.perf_counter() - start > budget_s:
            print(f"  (b) time budget of {budget_s:.0f} s spent: {rep} repetition(s)", flush=True)
            break
        r = estimator_fit(ragged, y, params, epochs)
        e = estimator_fit(equal, y, params, epochs)
        print(
            f"  (b) ragged {r['per_epoch_wall']:.2f} s/epoch, equal {e['per_epoch_wall']:.2f} "
            f"s/epoch, ratio {r['per_epoch_wall'] / e['per_epoch_wall']:.3f}",
            flush=True,
        )
        rows.append({"ragged": r, "equal": e})
    # Context, timed once (full runs): the same ragged data in plain shuffled batches.
    u = None
    # As slow as a ragged fit: run it only where that is cheap against the budget.
    if unbucketed and (time.perf_counter() - start) / len(rows) < budget_s / 3:
        u = hand_written_fit(ragged, y, params, 1, collate_fn=collate_sequences)
        print(f"  (b) unbucketed hand-written loop {u['per_epoch_dur'][0]:.2f} s/epoch", flush=True)
    return {
        "n_sequences": len(lengths),
        "total_steps": int(lengths.sum()),
        "equal_length": int(equal.shape[1]),
        "length_range": [int(lengths.min()), int(lengths.max())],
        "epochs_per_fit": epochs,
        "repeats": len(rows),
        "repeats_planned": repeats,
        "budget_s": budget_s,
        "ragged_s_per_epoch_wall": _med([r["ragged"]["per_epoch_wall"] for r in rows]),
        "equal_s_per_epoch_wall": _med([r["equal"]["per_epoch_wall"] for r in rows]),
        "ratio_wall": _med([r["ragged"]["per_epoch_wall"] / r["equal"]["per_epoch_wall"] for r in rows]),
        "ratio_dur": _med(
            [_med(r["ragged"]["per_epoch_dur"]) / _med(r["equal"]["per_epoch_dur"]) for r in rows]
        ),
        "ratio_cpu": _med([r["ragged"]["per_epoch_cpu"] / r["equal"]["per_epoch_cpu"] for r in rows]),
        "unbucketed_loop_s_per_epoch": u["per_epoch_dur"][0] if u else None,
        "unbucketed_loop_ratio_to_equal": u["per_epoch_dur"][0]
        / _med([d for r in rows for d in r["equal"]["per_epoch_dur"]]) if u else None,
        "target": 1.5,
    }


# -- (c) scaling with the number of windows -----------------------------------------------------


def bench_scaling(W_pool, y_pool, sizes, params, epochs, repeats):
    rng = np.random.RandomState(0)
    subsets = {}
    for n in sizes:
        idx = rng.choice(len(W_pool), size=n, replace=n > len(W_pool))
        subsets[n] = (W_pool[idx], y_pool[idx])
    estimator_fit(*subsets[sizes[0]], params, 1)  # warm-up
    times = {n: [] for n in sizes}
    cpus = {n: [] for n in sizes}
    durs = {n: [] for n in sizes}
    for _ in range(repeats):
        for n in sizes:
            r = estimator_fit(*subsets[n], params, epochs)
            times[n].append(r["per_epoch_wall"])
            cpus[n].append(r["per_epoch_cpu"])
            durs[n] += r["per_epoch_dur"]
            print(f"  (c) N={n}: {r['per_epoch_wall']:.2f} s/epoch", flush=True)
    rows = []
    for n in sizes:
        wall = _med(times[n])
        rows.append(
            {
                "n_windows": n,
                "s_per_epoch_wall": wall,
                "s_per_epoch_dur": _med(durs[n]),
                "us_per_window_wall": 1e6 * wall / n,
                "us_per_window_dur": 1e6 * _med(durs[n]) / n,
                "s_per_epoch_cpu": _med(cpus[n]),
                "us_per_window_cpu": 1e6 * _med(cpus[n]) / n,
            }
        )
    n = np.array(sizes, dtype=float)
    slope, slope_cpu = (
        float(np.polyfit(np.log(n), np.log([r[key] for r in rows]), 1)[0])
        for key in ("s_per_epoch_wall", "s_per_epoch_cpu")
    )
    return {
        "pool_windows": len(W_pool),
        "sampled_with_replacement": bool(max(sizes) > len(W_pool)),
        "epochs_per_fit": epochs,
        "repeats": repeats,
        "rows": rows,
        "loglog_slope_wall": slope,
        "loglog_slope_cpu": slope_cpu,
        "per_window_ratio_largest_to_smallest": (
            rows[-1]["us_per_window_wall"] / rows[0]["us_per_window_wall"]
        ),
        "per_window_ratio_largest_to_smallest_cpu": (
            rows[-1]["us_per_window_cpu"] / rows[0]["us_per_window_cpu"]
        ),
    }


# -- diagnosis (only when a target is missed) ----------------------------------------------------


def _category(filename: str, funcname: str) -> str:
    if "run_backward" in funcname:
        return "autograd backward"
    if "/torch/optim/" in filename:
        return "optimizer step"
    if "/torch/utils/data/" in filename or "_sequence_data" in filename or "pad_sequence" in funcname:
        return "data loading and collate"
    if "/skorch/" in filename:
        return "skorch (python)"
    if "/torch/nn/" in filename or funcname.startswith("<built-in method torch") or "torch._C" in funcname:
        return "forward (torch ops)"
    return "other"


def profile_fit(X, y, params) -> dict:
    """cProfile one 1-epoch estimator fit: time shares by category and top functions."""
    import cProfile
    import pstats

    profiler = cProfile.Profile()
    clf = LSTMTrajectoryClassifier(**{**params, "max_epochs": 1})
    profiler.enable()
    clf.fit(X, y)
    profiler.disable()
    stats = pstats.Stats(profiler).stats
    total = sum(v[2] for v in stats.values())
    shares: dict[str, float] = {}
    top = []
    for (filename, line, func), (_, _, tottime, _, _) in stats.items():
        cat = _category(filename, func)
        shares[cat] = shares.get(cat, 0.0) + tottime
        top.append((tottime, f"{Path(filename).name}:{line}({func})" if line else func))
    top.sort(reverse=True)
    return {
        "total_s": total,
        "shares": {k: v / total for k, v in sorted(shares.items(), key=lambda kv: -kv[1])},
        "top": [{"function": name, "s": t, "share": t / total} for t, name in top[:6]],
    }


def lengths_step_cost(params, device, steps=(50, 100, 200, 400), batch_size=32, n_features=4):
    """ms per time step of one training step (forward + backward), with and without lengths.

    Lengths T-1 and T take the module's variable-length path (packed on CUDA,
    padded and masked on CPU); the other run feeds the same padded batch
    without lengths. A per-step cost that grows with T means the cost of a
    sequence grows faster than its length.
    """
    from torch.profiler import ProfilerActivity, profile

    module = LSTMSequenceClassifier(
        n_features, 3, hidden_size=params["hidden_size"], n_layers=params["n_layers"],
        pooling=params["pooling"], architecture=params["architecture"],
        bidirectional=params["bidirectional"],
    ).to(device)
    warm = torch.randn(batch_size, 5, n_features, device=device)
    module(warm, lengths=torch.full((batch_size,), 5)).sum().backward()  # warm-up both paths
    module(warm).sum().backward()
    rows = []
    for T in steps:
        x = torch.randn(batch_size, T, n_features, device=device)
        lengths = torch.full((batch_size,), T)
        lengths[1::2] = T - 1
        row = {"steps": T}
        for name, kwargs in (("with_lengths", {"lengths": lengths}), ("no_lengths", {})):
            sync(device)
            t0 = time.perf_counter()
            module(x, **kwargs).sum().backward()
            sync(device)
            row[f"{name}_ms_per_step"] = 1e3 * (time.perf_counter() - t0) / T
        rows.append(row)
        print(f"  diagnosis T={T}: with lengths {row['with_lengths_ms_per_step']:.2f} ms/step, "
              f"without {row['no_lengths_ms_per_step']:.2f} ms/step", flush=True)
    T = steps[-1]
    x = torch.randn(batch_size, T, n_features, device=device)
    lengths = torch.full((batch_size,), T)
    lengths[1::2] = T - 1
    activities = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if device.startswith("cuda") else [])
    with profile(activities=activities) as prof:
        module(x, lengths=lengths).sum().backward()
    events = prof.key_averages()
    total = sum(e.self_cpu_time_total for e in events)
    top = sorted(events, key=lambda e: e.self_cpu_time_total, reverse=True)[:4]
    slice_backward = next((e for e in events if e.key == "aten::slice_backward"), None)
    return {
        "rows": rows,
        "profiled_steps": T,
        "top_ops": [
            {"op": e.key, "self_cpu_share": e.self_cpu_time_total / total, "calls": e.count}
            for e in top
        ],
        "slice_backward_share": (slice_backward.cpu_time_total / total) if slice_backward else 0.0,
    }


# -- report -------------------------------------------------------------------------------------


def run_device(device, quick, data):
    q = 0 if quick else 1
    params = estimator_params(device)  # default architecture, for (b) and (c)
    keys = ("hidden_size", "n_layers", "pooling", "track_features", "optimizer", "lr", "batch_size", "class_weight",
            *LIKE_FOR_LIKE)
    out = {"params": {k: params[k] for k in keys}, "overhead": []}
    for architecture, bidirectional in ARCHITECTURES:
        print(f"[{device}] (a) estimator vs hand-written loop, "
              f"{arch_label(architecture, bidirectional)}", flush=True)
        arch_params = estimator_params(device, architecture, bidirectional)
        a = bench_overhead(*data["demo"], arch_params, SIZES["a_epochs"][q], SIZES["a_repeats"][q])
        if a["ratio_wall"] > a["target"]:
            print(f"[{device}] (a) missed for {arch_label(architecture, bidirectional)}: "
                  "profiling one estimator fit", flush=True)
            a["diagnosis"] = profile_fit(*data["demo"], arch_params)
        out["overhead"].append(a)
    print(f"[{device}] (b) ragged vs equal lengths", flush=True)
    out["ragged"] = bench_ragged(
        SIZES["b_sequences"][q], params, SIZES["b_epochs"][q], SIZES["b_repeats"][q],
        budget_s=SIZES["b_budget_s"][q], unbucketed=not quick,
    )
    if out["ragged"]["ratio_wall"] > out["ragged"]["target"]:
        print(f"[{device}] (b) missed: profiling a ragged fit and training steps with lengths", flush=True)
        ragged, _, y, _ = ragged_and_equal(32)
        cut = 100 if quick else 300
        out["ragged"]["diagnosis"] = {
            "fit_profile": profile_fit([x[:cut] for x in ragged], y, params),
            "cut": cut,
            "lengths_path": lengths_step_cost(
                params, device, steps=(25, 50, 100) if quick else (50, 100, 200, 400)
            ),
        }
    print(f"[{device}] (c) scaling with N", flush=True)
    out["scaling"] = bench_scaling(
        *data["pool"], SIZES["c_sizes"][q], params, SIZES["c_epochs"][q], SIZES["c_repeats"][q]
    )
    return out


def _verdict(value, target):
    return "met" if value <= target else "**missed**"


def markdown_device(name, r) -> list[str]:
    rows, b, c = r["overhead"], r["ragged"], r["scaling"]
    p = r["params"]
    a0 = rows[0]
    lines = [
        f"## {name}",
        "",
        f"Model hyperparameters (the demo's): {p['n_layers']} recurrent layers x {p['hidden_size']} "
        f"units, {p['pooling']} pooling, {p['optimizer']} lr {p['lr']}, batch size {p['batch_size']}, "
        f"class_weight {p['class_weight']!r}.",
        "",
        "Training settings in every section: "
        + ", ".join(f"`{k}={p[k]!r}`" for k in LIKE_FOR_LIKE)
        + ", set explicitly whatever the demo sets (the estimator's defaults are early stopping "
        "on a 10 % validation split, a plateau LR schedule, random xy rotations and 200-step "
        "training crops). An epoch is therefore one pass over the training batches and nothing else, the same work as the "
        "hand-written loop's epoch.",
        "",
        "### (a) Estimator vs hand-written PyTorch loop, time per epoch",
        "",
        f"{a0['n_windows']} windows of {a0['window_length']} steps x {a0['n_features']} features; per "
        f"architecture, {a0['repeats']} interleaved repetitions (estimator, loop, ...) of "
        f"{a0['epochs_per_fit']}-epoch fits after a warm-up; median of the per-pair ratios. The loop "
        "builds `LSTMSequenceClassifier` with the same `architecture` and `bidirectional`. "
        "s/epoch: whole fit wall time / epochs; ratio CPU: the same with process CPU time; "
        "ratio `dur`: per epoch only (skorch's `dur` against the loop's own clock).",
        "",
        "| architecture | estimator (s/epoch) | loop (s/epoch) | ratio wall | ratio CPU "
        "| ratio `dur` | target <= 1.10 |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for a in rows:
        lines.append(
            f"| {arch_label(a['architecture'], a['bidirectional'])} | "
            f"{a['estimator_s_per_epoch_wall']:.3f} | {a['hand_written_s_per_epoch_wall']:.3f} | "
            f"**{a['ratio_wall']:.3f}** | {a['ratio_cpu']:.3f} | {a['ratio_dur']:.3f} | "
            f"{_verdict(a['ratio_wall'], a['target'])} |"
        )
    lines += ["", "Per-pair ratios (whole fit wall time):", ""]
    lines += [
        f"- {arch_label(a['architecture'], a['bidirectional'])}: "
        + ", ".join(f"{x:.3f}" for x in a["ratios_wall"]) + "."
        for a in rows
    ]
    lines.append("")
    for a in rows:
        if "diagnosis" in a:
            lines += _profile_lines(
                f"(a) missed for {arch_label(a['architecture'], a['bidirectional'])}: cProfile of "
                "one 1-epoch estimator fit",
                a["diagnosis"],
            )
    lines += [
        "(b) and (c) below: default architecture (lstm, unidirectional) only.",
        "",
    ]
    lines += [
        "### (b) Ragged lengths vs equal lengths, estimator time per epoch",
        "",
        f"{b['n_sequences']} sequences, lengths uniform in {b['length_range'][0]}..{b['length_range'][1]} "
        f"vs all {b['equal_length']} steps: {b['total_steps']:,} time steps each; "
        f"{b['repeats']} interleaved repetition(s) of {b['epochs_per_fit']}-epoch fits"
        + (
            f" ({b['repeats_planned']} planned; stopped by the {b['budget_s']:.0f} s time budget)"
            if b["repeats"] < b["repeats_planned"] else ""
        )
        + ".",
        "",
        "| | ragged (s/epoch) | equal (s/epoch) | median ratio | target |",
        "| --- | --- | --- | --- | --- |",
        f"| estimator, whole fit / epochs | {b['ragged_s_per_epoch_wall']:.2f} | "
        f"{b['equal_s_per_epoch_wall']:.2f} | **{b['ratio_wall']:.3f}** | <= 1.5 "
        f"({_verdict(b['ratio_wall'], 1.5)}) |",
        f"| estimator, whole fit CPU time (process) | | | {b['ratio_cpu']:.3f} | |",
        f"| estimator, skorch `dur` | | | {b['ratio_dur']:.3f} | |",
    ]
    if b["unbucketed_loop_s_per_epoch"] is not None:
        lines.append(
            f"| hand-written loop, plain shuffled batches (no length buckets), ragged | "
            f"{b['unbucketed_loop_s_per_epoch']:.2f} | | {b['unbucketed_loop_ratio_to_equal']:.3f} "
            "(vs estimator `dur`, equal) | context |"
        )
    lines += [""]
    if "diagnosis" in b:
        d = b["diagnosis"]
        lines += _profile_lines(
            "(b) missed: cProfile of one 1-epoch estimator fit on 32 ragged sequences "
            f"(cut to at most {d['cut']} steps)",
            d["fit_profile"],
        )
        p = d["lengths_path"]
        lines += [
            "One training step (forward + backward) of `LSTMSequenceClassifier` on a batch of "
            "32, with lengths (the path ragged batches take) and without (the same padded "
            "tensor, no lengths):",
            "",
            "| steps T | with lengths (ms/step) | without (ms/step) | ratio |",
            "| --- | --- | --- | --- |",
        ]
        lines += [
            f"| {row['steps']} | {row['with_lengths_ms_per_step']:.2f} | {row['no_lengths_ms_per_step']:.2f} "
            f"| {row['with_lengths_ms_per_step'] / row['no_lengths_ms_per_step']:.1f} |"
            for row in p["rows"]
        ]
        lines += [
            "",
            f"torch.profiler, step with lengths at T={p['profiled_steps']}: top ops by self CPU time "
            + ", ".join(
                f"`{o['op']}` {100 * o['self_cpu_share']:.0f} % ({o['calls']} calls)"
                for o in p["top_ops"]
            )
            + f"; `aten::slice_backward` (incl. children) {100 * p['slice_backward_share']:.0f} %.",
            "",
        ]
        growth = p["rows"][-1]["with_lengths_ms_per_step"] / p["rows"][0]["with_lengths_ms_per_step"]
        quadratic = growth >= 2  # per-step cost growing with T: superlinear per sequence
        lines += [
            f"Cost per step with lengths changes by a factor {growth:.1f} from T={p['rows'][0]['steps']} to "
            f"T={p['rows'][-1]['steps']}; see the profiles above for where the time goes.",
            "",
        ] if not quadratic else [
            f"Reading: training cost per step with lengths grows with T ({growth:.1f}x from "
            f"T={p['rows'][0]['steps']} to T={p['rows'][-1]['steps']}), so a sequence costs O(T^2): "
            "where `aten::slice_backward` is large, the packed LSTM slices its input once per "
            "step and autograd's backward of each slice builds a zero gradient the size of the "
            "whole input (`fill_`), then accumulates it (`add_`). Length buckets cannot help. "
            "Fix: run padded batches unpacked and mask the read-out to each sequence's real "
            "steps (exact, the LSTM is causal), as `LSTMSequenceClassifier.forward` does on CPU "
            "since commit 48719be; see benchmarks/README.md.",
            "",
        ]
    return lines + _scaling_lines(c)


def _scaling_lines(c) -> list[str]:
    lines = [
        "### (c) Fit time against the number of windows",
        "",
        f"30-step windows (stride 3, {c['pool_windows']} in the pool"
        + (", drawn with replacement" if c["sampled_with_replacement"] else "")
        + f"), {c['epochs_per_fit']}-epoch fits, median of {c['repeats']}.",
        "",
        "| N windows | s/epoch (whole fit) | us/window (whole fit) | us/window (`dur`) "
        "| us/window (CPU time) |",
        "| --- | --- | --- | --- | --- |",
    ]
    for row in c["rows"]:
        lines.append(
            f"| {row['n_windows']:,} | {row['s_per_epoch_wall']:.2f} | {row['us_per_window_wall']:.0f} "
            f"| {row['us_per_window_dur']:.0f} | {row['us_per_window_cpu']:.0f} |"
        )
    lines += [
        "",
        f"log-log slope of time vs N: **{c['loglog_slope_wall']:.3f}** wall, "
        f"{c['loglog_slope_cpu']:.3f} CPU time (1 = linear); time per window at the largest N / "
        f"at the smallest: {c['per_window_ratio_largest_to_smallest']:.3f} wall, "
        f"{c['per_window_ratio_largest_to_smallest_cpu']:.3f} CPU time.",
        "",
    ]
    return lines


def _profile_lines(title, prof) -> list[str]:
    lines = [
        f"{title}: {prof['total_s']:.2f} s profiled; time by category: "
        + ", ".join(f"{k} {100 * v:.0f} %" for k, v in prof["shares"].items() if v >= 0.005)
        + ".",
        "",
        "| function | s | share |",
        "| --- | --- | --- |",
    ]
    lines += [f"| `{t['function']}` | {t['s']:.3f} | {100 * t['share']:.0f} % |" for t in prof["top"]]
    return lines + [""]


def markdown(results) -> str:
    m = results["machine"]
    lines = [
        "# LSTMTrajectoryClassifier benchmark",
        "",
        f"- Date: {m['date']}",
        f"- Machine: {m['platform']}; processor {m['processor']}; {m['cpu_cores']} cores",
        f"- Python {m['python']}, torch {m['torch']}, skorch {m['skorch']}",
        f"- sklearn-cells at commit {m['commit']}"
        + (f" (uncommitted changes: {', '.join(m['library_changed'])})" if m["library_changed"] else ""),
        f"- torch.set_num_threads(1) (torch threads: {m['torch_threads']}) for stable numbers on a "
        "shared machine",
        f"- Load average (1 min) at start / end: {results['load_start']:.1f} / {results['load_end']:.1f}",
        f"- Command: `{results['command']}` ({results['total_s']:.0f} s)",
        "",
        "Time per epoch is measured three ways: the wall time of the whole `fit` divided by the "
        "number of epochs (primary: includes input validation, tensor conversion and net set-up; "
        "the loop's figure includes its own tensor conversion and set-up); the process CPU time "
        "of the same (least affected by other jobs on a shared machine); and per epoch only "
        "(skorch's history `dur` against the loop's own clock around each epoch).",
        "",
    ]
    lines += markdown_device("CPU", results["cpu"])
    if "cuda" in results:
        lines += markdown_device(f"CUDA ({m.get('gpu', '')})", results["cuda"])
    else:
        lines += ["## CUDA", "", "CUDA: not available on this machine (section (d) skipped).", ""]
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke run of seconds")
    parser.add_argument("--out", type=Path, default=RESULTS, help="directory for the results files")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    start = time.perf_counter()
    results = {
        "machine": machine(),
        "command": "python " + " ".join([Path(sys.argv[0]).as_posix()] + sys.argv[1:]),
        "quick": args.quick,
        "load_start": os.getloadavg()[0],
    }
    X, y = demo_trajectories()
    W, yw = demo_windows(X, y)
    W_pool, y_pool = demo_windows(X, y, stride=3)
    data = {"demo": (W, yw), "pool": (W_pool, y_pool)}
    results["cpu"] = run_device("cpu", args.quick, data)
    if torch.cuda.is_available():
        results["cuda"] = run_device("cuda", args.quick, data)
    else:
        print("CUDA: not available on this machine; section (d) skipped.", flush=True)
    results["load_end"] = os.getloadavg()[0]
    results["total_s"] = time.perf_counter() - start

    stem = "lstm_cpu" + ("_cuda" if "cuda" in results else "") + ("_quick" if args.quick else "")
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / f"{stem}.json").write_text(json.dumps(results, indent=1) + "\n")
    text = markdown(results)
    (args.out / f"{stem}.md").write_text(text)
    print(text)
    print(f"written {args.out / stem}.md and .json")
    return results


if __name__ == "__main__":
    main()
