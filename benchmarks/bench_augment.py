"""Benchmark the fused plain-torch augmentation against kornia's sequential ops (issue 13).

``RandomAffine2d`` (seed 003's defaults: rotation 180 degrees, shift 0.1,
shear 0.2 rad, zoom (0.8, 1.0), both flips) now returns
:class:`~sklearn_cells.image._augment.RandomAffine2d`: one ``affine_grid`` +
``grid_sample`` per batch. Before issue 13 it returned kornia's
``RandomAffine`` followed by ``RandomHorizontalFlip`` and
``RandomVerticalFlip``; :func:`kornia_augmentation` below is a copy of that
construction, kept here only to measure against. Both run in the same
process, interleaved, after a warm-up, on batches of 32x1x28x28 (LipNet's
training batch) and 8x1x128x128.

Run from the repository root (kornia must be installed for the baseline)::

    python benchmarks/bench_augment.py            # CPU, 1 thread, ~1 min
    python benchmarks/bench_augment.py --quick    # smoke run
    python benchmarks/bench_augment.py --device cuda

Results go to ``benchmarks/results/augment_<device>.md``.
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import time
from pathlib import Path

import torch
from torch import nn

from sklearn_cells.image import RandomAffine2d

from _machine import machine  # benchmarks/_machine.py, beside this script

RESULTS = Path(__file__).resolve().parent / "results"
SHAPES = [(32, 1, 28, 28), (8, 1, 128, 128)]


def kornia_augmentation(
    *, rotation=180.0, shift=0.1, shear=0.2, zoom=(0.8, 1.0), hflip=True, vflip=True,
    padding_mode="zeros",
) -> nn.Module:
    """The augmentation before issue 13: kornia's sequential modules."""
    import kornia.augmentation as K

    steps: list[nn.Module] = []
    affine = {}
    if shift:
        affine["translate"] = (float(shift), float(shift))
    if shear:
        affine["shear"] = math.degrees(float(shear))
    if zoom is not None and tuple(zoom) != (1.0, 1.0):
        affine["scale"] = (1.0 / float(zoom[1]), 1.0 / float(zoom[0]))
    if rotation or affine:
        steps.append(K.RandomAffine(float(rotation), padding_mode=padding_mode, p=1.0, **affine))
    if hflip:
        steps.append(K.RandomHorizontalFlip(p=0.5))
    if vflip:
        steps.append(K.RandomVerticalFlip(p=0.5))
    return nn.Sequential(*steps)


def _time_calls(module, x, n_calls, device) -> tuple[float, float]:
    """(wall, process CPU) seconds per call, averaged over ``n_calls`` calls."""
    if device == "cuda":
        torch.cuda.synchronize()
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(n_calls):
        module(x)
    if device == "cuda":
        torch.cuda.synchronize()
    return (time.perf_counter() - wall) / n_calls, (time.process_time() - cpu) / n_calls


def bench(device: str, quick: bool) -> list[dict]:
    modules = {"fused": RandomAffine2d().to(device), "kornia": kornia_augmentation().to(device)}
    rounds, n_calls = (3, 5) if quick else (15, 20)
    rows = []
    for shape in SHAPES:
        x = torch.rand(*shape, device=device)
        for module in modules.values():  # warm-up: first-call allocations, kernel choice
            for _ in range(5):
                module(x)
        times = {name: {"wall": [], "cpu": []} for name in modules}
        for _ in range(rounds):  # interleaved, so both see the same machine load
            for name, module in modules.items():
                wall, cpu = _time_calls(module, x, n_calls, device)
                times[name]["wall"].append(wall)
                times[name]["cpu"].append(cpu)
        row = {"shape": "x".join(map(str, shape))}
        for name in modules:
            row[f"{name}_wall_ms"] = 1e3 * statistics.median(times[name]["wall"])
            row[f"{name}_cpu_ms"] = 1e3 * statistics.median(times[name]["cpu"])
        row["speedup_wall"] = row["kornia_wall_ms"] / row["fused_wall_ms"]
        row["speedup_cpu"] = row["kornia_cpu_ms"] / row["fused_cpu_ms"]
        key = "wall" if device == "cuda" else "cpu"  # CPU time: robust to a shared machine
        row["fused_images_per_s"] = shape[0] / (row[f"fused_{key}_ms"] / 1e3)
        print(row, flush=True)
        rows.append(row)
    return rows


def _markdown(info: dict, rows: list[dict], command: str, device: str, quick: bool) -> str:
    rounds, n_calls = (3, 5) if quick else (15, 20)
    gpu = f", {info['gpu']}" if "gpu" in info else ""
    timer = "wall-clock (synchronised)" if device == "cuda" else "CPU time of the process"
    lines = [
        "# Augmentation: fused plain torch vs kornia's sequential ops",
        "",
        f"Machine: {info['cpu_model']} ({info['processor']}), {info['cpu_cores']} cores, "
        f"torch {info['torch']} ({info['torch_threads']} threads), kornia {info['kornia']}, "
        f"Python {info['python']}, device {info['device']}{gpu}.",
        f"Command: `{command}`",
        "",
        "Seed 003's augmentation (rotation 180 deg, shift 0.1, shear 0.2 rad, zoom (0.8, 1.0), "
        "both flips) per call on one batch. `fused`: `RandomAffine2d()` (one "
        "sampling grid + one `grid_sample`). `kornia`: the previous implementation, "
        "`RandomAffine` + `RandomHorizontalFlip` + `RandomVerticalFlip`. "
        f"Median over {rounds} interleaved rounds of {n_calls} calls after a warm-up; ms per "
        f"batch by {timer} "
        "(wall-clock in brackets: on a shared machine it also measures the other processes).",
        "",
        "| batch | fused (ms) | kornia (ms) | speed-up | fused images/s |",
        "| --- | --- | --- | --- | --- |",
    ]
    key = "wall" if device == "cuda" else "cpu"
    for r in rows:
        lines.append(
            f"| {r['shape']} | {r[f'fused_{key}_ms']:.3f} ({r['fused_wall_ms']:.3f}) | "
            f"{r[f'kornia_{key}_ms']:.3f} ({r['kornia_wall_ms']:.3f}) | "
            f"{r[f'speedup_{key}']:.1f}x ({r['speedup_wall']:.1f}x) | "
            f"{r['fused_images_per_s']:,.0f} |"
        )
    return "\n".join(lines) + "\n"


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="few rounds (smoke run)")
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    args = parser.parse_args(argv)
    if args.device == "cuda" and not torch.cuda.is_available():
        print("skipped: no CUDA GPU")
        return
    import kornia

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    info = machine(args.device)
    info["kornia"] = kornia.__version__
    rows = bench(args.device, args.quick)
    command = "python benchmarks/bench_augment.py " + " ".join(
        argv if argv is not None else sys.argv[1:]
    )
    md = _markdown(info, rows, command.strip(), args.device, args.quick)
    RESULTS.mkdir(exist_ok=True)
    name = f"augment_{args.device}{'_quick' if args.quick else ''}.md"
    (RESULTS / name).write_text(md)
    print(md)


if __name__ == "__main__":
    main()
