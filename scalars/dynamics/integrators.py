"""The integrators of the package: one registry, :data:`INTEGRATORS`, of every method a model
or a data generator integrates with (as torchdiffeq's ``SOLVERS``), and the checked adaptive
integrator of the reference trajectories (:func:`solve_adaptive`).

:data:`INTEGRATORS` maps a method name to an :class:`Integrator`:

- ``"symplectic_euler"``, ``"leapfrog2"``, ``"leapfrog4"``: fixed-step symplectic splitting
  methods (:class:`Splitting`) for separable fields, ``dq/dt = velocity(p)``,
  ``dp/dt = force(q)``: kick then drift (first order; the leapfrog of the n-body protocols,
  whose velocities run half a step behind the positions), Stormer-Verlet (kick-drift-kick,
  second order, time-reversible), and Yoshida's (1990) composition of three of them
  (fourth order);
- ``"rk4"``: classical fourth-order Runge-Kutta with fixed steps, for any field;
- ``"dopri5"``, ``"dopri8"``, ``"bosh3"``, ``"fehlberg2"``, ``"adaptive_heun"``: the
  adaptive methods of torchdiffeq, by its public :func:`torchdiffeq.odeint`, with ``rtol``
  and ``atol``.

Every caller goes through :func:`integrate` (a field on states ``z`` (..., n), returned
batch-first, (..., T, n), like :meth:`scalars.dynamics.DoubleSpringPendulum.trajectory`) or
:func:`integrate_separable` (a :class:`SeparableField` on positions and momenta of any
shape, numpy arrays or torch tensors, returned time-first). The torch ones keep the
autograd graph, so that a loss on the trajectory trains the vector field.
"""

from typing import Callable, NamedTuple

import numpy as np
import torch

__all__ = [
    "INTEGRATORS", "integrate", "integrate_separable", "SeparableField", "Integrator", "Splitting", "RungeKutta4",
    "TorchDiffEq", "leapfrog", "rk4", "solve_adaptive",
]


class SeparableField(NamedTuple):
    """The vector field of a separable Hamiltonian ``H = K(p) + U(q)``.

    Attributes
    ----------
    velocity : callable
        ``p -> dq/dt = dK/dp``, the shape of ``p``.
    force : callable
        ``q -> dp/dt = -dU/dq``, the shape of ``q``.
    """

    velocity: Callable
    force: Callable


def _steps(t, substeps):
    """Step sizes, ``(T-1,)``: each output interval split into ``substeps`` equal steps."""
    if substeps < 1:
        raise ValueError(f"substeps must be a positive integer, got {substeps}")
    return (t[1:] - t[:-1]) / substeps


def _split(z):
    """Positions and momenta ``q, p`` (..., n/2): the halves of the last axis of ``z``."""
    if z.shape[-1] % 2:
        raise ValueError(f"states z = (q, p) need an even length in the last axis, got shape {tuple(z.shape)}")
    half = z.shape[-1] // 2
    return z[..., :half], z[..., half:]


def _separable(field, z0):
    """``field`` as a :class:`SeparableField`: its halves, the other half of the state taken
    from ``z0`` (a separable field ignores it; zeros could be singular, 1/|q| at q = 0)."""
    if isinstance(field, SeparableField):
        return field
    q0, p0 = _split(z0)
    half = q0.shape[-1]
    return SeparableField(
        lambda p: field(torch.cat([q0, p], -1))[..., :half], lambda q: field(torch.cat([q, p0], -1))[..., half:]
    )


def _joined(field):
    """A :class:`SeparableField` as a field of whole states ``z = (q, p)``; others unchanged."""
    if not isinstance(field, SeparableField):
        return field

    def joined(z):
        q, p = _split(z)
        return torch.cat([field.velocity(p), field.force(q)], -1)

    return joined


class Integrator:
    """A method of :data:`INTEGRATORS`: integrates ``dz/dt = field(z)`` over output times."""

    def __call__(self, field, z0, t, substeps=1, rtol=1e-7, atol=1e-9):
        """States (..., T, n) from ``z0`` (..., n) at times ``t`` (T,); see :func:`integrate`."""
        raise NotImplementedError


class Splitting(Integrator):
    """A fixed-step symplectic splitting method of separable fields.

    Parameters
    ----------
    step : callable
        ``step(field, q, p, force, h) -> (q, p, force)``: one step of size ``h`` of a
        :class:`SeparableField`; ``force`` is ``field.force(q)`` when known (None
        otherwise), and is returned for the next step to reuse.
    """

    def __init__(self, step):
        self.step = step

    def states(self, field, q, p, t, substeps=1):
        """Positions and momenta at each time of ``t`` (T,), a list of ``(q, p)``."""
        out, force = [(q, p)], None
        for h in _steps(t, substeps):
            for _ in range(substeps):
                q, p, force = self.step(field, q, p, force, h)
            out.append((q, p))
        return out

    def __call__(self, field, z0, t, substeps=1, rtol=1e-7, atol=1e-9):
        q, p = _split(z0)
        states = self.states(_separable(field, z0), q, p, t, substeps)
        return torch.stack([torch.cat(state, dim=-1) for state in states], dim=-2)


def _symplectic_euler_step(field, q, p, force, h):
    """Kick then drift: ``p += h F(q)``, ``q += h v(p)``."""
    p = p + h * field.force(q)
    q = q + h * field.velocity(p)
    return q, p, None


# Yoshida's (1990) triple jump: three leapfrog steps of these fractions of h make a
# symmetric fourth-order symplectic step.
_YOSHIDA_4 = (1 / (2 - 2 ** (1 / 3)), -(2 ** (1 / 3)) / (2 - 2 ** (1 / 3)), 1 / (2 - 2 ** (1 / 3)))


def _leapfrog_step(fractions):
    """Stormer-Verlet (kick-drift-kick) steps of the ``fractions`` of h, one after another."""

    def step(field, q, p, force, h):
        force = field.force(q) if force is None else force
        for fraction in fractions:
            substep = fraction * h
            p = p + 0.5 * substep * force
            q = q + substep * field.velocity(p)
            force = field.force(q)
            p = p + 0.5 * substep * force
        return q, p, force

    return step


class RungeKutta4(Integrator):
    """Classical fourth-order Runge-Kutta with fixed steps, for any field."""

    def __call__(self, field, z0, t, substeps=1, rtol=1e-7, atol=1e-9):
        field, z = _joined(field), z0
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


class TorchDiffEq(Integrator):
    """An adaptive method of torchdiffeq, by name, through :func:`torchdiffeq.odeint`."""

    def __init__(self, name):
        self.name = name

    def __call__(self, field, z0, t, substeps=1, rtol=1e-7, atol=1e-9):
        from torchdiffeq import odeint

        field = _joined(field)
        return odeint(lambda _, z: field(z), z0, t, method=self.name, rtol=rtol, atol=atol).movedim(0, -2)


#: Every integration method of the package by name (see the module's docstring).
INTEGRATORS = {
    "symplectic_euler": Splitting(_symplectic_euler_step),
    "leapfrog2": Splitting(_leapfrog_step((1.0,))),
    "leapfrog4": Splitting(_leapfrog_step(_YOSHIDA_4)),
    "rk4": RungeKutta4(),
    **{name: TorchDiffEq(name) for name in ("dopri5", "dopri8", "bosh3", "fehlberg2", "adaptive_heun")},
}


def _integrator(method, splitting=False):
    """The :class:`Integrator` named ``method`` (a :class:`Splitting` if asked), or a ValueError
    that lists the known ones."""
    known = sorted(name for name, found in INTEGRATORS.items() if isinstance(found, Splitting) or not splitting)
    if method not in known:
        kind = "splitting method" if splitting else "integration method"
        raise ValueError(f"unknown {kind} {method!r}; the known ones are {known}")
    return INTEGRATORS[method]


def integrate(field, z0, t, method="rk4", substeps=1, rtol=1e-7, atol=1e-9):
    """Integrate ``dz/dt = field(z)`` with a method of :data:`INTEGRATORS`.

    Parameters
    ----------
    field : callable or SeparableField
        ``z (..., n) -> dz/dt (..., n)``; or the two halves of a separable field, for the
        states ``z = (q, p)``.
    z0 : tensor of shape (..., n)
    t : tensor of shape (T,)
    method : str
        A key of :data:`INTEGRATORS`. The splitting methods (``"leapfrog4"``, ...) need a
        separable field: a :class:`SeparableField`, or a callable whose ``dq/dt`` (first
        half of ``z``) depends on ``p`` alone and ``dp/dt`` on ``q`` alone (each half is
        then evaluated at the other half of ``z0``).
    substeps : int
        Steps per output interval, for the fixed-step methods.
    rtol, atol : float
        Tolerances of the adaptive methods.

    Returns
    -------
    tensor of shape (..., T, n)

    Raises
    ------
    ValueError
        For an unknown method, listing the known ones.
    """
    return _integrator(method)(field, z0, t, substeps, rtol, atol)


def integrate_separable(field, q0, p0, t, method="leapfrog2", substeps=1):
    """Positions and momenta along a separable field by a splitting method of :data:`INTEGRATORS`.

    For arrays of any shape, numpy or torch: a data generator integrates its own layout.

    Parameters
    ----------
    field : SeparableField
    q0, p0 : arrays of one shape
        Positions and momenta at ``t[0]``.
    t : array of shape (T,)
        Output times.
    method : str
        A :class:`Splitting` of :data:`INTEGRATORS`.
    substeps : int
        Steps per output interval.

    Returns
    -------
    q, p : arrays of shape (T, *q0.shape)

    Raises
    ------
    ValueError
        For a method that is not a splitting method, listing those that are.
    """
    states = _integrator(method, splitting=True).states(field, q0, p0, t, substeps)
    stack = torch.stack if isinstance(q0, torch.Tensor) else np.stack
    return tuple(stack([state[m] for state in states]) for m in (0, 1))


def leapfrog(grad_potential, grad_kinetic, z0, t, substeps=1, order=2):
    """Stormer-Verlet (kick-drift-kick) for a separable Hamiltonian ``H = K(p) + U(q)``.

    Symplectic and time-reversible: :func:`integrate` with ``method="leapfrog2"`` (or
    ``"leapfrog4"``, three leapfrog steps (Yoshida 1990) at three times the cost). The state
    is ``z = (q, p)`` with ``q`` the first half of the last axis.

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
    field = SeparableField(grad_kinetic, lambda q: -grad_potential(q))
    return integrate(field, z0, t, f"leapfrog{order}", substeps)


def rk4(field, z0, t, substeps=1):
    """Classical fourth-order Runge-Kutta for an autonomous ``dz/dt = field(z)``:
    :func:`integrate` with ``method="rk4"``.

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
    return integrate(field, z0, t, "rk4", substeps)


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
