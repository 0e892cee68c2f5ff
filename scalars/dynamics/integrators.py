"""Differentiable fixed-step integrators in torch, a registry of them with a front door to
torchdiffeq, and the checked adaptive integrator of the reference trajectories.

:data:`INTEGRATORS` maps a method name to a solver ``(field, z0, t, substeps) -> (..., T, n)``:
``"leapfrog2"`` and ``"leapfrog4"`` (symplectic, for separable fields) and ``"rk4"``;
:func:`integrate` looks the method up there, passes any other method name of
:func:`torchdiffeq.odeint` to torchdiffeq, and refuses the rest naming the known ones.

All of them return the trajectory batch-first, ``(..., T, n)``, like
:meth:`scalars.dynamics.DoubleSpringPendulum.trajectory`; the torch ones keep the autograd
graph so that a loss on the trajectory trains the vector field.
"""

import numpy as np
import torch

__all__ = ["leapfrog", "rk4", "integrate", "solve_adaptive", "INTEGRATORS"]


def _steps(t, substeps):
    """Step sizes, ``(T-1,)``: each output interval split into ``substeps`` equal steps."""
    if substeps < 1:
        raise ValueError(f"substeps must be a positive integer, got {substeps}")
    return (t[1:] - t[:-1]) / substeps


# Yoshida's (1990) triple jump: three leapfrog steps of these fractions of h make a
# symmetric fourth-order symplectic step.
_YOSHIDA_4 = (1 / (2 - 2 ** (1 / 3)), -(2 ** (1 / 3)) / (2 - 2 ** (1 / 3)), 1 / (2 - 2 ** (1 / 3)))


def leapfrog(grad_potential, grad_kinetic, z0, t, substeps=1, order=2):
    """Stormer-Verlet (kick-drift-kick) for a separable Hamiltonian ``H = K(p) + U(q)``.

    Symplectic and time-reversible. The state is ``z = (q, p)`` with ``q`` the first half
    of the last axis. ``order=4`` composes three leapfrog steps (Yoshida 1990) into a
    fourth-order step at three times the cost.

    Parameters
    ----------
    grad_potential : callable
        ``q (..., n/2) -> dU/dq (..., n/2)``.
    grad_kinetic : callable
        ``p (..., n/2) -> dK/dp (..., n/2)``.
    z0 : tensor of shape (..., n)
        States at ``t[0]``.
    t : tensor of shape (T,)
        Output times.
    substeps : int
        Steps per output interval.
    order : {2, 4}

    Returns
    -------
    tensor of shape (..., T, n)
    """
    if order not in (2, 4):
        raise ValueError(f"order must be 2 or 4, got {order}")
    if z0.shape[-1] % 2:
        raise ValueError(f"states z = (q, p) need an even length in the last axis, got shape {tuple(z0.shape)}")
    fractions = (1.0,) if order == 2 else _YOSHIDA_4
    half = z0.shape[-1] // 2
    q, p = z0[..., :half], z0[..., half:]
    force = -grad_potential(q)
    out = [z0]
    for h in _steps(t, substeps):
        for _ in range(substeps):
            for fraction in fractions:
                step = fraction * h
                p = p + 0.5 * step * force
                q = q + step * grad_kinetic(p)
                force = -grad_potential(q)
                p = p + 0.5 * step * force
        out.append(torch.cat([q, p], dim=-1))
    return torch.stack(out, dim=-2)


def rk4(field, z0, t, substeps=1):
    """Classical fourth-order Runge-Kutta for an autonomous ``dz/dt = field(z)``.

    Parameters
    ----------
    field : callable
        ``z (..., n) -> dz/dt (..., n)``.
    z0 : tensor of shape (..., n)
    t : tensor of shape (T,)
    substeps : int
        Steps per output interval.

    Returns
    -------
    tensor of shape (..., T, n)
    """
    z = z0
    out = [z0]
    for h in _steps(t, substeps):
        for _ in range(substeps):
            k1 = field(z)
            k2 = field(z + 0.5 * h * k1)
            k3 = field(z + 0.5 * h * k2)
            k4 = field(z + h * k3)
            z = z + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
        out.append(z)
    return torch.stack(out, dim=-2)


def _separable_leapfrog(order):
    """Leapfrog of ``order`` for a separable field: ``dq/dt`` depends on p alone, ``dp/dt`` on q."""

    def solve(field, z0, t, substeps=1):
        half = z0.shape[-1] // 2
        # fill in the half a separable field ignores from z0 (zeros could be singular, 1/|q| at q = 0)
        q0, p0 = z0[..., :half], z0[..., half:]
        return leapfrog(
            lambda q: -field(torch.cat([q, p0], -1))[..., half:],
            lambda p: field(torch.cat([q0, p], -1))[..., :half],
            z0, t, substeps, order=order,
        )

    return solve


#: Fixed-step solvers by name, each ``(field, z0, t, substeps) -> (..., T, n)``.
INTEGRATORS = {"leapfrog2": _separable_leapfrog(2), "leapfrog4": _separable_leapfrog(4), "rk4": rk4}


def integrate(field, z0, t, method="rk4", substeps=1, rtol=1e-7, atol=1e-9):
    """Integrate ``dz/dt = field(z)`` with a solver of :data:`INTEGRATORS` or of torchdiffeq.

    Parameters
    ----------
    field : callable
        ``z (..., n) -> dz/dt (..., n)``.
    z0 : tensor of shape (..., n)
    t : tensor of shape (T,)
    method : str
        A key of :data:`INTEGRATORS` (``"rk4"``, ``"leapfrog2"``, ``"leapfrog4"``; the
        leapfrogs only for separable fields, whose ``dq/dt`` (first half of ``z``) depends on
        ``p`` alone and ``dp/dt`` on ``q`` alone), used with ``substeps``; otherwise a method
        name of :func:`torchdiffeq.odeint` (``"dopri5"``, ``"dopri8"``, ...), with ``rtol``,
        ``atol``.

    Returns
    -------
    tensor of shape (..., T, n)

    Raises
    ------
    ValueError
        For an unknown method, listing the known ones.
    """
    if method in INTEGRATORS:
        return INTEGRATORS[method](field, z0, t, substeps)
    from torchdiffeq import odeint
    from torchdiffeq._impl.odeint import SOLVERS

    if method not in SOLVERS:
        known = sorted(INTEGRATORS) + sorted(set(SOLVERS) - set(INTEGRATORS))
        raise ValueError(f"unknown integration method {method!r}; the known ones are {known}")
    zs = odeint(lambda _, z: field(z), z0, t, method=method, rtol=rtol, atol=atol)
    return zs.movedim(0, -2)


# A step size that would need more field evaluations than this to cross the rest of t has
# collapsed as surely as one below the spacing of floats (a badly scaled state whose
# rounding noise swamps a tolerance, a chattering field): the integration would hang.
# Checked every _PROBE evaluations, at the pace of the last _PROBE.
_MAX_EVALUATIONS = 10**9
_PROBE = 10**4


def solve_adaptive(field, z0, t, rtol, atol, method="DOP853"):
    """Trajectories of ``dz/dt = field(z)`` by an adaptive scipy method, or a clear error.

    A field that is not finite, or fails, at some state, or a step size that collapses
    (below the spacing of floats, or so small that crossing ``t`` would take more than
    1e9 evaluations of the field), raises instead of returning NaN or stalling.

    Parameters
    ----------
    field : callable
        ``z (n, k) -> dz/dt (n, k)``, numpy.
    z0 : ndarray of shape (n, k)
        States at ``t[0]``, integrated together (the error control is over all of them).
    t : ndarray of shape (T,)
        Increasing output times.
    rtol, atol : float
        Tolerances of :func:`scipy.integrate.solve_ivp`.
    method : str
        An adaptive method of :func:`scipy.integrate.solve_ivp`.

    Returns
    -------
    ndarray of shape (n, T, k)

    Raises
    ------
    ValueError
        Naming the time and the state where the field is not finite or fails with a
        ValueError, or where the step size collapsed (the state changing fastest there).
    """
    from scipy.integrate import solve_ivp

    n, k = z0.shape
    if len(t) == 1:
        return z0[:, None, :].copy()
    last = {"evaluations": 0, "probe": t[0]}

    def rhs(time, y):
        z = y.reshape(n, k)
        try:
            dz = field(z)
        except ValueError as error:
            raise ValueError(f"at t = {time:.6g}: {error}") from error
        bad = ~np.isfinite(dz).all(axis=-1)
        if bad.any():
            raise ValueError(f"the vector field is not finite at t = {time:.6g} in the state {z[bad][0].tolist()}")
        last.update(time=time, z=z, dz=dz, evaluations=last["evaluations"] + 1)
        if last["evaluations"] % _PROBE == 0:
            advance, rest = time - last["probe"], t[-1] - time
            if rest > _MAX_EVALUATIONS / _PROBE * advance:
                raise _collapse(
                    last, f"the last {_PROBE} evaluations of the field advanced t by {advance:.3g}, so the "
                    f"{rest:.3g} left would take more than {_MAX_EVALUATIONS:.0e}."
                )
            last["probe"] = time
        return dz.ravel()

    solution = solve_ivp(rhs, (t[0], t[-1]), z0.ravel(), method=method, t_eval=t, rtol=rtol, atol=atol)
    if not solution.success:
        raise _collapse(last, solution.message)
    return solution.y.reshape(n, k, len(t)).transpose(0, 2, 1)


def _collapse(last, reason):
    """The error for a step size that collapsed at the last evaluation of the field."""
    fastest = np.argmax(np.abs(last["dz"]).max(axis=-1))
    return ValueError(
        f"the step size collapsed at t = {last['time']:.6g}: {reason} The state changing fastest "
        f"there is {last['z'][fastest].tolist()}; the system is singular, too stiff or badly scaled "
        "near it (atol is an absolute tolerance)."
    )
