"""The two building blocks of every network in the package: an MLP and an input standardiser.

The equivariant heads (:mod:`scalars.nn.heads`) and the learned dynamics
(:mod:`scalars.dynamics.models`) build their coefficient networks with :func:`mlp` and
feed them inputs centred and scaled by a :class:`Standardizer` fitted on training data.
"""

import torch
from torch import nn

__all__ = ["mlp", "Standardizer"]

_CONSTANT = 1e-6  # spread, relative to the largest, below which a direction counts as constant


def mlp(n_inputs, n_outputs, hidden=(64, 64), activation=nn.SiLU, output_bias=True):
    """A multilayer perceptron ``n_inputs -> hidden... -> n_outputs``.

    Parameters
    ----------
    n_inputs, n_outputs : int
    hidden : tuple of int, default=(64, 64)
        Widths of the hidden layers, each followed by ``activation``; ``()`` gives one
        linear layer.
    activation : nn.Module class, default=nn.SiLU
    output_bias : bool, default=True
        Whether the output layer has a bias.

    Returns
    -------
    nn.Sequential
        ``Linear, activation, ..., Linear``, with torch's default initialisation.
    """
    sizes = (n_inputs, *hidden)
    layers = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        layers += [nn.Linear(fan_in, fan_out), activation()]
    layers.append(nn.Linear(sizes[-1], n_outputs, bias=output_bias))
    return nn.Sequential(*layers)


class Standardizer(nn.Module):
    """Centre features and scale each to unit standard deviation; optionally whiten them.

    The statistics come from training data (:meth:`fit`) and are kept as buffers, so a
    saved model carries them. A feature whose standard deviation is below ``1e-6`` of the
    largest one is taken as constant and only centred (it would otherwise be rounding
    noise blown up). With ``whiten=True`` the module also keeps ``cov^(-1/2)``
    (:meth:`whiten`): features that are almost collinear on the data, such as ``<q, q>``
    and ``|q|``, then become as easy for a linear map to tell apart as any others;
    directions of (near) zero variance are left unscaled.

    Parameters
    ----------
    n_features : int
    whiten : bool, default=False

    Attributes
    ----------
    mean, std : buffers of shape (n_features,)
        0 and 1 until :meth:`fit`.
    whitening : buffer of shape (n_features, n_features)
        Only with ``whiten=True``; the identity until :meth:`fit`.
    """

    def __init__(self, n_features, whiten=False):
        super().__init__()
        self.register_buffer("mean", torch.zeros(n_features))
        self.register_buffer("std", torch.ones(n_features))
        if whiten:
            self.register_buffer("whitening", torch.eye(n_features))

    @torch.no_grad()
    def fit(self, x):
        """Set the statistics from training features ``x`` of shape (..., n_features).

        Returns
        -------
        self
        """
        x = x.reshape(-1, x.shape[-1]).to(self.mean.dtype)
        n_features = len(self.mean)
        self.mean.copy_(x.mean(0))
        if len(x) > 1:
            covariance = torch.cov((x - self.mean).T).reshape(n_features, n_features)
        else:
            covariance = torch.zeros(n_features, n_features, dtype=self.mean.dtype)
        self.std.copy_(_unless_constant(covariance.diagonal().sqrt()))
        if hasattr(self, "whitening"):
            variance, vectors = torch.linalg.eigh(covariance)
            floor = _CONSTANT * variance.max().clamp(min=1e-300)
            scale = torch.where(variance > floor, variance.clamp(min=floor).rsqrt(), torch.ones_like(variance))
            self.whitening.copy_(vectors * scale @ vectors.T)
        return self

    def forward(self, x):
        """Standardised features: ``(x - mean) / std``, the shape of ``x``."""
        return (x - self.mean) / self.std

    def whiten(self, x):
        """Whitened features: ``(x - mean) cov^(-1/2)``, the shape of ``x``."""
        return (x - self.mean) @ self.whitening


def _unless_constant(std):
    """``std``, with 1 for the features that are constant on the data."""
    return torch.where(std > _CONSTANT * std.max().clamp(min=1e-300), std, torch.ones_like(std))
