"""The building blocks of every network in the package: an MLP and the one standardiser.

The equivariant heads (:mod:`scalars.nn.heads`) and the learned dynamics
(:mod:`scalars.dynamics.models`) build their coefficient networks with :func:`mlp` and
feed them inputs centred and scaled by a :class:`Standardizer` fitted on training data.
An MLP may end in a :class:`BilinearReadout`, which adds products of pairs of its last
hidden features to the linear output layer. :func:`location_scale` computes every
standardisation of the package: the :class:`Standardizer`'s, the output scales of the
heads and of :class:`~scalars.nn.EMLP`, the input and output scales of the benchmarks'
raw MLPs. :class:`Residual` adds some input columns to a
network's output (positions plus a predicted displacement).
"""

import math

import numpy as np
import torch
from torch import nn

from scalars.nn.devices import resolve_device

__all__ = ["mlp", "BilinearReadout", "Standardizer", "location_scale", "Residual"]

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
    device : {"cpu", "cuda", "auto"} or torch.device, default="cpu"
        Where its parameters and buffers live (:func:`scalars.nn.resolve_device`).
    """

    def __init__(self, n_inputs, n_outputs, rank, bias=True, device="cpu"):
        super().__init__()
        if rank < 1:
            raise ValueError(f"a bilinear readout needs rank >= 1, got {rank}")
        self.rank = rank
        self.linear = nn.Linear(n_inputs, n_outputs, bias=bias)
        self.left = nn.Linear(n_inputs, n_outputs * rank, bias=False)
        self.right = nn.Linear(n_inputs, n_outputs * rank, bias=False)
        self.to(resolve_device(device, "BilinearReadout: device"))

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
    device : {"cpu", "cuda", "auto"} or torch.device, default="cpu"
        Where its parameters and buffers live (:func:`scalars.nn.resolve_device`).

    Attributes
    ----------
    mean, std : buffers of shape (n_features,)
        0 and 1 until :meth:`fit`.
    whitening : buffer of shape (n_features, n_features)
        Only with ``whiten=True``; the identity until :meth:`fit`.
    """

    def __init__(self, n_features, whiten=False, device="cpu"):
        super().__init__()
        self.register_buffer("mean", torch.zeros(n_features))
        self.register_buffer("std", torch.ones(n_features))
        if whiten:
            self.register_buffer("whitening", torch.eye(n_features))
        self.to(resolve_device(device, "Standardizer: device"))

    @torch.no_grad()
    def fit(self, x):
        """Set the statistics from training features ``x`` of shape (..., n_features).

        Returns
        -------
        self
        """
        x = x.reshape(-1, x.shape[-1]).to(self.mean.dtype)
        mean, std = location_scale(x, correction=1, constant=_CONSTANT)
        self.mean.copy_(mean)
        self.std.copy_(std)
        if hasattr(self, "whitening"):
            variance, vectors = torch.linalg.eigh(_covariance(x, mean, correction=1))
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


def location_scale(x, center="mean", pooled=False, correction=0, constant=0.0, eps=0.0):
    """The location and scale that standardise data, ``(x - location) / scale``.

    The one standardisation of the package: the scale is the root mean square deviation
    from the location (per feature, or pooled over all), a scale too small to be
    anything but a constant feature's becomes 1, and ``eps`` is added.

    Parameters
    ----------
    x : tensor or ndarray of shape (n_samples, n_features)
        Real or complex; computed in its own library, torch or numpy.
    center : {"mean", None} or ndarray of shape (n_features, m)
        The location: the mean (of each feature; of all of them with ``pooled``); zero;
        or the mean of each feature projected on the orthonormal columns ``Q`` of the
        array, ``Q Q^T mean``, its invariant part (zero for m = 0): then shifting by the
        location and dividing by a pooled scale commute with the group.
    pooled : bool, default=False
        One scale for all the features instead of one each.
    correction : int, default=0
        Subtracted from the number of values in the mean square (1: the sample variance;
        the torch per-feature scale is the root of the covariance's diagonal, with no
        variance (zero scale) from ``correction`` samples or fewer).
    constant : float or None, default=0.0
        A scale at most ``constant`` times the largest (only zero for 0) belongs to a
        constant feature and becomes 1; None keeps every scale.
    eps : float, default=0.0
        Added to every scale.

    Each library's own reductions give its numbers (bit for bit those of the statistics
    this function replaced): for torch tensors the per-feature scale is the root of the
    diagonal of :func:`torch.cov`, the scale about a pooled mean :meth:`torch.Tensor.std`.

    Returns
    -------
    location : shape () for a pooled mean or zero, otherwise (n_features,)
    scale : shape () if pooled, otherwise (n_features,)
        Real, of the library and dtype of ``x`` (the real dtype for complex ``x``).

    Examples
    --------
    >>> x = np.array([[1.0, 2.0], [3.0, 2.0]])
    >>> location_scale(x)
    (array([2., 2.]), array([1., 1.]))
    >>> location_scale(x, pooled=True)
    (np.float64(2.0), np.float64(0.7071067811865476))
    """
    if not (center is None or isinstance(center, np.ndarray) or center == "mean"):
        raise ValueError(f"center must be 'mean', None or an array of invariant vectors, got {center!r}")
    xp = torch if isinstance(x, torch.Tensor) else np
    location = _location(x, center, pooled)
    if xp is torch and not pooled:
        scale = _covariance(x, location, correction).diagonal().sqrt()
    elif xp is torch and isinstance(center, str):
        scale = x.std(correction=correction)  # torch's own algorithm, for the pooled mean
    else:
        squares = abs(x - location) ** 2
        count = math.prod(squares.shape) if pooled else len(x)
        scale = xp.sqrt(squares.sum(axis=None if pooled else 0) / (count - correction))
    if constant is not None:
        largest = scale.max().clamp(min=1e-300) if xp is torch else max(scale.max(), 1e-300)
        scale = xp.where(scale > constant * largest, scale, 1.0)[()]  # [()]: numpy's 0-d array as a scalar
    return location, (scale + eps if eps else scale)


def _location(x, center, pooled):
    """The location of :func:`location_scale`."""
    xp = torch if isinstance(x, torch.Tensor) else np
    if center is None:
        return xp.zeros(() if pooled else x.shape[-1:], dtype=x.real.dtype)
    if isinstance(center, str):
        return x.mean() if pooled else x.mean(0)
    Q = torch.as_tensor(center, dtype=x.dtype) if xp is torch else center
    return Q @ (Q.T @ x.mean(0))


def _covariance(x, mean, correction):
    """Covariance (n_features, n_features) of samples ``x`` (n, n_features) about ``mean``;
    zero from ``correction`` samples or fewer."""
    n_features = x.shape[-1]
    if len(x) <= correction:
        return torch.zeros(n_features, n_features, dtype=x.dtype)
    return torch.cov((x - mean).T, correction=correction).reshape(n_features, n_features)


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
    device : {"cpu", "cuda", "auto"} or torch.device, default="cpu"
        Where its parameters and buffers live (:func:`scalars.nn.resolve_device`).

    Examples
    --------
    >>> import torch
    >>> shift = Residual(torch.nn.Linear(3, 2), columns=slice(1, 3))
    >>> shift(torch.zeros(4, 3)).shape
    torch.Size([4, 2])
    """

    def __init__(self, net, columns, device="cpu"):
        super().__init__()
        if not isinstance(net, nn.Module):
            raise TypeError(f"net must be a torch.nn.Module, got {type(net).__name__}")
        if not isinstance(columns, slice):
            columns = [int(c) for c in columns]
        self.net, self.columns = net, columns
        self.to(resolve_device(device, "Residual: device"))

    def forward(self, X):
        """``X[:, columns] + net(X)``: (n, n_features) -> (n, n_columns)."""
        return X[:, self.columns] + self.net(X)
