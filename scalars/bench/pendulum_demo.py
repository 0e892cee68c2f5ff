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

from scalars.bench.pendulum import MODELS, _table, fit_and_score
from scalars.dynamics import DoubleSpringPendulum, geometric_mean, pendulum_data, relative_error

__all__ = ["main", "plot"]

_COLORS = {"truth": "black", "scalar HNN": "tab:blue", "MLP HNN": "tab:orange"}


def plot(data, predictions, trajectory=0):
    """The three-panel figure of the demo.

    Parameters
    ----------
    data : PendulumData
    predictions : dict
        Model name -> predicted test trajectories (n_test, T, 12).
    trajectory : int
        Test trajectory shown in the left and right panels.

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt

    system = DoubleSpringPendulum(*data.test_params[trajectory], g=data.test_g[trajectory])
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.2))
    axes[0].plot(data.t, data.test[trajectory, :, 5], color=_COLORS["truth"], lw=2.5, label="truth")
    axes[2].plot(data.t, system.energy(data.test[trajectory]), color=_COLORS["truth"], lw=2.5, label="truth")
    for name, prediction in predictions.items():
        color = _COLORS.get(name)
        axes[0].plot(data.t, prediction[trajectory, :, 5], "--", color=color, label=name)
        typical = geometric_mean(relative_error(prediction, data.test), axis=0)  # (T,)
        axes[1].semilogy(data.t[1:], typical[1:], color=color, label=name)
        axes[2].plot(data.t, system.energy(prediction[trajectory]), "--", color=color, label=name)
    axes[0].set(title="height of the lower bob", xlabel="time", ylabel="$z_2$")
    axes[1].set(title="relative state error (geometric mean over test set)", xlabel="time", ylabel="error")
    axes[2].set(title="true energy along the trajectory", xlabel="time", ylabel="H")
    for axis in axes:
        axis.legend(loc="best", fontsize=8)
    fig.tight_layout()
    return fig


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
    print(_table(rows))
    import matplotlib

    matplotlib.use("Agg")
    path = args.out / "pendulum_demo.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    plot(data, predictions).savefig(path, dpi=120)
    print(f"\nfigure: {path}; wall time {time.perf_counter() - start:.0f} s")
    return 0
