"""``--quick`` hands each slow benchmark its small configuration, and the full run its defaults.

No benchmark runs here: the first expensive call of each ``main`` is replaced by one that
records its arguments and stops the run.
"""

import pytest

from scalars.bench import nbody, nbody_hnn, pendulum, regression


class Stop(Exception):
    pass


def _recorder(calls):
    def record(*args, **kwargs):
        calls.append((args, kwargs))
        raise Stop

    return record


def _first_call(monkeypatch, module, name, argv):
    """The arguments of ``module.name``'s first call by ``module.main(argv)``."""
    calls = []
    monkeypatch.setattr(module, name, _recorder(calls))
    with pytest.raises(Stop):
        module.main(argv)
    return calls[0]


@pytest.mark.parametrize("quick", [False, True])
def test_nbody_trains_on_fewer_trajectories_and_fits_the_force_law_in_fewer_iterations_when_quick(
        monkeypatch, tmp_path, quick):
    (epochs, *_), kwargs = _first_call(monkeypatch, nbody, "run", ["--quick"] * quick + ["--out", str(tmp_path)])
    if quick:
        assert epochs == 4 and sum(kwargs["sizes"]) <= 1500 and kwargs["force_law_iterations"] <= 5
    else:  # the README's protocol: 3000, 2000 and 2000 trajectories, 15 iterations of the force law
        assert epochs == 100 and kwargs["sizes"] is None and kwargs["force_law_iterations"] == nbody.FORCE_LAW_ITERATIONS
        assert nbody._sizes(None) == (3000, 2000, 2000) and nbody.FORCE_LAW_ITERATIONS == 15


@pytest.mark.parametrize("quick", [False, True])
def test_regression_trains_both_mlps_briefly_when_quick(monkeypatch, tmp_path, quick):
    args, kwargs = _first_call(monkeypatch, regression, "run", ["--quick"] * quick + ["--out", str(tmp_path)])
    if quick:
        assert args == (regression.QUICK_SIZES,) and max(regression.QUICK_SIZES) <= 100
        assert kwargs["seeds"] == (0,) and kwargs["mlp_epochs"] == regression.QUICK_MLP_EPOCHS <= 100
    else:
        assert kwargs["sizes"] == regression.SIZES and "mlp_epochs" not in kwargs


@pytest.mark.parametrize("quick", [False, True])
def test_pendulum_gives_each_model_a_short_budget_when_quick(monkeypatch, tmp_path, quick):
    made = []
    monkeypatch.setattr(pendulum, "pendulum_data", lambda *args, **kwargs: made.append(args) or "data")
    args, _ = _first_call(monkeypatch, pendulum, "fit_and_score", ["--quick"] * quick + ["--out", str(tmp_path)])
    assert made == [(500, 20 if quick else 200)] and args[3] == (20.0 if quick else 300.0)


@pytest.mark.parametrize("quick", [False, True])
def test_nbody_hnn_draws_fewer_chunks_and_test_trajectories_when_quick(monkeypatch, quick):
    args, _ = _first_call(monkeypatch, nbody_hnn, "trajectory_data", ["--quick"] * quick)
    assert args[1:3] == ((50, 3) if quick else (500, 20))
