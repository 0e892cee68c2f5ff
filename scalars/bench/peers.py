"""The peers environment: where ``make peers`` installs the peer packages, and how a
benchmark runs a peer beside our code.

``make peers`` creates ``.venv-peers`` at the repository root with ``emlp`` 1.0.3 and the
jax stack it needs, ``pint`` and ``pysindy`` (pinned in ``peers/requirements.txt``). A
benchmark that compares against a peer runs a standalone script of ``peers/`` (which never
imports scalars) in that environment as a subprocess, on the same data, in the same
command, and reads its JSON output. Without the environment the peer's row reads
:data:`NOT_RUN`: a benchmark never prints a copied number as a measurement.

The interpreter is ``.venv-peers/bin/python`` beside the package, or the path in the
environment variable ``SCALARS_PEERS_PYTHON``.
"""

import json
import os
import subprocess

import scalars

__all__ = ["PEERS_PYTHON_VARIABLE", "NOT_RUN", "peers_python", "peers_line", "peer_script", "run_peer"]

PEERS_PYTHON_VARIABLE = "SCALARS_PEERS_PYTHON"
NOT_RUN = "not run"


def _repository_root():
    return os.path.dirname(os.path.dirname(os.path.abspath(scalars.__file__)))


def peers_python():
    """The interpreter of the peers environment, or None when there is none.

    Returns
    -------
    str or None
        ``$SCALARS_PEERS_PYTHON`` when set, else ``.venv-peers/bin/python`` at the
        repository root; None when that file is not an executable.
    """
    path = os.environ.get(PEERS_PYTHON_VARIABLE) or os.path.join(_repository_root(), ".venv-peers", "bin", "python")
    return path if os.path.isfile(path) and os.access(path, os.X_OK) else None


def peers_line():
    """One line for a benchmark's header: which interpreter runs the peers, if any."""
    python = peers_python()
    if python is None:
        return f"peers: {NOT_RUN} (no .venv-peers: run `make peers` or set {PEERS_PYTHON_VARIABLE})"
    return f"peers: {python}"


def peer_script(name):
    """The path of the peer runner ``peers/<name>`` at the repository root.

    Raises
    ------
    FileNotFoundError
        When the script is not there (the package was installed without its repository).
    """
    path = os.path.join(_repository_root(), "peers", name)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"peer script {name!r}: no file {path}")
    return path


def run_peer(name, *args, env=None, timeout=None):
    """Run the peer script ``peers/<name>`` in the peers environment; its JSON output.

    Parameters
    ----------
    name : str
        File name of the script in ``peers/``, e.g. ``"emlp_step.py"``.
    *args : str
        Its command-line arguments.
    env : dict, optional
        Variables added to the current environment (e.g. ``PYTHONHASHSEED``).
    timeout : float, optional
        Seconds before the run is abandoned (``subprocess.TimeoutExpired``).

    Returns
    -------
    object or None
        The JSON the script printed on standard output; None when there is no peers
        environment (:func:`peers_python`), so that the caller prints :data:`NOT_RUN`.

    Raises
    ------
    RuntimeError
        When the script exits with an error; the message ends with its standard error.
    """
    python = peers_python()
    if python is None:
        return None
    command = [python, peer_script(name), *map(str, args)]
    done = subprocess.run(command, env={**os.environ, **(env or {})}, capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        raise RuntimeError(f"peer {name} exited with {done.returncode}: {done.stderr[-2000:]}")
    return json.loads(done.stdout)
