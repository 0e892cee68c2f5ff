"""scalars.nn.fit on two torchrun ranks (gloo, localhost) against one process."""

import os
from pathlib import Path

import numpy as np
import pytest
import torch

import scalars
from scalars.bench import ddp

# 301 samples: 30 validate and 271 train. Batches of 54 split evenly over two ranks, but for
# a last batch of one sample (rank 1 has none); batches of 45 do not split evenly.
SAMPLES, EPOCHS, POLISH = 301, 4, 0.2


@pytest.fixture(scope="module", params=[54, 45], ids=["divisible", "not-divisible"])
def runs(request, tmp_path_factory):
    """The results of one process and of two ranks, and what the torchrun job printed."""
    out = tmp_path_factory.mktemp("ddp") / "ranks.npz"
    argv = ["--samples", str(SAMPLES), "--batch-size", str(request.param), "--epochs", str(EPOCHS),
            "--polish", str(POLISH), "--out", str(out)]
    env = {**os.environ, "PYTHONPATH": str(Path(scalars.__file__).parents[1])}
    job = ddp.torchrun(argv, env=env)
    one = ddp.train(SAMPLES, request.param, EPOCHS, POLISH, distributed=False)
    return one, dict(np.load(out)), job.stdout


def test_two_ranks_train_as_one_process(runs):
    one, two, _ = runs
    assert len(one["train_loss"]) == EPOCHS and len(one["polish_loss"]) >= 1
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
