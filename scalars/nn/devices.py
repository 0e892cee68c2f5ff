"""The one reading of a ``device=`` argument, shared by every torch module and estimator.

No benchmark of this package has been run on a GPU yet: ``"cuda"`` is threaded through
and tested without CUDA (on the ``meta`` device and with a mocked
``torch.cuda.is_available``), not measured.
"""

import torch

__all__ = ["DEVICES", "resolve_device"]

DEVICES = ("cpu", "cuda", "auto")


def resolve_device(device, name="device"):
    """The :class:`torch.device` meant by a ``device=`` argument.

    Parameters
    ----------
    device : {"cpu", "cuda", "auto"}, str or torch.device
        ``"auto"`` is ``"cuda"`` when CUDA is available and ``"cpu"`` otherwise; any other
        string torch reads as a device (``"cuda:1"``, ``"meta"``) is taken as it is.
    name : str, default="device"
        The argument's name in error messages (e.g. ``"EMLP: device"``).

    Returns
    -------
    torch.device

    Raises
    ------
    ValueError
        For a string torch does not read as a device, or a CUDA device without CUDA.
    TypeError
        For anything but a string or a ``torch.device``.
    """
    if isinstance(device, torch.device):
        resolved = device
    elif isinstance(device, str):
        if device == "auto":
            return torch.device("cuda" if torch.cuda.is_available() else "cpu")
        try:
            resolved = torch.device(device)
        except RuntimeError:
            raise ValueError(f"{name} must be one of {DEVICES} or a torch device, got {device!r}") from None
    else:
        raise TypeError(f"{name} must be one of {DEVICES} or a torch.device, got {type(device).__name__} {device!r}")
    if resolved.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(
            f"{name}={device!r} but CUDA is not available here (torch {torch.__version__}); use 'cpu' or 'auto'"
        )
    return resolved
