"""Figures of benchmark results: test error against training size."""

__all__ = ["plot_learning_curves"]


def plot_learning_curves(results, reference=None):
    """Log-log test MSE against training size, one panel per task.

    Each model is drawn as the median over seeds with the range shaded; reference
    results (published ones, say) are drawn dashed.

    Parameters
    ----------
    results : pandas.DataFrame or list of dict
        One row per fit, with columns ``task``, ``model``, ``n_train`` and ``mse`` (and
        any others, such as ``seed``).
    reference : dict, default=None
        ``{task: {label: {n_train: mse}}}``: curves drawn beside the models of each task.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> from scalars.plotting import plot_learning_curves
    >>> rows = [dict(task="O5Synthetic", model="ridge", n_train=n, seed=0, mse=1 / n) for n in (30, 100, 300)]
    >>> figure = plot_learning_curves(rows, reference={"O5Synthetic": {"EMLP": {30: 0.15, 300: 0.034}}})
    >>> [axis.get_title() for axis in figure.axes]
    ['O5Synthetic']
    """
    import matplotlib.pyplot as plt
    import pandas as pd

    results = pd.DataFrame(results)
    reference = reference or {}
    tasks = list(results.task.unique())
    fig, axes = plt.subplots(1, len(tasks), figsize=(4.5 * len(tasks), 3.8), squeeze=False)
    for ax, task in zip(axes[0], tasks):
        for label, curve in reference.get(task, {}).items():
            ax.plot(list(curve), list(curve.values()), "--", marker=".", label=label)
        for model, group in results[results.task == task].groupby("model", sort=False):
            stats = group.groupby("n_train").mse.agg(["median", "min", "max"])
            (line,) = ax.plot(stats.index, stats["median"], marker="o", label=model)
            ax.fill_between(stats.index, stats["min"], stats["max"], color=line.get_color(), alpha=0.25)
        ax.set(xscale="log", yscale="log", title=task, xlabel="training samples", ylabel="test MSE")
        ax.grid(True, which="major", alpha=0.3)
    axes[0][0].legend(fontsize=7)
    fig.tight_layout()
    return fig
