"""The main demo: learn a springy double pendulum with an O(3)-invariant Hamiltonian network.

``python -m scalars demo [--time-limit S] [--n-test N] [--out DIR]`` trains the scalar HNN
and the MLP HNN baseline on 500 training chunks of the EMLP protocol, each for the same
wall-clock budget (default 100 s), prints their test scores beside the published rows, and
writes ``out/pendulum_demo.png``: true and predicted motion of the lower bob, the relative
state error over time (log axis), and the energy along the predicted trajectories.
"""

import argparse
import time
from pathlib import Path

import torch

from scalars.bench.pendulum import MODELS, fit_and_score, table
from scalars.dynamics import pendulum_data, plot_rollouts

__all__ = ["main"]


def _parser():
    parser = argparse.ArgumentParser(prog="python -m scalars demo", description=__doc__.split("\n\n")[0])
    parser.add_argument("--time-limit", type=float, default=100.0, help="training seconds per model (default 100)")
    parser.add_argument("--n-test", type=int, default=50, help="test trajectories (default 50)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    parser.add_argument("--out", type=Path, default=Path("out"), help="directory for the figure")
    parser.add_argument("--no-progress", action="store_true", help="hide progress bars")
    return parser


def main(argv=None):
    args = _parser().parse_args(argv)
    torch.set_num_threads(args.threads)
    start = time.perf_counter()
    data = pendulum_data(500, args.n_test, seed=args.seed)
    rows, predictions = [], {}
    for name in ("scalar HNN", "MLP HNN"):
        cls, rates = MODELS[name]
        print(f"training the {name} for {args.time_limit:.0f} s", flush=True)
        rows += fit_and_score(name, cls(), data, args.time_limit, rates, args.seed, not args.no_progress)
        predictions[name] = rows[-1]["prediction"]
    print()
    print(table(rows))
    import matplotlib

    matplotlib.use("Agg")
    path = args.out / "pendulum_demo.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    plot_rollouts(data, predictions).savefig(path, dpi=120)
    print(f"\nfigure: {path}; wall time {time.perf_counter() - start:.0f} s")
    return 0
