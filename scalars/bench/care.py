"""CARE on digits: augmentations that act on the embeddings by orthogonal maps (Gupta et al., ICLR 2024).

Part of ``python -m scalars bench approximate --care``. A small encoder (an MLP
64-128-128-16, :func:`scalars.nn.mlp`) embeds scikit-learn's 8x8 digits; the eight
rotations and flips of the square (D4) are the augmentations ``a``. Three losses, each
:func:`scalars.nn.care_loss` with two noisy views of a batch as positives:

- ``invariance to D4``: the views also rotated and flipped at random (a SimCLR-style
  invariance-only loss, ``strength=0``): the embedding forgets the orientation, so a 6
  and a 9 may look alike;
- ``noise views only``: no rotations in the views and ``strength=0``;
- ``CARE``: no rotations in the views, and the equivariance term (``strength=10``) asks one
  random ``a`` per step to keep the embeddings' inner products, i.e. to act by an
  orthogonal map ``R_a``.

Reported: the accuracy of a linear probe (logistic regression on the unit embeddings of
the encoder's 1000 training images, tested on the other 797), and per model how close
the maps ``R_a`` (least squares ``f(a x) ~ R_a f(x)`` on the test images' unit embeddings)
are to orthogonal, ``|R_a^T R_a - I|_F / |I|_F``, with the relative residual of that fit,
each the mean over the seven non-identity elements.
"""

import time

import numpy as np

__all__ = ["LOSSES", "run", "table"]

# loss -> (rotate and flip the views, strength of the equivariance term)
LOSSES = {"invariance to D4": (True, 0.0), "noise views only": (False, 0.0), "CARE": (False, 10.0)}
N_TRAIN, NOISE, EMBEDDING = 1000, 0.15, 16


def dihedral(images, element):
    """Element ``element`` (0-7: ``k = element % 4`` quarter turns, then a flip if ``element >= 4``) of D4 on (n, 8, 8)."""
    import torch

    out = torch.rot90(images, element % 4, dims=(-2, -1))
    return torch.flip(out, dims=(-1,)) if element >= 4 else out


def _views(images, rotate, generator):
    """A noisy view of each image (n, 64), rotated and flipped at random if ``rotate``."""
    import torch

    out = images
    if rotate:
        elements = torch.randint(8, (len(images),), generator=generator)
        out = torch.stack([dihedral(images, element) for element in range(8)])[elements, torch.arange(len(images))]
    return (out + NOISE * torch.randn(out.shape, generator=generator, dtype=out.dtype)).reshape(len(images), 64)


def _train(loss_name, images, seed, steps, batch_size=128):
    import torch

    from scalars.nn import care_loss, mlp

    torch.manual_seed(seed)
    generator = torch.Generator().manual_seed(seed)
    encoder = mlp(64, EMBEDDING, hidden=(128, 128)).double()
    optimizer = torch.optim.Adam(encoder.parameters(), lr=1e-3)
    rotate, strength = LOSSES[loss_name]
    for _ in range(steps):
        batch = images[torch.randint(len(images), (batch_size,), generator=generator)]
        element = int(torch.randint(1, 8, (), generator=generator))
        terms = care_loss(encoder(_views(batch, rotate, generator)), encoder(_views(batch, rotate, generator)),
                          encoder(dihedral(batch, element).reshape(batch_size, 64)), strength=strength)
        optimizer.zero_grad()
        terms["total"].backward()
        optimizer.step()
    return encoder


def _embed(encoder, images):
    import torch

    with torch.no_grad():
        return torch.nn.functional.normalize(encoder(images.reshape(len(images), 64)), dim=1).numpy()


def _orthogonality(encoder, images):
    """Mean over the non-identity elements of ``|R^T R - I|_F / sqrt(m)`` and the fit's relative residual."""
    z = _embed(encoder, images)
    defects, residuals = [], []
    for element in range(1, 8):
        moved = _embed(encoder, dihedral(images, element))
        R = np.linalg.lstsq(z, moved, rcond=None)[0].T
        defects.append(np.linalg.norm(R.T @ R - np.eye(EMBEDDING)) / np.sqrt(EMBEDDING))
        residuals.append(np.linalg.norm(z @ R.T - moved) / np.linalg.norm(moved))
    return float(np.mean(defects)), float(np.mean(residuals))


def _probe(encoder, images, labels):
    from sklearn.linear_model import LogisticRegression

    z = _embed(encoder, images)
    probe = LogisticRegression(max_iter=3000).fit(z[:N_TRAIN], labels[:N_TRAIN])
    return float(probe.score(z[N_TRAIN:], labels[N_TRAIN:]))


def run(seeds=(0, 1, 2), losses=tuple(LOSSES), steps=1500, progress=True):
    """Train an encoder per loss and seed; the images shuffled by the seed.

    Returns
    -------
    pandas.DataFrame
        Columns loss, seed, probe_accuracy, orthogonality_defect, fit_residual, seconds.
    """
    import pandas as pd
    import torch
    from sklearn.datasets import load_digits

    digits = load_digits()
    rows = []
    for seed in seeds:
        order = np.random.default_rng(seed).permutation(len(digits.target))
        images = torch.as_tensor(digits.images[order] / 16.0)
        labels = digits.target[order]
        for name in losses:
            started = time.perf_counter()
            encoder = _train(name, images[:N_TRAIN], seed, steps)
            defect, residual = _orthogonality(encoder, images[N_TRAIN:])
            rows.append(dict(loss=name, seed=seed, probe_accuracy=_probe(encoder, images, labels), orthogonality_defect=defect,
                             fit_residual=residual, seconds=time.perf_counter() - started))
            if progress:
                print(f"seed {seed} {name}: probe accuracy {rows[-1]['probe_accuracy']:.3f}, |R^T R - I| {defect:.3f}, "
                      f"fit residual {residual:.3f} ({rows[-1]['seconds']:.0f} s)", flush=True)
    return pd.DataFrame(rows)


def table(results):
    """A Markdown table: per loss the mean [min, max] probe accuracy over seeds and the mean defects."""
    lines = ["| loss | linear-probe accuracy | \\|R_a^T R_a - I\\| / \\|I\\| | residual of f(a x) ~ R_a f(x) | seconds |",
             "|---|---|---|---|---|"]
    for name, group in results.groupby("loss", sort=False):
        accuracy = group["probe_accuracy"]
        lines.append(f"| {name} | {accuracy.mean():.3f} [{accuracy.min():.3f}, {accuracy.max():.3f}] | "
                     f"{group['orthogonality_defect'].mean():.3f} | {group['fit_residual'].mean():.3f} | {group['seconds'].median():.0f} |")
    return "\n".join(lines)
