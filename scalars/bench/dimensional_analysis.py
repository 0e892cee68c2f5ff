"""Dimensional analysis: scalars.units.integer_nullspace against pint.pi_theorem.

Both tools get the same problems in the same run, ours in subprocesses of this
interpreter and pint in the peers environment (``make peers``, see
``scalars.bench.peers``; its row reads "not run" without it): textbook cases (pipe flow must give
the Reynolds number) and random dimension matrices of realistic size (1 to 7 base
dimensions, up to 20 variables, each variable a product of one to three base dimensions
with small exponents, a few dimensionless). For each tool the table reports the share
of answers that are

- integer: every exponent is an integer;
- complete: n - rank(M) independent dimensionless groups;
- integer basis: complete, integer, and every integer dimensionless monomial is an
  integer product of the groups (the groups span the whole lattice, not a sublattice);
- deterministic: identical in subprocesses with different PYTHONHASHSEED;

and the largest |exponent| per problem and the time per problem (the fastest of the
runs, which share the machine).

    python -m scalars bench units          # 3000 random problems
    python -m scalars bench units --quick  # 300
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np

import scalars
from scalars.bench.peers import NOT_RUN, peers_line, run_peer

HASH_SEEDS = ("0", "1", "2")

TEXTBOOK = {
    # name: (variable names, units, a group that must be among the answers or None)
    "pipe flow": (
        ["p", "L", "D", "rho", "mu", "v"],
        ["Pa", "m", "m", "kg/m^3", "Pa*s", "m/s"],
        {"D": 1, "rho": 1, "v": 1, "mu": -1},
    ),
    "pendulum": (["T", "L", "g", "m"], ["s", "m", "m/s^2", "kg"], {"T": 2, "g": 1, "L": -1}),
    "black body": (
        ["B", "nu", "T", "c", "k", "h"],
        ["W/m^2/Hz", "Hz", "K", "m/s", "J/K", "J*s"],
        {"h": 1, "nu": 1, "k": -1, "T": -1},
    ),
    "drag": (
        ["F", "rho", "v", "D", "mu"],
        ["N", "kg/m^3", "m/s", "m", "Pa*s"],
        {"D": 1, "rho": 1, "v": 1, "mu": -1},
    ),
}


def random_dimension_matrices(n_problems, seed=0):
    """Sparse integer dimension matrices, k in [1, 7], n in [k + 1, 20]."""
    rng = np.random.default_rng(seed)
    exponents, weights = [1, -1, 2, -2, 3, -3], [0.35, 0.35, 0.1, 0.1, 0.05, 0.05]
    problems = []
    for _ in range(n_problems):
        k = int(rng.integers(1, 8))
        n = int(rng.integers(k + 1, 21))
        M = np.zeros((k, n), dtype=np.int64)
        for column in range(n):
            if rng.random() < 0.05:
                continue  # a dimensionless variable
            size = min(k, int(rng.choice([1, 2, 3], p=[0.4, 0.4, 0.2])))
            rows = rng.choice(k, size=size, replace=False)
            M[rows, column] = rng.choice(exponents, size=size, p=weights)
        problems.append(M)
    return problems


def textbook_matrices():
    from scalars.units import dimension_matrix

    return [dimension_matrix(units)[0] for _, units, _ in TEXTBOOK.values()]


def solve_with_scalars(M):
    from scalars.units import integer_nullspace

    return integer_nullspace(M).T.tolist()


OURS = "scalars.units.integer_nullspace"
PEER = "pint.pi_theorem"
TOOLS = (OURS, PEER)


def worker(n_problems):
    """Solve every problem with ours; print answers and times as JSON."""
    problems = textbook_matrices() + random_dimension_matrices(n_problems)
    solve_with_scalars(problems[0])  # warm imports and caches before timing
    answers, seconds = [], []
    for M in problems:
        start = time.perf_counter()
        try:
            answer = solve_with_scalars(M)
        except Exception as error:  # a failure is a result to report
            answer = f"{type(error).__name__}: {error}"
        seconds.append(time.perf_counter() - start)
        answers.append(answer)
    json.dump({"answers": answers, "seconds": seconds}, sys.stdout)


def run_ours(n_problems, seed):
    """Our worker in a subprocess of this interpreter, importing this very package."""
    package_root = os.path.dirname(os.path.dirname(scalars.__file__))
    path = os.pathsep.join(filter(None, [package_root, os.environ.get("PYTHONPATH")]))
    env = {**os.environ, "PYTHONHASHSEED": seed, "OMP_NUM_THREADS": "1", "PYTHONPATH": path}
    command = [sys.executable, "-m", __spec__.name, "--worker", "--n-problems", str(n_problems)]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def run_workers(n_problems):
    """For each hash seed, ours and pint's (``peers/pint_units.py``) runs, two at a time.

    Returns
    -------
    list of dict
        One per hash seed: tool name -> {"answers", "seconds"}; pint's entry is missing
        when there is no peers environment.
    """
    problems = textbook_matrices() + random_dimension_matrices(n_problems)
    with tempfile.TemporaryDirectory() as directory:
        path = os.path.join(directory, "problems.npz")
        np.savez(path, **{f"m{i}": M for i, M in enumerate(problems)})

        def run(job):
            tool, seed = job
            if tool == OURS:
                return run_ours(n_problems, seed)
            return run_peer("pint_units.py", path, env={"PYTHONHASHSEED": seed, "OMP_NUM_THREADS": "1"})

        jobs = [(tool, seed) for seed in HASH_SEEDS for tool in TOOLS]
        with ThreadPoolExecutor(max_workers=2) as pool:
            results = list(pool.map(run, jobs))
    runs = [{} for _ in HASH_SEEDS]
    for (tool, seed), result in zip(jobs, results):
        if result is not None:
            runs[HASH_SEEDS.index(seed)][tool] = result
    return runs


def _is_integer_basis(A):
    from sympy import Matrix
    from sympy.matrices.normalforms import invariant_factors

    return all(abs(f) == 1 for f in invariant_factors(Matrix(A.astype(int).tolist())))


def grade(M, answer):
    """(integer, complete, integer basis, largest |exponent|) of one answer."""
    if isinstance(answer, str):
        return False, False, False, None
    n = M.shape[1]
    expected = n - np.linalg.matrix_rank(M) if M.size else n
    A = np.array(answer, dtype=np.float64).reshape(len(answer), n)
    integer = bool(np.all(A == np.round(A)))
    complete = (
        len(A) == expected
        and np.allclose(A @ M.T, 0)
        and (len(A) == 0 or np.linalg.matrix_rank(A) == len(A))
    )
    basis = integer and complete and (len(A) == 0 or _is_integer_basis(A))
    largest = float(np.abs(A).max()) if A.size else None
    return integer, complete, basis, largest


def summary_table(problems, runs, n_textbook):
    lines = [
        "| tool | integer | complete | integer basis | deterministic | "
        "median max abs exponent | p90 max abs exponent | median ms | p90 ms |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    random_problems = problems[n_textbook:]
    for tool in TOOLS:
        if tool not in runs[0]:
            lines.append(f"| {tool} | {' | '.join([NOT_RUN] * 8)} |")
            continue
        answers = [run[tool]["answers"][n_textbook:] for run in runs]
        grades = [grade(M, a) for M, a in zip(random_problems, answers[0])]
        same = [len({json.dumps(a[i]) for a in answers}) == 1 for i in range(len(answers[0]))]
        largest = [g[3] for g in grades if g[3] is not None]
        ms = 1e3 * np.min([run[tool]["seconds"][n_textbook:] for run in runs], axis=0)
        share = [f"{100 * np.mean([g[i] for g in grades]):.1f}%" for i in range(3)]
        lines.append(
            f"| {tool} | {' | '.join(share)} | {100 * np.mean(same):.1f}% | "
            f"{np.median(largest):g} | {np.percentile(largest, 90):g} | "
            f"{np.median(ms):.2f} | {np.percentile(ms, 90):.2f} |"
        )
    return "\n".join(lines)


PERCENTILES = (10, 25, 50, 75, 90, 95, 99, 99.9, 100)


def percentile_table(runs, n_textbook):
    """Ms per random problem (the fastest run of each) at each of :data:`PERCENTILES`."""
    lines = [
        f"| percentile of ms per problem | {' | '.join(f'{p:g}' for p in PERCENTILES)} |",
        f"|---|{'---|' * len(PERCENTILES)}",
    ]
    for tool in TOOLS:
        if tool not in runs[0]:
            lines.append(f"| {tool} | {' | '.join([NOT_RUN] * len(PERCENTILES))} |")
            continue
        ms = 1e3 * np.min([run[tool]["seconds"][n_textbook:] for run in runs], axis=0)
        lines.append(f"| {tool} | {' | '.join(f'{np.percentile(ms, p):.3g}' for p in PERCENTILES)} |")
    return "\n".join(lines)


def textbook_table(runs):
    from scalars.units import monomial_name

    lines = ["| case | tool | groups | has the named group |", "|---|---|---|---|"]
    for index, (case, (names, _, wanted)) in enumerate(TEXTBOOK.items()):
        target = np.array([wanted.get(name, 0) for name in names])
        for tool in TOOLS:
            if tool not in runs[0]:
                lines.append(f"| {case} | {tool} | {NOT_RUN} | |")
                continue
            answer = runs[0][tool]["answers"][index]
            if isinstance(answer, str):
                lines.append(f"| {case} | {tool} | fails: {answer} | no |")
                continue
            groups = ", ".join(monomial_name(group, names) for group in answer)
            found = any(np.array_equal(target, sign * np.array(group))
                        for group in answer for sign in (1, -1))
            lines.append(f"| {case} | {tool} | {groups} | {'yes' if found else 'no'} |")
    return "\n".join(lines)


def main(argv=None):
    """``python -m scalars bench units [--quick] [--n-problems N]``."""
    parser = argparse.ArgumentParser(prog="python -m scalars bench units", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="300 random problems")
    parser.add_argument("--n-problems", type=int, default=None)
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    n_problems = args.n_problems or (300 if args.quick else 3000)
    if args.worker:
        return worker(n_problems)
    start = time.perf_counter()
    print(f"load average before: {', '.join(f'{x:.2f}' for x in os.getloadavg())}; {peers_line()}")
    runs = run_workers(n_problems)
    problems = textbook_matrices() + random_dimension_matrices(n_problems)
    print(f"{n_problems} random dimension matrices (k <= 7, n <= 20), "
          f"hash seeds {', '.join(HASH_SEEDS)}\n")
    print(summary_table(problems, runs, len(TEXTBOOK)))
    print()
    print(percentile_table(runs, len(TEXTBOOK)))
    print()
    print(textbook_table(runs))
    print(f"\n({time.perf_counter() - start:.0f} s; pint {runs[0][PEER]['version'] if PEER in runs[0] else NOT_RUN}; "
          f"load average after: {', '.join(f'{x:.2f}' for x in os.getloadavg())})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
