"""Frame importance: which read-out finds events that pixel change cannot see.

Run from the repository root::

    python benchmarks/bench_frame_importance.py           # ~5 min on a shared 2-core CPU
    python benchmarks/bench_frame_importance.py --quick   # smoke run (~15 s)

For each family of events of ``make_migration_videos`` (``events="ordinary"``:
turns, rounding, spreading, division, all visible as a jump in pixel change;
``events="hard"``: quiet turns, protrusion reversals and slowdowns, which
change how a cell moves but not how much the picture changes), the script
fits one :class:`~sklearn_cells.video.AttentionFrameScorer` on training
videos and scores held-out videos from another seed with

- :class:`~sklearn_cells.video.FrameChangeScorer`, the no-network baseline
  (mean squared change from the previous frame);
- pixel extrapolation, a second no-network reference: the error of
  predicting a frame as ``2 * frame[t - 1] - frame[t - 2]`` (constant
  velocity in pixel space), the simplest motion model;
- every read-out of the one network: ``transform`` with
  ``importance="surprise"``, ``"attention"`` and ``"attention_change"``, and
  two read-outs of the raw ``attention`` rows (the attention a step pays to
  its own frame, and the entropy of its attention). The raw
  ``prediction_errors`` rank frames within a video exactly as surprise does
  (checked, not listed).

Quality is the event ROC AUC of ``examples/plot_frame_importance.py``: per
held-out video, event frames against ordinary frames (per kind: the frames
of that kind against ordinary ones), averaged over videos. The issue's bar
for the hard events: the best read-out of one network reaches >= 0.80 and
beats ``FrameChangeScorer`` by >= 0.10.

The network is the estimator with ``motion=True`` (each frame encoded with
its change since the previous one) and ``lr=3e-3``, other parameters at
their defaults (40 epochs): in exploratory runs (32 training videos,
24 held-out) the default settings found quiet turns and slowdowns but not
protrusion reversals (surprise 0.63 on all hard events after 20 epochs),
and the example's attention settings did no better (0.61). Change it with
``--network '{"attention_span": 16, ...}'``.

Results go to ``benchmarks/results/frame_importance_<device>.md``
(``_quick`` for ``--quick``; other seeds, families or networks add to the
name, so they never overwrite the default run). ``torch.set_num_threads(1)``
on CPU.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch
from sklearn.metrics import roc_auc_score

from sklearn_cells.datasets._videos import (
    EVENT_KINDS,
    HARD_EVENT_KINDS,
    make_migration_videos,
)
from sklearn_cells.video import AttentionFrameScorer, FrameChangeScorer

from _machine import machine  # benchmarks/_machine.py, beside this script

RESULTS = Path(__file__).resolve().parent / "results"
FAMILIES = {"ordinary": EVENT_KINDS, "hard": HARD_EVENT_KINDS}
NETWORK = dict(motion=True, lr=3e-3)
READ_OUTS = ("surprise", "attention", "attention_change")
BASELINE = "frame change (FrameChangeScorer)"
BAR_AUC, BAR_MARGIN = 0.80, 0.10


def event_auc(importance, events, kinds, kind=None):
    """ROC AUC per video (events of one kind, or all, vs ordinary frames), averaged."""
    aucs = []
    for imp, ev, kd in zip(importance, events, kinds):
        keep = (kd == "") | (kd == kind) if kind else np.ones(len(ev), bool)
        if ev[keep].any():
            aucs.append(roc_auc_score(ev[keep], np.asarray(imp)[keep]))
    return float(np.mean(aucs)) if aucs else float("nan")


def pixel_extrapolation(videos):
    """Error of predicting frame t as 2 * frame[t-1] - frame[t-2]; the first two get the minimum."""
    videos = np.asarray(videos, dtype=np.float64)
    error = np.mean(np.diff(videos, n=2, axis=1) ** 2, axis=(2, 3))
    first = error.min(axis=1, keepdims=True)
    return np.concatenate([first, first, error], axis=1)


def run_family(family, args, network_params):
    kinds = FAMILIES[family]
    train, _, _ = make_migration_videos(
        args.n_videos, args.n_frames, events=family, return_event_kinds=True,
        random_state=args.seed,
    )
    test, events, test_kinds = make_migration_videos(
        args.n_held_out, args.n_frames, events=family, return_event_kinds=True,
        random_state=args.seed + 1000,
    )
    importances = {}
    baseline = FrameChangeScorer().fit(train)
    importances[BASELINE] = baseline.transform(test)
    importances["pixel extrapolation (no network)"] = pixel_extrapolation(test)

    start = time.perf_counter()
    network = AttentionFrameScorer(device=args.device, random_state=args.seed, **network_params)
    network.fit(train)
    fit_seconds = time.perf_counter() - start
    for read_out in READ_OUTS:
        network.set_params(importance=read_out)
        importances[f"network: {read_out}"] = network.transform(test)
    # Two more read-outs of the raw attention rows (step t's attention to frames
    # t, t - 1, ...): how much a step relies on its own frame, and how spread
    # its attention is. Either may drop at events, so AUC < 0.5 is a signal too.
    rows = network.attention(test)
    importances["network: attention to its own frame (raw)"] = [r[:, 0] for r in rows]
    importances["network: attention entropy (raw)"] = [
        -(r * np.log(np.where(r > 0, r, 1.0))).sum(axis=1) for r in rows
    ]
    # The raw prediction errors rank frames exactly as surprise does (same
    # errors, first frame set to the smallest, then a monotone normalisation).
    errors = [np.where(np.isnan(e), np.nanmin(e), e) for e in network.prediction_errors(test)]
    assert np.isclose(event_auc(errors, events, test_kinds),
                      event_auc(importances["network: surprise"], events, test_kinds))

    rows = {}  # now: AUC per importance
    for name, importance in importances.items():
        rows[name] = {"all": event_auc(importance, events, test_kinds)}
        rows[name].update({k: event_auc(importance, events, test_kinds, k) for k in kinds})
    counts = {k: int((test_kinds == k).sum()) for k in kinds}
    network_rows = [n for n in rows if n.startswith("network")]
    best = max(network_rows, key=lambda n: rows[n]["all"])
    result = {
        "kinds": list(kinds),
        "event_counts_held_out": counts,
        "fit_seconds": round(fit_seconds, 1),
        "epochs_run": len(network.net_.history),
        "final_train_loss": float(network.net_.history[-1, "train_loss"]),
        "held_out_score": {"network": network.score(test), "frame change": baseline.score(test)},
        "auc": rows,
        "best_read_out": best,
        "margin_over_frame_change": rows[best]["all"] - rows[BASELINE]["all"],
    }
    result["bar_met"] = bool(
        rows[best]["all"] >= BAR_AUC and result["margin_over_frame_change"] >= BAR_MARGIN
    )
    return result


def markdown(results):
    m = results["machine"]
    lines = [
        f"# Frame importance: FrameChangeScorer vs one AttentionFrameScorer ({m['device']})",
        "",
        f"Machine: {m['cpu_model']} ({m['processor']}), {m['cpu_cores']} cores, torch "
        f"{m['torch']} ({m['torch_threads']} thread(s)), device `{m['device']}`"
        + (f" ({m['gpu']})" if "gpu" in m else "") + ".",
        f"Command: `{results['command']}`",
        "",
        (
            f"{results['n_videos']} training videos and {results['n_held_out']} held-out "
            f"videos (another seed) of {results['n_frames']} frames, 32 x 32 pixels, 3 events "
            f"each. Network: `AttentionFrameScorer(**{results['network']})`, random_state="
            f"{results['seed']}, one network per family of events, fitted on that family's "
            "training videos."
        ),
        "",
        (
            "Event ROC AUC on held-out videos (per video, event frames against ordinary "
            "frames, averaged; 0.5 is chance):"
        ),
    ]
    for family, res in results["families"].items():
        kinds = res["kinds"]
        lines += [
            "",
            f"## events=\"{family}\"",
            "",
            "Held-out events: "
            + ", ".join(f"{k} {n}" for k, n in res["event_counts_held_out"].items())
            + f". Fit {res['fit_seconds']:.0f} s ({res['epochs_run']} epochs, final train loss "
            f"{res['final_train_loss']:.2e}); held-out next-frame score (negative MSE): network "
            f"{res['held_out_score']['network']:.5f}, copy of the previous frame "
            f"{res['held_out_score']['frame change']:.5f}.",
            "",
            "| importance | all events | " + " | ".join(kinds) + " |",
            "| --- | --- | " + " | ".join("---" for _ in kinds) + " |",
        ]
        for name, row in res["auc"].items():
            mark = "**" if name == res["best_read_out"] else ""
            lines.append(
                f"| {name} | {mark}{row['all']:.3f}{mark} | "
                + " | ".join(f"{row[k]:.3f}" for k in kinds) + " |"
            )
        if family == "hard":
            lines += [
                "",
                f"Bar (best read-out of one network >= {BAR_AUC:.2f} and >= FrameChangeScorer "
                f"+ {BAR_MARGIN:.2f}): best is {res['best_read_out']} at "
                f"{res['auc'][res['best_read_out']]['all']:.3f}, "
                f"{res['margin_over_frame_change']:+.3f} over frame change: "
                + ("**met**." if res["bar_met"] else "**not met**."),
            ]
    lines += ["", f"Total time {results['total_seconds']:.0f} s."]
    for note in results.get("notes", []):
        lines += ["", f"Note: {note}"]
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(
        description="Frame importance: FrameChangeScorer vs the read-outs of one "
        "AttentionFrameScorer on ordinary and hard events"
    )
    parser.add_argument("--quick", action="store_true", help="small data, few epochs")
    parser.add_argument("--n-videos", type=int, default=32, help="training videos per family")
    parser.add_argument("--n-held-out", type=int, default=24)
    parser.add_argument("--n-frames", type=int, default=40)
    parser.add_argument("--seed", type=int, default=0, help="data and network seed")
    parser.add_argument("--families", nargs="+", default=list(FAMILIES), choices=list(FAMILIES))
    parser.add_argument("--network", type=json.loads, default={},
                        help="JSON of AttentionFrameScorer parameters over the defaults above")
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args(argv)
    torch.set_num_threads(1 if args.device == "cpu" else torch.get_num_threads())
    network_params = {**NETWORK, **args.network}
    if args.quick:
        args.n_videos, args.n_held_out, args.n_frames = 8, 8, 30
        network_params["max_epochs"] = 3

    start = time.perf_counter()
    results = {
        "machine": machine(args.device),
        "command": "python " + " ".join(["benchmarks/bench_frame_importance.py", *sys.argv[1:]]),
        "n_videos": args.n_videos, "n_held_out": args.n_held_out, "n_frames": args.n_frames,
        "seed": args.seed, "network": network_params, "families": {}, "notes": [],
    }
    for family in args.families:
        results["families"][family] = run_family(family, args, network_params)
        print(json.dumps(results["families"][family], indent=1, default=float), flush=True)
    results["total_seconds"] = time.perf_counter() - start
    results["notes"].append(
        "the raw prediction_errors of the network rank frames within a video exactly "
        "as surprise does (the same errors, the first frame set to the video's "
        "smallest, then a monotone normalisation): same AUC, checked in the run."
    )
    if args.quick:
        results["notes"].append("--quick: a smoke run; the figures mean nothing.")

    RESULTS.mkdir(exist_ok=True)
    # Runs other than the default one must not overwrite its results.
    name = "frame_importance_" + args.device.replace(":", "") + ("_quick" if args.quick else "")
    if args.seed:
        name += f"_seed{args.seed}"
    if set(args.families) != set(FAMILIES):
        name += "_" + "_".join(args.families)
    if args.network:
        name += "_custom"
    (RESULTS / f"{name}.md").write_text(markdown(results))
    print(markdown(results))
    return results


if __name__ == "__main__":
    main()
