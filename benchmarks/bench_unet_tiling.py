"""Tiled inference of UNetSegmenter at default settings on one 1026x1026 frame (issue 14).

A 1026-pixel frame is just over the default ``tile_size=1024``: it is the case where a planner
that only uses full tiles nearly doubles the work per axis. For the default model (fitted for
one epoch on a 64x64 frame; the weights do not change the cost) this script reports

- the predict time of one 1026x1026 frame (single thread, best of ``--repeat`` runs),
- the pixels the network processed (summed over tiles, from a forward hook), relative to the
  padded frame, and the tile shapes,
- the largest difference of the tiled class probabilities from a whole-frame run
  (``tile_size=None``).

Run from the repository root, once, on a quiet machine::

    nice -n 10 python benchmarks/bench_unet_tiling.py --label after

Results are appended to ``benchmarks/results/unet_tiling_cpu.json`` under ``--label``.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch

from sklearn_cells.image import UNetSegmenter

from _machine import machine  # benchmarks/_machine.py, beside this script

RESULTS = Path(__file__).resolve().parent / "results"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--label", default="current", help="key of this run in the results")
    parser.add_argument("--size", type=int, default=1026, help="frame height and width")
    parser.add_argument("--repeat", type=int, default=2, help="timed predict runs")
    parser.add_argument("--out", type=Path, default=RESULTS / "unet_tiling_cpu.json")
    args = parser.parse_args()
    torch.set_num_threads(1)

    rng = np.random.default_rng(0)
    X = rng.normal(size=(1, 64, 64)).astype(np.float32)
    seg = UNetSegmenter(max_epochs=1, random_state=0).fit(X, (X > 1).astype(int))
    frame = rng.normal(size=(1, args.size, args.size)).astype(np.float32)

    shapes = []
    def record(module, inputs, output):
        shapes.extend([tuple(inputs[0].shape[-2:])] * len(inputs[0]))

    hook = seg.net_.module_.register_forward_hook(record)
    seg.predict(np.zeros((1, 64, 64), np.float32))  # warm-up
    shapes.clear()
    times = []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        seg.predict(frame)
        times.append(time.perf_counter() - t0)
    tile_shapes = shapes[: len(shapes) // args.repeat]
    hook.remove()

    tiled = seg.predict_proba(frame)
    whole = seg.set_params(tile_size=None).predict_proba(frame)
    padded = -(-args.size // 2**seg.depth) * 2**seg.depth
    processed = sum(h * w for h, w in tile_shapes)
    result = {
        "frame": [args.size, args.size],
        "params": {k: seg.get_params()[k] for k in ("depth", "kernel_size", "n_convs",
                                                     "base_channels", "batch_size")},
        "tile_size": 1024,
        "tile_overlap": UNetSegmenter().get_params()["tile_overlap"],
        "predict_s_best": min(times),
        "predict_s_all": times,
        "tile_shapes": tile_shapes,
        "pixels_processed_over_padded_frame": processed / padded**2,
        "max_abs_diff_tiled_vs_whole": float(np.abs(tiled - whole).max()),
        "machine": machine("cpu"),
    }
    print(json.dumps(result, indent=1))
    runs = json.loads(args.out.read_text()) if args.out.exists() else {}
    runs[args.label] = result
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(runs, indent=1) + "\n")


if __name__ == "__main__":
    main()
