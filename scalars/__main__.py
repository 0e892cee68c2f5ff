"""Command line: ``python -m scalars demo [NAME]`` and ``python -m scalars bench NAME``.

``python -m scalars --help`` lists every demo and benchmark (from the registries below, so the
list cannot drift from what runs); ``python -m scalars --version`` prints the version. Options
after a name go to that command: ``python -m scalars bench regression --help``.
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
    "clouds": ("scalars.bench.clouds", "PointCloudInvariants of 10,000 clouds of 100 to 1000 points: time per point; --normals, --halos"),
    "graphs": ("scalars.bench.graphs", "GRAPH8c: pairs of non-isomorphic graphs that untrained invariant models confuse"),
    "fields": ("scalars.bench.fields", "gravity fields: an equivariant geometric CNN against plain CNNs of the same size"),
    "navier_stokes": ("scalars.bench.navier_stokes", "2-D Navier-Stokes vorticity: a geometric ResNet / U-net against its plain twin, 20-step rollouts"),
    "digits": ("scalars.bench.digits", "rotated digits: p4m group CNN, geometric CNN, plain CNN (+ D4 aug), trained upright, tested in 8 orientations"),
    "approximate": ("scalars.bench.approximate", "approximate symmetry: ModifiedInertia (MLP, equivariant, RPP, soft penalty, g as input); --perfect-symmetry, --inpainting, --care, --windy-pendulum"),
    "scale": ("scalars.bench.scale", "dask: O(3) invariants of 1e8 x 5 x 3 and predict on 1e7 rows, on a LocalCluster"),
    "rietkerk": ("scalars.bench.rietkerk", "the Rietkerk vegetation model against rainfall: patterns and mean vegetation"),
}


def _listing(registry):
    width = max(map(len, registry))
    return "\n".join(f"  {name:<{width}}  {about}" for name, (_, about) in registry.items())


def _usage(registry, kind, default):
    optional = "[NAME]" if default else "NAME"
    return (f"usage: python -m scalars {kind} {optional} [options]\n\nNAME is one of:\n{_listing(registry)}\n\n"
            f"python -m scalars {kind} NAME --help shows the options of one.")


def _help():
    return ("usage: python -m scalars {demo [NAME], bench NAME} [options] | --help | --version\n\n"
            f"python -m scalars demo NAME (pendulum by default):\n{_listing(DEMOS)}\n\n"
            f"python -m scalars bench NAME (most take --quick for a short run):\n{_listing(BENCHMARKS)}\n\n"
            "python -m scalars demo|bench NAME --help shows the options of one.")


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
    """Run the command of ``argv`` (default ``sys.argv[1:]``); return the exit status."""
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["demo"]:
        return _run(DEMOS, "demo", argv[1:], default="pendulum")
    if argv[:1] == ["bench"]:
        return _run(BENCHMARKS, "bench", argv[1:])
    if argv[:1] in (["-V"], ["--version"]):
        from scalars import __version__

        print(f"scalars {__version__}")
        return 0
    asked_for_help = argv[:1] in ([], ["-h"], ["--help"])
    print(_help(), file=sys.stdout if asked_for_help else sys.stderr)
    return 0 if asked_for_help else 2


if __name__ == "__main__":
    sys.exit(main())
