"""``scalars.parallel.ParallelPostFit``: dask-ml's wrapper with outputs of any width.

Kept apart from :mod:`scalars.parallel.arrays` because dask-ml takes seconds to import.
"""

import dask.array as da

try:
    from dask_ml.wrappers import ParallelPostFit as _DaskMLParallelPostFit
except ImportError as error:  # pragma: no cover - dask-ml is in the same extra as dask
    raise ImportError("scalars.parallel.ParallelPostFit needs dask-ml: pip install scalars[dask]") from error

from scalars.parallel.arrays import featurize, predict

__all__ = ["ParallelPostFit"]


class ParallelPostFit(_DaskMLParallelPostFit):
    """``dask_ml.wrappers.ParallelPostFit`` with outputs of any width.

    dask-ml's wrapper maps ``transform`` over the blocks keeping the input's columns and
    ``predict`` dropping them, so its lazy result has the wrong shape for a featurizer
    that changes the number of columns and for a vector or tensor prediction. This
    subclass sends ``transform`` and ``predict`` of a dask array through
    :func:`scalars.parallel.featurize` and :func:`scalars.parallel.predict` (right shape,
    chunks and dtype, the units featurizers need no declared meta), unless a
    ``transform_meta`` or ``predict_meta`` is given. Everything else, fitting included,
    is dask-ml's.

    Examples
    --------
    >>> import dask.array as da
    >>> from scalars import EquivariantRegressor
    >>> from scalars.datasets import Inertia
    >>> from scalars.parallel import ParallelPostFit
    >>> train = Inertia(100, seed=0)
    >>> model = ParallelPostFit(EquivariantRegressor(**train.estimator_params()))
    >>> model = model.fit(train.X, train.y)
    >>> model.predict(da.from_array(Inertia(1000, seed=1).X, chunks=(250, -1))).shape
    (1000, 9)
    """

    def transform(self, X):
        if isinstance(X, da.Array) and self.transform_meta is None:
            self._check_method("transform")
            return featurize(self._postfit_estimator, X)
        return super().transform(X)

    def predict(self, X):
        if isinstance(X, da.Array) and self.predict_meta is None:
            self._check_method("predict")
            return predict(self._postfit_estimator, X)
        return super().predict(X)
