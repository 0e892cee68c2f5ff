"""scikit-learn regressors whose predictions are exactly invariant or equivariant.

Both estimators predict ``y = sum_k f_k(invariants) B_k`` (see :mod:`scalars.expansion`):
the functions ``f_k`` of the invariant scalars are learned, the equivariant basis ``B_k``
(the number 1, the input vectors, or symmetric tensors built from them) is fixed by the
group. :class:`EquivariantRegressor` takes ``f_k`` linear in a basis of the invariants and
fits it by ridge regression; :class:`EquivariantMLPRegressor` takes ``f_k`` from the torch
heads of :mod:`scalars.nn`.
"""

import math
from numbers import Integral, Real

import numpy as np
from scipy import linalg
from sklearn.base import BaseEstimator, RegressorMixin, _fit_context, clone
from sklearn.preprocessing import PolynomialFeatures
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from scalars.expansion import EquivariantExpansion
from scalars.layout import resolve_group_and_layout

__all__ = ["EquivariantRegressor", "EquivariantMLPRegressor", "ResidualPathwayRegressor", "ridge_solve"]

_CHUNK = 2048  # samples per block of the design matrix, to bound memory


class _EquivariantBase(RegressorMixin, BaseEstimator):
    """Validation shared by the equivariant regressors."""

    _parameter_constraints = {
        # str, int or object: the group, layout, output and particles are checked when
        # they are resolved (EquivariantExpansion)
        "group": "no_validation",
        "layout": "no_validation",
        "output": "no_validation",
        "particles": "no_validation",
    }

    def _validate_fit_data(self, X, y):
        """Checked X (n, n_features) and y as columns (n, n_output_columns); sets ``expansion_``."""
        X, y = validate_data(self, X, y, y_numeric=True, multi_output=self.output != "T0", dtype=np.float64)
        group, layout = resolve_group_and_layout(self.group, self.layout, X.shape[1])
        expansion = EquivariantExpansion(group, layout, self.output, self.particles)
        expected = expansion.n_output_columns
        columns = y.reshape(len(y), -1).astype(np.float64)
        if self.output == "T0" and y.ndim != 1 or columns.shape[1] != expected:
            raise ValueError(
                f"output {self.output!r} of {expansion.group.name} needs y of shape "
                f"{('(n_samples,)' if self.output == 'T0' else f'(n_samples, {expected})')}, "
                f"got {y.shape}"
            )
        self.expansion_ = expansion
        self.rep_in_, self.rep_out_ = expansion.rep_in, expansion.output_rep
        return X, columns

    def _validate_predict_data(self, X):
        check_is_fitted(self)
        return validate_data(self, X, reset=False, dtype=np.float64)

    def _as_target(self, columns, X):
        """Predicted columns (n, n_output_columns) for the finite ``X``, in the shape of the training y."""
        if not np.isfinite(columns).all():
            raise ValueError(
                f"the prediction overflows float64 for X with entries up to {np.abs(X).max():.3g}: "
                "rescale X to the range of the training data"
            )
        return columns[:, 0] if self.output == "T0" else columns

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = self.output != "T0"
        tags.target_tags.single_output = self.output == "T0"
        # With the default group the only invariant of a row is its squared norm.
        tags.regressor_tags.poor_score = self.group is None
        return tags


class EquivariantRegressor(_EquivariantBase):
    """Ridge regression on a basis of the invariants, equivariant by construction.

    The prediction is ``y = sum_k f_k(z) B_k``, where ``z`` are the invariant scalars of
    the inputs (the scalar columns and the group invariants of the vectors) and ``B_k`` the
    equivariant basis of the output: 1 for ``"T0"``, the vectors (and cross products for
    SO(d)) for ``"T1"``, their symmetrised outer products and the invariant tensor (I, or
    eta for the Lorentz group) for ``"T2"``. Each ``f_k`` is linear in a basis of ``z``:
    polynomials of degree ``degree`` by default. When the target is a polynomial in the
    invariants of at most that degree, the fit is exact.

    With ``particles=k`` (or a group ``"S(k)xG"``) the model is ``S(k) x G`` equivariant:
    each term of the layout whose count is a multiple of ``k`` splits, in order, into ``k``
    interchangeable particles (``"5T0+5T1"``: scalar ``i`` and vector ``i`` belong to
    particle ``i``), any other term is global (``"5T0+5T1+T1"``: one more vector seen by
    every particle). The model becomes ``sum_i f(particle i) + sum_{i != j} g(particles
    i, j)`` with ``f`` and ``g`` as above and shared by all particles, so it is invariant
    (or equivariant) under permutations of the particles and has far fewer coefficients.
    A per-particle output (``output="5T1"``) gives particle ``i`` the terms ``f(i)`` and
    ``g(i, j)``: it permutes with the particles.

    Parameters
    ----------
    group : str or Group, default=None
        ``"O(3)"``, ``"SO(3)"``, ``"O(1,3)"``, ``"Sp(4)"``, ``"U(2)"``, ``"D(6)"``, ``"E(3)"``,
        ``"S(5)xO(3)"``, ... None means O(n_features) acting on each row as one vector.
    layout : str or Layout, default=None
        Column layout such as ``"5T0+5T1"`` (``P`` marks points, which E(d) translates).
        None means every column belongs to a vector.
    output : str, default="T0"
        ``"T0"``, ``"T1"`` or ``"T2"``: invariant scalar, equivariant vector or symmetric
        rank-2 tensor, ``y`` of shape (n_samples,), (n_samples, n_columns) or
        (n_samples, d * d); a sum such as ``"T0+T1"`` (their columns side by side); with
        ``particles=k``, ``"kT0"`` or ``"kT1"`` for one per particle, ``y`` of shape
        (n_samples, k) or (n_samples, k * n_columns), particle by particle.
    degree : int, default=2
        Degree of the polynomial basis of the invariants, when ``basis`` is None.
    basis : transformer, default=None
        Any scikit-learn transformer mapping invariants (n, m) to basis functions (n, P),
        e.g. ``SplineTransformer()`` or a pipeline; it is cloned and fitted per block of
        terms. None means ``PolynomialFeatures(degree)``.
    alpha : float, default=1e-10
        Ridge penalty on the coefficients of basis columns scaled to unit root mean square,
        relative to the mean squared error per sample. The tiny default keeps exact fits
        exact while resolving redundant basis columns.
    particles : int, default=None
        Number of interchangeable particles, or None.

    Attributes
    ----------
    expansion_ : EquivariantExpansion
        The group, layout, output and particle structure.
    rep_in_, rep_out_ : Rep
        The representations on the input columns and on the output columns (read by
        :func:`scalars.testing.assert_equivariant`).
    bases_ : list of transformers
        The fitted basis of each block of terms (one block, or particles and pairs).
    coef_ : ndarray of shape (n_coefficients,)
        Coefficients of the basis functions times equivariant basis elements.
    design_rms_ : ndarray of shape (n_coefficients,)
        Root mean square over the training data of each design column (basis function
        times basis element); :meth:`to_sympy` uses it to tell negligible terms.
    n_features_in_ : int
        Number of input columns.

    Examples
    --------
    >>> from scalars.datasets import Inertia
    >>> from scalars.estimators import EquivariantRegressor
    >>> train, test = Inertia(100, seed=0), Inertia(1000, seed=1)
    >>> model = EquivariantRegressor(**train.estimator_params()).fit(train.X, train.y)
    >>> bool(((model.predict(test.X) - test.y) ** 2).mean() < 1e-12)
    True
    """

    _parameter_constraints = {
        **_EquivariantBase._parameter_constraints,
        "degree": [Interval(Integral, 0, None, closed="left")],
        "basis": [HasMethods(["fit", "transform"]), None],
        "alpha": [Interval(Real, 0, np.inf, closed="left")],  # inf would drop every coefficient
    }

    def __init__(self, group=None, layout=None, output="T0", degree=2, basis=None, alpha=1e-10, particles=None):
        self.group = group
        self.layout = layout
        self.output = output
        self.degree = degree
        self.basis = basis
        self.alpha = alpha
        self.particles = particles

    @_fit_context(prefer_skip_nested_validation=False)  # basis is the user's transformer
    def fit(self, X, y):
        """Fit the coefficients by ridge regression.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,), (n_samples, n_columns) or (n_samples, d * d)

        Returns
        -------
        self : object
        """
        X, y = self._validate_fit_data(X, y)
        self._fit_bases(X, PolynomialFeatures(self.degree) if self.basis is None else self.basis)
        gram, moment = self._normal_equations(X, y)
        self.design_rms_ = np.sqrt(np.diag(gram))
        self.coef_ = ridge_solve(gram, moment, self.alpha)
        return self

    def to_sympy(self, names=None, tolerance=1e-8, max_denominator=100, explicit=True, threshold=1e-6):
        """The fitted model as a sympy expression; see :func:`scalars.symbolic.to_sympy`."""
        from scalars.symbolic import to_sympy

        return to_sympy(self, names, tolerance, max_denominator, explicit, threshold)

    def predict(self, X):
        """Predict the invariant or equivariant target.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples,), (n_samples, n_columns) or (n_samples, d * d)
        """
        X = self._validate_predict_data(X)
        columns = [self._design(X[start : start + _CHUNK]) @ self.coef_ for start in range(0, len(X), _CHUNK)]
        return self._as_target(np.concatenate(columns), X)

    def _fit_bases(self, X, template):
        """Set ``bases_``: a clone of ``template`` fitted to the invariants of each block."""
        self.bases_ = [
            clone(template).fit(invariants.reshape(-1, invariants.shape[-1]))
            for invariants, _ in self.expansion_.blocks(X)
        ]

    def _normal_equations(self, X, y):
        """Means over the samples of ``D^T D`` (P, P) and ``D^T y`` (P,), ``D`` the design, in chunks."""
        gram, moment, peak = 0.0, 0.0, 0.0
        for start in range(0, len(X), _CHUNK):
            design = self._design(X[start : start + _CHUNK])
            rows = design.reshape(-1, design.shape[-1])
            gram = gram + rows.T @ rows
            moment = moment + rows.T @ y[start : start + _CHUNK].reshape(-1)
            peak = np.maximum(peak, np.abs(rows).max(axis=0, initial=0.0))
        _check_normal_equations(gram, moment, peak, X, y)
        return gram / len(X), moment / len(X)

    def _design(self, X):
        """Design tensor (n, n_output_columns, n_coefficients): basis function times basis element."""
        expansion = self.expansion_
        parts = []
        for block, ((invariants, bases), transformer) in enumerate(zip(expansion.blocks(X), self.bases_)):
            n, n_terms, m = invariants.shape
            features = transformer.transform(invariants.reshape(n * n_terms, m)).reshape(n, n_terms, -1)
            start = 0
            for slot, basis in zip(expansion.outputs, bases):
                columns = expansion.basis_columns(slot, basis)  # (n, n_terms, K, width)
                width = expansion.slot_columns(slot)
                if slot.per_particle:
                    terms = np.einsum("ntp,ntko->ntopk", features, columns)
                    if block == 1:  # ordered pairs (i, j): particle i's output
                        k = expansion.particles
                        terms = terms.reshape((n, k, k - 1) + terms.shape[2:]).sum(axis=2)
                    design = terms.reshape(n, width, -1)
                else:
                    design = np.einsum("ntp,ntko->nopk", features, columns).reshape(n, width, -1)
                full = np.zeros((n, expansion.n_output_columns, design.shape[-1]))
                full[:, start : start + width] = design
                parts.append(full)
                start += width
        return np.concatenate(parts, axis=-1)


def _check_normal_equations(gram, moment, peak, X, y):
    """Raise if the normal equations left the float64 range, where the fit would be noise.

    ``peak`` is the largest magnitude of each design column: below the square root of the
    smallest normal float, its square (a diagonal entry of ``gram``) has lost its digits.
    """
    if not (np.isfinite(gram).all() and np.isfinite(moment).all()):
        raise ValueError(
            f"the normal equations overflow float64: the basis functions of the invariants of X "
            f"(entries up to {np.abs(X).max():.3g}) or y (up to {np.abs(y).max():.3g}) are too large; "
            "rescale X and y"
        )
    small = peak[(peak > 0) & (peak < np.sqrt(np.finfo(float).tiny))]
    if small.size:
        raise ValueError(
            f"the normal equations underflow float64: basis functions of the invariants of X (entries up "
            f"to {np.abs(X).max():.3g}) are as small as {small.min():.3g}, so their squares lose their "
            "digits; rescale X"
        )


def ridge_solve(gram, moment, alpha):
    """Solve ``(gram + alpha) c = moment`` after scaling the columns to unit root mean square.

    An eigendecomposition keeps it stable when basis columns are redundant (``gram``
    singular) and ``alpha`` is tiny.
    """
    scale = np.sqrt(np.diag(gram))
    scale[scale == 0] = 1.0
    eigenvalues, eigenvectors = linalg.eigh(gram / np.outer(scale, scale))
    denominator = np.clip(eigenvalues, 0.0, None) + alpha
    kept = denominator > np.finfo(float).eps * max(eigenvalues.max(), 1.0)  # pseudo-inverse when alpha=0
    projection = eigenvectors.T @ (moment / scale)
    coefficients = eigenvectors[:, kept] @ (projection[kept] / denominator[kept])
    return coefficients / scale


class EquivariantMLPRegressor(_EquivariantBase):
    """An MLP on the invariants weighting the equivariant basis, trained with torch.

    The same model as :class:`EquivariantRegressor` with each block's coefficient
    functions ``f_k`` given by one MLP (:class:`scalars.nn.EquivariantHead`), computed in
    float64 and trained by :func:`scalars.nn.fit`: Adam with a linear warm-up over the
    first 5% of its steps and a cosine decay to 1% of ``learning_rate``, then (at small
    sizes) full-batch L-BFGS, and (at large sizes) the weights of the best epoch on a
    validation split. Data-parallel under ``torchrun`` (see ``distributed`` in
    :func:`scalars.nn.fit`): every rank fits on the same data and ends with the same model.

    The ``"auto"`` defaults scale with the number ``n`` of training samples
    (``_defaults_for``):

    - a budget of 3000 steps (Adam's, then L-BFGS's) up to 10,000 samples and
      ``3000 * n / 10,000`` beyond (about 85 epochs there), so ``max_epochs`` is
      ``ceil(steps / ceil(n_train / batch_size))`` (small sets get many epochs, large ones
      a few; ``n_train`` excludes the validation split);
    - hidden layers ``(64, 64)`` below 10,000 samples and ``(128, 128)`` from 10,000;
    - below 10,000 samples no validation split (a few held-out samples pick epochs at
      random, and early stopping cut the cosine schedule short), weight decay ``1e-3``
      in Adam, and the last half of the budget full-batch L-BFGS on all the data
      (``polish`` of :func:`scalars.nn.fit`, one evaluation costing an epoch of steps);
    - from 10,000 samples 10% held out to pick the best epoch (training stops after
      ``patience`` epochs without improvement), no weight decay and no L-BFGS.

    Each coefficient MLP ends in a rank-4 :class:`~scalars.nn.BilinearReadout`, which adds
    products of pairs of its last hidden features: targets that are polynomials of the
    invariants (amplitudes, moments of inertia) then extrapolate to the tails of the data.
    The invariants are standardised (``encoding=None``). The values used are the fitted
    attributes ``hidden_layer_sizes_``, ``max_epochs_``, ``validation_fraction_``,
    ``weight_decay_`` and ``polish_``.

    Parameters
    ----------
    group, layout, output, particles
        As for :class:`EquivariantRegressor`.
    hidden_layer_sizes : tuple of int or "auto", default="auto"
        ``"auto"``: ``(64, 64)`` below 10,000 training samples, ``(128, 128)`` from 10,000.
    encoding : {None, "log", "rbf"}, default=None
        Per-feature encoding of heavy-tailed invariants, see :class:`scalars.nn.InvariantEncoder`.
    learning_rate : float, default=3e-3
    weight_decay : float or "auto", default="auto"
        Of Adam (an L2 penalty on the gradient; the L-BFGS polish has none). ``"auto"``:
        ``1e-3`` below 10,000 training samples, 0 from 10,000.
    batch_size : int, default=256
    max_epochs : int or "auto", default="auto"
        ``"auto"``: as many epochs as make 3000 steps (``3000 * n / 10,000`` beyond 10,000 samples).
    validation_fraction : float or "auto", default="auto"
        ``"auto"``: 0 below 10,000 training samples (no early stopping, L-BFGS polish), 0.1
        from 10,000 (best epoch on the split, no polish). A number: that split, and (with
        ``polish="auto"``) L-BFGS only if it is 0 and the set is below 10,000 samples.
    patience : int, default=50
    learning_rate_schedule : {"cosine", "constant"}, default="cosine"
        ``"cosine"``: Adam's rate rises linearly over the first 5% of its steps, then decays
        along a cosine to 1% of ``learning_rate``. ``"constant"``: ``learning_rate``
        throughout (the protocol of the EMLP and RPP papers).
    polish : float in [0, 1] or "auto", default="auto"
        Share of the budget given to full-batch L-BFGS after Adam. ``"auto"``: 0.5 below
        10,000 training samples without a validation split, else 0.
    random_state : int, RandomState instance, numpy Generator or None, default=None
        Seeds the weights, the validation split and the batch order.
    verbose : bool, default=False
        Show a progress bar while training.
    backbone : {"scalars", "emlp"}, default="scalars"
        ``"scalars"``: the MLP on the invariants weighting the equivariant basis.
        ``"emlp"``: an equivariant MLP on the raw columns (:class:`scalars.nn.EMLP`, Finzi
        et al. 2021), with ``hidden_layer_sizes`` the channels of its hidden layers
        (e.g. ``(384, 384, 384)`` as in the EMLP paper) and ``encoding`` unused. It is
        equivariant under the group ``G`` of the layout; with ``particles`` it does not
        impose the permutations of the particles (as the EMLP paper's models).
    bilinear : int, default=4
        Rank of the :class:`~scalars.nn.BilinearReadout` ending each coefficient MLP; 0 for
        a linear output layer. Unused by ``backbone="emlp"``, which has its own bilinear
        layers.
    device : {"cpu", "cuda", "auto"} or torch.device, default="cpu"
        Where the network and the training data live (:func:`scalars.nn.resolve_device`);
        ``predict`` returns numpy arrays on the host either way.

    Attributes
    ----------
    expansion_ : EquivariantExpansion
    rep_in_, rep_out_ : Rep
        The representations the model is equivariant for: those of the expansion, or for
        ``backbone="emlp"`` the network's (of ``G`` alone, without the particles' permutations).
    module_ : scalars.nn.EquivariantHead or scalars.nn.EMLP
        The trained network (float64).
    history_ : scalars.nn.History
        Training and validation loss per epoch.
    hidden_layer_sizes_, max_epochs_, validation_fraction_, weight_decay_ : tuple of int, int, float, float
        The settings used, after resolving ``"auto"``.
    polish_ : float
        Share of the budget given to full-batch L-BFGS.
    device_ : torch.device
        The resolved ``device``.
    n_features_in_ : int
    """

    _parameter_constraints = {
        **_EquivariantBase._parameter_constraints,
        "hidden_layer_sizes": ["array-like", StrOptions({"auto"})],
        "encoding": [StrOptions({"log", "rbf"}), None],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "weight_decay": [Interval(Real, 0, None, closed="left"), StrOptions({"auto"})],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "max_epochs": [Interval(Integral, 1, None, closed="left"), StrOptions({"auto"})],
        "validation_fraction": [Interval(Real, 0, 1, closed="left"), StrOptions({"auto"})],
        "patience": [Interval(Integral, 1, None, closed="left")],
        "learning_rate_schedule": [StrOptions({"cosine", "constant"})],
        "polish": [Interval(Real, 0, 1, closed="both"), StrOptions({"auto"})],
        "random_state": ["random_state", np.random.Generator],
        "verbose": ["verbose"],
        "backbone": [StrOptions({"scalars", "emlp"})],
        "bilinear": [Interval(Integral, 0, None, closed="left")],
        "device": "no_validation",  # resolve_device checks it in fit
    }

    def __init__(
        self,
        group=None,
        layout=None,
        output="T0",
        particles=None,
        hidden_layer_sizes="auto",
        encoding=None,
        learning_rate=3e-3,
        weight_decay="auto",
        batch_size=256,
        max_epochs="auto",
        validation_fraction="auto",
        patience=50,
        random_state=None,
        verbose=False,
        backbone="scalars",
        bilinear=4,
        device="cpu",
        learning_rate_schedule="cosine",
        polish="auto",
    ):
        self.group = group
        self.layout = layout
        self.output = output
        self.particles = particles
        self.hidden_layer_sizes = hidden_layer_sizes
        self.encoding = encoding
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.validation_fraction = validation_fraction
        self.patience = patience
        self.random_state = random_state
        self.verbose = verbose
        self.backbone = backbone
        self.bilinear = bilinear
        self.device = device
        self.learning_rate_schedule = learning_rate_schedule
        self.polish = polish

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Train the network.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,), (n_samples, n_columns) or (n_samples, d * d)

        Returns
        -------
        self : object
        """
        import torch

        X, y = self._validate_trainable_data(X, y)
        seed = _seed(self.random_state)
        with torch.random.fork_rng(devices=[]):  # fit draws the weights from the seed; leave the caller's generator alone
            module = self._build_module(X.shape[1], y.shape[1])
        return self._train(module, X, y, seed)

    def _validate_trainable_data(self, X, y):
        """Checked ``X`` and ``y`` columns, with the settings resolved for their size."""
        X, y = self._validate_fit_data(X, y)
        self._resolve_settings(len(X))
        self.expansion_.blocks(X)  # numpy invariants: an overflow is a ValueError here, not a NaN loss later
        if not np.isfinite(np.square(y).sum()):
            raise ValueError(
                f"y is too large for a squared-error loss in float64 (entries up to {np.abs(y).max():.3g}); rescale y"
            )
        return X, y

    def _train(self, module, X, y, seed):
        """Fit ``module``'s statistics, train it by :func:`scalars.nn.fit`, set the fitted attributes; self.

        The subclasses' training options enter through two hooks: ``_training_data`` (the
        data the module is trained on) and ``_training_penalty`` (a term added to the loss).
        """
        import torch

        from scalars.nn import fit

        rep_in, rep_out = self._target_reps(module)
        X, y = self._training_data(X, y, rep_in, rep_out, seed)
        penalty = self._training_penalty(module, rep_in, rep_out, seed)
        # copies: X may be a read-only memmap
        X, y = torch.tensor(X, device=self.device_), torch.tensor(y, device=self.device_)
        module.fit_statistics(X, y)
        to_columns = self._to_columns
        self.history_ = fit(
            module,
            X,
            y,
            loss=lambda prediction, target: ((to_columns(prediction) - target) ** 2).mean(),
            max_epochs=self.max_epochs_,
            batch_size=self.batch_size,
            learning_rate=self.learning_rate,
            weight_decay=self.weight_decay_,
            validation_fraction=self.validation_fraction_,
            patience=self.patience,
            seed=seed,
            progress=bool(self.verbose),
            warmup=_WARMUP if self.learning_rate_schedule == "cosine" else 0.0,
            decay_to=_DECAY_TO if self.learning_rate_schedule == "cosine" else 1.0,
            polish=self.polish_,
            penalty=penalty,
        )
        self.module_ = module
        self.rep_in_, self.rep_out_ = rep_in, rep_out
        return self

    def _build_module(self, n_features, n_columns):
        """The untrained float64 network for rows of ``n_features`` columns and targets of ``n_columns``."""
        return self._equivariant_module()

    def _training_data(self, X, y, rep_in, rep_out, seed):
        """The arrays the module is trained on: ``X`` and ``y`` themselves."""
        return X, y

    def _training_penalty(self, module, rep_in, rep_out, seed):
        """The term ``penalty(module, X_batch)`` added to the loss of :func:`scalars.nn.fit`: none."""
        return None

    def predict(self, X):
        """Predict with the trained head.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples,), (n_samples, n_columns) or (n_samples, d * d)
        """
        import torch

        X = self._validate_predict_data(X)
        with torch.no_grad():
            columns = self._to_columns(self.module_(torch.tensor(X, device=self.device_)))
        return self._as_target(columns.cpu().numpy(), X)

    def _resolve_settings(self, n_samples):
        """Set ``hidden_layer_sizes_``, ``max_epochs_``, ``validation_fraction_``, ``weight_decay_``, ``polish_``,
        ``device_``."""
        from scalars.nn import resolve_device

        self.device_ = resolve_device(self.device, f"{type(self).__name__}: device")
        auto = _defaults_for(n_samples, self.batch_size)
        hidden = auto["hidden_layer_sizes"] if _is_auto(self.hidden_layer_sizes) else tuple(self.hidden_layer_sizes)
        if not all(isinstance(width, Integral) and width >= 1 for width in hidden):
            raise ValueError(f"hidden_layer_sizes must be positive integers, got {self.hidden_layer_sizes!r}")
        fraction = auto["validation_fraction"] if _is_auto(self.validation_fraction) else self.validation_fraction
        self.hidden_layer_sizes_ = hidden
        self.validation_fraction_ = fraction
        self.weight_decay_ = auto["weight_decay"] if _is_auto(self.weight_decay) else self.weight_decay
        if _is_auto(self.polish):
            self.polish_ = auto["polish"] if fraction == 0 else 0.0
        else:
            self.polish_ = float(self.polish)
        self.max_epochs_ = _epochs_for(n_samples, fraction, self.batch_size) if _is_auto(self.max_epochs) else self.max_epochs

    def _target_reps(self, module):
        """The reps of the model: the ones the module carries, or the expansion's (a plain path carries none)."""
        if getattr(module, "rep_in", None) is not None:
            return module.rep_in, module.rep_out
        return self.expansion_.rep_in, self.expansion_.output_rep

    def _equivariant_module(self):
        """The untrained float64 network of ``backbone``: an EMLP or an EquivariantHead."""
        from scalars.nn import EquivariantHead

        if self._emlp_backbone():
            return self._emlp_module().double()
        expansion = self.expansion_
        return EquivariantHead(
            expansion.group, expansion.layout, self.output, self.particles, self.hidden_layer_sizes_, self.encoding,
            bilinear=self.bilinear, device=self.device_,
        ).double()

    def _emlp_backbone(self):
        return self.backbone == "emlp"  # validated by _parameter_constraints

    def _emlp_module(self):
        """The ``backbone="emlp"`` network: layout -> output of the group ``G``, float64."""
        from scalars.nn import EMLP
        from scalars.reps import rep

        group = self.expansion_.base
        rep_in, rep_out = rep(str(self.expansion_.layout), group), rep(self.output, group)
        return EMLP(rep_in, rep_out, group, hidden=list(self.hidden_layer_sizes_), device=self.device_)

    def _to_columns(self, outputs):
        """Network outputs as the columns of ``y``: an EMLP predicts columns already."""
        return outputs if self._emlp_backbone() else self.expansion_.to_columns(outputs)


class ResidualPathwayRegressor(EquivariantMLPRegressor):
    """An equivariant network plus a plain MLP with a tighter prior: for symmetries that are only approximate.

    Residual pathway priors (Finzi, Benton and Wilson, NeurIPS 2021): the model is
    :class:`scalars.nn.ResidualPathway`, the equivariant network of
    :class:`EquivariantMLPRegressor` (``backbone``) plus a :class:`scalars.nn.PlainMLP`
    of the raw columns, trained on the squared error plus the Gaussian priors
    ``equivariant_weight_decay |theta_eq|^2 + plain_weight_decay |theta_plain|^2``. The
    plain path is expensive, so the model is as equivariant as the data allow. The
    training of :class:`EquivariantMLPRegressor` (:func:`scalars.nn.fit`, the same
    ``"auto"`` settings) and two soft-equivariance options for any ``paths``:

    - ``equivariance_penalty=lambda``: :class:`scalars.nn.EquivariancePenalty`, the Monte
      Carlo mean of ``|f(g x) - rho_out(g) f(x)|^2`` over ``penalty_elements`` random group
      elements per minibatch, times ``lambda`` (the L-BFGS polish is then off: the
      penalty is random);
    - ``augmentation=k``: train on the data and ``k`` copies moved by random group
      elements (:func:`scalars.nn.augment`).

    ``paths="plain"`` drops the equivariant path: a plain MLP trained the same way (the
    baseline, or with a penalty the soft-constraint model).

    Parameters
    ----------
    group, layout, output, particles, hidden_layer_sizes, encoding, learning_rate, batch_size, max_epochs, validation_fraction, patience, random_state, verbose, backbone, bilinear, learning_rate_schedule, polish
        As for :class:`EquivariantMLPRegressor` (of the equivariant path); with
        ``equivariance_penalty > 0`` there is no L-BFGS polish.
    weight_decay : float, default=0.0
        Adam's L2 penalty on every weight, on top of the priors.
    plain_hidden_layer_sizes : tuple of int, default=(128, 128)
        Hidden widths of the plain path.
    equivariant_weight_decay : float, default=1e-5
        Prior precision of the equivariant path.
    plain_weight_decay : float, default=1e-1
        Prior precision of the plain path; much larger.
    plain_readout : bool, default=True
        Give the plain path a linear map of the equivariant path's output too
        (``plain_readout`` of :class:`scalars.nn.ResidualPathway`), as the plain weights of
        the paper's last layer see its equivariant features: a breaking that is linear in
        the equivariant output (ModifiedInertia's ``0.3 (I g) g^T``) then costs the plain
        prior a few weights instead of a network of the raw columns.
    plain_init_scale : float, default=1e-3
        The plain path's output layer starts at this factor of its usual initial weights
        (``init_scale`` of :class:`scalars.nn.PlainMLP`; RPP's own 1e-3): the model starts
        almost exactly equivariant and the plain path grows only where the data pull it.
    paths : {"both", "plain"}, default="both"
    equivariance_penalty : float, default=0.0
        ``lambda >= 0`` of the soft equivariance penalty.
    penalty_elements : int, default=1
        Group elements per minibatch of the penalty (at least 1).
    augmentation : int, default=0
        Moved copies of the training data.
    device : {"cpu", "cuda", "auto"} or torch.device, default="cpu"
        As for :class:`EquivariantMLPRegressor`.

    Attributes
    ----------
    module_ : scalars.nn.ResidualPathway or scalars.nn.PlainMLP
    rep_in_, rep_out_ : Rep
        Those of the equivariant path (the expansion's for ``paths="plain"``): the
        symmetry the model approximates, which the penalty, the augmentation and
        :func:`scalars.testing.equivariance_error` use.
    history_, expansion_, hidden_layer_sizes_, max_epochs_, validation_fraction_, weight_decay_, polish_, device_, n_features_in_
        As for :class:`EquivariantMLPRegressor`.

    Examples
    --------
    >>> from scalars.datasets import ModifiedInertia
    >>> data = ModifiedInertia(64, seed=0)
    >>> model = ResidualPathwayRegressor(**data.estimator_params(), max_epochs=2, random_state=0)
    >>> model.fit(data.X, data.y).predict(data.X[:3]).shape
    (3, 9)
    """

    _parameter_constraints = {
        **EquivariantMLPRegressor._parameter_constraints,
        "weight_decay": [Interval(Real, 0, None, closed="left")],
        "plain_hidden_layer_sizes": ["array-like"],
        "equivariant_weight_decay": [Interval(Real, 0, None, closed="left")],
        "plain_weight_decay": [Interval(Real, 0, None, closed="left")],
        "plain_readout": ["boolean"],
        "plain_init_scale": [Interval(Real, 0, None, closed="left")],
        "paths": [StrOptions({"both", "plain"})],
        "equivariance_penalty": [Interval(Real, 0, None, closed="left")],
        "penalty_elements": [Interval(Integral, 1, None, closed="left")],
        "augmentation": [Interval(Integral, 0, None, closed="left")],
    }

    def __init__(
        self,
        group=None,
        layout=None,
        output="T0",
        particles=None,
        hidden_layer_sizes="auto",
        encoding=None,
        learning_rate=3e-3,
        weight_decay=0.0,
        batch_size=256,
        max_epochs="auto",
        validation_fraction="auto",
        patience=50,
        random_state=None,
        verbose=False,
        backbone="scalars",
        bilinear=4,
        plain_hidden_layer_sizes=(128, 128),
        equivariant_weight_decay=1e-5,
        plain_weight_decay=1e-1,
        plain_readout=True,
        plain_init_scale=1e-3,
        paths="both",
        equivariance_penalty=0.0,
        penalty_elements=1,
        augmentation=0,
        device="cpu",
        learning_rate_schedule="cosine",
        polish="auto",
    ):
        super().__init__(
            group, layout, output, particles, hidden_layer_sizes, encoding, learning_rate, weight_decay, batch_size,
            max_epochs, validation_fraction, patience, random_state, verbose, backbone, bilinear, device,
            learning_rate_schedule, polish,
        )
        self.plain_hidden_layer_sizes = plain_hidden_layer_sizes
        self.equivariant_weight_decay = equivariant_weight_decay
        self.plain_weight_decay = plain_weight_decay
        self.plain_readout = plain_readout
        self.plain_init_scale = plain_init_scale
        self.paths = paths
        self.equivariance_penalty = equivariance_penalty
        self.penalty_elements = penalty_elements
        self.augmentation = augmentation

    def _resolve_settings(self, n_samples):
        n_samples *= 1 + self.augmentation
        super()._resolve_settings(n_samples)
        if self.equivariance_penalty > 0:
            self.polish_ = 0.0

    def _build_module(self, n_features, n_columns):
        from scalars.nn import PlainMLP, ResidualPathway

        if self.paths == "plain":
            return PlainMLP(n_features, n_columns, tuple(self.plain_hidden_layer_sizes), device=self.device_).double()
        plain = PlainMLP(
            n_features, n_columns, tuple(self.plain_hidden_layer_sizes), init_scale=self.plain_init_scale, device=self.device_,
        ).double()
        return ResidualPathway(
            self._equivariant_module(), plain, self.equivariant_weight_decay, self.plain_weight_decay, self.plain_readout,
        )

    def _training_data(self, X, y, rep_in, rep_out, seed):
        """The data and ``augmentation`` copies moved by random group elements (:func:`scalars.nn.augment`)."""
        from scalars.nn import augment

        if not self.augmentation:
            return X, y
        return augment(X, y, rep_in, rep_out, copies=self.augmentation, seed=seed)

    def _training_penalty(self, module, rep_in, rep_out, seed):
        """The priors of the paths plus the soft equivariance term, or None."""
        from scalars.nn import EquivariancePenalty

        soft = None
        if self.equivariance_penalty > 0:
            soft = EquivariancePenalty(rep_in, rep_out, self.equivariance_penalty, self.penalty_elements, seed)
        priors = module.prior_penalty if self.paths == "both" else None
        if soft is None and priors is None:
            return None

        def penalty(net, X):
            return (priors() if priors else 0.0) + (soft(net, X) if soft else 0.0)

        return penalty

    def _to_columns(self, outputs):
        return outputs if self.paths == "plain" else super()._to_columns(outputs)


_STEPS = 3000  # steps of the "auto" budget
_LARGE = 10_000  # training samples from which "auto" widens, holds out a split and drops L-BFGS
_WARMUP = 0.05  # share of the Adam steps with a rising learning rate
_DECAY_TO = 0.01  # the cosine schedule's last learning rate, relative to the peak


def _is_auto(value):
    return isinstance(value, str) and value == "auto"


def _epochs_for(n_samples, validation_fraction, batch_size):
    """Epochs that make ``_STEPS`` steps on the training split, ``_STEPS * n / _LARGE`` from ``_LARGE``."""
    n_train = n_samples - int(n_samples * validation_fraction)
    steps = _STEPS * max(1.0, n_samples / _LARGE)
    return math.ceil(steps / math.ceil(n_train / batch_size))


def _defaults_for(n_samples, batch_size=256):
    """The ``"auto"`` settings of :class:`EquivariantMLPRegressor` for ``n_samples``.

    Returns
    -------
    dict with keys hidden_layer_sizes, max_epochs, validation_fraction, weight_decay, polish
    """
    large = n_samples >= _LARGE
    fraction = 0.1 if large else 0.0
    return dict(
        hidden_layer_sizes=(128, 128) if large else (64, 64),
        max_epochs=_epochs_for(n_samples, fraction, batch_size),
        validation_fraction=fraction,
        weight_decay=0.0 if large else 1e-3,
        polish=0.0 if large else 0.5,
    )


def _seed(random_state):
    """An int seed for torch from an int, a RandomState, a numpy Generator or None."""
    if isinstance(random_state, np.random.Generator):
        return int(random_state.integers(2**31))
    return int(check_random_state(random_state).randint(2**31))
