"""Training on the rollout loss over trajectory chunks, and evaluation on test rollouts."""

import functools
import time
import warnings
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.utils._param_validation import Interval, validate_params

from scalars.dynamics.metrics import angular_momentum_error, energy_drift, rollout_error
from scalars.dynamics.pendulum import DoubleSpringPendulum
from scalars.nn.training import fit, initialize

__all__ = ["train", "predict", "evaluate"]


def _tensors(*arrays):
    return [torch.as_tensor(np.asarray(a), dtype=torch.float64) for a in arrays]


def _train_context(data):
    """The system of each training chunk as the models take it: ``g, params`` (n, 3), (n, 6)
    for :class:`PendulumData`, nothing for the one system of a :class:`TrajectoryData`."""
    return _tensors(data.train_g, data.train_params) if hasattr(data, "train_g") else []


class _ChunkRollout(torch.nn.Module):
    """``model`` rolled out from the first state of each chunk over the chunk's times ``t``:
    the predicted later states (n, T - 1, state_size)."""

    def __init__(self, model, t):
        super().__init__()
        self.model, self.t = model, t

    def forward(self, z0, *context):
        return self.model.rollout(z0, self.t, *context)[:, 1:]


def _accept_old_names(**renamed):
    """Decorator: accept each old keyword ``old=new`` of ``renamed`` for one release, with a
    FutureWarning naming the new one."""

    def decorate(function):
        @functools.wraps(function)
        def wrapper(*args, **kwargs):
            for old, new in renamed.items():
                if old not in kwargs:
                    continue
                if new in kwargs:
                    raise TypeError(
                        f"{function.__name__}() got both {new!r} and its old name {old!r}; pass {new!r} only"
                    )
                warnings.warn(
                    f"the {old!r} parameter of {function.__name__} is renamed {new!r}; {old!r} will be removed in "
                    "the next release", FutureWarning, stacklevel=2,
                )
                kwargs[new] = kwargs.pop(old)
            return function(*args, **kwargs)

        return wrapper

    return decorate


@_accept_old_names(epochs="max_epochs", lr="learning_rate", mlp_lr="mlp_learning_rate")
@validate_params(
    {
        "model": [torch.nn.Module],
        "data": "no_validation",
        "max_epochs": [Interval(Integral, 0, None, closed="left")],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "mlp_learning_rate": [Interval(Real, 0, None, closed="neither"), None],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "polish": [Interval(Real, 0, 1, closed="both")],
        "warm_start": ["boolean"],
        "time_limit": [Interval(Real, 0, None, closed="left"), None],
        "seed": [Interval(Integral, 0, None, closed="left")],
        "progress": ["boolean"],
    },
    prefer_skip_nested_validation=True,
)
def train(
    model, data, max_epochs=1000, learning_rate=3e-3, mlp_learning_rate=None, batch_size=100, polish=0.3,
    warm_start=True, time_limit=None, seed=0, progress=True,
):
    """Fit a dynamics model on the mean squared error of its rollouts over training chunks.

    The loss rolls the model out from the first state of each chunk over the chunk's times
    and compares all later states with the truth. The weights are drawn from ``seed``, then
    the model is moved to float64 and its input scaling set from the training states. The
    linear part of the model (:meth:`linear_parameters`) starts from a least-squares fit to
    finite-difference derivatives at the chunk centres (if ``warm_start``). Training is
    then :func:`scalars.nn.fit` in two phases: Adam on minibatches, with a short linear
    warm-up and a cosine decay of the learning rate to 1e-3 of its peak; then full-batch
    L-BFGS, which polishes the fit far below the noise floor of Adam (the loss is smooth
    and the data exact) and keeps the best parameters it evaluated.

    Parameters
    ----------
    model : a model of :mod:`scalars.dynamics.models`
    data : PendulumData or TrajectoryData
    max_epochs : int
        Budget in passes over the training chunks; an L-BFGS evaluation of the full batch
        counts as one (ignored if ``time_limit`` is given).
    learning_rate : float
        Peak Adam learning rate of the linear part of each network.
    mlp_learning_rate : float, optional
        Peak Adam learning rate of the other parameters (the MLPs); default
        ``learning_rate``. Adam
        moves every weight at about the learning rate, so an MLP that is only needed as a
        correction to the linear part adds noise unless its rate is lower.
    batch_size : int
        Chunks per Adam step.
    polish : float
        Fraction of the budget for L-BFGS, in [0, 1].
    warm_start : bool
        Start the linear part from the least-squares fit (needs chunks of 5 points or more).
    time_limit : float, optional
        Budget in seconds of wall-clock time instead of ``epochs``, the warm start
        included: the schedule follows the elapsed fraction of it, and training stops
        when it is used up.
    seed : int
        Seed of the initial weights and of the minibatch order.
    progress : bool
        Show a tqdm progress bar.

    The names are those of :func:`scalars.nn.fit`; the old ``epochs``, ``lr`` and
    ``mlp_lr`` are still accepted, with a FutureWarning, until the next release.

    Returns
    -------
    dict
        ``seconds`` (training time), ``steps`` (Adam steps), ``evaluations`` (L-BFGS
        evaluations of the full batch), ``loss`` (final training loss).
    """
    start = time.perf_counter()
    initialize(model, seed)
    model.double()
    chunks, t = _tensors(data.train, data.t_chunk)
    context = _train_context(data)
    model.fit_scaling(chunks, *(c[:, None] for c in context))
    if warm_start:
        _warm_start(model, chunks, t, context)
    linear = model.linear_parameters()
    linear_ids = {id(p) for p in linear}
    rest = [p for p in model.parameters() if id(p) not in linear_ids]
    mlp_rate = learning_rate if mlp_learning_rate is None else mlp_learning_rate
    groups = [{"params": linear, "lr": learning_rate}, {"params": rest, "lr": mlp_rate}]
    remaining = None if time_limit is None else max(0.0, time_limit - (time.perf_counter() - start))
    # a model with priors on its weights (ResidualHamiltonianNetwork) adds them to the loss
    penalty = (lambda net, *x: model.prior_penalty()) if hasattr(model, "prior_penalty") else None
    history = fit(
        _ChunkRollout(model, t), (chunks[:, 0], *context), chunks[:, 1:], max_epochs=max_epochs, batch_size=batch_size,
        parameter_groups=groups, warmup=0.02, decay_to=1e-3, polish=polish, validation_fraction=0, seed=seed,
        warm_start=True, progress=progress, time_limit=remaining, penalty=penalty,
    )
    losses = history.polish_loss or history.train_loss or [float("nan")]
    return {"seconds": time.perf_counter() - start, "steps": history.steps, "evaluations": history.evaluations,
            "loss": losses[-1]}


def _warm_start(model, chunks, t, context):
    """Set the linear parameters to fit finite-difference derivatives, by least squares.

    The vector field of every model is affine in its linear parameters (whatever the MLP):
    its value at zero and at the unit vectors gives the least-squares problem. Among its
    solutions ``gelsd`` picks the one of least norm; for a model with a ``linear_prior()``
    (the prior precision ``lambda_j`` of each linear parameter, e.g.
    :class:`~scalars.dynamics.ResidualHamiltonianNetwork`) the one of least prior
    ``sum_j lambda_j w_j^2`` (the limit of the ridge solve with that penalty as the data
    dominate): what both paths can fit (the gravity potential) goes to the cheap
    equivariant one, and the plain one takes only what the other cannot fit (the wind). It is
    skipped where it cannot help: chunks of fewer than 5 points, or fewer equations (chunks
    times state size) than linear parameters, where the minimum-norm solution can be large
    enough to make the first rollouts diverge.
    """
    linear = model.linear_parameters()
    unit = torch.zeros_like(torch.nn.utils.parameters_to_vector(linear))
    if chunks.shape[1] < 5 or chunks.shape[0] * chunks.shape[2] < len(unit):
        return
    middle = chunks.shape[1] // 2
    z = chunks[:, middle]
    window = chunks[:, middle - 2 : middle + 3]  # fourth-order central difference
    derivative = (window[:, 0] - 8 * window[:, 1] + 8 * window[:, 3] - window[:, 4]) / (12 * (t[1] - t[0]))

    def field_at(weights):
        torch.nn.utils.vector_to_parameters(weights, linear)
        return model.vector_field(z, *context).reshape(-1)

    with torch.no_grad():
        offset = field_at(unit)
        columns = []
        for j in range(len(unit)):
            unit[j] = 1.0
            columns.append(field_at(unit) - offset)
            unit[j] = 0.0
        design, target = torch.stack(columns, dim=1), (derivative.reshape(-1) - offset)[:, None]
        # with a prior, solve for w * sqrt(precision): the minimum-norm solution is then the one of least prior
        scale = model.linear_prior().to(design).clamp_min(_FREE).rsqrt() if hasattr(model, "linear_prior") else 1.0
        solution = torch.linalg.lstsq(design * scale, target, rcond=1e-10, driver="gelsd").solution
        torch.nn.utils.vector_to_parameters(solution[:, 0] * scale, linear)


_FREE = 1e-12  # the prior precision that stands for none in the warm start (a free parameter)


def predict(model, z0, t, *context, batch_size=256):
    """Model rollouts as numpy: ``z0`` (n, k), ``t`` (T,) -> (n, T, k).

    ``context`` is the system of each row for the pendulum models, ``g`` (n, 3) and
    ``params`` (n, 6); nothing for a model of one System.
    """
    z0, t, *context = _tensors(z0, t, *context)
    with torch.no_grad():
        parts = [
            model.rollout(z0[i : i + batch_size], t, *(c[i : i + batch_size] for c in context))
            for i in range(0, len(z0), batch_size)
        ]
    return torch.cat(parts).numpy()


def evaluate(model, data):
    """Roll the model out from every test initial state over the whole test time span.

    Parameters
    ----------
    model : a model of :mod:`scalars.dynamics.models`
    data : PendulumData or TrajectoryData

    Returns
    -------
    dict
        ``rollout_error`` (geometric mean relative state error) and ``prediction``
        (n_test, T, state_size); for the pendulum also ``energy_drift`` (mean relative
        change of the true energy along predicted trajectories) and
        ``angular_momentum_error`` (geometric mean relative error of the angular momentum
        about g).
    """
    if not hasattr(data, "test_g"):
        prediction = predict(model, data.test[:, 0], data.t)
        return {"rollout_error": rollout_error(prediction, data.test), "prediction": prediction}
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
