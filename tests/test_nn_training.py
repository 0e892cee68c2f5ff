import torch

import pytest

from scalars.nn import InvariantMLP, fit, mlp


def _problem(n_samples=200):
    X = torch.randn(n_samples, 6, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    return X, (X[:, :3] * X[:, 3:]).sum(1)  # <v0, v1> in O(3)


def test_fit_learns_and_restores_best_weights():
    X, y = _problem(100)
    torch.manual_seed(0)
    head = InvariantMLP("O(3)", "2T1", hidden=(16, 16)).double().fit_statistics(X, y)
    before = ((head(X) - y) ** 2).mean().item()
    history = fit(head, X, y, max_epochs=100, seed=0, progress=False)
    after = ((head(X) - y) ** 2).mean().item()
    assert after < 0.05 * before


def test_the_best_weights_are_restored():
    X, y = _problem(100)
    torch.manual_seed(0)
    head = InvariantMLP("O(3)", "2T1", hidden=(16, 16)).double().fit_statistics(X, y)
    # early stopping ends training `patience` epochs after the best one
    history = fit(head, X, y, max_epochs=500, learning_rate=0.05, patience=5, validation_fraction=0, seed=0, progress=False)
    assert history.best_epoch < len(history.validation_loss) - 1
    final = torch.nn.functional.mse_loss(head(X), y).item()
    assert final == pytest.approx(min(history.validation_loss), rel=1e-12)


def test_a_diverging_loss_is_an_error():
    X, y = _problem(50)
    y = y.clone()
    y[0] = float("nan")
    with pytest.raises(FloatingPointError, match="training loss is nan"):
        fit(mlp(6, 1, (4,)).double(), X, y[:, None], max_epochs=3, seed=0, progress=False)


def test_early_stopping_after_patience():
    X, y = _problem(50)
    torch.manual_seed(0)
    net = mlp(6, 1, (4,)).double()
    history = fit(net, X, torch.randn(50, 1, dtype=torch.float64), max_epochs=500, learning_rate=0.3, patience=5, seed=0, progress=False)
    assert len(history.train_loss) == history.best_epoch + 6 < 500


def test_seed_makes_training_reproducible():
    X, y = _problem(64)
    results = []
    for _ in range(2):
        torch.manual_seed(1)
        net = mlp(6, 1, (8,)).double()
        fit(net, X, y[:, None], max_epochs=5, batch_size=16, seed=7, progress=False)
        results.append(net(X))
    torch.testing.assert_close(results[0], results[1], rtol=0, atol=0)


def test_single_sample_trains_without_validation_split():
    X, y = _problem(1)
    history = fit(mlp(6, 1).double(), X, y[:, None], max_epochs=3, seed=0, progress=False)
    assert len(history.validation_loss) == 3
