"""One small training loop: Adam, cosine learning-rate decay, early stopping, a seed."""

import copy
from dataclasses import dataclass, field

import torch
from tqdm.auto import tqdm

__all__ = ["fit", "History"]


@dataclass
class History:
    """Losses per epoch and the epoch whose weights were kept."""

    train_loss: list = field(default_factory=list)
    validation_loss: list = field(default_factory=list)
    best_epoch: int = 0


def _mse(prediction, target):
    return (prediction - target).abs().pow(2).mean()


def descend(optimizer, loss, when):
    """One gradient step on ``loss`` (a scalar tensor); returns its value.

    Raises
    ------
    FloatingPointError
        If the loss is NaN or infinite; ``when`` says where in training, for the message.
    """
    if not torch.isfinite(loss):
        raise FloatingPointError(f"the training loss is {loss.item()} {when}; lower the learning rate")
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return loss.item()


def _split(n_samples, validation_fraction, generator):
    """Shuffled training and validation indices; no validation set when it would be empty."""
    order = torch.randperm(n_samples, generator=generator)
    n_validation = int(n_samples * validation_fraction)
    if n_validation < 1 or n_validation >= n_samples:
        return order, None
    return order[n_validation:], order[:n_validation]


def fit(
    model,
    X,
    y,
    loss=_mse,
    max_epochs=200,
    batch_size=256,
    learning_rate=3e-3,
    weight_decay=0.0,
    validation_fraction=0.1,
    patience=30,
    seed=None,
    progress=True,
):
    """Train ``model`` so that ``loss(model(X), y)`` is small; keep the best weights.

    Adam with a learning rate decaying along a cosine to 1% over ``max_epochs``; after each
    epoch the loss on a held-out validation split (or on the training data when the split
    would be empty) decides the best weights, which are restored at the end. Training stops
    early after ``patience`` epochs without improvement.

    Parameters
    ----------
    model : nn.Module
    X : tensor of shape (n_samples, ...)
    y : tensor of shape (n_samples, ...)
    loss : callable, default=mean squared error
        ``loss(prediction, target) -> scalar tensor``.
    max_epochs, batch_size : int
    learning_rate, weight_decay : float
    validation_fraction : float, default=0.1
    patience : int, default=30
    seed : int, default=None
        Seeds the split and the batch order.
    progress : bool, default=True
        Show a tqdm progress bar.

    Returns
    -------
    History
    """
    generator = torch.Generator().manual_seed(seed) if seed is not None else torch.Generator()
    if seed is None:
        generator.seed()
    train, validation = _split(len(X), validation_fraction, generator)
    monitor = train if validation is None else validation
    optimizer = torch.optim.Adam(model.parameters(), lr=learning_rate, weight_decay=weight_decay)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, max_epochs, eta_min=learning_rate / 100)
    history, best, best_state = History(), float("inf"), copy.deepcopy(model.state_dict())
    bar = tqdm(range(max_epochs), disable=not progress, leave=False, desc="training")
    for epoch in bar:
        model.train()
        total = 0.0
        for batch in train[torch.randperm(len(train), generator=generator)].split(batch_size):
            total += descend(optimizer, loss(model(X[batch]), y[batch]), f"at epoch {epoch}") * len(batch)
        schedule.step()
        model.eval()
        with torch.no_grad():
            monitored = loss(model(X[monitor]), y[monitor]).item()
        history.train_loss.append(total / len(train))
        history.validation_loss.append(monitored)
        if monitored < best:
            best, history.best_epoch, best_state = monitored, epoch, copy.deepcopy(model.state_dict())
        elif epoch - history.best_epoch >= patience:
            break
        bar.set_postfix(train=f"{history.train_loss[-1]:.3g}", validation=f"{monitored:.3g}")
    model.load_state_dict(best_state)
    model.eval()
    return history
