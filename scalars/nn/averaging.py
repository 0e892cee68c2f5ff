"""torch modules made invariant or equivariant by averaging over group elements.

>>> import torch
>>> from scalars.nn import FrameAveraging, mlp
>>> from scalars.testing import assert_equivariant
>>> net = FrameAveraging(mlp(15, 15).double(), "E(3)", "5P", output="5P")   # 5 points -> 5 points
>>> X = torch.randn(8, 15, dtype=torch.float64)
>>> assert_equivariant(net, X) < 1e-10      # the module carries its reps: rep_in, rep_out
True
"""

import numpy as np
from torch import nn

from scalars.averaging import FrameAverage, GroupAverage
from scalars.nn.devices import resolve_device
from scalars.reps import rep

__all__ = ["GroupAveraging", "FrameAveraging"]


def _reps(average):
    """``(rep_in, rep_out)`` of an average; an invariant output is one scalar column."""
    rep_out = average.output_rep if average.output_rep is not None else rep("T0", average.group)
    return average.input_rep, rep_out


class GroupAveraging(nn.Module):
    """``module`` averaged over a group: exact over finite factors, Monte Carlo otherwise.

    In training mode every call draws fresh Haar elements (a stochastic average, which
    also augments the data); in evaluation mode the draws come from ``seed``, the same on
    every call. See :class:`scalars.averaging.GroupAverage`.

    Parameters
    ----------
    module : nn.Module
        Maps rows (n_rows, n_features) to outputs (n_rows, ...) on whose columns the
        output representation acts.
    group : str or Group
    layout : str
        The input columns, e.g. ``"5T0+5P+5T1"``.
    output : str, default="T0"
    n_samples : int, default=16
        Haar draws of the continuous factors per call; may be changed between training
        and evaluation.
    seed : int, default=0
    device : {"cpu", "cuda", "auto"} or torch.device, default="cpu"
        Where its parameters and buffers live (:func:`scalars.nn.resolve_device`).

    Attributes
    ----------
    average : scalars.averaging.GroupAverage
    """

    def __init__(self, module, group, layout, output="T0", n_samples=16, seed=0, device="cpu"):
        super().__init__()
        self.module = module
        self.average = GroupAverage(group, layout, output, n_samples)
        self.rep_in, self.rep_out = _reps(self.average)
        self.seed = seed
        self._rng = np.random.default_rng(seed)
        self.to(resolve_device(device, "GroupAveraging: device"))

    @property
    def n_samples(self):
        return self.average.n_samples

    @n_samples.setter
    def n_samples(self, value):
        self.average.n_samples = value

    def forward(self, X):
        """The average of ``module`` at each row of ``X`` (n, n_features): shape (n, ...)."""
        self.average.random_state = self._rng if self.training else self.seed
        return self.average(self.module, X)


class FrameAveraging(nn.Module):
    """``module`` made exactly invariant or equivariant by frame averaging.

    See :class:`scalars.averaging.FrameAverage` for the frames (PCA axes with their signs
    for O(d), SO(d), E(d), SE(d); sorted particles for ``S(k) x G``; spectral frames for
    graphs, ``FrameAveraging(module, "S(k)", "T2")`` on flat adjacency matrices) and their
    handling of symmetric inputs. The frame is computed from the inputs without gradient; the
    average is differentiable in the module's parameters and in the inputs through the
    transformed rows.

    Parameters
    ----------
    module : nn.Module
        Maps rows (n_rows, n_features) to outputs (n_rows, ...).
    group : str or Group
    layout : str
    output : str, default="T0"
    canonical : bool, default=False
        One element per generic input instead of every sign choice; for graphs (layout
        ``"T2"``), the canonical-labelling frame instead of the spectral one.
    tol : float, default=1e-5
    device : {"cpu", "cuda", "auto"} or torch.device, default="cpu"
        Where its parameters and buffers live (:func:`scalars.nn.resolve_device`).

    Attributes
    ----------
    average : scalars.averaging.FrameAverage
    """

    def __init__(self, module, group, layout, output="T0", canonical=False, tol=1e-5, device="cpu"):
        super().__init__()
        self.module = module
        self.average = FrameAverage(group, layout, output, canonical=canonical, tol=tol)
        self.rep_in, self.rep_out = _reps(self.average)
        self.to(resolve_device(device, "FrameAveraging: device"))

    def forward(self, X):
        """The frame average of ``module`` at each row of ``X`` (n, n_features): shape (n, ...)."""
        return self.average(self.module, X)
