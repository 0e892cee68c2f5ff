"""Two-dimensional incompressible flow on a periodic grid: vorticity, solved pseudo-spectrally.

On the torus ``[0, 2 pi)^2`` the vorticity ``w`` of an incompressible flow ``u`` (with
viscosity ``nu``, no forcing) obeys

.. math::

    \\partial_t w + u \\cdot \\nabla w = \\nu \\Delta w, \\qquad
    u = (\\partial_1 \\psi, -\\partial_0 \\psi), \\quad \\Delta \\psi = -w,

with ``w = d_0 u_1 - d_1 u_0`` (grid axis 0 is ``x_0``). :class:`PeriodicVorticity` integrates
it on ``n x n`` pixels with the fast Fourier transform (derivatives exact for the resolved
modes, the 2/3 rule against aliasing of the product) and the integrating-factor fourth-order
Runge-Kutta scheme (viscosity exact). The equations, the grid and the dealiasing are
symmetric under the grid's translations and ``B(2)`` turning it about its centre pixel, with
the vorticity a pseudo-scalar (a reflection reverses the sense of rotation): so is the
solver, to rounding; :meth:`PeriodicVorticity.dealias` projects any field on the modes it
resolves. :func:`random_vorticity` draws Gaussian random initial fields, and
:func:`vorticity_trajectories` the data of ``python -m scalars bench navier_stokes``.
Everything is numpy.
"""

import numpy as np

__all__ = ["PeriodicVorticity", "random_vorticity", "vorticity_trajectories"]


class PeriodicVorticity:
    """Pseudo-spectral solver of 2-D incompressible Navier-Stokes in vorticity form, periodic.

    Parameters
    ----------
    n : int, default 32
        Pixels a side (even); the domain is ``[0, 2 pi)^2``, pixel ``i`` at ``2 pi i / n``.
    viscosity : float, default 2e-3
        ``nu``, in domain units squared per unit time.
    dt : float, default 0.05
        Time step of the Runge-Kutta scheme.

    Examples
    --------
    >>> import numpy as np
    >>> from scalars.fields.navier_stokes import PeriodicVorticity
    >>> x = 2 * np.pi * np.arange(32) / 32
    >>> w = np.cos(x)[:, None] * np.cos(x)[None, :]          # a steady Taylor-Green cell, decaying as exp(-2 nu t)
    >>> flow = PeriodicVorticity(32, viscosity=0.01)
    >>> bool(np.allclose(flow.advance(w, 1.0), w * np.exp(-0.02)))
    True
    """

    def __init__(self, n=32, viscosity=2e-3, dt=0.05):
        if int(n) != n or n < 4 or n % 2:
            raise ValueError(f"n must be an even number of pixels a side, at least 4, got {n!r}")
        if not viscosity >= 0:
            raise ValueError(f"viscosity must be non-negative, got {viscosity!r}")
        if not dt > 0:
            raise ValueError(f"dt must be positive, got {dt!r}")
        self.n, self.viscosity, self.dt = int(n), float(viscosity), float(dt)
        self._k0 = np.fft.fftfreq(self.n, 1.0 / self.n)[:, None]
        self._k1 = np.fft.rfftfreq(self.n, 1.0 / self.n)[None, :]
        k2 = self._k0**2 + self._k1**2
        self._inverse_laplacian = np.where(k2 > 0, 1.0 / np.where(k2 > 0, k2, 1.0), 0.0)  # psi_hat = w_hat / k^2
        self._dealias = (np.abs(self._k0) < self.n / 3) & (np.abs(self._k1) < self.n / 3)
        self._decay = np.exp(-self.viscosity * k2 * self.dt / 2)  # half a step of viscosity

    def _check(self, w):
        w = np.asarray(w, dtype=float)
        if w.ndim < 2 or w.shape[-2:] != (self.n, self.n):
            raise ValueError(f"vorticity must have shape (..., {self.n}, {self.n}), got {w.shape}")
        if not np.all(np.isfinite(w)):
            raise ValueError("vorticity contains NaN or infinite values")
        return w

    def _velocity_hat(self, w_hat):
        psi_hat = w_hat * self._inverse_laplacian
        return 1j * self._k1 * psi_hat, -1j * self._k0 * psi_hat

    def velocity(self, w):
        """The velocity ``u`` of vorticity ``w`` (..., n, n): a vector image (..., n, n, 2)."""
        u0, u1 = self._velocity_hat(np.fft.rfft2(self._check(w)))
        return np.stack([np.fft.irfft2(u0, s=(self.n, self.n)), np.fft.irfft2(u1, s=(self.n, self.n))], axis=-1)

    def _advection(self, w_hat):
        """``-u . grad w`` in Fourier space, dealiased."""
        w_hat = w_hat * self._dealias
        s = (self.n, self.n)
        u0, u1 = (np.fft.irfft2(part, s=s) for part in self._velocity_hat(w_hat))
        d0, d1 = np.fft.irfft2(1j * self._k0 * w_hat, s=s), np.fft.irfft2(1j * self._k1 * w_hat, s=s)
        return -np.fft.rfft2(u0 * d0 + u1 * d1) * self._dealias

    def dealias(self, w):
        """``w`` with the modes the solver never resolves removed: its projection on the modes it keeps.

        The modes kept are those with ``|k_0|, |k_1| < n / 3`` (the 2/3 rule of the
        advection term): every frame of :meth:`PeriodicVorticity.advance` and of
        :func:`random_vorticity` lies in their span, so this leaves them unchanged. A model
        rolled out on such frames can put energy into the other modes, which no training
        frame contains and so no loss on them constrains; projecting each step back removes
        it. The mask depends only on
        ``|k_0|`` and ``|k_1|``, so the projection commutes with the grid's translations and
        with ``B(2)`` (for scalars and pseudo-scalars alike).

        Parameters
        ----------
        w : array-like of shape (..., n, n)

        Returns
        -------
        ndarray of shape (..., n, n)
        """
        return np.fft.irfft2(np.fft.rfft2(self._check(w)) * self._dealias, s=(self.n, self.n))

    def _step(self, w_hat):
        E, h = self._decay, self.dt
        a = self._advection(w_hat)
        b = self._advection(E * (w_hat + h / 2 * a))
        c = self._advection(E * w_hat + h / 2 * b)
        d = self._advection(E * E * w_hat + h * E * c)
        return E * E * w_hat + h / 6 * (E * E * a + 2 * E * (b + c) + d)

    def advance(self, w, time):
        """The vorticity after ``time`` (rounded to whole steps of ``dt``), for each field of ``w``.

        Parameters
        ----------
        w : array-like of shape (..., n, n)
        time : float
            Non-negative.

        Returns
        -------
        ndarray of shape (..., n, n)
        """
        w = self._check(w)
        if not time >= 0:
            raise ValueError(f"time must be non-negative, got {time!r}")
        w_hat = np.fft.rfft2(w)
        for _ in range(int(round(time / self.dt))):
            w_hat = self._step(w_hat)
        return np.fft.irfft2(w_hat, s=(self.n, self.n))


def random_vorticity(n_samples, n=32, peak=4.0, seed=None):
    """Gaussian random vorticity fields of zero mean and unit root mean square.

    White noise filtered to Fourier amplitudes ``|k|^1.5 exp(-(|k| / peak)^2)`` (modes with
    ``|k_0|, |k_1| < n / 3`` only): an energy spectrum ``E(k) ~ k^2 exp(-2 (k / peak)^2)``.
    The filter depends only on ``|k|``, so the distribution is invariant under the grid's
    group.

    Parameters
    ----------
    n_samples : int
    n : int, default 32
    peak : float, default 4.0
        Wavenumber of the largest eddies.
    seed : int or Generator, optional

    Returns
    -------
    ndarray of shape (n_samples, n, n)
    """
    if int(n_samples) != n_samples or n_samples < 1:
        raise ValueError(f"n_samples must be a positive integer, got {n_samples!r}")
    rng = np.random.default_rng(seed)
    k = np.fft.fftfreq(n, 1.0 / n)
    k_norm = np.hypot(k[:, None], k[None, :])
    dealias = (np.abs(k[:, None]) < n / 3) & (np.abs(k[None, :]) < n / 3)
    amplitude = np.where(dealias, k_norm**1.5 * np.exp(-((k_norm / peak) ** 2)), 0.0)
    noise = rng.standard_normal((n_samples, n, n))
    w = np.fft.ifft2(np.fft.fft2(noise) * amplitude).real
    w -= w.mean(axis=(1, 2), keepdims=True)
    return w / np.sqrt(np.mean(w**2, axis=(1, 2), keepdims=True))


def vorticity_trajectories(n_trajectories, n_frames, n=32, frame_time=0.5, viscosity=2e-3, dt=0.05, warmup=1.0, peak=4.0,
                           seed=None):
    """Vorticity frames of flows from random initial fields: ``(n_trajectories, n_frames + 1, n, n)``.

    Each flow starts from :func:`random_vorticity`, runs ``warmup`` time units (so that the
    frames look like flows, not noise), and then records a frame every ``frame_time``.

    Parameters
    ----------
    n_trajectories, n_frames : int
    n : int, default 32
    frame_time : float, default 0.5
    viscosity, dt : float, default 2e-3, 0.05
        See :class:`PeriodicVorticity`.
    warmup : float, default 1.0
    peak : float, default 4.0
        See :func:`random_vorticity`.
    seed : int or Generator, optional

    Returns
    -------
    ndarray of shape (n_trajectories, n_frames + 1, n, n)
    """
    if int(n_frames) != n_frames or n_frames < 0:
        raise ValueError(f"n_frames must be a non-negative integer, got {n_frames!r}")
    flow = PeriodicVorticity(n, viscosity, dt)
    w = flow.advance(random_vorticity(n_trajectories, n, peak, seed), warmup)
    frames = [w]
    for _ in range(int(n_frames)):
        frames.append(flow.advance(frames[-1], frame_time))
    return np.stack(frames, axis=1)
