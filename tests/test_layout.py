import numpy as np
import pytest

from scalars.layout import Layout


@pytest.mark.parametrize(
    "spec, ranks",
    [("5T0+5T1", (0,) * 5 + (1,) * 5), ("T1+2T0+T1", (1, 0, 0, 1)), (" 3 t1 ", (1, 1, 1))],
)
def test_parse(spec, ranks):
    layout = Layout.parse(spec)
    assert layout.ranks == ranks
    assert Layout.parse(str(layout)) == layout


@pytest.mark.parametrize("spec", ["", "5T2", "T0++T1", "5x1", None, 3])
def test_parse_rejects(spec):
    with pytest.raises(ValueError, match="layout"):
        Layout.parse(spec)


def test_split_interleaved():
    layout = Layout.parse("T1+2T0+T1")
    X = np.arange(2 * 8).reshape(2, 8)
    scalars, vectors = layout.split(X, 3)
    np.testing.assert_array_equal(scalars, X[:, [3, 4]])
    np.testing.assert_array_equal(vectors, np.stack([X[:, 0:3], X[:, 5:8]], axis=1))


def test_split_wrong_width_names_the_layout():
    with pytest.raises(ValueError, match=r"layout '2T0\+1T1' with 3-dimensional vectors describes 5 columns.*X has 6"):
        Layout.parse("2T0+T1").split(np.zeros((1, 6)), 3)
