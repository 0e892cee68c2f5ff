"""A symbolic Hamiltonian found by sparse regression on invariants: the springy double
pendulum's, or that of any System that lists its invariant features.

``H = sum_k c_k phi_k`` over a library of invariants built the same way for every system
from *base features of terms*: a system's state splits into groups of terms (the
particles, the pairs of particles) and every term of a group has the same base features
(:meth:`System.invariant_features <scalars.dynamics.System.invariant_features>`, from
the system's expansion: ``|p_i|^2, |p_i|^2/m_i, m_i`` per particle, ``|q_i-q_j|, 1/s_ij,
m_i*m_j/s_ij, ...`` per pair). The candidates are, for
each group and each base feature, the sum of the feature over the group's terms, then
(``products=True``) for each group the sums over its terms of the products of two base
features of the same term. Every candidate is invariant under the system's group,
permutations of identical particles included, by construction; its gradient in the state
comes from torch autograd. They are named after the sum they are:
``sum_pairs(m_i*m_j/s_ij)``, ``sum_particles(|p_i|^2/m_i)``, ``sum_pairs(|q_i-q_j|/s_ij)``
(a factor ``1/x`` divides), ``sum_pairs(|q_i-q_j|*(m_i+m_j))`` (a factor with a ``+`` in
parentheses). Candidates whose columns are equal (a length times itself and the Gram
entry) or zero (a sum of constants) are offered once, or not at all.

The springy double pendulum is the same machinery with one group of one term (no sum in
the names), from its phase-space expansion
(:class:`~scalars.expansion.PhaseSpaceExpansion`): its base features are the Gram entries
of ``(q1, q2, q1 - q2, p1, p2, g)``
(without the constant ``<g,g>``), the lengths of the separations ``q1, q2, q1 - q2`` and
their inverses, with analytic gradients, and the products are all products of two of
those.

Hamilton's equations are linear in the ``c_k``: integrated over a training chunk,
``z(t_j) - z(t_0) = sum_k c_k int J grad phi_k(z(t)) dt``, with the integrals taken by the
quadrature that is exact for polynomials through the chunk's points. That is one linear
least-squares problem, solved sparsely by :func:`scalars.laws.stlsq` over a path of
thresholds, first on the library without products, then with them. The quadrature over
5 points leaves a floor in the residual that more terms can only chase (about 5e-4 of the
target for the pendulum, 1e-4 for five bodies, most of it at close encounters), so the
residual only bounds the size: the sparsest model within a small factor of the best
residual is the largest considered, and of the best model of each size up to it, the
sparsest that rolls the training chunks out (with its linear coefficients) within a small
factor of the best of them is kept. Its few coefficients are then polished on the rollout
loss (Gauss-Newton, each rollout integrated like the test rollouts). The result
integrates like any Hamiltonian network:
:meth:`SparseHamiltonian.rollout` has the signature :func:`scalars.dynamics.evaluate`
expects.
"""

import time
from contextlib import contextmanager
from itertools import combinations_with_replacement

import numpy as np
import torch
from scipy import optimize
from sklearn.exceptions import NotFittedError
from threadpoolctl import threadpool_limits

from scalars.dynamics.integrators import integrate
from scalars.dynamics.pendulum import DoubleSpringPendulum
from scalars.laws import rationalize, sparse_path

__all__ = ["SparseHamiltonian"]

class _PhaseSpaceFeatures:
    """Base features of a system with a fixed origin: one group, ``"state"``, of one term.

    From the system's :class:`~scalars.expansion.PhaseSpaceExpansion`: the Gram entries of
    the vectors of ``"H"`` (the separations, the momenta, the context vectors; the
    constant ones between two context vectors left out), then ``|v|`` and ``1/|v|`` of
    each separation, with analytic gradients through the expansion's selection maps. For
    the pendulum: the Gram entries of ``(q1, q2, q1 - q2, p1, p2, g)`` but ``<g,g>``.
    """

    summed = False  # one term: candidates are named and printed as the feature itself
    analytic = True  # gradients come with the values, no autograd

    def __init__(self, expansion):
        self.expansion = expansion
        self.vectors = expansion.vector_names("H")
        self.n_separations = expansion.n_separations("H")
        self._maps = expansion.selection("H")
        self.state_size = self._maps.shape[-1]
        depends = [(bool(m[:, : self.state_size // 2].any()), bool(m[:, self.state_size // 2 :].any())) for m in self._maps]
        self.n_context = len(expansion.context_vector_names)  # the last vectors, constant in the state
        n = len(self.vectors)
        gram = [(i, j) for i in range(n) for j in range(i, n)]
        names = expansion.group.invariant_names(self.vectors)
        keep = [k for k, (i, j) in enumerate(gram) if any(depends[i]) or any(depends[j])]
        self.pairs = [gram[k] for k in keep]
        names = [names[k] for k in keep]
        for i in range(self.n_separations):
            names += [f"|{self.vectors[i]}|", f"1/|{self.vectors[i]}|"]
        self.groups = {"state": names}
        # which base features involve positions and which momenta, for separability
        uses = [tuple(depends[i][side] or depends[j][side] for side in (0, 1)) for i, j in self.pairs]
        uses += [(True, False)] * (2 * self.n_separations)
        self.positions = {"state": [q for q, _ in uses]}
        self.momenta = {"state": [p for _, p in uses]}

    def base(self, z, context, needed, gradients=True):
        """Values (..., 1) and gradients in z (..., 1, state_size) of the base features
        ``needed`` (``{"state": columns}``), as dicts keyed by ``(group, column)``; the
        context vectors follow the state in ``context``."""
        n_state = len(self.vectors) - self.n_context
        if len(context) < self.n_context:
            names = ", ".join(self.vectors[n_state:])
            raise TypeError(f"this SparseHamiltonian needs the context vectors {names} after the state")
        maps = torch.as_tensor(self._maps, dtype=z.dtype, device=z.device)
        vectors = [z @ maps[i].T for i in range(n_state)]
        vectors += [c.expand(z.shape[:-1] + c.shape[-1:]) for c in context[: self.n_context]]
        values, grads = {}, {}
        for b in needed.get("state", ()):
            if b < len(self.pairs):
                i, j = self.pairs[b]
                value = (vectors[i] * vectors[j]).sum(-1)
                grad = vectors[j] @ maps[i] + vectors[i] @ maps[j]
            else:
                i, inverse = divmod(b - len(self.pairs), 2)
                length = vectors[i].pow(2).sum(-1).sqrt()
                grad = (vectors[i] / length[..., None]) @ maps[i]
                value, grad = (1 / length, -grad / length[..., None] ** 2) if inverse else (length, grad)
            values["state", b], grads["state", b] = value[..., None], grad[..., None, :]
        return values, grads

    def symbol(self, group, b):
        """Base feature ``b`` in sympy, lengths as square roots of Gram entries."""
        import sympy

        if b < len(self.pairs):
            return sympy.Symbol(self.groups[group][b])
        vector = self.vectors[(b - len(self.pairs)) // 2]
        length = sympy.sqrt(sympy.Symbol(f"<{vector},{vector}>"))
        return length if (b - len(self.pairs)) % 2 == 0 else 1 / length


class _SystemFeatures:
    """Base features of a System: the groups of ``system.invariant_features(z, part)``.

    Names come from ``system.invariant_feature_names(part)`` when the system has it (else
    ``f0, f1, ...``). Which features depend on positions (the first half of ``z``) and which
    on momenta is read off their gradients at a few random states (an exact zero there is
    a structural zero). Gradients come from torch autograd.
    """

    summed = True
    analytic = False

    def __init__(self, system, part="H"):
        self.system, self.part = system, part
        self.state_size = system.state_size
        probe = torch.as_tensor(np.random.default_rng(0).standard_normal((3, self.state_size)))
        shapes = {group: x.shape[-1] for group, x in system.invariant_features(probe, part).items()}
        names = getattr(system, "invariant_feature_names", None)
        if names is None:
            names = {group: [f"f{c}" for c in range(k)] for group, k in shapes.items()}
        else:
            names = names(part)
        if {group: len(columns) for group, columns in names.items()} != shapes:
            raise ValueError(f"invariant_feature_names({part!r}) does not name the columns of invariant_features")
        self.groups = {group: list(names[group]) for group in shapes}
        _, grads = self.base(probe, (), {group: range(k) for group, k in shapes.items()})
        half = self.state_size // 2
        uses = {group: [(grads[group, c][..., :half].any(), grads[group, c][..., half:].any()) for c in range(k)]
                for group, k in shapes.items()}
        self.positions = {group: [bool(q) for q, _ in columns] for group, columns in uses.items()}
        self.momenta = {group: [bool(p) for _, p in columns] for group, columns in uses.items()}

    def base(self, z, context, needed, gradients=True):
        """Values (..., T) and gradients in z (..., T, state_size) of the base features
        ``needed`` (``{group: columns}``) of the T terms of each group, as dicts keyed by
        ``(group, column)``. Without ``gradients`` the values keep the autograd graph of ``z``."""
        if context:
            raise TypeError(f"a SparseHamiltonian of a System takes the state alone, got {len(context)} more arguments")
        if not gradients:
            groups = self.system.invariant_features(z, self.part)
            return {(group, c): groups[group][..., c] for group, columns in needed.items() for c in columns}, None
        values, grads = {}, {}
        with torch.enable_grad():
            z = z.detach().requires_grad_(True)
            groups = self.system.invariant_features(z, self.part)
            for group, columns in needed.items():
                for c in columns:
                    value = groups[group][..., c]
                    # the gradient of each term at once: one backward pass per row of the identity
                    rows = torch.eye(value.shape[-1], dtype=value.dtype).reshape((-1,) + (1,) * (value.ndim - 1) + value.shape[-1:])
                    grad = torch.autograd.grad(
                        value, z, rows.expand((-1,) + value.shape), retain_graph=True, allow_unused=True, is_grads_batched=True
                    )[0]
                    grad = torch.zeros((value.shape[-1],) + z.shape, dtype=z.dtype) if grad is None else grad
                    values[group, c], grads[group, c] = value.detach(), grad.movedim(0, -2)
        return values, grads


def _factor(name):
    """A factor of a product name, in parentheses if it is a sum."""
    return f"({name})" if "+" in name else name


class _Library:
    """The candidates of a feature source: base features summed over the terms of each
    group, then (``products``) products of two base features of a term summed over terms."""

    def __init__(self, source, products=True):
        self.source = source
        self.terms = [(group, i, None) for group, names in source.groups.items() for i in range(len(names))]
        self.n_base = len(self.terms)
        if products:
            self.terms += [
                (group, i, j) for group, names in source.groups.items()
                for i, j in combinations_with_replacement(range(len(names)), 2)
            ]
        # a product can be a base feature already (|p_i|^2 times 1/m_i is |p_i|^2/m_i): offered once
        names = {}
        for term in self.terms:
            names.setdefault(self._name(*term), term)
        self.terms, self.names = list(names.values()), list(names)

    def _name(self, group, i, j):
        names = self.source.groups[group]
        if j is None:
            inner = names[i]
        else:
            first, second = sorted((names[i], names[j]), key=lambda name: name.startswith("1/"))
            inner = f"{_factor(first)}*{_factor(second)}".replace("*1/", "/")
        return f"sum_{group}({inner})" if self.source.summed else inner

    def separable(self, terms):
        """Whether the features ``terms`` (indices) are each a function of q alone or p alone."""
        positions, momenta = self.source.positions, self.source.momenta
        for k in terms:
            group, *factors = self.terms[k]
            factors = [b for b in factors if b is not None]
            if any(positions[group][b] for b in factors) and any(momenta[group][b] for b in factors):
                return False
        return True

    def features(self, z, context, terms, gradients=True):
        """Features ``terms`` (indices) (..., K) and, with ``gradients``, their gradients
        (..., K, state_size)."""
        chosen = [self.terms[k] for k in terms]
        needed = {}
        for group, i, j in chosen:
            needed.setdefault(group, set()).update(b for b in (i, j) if b is not None)
        values, grads = self.source.base(z, context, {group: sorted(b) for group, b in needed.items()}, gradients)
        out, out_grads = [], []
        for group, i, j in chosen:
            a = values[group, i]
            if j is None:
                out.append(a.sum(-1))
                if gradients:
                    out_grads.append(grads[group, i].sum(-2))
            else:
                b = values[group, j]
                out.append((a * b).sum(-1))
                if gradients:
                    out_grads.append((a[..., None] * grads[group, j] + b[..., None] * grads[group, i]).sum(-2))
        return torch.stack(out, -1), torch.stack(out_grads, -2) if gradients else None

    def gradient(self, z, context, terms, coef):
        """``dH/dz`` (..., state_size) of ``H = sum_k coef_k phi_k`` over the features ``terms``."""
        if self.source.analytic:
            _, grads = self.features(z, context, terms)
            return (coef[:, None] * grads).sum(-2)
        with torch.enable_grad():
            z = z.detach().requires_grad_(True)
            values, _ = self.features(z, context, terms, gradients=False)
            return torch.autograd.grad((values @ coef).sum(), z)[0]

    def symbol(self, k):
        """Feature ``k`` in sympy: one symbol named after a sum over terms, else the product
        of the source's symbols of the base features."""
        group, i, j = self.terms[k]
        if self.source.summed:
            import sympy

            return sympy.Symbol(self.names[k])
        symbol = self.source.symbol
        return symbol(group, i) if j is None else symbol(group, i) * symbol(group, j)


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
    """``H = sum_k c_k phi_k(invariants)`` with few terms, of the springy double pendulum or
    of any System with ``invariant_features``.

    Parameters
    ----------
    system : System, optional
        A system with ``invariant_features(z, part)`` (:class:`~scalars.dynamics.NBodySystem`):
        the library is built from its features of ``part="H"`` and the model is called with
        the state alone, ``hamiltonian(z)``, ``rollout(z0, t)``, fitted on a
        :class:`~scalars.dynamics.TrajectoryData`. Default: the springy double pendulum,
        called with ``g`` (and ``params``, ignored) after the state, fitted on a
        :class:`~scalars.dynamics.PendulumData`.
    products : bool, default=True
        Let products of two base features of a term into the library (pendulum: 377
        candidates instead of 26; five bodies: 52 instead of 11).
    rtol : float, default=0.1
        No model is larger than the sparsest of the thresholding paths whose linear
        residual is at most ``1 + rtol`` times the smallest: below that, extra terms only
        fit the error of the quadrature (or the noise), not the dynamics. Of the best
        model of each size up to it, the one kept is the sparsest whose squared rollout
        error over the training chunks is at most ``1 + rtol`` times the smallest.
    polish : bool, default=True
        Refit the coefficients of the kept terms on the rollout loss (Gauss-Newton).
    substeps : int, default=8
        Integrator steps per interval of the data, in the polish and in :meth:`rollout`.
    order : {2, 4}, default=4
        Order of the leapfrog integrator (separable H); otherwise RK4 is used.

    Attributes
    ----------
    feature_names_ : list of str
        Names of the candidate features. Pendulum: ``<q1-q2,q1-q2>``, ``|q1|``,
        ``<p1,p1>*|q1|``. A System: the sum over a group's terms of a base feature or of a
        product of two, ``sum_particles(|p_i|^2/m_i)``, ``sum_pairs(m_i*m_j/s_ij)``,
        ``sum_pairs(|q_i-q_j|*(m_i+m_j))``, with the base names of
        ``system.invariant_feature_names(part)`` (``f0, f1, ...`` if it has none).
    coef_ : ndarray of shape (n_candidates,)
        Coefficient of each candidate, zero for those left out.
    terms_ : dict of str to float
        The surviving features and their coefficients.
    design_rms_ : ndarray of shape (n_candidates,)
        Root mean square of each feature's contribution to the training targets.
    path_ : list of dict
        The models of the thresholding paths, sparsest first: ``terms`` and ``mse``, the
        mean squared linear residual relative to the mean squared target.
    selection_ : list of dict
        The models rolled out to choose among, sparsest first: ``terms`` and
        ``rollout_mse``, the mean squared rollout error over the training chunks with the
        linear coefficients.
    rollout_mse_ : float
        Mean squared error of the polished rollouts over the training chunks.
    fit_seconds_ : float
        Wall-clock time of :meth:`fit`.
    params_ : ndarray of shape (6,)
        Pendulum only: ``m1, m2, k1, k2, L1, L2`` of the training system; the coefficients
        hold them.

    Examples
    --------
    >>> from scalars.dynamics import SparseHamiltonian, evaluate, pendulum_data
    >>> data = pendulum_data(500, 20)
    >>> model = SparseHamiltonian().fit(data)
    >>> print(model.to_sympy())  # doctest: +SKIP
    <p1,p1>/2 + <p2,p2>/2 + <q1,q1>/2 - <q1,g> - <q2,g> + <q1-q2,q1-q2> - sqrt(<q1,q1>) - 2*sqrt(<q1-q2,q1-q2>)
    >>> evaluate(model, data)["rollout_error"] < 1e-6
    True

    Five gravitating bodies (``U = -G m_i m_j / s`` per pair, ``K = |p_i|^2 / (2 m_i)``):

    >>> from scalars.dynamics import NBodySystem, trajectory_data
    >>> system = NBodySystem([1.0, 1.5, 0.5, 2.0, 1.0], softening=0.5)
    >>> model = SparseHamiltonian(system).fit(trajectory_data(system, 50, 2, dt=0.1, duration=1.0))
    >>> print(model.to_sympy())
    -sum_pairs(m_i*m_j/s_ij) + sum_particles(|p_i|^2/m_i)/2
    """

    def __init__(self, system=None, products=True, rtol=0.1, polish=True, substeps=8, order=4):
        self.system = system
        self.products = products
        self.rtol = rtol
        self.polish = polish
        self.substeps = substeps
        self.order = order

    def fit(self, data):
        """Find the terms and their coefficients from training chunks.

        Parameters
        ----------
        data : PendulumData or TrajectoryData
            Pendulum: ``train`` (n, C, 12) chunks at times ``t_chunk`` (C,), with
            ``train_g`` (n, 3) and ``train_params`` (n, 6), all of one system (the
            ``"emlp"`` variant). A System: ``train`` (n, C, state_size) of that system
            (:func:`~scalars.dynamics.trajectory_data`).

        Returns
        -------
        self

        Raises
        ------
        ValueError
            If the chunks come from several systems, have fewer than 2 points or the
            wrong state size, are none, hold a NaN or inf, or none of them moves.
        TypeError
            For ``data`` that is not one of the above, or a system without
            ``invariant_features``.
        """
        start = time.perf_counter()
        self._check_data(data)
        if self.system is None:
            source = _PhaseSpaceFeatures(DoubleSpringPendulum().phase_space)
            params = np.asarray(data.train_params, dtype=float)
            if not np.allclose(params, params[:1]):
                raise ValueError(
                    "SparseHamiltonian fits one system, but data.train_params has several "
                    "(variant='units'); its coefficients are numbers, not functions of the parameters"
                )
            self.params_ = params[0]
            context = [torch.as_tensor(np.asarray(data.train_g, dtype=float))[:, None]]
        else:
            source = _SystemFeatures(self.system)
            context = []
        chunks = torch.as_tensor(np.asarray(data.train, dtype=float))
        if chunks.ndim != 3 or chunks.shape[1] < 2 or chunks.shape[2] != source.state_size:
            raise ValueError(
                f"data.train must have shape (n, C >= 2, {source.state_size}), got {tuple(chunks.shape)}"
            )
        t = torch.as_tensor(np.asarray(data.t_chunk, dtype=float))
        self._library = _Library(source, self.products)
        self.feature_names_ = list(self._library.names)
        with _one_thread():
            self._fit(chunks, context, t)
        self.terms_ = {self.feature_names_[k]: float(self.coef_[k]) for k in np.flatnonzero(self.coef_)}
        self.fit_seconds_ = time.perf_counter() - start
        return self

    def _check_data(self, data):
        """Raise a TypeError or ValueError naming what ``fit`` cannot use in ``data``."""
        pendulum = self.system is None
        fields = ("train", "t_chunk") + (("train_params", "train_g") if pendulum else ())
        if not all(hasattr(data, field) for field in fields):
            kind = "a PendulumData (pendulum_data)" if pendulum else "a TrajectoryData (trajectory_data)"
            raise TypeError(
                f"SparseHamiltonian.fit takes {kind} with the fields {', '.join(fields)}; "
                f"got {type(data).__name__}"
            )
        train = np.asarray(data.train, dtype=float)
        if train.ndim != 3 or len(train) == 0:
            raise ValueError(f"data.train must hold chunks of shape (n >= 1, C, state_size), got shape {train.shape}")
        finite = np.isfinite(train).all(axis=(1, 2))
        if not finite.all():
            bad = np.flatnonzero(~finite)
            raise ValueError(f"data.train has NaN or inf in chunks {bad[:10].tolist()}{' ...' if len(bad) > 10 else ''}")
        if not np.isfinite(np.asarray(data.t_chunk, dtype=float)).all():
            raise ValueError(f"data.t_chunk must be finite times, got {data.t_chunk}")
        if np.all(train == train[:, :1]):
            raise ValueError("no chunk of data.train moves (each state is constant over its chunk): no dynamics to fit")

    def _check_fitted(self):
        if not hasattr(self, "coef_"):
            raise NotFittedError("this SparseHamiltonian is not fitted yet: call fit(data) first")

    def _fit(self, chunks, context, t):
        design, target = self._linear_problem(chunks, context, t)
        self.design_rms_ = np.sqrt((design**2).mean(0))
        gram, moment = design.T @ design / len(design), design.T @ target / len(design)
        yy = float(target @ target / len(design))
        models = {}
        distinct = _distinct_columns(design)
        for tier in (distinct & (np.arange(len(moment)) < self._library.n_base), distinct):
            for model in sparse_path(gram, moment, yy, len(target), candidates=tier):
                models.setdefault(tuple(np.flatnonzero(model["coef"])), model)
        ranked = sorted(models.items(), key=lambda item: (len(item[0]), item[1]["mse"]))
        self.path_ = [dict(terms=[self.feature_names_[k] for k in terms], mse=m["mse"] / yy) for terms, m in ranked]
        floor = min(m["mse"] for m in models.values())
        terms, best = self._select(ranked, floor, chunks, context, t)
        if self.polish:
            coef = best[list(terms)]
            best = np.zeros(len(moment))
            best[list(terms)], self.rollout_mse_ = self._polish(np.array(terms), coef, chunks, context, t)
        self.coef_ = best

    def _select(self, ranked, floor, chunks, context, t):
        """The sparsest model that rolls out the training chunks as well as any, to ``rtol``.

        The linear residual has a floor, the error of the quadrature, which extra terms
        chase (close encounters of bodies, where 5 points resolve the motion poorly): the
        sparsest model within ``1 + rtol`` of that floor bounds the size. Among the best
        model of each size up to it, each is rolled out from the chunk starts with its
        linear coefficients, and the sparsest whose squared rollout error is within
        ``1 + rtol`` of the smallest is kept.
        """
        largest = next(len(terms) for terms, m in ranked if m["mse"] <= (1 + self.rtol) * floor)
        candidates = {}
        for terms, model in ranked:  # by size, then linear residual: the first of each size is its best
            if len(terms) <= largest and len(terms) not in candidates:
                candidates[len(terms)] = (terms, model["coef"])
        candidates = [candidates[size] for size in sorted(candidates)]
        errors = [self._rollout_mse(terms, coef, chunks, context, t) for terms, coef in candidates]
        self.selection_ = [
            dict(terms=[self.feature_names_[k] for k in terms], rollout_mse=error)
            for (terms, _), error in zip(candidates, errors)
        ]
        bound = (1 + self.rtol) * min(errors)
        return next(candidate for candidate, error in zip(candidates, errors) if error <= bound)

    def _rollout_mse(self, terms, coef, chunks, context, t):
        """Mean squared error of the rollouts of the chunks from their starts (inf if they blow up)."""
        initial = [c[:, 0] for c in context]  # one per chunk, without the time axis
        with torch.no_grad():
            zs = self._rollout(np.array(terms), torch.as_tensor(coef[list(terms)]), chunks[:, 0], t, initial)
        error = float(((zs[:, 1:] - chunks[:, 1:]) ** 2).mean())
        return error if np.isfinite(error) else np.inf

    def _linear_problem(self, chunks, context, t):
        """Design (n (C-1) D, K) and target: chunk increments against integrated fields."""
        n, C, D = chunks.shape
        features = np.arange(len(self._library.terms))
        with torch.no_grad():
            _, grads = self._library.features(chunks, context, features)  # (n, C, K, D)
        fields = torch.cat([grads[..., D // 2 :], -grads[..., : D // 2]], dim=-1)
        weights = torch.as_tensor(_quadrature_weights(t.numpy()))
        integrals = torch.einsum("ji,nikd->njdk", weights, fields)  # (n, C-1, D, K)
        increments = chunks[:, 1:] - chunks[:, :1]
        return integrals.reshape(-1, len(features)).numpy(), increments.reshape(-1).numpy()

    def _polish(self, terms, coef, chunks, context, t):
        """Coefficients of ``terms`` minimising the squared rollout error over the chunks."""
        truth = chunks[:, 1:].reshape(-1).numpy()
        context = [c[:, 0] for c in context]  # one per chunk, without the time axis

        def residual(c):
            with torch.no_grad():
                zs = self._rollout(terms, torch.as_tensor(c), chunks[:, 0], t, context)
            return zs[:, 1:].reshape(-1).numpy() - truth

        solution = optimize.least_squares(residual, coef, x_scale="jac", xtol=1e-10, ftol=1e-12, gtol=1e-12, max_nfev=20)
        return solution.x, float(np.mean(solution.fun**2))

    # -- the fitted Hamiltonian ---------------------------------------------------------------
    def _terms(self):
        self._check_fitted()
        terms = np.flatnonzero(self.coef_)
        return terms, torch.as_tensor(self.coef_[terms])

    def hamiltonian(self, z, *context):
        """H of states ``z`` (..., state_size), shape (...), torch or numpy.

        Pendulum: ``hamiltonian(z, g)`` with gravity ``g`` (..., 3) (a third argument,
        ``params``, is ignored); a System: ``hamiltonian(z)``.
        """
        terms, coef = self._terms()
        tensor, *context = _tensors(z, *context)
        values, _ = self._library.features(tensor, context, terms, gradients=False)
        return _like(z, values @ coef)

    def vector_field(self, z, *context):
        """Hamilton's equations ``dz/dt = (dH/dp, -dH/dq)`` (..., state_size).

        Arguments as :meth:`hamiltonian`; ``params`` is ignored (the coefficients hold the
        system's constants).
        """
        terms, coef = self._terms()
        return _like(z, self._field(terms, coef, *_tensors(z, *context)))

    def _field(self, terms, coef, z, *context):
        gradient = self._library.gradient(z, context, terms, coef)
        half = z.shape[-1] // 2
        return torch.cat([gradient[..., half:], -gradient[..., :half]], dim=-1)

    def rollout(self, z0, t, *context):
        """Trajectories (..., T, state_size) from states ``z0`` (..., state_size) at times
        ``t`` (T,); after them ``g`` (and ``params``, ignored) for the pendulum.

        Leapfrog of order ``order`` when H is separable, RK4 otherwise, ``substeps``
        steps per interval; torch tensors in and out, as :func:`scalars.dynamics.evaluate`
        passes them.
        """
        terms, coef = self._terms()
        z0, t, *context = _tensors(z0, t, *context)
        with _one_thread():
            return self._rollout(terms, coef, z0, t, context)

    def _rollout(self, terms, coef, z0, t, context):
        field = lambda z: self._field(terms, coef, z, *context)  # noqa: E731
        method = f"leapfrog{self.order}" if self._library.separable(terms) else "rk4"
        return integrate(field, z0, t, method, self.substeps)

    def to_sympy(self, tolerance=1e-6, max_denominator=100):
        """H as a sympy expression in the invariants: for the pendulum lengths written as
        ``sqrt(<q1,q1>)``; for a System one symbol per candidate, ``sum_pairs(m_i*m_j/s_ij)``.

        Coefficients are rounded as by :func:`scalars.laws.rationalize`, each term sized
        by its contribution to the training targets.
        """
        import sympy

        self._check_fitted()
        coefficients = rationalize(self.coef_, self.design_rms_, tolerance, max_denominator)
        return sympy.Add(*(c * self._library.symbol(k) for k, c in enumerate(coefficients) if c != 0))


def _distinct_columns(design, rtol=1e-10):
    """Mask of the columns of ``design`` (n, K) that are nonzero and equal no earlier column.

    Products make candidates of different names that are equal (``|q_i-q_j|*|q_i-q_j|``
    and ``<q_i-q_j,q_i-q_j>``), and sums of constants contribute nothing
    (``sum_pairs(m_i*m_j)``); only the first of equal columns stays a candidate.
    """
    scale = np.abs(design).max(0)
    keep = scale > 0
    # equal columns have equal random projections: compare only neighbours in that order
    projection = np.random.default_rng(0).standard_normal(len(design)) @ design
    order = np.argsort(projection, kind="stable")
    for a, b in zip(order[:-1], order[1:]):
        first, second = min(a, b), max(a, b)
        if keep[first] and keep[second] and np.allclose(design[:, first], design[:, second], rtol=0, atol=rtol * scale[first]):
            keep[second] = False
    return keep


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
