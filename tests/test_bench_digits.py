"""The rotated-digits benchmark: its 8 test orientations and its choice of rows."""

import numpy as np
import pytest

from scalars.bench import digits


def test_orientations_are_the_eight_turns_and_flips_about_the_middle():
    image = np.arange(16.0).reshape(1, 4, 4)
    turned = digits.orientations(image)
    expected = [np.rot90(image, k, axes=(1, 2)) for k in range(4)] + [np.rot90(image[:, ::-1], k, axes=(1, 2)) for k in range(4)]
    assert sorted(t.tobytes() for t in turned) == sorted(e.tobytes() for e in expected)


def test_unknown_rows_are_refused_by_name(capsys):
    with pytest.raises(SystemExit):
        digits.main(["--models", "group,bogus"])
    assert "unknown bogus" in capsys.readouterr().err
