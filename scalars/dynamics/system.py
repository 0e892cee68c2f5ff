"""The interface every physical system of :mod:`scalars.dynamics` shares.

A :class:`System` declares

- its state: :attr:`~System.layout`, a representation string of the flat state ``z``
  (``"2T1+2T1"``: two position vectors then two momenta; ``"5P+5T1"``: five points of
  E(3) then five momenta) under :attr:`~System.group`, with :attr:`~System.n_particles`
  interchangeable particles when the group has a permutation factor;
- its parameters with units: :attr:`~System.dimensions` maps each name to a pint
  dimension string, and :attr:`~System.event_ndim` says which parameters are arrays of
  their own (a vector ``g``, the masses of ``n`` particles); any leading axes make a batch
  of systems;
- its dynamics: :meth:`~System.hamiltonian` (or another conserved energy,
  :meth:`~System.energy`) and :meth:`~System.time_derivative`.

From those the base class gives checked reference trajectories by an adaptive
high-order integrator (:meth:`~System.trajectory`), batched over systems and states,
and :meth:`~System.energy_error` to check them. Seeded, checksummed training chunks and
test trajectories of any system come from :func:`scalars.dynamics.trajectory_data`.
"""

import copy
from functools import cached_property

import numpy as np

from scalars.dynamics.integrators import solve_adaptive

__all__ = ["System", "si_magnitude"]

# Systems integrated in one call of the adaptive solver. The solver controls the RMS error
# over all of them, so the tolerance is divided by sqrt(batch) to bound each system's own.
_SOLVER_BATCH = 64

# Longest span of t, in units of the fastest time scale of a system (System._time_scales),
# that trajectory integrates: about 16,000 periods, minutes of adaptive steps. Beyond it the
# parameters are almost surely in the wrong units (m = 1e-300 kg would take 1e150 steps).
_MAX_SPAN = 1e5


def si_magnitude(name, value, dimension):
    """``value`` in SI base units as float64; pint quantities are checked and converted.

    Parameters
    ----------
    name : str
        The parameter's name, for error messages.
    value : float, array-like or pint.Quantity
        Numbers without units are taken to be in SI base units (kg, m, s, A).
    dimension : str
        The expected dimension as pint writes it, e.g. ``"[mass] / [time] ** 2"``.

    Returns
    -------
    ndarray of float64

    Raises
    ------
    ValueError
        For a quantity of another dimension, or values that are not finite.
    TypeError
        For values that are not numbers.
    """
    if hasattr(value, "to_base_units"):
        if not value.check(dimension):
            raise ValueError(
                f"{name} has units {value.units} of dimension {value.dimensionality}, expected {dimension}"
            )
        value = value.to_base_units().magnitude
    if np.asarray(value).dtype.kind not in "biuf":
        raise TypeError(f"{name} must be a number, an array of numbers or a pint quantity, got {value!r}")
    value = np.asarray(value, dtype=np.float64)
    if not np.all(np.isfinite(value)):
        raise ValueError(f"{name} must be finite, got {value}")
    return value


class System:
    """Base class of a physical system: state layout, parameters with units, dynamics.

    Subclasses set the class attributes below, store each parameter with
    :meth:`_set_parameter` and define :meth:`hamiltonian` and :meth:`time_derivative`.

    Attributes
    ----------
    group : str
        Symmetry group of the dynamics, e.g. ``"O(3)"`` or ``"S(5)xE(3)"``.
    layout : str
        Representation of the flat state, read by :func:`scalars.reps.rep`.
    n_particles : int or None
        Interchangeable particles the state splits into, if any.
    dim : int
        Dimension of space.
    dimensions : dict of str to str
        Pint dimension of every parameter, and of the time ``"t"``.
    event_ndim : dict of str to int
        Trailing axes of a parameter that belong to one system (1 for a vector); 0 if
        not listed.
    context_layouts : tuple of str
        Representations of the extra inputs the learned models take after the state
        (:meth:`context`), under :attr:`group`: ``("T1", "6T0")`` for the pendulum's ``g``
        and parameters; empty for none.
    context_names : tuple of str or None
        One name per slot of the context (``("g", "m1", ..., "L2")`` for the pendulum), for
        the names of the features; None (the default) for a system that has not declared
        what its learned models see, which then have no features from
        :attr:`phase_space`.
    n_positive_features : int
        How many of the last features of the system's hooks for the learned models
        (``invariant_features``, ``vector_terms``, and the raw inputs ``z, *context``) are
        positive parameters of the system, of which a ``modulated`` model takes monomials;
        0 if none.
    """

    group = None
    layout = None
    n_particles = None
    dim = 3
    dimensions = {"t": "[time]"}
    event_ndim = {}
    context_layouts = ()
    context_names = None
    n_positive_features = 0

    @property
    def parameter_names(self):
        """Names of the parameters, in the order of :attr:`dimensions` (without ``t``)."""
        return tuple(name for name in self.dimensions if name != "t")

    @cached_property
    def state_rep(self):
        """The representation of :attr:`group` on a state ``z`` (:attr:`layout`)."""
        from scalars.reps import rep

        return rep(self.layout, self.group)

    @cached_property
    def derivative_rep(self):
        """The representation on ``dz/dt``: the state's, with the velocity of a point a vector."""
        return self.state_rep.tangent()

    @cached_property
    def context_reps(self):
        """The representations of the context's arrays (:attr:`context_layouts`)."""
        from scalars.reps import rep

        return tuple(rep(layout, self.group) for layout in self.context_layouts)

    @cached_property
    def phase_space(self):
        """The expansion that gives the learned models their features of this system.

        Returns
        -------
        scalars.expansion.PhaseSpaceExpansion
            Of :attr:`group`, :attr:`layout`, :attr:`context_layouts` and
            :attr:`context_names`.

        Raises
        ------
        TypeError
            If the system does not declare its :attr:`context_names`.
        """
        from scalars.expansion import PhaseSpaceExpansion

        if self.context_names is None:
            raise TypeError(
                f"{type(self).__name__} does not declare the context of its learned models "
                "(context_layouts and context_names), so it has no invariant features"
            )
        return PhaseSpaceExpansion(self.group, self.layout, self.context_layouts, self.context_names)

    def invariant_features(self, z, part, *context):
        """Invariant features of states ``z`` in systems ``context``, per group of terms.

        From :attr:`phase_space`: for a system about a fixed origin
        (:class:`~scalars.expansion.PhaseSpaceExpansion`) one group ``""`` of one term, the
        invariants of the part's vectors (separations, momenta, context vectors), the
        lengths of its separations, the context scalars; for interchangeable particles
        (:class:`~scalars.expansion.ParticleExpansion`) a term per particle and one per
        ordered pair.

        Parameters
        ----------
        z : tensor of shape (..., state_size)
        part : {"K", "U", "H"}
            Kinetic (momenta only), potential (positions only) or both.
        *context : tensors
            The system of each state; by default this one's (:meth:`context`).

        Returns
        -------
        dict of str to tensor
            Group name to features (..., n_terms, n_features).
        """
        return self.phase_space.feature_groups(z, part, *self._expansion_inputs(z, context))

    def invariant_feature_names(self, part):
        """Names of the columns of :meth:`invariant_features`, per group."""
        return self.phase_space.feature_group_names(part)

    def vector_terms(self, z, *context):
        """Invariant features and equivariant vectors of the terms ``dz_ki = sum_m sum_b f_kb v_imb``.

        From :attr:`phase_space`: the state's vectors and the context vectors with the
        features of ``"H"`` and the inverse lengths of the separations (central forces), one
        term; for particles the ordered pairs ``(i, j)`` of each particle ``i``.

        Parameters
        ----------
        z : tensor of shape (..., state_size)
        *context : tensors
            The system of each state; by default this one's (:meth:`context`).

        Returns
        -------
        features : tensor of shape (..., n, m, n_features)
        vectors : tensor of shape (..., n, m, n_vectors, dim)
        """
        return self.phase_space.vector_terms(z, *self._expansion_inputs(z, context))

    def _expansion_inputs(self, z, context):
        """What :attr:`phase_space` reads besides the state: the context (by default this system's)."""
        return context or self.context(z)

    @cached_property
    def state_size(self):
        """Numbers in one state ``z``."""
        return self.state_rep.size

    def _set_parameter(self, name, value, positive=False):
        """Store parameter ``name`` in SI base units: a float, or an array for a batch."""
        value = si_magnitude(name, value, self.dimensions[name])
        if positive and np.any(value <= 0):
            raise ValueError(f"{name} must be positive, got {value}")
        setattr(self, name, float(value) if value.ndim == 0 else value)

    def _event_shape(self, name):
        shape = np.shape(getattr(self, name))
        ndim = self.event_ndim.get(name, 0)
        return shape[len(shape) - ndim :]

    @property
    def batch_shape(self):
        """Shape of a batch of systems given by array parameters; () for one system."""
        shapes = []
        for name in self.parameter_names:
            shape = np.shape(getattr(self, name))
            shapes.append(shape[: len(shape) - self.event_ndim.get(name, 0)])
        return np.broadcast_shapes(*shapes)

    def __repr__(self):
        values = ", ".join(f"{name}={np.round(getattr(self, name), 6).tolist()}" for name in self.parameter_names)
        return f"{type(self).__name__}({values})"

    def _check_state(self, z):
        """Raise unless states ``z`` have :attr:`state_size` numbers in the last axis."""
        if tuple(z.shape[-1:]) != (self.state_size,):
            raise ValueError(
                f"states must have {self.state_size} numbers in the last axis, got shape {tuple(z.shape)}"
            )

    def _parameters(self, z):
        """The parameters lined up with the leading axes of states ``z``.

        A batch of systems of shape ``batch_shape`` acts on states of shape
        ``batch_shape + extra + (state_size,)`` (``extra`` is, e.g., the time axis of a
        trajectory), so array parameters get one singleton axis per ``extra`` axis before
        their own axes. Floats stay floats; arrays follow the backend, dtype and device of
        ``z``.
        """
        extra = z.ndim - 1 - len(self.batch_shape)
        if extra < 0:
            raise ValueError(
                f"states of shape {tuple(z.shape)} have fewer leading axes than the batch of "
                f"systems {self.batch_shape}"
            )
        values = []
        for name in self.parameter_names:
            value = getattr(self, name)
            if not isinstance(value, float):
                event = self._event_shape(name)
                value = value.reshape(value.shape[: value.ndim - len(event)] + (1,) * extra + event)
            values.append(value)
        if not isinstance(z, np.ndarray):
            import torch

            values = [v if isinstance(v, float) else torch.as_tensor(v, dtype=z.dtype, device=z.device) for v in values]
        return values

    def hamiltonian(self, z):
        """The Hamiltonian of states ``z`` (..., state_size), numpy or torch: shape (...)."""
        raise NotImplementedError

    def context(self, z):
        """The system of each state as the learned models take it, besides the state.

        The models of :mod:`scalars.dynamics.models` are called ``vector_field(z,
        *context)``; without a context they use this one, lined up with states ``z``
        (..., state_size). Nothing here: a model of one system learns its parameters as
        constants. :class:`~scalars.dynamics.DoubleSpringPendulum` gives ``g, params``, so
        that one model learns from many systems.

        Returns
        -------
        tuple of tensors of shape (..., k)
        """
        return ()

    def energy(self, z):
        """The conserved total energy of states ``z`` (..., state_size): shape (...).

        The Hamiltonian unless a subclass says otherwise.
        """
        return self.hamiltonian(z)

    def time_derivative(self, z):
        """``dz/dt`` of states ``z`` (..., state_size), numpy: shape (..., state_size)."""
        raise NotImplementedError

    def _time_scales(self):
        """Named time scales (arrays, seconds) of the system; the fastest bounds :meth:`trajectory`."""
        return {}

    def energy_error(self, zs):
        """Largest relative change of the energy along trajectories ``zs`` (..., T, state_size).

        Returns
        -------
        float
            ``max |E(t) - E(0)| / |E(0)|`` over steps and trajectories.
        """
        energy = self.energy(np.asarray(zs, dtype=np.float64))
        return float(np.max(np.abs(energy - energy[..., :1]) / np.abs(energy[..., :1])))

    def trajectory(self, z0, t, rtol=1e-10, atol=1e-10):
        """Reference trajectories by an adaptive 8th-order Runge-Kutta method (DOP853).

        Parameters
        ----------
        z0 : array-like of shape (..., state_size)
            States at time ``t[0]``, in SI base units.
        t : array-like of shape (T,), or pint.Quantity [time]
            Increasing times at which to report the state; numbers are seconds.
        rtol, atol : float
            Tolerances per trajectory of the local error.

        Returns
        -------
        ndarray of shape (..., T, state_size)

        Raises
        ------
        ValueError
            For bad arguments; if the trajectory reaches a singular state or the step size
            collapses, naming the time and the state; if ``t`` spans more than 1e5 times
            the fastest time scale of the system.
        """
        if hasattr(z0, "units"):
            raise TypeError(f"z0 must be an array of numbers in SI base units, not a quantity in {z0.units}")
        z0 = np.asarray(z0, dtype=np.float64)
        t = si_magnitude("t", t, self.dimensions["t"])
        self._check_state(z0)
        if not np.all(np.isfinite(z0)):
            raise ValueError("initial states contain NaN or inf")
        if t.ndim != 1 or len(t) == 0 or np.any(np.diff(t) <= 0):
            raise ValueError(f"t must be a non-empty 1-d increasing array, got {t!r}")
        for name, value in dict(rtol=rtol, atol=atol).items():
            if not (np.isscalar(value) and np.isfinite(value) and value > 0):
                raise ValueError(f"{name} must be a positive number, got {value!r}")
        self._check_span(t[-1] - t[0])
        size = self.state_size
        shape = np.broadcast_shapes(z0.shape[:-1], self.batch_shape)
        flat = np.broadcast_to(z0, shape + (size,)).reshape(-1, size)
        parameters = {}
        for name in self.parameter_names:
            event = self._event_shape(name)
            parameters[name] = np.broadcast_to(getattr(self, name), shape + event).reshape((-1,) + event)
        out = np.empty((len(flat), len(t), size))
        for start in range(0, len(flat), _SOLVER_BATCH):
            batch = slice(start, start + _SOLVER_BATCH)
            systems = copy.copy(self)
            for name, value in parameters.items():
                setattr(systems, name, value[batch])
            scale = np.sqrt(len(flat[batch]))
            out[batch] = solve_adaptive(systems.time_derivative, flat[batch], t, rtol / scale, atol / scale)
        return out.reshape(shape + (len(t), size))

    def _check_span(self, span):
        """Refuse a span of times the adaptive integrator could not cross in a reasonable time."""
        scales = {name: np.min(value, initial=np.inf) for name, value in self._time_scales().items()}
        if not scales:
            return
        name = min(scales, key=scales.get)
        if span > _MAX_SPAN * scales[name]:
            raise ValueError(
                f"t spans {span:.3g} s, {span / scales[name]:.3g} times the fastest time scale of the "
                f"system, {name} = {scales[name]:.3g} s: more than the {_MAX_SPAN:.0e} an adaptive "
                "integration can cross in reasonable time. Check the units of the parameters, or "
                "integrate a shorter t."
            )

    def sample_initial_states(self, n, rng):
        """Random initial states for :func:`scalars.dynamics.trajectory_data`: (n, state_size)."""
        raise NotImplementedError(f"{type(self).__name__} does not sample initial states")
