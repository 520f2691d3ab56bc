"""Cell linking (sklearn_cells.tracking) against laptrack called directly, and its quality.

Speed, on random-walk detections (``--cells`` cells over ``--frames`` frames, a step of
about 1.5 pixels a frame, about 30 pixels between cells, as in PhC-C2DL-PSC):

(a) ``link_detections(table)`` against ``laptrack.LapTrack(...).predict(coords)`` with the
    same settings on the same detections (the baseline's list of per-frame coordinate
    arrays is built from the same table inside its timing). Interleaved pairs after a
    warm-up; median of the per-pair ratios of wall and of process CPU time. Target:
    under 10 s and at most 1.1x.
(b) laptrack's own table output, ``predict_dataframe``, on ``--frames-df`` frames (it
    takes minutes on 100 frames), for context.
(c) ``link_instances(label frames)``, which also measures the cells (centroids and
    areas by ``bincount``) and relabels the frames, against the steps written by hand
    with scikit-image's ``regionprops_table`` and ``LapTrack.predict``.

Quality (``--quality``), with the defaults: link F1 on the PhC-C2DL-PSC silver truth
(frames 0-49, linking its own instances; ``--data-dir``), and TRA, DET (py-ctcmetrics,
when installed), link F1 and division F1 on ``make_timelapse`` dividing, touching cells in
a dense and a sparse setting. ``--unet`` adds the PSC link F1 from ``UNetSegmenter``
instances (trained on frames 0-29 for ``--unet-epochs``, tracked on 30-49).

Run from the repository root::

    python benchmarks/bench_linking.py --quality [--unet]    # writes results/linking_cpu.md
    python benchmarks/bench_linking.py --quick               # smoke run, writes *_quick.md
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np
import pandas as pd
from laptrack import LapTrack
from skimage.measure import regionprops_table

from sklearn_cells.tracking import link_detections, link_instances

from _machine import machine  # benchmarks/_machine.py, beside this script

RESULTS = Path(__file__).resolve().parent / "results"
MAX_DISTANCE, MAX_GAP = 15.0, 2  # the library's defaults


def random_walks(n_cells: int, n_frames: int, seed: int = 0) -> pd.DataFrame:
    """Detections of cells on persistent random walks, one row per cell and frame."""
    rng = np.random.default_rng(seed)
    side = 30.0 * np.sqrt(n_cells)
    pos = rng.uniform(0, side, size=(n_cells, 2))
    vel = rng.normal(scale=1.5, size=(n_cells, 2))
    rows = []
    for t in range(n_frames):
        rows.append(pd.DataFrame({"t": t, "y": pos[:, 0], "x": pos[:, 1]}))
        vel = 0.8 * vel + 0.6 * rng.normal(scale=1.5, size=vel.shape)
        pos = np.clip(pos + vel, 0, side)
    return pd.concat(rows, ignore_index=True)


def direct_model() -> LapTrack:
    """laptrack with the settings link_detections uses, in pixels instead of max_distance."""
    c = MAX_DISTANCE**2
    return LapTrack(cutoff=c, gap_closing_cutoff=c, gap_closing_max_frame_count=MAX_GAP + 1,
                    splitting_cutoff=c, segment_start_cost=c, segment_end_cost=c)


def direct(det: pd.DataFrame):
    n_frames = int(det["t"].max()) + 1
    coords = [g[["y", "x"]].to_numpy() for _, g in det.groupby("t")]
    assert len(coords) == n_frames
    return direct_model().predict(coords)


def timed(fn, *args):
    w, c = time.perf_counter(), time.process_time()
    out = fn(*args)
    return out, time.perf_counter() - w, time.process_time() - c


def pairs(ours, theirs, args, repeat: int) -> dict:
    """Interleaved timings; medians and the median of per-pair ratios."""
    ours(*args), theirs(*args)  # warm-up: imports, caches
    rows = []
    for k in range(repeat):
        order = [(ours, "ours"), (theirs, "direct")][:: 1 if k % 2 == 0 else -1]
        row = {}
        for fn, name in order:
            _, row[f"{name}_wall"], row[f"{name}_cpu"] = timed(fn, *args)
        rows.append(row)
    df = pd.DataFrame(rows)
    return {"ours_wall": df.ours_wall.median(), "direct_wall": df.direct_wall.median(),
            "ratio_wall": (df.ours_wall / df.direct_wall).median(),
            "ours_cpu": df.ours_cpu.median(), "direct_cpu": df.direct_cpu.median(),
            "ratio_cpu": (df.ours_cpu / df.direct_cpu).median(), "pairs": repeat}


def same_links(det: pd.DataFrame) -> bool:
    """Whether link_detections and laptrack called directly make the same links."""
    rows = [g.index.to_numpy() for _, g in det.groupby("t")]  # laptrack's (t, i) -> row
    theirs = {(int(rows[u[0]][u[1]]), int(rows[v[0]][v[1]])) for u, v in direct(det).edges()}
    ours = link_detections(det).reset_index()  # "index": the row of det
    track, row = ours["track_id"].to_numpy(), ours["index"].to_numpy()
    same = track[1:] == track[:-1]
    links = set(zip(row[:-1][same].tolist(), row[1:][same].tolist()))
    last = ours.groupby("track_id")["index"].last()
    first = ours.groupby("track_id")[["index", "parent_id"]].first()
    links |= {(int(last[p]), int(r)) for r, p in zip(first["index"], first["parent_id"]) if p}
    return theirs == links


def label_frames(det: pd.DataFrame, radius: int = 5) -> np.ndarray:
    """Disks at the detections (label = row number within the frame + 1), uint16."""
    side = int(np.ceil(det[["y", "x"]].to_numpy().max())) + radius + 2
    n_frames = int(det["t"].max()) + 1
    frames = np.zeros((n_frames, side, side), np.uint16)
    yy, xx = np.mgrid[-radius:radius + 1, -radius:radius + 1]
    disk = yy**2 + xx**2 <= radius**2
    for t, g in det.groupby("t"):
        for k, (y, x) in enumerate(g[["y", "x"]].to_numpy().round().astype(int)):
            patch = frames[t, y:y + 2 * radius + 1, x:x + 2 * radius + 1]
            patch[disk[:patch.shape[0], :patch.shape[1]]] = k + 1
    return frames


def by_hand(frames: np.ndarray):
    """regionprops_table per frame, then LapTrack.predict: the linking graph, no table."""
    coords = []
    for f in frames:
        p = regionprops_table(f, properties=("label", "centroid", "area"))
        coords.append(np.column_stack([p["centroid-0"], p["centroid-1"]]))
    return direct_model().predict(coords)


def speed(args) -> list[str]:
    det = random_walks(args.cells, args.frames)
    lines = [f"## Speed: {args.cells} cells x {args.frames} frames ({len(det)} detections)", ""]
    identical = same_links(det)
    a = pairs(link_detections, direct, (det,), args.repeat)
    lines += ["| what | ours wall / CPU (s) | laptrack direct wall / CPU (s) | ratio wall | "
              "ratio CPU |", "| --- | --- | --- | --- | --- |",
              f"| (a) `link_detections` vs `LapTrack.predict` | {a['ours_wall']:.2f} / "
              f"{a['ours_cpu']:.2f} | {a['direct_wall']:.2f} / {a['direct_cpu']:.2f} | "
              f"{a['ratio_wall']:.3f} | {a['ratio_cpu']:.3f} |"]
    small = det[det["t"] < args.frames_df]
    _, own_df, _ = timed(link_detections, small)
    _, lap_df, _ = timed(lambda d: direct_model().predict_dataframe(d, ["y", "x"],
                                                                   frame_col="t"), small)
    lines.append(f"| (b) on {args.frames_df} frames: `link_detections` vs laptrack's "
                 f"`predict_dataframe` | {own_df:.2f} / - | {lap_df:.2f} / - | "
                 f"{own_df / lap_df:.3f} | |")
    frames = label_frames(det)
    c = pairs(link_instances, by_hand, (frames,), 1)
    lines.append(f"| (c) `link_instances` on label frames {frames.shape} vs "
                 f"`regionprops_table` + `LapTrack.predict` | {c['ours_wall']:.2f} / "
                 f"{c['ours_cpu']:.2f} | {c['direct_wall']:.2f} / {c['direct_cpu']:.2f} | "
                 f"{c['ratio_wall']:.3f} | {c['ratio_cpu']:.3f} |")
    lines += ["", f"(a): median of {a['pairs']} interleaved pairs after a warm-up; same links "
              f"as laptrack direct: {identical}. Target: under 10 s, ratio at most 1.1. "
              "(c): one pair after a warm-up; ours also builds the table, the trajectories "
              "and the relabelled frames. Process CPU time is the steadier measure on a "
              f"shared machine (load average {os.getloadavg()[0]:.1f} on "
              f"{os.cpu_count()} cores when this ran).", ""]
    return lines


def _div_counts(truth, labels, result) -> np.ndarray:
    from sklearn_cells.metrics import division_scores

    d = division_scores(truth, labels, result.tracks, result.labels)
    return np.array([d["precision"] * d["n_pred"], d["n_pred"], d["n_true"]])


def synthetic_quality(setting: str, kw: dict, n_sequences: int) -> str:
    from sklearn_cells.datasets import make_timelapse
    from sklearn_cells.metrics import ctc_tracking_scores, link_scores

    X, y, tracks = make_timelapse(n_sequences=n_sequences, n_frames=40, division_rate=0.03,
                                  touching=0.3, instance_masks=True, return_tracks=True,
                                  random_state=2, **kw)
    f1, ctc, div = [], [], np.zeros(3)
    for s in range(n_sequences):
        m = X.sequence_ids == s
        truth = tracks[tracks.sequence_id == s]
        result = link_instances(y[m])
        f1.append(link_scores(truth, y[m], result.tracks, result.labels)["f1"])
        div += _div_counts(truth, y[m], result)
        try:
            c = ctc_tracking_scores(truth, y[m], result.tracks, result.labels, ["DET", "TRA"])
            ctc.append((c["TRA"], c["DET"]))
        except ImportError:
            pass
    p, r = div[0] / max(div[1], 1), div[0] / max(div[2], 1)
    tra = f"{np.mean(ctc, 0)[0]:.4f} | {np.mean(ctc, 0)[1]:.4f}" if ctc else "- | -"
    return (f"| make_timelapse, {setting}: {n_sequences} x 40 frames, `{kw}` | "
            f"{np.mean(f1):.4f} | {tra} | {p:.3f} / {r:.3f} / {2 * p * r / (p + r):.3f} "
            f"({int(div[2])}) |")


def quality(args) -> list[str]:
    from sklearn_cells.datasets import load_ctc_sequence
    from sklearn_cells.metrics import link_scores
    from sklearn_cells.tracking import tracks_from_labels

    lines = ["## Quality (defaults, true instances unless said)", "",
             "| data | link F1 | TRA | DET | divisions P / R / F1 (true) |",
             "| --- | --- | --- | --- | --- |"]
    psc = args.data_dir / "PhC-C2DL-PSC"
    if psc.is_dir():
        data = load_ctc_sequence(psc, "02", truth="ST")
        truth = tracks_from_labels(data.masks)
        result = link_instances(data.masks)
        s = link_scores(truth, data.masks, result.tracks, result.labels)
        lines.append(f"| PhC-C2DL-PSC 02 silver truth, frames 0-49 (P {s['precision']:.4f}, "
                     f"R {s['recall']:.4f}; the truth has no lineage, so the "
                     f"{(result.tracks.groupby('track_id').parent_id.first() > 0).sum()} "
                     f"daughter links found count as false) | {s['f1']:.4f} | | | |")
        if args.unet:
            lines.append(unet_row(data, args.unet_epochs))
    else:
        lines.append(f"| PhC-C2DL-PSC: not found under {args.data_dir.name}/ | | | | |")
    n = 4 if args.quick else 20
    lines.append(synthetic_quality("dense", dict(frame_shape=(128, 128), n_cells=10), n))
    lines.append(synthetic_quality("sparse", dict(frame_shape=(128, 128), n_cells=6,
                                                  speed=1.0), n))
    return lines + [""]


def unet_row(data, epochs: int) -> str:
    import torch

    from sklearn_cells.image import IntensityNormalizer, UNetSegmenter
    from sklearn_cells.metrics import link_scores
    from sklearn_cells.tracking import tracks_from_labels

    torch.set_num_threads(1)
    X = IntensityNormalizer().fit_transform(data.frames)
    t0 = time.perf_counter()
    unet = UNetSegmenter(instances="boundary", max_epochs=epochs, random_state=0)
    unet.fit(X[:30], data.masks[:30])
    cells = unet.predict_instances(X[30:])
    fit_min = (time.perf_counter() - t0) / 60
    truth_masks = data.masks[30:]
    result = link_instances(cells)
    s = link_scores(tracks_from_labels(truth_masks), truth_masks, result.tracks,
                    result.labels)
    return (f"| PSC, `UNetSegmenter(instances='boundary', max_epochs={epochs})` instances "
            f"(fit on 0-29, {fit_min:.1f} min) tracked on 30-49 (P {s['precision']:.3f}, "
            f"R {s['recall']:.3f}) | {s['f1']:.4f} | | | |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cells", type=int, default=1000)
    parser.add_argument("--frames", type=int, default=100)
    parser.add_argument("--frames-df", type=int, default=20,
                        help="frames for laptrack's predict_dataframe in (b)")
    parser.add_argument("--repeat", type=int, default=3, help="interleaved pairs in (a)")
    parser.add_argument("--quality", action="store_true", help="also the quality table")
    parser.add_argument("--unet", action="store_true", help="also PSC from U-Net instances")
    parser.add_argument("--unet-epochs", type=int, default=2)
    parser.add_argument("--data-dir", type=Path,
                        default=Path(__file__).resolve().parents[2] / "shared" / "data")
    parser.add_argument("--quick", action="store_true", help="small sizes, *_quick.md")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    if args.quick:
        args.cells, args.frames, args.frames_df, args.repeat = 100, 20, 5, 1
    info = machine("cpu")
    lines = ["# Linking: sklearn_cells.tracking vs laptrack called directly", "",
             "Machine: " + ", ".join(f"{k} {v}" for k, v in info.items()) + ".", "",
             "`python benchmarks/bench_linking.py" + (" --quality" if args.quality else "")
             + (" --unet" if args.unet else "") + (" --quick" if args.quick else "") + "`",
             ""]
    lines += speed(args)
    if args.quality:
        lines += quality(args)
    text = "\n".join(lines)
    print(text)
    out = args.out / ("linking_cpu_quick.md" if args.quick else "linking_cpu.md")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)


if __name__ == "__main__":
    main()
