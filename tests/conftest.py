"""Test-session settings shared by every test module."""

import torch

# pytest-xdist already runs one worker per core; intra-op threads on top of that only
# oversubscribe the two cores and make timings noisy.
torch.set_num_threads(1)
