"""The no-symmetry baseline: a plain MLP regressor on standardised raw columns.

:class:`PlainMLPRegressor` is what the equivariant estimators are compared against in
``python -m scalars bench regression``: the same training loop (:func:`scalars.nn.fit`)
on the raw coordinates, with no group, layout or invariant anywhere.
"""

from numbers import Integral

import numpy as np
import torch
from sklearn.base import BaseEstimator, RegressorMixin, _fit_context
from sklearn.utils._param_validation import Interval
from sklearn.utils.validation import check_is_fitted, validate_data

from scalars.nn.devices import resolve_device
from scalars.nn.layers import location_scale, mlp
from scalars.nn.training import fit

__all__ = ["PlainMLPRegressor"]

_EPS = 1e-12  # added to the standard deviations, so that constant columns stay finite


class PlainMLPRegressor(RegressorMixin, BaseEstimator):
    """A plain MLP (SiLU) on standardised raw columns: the baseline with no symmetry.

    The inputs and the targets are standardised per column with the training data's mean
    and standard deviation; the MLP is trained on them in float64 by
    :func:`scalars.nn.fit` (Adam, cosine decay, early stopping on a 10% validation split).

    Parameters
    ----------
    hidden_layer_sizes : tuple of int, default=(256, 256)
        Widths of the hidden layers.
    max_epochs : int, default=200
        Largest number of epochs.
    batch_size : int, default=256
    random_state : int, default=0
        Seed of the weights, the validation split and the minibatches.
    device : {"cpu", "cuda", "auto"} or torch.device, default="cpu"
        Where the MLP and the training data live (:func:`scalars.nn.resolve_device`).

    Attributes
    ----------
    net_ : torch.nn.Sequential
        The trained MLP, of standardised inputs to standardised targets.
    x_mean_, x_scale_ : ndarray of shape (n_features_in_,)
        Mean and standard deviation (plus 1e-12) of each input column.
    y_mean_, y_scale_ : ndarray of shape (n_targets,)
        The same for the target columns.
    device_ : torch.device
        The resolved ``device``.
    n_features_in_ : int

    Examples
    --------
    >>> import numpy as np
    >>> X = np.random.default_rng(0).normal(size=(64, 3))
    >>> model = PlainMLPRegressor(hidden_layer_sizes=(8,), max_epochs=2).fit(X, X.sum(1))
    >>> model.predict(X[:5]).shape
    (5,)
    """

    _parameter_constraints = {
        "hidden_layer_sizes": ["array-like"],
        "max_epochs": [Interval(Integral, 1, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "random_state": [Interval(Integral, 0, None, closed="left")],
        "device": "no_validation",  # resolve_device checks it in fit
    }

    def __init__(self, hidden_layer_sizes=(256, 256), max_epochs=200, batch_size=256, random_state=0, device="cpu"):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.random_state = random_state
        self.device = device

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Standardise ``X`` and ``y`` and train the MLP.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_targets)

        Returns
        -------
        self : object
        """
        X, y = validate_data(self, X, y, multi_output=True, y_numeric=True, dtype=np.float64)
        self.single_output_ = y.ndim == 1
        y = y.reshape(len(y), -1)
        self.x_mean_, self.x_scale_ = location_scale(X, constant=None, eps=_EPS)
        self.y_mean_, self.y_scale_ = location_scale(y, constant=None, eps=_EPS)
        self.device_ = resolve_device(self.device, "PlainMLPRegressor: device")
        self.net_ = mlp(X.shape[1], y.shape[1], tuple(self.hidden_layer_sizes)).double().to(self.device_)
        inputs = torch.as_tensor((X - self.x_mean_) / self.x_scale_, device=self.device_)
        targets = torch.as_tensor((y - self.y_mean_) / self.y_scale_, device=self.device_)
        fit(self.net_, inputs, targets, max_epochs=self.max_epochs, batch_size=self.batch_size,
            seed=self.random_state, progress=False)
        return self

    def predict(self, X):
        """Predictions in the targets' units.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_targets)
            As the targets given to :meth:`fit`.
        """
        check_is_fitted(self, "net_")
        X = validate_data(self, X, reset=False, dtype=np.float64)
        with torch.no_grad():
            scaled = self.net_(torch.as_tensor((X - self.x_mean_) / self.x_scale_, device=self.device_)).cpu().numpy()
        prediction = scaled * self.y_scale_ + self.y_mean_
        return prediction[:, 0] if self.single_output_ else prediction
