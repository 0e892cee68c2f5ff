"""scalars.nn.fit on two torchrun ranks (gloo, localhost) against one process."""

import os
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp

import scalars
from scalars import EquivariantMLPRegressor
from scalars.bench import ddp
from scalars.datasets import O5Synthetic

# 350 samples: 35 validate and 315 train, in batches of 54 that two ranks split evenly and
# a last one of 45 that they do not.
SAMPLES, BATCH, EPOCHS, POLISH = 350, 54, 4, 0.2


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """The results of one process and of two torchrun ranks, and what the ranks printed."""
    out = tmp_path_factory.mktemp("ddp") / "ranks.npz"
    argv = ["--samples", str(SAMPLES), "--batch-size", str(BATCH), "--epochs", str(EPOCHS),
            "--polish", str(POLISH), "--out", str(out)]
    env = {**os.environ, "PYTHONPATH": str(Path(scalars.__file__).parents[1])}
    job = ddp.torchrun(argv, env=env)
    one = ddp.train(SAMPLES, BATCH, EPOCHS, POLISH, distributed=False)
    return one, dict(np.load(out)), job.stdout


def test_two_ranks_train_as_one_process(runs):
    one, two, _ = runs
    assert len(one["train_loss"]) == EPOCHS and len(one["polish_loss"]) >= 1
    assert 315 % BATCH % 2 == 1 and BATCH % 2 == 0
    difference = ddp.max_difference(one, two)
    assert max(difference.values()) < 1e-12, difference


def test_only_rank_zero_reports(runs):
    *_, stdout = runs
    assert [line for line in stdout.splitlines() if line.strip()] == [stdout.strip()]
    assert stdout.startswith("rank 0 of 2:")


def test_distributed_true_needs_a_process_group():
    head = torch.nn.Linear(2, 1).double()
    X, y = torch.zeros(8, 2, dtype=torch.float64), torch.zeros(8, 1, dtype=torch.float64)
    with pytest.raises(ValueError, match="distributed=True needs a torch.distributed process group"):
        scalars.nn.fit(head, X, y, max_epochs=1, progress=False, distributed=True)


def _estimator():
    """On 120 samples: 108 train, in a batch of 107 and a last one of one sample, none for rank 1."""
    return EquivariantMLPRegressor(group="O(5)", layout="2T1", hidden_layer_sizes=(16,), max_epochs=3, batch_size=107)


def _fit_on_rank(rank, port, out):
    """A spawned rank: join a process group, fit the estimator with a seed of its own."""
    torch.set_num_threads(1)
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=2)
    np.random.seed(rank)  # random_state=None draws the seed from numpy: rank 0's must win
    data = O5Synthetic(120, seed=1)
    np.save(out / f"rank{rank}.npy", _estimator().fit(data.X, data.y).predict(data.X))
    dist.destroy_process_group()


def test_estimator_fits_in_an_initialised_process_group(tmp_path):
    mp.spawn(_fit_on_rank, args=(ddp.free_port(), tmp_path), nprocs=2)
    np.random.seed(0)
    data = O5Synthetic(120, seed=1)
    expected = _estimator().fit(data.X, data.y).predict(data.X)
    for rank in range(2):
        np.testing.assert_allclose(np.load(tmp_path / f"rank{rank}.npy"), expected, rtol=0, atol=1e-12)
