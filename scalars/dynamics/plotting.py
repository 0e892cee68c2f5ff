"""Figures of learned dynamics: predicted against true test trajectories."""

import numpy as np

from scalars.dynamics.metrics import geometric_mean, relative_error
from scalars.dynamics.pendulum import DoubleSpringPendulum

__all__ = ["plot_rollouts"]


def plot_rollouts(data, predictions, trajectory=0):
    """Three panels: the height of the lower bob, the relative state error over time (log
    axis, geometric mean over the test set) and the true energy along the trajectory.

    Parameters
    ----------
    data : PendulumData
        The test trajectories (``data.test``, ``data.t``) and their systems.
    predictions : dict
        Model name -> predicted test trajectories of shape (n_test, T, 12), such as the
        ``"prediction"`` of :func:`scalars.dynamics.evaluate`.
    trajectory : int, default=0
        Test trajectory of the left and right panels.

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt

    system = DoubleSpringPendulum(*data.test_params[trajectory], g=data.test_g[trajectory])
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.2))
    axes[0].plot(data.t, data.test[trajectory, :, 5], color="black", lw=2.5, label="truth")
    axes[2].plot(data.t, system.energy(data.test[trajectory]), color="black", lw=2.5, label="truth")
    for index, (name, prediction) in enumerate(predictions.items()):
        color = f"C{index}"
        prediction = np.asarray(prediction)
        axes[0].plot(data.t, prediction[trajectory, :, 5], "--", color=color, label=name)
        typical = geometric_mean(relative_error(prediction, data.test), axis=0)  # (T,)
        axes[1].semilogy(data.t[1:], typical[1:], color=color, label=name)
        axes[2].plot(data.t, system.energy(prediction[trajectory]), "--", color=color, label=name)
    axes[0].set(title="height of the lower bob", xlabel="time", ylabel="$z_2$")
    axes[1].set(title="relative state error (geometric mean over test set)", xlabel="time", ylabel="error")
    axes[2].set(title="true energy along the trajectory", xlabel="time", ylabel="H")
    for axis in axes:
        axis.legend(loc="best", fontsize=8)
    fig.tight_layout()
    return fig
