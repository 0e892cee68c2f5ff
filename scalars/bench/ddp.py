"""Two ranks against one: the O(5) MLP trained by ``scalars.nn.fit`` under torchrun.

    python -m scalars bench ddp                          # one rank here, then two under torchrun
    torchrun --nproc-per-node 2 -m scalars bench ddp     # the two ranks alone; rank 0 reports

The MLP of :class:`scalars.estimators.EquivariantMLPRegressor` (``scalars.nn.EquivariantHead``
in float64) learns O5Synthetic from seed 0: Adam, early stopping on a validation split, and an
L-BFGS polish. One process trains on the global minibatches; each of the two ranks trains on
its half of each, and the loss curves and final weights of the two runs are compared.
"""

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time

import numpy as np
import torch

from scalars.datasets import O5Synthetic
from scalars.nn import EquivariantHead, fit

_RESULTS = ("train_loss", "validation_loss", "polish_loss", "weights")


def train(samples, batch_size, epochs, polish, distributed):
    """The O(5) MLP trained on ``samples`` O5Synthetic samples; returns its results.

    Returns
    -------
    dict
        ``train_loss``, ``validation_loss``, ``polish_loss`` (arrays of the History),
        ``weights`` (all parameters, flattened) and ``seconds`` (of training).
    """
    torch.set_num_threads(1)
    data = O5Synthetic(samples, seed=0)
    X, y = torch.tensor(data.X), torch.tensor(data.y)
    head = EquivariantHead("O(5)", "2T1", hidden=(32, 32)).double().fit_statistics(X, y)
    history = fit(head, X, y, max_epochs=epochs, batch_size=batch_size, seed=0, progress=False, polish=polish,
                  distributed=distributed)
    weights = torch.cat([p.detach().reshape(-1) for p in head.parameters()]).numpy()
    return {"train_loss": np.array(history.train_loss), "validation_loss": np.array(history.validation_loss),
            "polish_loss": np.array(history.polish_loss), "weights": weights, "seconds": history.seconds}


def free_port():
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def torchrun(argv, ranks=2, env=None):
    """Run ``python -m scalars bench ddp *argv`` on ``ranks`` local ranks; returns the process."""
    command = [sys.executable, "-m", "torch.distributed.run", f"--nproc-per-node={ranks}", "--nnodes=1",
               "--master-addr=127.0.0.1", f"--master-port={free_port()}", "-m", "scalars", "bench", "ddp", *argv]
    return subprocess.run(command, capture_output=True, text=True, env=env, check=True)


def max_difference(one, other):
    """Largest absolute difference of each result of two runs (inf if their lengths differ)."""
    return {key: float(np.abs(one[key] - other[key]).max(initial=0.0)) if one[key].shape == other[key].shape
            else float("inf") for key in _RESULTS}


def _parser():
    parser = argparse.ArgumentParser(prog="python -m scalars bench ddp", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--samples", type=int, default=3000)
    parser.add_argument("--batch-size", type=int, default=125)
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--polish", type=float, default=0.1, help="share of the budget for L-BFGS")
    parser.add_argument("--quick", action="store_true", help="300 samples, 10 epochs")
    parser.add_argument("--out", help="under torchrun: the .npz file rank 0 writes the results to")
    return parser


def main(argv=None):
    args = _parser().parse_args(argv)
    if args.quick:
        args.samples, args.epochs = 300, 10
    sizes = ["--samples", str(args.samples), "--batch-size", str(args.batch_size), "--epochs", str(args.epochs),
             "--polish", str(args.polish)]
    if int(os.environ.get("WORLD_SIZE", "1")) > 1:
        return _rank(args)
    one = train(args.samples, args.batch_size, args.epochs, args.polish, distributed=False)
    with tempfile.TemporaryDirectory() as directory:
        out = os.path.join(directory, "ranks.npz")
        start = time.perf_counter()
        torchrun([*sizes, "--out", out])
        launched = time.perf_counter() - start
        two = dict(np.load(out))
    print(f"O5Synthetic, {args.samples} samples, batch {args.batch_size}, {args.epochs} epochs, "
          f"polish {args.polish}; {len(one['train_loss'])} Adam epochs, {len(one['polish_loss'])} L-BFGS steps")
    print(f"fit wall time: one rank {one['seconds']:.2f} s, two ranks {float(two['seconds']):.2f} s "
          f"(torchrun with its start-up: {launched:.1f} s)")
    for key, difference in max_difference(one, two).items():
        print(f"max |one rank - two ranks| of {key}: {difference:.2e}")
    return 0


def _rank(args):
    """One rank of a torchrun job: train, and rank 0 reports."""
    results = train(args.samples, args.batch_size, args.epochs, args.polish, distributed=True)
    if torch.distributed.get_rank() != 0:
        return 0
    if args.out:
        np.savez(args.out, **results)
    print(f"rank 0 of {torch.distributed.get_world_size()}: {len(results['train_loss'])} Adam epochs, "
          f"final training loss {results['train_loss'][-1]:.6g}, fit wall time {results['seconds']:.2f} s")
    return 0
