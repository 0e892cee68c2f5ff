"""Test-session settings shared by every test module."""

import contextlib
import os
import signal

import pytest
import torch

# pytest-xdist already runs one worker per core; intra-op threads on top of that only
# oversubscribe the two cores and make timings noisy.
torch.set_num_threads(1)

# CI runs the property tests on a fixed sequence of examples, so that a landing does not hang
# on a new random one; locally they keep exploring.
from hypothesis import settings  # noqa: E402

settings.register_profile("ci", derandomize=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


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


class Hang(Exception):
    """A call ran past its time limit."""


@pytest.fixture
def time_limit():
    """``with time_limit(seconds):`` fails the test with :class:`Hang` if the block runs longer.

    SIGALRM interrupts Python code (an adaptive integrator's loop, say) between bytecodes; a
    call stuck inside one C function is only stopped when it returns.
    """

    @contextlib.contextmanager
    def limit(seconds):
        def expire(signum, frame):
            raise Hang(f"still running after {seconds} s")

        previous = signal.signal(signal.SIGALRM, expire)
        signal.setitimer(signal.ITIMER_REAL, seconds)
        try:
            yield
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)

    return limit
