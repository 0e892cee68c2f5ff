"""The projection of any linear map onto the equivariant ones (Huang, Levie and Villar, NeurIPS 2023).

``Psi_G(W) = E_g rho_out(g) W rho_in(g)^-1`` is the group average of a linear map
``W: rep_in -> rep_out``. It is exactly equivariant, it fixes the maps that already are,
and for orthogonal representations (every finite group of the package, O(d), SO(d), U(d)
on real columns) it is the orthogonal projection, in the Frobenius inner product
``<A, B> = trace(A^T B)``, onto the span of :func:`~scalars.reps.equivariant_basis`.

>>> import numpy as np
>>> from scalars.reps import T, project_equivariant
>>> V = T(1)("S(3)")
>>> project_equivariant(np.arange(9.0).reshape(3, 3), V, V)   # a I + b 1 1^T
array([[4., 4., 4.],
       [4., 4., 4.],
       [4., 4., 4.]])
"""

import numpy as np

from scalars.reps.base import check_rep_pair
from scalars.reps.solver import equivariant_basis

__all__ = ["project_equivariant", "risk_gap"]

_METHODS = ("auto", "average", "basis")


def project_equivariant(W, rep_in, rep_out, method="auto"):
    """The equivariant part ``Psi_G(W)`` of linear maps ``W: rep_in -> rep_out``.

    Parameters
    ----------
    W : array-like of shape (rep_out.size, rep_in.size) or (..., rep_out.size, rep_in.size)
        One map or a batch of them, acting on flat columns (``y = W x``).
    rep_in, rep_out : Rep
        Representations of one group.
    method : {"auto", "average", "basis"}, default="auto"
        ``"average"``: the exact mean of ``rho_out(g) W rho_in(g)^-1`` over every element
        ``g`` of a finite group whose elements are listed (``group.elements()``).
        ``"basis"``: the orthogonal projection ``Q Q^T vec(W)`` in the Frobenius inner
        product, with ``Q`` the orthonormal columns of
        :func:`~scalars.reps.equivariant_basis` (``vec`` row-major), for any group.
        ``"auto"``: the average when the group lists its elements, else the basis. The two
        agree when the representations are orthogonal (the average is then self-adjoint);
        for a non-orthogonal one (the Lorentz group, which has no finite Haar measure) the
        basis projection is the Frobenius-orthogonal one.

    Returns
    -------
    ndarray of the shape of ``W``, float64
        Equivariant maps: ``rho_out(g) P = P rho_in(g)`` for every ``g``.

    Raises
    ------
    TypeError
        If ``rep_in`` or ``rep_out`` is not a Rep.
    ValueError
        If the reps are of different groups (or unbound), ``W`` has the wrong shape,
        ``method`` is unknown, or ``method="average"`` for a group without a list of elements.

    Examples
    --------
    >>> from scalars.reps import T
    >>> V = T(1)("O(3)")
    >>> P = project_equivariant(np.diag([1.0, 2.0, 6.0]), V, V)   # the trace / 3 times I
    >>> np.allclose(P, 3 * np.eye(3))
    True
    """
    W = _check_maps(W, rep_in, rep_out)
    if method not in _METHODS:
        raise ValueError(f"project_equivariant: method must be one of {_METHODS}, got {method!r}")
    elements = _listed_elements(rep_in.group) if method != "basis" else None
    if method == "average" and elements is None:
        raise ValueError(
            f"project_equivariant: method='average' needs a finite group that lists its elements; "
            f"{rep_in.group.name} does not, use method='basis'"
        )
    if elements is None:
        return _basis_projection(W, rep_in, rep_out)
    return _group_average(W, rep_in, rep_out, elements)


def _check_maps(W, rep_in, rep_out):
    """``W`` as float64, checked against two reps of one group."""
    check_rep_pair("project_equivariant", rep_in, rep_out)
    W = np.asarray(W, dtype=np.float64)
    expected = (rep_out.size, rep_in.size)
    if W.ndim < 2 or W.shape[-2:] != expected:
        raise ValueError(
            f"project_equivariant: W must have shape (..., rep_out.size, rep_in.size) = (..., {expected[0]}, "
            f"{expected[1]}), got {W.shape}"
        )
    return W


def _listed_elements(group):
    """Every element of ``group`` (one per entry), or None if it does not list them."""
    if not group.is_finite:
        return None
    try:
        elements = group.elements()
    except ValueError:  # too many to list (S(n) beyond 8!)
        return None
    return list(zip(*elements)) if isinstance(elements, tuple) else list(elements)


def _group_average(W, rep_in, rep_out, elements):
    outs = np.stack([rep_out.rho(g) for g in elements])
    inverses = np.linalg.inv(np.stack([rep_in.rho(g) for g in elements]))
    return np.einsum("goa,...ab,gbi->...oi", outs, W, inverses) / len(elements)


def _basis_projection(W, rep_in, rep_out):
    Q = equivariant_basis(rep_in, rep_out)
    flat = W.reshape(W.shape[:-2] + (-1,))
    return ((flat @ Q) @ Q.T).reshape(W.shape)


def risk_gap(n_samples, rep_in, rep_out, noise_variance, target=None, input_covariance=None):
    """Expected risk of least squares minus that of its projection ``Psi_G`` (Huang, Levie and Villar 2023).

    For ``y = theta x + noise`` with inputs ``x ~ N(0, I)`` of ``rep_in`` (d columns),
    outputs of ``rep_out`` (k columns), noise ``N(0, sigma^2 I_k)`` and the least-squares
    map ``W`` from ``n > d + 1`` samples, the excess risk ``E |(W - theta) x|^2`` of ``W``
    is ``sigma^2 k d / (n - d - 1)``, of which ``Psi_G`` keeps the share
    ``dim / (k d)`` (``dim``: the dimension of the equivariant maps) and to which it adds
    the bias ``|theta - Psi_G(theta)|_F^2``:

    ``E[R(W)] - E[R(Psi_G(W))] = sigma^2 (k d - dim) / (n - d - 1) - |theta - Psi_G(theta)|_F^2``.

    Positive: the symmetry pays (its variance saving beats the bias); the smaller the
    group, the smaller both terms. Valid for orthogonal representations (the projection
    then is orthogonal), e.g. any finite group or subgroup of ``S(n)``.

    With inputs ``x ~ N(0, Sigma)`` and noise ``N(0, S)`` (real data: the second moment of
    the inputs and the covariance of the residuals) the same computation gives, with ``P``
    the projection on row-major ``vec(W)``,

    ``(tr(S) d - tr((I (x) Sigma) P (S (x) Sigma^-1) P)) / (n - d - 1) - tr(B Sigma B^T)``,
    ``B = theta - Psi_G(theta)``, which is the formula above when ``Sigma = I``, ``S = sigma^2 I``.

    Parameters
    ----------
    n_samples : int
        Training samples ``n > d + 1``.
    rep_in, rep_out : Rep
    noise_variance : float or array-like of shape (rep_out.size, rep_out.size)
        ``sigma^2 >= 0``, or the noise covariance ``S`` (symmetric positive semi-definite).
    target : array-like of shape (rep_out.size, rep_in.size), optional
        ``theta``; None for an equivariant one (no bias).
    input_covariance : array-like of shape (rep_in.size, rep_in.size), optional
        ``Sigma`` (symmetric positive definite); None for the identity.

    Returns
    -------
    float

    Raises
    ------
    ValueError
        If ``n_samples <= d + 1`` (the expected risk of least squares is infinite),
        ``noise_variance`` is negative or not a covariance, ``input_covariance`` is not
        positive definite, or the reps or ``target`` are invalid.

    Examples
    --------
    >>> from scalars.reps import T
    >>> V = T(1)("S(4)")                       # 16 maps, 2 of them equivariant
    >>> risk_gap(20, V, V, noise_variance=1.0)
    0.9333333333333333
    """
    target = np.zeros((rep_out.size, rep_in.size)) if target is None else target
    bias = target - project_equivariant(target, rep_in, rep_out)  # validates the reps and the shape
    d, k = rep_in.size, rep_out.size
    if int(n_samples) != n_samples or n_samples <= d + 1:
        raise ValueError(f"risk_gap: n_samples must be an integer above d + 1 = {d + 1}, got {n_samples!r}")
    if np.ndim(noise_variance) == 0 and input_covariance is None:
        if not noise_variance >= 0:
            raise ValueError(f"risk_gap: noise_variance must be >= 0, got {noise_variance!r}")
        dim = equivariant_basis(rep_in, rep_out).shape[1]
        return float(noise_variance * (k * d - dim) / (n_samples - d - 1) - np.sum(bias**2))
    noise = _covariance("noise_variance", noise_variance, k, definite=False)
    inputs = np.eye(d) if input_covariance is None else _covariance("input_covariance", input_covariance, d, definite=True)
    maps = equivariant_basis(rep_in, rep_out).T.reshape(-1, k, d)  # orthonormal equivariant maps W_j
    # tr((I (x) Sigma) P (S (x) Sigma^-1) P) = tr(A C) with A_jl = <W_j, W_l Sigma>, C_jl = <W_j, S W_l Sigma^-1>
    A = np.einsum("joi,loi->jl", maps, maps @ inputs)
    C = np.einsum("joi,loi->jl", maps, noise @ maps @ np.linalg.inv(inputs))
    variance = np.trace(noise) * d - np.sum(A * C.T)
    return float(variance / (n_samples - d - 1) - np.trace(bias @ inputs @ bias.T))


def _covariance(name, value, size, definite):
    """``value`` as a float64 (size, size) covariance: a scalar times the identity, or a symmetric matrix."""
    matrix = np.asarray(value, dtype=np.float64)
    matrix = matrix * np.eye(size) if matrix.ndim == 0 else matrix
    if matrix.shape != (size, size) or not np.allclose(matrix, matrix.T):
        raise ValueError(f"risk_gap: {name} must be a number or a symmetric ({size}, {size}) matrix, got shape {matrix.shape}")
    smallest = np.linalg.eigvalsh(matrix)[0]
    if not (smallest > 0 if definite else smallest >= -1e-12 * max(1.0, np.abs(matrix).max())):
        kind = "positive definite" if definite else "positive semi-definite (a variance >= 0)"
        raise ValueError(f"risk_gap: {name} must be {kind}; its smallest eigenvalue is {smallest:.3g}")
    return matrix
