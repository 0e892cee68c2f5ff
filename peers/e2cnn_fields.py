"""e2cnn 0.2.3: a D4 steerable CNN of regular fields trained on gravity fields, printed as JSON.

A standalone peer runner for ``python -m scalars bench fields``: it runs in the peers
environment (``make peers``) and does not import scalars.

    python peers/e2cnn_fields.py DATA.npz OUT.npz [--steps 400] [--seed 0] [--fields 2]

DATA.npz holds ``X_train`` (n, 1, 16, 16) mass images and ``y_train`` (n, 1, 16, 16, 2) their
(scaled) vector fields, and ``X_eval`` (m, 1, 16, 16). The model is four ``R2Conv`` layers of
``FlipRot2dOnR2(N=4)`` (the group D4 of the grid), 3 x 3 filters, dilations 1, 2, 4, 1,
circular padding, ``--fields`` regular fields (8 channels each) in the hidden layers with
ReLU, from one trivial field (the masses) to one vector field (``irrep(1, 1)``, whose two
channels are the components along the first and second grid axis). It is trained as the
benchmark's models are (``scalars.nn.fit``): float64, a 10% validation split, Adam at 3e-3
decaying on a cosine to 1% of it, batches of 16, ``ceil(steps * 16 / n)`` epochs, the weights
of the epoch of lowest validation loss. OUT.npz receives ``y_eval`` (m, 1, 16, 16, 2); the
JSON gives the parameter count, the seconds of training and the versions.
"""

import argparse
import copy
import json
import math
import time
from importlib.metadata import version

import numpy as np
import torch


def model(fields):
    from e2cnn import gspaces
    from e2cnn import nn as enn

    space = gspaces.FlipRot2dOnR2(N=4)
    types = [enn.FieldType(space, [space.trivial_repr])] + [enn.FieldType(space, fields * [space.regular_repr])] * 3
    types.append(enn.FieldType(space, [space.irrep(1, 1)]))
    layers = []
    for k, dilation in enumerate((1, 2, 4, 1)):
        layers.append(enn.R2Conv(types[k], types[k + 1], 3, padding=dilation, dilation=dilation, padding_mode="circular"))
        if k < 3:
            layers.append(enn.ReLU(types[k + 1]))
    return enn.SequentialModule(*layers), types[0]


def train(net, in_type, X, y, steps, seed, batch=16, learning_rate=3e-3):
    from e2cnn import nn as enn

    generator = torch.Generator().manual_seed(seed)
    order = torch.randperm(len(X), generator=generator)
    n_val = int(round(0.1 * len(X))) if len(X) >= 10 else 0
    val, fit = order[:n_val], order[n_val:]
    epochs = math.ceil(steps * batch / len(X))
    per_epoch = math.ceil(len(fit) / batch)
    optimiser = torch.optim.Adam(net.parameters(), lr=learning_rate)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimiser, epochs * per_epoch, eta_min=0.01 * learning_rate)
    forward = lambda x: net(enn.GeometricTensor(x, in_type)).tensor.permute(0, 2, 3, 1)[:, None]  # (b, 1, n, n, 2)
    best, best_state = math.inf, copy.deepcopy(net.state_dict())
    for _ in range(epochs):
        net.train()
        for start in range(0, len(fit), batch):
            rows = fit[start : start + batch]
            optimiser.zero_grad()
            loss = torch.mean((forward(X[rows]) - y[rows]) ** 2)
            loss.backward()
            optimiser.step()
            schedule.step()
        fit = fit[torch.randperm(len(fit), generator=generator)]
        if n_val:
            net.eval()
            with torch.no_grad():
                score = float(torch.mean((forward(X[val]) - y[val]) ** 2))
            if score < best:
                best, best_state = score, copy.deepcopy(net.state_dict())
    if n_val:
        net.load_state_dict(best_state)
    net.eval()
    return forward


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("data")
    parser.add_argument("out")
    parser.add_argument("--steps", type=int, default=400)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--fields", type=int, default=2)
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    data = np.load(args.data)
    X, y = torch.tensor(data["X_train"], dtype=torch.float64), torch.tensor(data["y_train"], dtype=torch.float64)
    torch.manual_seed(args.seed)
    net, in_type = model(args.fields)
    net = net.double()
    started = time.perf_counter()
    forward = train(net, in_type, X, y, args.steps, args.seed)
    seconds = time.perf_counter() - started
    with torch.no_grad():
        y_eval = forward(torch.tensor(data["X_eval"], dtype=torch.float64)).numpy()
    np.savez(args.out, y_eval=y_eval)
    parameters = sum(p.numel() for p in net.parameters())
    print(json.dumps({"parameters": parameters, "seconds": seconds, "e2cnn": version("e2cnn"), "torch": torch.__version__}))


if __name__ == "__main__":
    main()
