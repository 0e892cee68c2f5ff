"""Command line: ``python -m scalars demo [name]`` and ``python -m scalars bench <name>``.

    python -m scalars demo                 # the main job: the springy double pendulum
    python -m scalars demo o5              # O(5)-invariant regression with a sklearn pipeline
    python -m scalars demo laws            # laws printed: inertia, scattering, period, Hamiltonian
    python -m scalars bench featurize      # O(3) invariants of a large batch against a copy  (--quick)
    python -m scalars bench units          # dimensional analysis against pint.pi_theorem    (--quick)
    python -m scalars bench regression     # EMLP regression benchmarks                      (--quick)
    python -m scalars bench pendulum       # pendulum rollout benchmark                      (--quick)
    python -m scalars bench nbody          # charged n-body: scalars against averaging       (--quick)
    python -m scalars bench nbody-hnn      # 5 bodies: HNN and sparse H of invariants vs raw (--quick)
    python -m scalars bench emlp           # basis solves and the EMLP training step         (--quick)
    python -m scalars bench ddp            # nn.fit on two torchrun ranks against one          (--quick)

Options after the name go to that command: ``python -m scalars bench regression --help``.
"""

import importlib
import sys

# name -> (module whose main(argv) runs it, imported only when asked for; what it does)
DEMOS = {
    "pendulum": ("scalars.bench.pendulum_demo", "the springy double pendulum, scalar HNN against an MLP HNN (default)"),
    "o5": ("scalars.bench.o5_pipeline", "O(5)-invariant regression with a scikit-learn pipeline"),
    "laws": ("scalars.bench.laws_demo", "laws printed from data: inertia, scattering, pendulum period and Hamiltonian"),
}
BENCHMARKS = {
    "featurize": ("scalars.bench.featurize", "O(3) invariants of a 1,000,000 x 5 x 3 batch against a memory copy"),
    "units": ("scalars.bench.dimensional_analysis", "dimensional analysis against pint.pi_theorem"),
    "regression": ("scalars.bench.regression", "the EMLP regression problems, test MSE against training size"),
    "pendulum": ("scalars.bench.pendulum", "rollout errors of learned double-pendulum dynamics"),
    "emlp": ("scalars.bench.emlp", "equivariant-basis solves and the EMLP training step, beside emlp 1.0.3"),
    "nbody": ("scalars.bench.nbody", "charged n-body (EGNN protocol): scalar models against frame and group averaging"),
    "ddp": ("scalars.bench.ddp", "scalars.nn.fit on two torchrun ranks against one: loss curves and weights"),
    "nbody-hnn": ("scalars.bench.nbody_hnn", "five gravitating bodies: Hamiltonian networks and a sparse H of invariants against raw"),
    "scale": ("scalars.bench.scale", "dask: O(3) invariants of 1e8 x 5 x 3 and predict on 1e7 rows, on a LocalCluster"),
}


def _usage(registry, kind, default):
    width = max(map(len, registry))
    names = "\n".join(f"  {name:<{width}}  {about}" for name, (_, about) in registry.items())
    optional = "[NAME]" if default else "NAME"
    return (f"usage: python -m scalars {kind} {optional} [options]\n\nNAME is one of:\n{names}\n\n"
            f"python -m scalars {kind} NAME --help shows the options of one.")


def _run(registry, kind, argv, default=None):
    if argv[:1] in (["-h"], ["--help"]):
        print(_usage(registry, kind, default))
        return 0
    if argv and argv[0] in registry:
        name, argv = argv[0], argv[1:]
    elif default is not None and (not argv or argv[0].startswith("-")):
        name = default
    else:
        given = f"unknown {kind} {argv[0]!r}; " if argv else ""
        raise SystemExit(f"python -m scalars {kind}: {given}name one of {', '.join(registry)}")
    return importlib.import_module(registry[name][0]).main(argv)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["demo"]:
        return _run(DEMOS, "demo", argv[1:], default="pendulum")
    if argv[:1] == ["bench"]:
        return _run(BENCHMARKS, "bench", argv[1:])
    asked_for_help = argv[:1] in ([], ["-h"], ["--help"])
    print(__doc__, file=sys.stdout if asked_for_help else sys.stderr)
    return 0 if asked_for_help else 2


if __name__ == "__main__":
    sys.exit(main())
