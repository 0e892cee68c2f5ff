"""PySINDy's PDE-FIND on saved fields: the peer of ``python -m scalars bench rietkerk --laws``.

Run with the python of an environment that has pysindy (never the package's own):
``python pdefind_peer.py DATA.npz`` reads ``fields`` (n_fields, n_times, N, N), ``dx`` and
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
    library = ps.PDELibrary(
        function_library=ps.PolynomialLibrary(degree=2, include_bias=False), derivative_order=2,
        spatial_grid=grid, include_bias=True, include_interaction=False, diff_kwargs={"periodic": True},
    )
    model = ps.SINDy(feature_library=library, optimizer=ps.STLSQ(threshold=threshold, alpha=1e-8, normalize_columns=True))
    start = time.perf_counter()
    model.fit(x, t=dt, feature_names=list(data["names"]))
    seconds = time.perf_counter() - start
    print(json.dumps(dict(
        pysindy=ps.__version__, features=list(model.get_feature_names()),
        coefficients=model.coefficients().tolist(), seconds=seconds,
    )))


if __name__ == "__main__":
    main(sys.argv[1])
