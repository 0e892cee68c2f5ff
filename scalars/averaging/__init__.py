"""Group averaging, frame averaging and canonicalisation around any function.

``<Phi>(x) = sum_h w_h rho_out(h) Phi(rho_in(h)^-1 x)`` makes any ``Phi`` (a scikit-learn
``predict``, a torch module, a plain function) invariant or equivariant:

- :class:`GroupAverage`: over every element of a finite group, Monte Carlo over Haar
  draws of compact continuous groups (equivariant in expectation, with :meth:`spread`);
- :class:`FrameAverage`: over a small equivariant frame per sample (PCA axes with their
  signs for O(d), SO(d), E(d), SE(d); sorted particles for S(k); nodes sorted by Laplacian
  eigenvector keys for graphs, S(k) on symmetric matrices, layout ``"T2"``), exactly equivariant,
  symmetric inputs included; ``canonical=True`` and :meth:`FrameAverage.canonicalize`
  give one element per generic input.

>>> import numpy as np
>>> from scalars.averaging import FrameAverage
>>> from scalars.testing import assert_equivariant
>>> X = np.random.default_rng(0).standard_normal((20, 15))          # 5 points in 3-D
>>> average = FrameAverage("E(3)", "5P", output="T1")
>>> first_point = lambda X: X[:, :3] ** 3                            # not equivariant
>>> assert_equivariant(lambda X: average(first_point, X), "E(3)", X, layout="5P", output="T1") < 1e-10
True

The estimators :class:`GroupAveragedRegressor` and :class:`FrameAveragedRegressor` wrap
any scikit-learn regressor; :mod:`scalars.nn` has the torch modules.
"""

from scalars.averaging.action import act
from scalars.averaging.averages import DegenerateFrameWarning, Frame, FrameAverage, GroupAverage
from scalars.averaging.estimators import FrameAveragedRegressor, GroupAveragedRegressor

__all__ = [
    "GroupAverage",
    "FrameAverage",
    "Frame",
    "DegenerateFrameWarning",
    "GroupAveragedRegressor",
    "FrameAveragedRegressor",
    "act",
]
