"""Benchmark LipNetClassifier against a hand-written PyTorch loop (issue 4).

Sections (all by default; pick with ``--only``):

- ``epoch``: time per training epoch of ``LipNetClassifier.fit`` with
  augmentation vs a hand-written PyTorch loop doing the same work (same
  LipNet, fused affine augmentation per batch on the device, standardisation,
  label-smoothed cross-entropy, Adam, shuffled batches of 32), measured in
  this run, interleaved so both see the same machine load. Target: ratio
  at most 1.10.
- ``augment``: augmentation throughput (images/s) for batches of 32 and 256
  28x28 images, on the CPU and, where present, on the GPU.
- ``cuda``: the epoch comparison on the GPU and the CUDA tests; skipped
  without a CUDA GPU.

Run ``python benchmarks/bench_lipnet.py --quick`` for a short run. Results go
to ``benchmarks/results/lipnet_bench_<device>.json`` and ``.md``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn

from sklearn_cells.image import LipNetClassifier, RandomAffine2d
from sklearn_cells.nn.lipnet import LipNet

from _machine import machine  # benchmarks/_machine.py, beside this script

RESULTS = Path(__file__).resolve().parent / "results"


def _data(n: int, size: int = 28, seed: int = 0):
    rng = np.random.default_rng(seed)
    X = rng.random((n, size, size), dtype=np.float32)
    y = rng.integers(0, 3, n)
    return X, y


def hand_written_fit(X, y, params, n_epochs, device):
    """LipNetClassifier's training (set-up included), written as a plain PyTorch loop."""
    torch.manual_seed(0)
    net = LipNet(params["architecture"], 3, n_filters=params["n_filters"], input_size=X.shape[-1]).to(device)
    augment = RandomAffine2d().to(device)
    mean, std = float(X.mean()), float(X.std())
    criterion = nn.CrossEntropyLoss(label_smoothing=0.1)
    optimizer = torch.optim.Adam(net.parameters(), lr=1e-3)
    dataset = torch.utils.data.TensorDataset(torch.from_numpy(X), torch.from_numpy(y))
    loader = torch.utils.data.DataLoader(dataset, batch_size=32, shuffle=True)
    for _ in range(n_epochs):
        net.train()
        for xb, yb in loader:
            xb, yb = xb.to(device), yb.to(device)
            xb = augment(xb.unsqueeze(1))
            optimizer.zero_grad()
            loss = criterion(net((xb - mean) / std), yb)
            loss.backward()
            optimizer.step()
            loss.item()  # skorch records the loss of every batch
    if device.startswith("cuda"):
        torch.cuda.synchronize()
    return net


def _timed(fn) -> tuple[float, float]:
    """(wall seconds, CPU seconds of this process) of ``fn()``."""
    wall, cpu = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - wall, time.process_time() - cpu


def bench_epoch(quick: bool, device: str) -> dict:
    """Whole fits (set-up included) of a few epochs, alternated many times.

    On a shared machine wall time mostly measures the other processes; the
    CPU time of this process (with one torch thread) measures the work done,
    so its ratio is the main figure. Wall-clock ratios are reported too.
    """
    n = 512 if quick else 2048
    n_epochs, rounds = (1, 2) if quick else (1, 9)
    X, y = _data(n)
    out = {"n_samples": n, "batch_size": 32, "augment": True, "epochs_per_fit": n_epochs,
           "rounds": rounds, "runs": []}
    for architecture, n_filters in (("lipnet4", 16), ("lipnet4", 32)):
        params = {"architecture": architecture, "n_filters": n_filters}
        # warm-up both
        hand_written_fit(X[:128], y[:128], params, 1, device)
        LipNetClassifier(max_epochs=1, device=device, random_state=0, **params).fit(X[:128], y[:128])
        ours, hand = [], []
        for _ in range(rounds):  # alternated: both see the same machine load
            clf = LipNetClassifier(max_epochs=n_epochs, device=device, random_state=0, **params)
            ours.append(_timed(lambda: clf.fit(X, y)))
            hand.append(_timed(lambda: hand_written_fit(X, y, params, n_epochs, device)))
        ours, hand = np.array(ours) / n_epochs, np.array(hand) / n_epochs
        run = {
            **params,
            "epoch_cpu_s_sklearn_cells": float(np.median(ours[:, 1])),
            "epoch_cpu_s_hand_written": float(np.median(hand[:, 1])),
            "epoch_wall_s_sklearn_cells": float(np.median(ours[:, 0])),
            "epoch_wall_s_hand_written": float(np.median(hand[:, 0])),
        }
        run["ratio_cpu"] = run["epoch_cpu_s_sklearn_cells"] / run["epoch_cpu_s_hand_written"]
        run["ratio_wall"] = run["epoch_wall_s_sklearn_cells"] / run["epoch_wall_s_hand_written"]
        out["runs"].append(run)
        print(f"epoch {architecture}/{n_filters}: CPU ours {run['epoch_cpu_s_sklearn_cells']:.2f} s, "
              f"hand {run['epoch_cpu_s_hand_written']:.2f} s, ratio {run['ratio_cpu']:.3f} "
              f"(wall ratio {run['ratio_wall']:.3f})", flush=True)
    return out


def bench_augment(quick: bool) -> dict:
    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    out = {}
    for device in devices:
        augment = RandomAffine2d().to(device)
        for batch in (32, 256):
            x = torch.rand(batch, 1, 28, 28, device=device)
            for _ in range(3):
                augment(x)
            n_rep = 5 if quick else 20
            if device == "cuda":
                torch.cuda.synchronize()
            t0 = time.perf_counter()
            for _ in range(n_rep):
                augment(x)
            if device == "cuda":
                torch.cuda.synchronize()
            rate = batch * n_rep / (time.perf_counter() - t0)
            out[f"{device}_batch{batch}_images_per_s"] = rate
            print(f"augment {device} batch {batch}: {rate:.0f} images/s", flush=True)
    if "cuda" not in devices:
        out["cuda"] = "skipped: no CUDA GPU"
    return out


def bench_cuda(quick: bool) -> dict:
    if not torch.cuda.is_available():
        return {"skipped": "no CUDA GPU"}
    out = {"gpu": torch.cuda.get_device_name(0), "epoch": bench_epoch(quick, "cuda")}
    root = Path(__file__).resolve().parents[1]
    res = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-m", "cuda", "tests/test_lipnet.py"],
        cwd=root, capture_output=True, text=True,
    )
    out["cuda_tests"] = res.stdout.strip().splitlines()[-1] if res.stdout else res.stderr[-500:]
    return out


def _markdown(results: dict) -> str:
    m = results["machine"]
    lines = [
        "# LipNetClassifier benchmark",
        "",
        f"Machine: {m['processor']}, {m['cpu_cores']} cores, torch {m['torch']} "
        f"({m['torch_threads']} threads), device {m['device']}{', ' + m['gpu'] if 'gpu' in m else ''}.",
        f"Command: `{results['command']}`",
        "",
    ]
    if "epoch" in results:
        e = results["epoch"]
        lines += [
            f"## Time per epoch with augmentation ({e['n_samples']} images 28x28, batch 32)",
            "",
            f"Median over {e['rounds']} alternated fits of {e['epochs_per_fit']} epoch(s), set-up "
            "included; CPU seconds of the process (wall-clock ratio in brackets: on a shared "
            "machine it mostly measures the other processes).",
            "",
            "| network | filters | LipNetClassifier (CPU s/epoch) | hand-written loop (CPU s/epoch) | ratio |",
            "| --- | --- | --- | --- | --- |",
        ]
        for r in e["runs"]:
            lines.append(
                f"| {r['architecture']} | {r['n_filters']} | {r['epoch_cpu_s_sklearn_cells']:.3f} | "
                f"{r['epoch_cpu_s_hand_written']:.3f} | {r['ratio_cpu']:.3f} ({r['ratio_wall']:.3f}) |"
            )
        lines.append("")
    if "augment" in results:
        lines += ["## Augmentation throughput (images/s)", ""]
        lines += [f"- {k}: {v if isinstance(v, str) else f'{v:,.0f}'}" for k, v in results["augment"].items()]
        lines.append("")
    if "cuda" in results:
        lines += ["## CUDA", "", "```", json.dumps(results["cuda"], indent=1), "```", ""]
    return "\n".join(lines)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description="LipNetClassifier benchmark")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--only", choices=["epoch", "augment", "cuda"], nargs="*")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads (1 on shared machines)")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    sections = args.only or ["epoch", "augment", "cuda"]
    device = "cuda" if torch.cuda.is_available() else "cpu"
    results = {
        "machine": machine(device),
        "command": "python benchmarks/bench_lipnet.py " + " ".join(argv if argv is not None else sys.argv[1:]),
    }
    if "epoch" in sections:
        results["epoch"] = bench_epoch(args.quick, "cpu")
        results["machine"]["device"] = "cpu (epoch); " + device
    if "augment" in sections:
        results["augment"] = bench_augment(args.quick)
    if "cuda" in sections:
        results["cuda"] = bench_cuda(args.quick)
    RESULTS.mkdir(exist_ok=True)
    name = f"lipnet_bench_{device}{'_quick' if args.quick else ''}"
    if args.only:  # a partial run must not overwrite the full results
        name += "_" + "_".join(sections)
    stem = RESULTS / name
    stem.with_suffix(".json").write_text(json.dumps(results, indent=1))
    stem.with_suffix(".md").write_text(_markdown(results))
    print(_markdown(results))


if __name__ == "__main__":
    main()
