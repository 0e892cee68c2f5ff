"""emlp 1.0.3: cold equivariant-basis solves and Adam steps of its EMLP, printed as JSON.

A standalone peer runner for ``python -m scalars bench emlp``: it runs in the peers
environment (``make peers``) and does not import scalars.

    python peers/emlp_step.py solves GROUP:IN:OUT [GROUP:IN:OUT ...]
    python peers/emlp_step.py step DATA.npz [--steps N] [--hidden 384] [--layers 3] [--batch-size 500]

Groups are spelled as in scalars ("O(3)", "SO(3)", "O(1,3)", "Sp(4)", "S(8)", "O(5)") and
reps as "T<k>" (the k-fold tensor power of the defining representation, "T0" a scalar).
DATA.npz holds ``X`` (n, 10) and ``y`` (n,) of O5Synthetic (two vectors of R^5, group O(5)).
"""

import argparse
import json
import os
import random
import re
import sys
import time

os.environ.setdefault("JAX_PLATFORMS", "cpu")

import numpy as np  # noqa: E402


def emlp_group(name):
    """The emlp group of a scalars group name (``Sp(2m)`` is emlp's ``Sp(m)``)."""
    from emlp.groups import O, SO, S, Sp, Lorentz

    match = re.fullmatch(r"(SO|O|Sp|S)\((\d+)(?:,(\d+))?\)", name.replace(" ", ""))
    if match is None:
        raise ValueError(f"group {name!r} is not one this runner knows")
    family, n, q = match.group(1), int(match.group(2)), match.group(3)
    if family == "O" and q is not None:
        if (n, int(q)) != (1, 3):
            raise ValueError(f"group {name!r}: only O(1,3) among the indefinite groups")
        return Lorentz()
    return {"O": O, "SO": SO, "S": S, "Sp": lambda d: Sp(d // 2)}[family](n)


def emlp_rep(spec, group):
    from emlp.reps import Scalar, V

    rank = int(spec[1:])
    return Scalar(group) if rank == 0 else (V ** rank)(group)


def time_solves(triples):
    """Cold ``equivariant_basis`` of ``rep_in >> rep_out`` for each group:in:out triple."""
    from emlp.groups import O
    from emlp.reps import V, Rep

    (V >> V)(O(2)).equivariant_basis()  # jax start-up and first compilations, not timed
    rows = []
    for triple in triples:
        name, spec_in, spec_out = triple.split(":")
        group = emlp_group(name)
        Rep.solcache.clear()
        start = time.perf_counter()
        try:
            basis = (emlp_rep(spec_in, group) >> emlp_rep(spec_out, group)).equivariant_basis()
            dim = int(np.asarray(basis).shape[1])
            error = None
        except Exception as exc:  # a crash is a result to report
            dim, error = None, f"{type(exc).__name__}: {exc}"[:200]
        rows.append(dict(group=name, rep_in=spec_in, rep_out=spec_out, dim=dim,
                         seconds=time.perf_counter() - start, error=error))
    return rows


def time_step(path, steps, hidden, layers, batch_size, lr=3e-3, seed=0):
    """Build emlp's EMLP for O5Synthetic and time jitted Adam steps (objax, as its trainer)."""
    import objax
    from emlp.groups import O
    from emlp.nn import EMLP
    from emlp.reps import Scalar, V

    data = np.load(path)
    X, y = data["X"].astype(np.float32), data["y"].astype(np.float32).reshape(-1, 1)
    random.seed(seed)  # emlp's uniform_rep draws the ragged channels with `random`
    objax.random.DEFAULT_GENERATOR.seed(seed)
    start = time.perf_counter()
    model = EMLP(2 * V, Scalar, O(5), ch=hidden, num_layers=layers)
    build = time.perf_counter() - start
    optimizer = objax.optimizer.Adam(model.vars())

    @objax.Function.with_vars(model.vars())
    def loss(x, target):
        return ((model(x) - target) ** 2).mean()

    gradient = objax.GradValues(loss, model.vars())

    @objax.Function.with_vars(model.vars() + optimizer.vars())
    def train_op(x, target):
        grads, value = gradient(x, target)
        optimizer(lr, grads)
        return value

    train_op = objax.Jit(train_op)
    order = np.random.default_rng(seed)
    times = []
    for _ in range(steps + 1):
        batch = order.permutation(len(X))[:batch_size]
        start = time.perf_counter()
        value = train_op(X[batch], y[batch])
        value[0].block_until_ready()
        times.append(time.perf_counter() - start)
    parameters = int(sum(np.prod(v.value.shape) for v in model.vars().values()))
    return dict(build_seconds=build, first_step_seconds=times[0], step_seconds=float(np.mean(times[1:])),
                steps=steps, parameters=parameters)


def versions():
    from importlib.metadata import version

    return {name: version(name) for name in ("emlp", "jax", "jaxlib", "objax", "optax", "numpy")}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    solves = sub.add_parser("solves")
    solves.add_argument("triples", nargs="+")
    step = sub.add_parser("step")
    step.add_argument("data")
    step.add_argument("--steps", type=int, default=3)
    step.add_argument("--hidden", type=int, default=384)
    step.add_argument("--layers", type=int, default=3)
    step.add_argument("--batch-size", type=int, default=500)
    args = parser.parse_args(argv)
    if args.command == "solves":
        result = {"rows": time_solves(args.triples)}
    else:
        result = time_step(args.data, args.steps, args.hidden, args.layers, args.batch_size)
    json.dump({**result, "versions": versions()}, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
