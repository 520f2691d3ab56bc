"""Command line: ``python -m sklearn_cells demo``."""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sklearn_cells", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    demo = commands.add_parser(
        "demo",
        help="LSTM vs SVC on synthetic cell trajectories, stratified 5-fold CV",
        description="Fit the trajectory pipeline on make_trajectories() data with stratified "
        "5-fold cross-validation, compare it with an SVC on trajectory features, print a "
        "table and write a plot.",
    )
    demo.add_argument("--output", default="sklearn_cells_demo.png", help="plot file (PNG)")
    demo.add_argument("--n-jobs", type=int, default=-1, help="parallel folds (default: all cores)")
    demo.add_argument("--device", default="cpu", help="torch device for the LSTM, e.g. cuda")
    demo.add_argument("--random-state", type=int, default=0)
    args = parser.parse_args(argv)

    from ._demo import run_demo

    run_demo(output=args.output, n_jobs=args.n_jobs, device=args.device,
             random_state=args.random_state)
    return 0


if __name__ == "__main__":
    sys.exit(main())
