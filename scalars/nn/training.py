"""The training loop of the package: Adam on a schedule, an optional L-BFGS polish, early
stopping on a validation split, a progress bar, and one seed for all of it, in one process
or data-parallel on the ranks of a torch.distributed group (``torchrun``).

:func:`fit` trains the torch heads and the estimators built on them, and
:func:`scalars.dynamics.train` calls it with the rollout loss of a dynamics model.
"""

import copy
import math
import time
from dataclasses import dataclass, field
from numbers import Integral, Real

import torch
from sklearn.utils._param_validation import Interval, StrOptions, validate_params
from tqdm.auto import tqdm

from scalars.nn._distributed import ranks as _ranks

__all__ = ["fit", "History"]

_FULL_BATCH = 1000  # samples per backward pass of a full-batch loss, to bound memory


@dataclass
class History:
    """What :func:`fit` did.

    Attributes
    ----------
    train_loss : list of float
        Mean minibatch loss of each Adam epoch.
    validation_loss : list of float
        Loss on the validation split after each Adam epoch; empty without a split.
    best_epoch : int
        The Adam epoch whose weights were kept: the one of lowest validation loss, or the
        last one without a validation split.
    polish_loss : list of float
        Lowest full-batch training loss seen by L-BFGS, after each of its steps.
    steps : int
        Adam steps.
    evaluations : int
        Full-batch loss evaluations by L-BFGS.
    seconds : float
        Wall-clock time of training.
    """

    train_loss: list = field(default_factory=list)
    validation_loss: list = field(default_factory=list)
    best_epoch: int = 0
    polish_loss: list = field(default_factory=list)
    steps: int = 0
    evaluations: int = 0
    seconds: float = 0.0


def _mse(prediction, target):
    return (prediction - target).abs().pow(2).mean()


_FRACTION = Interval(Real, 0, 1, closed="both")


@validate_params(
    {
        "model": [torch.nn.Module],
        "X": "no_validation",
        "y": [torch.Tensor],
        "loss": [callable],
        "max_epochs": [Interval(Integral, 0, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "weight_decay": [Interval(Real, 0, None, closed="left")],
        "validation_fraction": [Interval(Real, 0, 1, closed="left")],
        "patience": [Interval(Integral, 1, None, closed="left")],
        "seed": [Interval(Integral, 0, None, closed="left"), None],
        "progress": ["boolean"],
        "time_limit": [Interval(Real, 0, None, closed="left"), None],
        "warmup": [_FRACTION],
        "decay_to": [_FRACTION],
        "parameter_groups": [list, None],
        "polish": [_FRACTION],
        "warm_start": ["boolean"],
        "distributed": [StrOptions({"auto"}), "boolean"],
        "penalty": [callable, None],
    },
    prefer_skip_nested_validation=True,
)
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
    *,
    time_limit=None,
    warmup=0.0,
    decay_to=0.01,
    parameter_groups=None,
    polish=0.0,
    warm_start=False,
    distributed="auto",
    penalty=None,
):
    """Train ``model`` so that ``loss(model(X), y)`` is small.

    The weights are first drawn from ``seed`` (see ``warm_start``). Adam then runs on
    shuffled minibatches of the training split, its learning rate rising linearly over
    the first ``warmup`` of its budget and then decaying along a cosine to ``decay_to``
    times the peak. After each epoch the loss on the validation split picks the best
    weights, restored at the end, and training stops after ``patience`` epochs without
    improvement. With ``polish > 0`` full-batch L-BFGS (strong-Wolfe line search) takes
    the last part of the budget and keeps the parameters of the lowest training loss it
    evaluated (with a validation split, only if they also validate better).

    Parameters
    ----------
    model : nn.Module
    X : tensor or tuple of tensors, of shape (n_samples, ...)
        The model is called as ``model(X[batch])``, or ``model(*(x[batch] for x in X))``.
    y : tensor of shape (n_samples, ...)
    loss : callable, default=mean squared error
        ``loss(prediction, target) -> scalar tensor``, a mean over samples (full-batch
        losses are means of chunks of 1000 samples).
    max_epochs : int, default=200
        Budget in passes over the training split; a full-batch L-BFGS evaluation counts as
        one. Ignored if ``time_limit`` is given.
    batch_size : int, default=256
    learning_rate : float, default=3e-3
        Peak Adam learning rate.
    weight_decay : float, default=0.0
        Adam's L2 penalty.
    validation_fraction : float in [0, 1), default=0.1
        Share of the samples held out for early stopping; with none (0, or too few
        samples to hold one out), the final weights are kept.
    patience : int, default=30
        Epochs without a lower validation loss before Adam stops.
    seed : int, default=None
        Seeds the initial weights, the validation split and the batch order. None draws
        it from torch's global generator. Distributed, rank 0's seed is every rank's.
    progress : bool, default=True
        Show a tqdm progress bar.
    time_limit : float, default=None
        Budget in seconds of wall-clock time instead of ``max_epochs``: the schedule
        follows the elapsed share of it.
    warmup : float in [0, 1], default=0.0
        Share of the Adam budget over which the learning rate ramps up linearly.
    decay_to : float in [0, 1], default=0.01
        Learning rate at the end of the Adam budget, relative to the peak.
    parameter_groups : list of dict, default=None
        Torch optimiser parameter groups that together hold every parameter of the model,
        e.g. ``[{"params": linear, "lr": 1e-3}, {"params": rest, "lr": 1e-4}]``; each
        ``"lr"`` is the peak of its group's schedule (default ``learning_rate``). None:
        one group of all parameters.
    polish : float in [0, 1], default=0.0
        Share of the budget for L-BFGS after Adam.
    warm_start : bool, default=False
        Train from the model's current weights. Otherwise they are drawn first, by each
        submodule's ``reset_parameters`` (torch's convention; a module with its own
        initialisation defines one) in order of registration, with torch's generator
        seeded by ``seed`` and restored afterwards.
    distributed : {"auto", True, False}, default="auto"
        Train data-parallel on the ranks of the torch.distributed process group, as under
        ``torchrun --nproc-per-node N``. Every rank passes the same data and takes rank 0's
        ``seed``, so all draw the same minibatches; each computes its share
        ``batch[rank::world]`` of each minibatch (the model wrapped in
        ``DistributedDataParallel``) and of each full-batch loss, and every rank ends with
        the weights and history one process gives on the same minibatches, to rounding.
        Only rank 0 shows the progress bar; ``fit`` writes no files, so save the model on
        rank 0. ``"auto"``: when the default process group is initialised, or torchrun's
        ``WORLD_SIZE`` is above 1 (the group is then initialised on gloo); ``True``: the
        same, but with no group to join it is an error; ``False``: one process.
    penalty : callable, default=None
        ``penalty(model, *X[batch]) -> scalar tensor``, added to the training objective:
        to every loss computed with gradients (Adam's minibatches, L-BFGS's full batch, a
        mean of chunks as the loss is), not to the validation loss, which picks epochs by
        the fit alone. A prior on the weights (:meth:`scalars.nn.ResidualPathway.prior_penalty`)
        or a soft equivariance constraint (:class:`scalars.nn.EquivariancePenalty`).

    Returns
    -------
    History

    Notes
    -----
    The training parameters have these names throughout the package. The torch side
    (this function, :func:`scalars.dynamics.train`, whose MLP rate is
    ``mlp_learning_rate``) uses them as here; the scikit-learn estimators
    (:class:`~scalars.estimators.EquivariantMLPRegressor`, ...) follow scikit-learn:

    ======================  ==========================  ==================================
    here                    estimators                  old names in ``dynamics.train``
    ======================  ==========================  ==================================
    ``learning_rate``       ``learning_rate``           ``lr`` (``mlp_lr``)
    ``max_epochs``          ``max_epochs``              ``epochs``
    ``seed``                ``random_state``
    ``progress``            ``verbose``
    ======================  ==========================  ==================================

    The old names of :func:`scalars.dynamics.train` warn (FutureWarning) and are removed
    in the next release.

    Raises
    ------
    ValueError
        If ``X`` or ``y`` contain NaN or infinity, if their numbers of samples differ, or
        if ``parameter_groups`` do not hold every parameter once, or if ``distributed=True``
        and there is no process group.
    FloatingPointError
        If the training loss becomes NaN or infinite.
    """
    ranks = _ranks(distributed)  # may wait for the other ranks to start: before the clock
    start = time.perf_counter()
    inputs = _as_inputs(X, y)
    if seed is None:
        seed = int(torch.empty((), dtype=torch.int64).random_().item())
    seed = ranks.seed(seed)
    if not warm_start:
        initialize(model, seed)
    optimizer = torch.optim.Adam(_parameter_groups(model, parameter_groups), lr=learning_rate, weight_decay=weight_decay)
    generator = torch.Generator().manual_seed(seed)
    train, validation = _split(len(y), validation_fraction, generator)

    def batch_loss(batch, net=model):
        xs = tuple(x[batch] for x in inputs)
        value = loss(net(*xs), y[batch])
        return value + penalty(net, *xs) if penalty is not None and torch.is_grad_enabled() else value

    budget = time_limit if time_limit is not None else max_epochs * math.ceil(len(train) / batch_size)
    in_seconds, progress = time_limit is not None, progress and ranks.rank == 0
    with _Run(model, batch_loss, ranks, train, validation, batch_size, budget, in_seconds, start, progress) as run:
        best = run.adam(optimizer, 1 - polish, generator, warmup, decay_to, patience)
        if polish > 0:
            run.lbfgs(best)
    best.restore(model)
    model.eval()
    run.history.seconds = time.perf_counter() - start
    return run.history


@torch.no_grad()
def initialize(model, seed):
    """Draw the parameters of ``model`` from ``seed`` as its constructors draw them.

    Every submodule with a ``reset_parameters`` method resets (one that has it resets its
    own submodules), in order of registration, with torch's global generator seeded by
    ``seed`` and restored afterwards. A model built in float32 under
    ``torch.manual_seed(seed)`` thus gets back the same weights.
    """
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        _reset(model)


def _reset(module):
    if hasattr(module, "reset_parameters"):
        module.reset_parameters()
        return
    for child in module.children():
        _reset(child)


def _descend(optimizer, loss, value, when, first=False):
    """One gradient step on ``loss`` (a scalar tensor); returns ``value``, the loss of all
    ranks, as a float.

    Raises
    ------
    ValueError
        If the loss is NaN or infinite on the ``first`` step: the data are out of range.
    FloatingPointError
        If the loss is NaN or infinite later; ``when`` says where in training, for the message.
    """
    if not torch.isfinite(value) and first:
        raise ValueError(
            f"the training loss is {value.item()} before any step: X or y is out of the range the "
            "model computes in (rescale them)"
        )
    if not torch.isfinite(value):
        raise FloatingPointError(f"the training loss is {value.item()} {when}; lower the learning rate")
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return value.item()


def _as_inputs(X, y):
    """``X`` as a tuple of tensors, checked with ``y``: finite, and one number of samples.

    The errors name ``X`` (``X[i]`` for a tuple) or ``y``.
    """
    inputs, names = ((X,), ["X"]) if isinstance(X, torch.Tensor) else (tuple(X), [f"X[{i}]" for i in range(len(X))])
    for label, tensor in [*zip(names, inputs), ("y", y)]:
        if not torch.isfinite(tensor).all():
            bad = int((~torch.isfinite(tensor)).sum())
            raise ValueError(f"{label} contains NaN or infinity ({bad} of {tensor.numel()} values); training needs finite data")
        if len(tensor) != len(y):
            raise ValueError(f"{label} has {len(tensor)} samples but y has {len(y)}")
    return inputs


def _parameter_groups(model, groups):
    """Copies of the parameter groups, checked to hold each parameter of ``model`` once."""
    if groups is None:
        return [{"params": list(model.parameters())}]
    groups = [{**group, "params": list(group["params"])} for group in groups]
    grouped = [id(p) for group in groups for p in group["params"]]
    if sorted(grouped) != sorted(id(p) for p in model.parameters()):
        raise ValueError("parameter_groups must hold every parameter of the model exactly once")
    return groups


def _split(n_samples, validation_fraction, generator):
    """Training and validation indices, shuffled; all samples in order and no validation
    set when it would be empty."""
    n_validation = int(n_samples * validation_fraction)
    if not 0 < n_validation < n_samples:
        return torch.arange(n_samples), None
    order = torch.randperm(n_samples, generator=generator)
    return order[n_validation:], order[:n_validation]


def _schedule(progress, warmup, decay_to):
    """Learning-rate factor at ``progress`` in [0, 1]: linear warm-up, cosine to ``decay_to``."""
    ramp = min(1.0, (progress + 1e-3) / warmup) if warmup else 1.0  # the first step is not at zero
    return ramp * (decay_to + (1 - decay_to) * 0.5 * (1 + math.cos(math.pi * min(progress, 1.0))))


def _full_loss(batch_loss, indices, ranks, backward=False):
    """Mean loss over ``indices``, each rank's share in chunks, back-propagated chunk by chunk
    if asked (the gradients of this rank's share only)."""
    total = torch.zeros((), dtype=torch.float64)
    for chunk in ranks.share(indices).split(_FULL_BATCH):
        part = batch_loss(chunk) * (len(chunk) / len(indices))
        if backward:
            part.backward()
        total += part.detach()
    return ranks.sum(total)


class _OutOfTime(Exception):
    """Raised by an L-BFGS evaluation that would start after the time budget is used up."""


class _Best:
    """The lowest loss offered so far and the model's state at it."""

    def __init__(self, model):
        self.loss, self.state = math.inf, copy.deepcopy(model.state_dict())

    def offer(self, loss, model):
        """Keep the model's state if ``loss`` is the lowest so far; return whether it was."""
        if not loss < self.loss:
            return False
        self.loss, self.state = loss, copy.deepcopy(model.state_dict())
        return True

    def restore(self, model):
        model.load_state_dict(self.state)


class _Run:
    """One training run: its data, its ranks, its budget (seconds or steps), its history and its bar."""

    def __init__(self, model, batch_loss, ranks, train, validation, batch_size, budget, in_seconds, start, progress):
        self.model, self.batch_loss, self.train, self.validation = model, batch_loss, train, validation
        self.ranks, self.net = ranks, ranks.wrap(model)
        self.batch_size, self.budget, self.in_seconds, self.start = batch_size, budget, in_seconds, start
        self.steps_per_epoch = math.ceil(len(train) / batch_size)
        self.history = History()
        self.bar = tqdm(total=100, disable=not progress, leave=False, unit="%", desc="training",
                        bar_format="{l_bar}{bar}| {elapsed}<{remaining}{postfix}")

    def __enter__(self):
        return self

    def __exit__(self, *exception):
        self.bar.close()

    def used(self):
        """Share of the budget used so far; an L-BFGS evaluation costs an epoch of steps."""
        if self.in_seconds:
            done = self.ranks.latest(time.perf_counter() - self.start)
        else:
            done = self.history.steps + self.history.evaluations * self.steps_per_epoch
        return done / self.budget if self.budget else 1.0

    def report(self, phase, value):
        self.bar.set_postfix_str(f"{phase}, loss {value:.2e}", refresh=False)
        self.bar.update(min(100.0, 100 * self.used()) - self.bar.n)

    def validation_loss(self):
        self.model.eval()
        with torch.no_grad():
            value = _full_loss(self.batch_loss, self.validation, self.ranks).item()
        self.model.train()
        return value

    def adam(self, optimizer, budget, generator, warmup, decay_to, patience):
        """Minibatch Adam until ``used() >= budget`` or early stopping.

        Returns the best state: the one of lowest validation loss, or the last one without
        a validation set.
        """
        history, peaks = self.history, [group["lr"] for group in optimizer.param_groups]
        best = _Best(self.model)
        self.model.train()
        while self.used() < budget:
            total, seen = 0.0, 0
            for batch in self.train[torch.randperm(len(self.train), generator=generator)].split(self.batch_size):
                fraction = self.used() / budget
                if fraction >= 1:
                    break
                factor = _schedule(fraction, warmup, decay_to)
                for group, peak in zip(optimizer.param_groups, peaks):
                    group["lr"] = peak * factor
                when, first = f"after {history.steps} Adam steps", history.steps == 0
                total += self.step(optimizer, batch, when, first) * len(batch)
                seen += len(batch)
                history.steps += 1
            if not seen:
                break
            history.train_loss.append(total / seen)
            epoch = len(history.train_loss) - 1
            if self.validation is None:
                best.state, history.best_epoch = self.model.state_dict(), epoch  # the live weights
                self.report("Adam", history.train_loss[-1])
                continue
            history.validation_loss.append(self.validation_loss())
            if best.offer(history.validation_loss[-1], self.model):
                history.best_epoch = epoch
            elif epoch - history.best_epoch >= patience:
                break
            self.report("Adam", history.validation_loss[-1])
        return best

    def step(self, optimizer, batch, when, first):
        """One Adam step on the mean loss of ``batch``; returns that loss.

        Each rank takes the mean over its share weighted by the share's size, so that the
        weighted losses sum to the batch mean; their gradients, times the number of ranks,
        average to its gradient. A rank with an empty share computes one sample's loss with
        weight 0, to take part in the averaging.
        """
        share = self.ranks.share(batch)
        weight = len(share) / len(batch)
        part = self.batch_loss(share if len(share) else batch[:1], self.net) * weight
        return _descend(optimizer, part * self.ranks.world, self.ranks.sum(part), when, first)

    def lbfgs(self, adam_best):
        """Full-batch L-BFGS from ``adam_best`` until ``used() >= 1``; its best evaluation
        replaces ``adam_best`` if it validates at least as well (or without a validation set)."""
        adam_best.restore(self.model)
        self.model.train()
        optimizer = torch.optim.LBFGS(
            self.model.parameters(), lr=1, max_iter=5, history_size=50, line_search_fn="strong_wolfe",
            tolerance_grad=0, tolerance_change=0,
        )
        best = _Best(self.model)
        first = self.history.evaluations

        def closure():
            # a step of L-BFGS may take many evaluations: stop inside it when the time is up
            if self.in_seconds and self.history.evaluations > first and self.used() >= 1:
                raise _OutOfTime
            optimizer.zero_grad()
            value = _full_loss(self.batch_loss, self.train, self.ranks, backward=True)
            self.ranks.sum_gradients(self.model)
            self.history.evaluations += 1
            best.offer(value.item(), self.model)  # every evaluation is at the parameters of the moment
            return value

        while self.used() < 1:
            try:
                value = optimizer.step(closure)
            except _OutOfTime:  # every evaluation was offered to best: nothing is lost
                self.history.polish_loss.append(best.loss)
                break
            if not math.isfinite(value.item()):
                break
            self.history.polish_loss.append(best.loss)
            self.report("L-BFGS", best.loss)
        best.restore(self.model)
        if self.validation is None or self.validation_loss() <= adam_best.loss:
            adam_best.state = best.state
