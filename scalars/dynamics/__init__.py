"""Learning dynamics with exact symmetries: physical systems, data, models, metrics.

- :class:`System`: the interface of a system (state layout and group, parameters with
  units, Hamiltonian, checked reference trajectories); :class:`DoubleSpringPendulum`,
  :class:`NBodySystem` (gravity or Coulomb, S(n) x E(3)) and
  :class:`ChargedParticleInMagneticField` are systems; :class:`WindyDoubleSpringPendulum` is
  the pendulum in a constant wind, whose direction its models take as a context vector.
- :func:`trajectory_data`: seeded, checksummed, cached training chunks and test
  trajectories of any system; :func:`pendulum_data`: the pendulum's protocols.
- :class:`HamiltonianNetwork`, :class:`NeuralODE`: an invariant Hamiltonian network and an
  equivariant neural ODE of any System that lists its invariants (n bodies: S(n) x E(3);
  the pendulum: O(3)), called with the system's context (``vector_field(z, *context)``);
  ``raw=True`` gives the baselines on raw coordinates, ``dimensionless=True`` units
  equivariance.
- :class:`ScalarHNN`, :class:`ScalarNeuralODE`, :class:`MLPHNN`, :class:`MLPNeuralODE`:
  the two for the pendulum, on its O(3) invariants or on raw coordinates, called with
  ``(z, g, params)``.
- :func:`train`, :func:`evaluate`: rollout-loss training and test rollouts.
- :func:`rollout_error`, :func:`energy_drift`, :func:`angular_momentum_error`: metrics.
- :func:`integrate`, :func:`integrate_separable`: every integrator of the package by name
  from :data:`INTEGRATORS` (symplectic splittings, RK4, torchdiffeq's adaptive methods);
  :func:`leapfrog`, :func:`rk4` by their own names.
- :func:`plot_rollouts`: predicted against true test trajectories.
- :class:`PairForceLaw`: a central pair-force law of charged particles, a few
  coefficients fitted through the integrator.
- :class:`LearnedPairForce`: a learned pair force of charged particles, integrated by a
  few kick-drift steps inside the network.
- :class:`HybridPairForce`: a fitted :class:`PairForceLaw` plus a learned residual force.
- :class:`PDELawFinder`: invariant, units-consistent PDE laws of fields on a periodic
  grid (weak-form sparse regression with saturating terms), printed with sympy.
- :class:`FieldStepper`: a learned time-stepper of fields on a periodic grid (an
  equivariant or a plain CNN in residual form, trained on short windows, rolled out).
- :class:`SparseHamiltonian`: a symbolic Hamiltonian found by sparse regression, of the
  pendulum or of any System that lists its invariants (sums over particles and pairs).
"""

from scalars.dynamics.data import PendulumData, TrajectoryData, cache_dir, pendulum_data, sample_initial_states, trajectory_data
from scalars.dynamics.field_stepper import FieldStepper
from scalars.dynamics.force_law import PairForceLaw
from scalars.dynamics.learned_force import LearnedPairForce
from scalars.dynamics.hybrid_force import HybridPairForce
from scalars.dynamics.integrators import INTEGRATORS, SeparableField, integrate, integrate_separable, leapfrog, rk4
from scalars.dynamics.magnetic import ChargedParticleInMagneticField
from scalars.dynamics.metrics import angular_momentum_error, energy_drift, geometric_mean, relative_error, rollout_error
from scalars.dynamics.models import MLPHNN, HamiltonianNetwork, MLPNeuralODE, NeuralODE, ResidualHamiltonianNetwork, ScalarHNN, ScalarNeuralODE
from scalars.dynamics.nbody import NBodySystem
from scalars.dynamics.pde_laws import PDELawFinder
from scalars.dynamics.pendulum import DoubleSpringPendulum
from scalars.dynamics.windy_pendulum import WindyDoubleSpringPendulum
from scalars.dynamics.rietkerk import RIETKERK_PARAMETERS, Rietkerk, rietkerk_registry
from scalars.dynamics.plotting import plot_rollouts
from scalars.dynamics.sparse import SparseHamiltonian
from scalars.dynamics.system import System
from scalars.dynamics.training import evaluate, predict, train

__all__ = [
    "System",
    "DoubleSpringPendulum",
    "WindyDoubleSpringPendulum",
    "NBodySystem",
    "ChargedParticleInMagneticField",
    "Rietkerk",
    "PDELawFinder",
    "FieldStepper",
    "RIETKERK_PARAMETERS",
    "rietkerk_registry",
    "PendulumData",
    "TrajectoryData",
    "pendulum_data",
    "trajectory_data",
    "cache_dir",
    "sample_initial_states",
    "leapfrog",
    "rk4",
    "integrate",
    "integrate_separable",
    "SeparableField",
    "INTEGRATORS",
    "relative_error",
    "rollout_error",
    "geometric_mean",
    "energy_drift",
    "angular_momentum_error",
    "HamiltonianNetwork",
    "ResidualHamiltonianNetwork",
    "NeuralODE",
    "ScalarHNN",
    "ScalarNeuralODE",
    "MLPHNN",
    "MLPNeuralODE",
    "PairForceLaw",
    "LearnedPairForce",
    "HybridPairForce",
    "SparseHamiltonian",
    "train",
    "predict",
    "evaluate",
    "plot_rollouts",
]
