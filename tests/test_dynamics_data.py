import numpy as np
import pytest

from scalars.dynamics import DoubleSpringPendulum, pendulum_data


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("SCALARS_CACHE", str(tmp_path))
    return tmp_path


def test_protocol_shapes_and_chunks_lie_on_true_trajectories():
    data = pendulum_data(20, 3, seed=1)
    assert data.train.shape == (20, 5, 12) and data.test.shape == (3, 150, 12)
    np.testing.assert_allclose(data.t_chunk, [0, 0.2, 0.4, 0.6, 0.8])
    assert data.t[-1] == pytest.approx(29.8)
    system = DoubleSpringPendulum.emlp()
    np.testing.assert_allclose(system.trajectory(data.train[:, 0], data.t_chunk), data.train, atol=1e-8)
    # the chunks start at random aligned times, not all at the initial state
    assert np.std(data.train[:, 0, 2]) > 0.3


def test_rerun_is_identical_and_cached(private_cache):
    first = pendulum_data(10, 2, seed=3)
    assert len(list(private_cache.glob("pendulum-*.npz"))) == 1
    second = pendulum_data(10, 2, seed=3)
    fresh = pendulum_data(10, 2, seed=3, cache=False)
    assert first.checksum == second.checksum == fresh.checksum
    np.testing.assert_array_equal(first.test, fresh.test)
    assert pendulum_data(10, 2, seed=4, cache=False).checksum != first.checksum


def test_more_test_trajectories_do_not_change_the_training_data():
    np.testing.assert_array_equal(pendulum_data(10, 2, cache=False).train, pendulum_data(10, 5, cache=False).train)


def test_corrupt_cache_is_detected_and_regenerated(private_cache):
    good = pendulum_data(10, 2, seed=5)
    (path,) = private_cache.glob("pendulum-*.npz")
    with np.load(path) as stored:
        arrays = dict(stored)
    arrays["train"][0, 0, 0] += 1.0
    np.savez(path, **arrays)
    with pytest.warns(UserWarning, match="checksum"):
        again = pendulum_data(10, 2, seed=5)
    assert again.checksum == good.checksum


def test_unreadable_cache_is_regenerated(private_cache):
    good = pendulum_data(10, 2, seed=6)
    (path,) = private_cache.glob("pendulum-*.npz")
    path.write_bytes(b"not a zip file")
    with pytest.warns(UserWarning, match="cannot read"):
        again = pendulum_data(10, 2, seed=6)
    assert again.checksum == good.checksum
    assert list(private_cache.glob("*.tmp.npz")) == []


def test_units_variant_and_its_test_settings():
    base = pendulum_data(6, 4, variant="units", cache=False)
    assert np.all((base.train_params >= 1) & (base.train_params <= 2))
    assert np.all((np.linalg.norm(base.train_g, axis=1) >= 1) & (np.linalg.norm(base.train_g, axis=1) <= 2))
    # the pendulum starts hanging roughly along g
    down = base.test_g / np.linalg.norm(base.test_g, axis=1, keepdims=True)
    assert np.all(np.einsum("ni,ni->n", base.test[:, 0, 3:6], down) > 2)
    rescaled = pendulum_data(6, 4, variant="units", test="rescaled-masses", cache=False)
    factor = rescaled.test_params[:, 0] / base.test_params[:, 0]
    assert np.all((factor >= 3) & (factor <= 7))
    np.testing.assert_allclose(rescaled.test_params[:, 2:4] / base.test_params[:, 2:4], factor[:, None] * [1, 1])
    np.testing.assert_allclose(rescaled.test_params[:, 4:], base.test_params[:, 4:])
    # rescaling every mass-carrying quantity leaves positions unchanged and scales momenta
    np.testing.assert_allclose(rescaled.test[..., :6], base.test[..., :6], atol=1e-7)
    np.testing.assert_allclose(rescaled.test[..., 6:], base.test[..., 6:] * factor[:, None, None], atol=1e-6)
    wide = pendulum_data(6, 50, variant="units", test="wide-parameters", duration=1.0, cache=False)
    assert wide.test_params.max() > 2 and wide.test_params.min() >= 1 and wide.test_params.max() <= 5


def test_bad_settings_are_rejected():
    with pytest.raises(ValueError, match="variant"):
        pendulum_data(2, 2, variant="triple", cache=False)
    with pytest.raises(ValueError, match="units"):
        pendulum_data(2, 2, test="rescaled-masses", cache=False)


@pytest.mark.parametrize(
    "settings, error, name",
    [
        (dict(n_train=0), ValueError, "n_train"),
        (dict(n_train=2.5), TypeError, "n_train"),
        (dict(n_test=-1), ValueError, "n_test"),
        (dict(chunk_len=0), ValueError, "chunk_len"),
        (dict(dt=0), ValueError, "dt"),
        (dict(dt=-0.1), ValueError, "dt"),
        (dict(dt=np.nan), ValueError, "dt"),
        (dict(duration=np.inf), ValueError, "duration"),
        (dict(duration="30"), TypeError, "duration"),
        (dict(seed=-1), ValueError, "seed"),
        (dict(chunk_len=20, duration=1.0), ValueError, "chunk_len"),
    ],
)
def test_bad_sizes_and_times_name_the_argument(settings, error, name, time_limit):
    with time_limit(10), pytest.raises(error, match=rf"\b{name}\b"):
        pendulum_data(**{**dict(n_train=2, n_test=1, duration=2.0, cache=False), **settings})
