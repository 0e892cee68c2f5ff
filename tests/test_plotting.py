import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

from scalars.dynamics import pendulum_data, plot_rollouts  # noqa: E402
from scalars.plotting import plot_learning_curves  # noqa: E402


def test_learning_curves_one_panel_per_task_with_medians_ranges_and_references():
    rows = [dict(task=task, model=model, n_train=n, seed=seed, mse=(1 + seed) / n)
            for task in ("A", "B") for model in ("ridge", "MLP") for n in (10, 100) for seed in range(3)]
    figure = plot_learning_curves(rows, reference={"A": {"published": {10: 0.5, 100: 0.05}}})
    first, second = figure.axes
    assert [first.get_title(), second.get_title()] == ["A", "B"]
    assert first.get_xscale() == first.get_yscale() == "log"
    lines = {line.get_label(): line for line in first.get_lines()}
    assert set(lines) == {"published", "ridge", "MLP"} and len(second.get_lines()) == 2
    np.testing.assert_allclose(lines["ridge"].get_ydata(), [2 / 10, 2 / 100])  # the median of seeds 0, 1, 2
    assert lines["published"].get_linestyle() == "--"
    assert len(first.collections) == 2  # a min-max band per model


def test_rollout_figure_shows_truth_and_each_model(tmp_path, monkeypatch):
    monkeypatch.setenv("SCALARS_CACHE", str(tmp_path))
    data = pendulum_data(2, 3, duration=2.0, seed=0)
    near = data.test * (1 + 1e-3)
    figure = plot_rollouts(data, {"good": near, "bad": data.test[:, :1].repeat(data.test.shape[1], axis=1)})
    height, error, energy = figure.axes
    assert [line.get_label() for line in height.get_lines()] == ["truth", "good", "bad"]
    np.testing.assert_allclose(height.get_lines()[0].get_ydata(), data.test[0, :, 5])
    good, bad = (line.get_ydata() for line in error.get_lines())
    assert error.get_yscale() == "log" and np.all(good < bad[1:].min())
    assert len(energy.get_lines()) == 3
