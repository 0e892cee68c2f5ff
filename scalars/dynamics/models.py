"""Learned dynamics of any System: Hamiltonian networks and neural ODEs, and the pendulum's four.

:class:`HamiltonianNetwork` learns the Hamiltonian of any :class:`~scalars.dynamics.System`
that lists its invariants (:meth:`System.invariant_features
<scalars.dynamics.System.invariant_features>`): ``H = sum_groups sum_terms
MLP_group(invariants of the term)``, one shared MLP per group of terms (particles, pairs
of particles), so H is exactly invariant under the system's group, permutations of
identical particles included; with ``raw=True`` the same network reads the raw
coordinates instead (the baseline). :class:`NeuralODE` learns an equivariant field of
any System that lists its terms (:meth:`System.vector_terms
<scalars.dynamics.System.vector_terms>`): each vector of the state is a sum over
terms of MLP coefficients of invariants times equivariant vectors; ``raw=True`` is an MLP
of the raw coordinates. The Hamiltonian networks are separable by default, ``H = K(p) +
U(q)`` as for any particle system, and are integrated with the symplectic leapfrog; the
neural ODEs with RK4 (or any method of :data:`~scalars.dynamics.INTEGRATORS`).

Models are called with the state and the system's call context (:meth:`System.context
<scalars.dynamics.System.context>`), ``vector_field(z, *context)``, ``rollout(z0, t,
*context)``: nothing for one system of n bodies, whose parameters the model learns as
constants; ``g, params`` for the pendulum, whose data come from many systems. Without a
context a model uses its system's own.

For the springy double pendulum (:class:`~scalars.dynamics.DoubleSpringPendulum`, whose
hooks give one term of O(3) invariants of ``q1, q2, p1, p2, g``), four specialisations,
two structures by two kinds of input:

=================  ==================================  ====================================
                   Hamiltonian network (HNN)           neural ODE
=================  ==================================  ====================================
scalars (O(3))     :class:`ScalarHNN`: H = MLP of the  :class:`ScalarNeuralODE`: each dz_i/dt
                   invariants, exactly O(3)-invariant   = sum_s f_is(invariants) v_s
raw coordinates    :class:`MLPHNN`: H = MLP(z, g, ...)  :class:`MLPNeuralODE`: dz/dt = MLP(...)
=================  ==================================  ====================================

They see a state ``z = (q1, q2, p1, p2)`` of shape (..., 12), the gravity vector ``g``
(..., 3) and the other parameters of the system ``params = (m1, m2, k1, k2, L1, L2)``
(..., 6).

With ``dimensionless=True`` every input is first made dimensionless with the scales of its
own system (the system's hook ``dimensionless``; for the pendulum mass ``m1``, length
``L1`` and time ``sqrt(m1 / k1)``), and the output is given back the right units: the
model is then exactly equivariant under changes of units, as well as under the group.
With ``modulated=True`` (Hamiltonian networks of a system with ``n_positive_features``)
the coefficients of the linear part are combinations of monomials of the system's
parameters.

Each network is a linear map of its whitened inputs plus an MLP of its standardised
inputs, both zero at the start; the scaling comes from the training data
(:meth:`fit_scaling`).
"""

import numpy as np
import torch
from torch import nn

from scalars.dynamics.integrators import INTEGRATORS, SeparableField, Splitting, integrate
from scalars.dynamics.pendulum import DoubleSpringPendulum
from scalars.monomials import signed_exponents
from scalars.nn.devices import resolve_device
from scalars.nn.layers import Standardizer, mlp

__all__ = ["HamiltonianNetwork", "ResidualHamiltonianNetwork", "NeuralODE", "ScalarHNN", "MLPHNN", "ScalarNeuralODE", "MLPNeuralODE"]


class _MLP(nn.Module):
    """A linear map of whitened inputs plus an MLP (SiLU) of standardised inputs.

    Both start at zero, so that an untrained model has no dynamics at all. With
    ``layers=0`` the model is linear in its inputs.

    With ``n_context > 0`` the last ``n_context`` inputs are positive parameters of the
    system, and the coefficients of the linear map are themselves linear combinations of
    monomials of them (``m2 / m1``, ``k2 L2``, ...: powers -1 and +1 of at most two), as
    physical coefficients typically are. The whole linear part stays linear in its weights.
    """

    def __init__(self, n_in, n_out, hidden, layers, n_context=0):
        super().__init__()
        self.scaling = Standardizer(n_in, whiten=True)
        self.skip = nn.Linear(n_in, n_out)
        self.n_context = n_context
        if n_context:
            self.register_buffer("exponents", torch.tensor(signed_exponents(n_context, 2), dtype=torch.float64))
            self.skip_context = nn.Linear(len(self.exponents), n_out * n_in, bias=False)
        self.body = mlp(n_in, n_out, (hidden,) * layers, nn.SiLU, output_bias=False) if layers else None
        self._start_at_zero()

    def linear_parameters(self):
        """The weights of the linear part, in which the output is linear."""
        return list(self.skip.parameters()) + (list(self.skip_context.parameters()) if self.n_context else [])

    @torch.no_grad()
    def reset_parameters(self):
        """Draw every layer as at construction: torch's default, then the linear part and
        the output layer at zero."""
        for layer in self.modules():
            if isinstance(layer, nn.Linear):
                layer.reset_parameters()
        self._start_at_zero()

    @torch.no_grad()
    def _start_at_zero(self):
        for weight in self.linear_parameters() + ([] if self.body is None else [self.body[-1].weight]):
            weight.zero_()

    def forward(self, x):
        standardised, whitened = self.scaling(x), self.scaling.whiten(x)
        out = self.skip(whitened)
        if self.n_context:
            monomials = torch.exp(torch.log(x[..., -self.n_context :]) @ self.exponents.T)
            weights = self.skip_context(monomials).unflatten(-1, (out.shape[-1], x.shape[-1]))
            out = out + (weights @ whitened[..., None])[..., 0]
        return out if self.body is None else out + self.body(standardised)


def _raw_features(coordinates, context):
    """Coordinates (..., k), then each array of the context broadcast to their leading axes."""
    shape = coordinates.shape[:-1]
    return torch.cat([coordinates, *(c.expand(shape + c.shape[-1:]) for c in context)], dim=-1)


def _net_name(part, group):
    """The network of a group of terms of a part of H: ``"K_particles"``; ``"K"`` for the group ``""``."""
    return f"{part}_{group}" if group else part


def _check_hooks(system, dimensionless, modulated):
    """Raise unless ``system`` has the hooks the options need."""
    if dimensionless and not hasattr(system, "dimensionless"):
        raise ValueError(
            f"dimensionless=True needs a system with a dimensionless scaling; {type(system).__name__} has none"
        )
    if modulated and not system.n_positive_features:
        raise ValueError(f"modulated=True needs a system whose features end with positive parameters; "
                         f"{type(system).__name__} has none (n_positive_features = 0)")


class _Dynamics(nn.Module):
    """Shared interface: a vector field, trajectories, and input standardisation."""

    def vector_field(self, z, *context):
        """Time derivative ``dz/dt`` (..., n) of states ``z`` (..., n); ``context`` is the
        system of each state (:meth:`System.context <scalars.dynamics.System.context>`),
        ``g, params`` for the pendulum and nothing for n bodies."""
        raise NotImplementedError

    def forward(self, z, *context):
        """The vector field: :meth:`vector_field`."""
        return self.vector_field(z, *context)

    @property
    def rep_in(self):
        """The representation on the state, or a tuple with the context's (state, g, params).

        A ``raw`` model (an MLP of the coordinates) is not equivariant and has none:
        AttributeError.
        """
        if self.raw:
            raise AttributeError(f"a raw {type(self).__name__} (an MLP of the coordinates) is not equivariant: it has no rep_in")
        reps = (self.system.state_rep, *self.system.context_reps)
        return reps[0] if len(reps) == 1 else reps

    @property
    def rep_out(self):
        """The representation on the vector field ``dz/dt``."""
        return self.system.derivative_rep

    def _context(self, z, context):
        """The call context, or the system's own for states ``z``."""
        return context or self.system.context(z)

    def _features(self, name, z, *context):
        """Inputs (..., k) of the MLP ``self.nets[name]`` (..., n_terms, k for a Hamiltonian
        network) at states ``z`` (..., n) in systems ``context``."""
        raise NotImplementedError

    def linear_parameters(self):
        """The parameters of the linear maps of every network, in which the vector field
        is affine whatever the MLPs: a least-squares fit can set them directly."""
        return [parameter for net in self.nets.values() for parameter in net.linear_parameters()]

    def load_state_dict(self, state_dict, strict=True, assign=False):
        """Load a saved state, adopting the floating-point dtype of its parameters.

        A model trained in float64 (as :func:`scalars.dynamics.train` does) then restores
        exactly into a default-constructed float32 one, instead of being rounded to float32.
        Arguments as :meth:`torch.nn.Module.load_state_dict`.
        """
        dtypes = {state_dict[name].dtype for name, _ in self.named_parameters() if name in state_dict}
        if len(dtypes) == 1:
            self.to(dtypes.pop())
        return super().load_state_dict(state_dict, strict=strict, assign=assign)

    @torch.no_grad()
    def fit_scaling(self, z, *context):
        """Set the input scaling of every MLP from training states ``z`` (..., n) and their systems."""
        for name, net in self.nets.items():
            net.scaling.fit(self._features(name, z, *context))
        return self

    def rollout(self, z0, t, *context):
        """Trajectories from states ``z0`` (..., n) at times ``t`` (T,): shape (..., T, n).

        ``context`` describes the system of each trajectory: for the pendulum ``g``
        (..., 3) and ``params`` (..., 6).
        """
        return integrate(lambda z: self.vector_field(z, *context), z0, t, self.method, self.substeps)


class HamiltonianNetwork(_Dynamics):
    """Hamiltonian network of any System: H sums shared MLPs of the system's invariants.

    The dynamics are Hamilton's equations of the learned H, by autograd; H is exactly
    invariant under the system's group, so the vector field and the rollouts are exactly
    equivariant.

    Parameters
    ----------
    system : System
        With ``invariant_features(z, part, *context)``, a dict of invariant features
        (..., n_terms, k) per group of terms, for ``part`` ``"K"`` (momenta only), ``"U"``
        (positions only) or ``"H"``. The network of group ``name`` of part ``K`` is
        ``nets["K_name"]`` (``nets["K"]`` for the group ``""``).
    hidden, layers : int
        Width and number of hidden layers of each MLP.
    separable : bool
        ``H = K(p) + U(q)``; otherwise one H of the whole state.
    raw : bool
        Read the raw coordinates (the momenta for K, the positions for U, the state for H)
        and the call context instead of the invariants: the baseline, with no symmetry.
    method : str
        A key of :data:`~scalars.dynamics.INTEGRATORS`, or ``"leapfrog"``: the leapfrog of
        ``order``. The splitting methods (leapfrogs) need ``separable``.
    substeps : int
        Integrator steps between two output times.
    order : {2, 4}
        Order of the leapfrog scheme (4: Yoshida's composition of three leapfrog steps).
    dimensionless : bool
        Read the states and context in the units of each system (the system's hook
        ``dimensionless(z, *context)``) and give H back its units
        (``with_energy_units(energy, *context)``): units equivariance.
    modulated : bool
        For data from many systems: the coefficients of the linear part are combinations
        of monomials of the last ``system.n_positive_features`` features (positive system
        parameters), ``H = sum_k c_k(params) phi_k(invariants)`` plus the MLP.
    device : {"cpu", "cuda", "auto"} or torch.device, default="cpu"
        Where its parameters and buffers live (:func:`scalars.nn.resolve_device`).

    Examples
    --------
    >>> from scalars.dynamics import NBodySystem
    >>> system = NBodySystem([1.0, 2.0, 3.0])
    >>> model = HamiltonianNetwork(system).double()
    >>> z = torch.as_tensor(system.sample_initial_states(4, np.random.default_rng(0)))
    >>> model.vector_field(z).shape
    torch.Size([4, 18])
    """

    def __init__(
        self, system, hidden=64, layers=2, separable=True, raw=False, method="leapfrog", substeps=2, order=4,
        dimensionless=False, modulated=False, device="cpu",
    ):
        super().__init__()
        if not separable and (method == "leapfrog" or isinstance(INTEGRATORS.get(method), Splitting)):
            raise ValueError(f"the {method} integrator needs a separable Hamiltonian (separable=True)")
        _check_hooks(system, dimensionless, modulated)
        self.system, self.raw, self.dimensionless = system, raw, dimensionless
        self.separable, self.method, self.substeps, self.order = separable, method, substeps, order
        self.parts = ("K", "U") if separable else ("H",)
        probe = torch.ones(1, system.state_size, dtype=torch.float64)
        context = self._context(probe, ())
        sizes = {
            _net_name(part, group): x.shape[-1]
            for part in self.parts
            for group, x in self._groups(part, probe, context).items()
        }
        n_context = system.n_positive_features if modulated else 0
        self.nets = nn.ModuleDict({name: _MLP(n, 1, hidden, layers, n_context) for name, n in sizes.items()})
        self.to(resolve_device(device, "HamiltonianNetwork: device"))

    def _groups(self, part, z, context):
        """Feature groups (..., n_terms, k) of ``part`` of states ``z`` in systems ``context``."""
        if self.dimensionless:
            z, *context = self.system.dimensionless(z, *context)
        if not self.raw:
            return self.system.invariant_features(z, part, *context)
        half = z.shape[-1] // 2
        coordinates = {"K": z[..., half:], "U": z[..., :half], "H": z}[part]
        return {"": _raw_features(coordinates, context)[..., None, :]}

    def _features(self, name, z, *context):
        part, _, group = name.partition("_")
        return self._groups(part, z, self._context(z, context))[group]

    def _energy(self, part, z, *context):
        context = self._context(z, context)
        groups = self._groups(part, z, context)
        energy = sum(self.nets[_net_name(part, group)](x)[..., 0].sum(-1) for group, x in groups.items())
        return self.system.with_energy_units(energy, *context) if self.dimensionless else energy

    def hamiltonian(self, z, *context):
        """Learned Hamiltonian of states ``z`` (..., n), shape (...)."""
        if self.separable:
            half = z.shape[-1] // 2
            q, p = z[..., :half], z[..., half:]
            return self.kinetic(p, *context) + self.potential(q, *context)
        return self._energy("H", z, *context)

    def kinetic(self, p, *context):
        """Learned kinetic energy K(p) (...) of momenta p (..., n/2), separable models only."""
        return self._energy("K", torch.cat([torch.zeros_like(p), p], dim=-1), *context)

    def potential(self, q, *context):
        """Learned potential energy U(q) (...) of positions q (..., n/2), separable models only."""
        return self._energy("U", torch.cat([q, torch.zeros_like(q)], dim=-1), *context)

    def _gradient(self, energy, x, *context):
        # Training differentiates through the gradient; prediction only needs its value.
        create_graph = torch.is_grad_enabled()
        with torch.enable_grad():
            if not x.requires_grad:
                x = x.detach().requires_grad_(True)
            (grad,) = torch.autograd.grad(energy(x, *context).sum(), x, create_graph=create_graph)
        return grad

    def vector_field(self, z, *context):
        grad = self._gradient(self.hamiltonian, z, *context)
        half = z.shape[-1] // 2
        return torch.cat([grad[..., half:], -grad[..., :half]], dim=-1)

    def rollout(self, z0, t, *context):
        method = f"leapfrog{self.order}" if self.method == "leapfrog" else self.method
        if not isinstance(INTEGRATORS.get(method), Splitting):
            return integrate(lambda z: self.vector_field(z, *context), z0, t, method, self.substeps)
        field = SeparableField(
            lambda p: self._gradient(self.kinetic, p, *context), lambda q: -self._gradient(self.potential, q, *context)
        )
        return integrate(field, z0, t, method, self.substeps)


class ResidualHamiltonianNetwork(HamiltonianNetwork):
    """A residual pathway prior of Hamiltonians: ``H = H_equivariant + H_plain``, the plain one costly.

    Residual pathway priors (Finzi, Benton and Wilson, NeurIPS 2021) for Hamiltonian
    dynamics: the sum of an equivariant Hamiltonian network and a plain one (``raw=True``)
    with a Gaussian prior on each one's weights, ``prior_penalty()``, which
    :func:`scalars.dynamics.train` adds to the rollout loss. The plain network's prior is the
    tighter, so it takes up only what the symmetry of the other cannot explain (a wind the
    equivariant network does not see). Each network reads its own system's context, so the
    model is for one system (:func:`~scalars.dynamics.trajectory_data`).

    Parameters
    ----------
    equivariant, plain : HamiltonianNetwork
        Of the same separability; the integrator is ``equivariant``'s.
    equivariant_weight_decay, plain_weight_decay : float, default=1e-5, 1e-1
        ``lambda >= 0`` of each prior.
    device : {"cpu", "cuda", "auto"} or torch.device, default="cpu"
        Where its parameters and buffers live (:func:`scalars.nn.resolve_device`).

    Raises
    ------
    TypeError
        If either is not a HamiltonianNetwork.
    ValueError
        If their separability differs or a weight decay is negative.
    """

    def __init__(self, equivariant, plain, equivariant_weight_decay=1e-5, plain_weight_decay=1e-1, device="cpu"):
        nn.Module.__init__(self)
        for name, value in (("equivariant", equivariant), ("plain", plain)):
            if not isinstance(value, HamiltonianNetwork):
                raise TypeError(f"ResidualHamiltonianNetwork: {name} must be a HamiltonianNetwork, got {type(value).__name__}")
        if equivariant.separable != plain.separable:
            raise ValueError("ResidualHamiltonianNetwork: equivariant and plain must both be separable or both not")
        for name, value in (("equivariant_weight_decay", equivariant_weight_decay), ("plain_weight_decay", plain_weight_decay)):
            if not value >= 0:
                raise ValueError(f"ResidualHamiltonianNetwork: {name} must be >= 0, got {value!r}")
        self.equivariant, self.plain = equivariant, plain
        self.equivariant_weight_decay, self.plain_weight_decay = float(equivariant_weight_decay), float(plain_weight_decay)
        self.system, self.raw, self.dimensionless = equivariant.system, True, False  # raw: the sum is not equivariant
        self.separable, self.method, self.substeps, self.order = equivariant.separable, equivariant.method, equivariant.substeps, equivariant.order
        self.parts = equivariant.parts
        self.to(resolve_device(device, "ResidualHamiltonianNetwork: device"))

    def _energy(self, part, z, *context):
        return self.equivariant._energy(part, z, *context) + self.plain._energy(part, z, *context)

    def linear_parameters(self):
        return self.equivariant.linear_parameters() + self.plain.linear_parameters()

    def linear_prior(self):
        """The prior precision of each entry of ``linear_parameters()``, in their order: a tensor (n_linear,).

        :func:`scalars.dynamics.train`'s warm start takes, among the least-squares fits of the
        linear parameters, the one of least prior: what the equivariant path can fit is not
        put on the plain one.
        """
        def sizes(module):
            return sum(parameter.numel() for parameter in module.linear_parameters())

        equivariant, plain = sizes(self.equivariant), sizes(self.plain)
        return torch.cat([torch.full((equivariant,), self.equivariant_weight_decay, dtype=torch.float64),
                          torch.full((plain,), self.plain_weight_decay, dtype=torch.float64)])

    @torch.no_grad()
    def fit_scaling(self, z, *context):
        self.equivariant.fit_scaling(z, *context)
        self.plain.fit_scaling(z, *context)
        return self

    def prior_penalty(self):
        """``lambda_eq |theta_eq|^2 + lambda_plain |theta_plain|^2``, a scalar tensor."""
        def squares(module):
            return sum(parameter.square().sum() for parameter in module.parameters())

        return self.equivariant_weight_decay * squares(self.equivariant) + self.plain_weight_decay * squares(self.plain)


class NeuralODE(_Dynamics):
    """Neural ODE of any System, exactly equivariant: ``dz_ki = sum_m sum_b f_kb(x_im) v_imb``.

    The state is ``kinds`` blocks of ``n`` vectors (positions, momenta), ``dz_ki`` the time
    derivative of vector ``i`` of block ``k``; the system's ``vector_terms(z, *context)``
    gives, per vector ``i`` and term ``m``, invariant features ``x_im`` and equivariant
    vectors ``v_imb``; one MLP ``nets["F"]`` maps features to the ``kinds x b``
    coefficients.

    Parameters
    ----------
    system : System
        With ``vector_terms(z, *context)``: features (..., n, m, k) and vectors
        (..., n, m, b, d).
    hidden, layers : int
    method : str
        A key of :data:`~scalars.dynamics.INTEGRATORS` (``"rk4"``, ``"dopri5"``, ...).
    substeps : int
    raw : bool
        ``dz/dt = MLP(z, *context)`` of the raw coordinates: the baseline, with no symmetry.
    dimensionless : bool
        Read the states and context in the units of each system (the system's hook
        ``dimensionless(z, *context)``) and give the derivative its units
        (``with_field_units(field, *context)``).
    device : {"cpu", "cuda", "auto"} or torch.device, default="cpu"
        Where its parameters and buffers live (:func:`scalars.nn.resolve_device`).

    Examples
    --------
    >>> from scalars.dynamics import NBodySystem
    >>> system = NBodySystem([1.0, 2.0, 3.0])
    >>> model = NeuralODE(system).double()
    >>> z = torch.as_tensor(system.sample_initial_states(4, np.random.default_rng(0)))
    >>> model.vector_field(z).shape
    torch.Size([4, 18])
    """

    def __init__(
        self, system, hidden=64, layers=2, method="rk4", substeps=2, raw=False, dimensionless=False, device="cpu",
    ):
        super().__init__()
        _check_hooks(system, dimensionless, False)
        self.system, self.raw, self.dimensionless = system, raw, dimensionless
        self.method, self.substeps = method, substeps
        probe = torch.ones(1, system.state_size, dtype=torch.float64)
        features, vectors = self._terms(probe, self._context(probe, ()))
        if raw:
            n_out = system.state_size
        else:
            n, _, self.n_vectors, d = vectors.shape[-4:]
            self.kinds = system.state_size // (n * d)
            n_out = self.kinds * self.n_vectors
        self.nets = nn.ModuleDict({"F": _MLP(features.shape[-1], n_out, hidden, layers)})
        self.to(resolve_device(device, "NeuralODE: device"))

    def _terms(self, z, context):
        """Features (..., n, m, k) and vectors (..., n, m, b, d) of states ``z`` in systems
        ``context``; for ``raw`` the raw features (..., k) and None."""
        if self.dimensionless:
            z, *context = self.system.dimensionless(z, *context)
        if self.raw:
            return _raw_features(z, context), None
        return self.system.vector_terms(z, *context)

    def _features(self, name, z, *context):
        return self._terms(z, self._context(z, context))[0]

    def vector_field(self, z, *context):
        context = self._context(z, context)
        features, vectors = self._terms(z, context)
        if self.raw:
            field = self.nets["F"](features)
        else:
            coefficients = self.nets["F"](features).unflatten(-1, (self.kinds, self.n_vectors))  # (..., n, m, K, b)
            field = torch.einsum("...imkb,...imbd->...kid", coefficients, vectors).flatten(-3)
        return self.system.with_field_units(field, *context) if self.dimensionless else field


class ScalarHNN(HamiltonianNetwork):
    """Hamiltonian network of the pendulum whose energy is an MLP of O(3) invariants.

    :class:`HamiltonianNetwork` of :meth:`DoubleSpringPendulum.emlp
    <scalars.dynamics.DoubleSpringPendulum.emlp>` (its
    :meth:`~scalars.dynamics.System.invariant_features`), called with the
    systems of the states, ``vector_field(z, g, params)``: exactly O(3)-invariant.

    Parameters
    ----------
    hidden, layers : int
        Width and number of hidden layers of each MLP.
    separable : bool
        ``H = K(p) + U(q)``, K from the Gram matrix of ``(p1, p2, g)``, U from that of
        ``(q1, q2, q1 - q2, g)`` and the lengths ``|q1|, |q2|, |q1 - q2|``; otherwise one
        MLP of the Gram matrix of ``(q1, q2, q1 - q2, p1, p2, g)`` and the same lengths.
    dimensionless : bool
        Make inputs dimensionless and ``H`` an energy (units equivariance).
    modulated : bool
        For data from many systems: the coefficients of the linear part are combinations of
        monomials of the (positive) system parameters, ``H = sum_k c_k(params)
        phi_k(invariants)`` plus the MLP.
    method : str
        ``"leapfrog"`` (of ``order``) or a key of :data:`~scalars.dynamics.INTEGRATORS`;
        the leapfrogs need ``separable``.
    substeps : int
        Integrator steps between two output times.
    order : {2, 4}
        Order of the leapfrog scheme.
    device : {"cpu", "cuda", "auto"} or torch.device, default="cpu"
        Where its parameters and buffers live (:func:`scalars.nn.resolve_device`).
    """

    def __init__(
        self, hidden=64, layers=2, separable=True, dimensionless=False, modulated=False, method="leapfrog",
        substeps=2, order=4, device="cpu",
    ):
        super().__init__(
            DoubleSpringPendulum.emlp(), hidden, layers, separable, method=method, substeps=substeps, order=order,
            dimensionless=dimensionless, modulated=modulated,
            device=device,
        )


class MLPHNN(HamiltonianNetwork):
    """Hamiltonian network of the pendulum whose energy is an MLP of ``z, g, params`` (baseline).

    :class:`HamiltonianNetwork` with ``raw=True``; parameters as :class:`ScalarHNN`, but not
    separable by default and integrated with RK4, like the HNN baseline of the EMLP paper.
    """

    def __init__(self, hidden=128, layers=2, separable=False, method="rk4", substeps=2, order=4, device="cpu"):
        super().__init__(
            DoubleSpringPendulum.emlp(), hidden, layers, separable, raw=True, method=method, substeps=substeps,
            order=order,
            device=device,
        )


class ScalarNeuralODE(NeuralODE):
    """Neural ODE of the pendulum, exactly O(3)-equivariant: ``dz_i/dt = sum_s f_is(invariants) v_s``.

    :class:`NeuralODE` of :meth:`DoubleSpringPendulum.emlp
    <scalars.dynamics.DoubleSpringPendulum.emlp>`: the vectors ``v_s`` are
    ``q1, q2, p1, p2, g``; the 4 x 5 coefficients ``f_is`` come from one MLP of the Gram
    matrix of ``(q1, q2, q1 - q2, p1, p2, g)``, the lengths ``|q1|, |q2|, |q1 - q2|`` and
    their inverses, and the parameters
    (:meth:`~scalars.dynamics.System.vector_terms`).

    Parameters
    ----------
    hidden, layers : int
    dimensionless : bool
        Make inputs dimensionless and give each derivative its units.
    method : str
        ``"rk4"`` or another key of :data:`~scalars.dynamics.INTEGRATORS`.
    substeps : int
    device : {"cpu", "cuda", "auto"} or torch.device, default="cpu"
        Where its parameters and buffers live (:func:`scalars.nn.resolve_device`).
    """

    def __init__(self, hidden=64, layers=2, dimensionless=False, method="rk4", substeps=2, device="cpu"):
        super().__init__(
            DoubleSpringPendulum.emlp(), hidden, layers, method, substeps, dimensionless=dimensionless, device=device,
        )


class MLPNeuralODE(NeuralODE):
    """Neural ODE ``dz/dt = MLP(z, g, params)`` of the pendulum on raw coordinates (baseline):
    :class:`NeuralODE` with ``raw=True``."""

    def __init__(self, hidden=128, layers=2, method="rk4", substeps=2, device="cpu"):
        super().__init__(DoubleSpringPendulum.emlp(), hidden, layers, method, substeps, raw=True, device=device)
