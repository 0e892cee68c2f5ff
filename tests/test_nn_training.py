from types import SimpleNamespace

import pytest
import torch

from scalars.nn import InvariantMLP, fit, mlp, training
from scalars.nn.training import initialize


def _problem(n_samples=200):
    X = torch.randn(n_samples, 6, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    return X, (X[:, :3] * X[:, 3:]).sum(1)  # <v0, v1> in O(3)


def _mse(net, X, y):
    with torch.no_grad():
        return torch.nn.functional.mse_loss(net(X), y).item()


def test_fit_learns():
    X, y = _problem(100)
    head = InvariantMLP("O(3)", "2T1", hidden=(16, 16)).double().fit_statistics(X, y)
    before = _mse(head, X, y)
    fit(head, X, y, max_epochs=100, seed=0, progress=False)
    assert _mse(head, X, y) < 0.05 * before


def test_early_stopping_restores_the_weights_of_the_best_validation_loss():
    X, y = _problem(100)
    head = InvariantMLP("O(3)", "2T1", hidden=(16, 16)).double().fit_statistics(X, y)
    history = fit(head, X, y, max_epochs=500, learning_rate=0.05, patience=5, validation_fraction=0.5, seed=0,
                  progress=False)
    assert len(history.validation_loss) == history.best_epoch + 6 < 500  # stopped `patience` epochs after the best
    validation = torch.randperm(100, generator=torch.Generator().manual_seed(0))[:50]  # the split of seed 0
    assert _mse(head, X[validation], y[validation]) == pytest.approx(min(history.validation_loss), rel=1e-12)


def test_without_a_validation_split_every_epoch_runs_and_the_final_weights_are_kept():
    X, y = _problem(50)
    net = mlp(6, 1, (8,)).double()
    history = fit(net, X, y[:, None], max_epochs=7, validation_fraction=0, seed=0, progress=False)
    assert history.validation_loss == [] and len(history.train_loss) == 7 and history.best_epoch == 6
    single = fit(mlp(6, 1).double(), X[:1], y[:1, None], max_epochs=3, seed=0, progress=False)
    assert single.validation_loss == [] and len(single.train_loss) == 3


def test_a_diverging_loss_is_an_error():
    X, y = _problem(50)
    with pytest.raises(FloatingPointError, match=r"training loss is (inf|nan) after \d+ Adam steps; lower the learning rate"):
        fit(mlp(6, 1, (4,)).double(), X, y[:, None], learning_rate=1e100, seed=0, progress=False)


@pytest.mark.parametrize("where, message", [("X", "X contains NaN or infinity"), ("y", "y contains NaN or infinity")])
def test_data_with_nan_or_inf_is_named(where, message):
    X, y = _problem(50)
    X, y = X.clone(), y[:, None].clone()
    (X if where == "X" else y)[3, 0] = float("nan") if where == "y" else float("inf")
    with pytest.raises(ValueError, match=message):
        fit(mlp(6, 1, (4,)).double(), X, y, max_epochs=3, seed=0, progress=False)


def test_several_inputs_are_named_by_position():
    X, y = _problem(20)
    bad = X.clone()
    bad[0, 0] = float("nan")
    with pytest.raises(ValueError, match=r"X\[1\] contains NaN"):
        fit(mlp(6, 1, (4,)).double(), (X, bad), y[:, None], seed=0, progress=False)
    with pytest.raises(ValueError, match=r"X\[1\] has 19 samples but y has 20"):
        fit(mlp(6, 1, (4,)).double(), (X, X[1:]), y[:, None], seed=0, progress=False)


@pytest.mark.parametrize("name, value", [("batch_size", 0), ("validation_fraction", 1.0), ("polish", 1.5),
                                         ("learning_rate", -1.0), ("time_limit", -1.0)])
def test_bad_settings_are_rejected_by_name(name, value):
    X, y = _problem(20)
    with pytest.raises(ValueError, match=f"'{name}' parameter of fit"):
        fit(mlp(6, 1).double(), X, y[:, None], progress=False, **{name: value})


def test_the_seed_covers_initialisation_split_and_order():
    X, y = _problem(64)
    results = []
    for global_seed in (1, 2):  # the weights the model was built with do not matter
        torch.manual_seed(global_seed)
        net = mlp(6, 1, (8,)).double()
        fit(net, X, y[:, None], max_epochs=5, batch_size=16, seed=7, progress=False)
        results.append(net(X))
    torch.testing.assert_close(results[0], results[1], rtol=0, atol=0)
    net = mlp(6, 1).double()
    torch.manual_seed(0)
    expected = torch.rand(1)
    torch.manual_seed(0)
    fit(net, X, y[:, None], max_epochs=2, seed=7, progress=False)
    assert torch.rand(1) == expected  # the caller's generator is left alone


def test_without_a_seed_training_follows_the_global_generator():
    X, y = _problem(64)
    results = []
    for _ in range(2):
        torch.manual_seed(5)
        net = mlp(6, 1, (8,)).double()
        fit(net, X, y[:, None], max_epochs=3, batch_size=16, progress=False)
        results.append(net(X))
    torch.testing.assert_close(results[0], results[1], rtol=0, atol=0)


def test_initialize_draws_the_weights_of_a_model_built_under_the_seed():
    torch.manual_seed(3)
    built = mlp(6, 2, (8, 8))
    drawn = mlp(6, 2, (8, 8))
    initialize(drawn, 3)
    for a, b in zip(built.parameters(), drawn.parameters()):
        torch.testing.assert_close(a, b, rtol=0, atol=0)


def test_warm_start_trains_from_the_given_weights():
    X, y = _problem(32)
    net = mlp(6, 1, (8,)).double()
    with torch.no_grad():
        for parameter in net.parameters():
            parameter.fill_(0.1)
    fit(net, X, y[:, None], max_epochs=0, warm_start=True, seed=0, progress=False)
    assert all(torch.all(p == 0.1) for p in net.parameters())
    fit(net, X, y[:, None], max_epochs=0, seed=0, progress=False)
    assert not any(torch.all(p == 0.1) for p in net.parameters())


def test_parameter_groups_set_each_peak_learning_rate():
    X, y = _problem(32)
    net = mlp(6, 1, (8,)).double()
    frozen, trained = list(net[0].parameters()), list(net[2].parameters())
    fit(net, X, y[:, None], max_epochs=0, seed=0, progress=False)  # draw the weights, then copy them
    start = [p.detach().clone() for p in net.parameters()]
    groups = [{"params": frozen, "lr": 0.0}, {"params": trained}]
    fit(net, X, y[:, None], max_epochs=5, parameter_groups=groups, warm_start=True, seed=0, progress=False)
    assert all(torch.equal(p, s) for p, s in zip(frozen, start[:2]))
    assert not any(torch.equal(p, s) for p, s in zip(trained, start[2:]))
    with pytest.raises(ValueError, match="every parameter of the model exactly once"):
        fit(net, X, y[:, None], parameter_groups=[{"params": frozen}], seed=0, progress=False)


def test_lbfgs_polish_keeps_its_best_evaluation_and_beats_adam_alone():
    X, y = _problem(100)
    losses = {}
    for polish in (0.0, 0.5):
        net = mlp(6, 1, (16,)).double()
        history = fit(net, X, y[:, None], max_epochs=60, validation_fraction=0, polish=polish, seed=0, progress=False)
        losses[polish] = _mse(net, X, y[:, None])
    assert history.steps == 30 and history.evaluations > 0  # one step per epoch, half the budget
    assert history.polish_loss == sorted(history.polish_loss, reverse=True)
    assert losses[0.5] == pytest.approx(history.polish_loss[-1], rel=1e-12)
    assert losses[0.5] < 0.5 * losses[0.0]


def test_warmup_and_cosine_schedule():
    from scalars.nn.training import _schedule

    assert _schedule(0.0, 0.0, 0.01) == 1.0 and _schedule(1.0, 0.0, 0.01) == pytest.approx(0.01)
    assert _schedule(0.5, 0.0, 0.0) == pytest.approx(0.5)
    assert _schedule(0.049, 0.1, 0.0) == pytest.approx(0.5, rel=1e-2)  # half way up the ramp
    assert _schedule(0.1, 0.1, 0.0) == pytest.approx(0.5 * (1 + torch.cos(torch.tensor(0.1 * torch.pi)).item()))


@pytest.mark.parametrize("limit", [5, 12])
def test_a_time_budget_stops_training(limit, monkeypatch):
    """The budget is read from the clock: one that ticks a second per training step stops at ``limit`` steps."""
    X, y = _problem(200)
    net = mlp(6, 1, (16,)).double()
    ticks = []
    net.register_forward_hook(lambda module, inputs, output: ticks.append(1) if module.training else None)
    monkeypatch.setattr(training, "time", SimpleNamespace(perf_counter=lambda: float(len(ticks))))
    history = fit(net, X, y[:, None], max_epochs=10**6, time_limit=limit, patience=10**6, seed=0, progress=False)
    # 180 training samples, one batch: one step per epoch, each step one second of the fake clock
    assert history.steps == len(history.train_loss) == limit and history.seconds == limit


def test_a_time_budget_stops_the_polish_inside_an_lbfgs_step(monkeypatch):
    """A clock that ticks a second per forward pass: an L-BFGS step (up to 5 iterations, each with
    a line search) would run far past the budget; it stops at the first evaluation after it."""
    X, y = _problem(200)
    net = mlp(6, 1, (16,)).double()
    ticks = []
    net.register_forward_hook(lambda module, inputs, output: ticks.append(1) if module.training else None)
    monkeypatch.setattr(training, "time", SimpleNamespace(perf_counter=lambda: float(len(ticks))))
    history = fit(net, X, y[:, None], max_epochs=10**6, time_limit=10, polish=0.5, validation_fraction=0,
                  seed=0, progress=False)
    # Adam for 5 ticks, then one forward pass per L-BFGS evaluation until the clock reads 10
    assert history.steps == 5 and history.evaluations == 5 and history.seconds == 10
    assert history.polish_loss and history.polish_loss[-1] <= min(history.train_loss)
