"""The ranks of a :func:`scalars.nn.fit` run: one process, or a torch.distributed group.

Every rank holds all the data and draws the same minibatches from the same seed; each
takes its share ``indices[rank::world]`` of a minibatch or a full-batch pass, and sums of
losses and gradients over the shares give what one process computes on the whole.
"""

import os

import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel


def ranks(distributed):
    """The :class:`Ranks` that ``distributed`` asks for.

    ``"auto"`` joins the initialised default process group, or initialises one on gloo
    when torchrun's ``WORLD_SIZE`` is above 1, and is one process otherwise. ``True``
    does the same but requires a group; ``False`` is one process.

    Raises
    ------
    ValueError
        If ``distributed=True`` and there is no process group to join or initialise.
    """
    if distributed is not False and dist.is_available():
        if not dist.is_initialized() and int(os.environ.get("WORLD_SIZE", "1")) > 1:
            dist.init_process_group("gloo")
        if dist.is_initialized():
            return Group()
    if distributed is True:
        raise ValueError(
            "distributed=True needs a torch.distributed process group: run under "
            "`torchrun --nproc-per-node N` or call torch.distributed.init_process_group first"
        )
    return Ranks()


class Ranks:
    """One process: rank 0 of 1, every share the whole, every sum the value itself."""

    rank, world = 0, 1

    def share(self, indices):
        """This rank's share ``indices[rank::world]`` of ``indices``."""
        return indices[self.rank :: self.world]

    def wrap(self, model):
        """The module that averages the gradients of the ranks' backward passes."""
        return model

    def sum(self, value):
        """``value`` (a tensor) summed over the ranks, detached."""
        return value.detach()

    def sum_gradients(self, model):
        """Sum the gradients of ``model`` over the ranks, in place."""

    def latest(self, value):
        """The largest of the ranks' ``value`` (a float), so that all take one decision."""
        return value

    def seed(self, seed):
        """Rank 0's ``seed``."""
        return seed


class Group(Ranks):
    """The ranks of the default torch.distributed process group."""

    def __init__(self):
        self.rank, self.world = dist.get_rank(), dist.get_world_size()

    def wrap(self, model):
        return DistributedDataParallel(model)

    def sum(self, value):
        value = value.detach().clone()
        dist.all_reduce(value)
        return value

    def sum_gradients(self, model):
        for parameter in model.parameters():
            if parameter.grad is None:
                parameter.grad = torch.zeros_like(parameter)
            dist.all_reduce(parameter.grad)

    def latest(self, value):
        value = torch.tensor(value, dtype=torch.float64)
        dist.all_reduce(value, op=dist.ReduceOp.MAX)
        return value.item()

    def seed(self, seed):
        seed = torch.tensor(seed, dtype=torch.int64)
        dist.broadcast(seed, 0)
        return int(seed.item())

