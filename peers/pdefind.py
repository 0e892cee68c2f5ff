"""PySINDy's PDE-FIND on saved fields: the peer of ``python -m scalars bench rietkerk --laws``.

Run with the python of an environment that has pysindy (never the package's own):
``python pdefind.py DATA.npz`` reads ``fields`` (n_fields, n_times, N, N), ``dx`` and
``dt`` and prints one JSON object: the feature names, the coefficients (n_fields,
n_features) and the seconds the fit took. The library is PySINDy's ``PDELibrary``:
polynomials of degree 2 in the fields with a constant, and their first and second
derivatives along each axis (finite differences), without products of the two; the
optimiser STLSQ with normalised columns. It imports neither scalars nor anything but
numpy and pysindy, so that it runs in the peer environment.
"""

import json
import sys
import time


def main(path, threshold=0.02):
    import numpy as np
    import pysindy as ps

    data = np.load(path)
    fields, dx, dt = data["fields"], float(data["dx"]), float(data["dt"])
    n = fields.shape[-1]
    x = np.moveaxis(fields, (0, 1), (-1, -2))  # (N, N, n_times, n_fields)
    grid = np.stack(np.meshgrid(np.arange(n) * dx, np.arange(n) * dx, indexing="ij"), -1)
    library = _library(ps, grid)
    names = list(data["names"])
    optimizer = ps.STLSQ(threshold=threshold, alpha=1e-8, normalize_columns=True)
    start = time.perf_counter()
    if _major(ps) >= 2:
        model = ps.SINDy(feature_library=library, optimizer=optimizer)
        model.fit(x, t=dt, feature_names=names)
    else:
        model = ps.SINDy(feature_library=library, optimizer=optimizer, feature_names=names)
        model.fit(x, t=dt)
    seconds = time.perf_counter() - start
    print(json.dumps(dict(
        pysindy=ps.__version__, features=list(model.get_feature_names()),
        coefficients=model.coefficients().tolist(), seconds=seconds,
    )))


def _major(ps):
    return int(ps.__version__.split(".")[0])


def _library(ps, grid):
    """PDE-FIND's library in pysindy 2 (a function library) or 1.7 (lists of functions: the
    version beside emlp's numpy 1.26 in ``.venv-peers``)."""
    if _major(ps) >= 2:
        return ps.PDELibrary(
            function_library=ps.PolynomialLibrary(degree=2, include_bias=False), derivative_order=2,
            spatial_grid=grid, include_bias=True, include_interaction=False, diff_kwargs={"periodic": True},
        )
    functions = [lambda a: a, lambda a: a * a, lambda a, b: a * b]
    names = [lambda a: a, lambda a: a + a, lambda a, b: a + b]
    return ps.PDELibrary(
        library_functions=functions, function_names=names, derivative_order=2, spatial_grid=grid,
        include_bias=True, include_interaction=False, periodic=True,
    )


if __name__ == "__main__":
    main(sys.argv[1])
