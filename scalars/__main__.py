"""Command line: ``python -m scalars demo`` and ``python -m scalars bench <name>``.

    python -m scalars demo                 # the main job: the springy double pendulum
    python -m scalars demo o5              # O(5)-invariant regression with a sklearn pipeline
    python -m scalars demo laws            # laws printed: inertia, scattering, period, Hamiltonian
    python -m scalars bench regression     # EMLP regression benchmarks  (--quick)
    python -m scalars bench pendulum       # pendulum rollout benchmark  (--quick)

Options after the name go to that command: ``python -m scalars bench regression --help``.
"""

import importlib
import sys

# name -> module whose main(argv) runs it; imported only when asked for.
DEMOS = {"pendulum": "scalars.bench.pendulum_demo", "o5": "scalars.bench.o5_pipeline"}
DEMOS["laws"] = "scalars.bench.laws_demo"
BENCHMARKS = {"regression": "scalars.bench.regression", "pendulum": "scalars.bench.pendulum"}


def _run(registry, kind, argv, default=None):
    if argv and argv[0] in registry:
        name, argv = argv[0], argv[1:]
    elif default is not None and (not argv or argv[0].startswith("-")):
        name = default
    else:
        given = f"unknown {kind} {argv[0]!r}; " if argv else ""
        raise SystemExit(f"python -m scalars {kind}: {given}name one of {', '.join(registry)}")
    return importlib.import_module(registry[name]).main(argv)


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
