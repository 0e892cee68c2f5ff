"""Check that every peer package of .venv-peers imports and runs a small problem; print versions as JSON.

``make peers`` runs it last, so that an environment that installs but cannot run fails
there and not in the middle of a benchmark. It does not import scalars.
"""

import json
import os
import sys
import warnings
from importlib.metadata import version

os.environ.setdefault("JAX_PLATFORMS", "cpu")
warnings.filterwarnings("ignore")


def check_emlp():
    from emlp.groups import SO
    from emlp.reps import V

    assert (V >> V)(SO(3)).equivariant_basis().shape == (9, 1)


def check_pint():
    import pint

    assert len(pint.pi_theorem({"T": "[time]", "L": "[length]", "g": "[length]/[time]**2"})) == 1


def check_pysindy():
    import numpy as np
    import pysindy

    t = np.linspace(0, 1, 101)
    model = pysindy.SINDy().fit(np.exp(-t)[:, None], t=t[1] - t[0])
    assert abs(model.coefficients()[0, 1] + 1) < 1e-2  # dx/dt = -x


def check_e2cnn():
    import torch
    from e2cnn import gspaces, nn

    space = gspaces.Rot2dOnR2(N=4)
    conv = nn.R2Conv(nn.FieldType(space, [space.trivial_repr]), nn.FieldType(space, [space.regular_repr]), 3)
    assert conv(nn.GeometricTensor(torch.zeros(1, 1, 8, 8), conv.in_type)).tensor.shape == (1, 4, 6, 6)


def main():
    checks = {"emlp": check_emlp, "pint": check_pint, "pysindy": check_pysindy, "e2cnn": check_e2cnn}
    for check in checks.values():
        check()
    json.dump({name: version(name) for name in [*checks, "jax", "jaxlib", "objax", "numpy", "torch"]}, sys.stdout)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
