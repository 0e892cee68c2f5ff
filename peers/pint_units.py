"""pint: dimensionless groups of integer dimension matrices with ``pint.pi_theorem``, as JSON.

A standalone peer runner for ``python -m scalars bench units``: it runs in the peers
environment (``make peers``) and does not import scalars.

    python peers/pint_units.py PROBLEMS.npz

PROBLEMS.npz holds the dimension matrices as arrays ``m0``, ``m1``, ... (base dimensions
by variables, integer). Prints ``{"answers": [...], "seconds": [...], "version": ...}``
with, per problem, the exponents of each group (one list of floats per group, one float
per variable) or the error message of a failure, and the seconds of the solve.
"""

import json
import logging
import sys
import time

import numpy as np


def solve(M):
    import pint
    from pint.util import UnitsContainer

    quantities = {
        f"x{i}": UnitsContainer({f"[d{j}]": int(M[j, i]) for j in range(M.shape[0]) if M[j, i]})
        for i in range(M.shape[1])
    }
    groups = pint.pi_theorem(quantities)
    return [[float(group.get(f"x{i}", 0)) for i in range(M.shape[1])] for group in groups]


def main(argv=None):
    (path,) = argv if argv is not None else sys.argv[1:]
    logging.disable(logging.WARNING)  # pint warns about bare dimension names
    data = np.load(path)
    problems = [data[f"m{i}"] for i in range(len(data.files))]
    solve(problems[0])  # warm imports and caches before timing
    answers, seconds = [], []
    for M in problems:
        start = time.perf_counter()
        try:
            answer = solve(M)
        except Exception as error:  # a failure is a result to report
            answer = f"{type(error).__name__}: {error}"
        seconds.append(time.perf_counter() - start)
        answers.append(answer)
    from importlib.metadata import version

    json.dump({"answers": answers, "seconds": seconds, "version": version("pint")}, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
