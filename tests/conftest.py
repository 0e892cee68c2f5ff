"""Test-session settings shared by every test module."""

import pytest
import torch

# pytest-xdist already runs one worker per core; intra-op threads on top of that only
# oversubscribe the two cores and make timings noisy.
torch.set_num_threads(1)


@pytest.fixture(autouse=True, scope="session")
def private_data_cache(tmp_path_factory):
    """Cached data sets go to a directory of this test session, never the user's cache."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SCALARS_CACHE", str(tmp_path_factory.mktemp("cache")))
        yield


@pytest.fixture(autouse=True)
def one_torch_thread():
    """Restore one torch thread after commands under test (benchmarks) change it."""
    yield
    torch.set_num_threads(1)
