"""scalars.parallel: dask arrays in and out, ParallelPostFit, shards on disk, dask optional."""

import os
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

da = pytest.importorskip("dask.array")

from sklearn.exceptions import NotFittedError  # noqa: E402
from sklearn.linear_model import LinearRegression, Ridge  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from scalars import (  # noqa: E402
    DimensionlessFeatures,
    EquivariantMLPRegressor,
    EquivariantRegressor,
    InvariantFeatures,
    UnitsEquivariantRegressor,
)
from scalars.datasets import Inertia, O5Synthetic  # noqa: E402
from scalars.parallel import (  # noqa: E402
    featurize,
    from_shards,
    postfit_meta,
    predict,
    shard_info,
    worker_config,
    write_shards,
)

ROOT = Path(__file__).resolve().parents[1]
RNG = np.random.default_rng(0)
X7 = RNG.standard_normal((203, 7))            # a scalar and two 3-vectors
POSITIVE = RNG.uniform(0.5, 2.0, (203, 8))    # m, L, q (3 columns), p (3 columns)
UNITS = ["kg", "m"] + ["m"] * 3 + ["kg*m/s"] * 3
TRAIN, TEST = Inertia(120, seed=0), Inertia(203, seed=1)


def chunked(X, rows=37, columns=None):
    """Uneven row chunks (37 does not divide 203), and column chunks to merge if asked."""
    return da.from_array(X, chunks=(rows, X.shape[1] if columns is None else columns))


def invariant_units_pipeline():
    invariants = InvariantFeatures(group="O(3)", layout="2T0+2T1").fit(POSITIVE)
    return make_pipeline(invariants, DimensionlessFeatures(units=invariants.get_feature_units_out(UNITS))).fit(POSITIVE)


TRANSFORMERS = {
    "O(3)": lambda: (InvariantFeatures(group="O(3)", layout="T0+2T1").fit(X7), X7),
    "O(3) float32": lambda: (InvariantFeatures(group="O(3)", layout="T0+2T1").fit(X7), X7.astype(np.float32)),
    "SO(3)": lambda: (InvariantFeatures(group="SO(3)", layout="T0+2T1").fit(X7), X7),
    "O(1,3)": lambda: (InvariantFeatures(group="O(1,3)", layout="3T0+T1").fit(X7), X7),
    "particles": lambda: (InvariantFeatures(group="S(5) x O(3)", layout="5T0+5T1").fit(TRAIN.X), TEST.X),
    "dimensionless": lambda: (DimensionlessFeatures(units=UNITS).fit(POSITIVE), POSITIVE),
    "pipeline": lambda: (invariant_units_pipeline(), POSITIVE),
    "scaled": lambda: (make_pipeline(InvariantFeatures(group="O(3)", layout="T0+2T1"), StandardScaler()).fit(X7), X7),
}


@pytest.mark.parametrize("name", TRANSFORMERS)
def test_featurize_is_lazy_and_bit_identical(name):
    transformer, X = TRANSFORMERS[name]()
    expected = transformer.transform(X)
    Z = featurize(transformer, chunked(X, columns=3))   # column chunks are merged
    assert Z.shape == expected.shape and Z.dtype == expected.dtype
    assert Z.chunks[0] == chunked(X).chunks[0] and Z.numblocks[1] == 1
    assert Z._meta.ndim == 2 and Z._meta.dtype == expected.dtype
    assert np.array_equal(Z.compute(), expected)


def _units_regressor():
    y = POSITIVE[:, 0] * POSITIVE[:, 1] ** 2 * (1 + POSITIVE[:, 2] / POSITIVE[:, 1])
    return UnitsEquivariantRegressor(units=UNITS, target_units="kg*m^2").fit(POSITIVE, y), POSITIVE


ESTIMATORS = {
    "T0": lambda: (EquivariantRegressor(group="O(3)", layout="5T0+5T1", particles=5).fit(TRAIN.X, TRAIN.y[:, ::4].sum(1)), TEST.X),
    "T1": lambda: (EquivariantRegressor(group="O(3)", layout="T0+2T1", output="T1").fit(X7, X7[:, :1] * X7[:, 1:4]), X7),
    "T2": lambda: (EquivariantRegressor(**TRAIN.estimator_params()).fit(TRAIN.X, TRAIN.y), TEST.X),
    "mlp": lambda: (EquivariantMLPRegressor(**TRAIN.estimator_params(), hidden_layer_sizes=(8,), max_epochs=2, random_state=0).fit(TRAIN.X, TRAIN.y), TEST.X),
    "units": _units_regressor,
    "pipeline": lambda: (make_pipeline(InvariantFeatures(group="O(3)", layout="T0+2T1"), Ridge()).fit(X7, X7[:, 0]), X7),
}
# Their in-memory predict is itself the same for any split of the rows. The others multiply
# matrices with BLAS or torch, whose sums depend on the number of rows in the last bits.
BATCH_INVARIANT = {"T0", "T1", "T2"}


@pytest.mark.parametrize("name", ESTIMATORS)
def test_predict_is_lazy_and_matches_in_memory(name):
    estimator, X = ESTIMATORS[name]()
    expected = estimator.predict(X)
    P = predict(estimator, chunked(X))
    assert P.shape == expected.shape and P.dtype == expected.dtype and P._meta.ndim == expected.ndim
    result = P.compute()
    blockwise = np.concatenate([estimator.predict(X[i : i + 37]) for i in range(0, len(X), 37)])
    assert np.array_equal(result, blockwise)  # exactly the in-memory predict of each chunk
    if name in BATCH_INVARIANT:
        assert np.array_equal(result, expected)
    else:
        np.testing.assert_allclose(result, expected, rtol=1e-12, atol=1e-12)


def test_chunking_errors_and_edge_cases():
    transformer = InvariantFeatures(group="O(3)", layout="T0+2T1").fit(X7)
    with pytest.raises(ValueError, match=r"2-D.*\(203, 7, 1\)"):
        featurize(transformer, da.from_array(X7[..., None]))
    with pytest.raises(ValueError, match="6 columns but InvariantFeatures was fitted on 7"):
        featurize(transformer, chunked(X7[:, :6]))
    unknown = chunked(X7, columns=3)[da.from_array(X7[:, 0] > 0, chunks=37)]
    with pytest.raises(ValueError, match="column chunks.*unknown size.*compute_chunk_sizes"):
        featurize(transformer, unknown)
    with pytest.raises(TypeError, match="expected a dask array"):
        featurize(transformer, [[1.0] * 7])
    with pytest.raises(NotFittedError):
        featurize(InvariantFeatures(group="O(3)", layout="T0+2T1"), chunked(X7))
    # Row chunks of unknown size, some of them empty, are fine with one column chunk.
    mask = np.arange(len(X7)) >= 60
    Z = featurize(transformer, chunked(X7)[da.from_array(mask, chunks=37)])
    assert np.array_equal(Z.compute(), transformer.transform(X7[mask]))
    assert np.array_equal(featurize(transformer, X7).compute(), transformer.transform(X7))  # numpy in


def test_parallel_post_fit_from_dask_ml_with_declared_meta():
    from dask_ml.wrappers import ParallelPostFit

    X = chunked(TEST.X)
    regressor = ESTIMATORS["T0"]()[0]
    model = ParallelPostFit(EquivariantRegressor(group="O(3)", layout="5T0+5T1", particles=5))
    model.set_params(**postfit_meta(model.estimator)).fit(TRAIN.X, TRAIN.y[:, ::4].sum(1))
    assert np.array_equal(model.predict(X).compute(), regressor.predict(TEST.X))
    # dask-ml guesses meta on a row of zeros, which the units featurizers refuse.
    units, positive = _units_regressor()
    model = ParallelPostFit(units, **postfit_meta(units)).fit(positive, units.predict(positive))
    assert np.array_equal(model.predict(chunked(positive)).compute(), model.estimator.predict(positive))
    features = InvariantFeatures(group="S(5) x O(3)", layout="5T0+5T1")  # 20 columns in, 20 out
    model = ParallelPostFit(features, **postfit_meta(features)).fit(TRAIN.X)
    assert np.array_equal(model.transform(X).compute(), model.estimator.transform(TEST.X))


@pytest.mark.parametrize("name", ["T0", "T2", "mlp", "units", "pipeline"])
def test_parallel_post_fit_of_scalars_any_output(name):
    from dask_ml.wrappers import ParallelPostFit as DaskMLParallelPostFit

    from scalars.parallel import ParallelPostFit

    estimator, X = ESTIMATORS[name]()
    model = ParallelPostFit(estimator)
    assert isinstance(model, DaskMLParallelPostFit)
    model.fit(X, estimator.predict(X)) if name == "units" else None
    P = model.predict(chunked(X))
    assert P.shape == estimator.predict(X).shape
    np.testing.assert_allclose(P.compute(), estimator.predict(X), rtol=1e-12, atol=1e-12)
    assert np.array_equal(model.predict(X), estimator.predict(X))  # numpy in, numpy out


def test_parallel_post_fit_of_scalars_transformers():
    from scalars.parallel import ParallelPostFit

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no meta guessing
        for name in ("O(3)", "dimensionless", "pipeline"):
            transformer, X = TRANSFORMERS[name]()
            model = ParallelPostFit(transformer)
            Z = model.transform(chunked(X))
            assert Z.shape == transformer.transform(X).shape
            assert np.array_equal(Z.compute(), transformer.transform(X))


def test_shards_round_trip(tmp_path):
    info = write_shards(tmp_path / "inertia", Inertia, 250, rows_per_shard=100, seed=7)
    assert info == shard_info(tmp_path / "inertia")
    assert info["rows"] == [100, 100, 50] and info["estimator_params"] == Inertia(1).estimator_params()
    X, y = from_shards(tmp_path / "inertia"), from_shards(tmp_path / "inertia", "y")
    assert X.shape == (250, 20) and X.chunks[0] == (100, 100, 50) and y.shape == (250, 9)
    shards = [Inertia(n, seed=(7, i)) for i, n in enumerate(info["rows"])]
    assert np.array_equal(X.compute(), np.concatenate([s.X for s in shards]))
    assert np.array_equal(y.compute(), np.concatenate([s.y for s in shards]))
    assert np.array_equal(from_shards(tmp_path / "inertia", mmap_mode="r").compute(), X.compute())
    # Featurizing the lazy shards, then training on in-memory data and predicting lazily.
    model = EquivariantRegressor(**info["estimator_params"]).fit(TRAIN.X, TRAIN.y)
    assert np.array_equal(predict(model, X).compute(), model.predict(X.compute()))

    def float32_vectors(rows, rng):
        return {"V": rng.standard_normal((rows, 5, 3), dtype=np.float32)}

    write_shards(tmp_path / "v", float32_vectors, 30, rows_per_shard=16)
    V = from_shards(tmp_path / "v", "V")
    assert V.shape == (30, 5, 3) and V.dtype == np.float32
    assert np.array_equal(V.compute()[16:], np.random.default_rng([0, 1]).standard_normal((14, 5, 3), dtype=np.float32))
    with pytest.raises(FileExistsError, match="overwrite=True"):
        write_shards(tmp_path / "v", float32_vectors, 30)
    write_shards(tmp_path / "v", float32_vectors, 30, rows_per_shard=30, overwrite=True)
    with pytest.raises(KeyError, match="not 'X'"):
        from_shards(tmp_path / "v")
    with pytest.raises(FileNotFoundError, match="shards.json"):
        from_shards(tmp_path)


def test_two_process_local_cluster(tmp_path, monkeypatch):
    distributed = pytest.importorskip("distributed")
    import dask

    from scalars.parallel import ParallelPostFit

    for name in ("NUMBA_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        monkeypatch.setenv(name, os.environ.get(name, ""))  # restored afterwards: the Nanny writes them
        monkeypatch.delenv(name)
    with dask.config.set(worker_config()):
        cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0")
    try:
        with distributed.Client(cluster) as client:
            assert len(client.scheduler_info()["workers"]) == 2
            write_shards(tmp_path, O5Synthetic, 3000, rows_per_shard=500, seed=1)  # written by the workers
            X = from_shards(tmp_path)
            features = InvariantFeatures(group="O(5)", layout="2T1").fit(X[:10].compute())
            Z = featurize(features, X)
            assert np.array_equal(Z.compute(), features.transform(X.compute()))
            train = O5Synthetic(200, seed=0)
            model = ParallelPostFit(EquivariantRegressor(**train.estimator_params())).fit(train.X, train.y)
            assert np.array_equal(model.predict(X).compute(), model.estimator.predict(X.compute()))
            assert set(client.run(_numba_threads).values()) == {1}
            assert set(client.run(os.environ.get, "MALLOC_TRIM_THRESHOLD_").values()) == {None}
    finally:
        cluster.close()


def _numba_threads():
    import numba

    return numba.get_num_threads()


BLOCK_DASK = """
import importlib.abc, sys
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("dask", "distributed", "dask_ml"):
            raise ImportError(f"No module named {name!r} (blocked)")
sys.meta_path.insert(0, Block())
import scalars
from scalars import InvariantFeatures, EquivariantRegressor
try:
    import scalars.parallel
except ImportError as error:
    print(error)
"""


def test_import_scalars_without_dask():
    result = subprocess.run([sys.executable, "-c", BLOCK_DASK], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "pip install scalars[dask]" in result.stdout
