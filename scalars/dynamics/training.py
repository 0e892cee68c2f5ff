"""Training on the rollout loss over trajectory chunks, and evaluation on test rollouts."""

import copy
import math
import time

import numpy as np
import torch
from tqdm import tqdm

from scalars.dynamics.metrics import angular_momentum_error, energy_drift, rollout_error
from scalars.dynamics.pendulum import DoubleSpringPendulum
from scalars.nn.training import descend

__all__ = ["train", "predict", "evaluate"]


_FULL_BATCH = 1000  # chunks per backward pass of an L-BFGS evaluation


def _tensors(*arrays):
    return [torch.as_tensor(np.asarray(a), dtype=torch.float64) for a in arrays]


def _schedule(progress, warmup=0.02, final=1e-3):
    """Learning-rate factor at ``progress`` in [0, 1]: linear warm-up, cosine to ``final``."""
    ramp = min(1.0, (progress + 1e-3) / warmup)
    return ramp * (final + (1 - final) * 0.5 * (1 + math.cos(math.pi * min(progress, 1.0))))


def train(
    model, data, epochs=1000, lr=3e-3, mlp_lr=None, batch_size=100, polish=0.3, warm_start=True, time_limit=None,
    seed=0, progress=True,
):
    """Fit a dynamics model on the mean squared error of its rollouts over training chunks.

    The loss rolls the model out from the first state of each chunk over the chunk's times
    and compares all later states with the truth. The model is moved to float64 and its
    input scaling set from the training states. The linear part of the model starts from
    a least-squares fit to finite-difference derivatives at the chunk centres (if
    ``warm_start``). Training then has two phases: Adam on minibatches, with a short linear warm-up and a cosine decay of the learning rate; then
    full-batch L-BFGS, which polishes the fit far below the noise floor of Adam (the loss is
    smooth and the data exact). The best parameters seen by L-BFGS are kept.

    Parameters
    ----------
    model : a model of :mod:`scalars.dynamics.models`
    data : PendulumData
    epochs : int
        Budget in passes over the training chunks; an L-BFGS evaluation of the full batch
        counts as one (ignored if ``time_limit`` is given).
    lr : float
        Peak Adam learning rate of the linear part of each network.
    mlp_lr : float, optional
        Peak Adam learning rate of the hidden layers of each MLP; default ``lr``. Adam moves
        every weight at about the learning rate, so an MLP that is only needed as a
        correction to the linear part adds noise unless its rate is lower.
    batch_size : int
        Chunks per Adam step.
    polish : float
        Fraction of the budget for L-BFGS, in [0, 1].
    warm_start : bool
        Start the linear part from the least-squares fit (needs chunks of 5 points or more).
    time_limit : float, optional
        Budget in seconds of wall-clock time instead of ``epochs``: the schedule follows the
        elapsed fraction of it, and training stops when it is used up.
    seed : int
        Seed of the minibatch order.
    progress : bool
        Show a tqdm progress bar.

    Returns
    -------
    dict
        ``seconds`` (training time), ``steps`` (Adam steps), ``evaluations`` (L-BFGS
        evaluations of the full batch), ``loss`` (final training loss).
    """
    if not 0 <= polish <= 1:
        raise ValueError(f"polish must be a fraction in [0, 1], got {polish}")
    model.double()
    chunks, t, g, params = _tensors(data.train, data.t_chunk, data.train_g, data.train_params)
    model.fit_scaling(chunks, g[:, None], params[:, None])
    n = len(chunks)
    total = None if time_limit is not None else epochs * math.ceil(n / batch_size)
    state = {"steps": 0, "evaluations": 0, "loss": float("nan")}
    start = time.perf_counter()

    def used():
        """Fraction of the budget used so far."""
        if time_limit:
            return (time.perf_counter() - start) / time_limit
        done = state["steps"] + state["evaluations"] * math.ceil(n / batch_size)
        return done / total if total else 1.0

    def loss_of(batch):
        predicted = model.rollout(chunks[batch, 0], t, g[batch], params[batch])
        return torch.mean((predicted[:, 1:] - chunks[batch, 1:]) ** 2)

    bar = tqdm(total=100, disable=not progress, unit="%", bar_format="{l_bar}{bar}| {elapsed}<{remaining}{postfix}")

    def report(phase):
        bar.set_postfix_str(f"{phase}, loss {state['loss']:.2e}", refresh=False)
        bar.update(min(100.0, 100 * used()) - bar.n)

    if warm_start:
        _warm_start(model, chunks, t, g, params)
    model.train()
    _adam(model, loss_of, n, batch_size, lr, mlp_lr, 1 - polish, used, state, seed, report)
    if polish > 0:
        _lbfgs(model, loss_of, n, used, state, report)
    bar.close()
    model.eval()
    return {"seconds": time.perf_counter() - start, **state}


def _is_linear(name):
    """Whether a parameter belongs to the linear part of a network (``skip`` maps)."""
    return name.split(".")[-2].startswith("skip")


def _warm_start(model, chunks, t, g, params):
    """Set the linear parameters to fit finite-difference derivatives, by least squares.

    The vector field of every model is affine in the weights of its linear maps (whatever
    the MLP): its value at zero and at the unit vectors gives the least-squares problem.
    """
    if chunks.shape[1] < 5:
        return
    middle = chunks.shape[1] // 2
    z = chunks[:, middle]
    window = chunks[:, middle - 2 : middle + 3]  # fourth-order central difference
    derivative = (window[:, 0] - 8 * window[:, 1] + 8 * window[:, 3] - window[:, 4]) / (12 * (t[1] - t[0]))
    linear = [p for name, p in model.named_parameters() if _is_linear(name)]
    unit = torch.zeros_like(torch.nn.utils.parameters_to_vector(linear))

    def field_at(weights):
        torch.nn.utils.vector_to_parameters(weights, linear)
        return model.vector_field(z, g, params).reshape(-1)

    with torch.no_grad():
        offset = field_at(unit)
        columns = []
        for j in range(len(unit)):
            unit[j] = 1.0
            columns.append(field_at(unit) - offset)
            unit[j] = 0.0
        target = (derivative.reshape(-1) - offset)[:, None]
        solution = torch.linalg.lstsq(torch.stack(columns, dim=1), target, rcond=1e-10, driver="gelsd").solution
        torch.nn.utils.vector_to_parameters(solution[:, 0], linear)


def _adam(model, loss_of, n, batch_size, lr, mlp_lr, budget, used, state, seed, report):
    """Minibatch Adam until ``used() >= budget``, the learning rate following :func:`_schedule`."""
    linear = [p for name, p in model.named_parameters() if _is_linear(name)]
    hidden = [p for name, p in model.named_parameters() if not _is_linear(name)]
    peaks = (lr, lr if mlp_lr is None else mlp_lr)
    optimizer = torch.optim.Adam([{"params": linear, "peak": peaks[0]}, {"params": hidden, "peak": peaks[1]}])
    generator = torch.Generator().manual_seed(seed)
    while used() < budget:
        losses = []
        for batch in torch.randperm(n, generator=generator).split(batch_size):
            fraction = used() / budget
            if fraction >= 1:
                break
            for group in optimizer.param_groups:
                group["lr"] = group["peak"] * _schedule(fraction)
            losses.append(descend(optimizer, loss_of(batch), f"after {state['steps']} Adam steps"))
            state["steps"] += 1
        state["loss"] = float(np.mean(losses)) if losses else state["loss"]
        report("Adam")


def _lbfgs(model, loss_of, n, used, state, report):
    """Full-batch L-BFGS with a strong-Wolfe line search until ``used() >= 1``.

    Keeps the parameters of the lowest loss it evaluated, or the ones it started from if
    no evaluation was finite.
    """
    everything = torch.arange(n)
    optimizer = torch.optim.LBFGS(
        model.parameters(), lr=1, max_iter=5, history_size=50, line_search_fn="strong_wolfe",
        tolerance_grad=0, tolerance_change=0,
    )
    best = {"loss": math.inf, "parameters": copy.deepcopy(model.state_dict())}

    def closure():
        optimizer.zero_grad()
        loss = 0.0
        for batch in everything.split(_FULL_BATCH):  # bounded memory, same gradient
            part = loss_of(batch) * (len(batch) / n)
            part.backward()
            loss += part.detach()
        state["evaluations"] += 1
        if loss.item() < best["loss"]:  # every evaluation is at the parameters of the moment
            best.update(loss=loss.item(), parameters=copy.deepcopy(model.state_dict()))
        return loss

    while used() < 1:
        if not math.isfinite(optimizer.step(closure).item()):
            break
        state["loss"] = best["loss"]
        report("L-BFGS")
    model.load_state_dict(best["parameters"])
    if math.isfinite(best["loss"]):
        state["loss"] = best["loss"]


def predict(model, z0, t, g, params, batch_size=256):
    """Model rollouts as numpy: ``z0`` (n, 12), ``t`` (T,), ``g`` (n, 3), ``params`` (n, 6) -> (n, T, 12)."""
    z0, t, g, params = _tensors(z0, t, g, params)
    with torch.no_grad():
        parts = [
            model.rollout(z0[i : i + batch_size], t, g[i : i + batch_size], params[i : i + batch_size])
            for i in range(0, len(z0), batch_size)
        ]
    return torch.cat(parts).numpy()


def evaluate(model, data):
    """Roll the model out from every test initial state over the whole test time span.

    Parameters
    ----------
    model : a model of :mod:`scalars.dynamics.models`
    data : PendulumData

    Returns
    -------
    dict
        ``rollout_error`` (geometric mean relative state error), ``energy_drift`` (mean
        relative change of the true energy along predicted trajectories),
        ``angular_momentum_error`` (geometric mean relative error of the angular momentum
        about g) and ``prediction`` (n_test, T, 12).
    """
    prediction = predict(model, data.test[:, 0], data.t, data.test_g, data.test_params)
    systems = DoubleSpringPendulum(*data.test_params.T, g=data.test_g)  # a batch of n_test
    with np.errstate(over="ignore", invalid="ignore"):  # a diverged rollout scores inf or the largest error
        return {
            "rollout_error": rollout_error(prediction, data.test),
            "energy_drift": energy_drift(systems.energy(prediction)),
            "angular_momentum_error": angular_momentum_error(
                systems.angular_momentum(prediction), systems.angular_momentum(data.test)
            ),
            "prediction": prediction,
        }
