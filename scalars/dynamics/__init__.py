"""Learning dynamics with exact symmetries: the springy double pendulum benchmark.

- :class:`DoubleSpringPendulum`: the simulator and its reference trajectories.
- :func:`pendulum_data`: seeded, cached training chunks and test trajectories.
- :class:`ScalarHNN`, :class:`ScalarNeuralODE`: O(3)-invariant Hamiltonian network and
  O(3)-equivariant neural ODE built from scalars; :class:`MLPHNN`, :class:`MLPNeuralODE`:
  baselines on raw coordinates.
- :func:`train`, :func:`evaluate`: rollout-loss training and test rollouts.
- :func:`rollout_error`, :func:`energy_drift`, :func:`angular_momentum_error`: metrics.
- :func:`leapfrog`, :func:`rk4`, :func:`integrate`: differentiable integrators.
- :func:`plot_rollouts`: predicted against true test trajectories.
- :class:`SparseHamiltonian`: a symbolic Hamiltonian found by sparse regression.
"""

from scalars.dynamics.data import PendulumData, cache_dir, pendulum_data, sample_initial_states
from scalars.dynamics.integrators import integrate, leapfrog, rk4
from scalars.dynamics.metrics import angular_momentum_error, energy_drift, geometric_mean, relative_error, rollout_error
from scalars.dynamics.models import MLPHNN, MLPNeuralODE, ScalarHNN, ScalarNeuralODE
from scalars.dynamics.pendulum import DoubleSpringPendulum
from scalars.dynamics.plotting import plot_rollouts
from scalars.dynamics.sparse import SparseHamiltonian
from scalars.dynamics.training import evaluate, predict, train

__all__ = [
    "DoubleSpringPendulum",
    "PendulumData",
    "pendulum_data",
    "cache_dir",
    "sample_initial_states",
    "leapfrog",
    "rk4",
    "integrate",
    "relative_error",
    "rollout_error",
    "geometric_mean",
    "energy_drift",
    "angular_momentum_error",
    "ScalarHNN",
    "ScalarNeuralODE",
    "MLPHNN",
    "MLPNeuralODE",
    "SparseHamiltonian",
    "train",
    "predict",
    "evaluate",
    "plot_rollouts",
]
