"""A symbolic Hamiltonian of the springy double pendulum, found by sparse regression.

``H = sum_k c_k phi_k`` over a library of O(3) invariants of the state: the Gram entries
of ``(q1, q2, q1 - q2, p1, p2, g)``, the lengths of the separations ``q1, q2, q1 - q2``
and their inverses, and all products of two of those. Hamilton's equations are linear in
the ``c_k``: integrated over a training chunk, ``z(t_j) - z(t_0) = sum_k c_k int J grad
phi_k(z(t)) dt``, with the integrals taken by the quadrature that is exact for
polynomials through the chunk's points. That is one linear least-squares problem, solved
sparsely by :func:`scalars.laws.stlsq` over a path of thresholds, first on the library
without products, then with them. The sparsest model whose residual is within a small
factor of the best is kept (the quadrature over 5 points leaves a floor of about 5e-4 of
the target that more terms can only chase), and its few coefficients are polished on the
rollout loss (Gauss-Newton, each rollout integrated like the test rollouts). The result integrates like any Hamiltonian network:
:meth:`SparseHamiltonian.rollout` has the signature :func:`scalars.dynamics.evaluate`
expects.
"""

import time
from contextlib import contextmanager
from itertools import combinations_with_replacement

import numpy as np
import torch
from scipy import optimize
from threadpoolctl import threadpool_limits

from scalars.dynamics.integrators import integrate
from scalars.laws import rationalize, sparse_path

__all__ = ["SparseHamiltonian"]

_VECTORS = ("q1", "q2", "q1-q2", "p1", "p2", "g")
_SEPARATIONS = 3  # q1, q2 and q1 - q2 have lengths in the library
_KINETIC = {3, 4, 5}  # vectors that do not depend on positions: p1, p2, g
_POTENTIAL = {0, 1, 2, 5}


def _selection():
    """The linear maps (6, 3, 12) from a state to each vector of ``_VECTORS`` (g: zero)."""
    maps = np.zeros((6, 3, 12))
    eye = np.eye(3)
    maps[0, :, 0:3] = eye
    maps[1, :, 3:6] = eye
    maps[2, :, 0:3], maps[2, :, 3:6] = eye, -eye
    maps[3, :, 6:9] = eye
    maps[4, :, 9:12] = eye
    return maps


class _Library:
    """The candidate features: base invariants and their products, with gradients in z."""

    def __init__(self, products=True):
        self.pairs = [(i, j) for i in range(6) for j in range(i, 6) if (i, j) != (5, 5)]  # <g,g> is constant
        base = [f"<{_VECTORS[i]},{_VECTORS[j]}>" for i, j in self.pairs]
        for i in range(_SEPARATIONS):
            base += [f"|{_VECTORS[i]}|", f"1/|{_VECTORS[i]}|"]
        self.n_base = len(base)
        self.terms = [(i, None) for i in range(self.n_base)]
        if products:
            self.terms += list(combinations_with_replacement(range(self.n_base), 2))
        self.names = [base[i] if j is None else f"{base[i]}*{base[j]}" for i, j in self.terms]
        self._maps = _selection()
        # which base features involve positions and which momenta, for separability
        uses = [({i, j} - _KINETIC, {i, j} - _POTENTIAL) for i, j in self.pairs] + [({0}, set())] * (2 * _SEPARATIONS)
        self._positions = [bool(q) for q, _ in uses]
        self._momenta = [bool(p) for _, p in uses]

    def separable(self, terms):
        """Whether the features ``terms`` (indices) are each a function of q alone or p alone."""
        base = {b for k in terms for b in self.terms[k] if b is not None}
        if any(self._positions[b] and self._momenta[b] for b in base):
            return False
        return all(
            j is None or not ((self._positions[i] or self._positions[j]) and (self._momenta[i] or self._momenta[j]))
            for i, j in (self.terms[k] for k in terms)
        )

    def base(self, z, g, needed):
        """Base features ``needed`` (indices): dicts of values (...) and gradients in z (..., 12)."""
        maps = torch.as_tensor(self._maps, dtype=z.dtype, device=z.device)
        vectors = [z @ maps[i].T for i in range(5)] + [g.expand(z.shape[:-1] + (3,))]
        values, grads = {}, {}
        for b in needed:
            if b < len(self.pairs):
                i, j = self.pairs[b]
                values[b] = (vectors[i] * vectors[j]).sum(-1)
                grads[b] = vectors[j] @ maps[i] + vectors[i] @ maps[j]
                continue
            i, inverse = divmod(b - len(self.pairs), 2)
            length = vectors[i].pow(2).sum(-1).sqrt()
            grad = (vectors[i] / length[..., None]) @ maps[i]
            values[b], grads[b] = (1 / length, -grad / length[..., None] ** 2) if inverse else (length, grad)
        return values, grads

    def features(self, z, g, terms):
        """Features ``terms`` (indices) (..., K) and their gradients (..., K, 12)."""
        pairs = [self.terms[k] for k in terms]
        values, grads = self.base(z, g, sorted({b for pair in pairs for b in pair if b is not None}))
        out, out_grads = [], []
        for i, j in pairs:
            if j is None:
                out.append(values[i])
                out_grads.append(grads[i])
            else:
                out.append(values[i] * values[j])
                out_grads.append(values[i][..., None] * grads[j] + values[j][..., None] * grads[i])
        return torch.stack(out, -1), torch.stack(out_grads, -2)

    def symbol(self, k):
        """Feature ``k`` in sympy, lengths as square roots of Gram entries."""
        import sympy

        def base(b):
            if b < len(self.pairs):
                return sympy.Symbol(self.names[b])
            vector = _VECTORS[(b - len(self.pairs)) // 2]
            length = sympy.sqrt(sympy.Symbol(f"<{vector},{vector}>"))
            return length if (b - len(self.pairs)) % 2 == 0 else 1 / length

        i, j = self.terms[k]
        return base(i) if j is None else base(i) * base(j)


def _quadrature_weights(t):
    """``W[j - 1, i] = int_{t_0}^{t_j} l_i(s) ds`` for the Lagrange basis ``l_i`` of the nodes ``t``."""
    t = np.asarray(t, dtype=float)
    weights = np.zeros((len(t) - 1, len(t)))
    for i in range(len(t)):
        others = np.delete(t, i)
        basis = np.poly1d(np.poly(others)) / np.prod(t[i] - others)
        antiderivative = np.polyint(basis)
        weights[:, i] = antiderivative(t[1:]) - antiderivative(t[0])
    return weights


class SparseHamiltonian:
    """``H = sum_k c_k phi_k(invariants)`` of the springy double pendulum, with few terms.

    Parameters
    ----------
    products : bool, default=True
        Let products of two base features into the library (377 candidates instead of 26).
    rtol : float, default=0.1
        The model kept is the sparsest of the thresholding paths whose linear residual is
        at most ``1 + rtol`` times the smallest: below that, extra terms only fit the
        error of the quadrature (or the noise), not the dynamics.
    polish : bool, default=True
        Refit the coefficients of the kept terms on the rollout loss (Gauss-Newton).
    substeps : int, default=8
        Integrator steps per interval of the data, in the polish and in :meth:`rollout`.
    order : {2, 4}, default=4
        Order of the leapfrog integrator (separable H); otherwise RK4 is used.

    Attributes
    ----------
    feature_names_ : list of str
        Names of the candidate features, e.g. ``<q1-q2,q1-q2>``, ``|q1|``, ``<p1,p1>*|q1|``.
    coef_ : ndarray of shape (n_candidates,)
        Coefficient of each candidate, zero for those left out.
    terms_ : dict of str to float
        The surviving features and their coefficients.
    design_rms_ : ndarray of shape (n_candidates,)
        Root mean square of each feature's contribution to the training targets.
    path_ : list of dict
        The models of the thresholding paths, sparsest first: ``terms`` and ``mse``, the
        mean squared linear residual relative to the mean squared target.
    rollout_mse_ : float
        Mean squared error of the polished rollouts over the training chunks.
    fit_seconds_ : float
        Wall-clock time of :meth:`fit`.
    params_ : ndarray of shape (6,)
        ``m1, m2, k1, k2, L1, L2`` of the training system; the coefficients hold them.

    Examples
    --------
    >>> from scalars.dynamics import SparseHamiltonian, evaluate, pendulum_data
    >>> data = pendulum_data(500, 20)
    >>> model = SparseHamiltonian().fit(data)
    >>> print(model.to_sympy())  # doctest: +SKIP
    <p1,p1>/2 + <p2,p2>/2 + <q1,q1>/2 - <q1,g> - <q2,g> + <q1-q2,q1-q2> - sqrt(<q1,q1>) - 2*sqrt(<q1-q2,q1-q2>)
    >>> evaluate(model, data)["rollout_error"] < 1e-6
    True
    """

    def __init__(self, products=True, rtol=0.1, polish=True, substeps=8, order=4):
        self.products = products
        self.rtol = rtol
        self.polish = polish
        self.substeps = substeps
        self.order = order

    def fit(self, data):
        """Find the terms and their coefficients from training chunks.

        Parameters
        ----------
        data : PendulumData
            ``train`` (n, C, 12) chunks at times ``t_chunk`` (C,), with ``train_g`` (n, 3)
            and ``train_params`` (n, 6), all of one system (the ``"emlp"`` variant).

        Returns
        -------
        self

        Raises
        ------
        ValueError
            If the chunks come from several systems, or have fewer than 2 points.
        """
        start = time.perf_counter()
        params = np.asarray(data.train_params, dtype=float)
        if not np.allclose(params, params[:1]):
            raise ValueError(
                "SparseHamiltonian fits one system, but data.train_params has several "
                "(variant='units'); its coefficients are numbers, not functions of the parameters"
            )
        chunks = torch.as_tensor(np.asarray(data.train, dtype=float))
        if chunks.ndim != 3 or chunks.shape[1] < 2 or chunks.shape[2] != 12:
            raise ValueError(f"data.train must have shape (n, C >= 2, 12), got {tuple(chunks.shape)}")
        g = torch.as_tensor(np.asarray(data.train_g, dtype=float))
        t = torch.as_tensor(np.asarray(data.t_chunk, dtype=float))
        self._library = _Library(self.products)
        self.feature_names_ = list(self._library.names)
        self.params_ = params[0]
        with _one_thread():
            self._fit(chunks, g, t)
        self.terms_ = {self.feature_names_[k]: float(self.coef_[k]) for k in np.flatnonzero(self.coef_)}
        self.fit_seconds_ = time.perf_counter() - start
        return self

    def _fit(self, chunks, g, t):
        design, target = self._linear_problem(chunks, g, t)
        self.design_rms_ = np.sqrt((design**2).mean(0))
        gram, moment = design.T @ design / len(design), design.T @ target / len(design)
        yy = float(target @ target / len(design))
        models = {}
        for tier in (np.arange(len(moment)) < self._library.n_base, np.ones(len(moment), dtype=bool)):
            for model in sparse_path(gram, moment, yy, len(target), candidates=tier):
                models.setdefault(tuple(np.flatnonzero(model["coef"])), model)
        ranked = sorted(models.items(), key=lambda item: (len(item[0]), item[1]["mse"]))
        self.path_ = [dict(terms=[self.feature_names_[k] for k in terms], mse=m["mse"] / yy) for terms, m in ranked]
        floor = min(m["mse"] for m in models.values())
        terms, model = next((terms, m) for terms, m in ranked if m["mse"] <= (1 + self.rtol) * floor)
        best = model["coef"]
        if self.polish:
            best = np.zeros(len(moment))
            best[list(terms)], self.rollout_mse_ = self._polish(np.array(terms), model["coef"][list(terms)], chunks, g, t)
        self.coef_ = best

    def _linear_problem(self, chunks, g, t):
        """Design (n (C-1) 12, K) and target: chunk increments against integrated fields."""
        n, C, _ = chunks.shape
        features = np.arange(len(self._library.terms))
        with torch.no_grad():
            _, grads = self._library.features(chunks, g[:, None], features)  # (n, C, K, 12)
        fields = torch.cat([grads[..., 6:], -grads[..., :6]], dim=-1)
        weights = torch.as_tensor(_quadrature_weights(t.numpy()))
        integrals = torch.einsum("ji,nikd->njdk", weights, fields)  # (n, C-1, 12, K)
        increments = chunks[:, 1:] - chunks[:, :1]
        return integrals.reshape(-1, len(features)).numpy(), increments.reshape(-1).numpy()

    def _polish(self, terms, coef, chunks, g, t):
        """Coefficients of ``terms`` minimising the squared rollout error over the chunks."""
        truth = chunks[:, 1:].reshape(-1).numpy()

        def residual(c):
            with torch.no_grad():
                zs = self._rollout(terms, torch.as_tensor(c), chunks[:, 0], t, g)
            return zs[:, 1:].reshape(-1).numpy() - truth

        solution = optimize.least_squares(residual, coef, x_scale="jac", xtol=1e-10, ftol=1e-12, gtol=1e-12, max_nfev=20)
        return solution.x, float(np.mean(solution.fun**2))

    # -- the fitted Hamiltonian ---------------------------------------------------------------
    def _terms(self):
        terms = np.flatnonzero(self.coef_)
        return terms, torch.as_tensor(self.coef_[terms])

    def hamiltonian(self, z, g, params=None):
        """H of states ``z`` (..., 12) in gravity ``g`` (..., 3), shape (...), torch or numpy."""
        terms, coef = self._terms()
        values, _ = self._library.features(*_tensors(z, g), terms)
        return _like(z, values @ coef)

    def vector_field(self, z, g, params=None):
        """Hamilton's equations ``dz/dt = (dH/dp, -dH/dq)`` (..., 12); ``params`` is ignored
        (the coefficients hold the system's constants)."""
        terms, coef = self._terms()
        return _like(z, self._field(terms, coef, *_tensors(z, g)))

    def _field(self, terms, coef, z, g):
        _, grads = self._library.features(z, g, terms)
        gradient = (coef[:, None] * grads).sum(-2)
        return torch.cat([gradient[..., 6:], -gradient[..., :6]], dim=-1)

    def rollout(self, z0, t, g, params=None):
        """Trajectories (..., T, 12) from states ``z0`` (..., 12) at times ``t`` (T,).

        Leapfrog of order ``order`` when H is separable, RK4 otherwise, ``substeps``
        steps per interval; torch tensors in and out, as :func:`scalars.dynamics.evaluate`
        passes them.
        """
        terms, coef = self._terms()
        with _one_thread():
            return self._rollout(terms, coef, *_tensors(z0, t, g))

    def _rollout(self, terms, coef, z0, t, g):
        field = lambda z: self._field(terms, coef, z, g)  # noqa: E731
        method = f"leapfrog{self.order}" if self._library.separable(terms) else "rk4"
        return integrate(field, z0, t, method, self.substeps)

    def to_sympy(self, tolerance=1e-6, max_denominator=100):
        """H as a sympy expression in the invariants, lengths written as ``sqrt(<q1,q1>)``.

        Coefficients are rounded as by :func:`scalars.laws.rationalize`, each term sized
        by its contribution to the training targets.
        """
        import sympy

        coefficients = rationalize(self.coef_, self.design_rms_, tolerance, max_denominator)
        return sympy.Add(*(c * self._library.symbol(k) for k, c in enumerate(coefficients) if c != 0))


@contextmanager
def _one_thread():
    """One BLAS and one torch thread: on matrices of a few hundred rows and (500, 12)
    tensors, threads only contend (13x slower with two on a busy 2-core machine)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with threadpool_limits(1, user_api="blas"):
            yield
    finally:
        torch.set_num_threads(threads)


def _tensors(*arrays):
    return [torch.as_tensor(a, dtype=torch.float64) for a in arrays]


def _like(reference, result):
    """``result`` as numpy when ``reference`` is numpy."""
    return result.numpy() if isinstance(reference, np.ndarray) else result
