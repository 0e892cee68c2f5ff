"""A learned time-stepper of scalar fields on a periodic grid: ``x(t + step) = x(t) + f(x(t))``.

:class:`FieldStepper` learns the map over one step of snapshots of several scalar fields
(the channels of one image, such as the Rietkerk model's ``u, w, v``) with a convolutional
network ``f`` in residual form, trained on short windows: from each snapshot the model is
rolled out ``horizon`` steps and compared with the next ``horizon`` snapshots. With
``architecture="equivariant"`` ``f`` is a :class:`~scalars.fields.GeometricCNN` on scalar
images (order 0, parity 0; its filters are combinations of the filters invariant under
``B(2)``), so the stepper commutes exactly with the grid's translations, quarter turns and
reflections; ``"plain"`` takes the :class:`~scalars.fields.PlainCNN` of the same layers
with unconstrained filters (translations only). Both pad periodically, so either applies
to a grid of any size.

Each channel is standardised by one location and scale over all its pixels and snapshots
(``scalars.nn.location_scale``), and ``f`` predicts the step in units of each channel's
RMS increment: a per-channel affine map commutes with every permutation of the pixels, so
the symmetry is kept.
"""

from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import BaseEstimator
from sklearn.utils._param_validation import Interval, StrOptions
from torch import nn

from scalars.fields import GeometricCNN, PlainCNN
from scalars.nn import fit, location_scale, resolve_device

__all__ = ["FieldStepper"]


class FieldStepper(BaseEstimator):
    """Learned time-stepper of scalar fields on a periodic square grid.

    Parameters
    ----------
    architecture : {"equivariant", "plain"}, default="equivariant"
        :class:`~scalars.fields.GeometricCNN` (exact translations, turns and reflections of
        the grid) or :class:`~scalars.fields.PlainCNN` (translations only).
    channels : int, default=8
        Hidden channels of the network.
    dilations : tuple of int, default=(1, 2, 4, 1)
        One convolution per entry; the receptive field is ``1 + (size - 1) * sum(dilations)``
        pixels a side.
    size : int, default=3
        Filter pixels a side (odd).
    horizon : int, default=2
        Steps of each training window: the loss is the mean square error of the states
        over ``horizon`` steps of the model's own rollout.
    max_epochs : int, default=50
    batch_size : int, default=8
    learning_rate : float, default=3e-3
        Peak Adam learning rate of :func:`scalars.nn.fit`.
    validation_fraction : float in [0, 1), default=0.1
        Windows held out for early stopping.
    random_state : int or None, default=None
        Seeds the weights, the split and the batch order.
    device : {"cpu", "cuda", "auto"} or torch.device, default="cpu"
        Where the network is trained and run (:func:`scalars.nn.resolve_device`).

    Attributes
    ----------
    network_ : torch.nn.Module
        One step, ``x -> x + f(x)``, on tensors (batch, n_fields, N, N) in float32.
    n_fields_ : int
    n_parameters_ : int
        Trained parameters of ``f``.
    history_ : scalars.nn.History
        What :func:`scalars.nn.fit` did.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> x = [rng.random((1, 8, 8))]                          # one field, diffusing
    >>> for _ in range(5):
    ...     x.append(x[-1] + 0.1 * sum(np.roll(x[-1], s, a) - x[-1] for s in (1, -1) for a in (1, 2)))
    >>> stepper = FieldStepper(channels=4, dilations=(1, 1), max_epochs=2, random_state=0)
    >>> stepper.fit(np.stack(x)[None]).rollout(x[0], 3).shape
    (4, 1, 8, 8)
    """

    _parameter_constraints = {
        "architecture": [StrOptions({"equivariant", "plain"})],
        "channels": [Interval(Integral, 1, None, closed="left")],
        "dilations": [tuple, list],
        "size": [Interval(Integral, 1, None, closed="left")],
        "horizon": [Interval(Integral, 1, None, closed="left")],
        "max_epochs": [Interval(Integral, 0, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "validation_fraction": [Interval(Real, 0, 1, closed="left")],
        "random_state": [Interval(Integral, 0, None, closed="left"), None],
        "device": "no_validation",  # resolved by scalars.nn.resolve_device, which names it
    }

    def __init__(self, architecture="equivariant", channels=8, dilations=(1, 2, 4, 1), size=3, horizon=2, max_epochs=50,
                 batch_size=8, learning_rate=3e-3, validation_fraction=0.1, random_state=None, device="cpu"):
        self.architecture = architecture
        self.channels = channels
        self.dilations = dilations
        self.size = size
        self.horizon = horizon
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.validation_fraction = validation_fraction
        self.random_state = random_state
        self.device = device

    def fit(self, trajectories):
        """Learn one step from trajectories of snapshots one step apart.

        Parameters
        ----------
        trajectories : array-like of shape (n_trajectories, n_times, n_fields, N, N)
            Snapshots of the fields on a periodic N x N grid; ``n_times > horizon``.

        Returns
        -------
        self : object

        Raises
        ------
        ValueError
            Naming the problem: the wrong number of axes, a grid that is not square, too
            few snapshots for ``horizon``, NaN or infinite values.
        """
        self._validate_params()
        data = self._check_states(trajectories, 5, "trajectories")
        n_times = data.shape[1]
        if n_times <= self.horizon:
            raise ValueError(f"horizon={self.horizon} needs trajectories of at least {self.horizon + 1} snapshots, got {n_times}")
        device = resolve_device(self.device, "FieldStepper: device")
        self.n_fields_ = data.shape[2]
        pixels = np.moveaxis(data, 2, -1).reshape(-1, self.n_fields_)
        steps = np.moveaxis(np.diff(data, axis=1), 2, -1).reshape(-1, self.n_fields_)
        location, scale = location_scale(pixels)
        _, step_scale = location_scale(steps, center=None)
        self.network_ = _ResidualStep(self._cnn(device), location, scale, step_scale).to(device)
        self.n_parameters_ = sum(p.numel() for p in self.network_.parameters())
        starts = range(n_times - self.horizon)
        X = np.concatenate([data[:, t] for t in starts])
        Y = np.concatenate([data[:, t + 1 : t + 1 + self.horizon] for t in starts])
        X, Y = (torch.tensor(a, dtype=torch.float32, device=device) for a in (X, Y))
        self.history_ = fit(
            _Rollout(self.network_, self.horizon), X, Y / self.network_.step_scale,
            max_epochs=self.max_epochs, batch_size=self.batch_size, learning_rate=self.learning_rate,
            validation_fraction=self.validation_fraction, seed=self.random_state, progress=False,
        )
        return self

    def _cnn(self, device):
        if len(self.dilations) < 1 or any(int(d) != d or d < 1 for d in self.dilations):
            raise ValueError(f"dilations must be a non-empty sequence of positive integers, got {self.dilations!r}")
        cnn = GeometricCNN if self.architecture == "equivariant" else PlainCNN
        return cnn(0, 0, self.n_fields_, self.n_fields_, channels=self.channels, dilations=tuple(self.dilations),
                   size=self.size, device=device)

    def predict(self, states):
        """The states one step later.

        Parameters
        ----------
        states : array-like of shape (n_fields, N, N) or (batch, n_fields, N, N)
            On a periodic grid of any size N.

        Returns
        -------
        ndarray of the same shape, float64
        """
        return self.rollout(states, 1)[-1]

    def rollout(self, state, n_steps):
        """The model's trajectory from ``state``: ``n_steps`` steps, each fed back.

        Parameters
        ----------
        state : array-like of shape (n_fields, N, N) or (batch, n_fields, N, N)
        n_steps : int

        Returns
        -------
        ndarray of shape (n_steps + 1,) + state's shape, float64
            The start, then each step.
        """
        if not hasattr(self, "network_"):
            from sklearn.exceptions import NotFittedError

            raise NotFittedError("this FieldStepper is not fitted yet; call fit first")
        if int(n_steps) != n_steps or n_steps < 0:
            raise ValueError(f"n_steps must be a non-negative integer, got {n_steps!r}")
        single = np.ndim(state) == 3
        x = self._check_states(np.asarray(state)[None] if single else state, 4, "state")
        if x.shape[1] != self.n_fields_:
            raise ValueError(f"state has {x.shape[1]} fields on axis {0 if single else 1}; the stepper was fitted on {self.n_fields_}")
        current = torch.tensor(x, dtype=torch.float32, device=self.network_.step_scale.device)
        out = [x]
        with torch.no_grad():
            for _ in range(int(n_steps)):
                current = self.network_(current)
                out.append(current.cpu().double().numpy())
        out = np.stack(out)
        return out[:, 0] if single else out

    @staticmethod
    def _check_states(x, ndim, name):
        x = np.asarray(x, dtype=np.float64)
        if x.ndim != ndim:
            axes = "(n_trajectories, n_times, n_fields, N, N)" if ndim == 5 else "(batch, n_fields, N, N)"
            raise ValueError(f"{name} must have shape {axes}, got shape {x.shape}")
        if x.shape[-1] != x.shape[-2]:
            raise ValueError(f"{name} must be on a square grid, got grid shape {x.shape[-2:]}")
        if not np.all(np.isfinite(x)):
            raise ValueError(f"{name} has NaN or infinite values")
        return x


def _channel_buffer(values):
    return torch.as_tensor(np.asarray(values, dtype=np.float32)).reshape(1, -1, 1, 1)


class _ResidualStep(nn.Module):
    """``x -> x + step_scale * f((x - location) / scale)``, with per-channel constants."""

    def __init__(self, cnn, location, scale, step_scale):
        super().__init__()
        self.cnn = cnn
        self.register_buffer("location", _channel_buffer(location))
        self.register_buffer("scale", _channel_buffer(scale))
        self.register_buffer("step_scale", _channel_buffer(step_scale))

    def forward(self, x):
        return x + self.step_scale * self.cnn((x - self.location) / self.scale)


class _Rollout(nn.Module):
    """``horizon`` steps from x (batch, C, N, N): (batch, horizon, C, N, N) in units of each
    channel's step scale (the units of the training target)."""

    def __init__(self, step, horizon):
        super().__init__()
        self.step, self.horizon = step, horizon

    def forward(self, x):
        states = []
        for _ in range(self.horizon):
            x = self.step(x)
            states.append(x / self.step.step_scale)
        return torch.stack(states, 1)
