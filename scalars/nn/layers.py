"""The building blocks of every network in the package: an MLP and an input standardiser.

The equivariant heads (:mod:`scalars.nn.heads`) and the learned dynamics
(:mod:`scalars.dynamics.models`) build their coefficient networks with :func:`mlp` and
feed them inputs centred and scaled by a :class:`Standardizer` fitted on training data.
An MLP may end in a :class:`BilinearReadout`, which adds products of pairs of its last
hidden features to the linear output layer. :class:`Residual` adds some input columns to a
network's output (positions plus a predicted displacement).
"""

import torch
from torch import nn

__all__ = ["mlp", "BilinearReadout", "Standardizer", "Residual"]

_CONSTANT = 1e-6  # spread, relative to the largest, below which a direction counts as constant


def mlp(n_inputs, n_outputs, hidden=(64, 64), activation=nn.SiLU, output_bias=True, bilinear=0):
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
    bilinear : int, default=0
        With ``bilinear > 0`` the output layer is a :class:`BilinearReadout` of that rank.

    Returns
    -------
    nn.Sequential
        ``Linear, activation, ..., Linear`` (or ``..., BilinearReadout``), with torch's
        default initialisation.
    """
    sizes = (n_inputs, *hidden)
    layers = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        layers += [nn.Linear(fan_in, fan_out), activation()]
    if bilinear:
        layers.append(BilinearReadout(sizes[-1], n_outputs, bilinear, bias=output_bias))
    else:
        layers.append(nn.Linear(sizes[-1], n_outputs, bias=output_bias))
    return nn.Sequential(*layers)


class BilinearReadout(nn.Module):
    """An output layer ``W h + b`` plus, per output, the mean of ``rank`` products ``(A h)(B h)``.

    Output ``k`` is ``(W h + b)_k + sum_r (A h)_{k r} (B h)_{k r} / rank``, with ``A``
    and ``B`` of shape (n_outputs * rank, n_inputs): a low-rank quadratic form of the
    last hidden features ``h``, added to the linear readout. A target quadratic in the
    network's inputs (products of two invariants, as in scattering amplitudes and
    moments of inertia) then stays quadratic where the data thin out, where a linear
    readout of SiLU features grows only linearly. Deterministic, unlike the bilinear layer
    of the reference EMLP code, which picks its products at random when it is built.

    Parameters
    ----------
    n_inputs, n_outputs : int
        Widths of ``h`` and of the output.
    rank : int
        Products per output.
    bias : bool, default=True
        Whether the linear part has a bias.
    """

    def __init__(self, n_inputs, n_outputs, rank, bias=True):
        super().__init__()
        if rank < 1:
            raise ValueError(f"a bilinear readout needs rank >= 1, got {rank}")
        self.rank = rank
        self.linear = nn.Linear(n_inputs, n_outputs, bias=bias)
        self.left = nn.Linear(n_inputs, n_outputs * rank, bias=False)
        self.right = nn.Linear(n_inputs, n_outputs * rank, bias=False)

    def forward(self, h):
        """Map hidden features (..., n_inputs) to outputs (..., n_outputs)."""
        products = (self.left(h) * self.right(h)).unflatten(-1, (-1, self.rank))
        return self.linear(h) + products.mean(-1)


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


class Residual(nn.Module):
    """``X[:, columns] + net(X)``: some input columns moved by a network.

    For particles, the positions plus a predicted displacement: an MLP of flat rows
    ``"5T0+5P+5T1"`` (charges, positions, velocities) predicts the positions
    ``Residual(net, slice(5, 20))``, and starts near ``x`` when ``net`` starts near 0.

    Parameters
    ----------
    net : nn.Module
        Maps rows (n, n_features) to (n, n_columns).
    columns : slice or sequence of int
        The ``n_columns`` input columns added to the output, in the output's order.

    Examples
    --------
    >>> import torch
    >>> shift = Residual(torch.nn.Linear(3, 2), columns=slice(1, 3))
    >>> shift(torch.zeros(4, 3)).shape
    torch.Size([4, 2])
    """

    def __init__(self, net, columns):
        super().__init__()
        if not isinstance(net, nn.Module):
            raise TypeError(f"net must be a torch.nn.Module, got {type(net).__name__}")
        if not isinstance(columns, slice):
            columns = [int(c) for c in columns]
        self.net, self.columns = net, columns

    def forward(self, X):
        """``X[:, columns] + net(X)``: (n, n_features) -> (n, n_columns)."""
        return X[:, self.columns] + self.net(X)
