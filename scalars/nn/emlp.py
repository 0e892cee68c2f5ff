"""Equivariant MLPs for any representation (EMLP, Finzi, Welling and Wilson, ICML 2021), in torch.

The layers act on flat rows ``x`` of shape (..., rep.size) of a :class:`scalars.reps.Rep`:

- :class:`EquivariantLinear`: ``W x + b`` with ``W`` in the span of the equivariant maps
  (:func:`scalars.reps.equivariant_blocks`, solved once per pair of representations) and
  ``b`` in the invariant subspace of the output;
- :class:`GatedNonlinearity`: each non-scalar block of the representation times the
  sigmoid of its own extra scalar channel, the gate (:func:`gated` appends them); scalars
  and permutation blocks go through ``x sigmoid(x)`` pointwise;
- :class:`EquivariantBilinear`: ``0.1 W(x) x`` with the entries of ``W(x)`` linear in the
  blocks of ``x`` that transform like them (EMLP's cheap bilinear layer). EMLP picks those
  blocks at random when the layer is built, so a rebuilt model differs; here the choice
  is a function of the representations, so a model saved with ``torch.save(state_dict)``
  and loaded with ``torch.load(..., weights_only=True)`` predicts exactly the same;
- :class:`EMLP`: blocks of linear, bilinear and gated layers, hidden representations from
  :func:`uniform_rep` (EMLP's heuristic that spreads channels evenly over tensor ranks).

The bases are kept in float64 and rounded afresh to the module's precision whenever it
moves (``.float()``, ``.double()``, ``.to``), so float64 networks are equivariant to
rounding error and float32 ones to single precision.

>>> import torch
>>> from scalars.nn import EMLP
>>> from scalars.reps import rep
>>> net = EMLP(rep("2T1", "O(5)"), rep("T0", "O(5)"), "O(5)", hidden=64, layers=2).double()
>>> net(torch.randn(7, 10, dtype=torch.float64)).shape
torch.Size([7, 1])
"""

import math
import warnings

import numpy as np
import torch
from scipy.special import comb
from torch import nn

from scalars.groups import get_group
from scalars.nn.devices import resolve_device
from scalars.nn.layers import location_scale
from scalars.reps import Rep, SumRep, T, equivariant_blocks, rep
from scalars.reps.solver import is_permutation, leaf_types, leaves

__all__ = ["EquivariantLinear", "EquivariantBilinear", "GatedNonlinearity", "EMLPBlock", "EMLP", "gated", "uniform_rep"]


class _ExactBuffers(nn.Module):
    """Keeps float64 numpy originals of constant tensors and re-rounds them on every move."""

    def __init__(self):
        super().__init__()
        self._exact = {}

    def register_exact(self, name, array, dtype=None):
        """A non-persistent buffer ``name`` from ``array``: rebuilt from it, not cast, by ``.to``."""
        self._exact[name] = array
        self.register_buffer(name, torch.tensor(array, dtype=dtype or torch.get_default_dtype()), persistent=False)

    def _apply(self, fn, recurse=True):
        super()._apply(fn, recurse)
        for name, array in self._exact.items():
            moved = getattr(self, name)
            setattr(self, name, torch.tensor(array, dtype=moved.dtype, device=moved.device))
        return self


def _no_maps(rep_in, rep_out):
    group = rep_in.group.name
    message = f"no {group}-equivariant linear map from {rep_in} to {rep_out}: the only one is zero"
    if all(_trivial(leaf) for leaf, _ in leaves(rep_out)):
        message += (
            f"; {rep_in} has no {group}-invariant linear function (vectors cannot map linearly to scalars: "
            f"w.v is invariant only for a vector w that {group} fixes, and it fixes none here)"
        )
    return message + ". Put a nonlinear layer in between (EMLP's gated or bilinear layers) or predict from invariants."


def _distinct(indices):
    """The distinct column arrays of ``indices`` (one per leaf type, told apart by their first
    column) in order of appearance, and the position of each of ``indices`` among them."""
    distinct, position = {}, []
    for index in indices:
        position.append(distinct.setdefault(int(index.ravel()[0]), (len(distinct), index))[0])
    return [index for _, index in distinct.values()], position


def _leaf_groups(module, indices, size):
    """Register ``module._gather`` (None if the identity) that sorts the input columns into the
    distinct leaf types of ``indices``, side by side; keep their widths in ``module._widths``.

    Returns the position of each of ``indices`` among the leaf types."""
    distinct, position = _distinct(indices)
    order = np.concatenate([index.ravel() for index in distinct])
    identity = len(order) == size and np.array_equal(order, np.arange(size))
    module._gather = None if identity else _Columns(order)
    module._widths = [index.size for index in distinct]
    return position


def _split_by_leaf(module, x):
    """The columns of ``x`` (b, size) of each leaf type of :func:`_leaf_groups`: one gather, one split."""
    return torch.split(x if module._gather is None else module._gather(x), module._widths, 1)


class _Columns:
    """``x[:, index]`` for a fixed ``index``, as a concatenation of slices when ``index`` is a few
    runs of consecutive columns (a column gather and its backward, a scatter, are slow on CPU)."""

    MAX_RUNS = 8

    def __init__(self, index):
        index = np.asarray(index, dtype=np.int64)
        breaks = np.flatnonzero(np.diff(index) != 1) + 1
        starts = np.concatenate([[0], breaks])
        lengths = np.diff(np.concatenate([starts, [len(index)]]))
        self.runs = [(int(index[a]), int(n)) for a, n in zip(starts, lengths)]
        self.index = torch.as_tensor(index)

    def __call__(self, x):
        if len(self.runs) > self.MAX_RUNS:
            return x[:, self.index.to(x.device)]
        pieces = [x.narrow(1, start, length) for start, length in self.runs]
        return pieces[0] if len(pieces) == 1 else torch.cat(pieces, 1)


def _register_placement(module, indices, size):
    """Register ``module._placement``: the gather that puts the blocks of the distinct output leaf
    types of ``indices`` (column arrays (m, o), side by side, then zeros for the rest) in their columns."""
    covered, _ = _distinct(indices)
    placed = np.concatenate([index.ravel() for index in covered] + [np.zeros(0, dtype=np.int64)])
    order = np.concatenate([placed, np.setdiff1d(np.arange(size), placed)])
    module._placement = _Columns(np.argsort(order))
    return len(placed)


def _placed(module, parts, n_rows, like):
    """The output (n_rows, rep_out.size) from the blocks ``parts`` of :func:`_register_placement`'s order."""
    size = module.rep_out.size
    if module._n_covered < size:
        parts = parts + [like.new_zeros(n_rows, size - module._n_covered)]
    return module._placement(torch.cat(parts, 1))


def _linear_block(inputs, basis, c):
    """``out[b, x, o] = sum_{y, k, i} c[x, y, k] basis[k, o, i] inputs[b, y, i]`` as (b, m_out o).

    inputs (b, m_in, i), basis (r, o, i), c (m_out, m_in, r): two matrix products, the basis
    first or the coefficients first, whichever takes fewer flops.
    """
    b, (m_out, m_in, r), (_, o, i) = len(inputs), c.shape, basis.shape
    if r == 1 and o == 1 and i == 1:  # scalars
        return inputs.reshape(b, m_in) @ (c[:, :, 0] * basis[0, 0, 0]).T
    if m_in * r * o * (i + m_out) <= m_out * r * i * (m_in + o):
        T = inputs.reshape(b * m_in, i) @ basis.permute(2, 0, 1).reshape(i, r * o)  # (b m_in, r o)
        T = T.reshape(b, m_in, r, o).permute(0, 3, 1, 2).reshape(b * o, m_in * r)
        return (T @ c.reshape(m_out, m_in * r).T).reshape(b, o, m_out).transpose(1, 2).reshape(b, m_out * o)
    U = inputs.transpose(1, 2).reshape(b * i, m_in) @ c.permute(1, 0, 2).reshape(m_in, m_out * r)  # (b i, m_out r)
    U = U.reshape(b, i, m_out, r).permute(0, 2, 3, 1).reshape(b * m_out, r * i)
    return (U @ basis.permute(0, 2, 1).reshape(r * i, o)).reshape(b, m_out * o)


class EquivariantLinear(_ExactBuffers):
    """An equivariant affine map ``x -> W x + b`` between two representations.

    ``W = sum_k c_k W_k`` over the equivariant basis of maps ``rep_in -> rep_out`` (kept per
    pair of leaf types, :class:`scalars.reps.BlockBasis`), ``b`` over the invariant vectors
    of ``rep_out``. Initialised as EMLP: an orthogonal matrix and a uniform bias, each
    projected onto its subspace.

    Parameters
    ----------
    rep_in, rep_out : Rep
        Representations of one group.
    bias : bool, default=True
    device : {"cpu", "cuda", "auto"} or torch.device, default="cpu"
        Where its parameters and buffers live (:func:`scalars.nn.resolve_device`).

    Attributes
    ----------
    weights : nn.ParameterList
        Coefficients of each block, shape (m_out, m_in, r).
    biases : nn.ParameterList
        Coefficients of each invariant block of ``rep_out``, shape (m_out, 1, r).

    Raises
    ------
    ValueError
        If there is no nonzero equivariant map from ``rep_in`` to ``rep_out``.
    """

    def __init__(self, rep_in, rep_out, bias=True, device="cpu"):
        super().__init__()
        self.rep_in, self.rep_out = rep_in, rep_out
        maps = equivariant_blocks(rep_in, rep_out)
        if maps.dim == 0:
            raise ValueError(_no_maps(rep_in, rep_out))
        self._maps = {"weight": maps, "bias": equivariant_blocks(rep_out) if bias else None}
        self.weights = self._blocks("weight")
        self.biases = self._blocks("bias") if bias else nn.ParameterList()
        self.reset_parameters()
        self.to(resolve_device(device, "EquivariantLinear: device"))

    @torch.no_grad()
    def reset_parameters(self):
        """Draw ``W`` orthogonal and ``b`` uniform in [0, 1/sqrt(size)) from torch's generator,
        each projected onto its subspace (so :func:`scalars.nn.fit` draws them from its seed)."""
        W0 = nn.init.orthogonal_(torch.empty(self.rep_out.size, self.rep_in.size, dtype=torch.float64)).numpy()
        b0 = np.random.default_rng(int(torch.randint(2**31, ()))).uniform(0, 1 / math.sqrt(self.rep_out.size), self.rep_out.size)
        for kind, start, parameters in (("weight", W0, self.weights), ("bias", b0[:, None], self.biases)):
            for parameter, block in zip(parameters, self._maps[kind].blocks if len(parameters) else ()):
                piece = start[block.out_index[:, None, :, None], block.in_index[None, :, None, :]]  # (m_out, m_in, o, i)
                parameter.copy_(torch.as_tensor(np.einsum("xyoi,koi->xyk", piece, block.basis)))

    def _blocks(self, kind):
        """Coefficients of each block of ``kind`` (zeros until :meth:`reset_parameters`); registers bases and places."""
        maps, coefficients, places = self._maps[kind], [], []
        n_in = maps.rep_in.size
        for index, block in enumerate(maps.blocks):
            self.register_exact(f"_{kind}_basis{index}", block.basis)
            shape = (block.out_index.shape[0], block.in_index.shape[0], len(block.basis))
            coefficients.append(nn.Parameter(torch.zeros(shape, dtype=torch.get_default_dtype())))
            places.append((block.out_index[:, :, None, None] * n_in + block.in_index[None, None, :, :]).ravel())
        flat = np.concatenate(places) if places else np.zeros(0, dtype=np.int64)
        self.register_buffer(f"_{kind}_places", torch.as_tensor(flat, dtype=torch.long), persistent=False)
        if kind == "weight":
            self._sources = _leaf_groups(self, [block.in_index for block in maps.blocks], maps.rep_in.size)
            self._targets = _distinct([block.out_index for block in maps.blocks])[1]
            self._n_covered = _register_placement(self, [b.out_index for b in maps.blocks], maps.rep_out.size)
        return nn.ParameterList(coefficients)

    def _assemble(self, kind, coefficients, shape):
        if not len(coefficients):
            return None
        values = [
            torch.einsum("xyk,koi->xoyi", c, getattr(self, f"_{kind}_basis{index}")).reshape(-1)
            for index, c in enumerate(coefficients)
        ]
        flat = torch.zeros(math.prod(shape), dtype=values[0].dtype, device=values[0].device)
        return flat.index_put((getattr(self, f"_{kind}_places"),), torch.cat(values)).reshape(shape)

    def weight(self):
        """The equivariant matrix ``W``, shape (rep_out.size, rep_in.size)."""
        return self._assemble("weight", self.weights, (self.rep_out.size, self.rep_in.size))

    def bias(self):
        """The invariant vector ``b``, shape (rep_out.size,), or None."""
        b = self._assemble("bias", self.biases, (self.rep_out.size, 1))
        return None if b is None else b[:, 0]

    def forward(self, x):
        """(..., rep_in.size) -> (..., rep_out.size).

        Block by block, never forming ``W``: the inputs of a leaf type times each basis map
        (a small shared matrix), then the coefficients (one matrix product), so the cost is
        that of the nonzero blocks, not of the dense ``W``.
        """
        lead, x = x.shape[:-1], x.reshape(-1, x.shape[-1])
        inputs = _split_by_leaf(self, x)
        blocks = {}
        for index, c in enumerate(self.weights):
            source, target = self._sources[index], self._targets[index]
            basis = getattr(self, f"_weight_basis{index}")
            block = _linear_block(_rows_of(inputs[source], basis.shape[2]), basis, c)
            blocks[target] = block if target not in blocks else blocks[target] + block
        out = _placed(self, [blocks[target] for target in sorted(blocks)], len(x), x)
        b = self.bias()
        out = out if b is None else out + b
        return out.reshape(tuple(lead) + (self.rep_out.size,))


def gated(rep_):
    """``rep_`` followed by one scalar gate for each leaf that is neither scalar nor a permutation rep."""
    group = rep_.group
    gates = sum(1 for leaf, _ in leaves(rep_) if not is_permutation(leaf))
    return rep_ + gates * T(0)(group) if gates else rep_


class GatedNonlinearity(nn.Module):
    """EMLP's gated nonlinearity on ``gated(rep)`` -> ``rep``.

    A leaf that is a scalar or a permutation representation becomes ``x sigmoid(x)``
    (pointwise, which commutes with permutations); any other leaf is multiplied by the
    sigmoid of its gate, an invariant scalar, which keeps it equivariant.
    """

    def __init__(self, rep_, device="cpu"):
        super().__init__()
        self.rep = rep_
        index, gate = np.arange(rep_.size), rep_.size
        for leaf, columns in leaves(rep_):
            if not is_permutation(leaf):
                index[columns] = gate
                gate += 1
        self.register_buffer("gate_index", torch.as_tensor(index), persistent=False)
        self.to(resolve_device(device, "GatedNonlinearity: device"))

    def forward(self, x):
        """(..., gated(rep).size) -> (..., rep.size)."""
        return x[..., : self.rep.size] * torch.sigmoid(x[..., self.gate_index])


def _same_action(a, b):
    """Whether two representations of one group give the same matrices (on every generator)."""
    if a.size != b.size:
        return False
    group = a.group
    return all(np.allclose(a.rho(h), b.rho(h), atol=1e-12) for h in group.discrete_generator_elements()) and all(
        np.allclose(a.drho(A), b.drho(A), atol=1e-12) for A in group.lie_algebra_elements()
    )


class EquivariantBilinear(nn.Module):
    """EMLP's bilinear layer ``x -> 0.1 W(x) x``, ``W(x)`` an equivariant map ``rep_in -> rep_out``.

    Each block of ``W`` between a leaf type ``O`` of ``rep_out`` and ``I`` of ``rep_in``
    transforms as ``O (x) I*``; where non-scalar leaves of ``x`` transform the same way, the
    block is a learned combination of ``min(copies, size)`` of them, taken evenly spread
    over the copies (EMLP draws them at random). Blocks with no such leaf stay zero.

    Parameters
    ----------
    rep_in, rep_out : Rep
    device : {"cpu", "cuda", "auto"} or torch.device, default="cpu"
        Where its parameters and buffers live (:func:`scalars.nn.resolve_device`).

    Attributes
    ----------
    weights : nn.ParameterList
        Per family of blocks, shape (m_out, m_in, n_sources), initialised N(0, 1).
    """

    def __init__(self, rep_in, rep_out, device="cpu"):
        super().__init__()
        self.rep_in, self.rep_out = rep_in, rep_out
        sources = [(leaf, index) for leaf, index in leaf_types(rep_in).items() if not _trivial(leaf)]
        self.families, weights, covered, groups, self._spreads = [], [], [], [], []
        for leaf_out, out_index in leaf_types(rep_out).items():
            for leaf_in, in_index in leaf_types(rep_in).items():
                block_rep = leaf_out * leaf_in.dual()
                for leaf_x, x_index in sources:
                    if _same_action(block_rep, leaf_x):
                        n = min(len(x_index), leaf_x.size)
                        spread = (np.arange(n) * len(x_index)) // n  # evenly spread copies
                        f = len(self.families)
                        self.register_buffer(f"_source{f}", torch.as_tensor(x_index[spread]), persistent=False)
                        self._spreads.append(len(x_index) // n if len(x_index) % n == 0 else torch.as_tensor(spread))
                        groups += [in_index, x_index]
                        self.register_buffer(f"_input{f}", torch.as_tensor(in_index), persistent=False)
                        o, i, m_out, m_in = leaf_out.size, leaf_in.size, len(out_index), len(in_index)
                        sources_first = n * o * m_in * (i + m_out) <= m_out * n * i * (m_in + o)  # fewer flops
                        if not covered or covered[-1] is not out_index:
                            covered.append(out_index)
                        self.families.append((o, i, sources_first, len(covered) - 1))
                        weights.append(nn.Parameter(torch.empty(m_out, m_in, n)))
                        break
        self.weights = nn.ParameterList(weights)
        self._n_covered = _register_placement(self, covered, rep_out.size)
        self._groups = _leaf_groups(self, groups, rep_in.size)  # leaf types of inputs and sources, by family
        self.reset_parameters()
        self.to(resolve_device(device, "EquivariantBilinear: device"))

    @torch.no_grad()
    def reset_parameters(self):
        """Draw the weights N(0, 1) from torch's generator (so :func:`scalars.nn.fit` draws them from its seed)."""
        for weight in self.weights:
            weight.normal_()

    def forward(self, x):
        """(..., rep_in.size) -> (..., rep_out.size)."""
        lead, x = x.shape[:-1], x.reshape(-1, x.shape[-1])
        rows = x.T.contiguous() if not all(first for _, _, first, _ in self.families) else None
        columns = _split_by_leaf(self, x)
        blocks = {}
        for f, ((o, i, sources_first, target), c) in enumerate(zip(self.families, self.weights)):
            if sources_first:
                leaf_in, leaf_x = (columns[k] for k in self._groups[2 * f : 2 * f + 2])
                spread = self._spreads[f]  # a step, or the copies' positions
                Z = _rows_of(leaf_x, o * i)
                Z = Z[:, ::spread] if isinstance(spread, int) else Z[:, spread.to(x.device)]
                block = _sources_first(Z.flatten(1), _rows_of(leaf_in, i), c, o, i)
            else:  # (rows, b): gathered by rows
                block = _inputs_first(rows[getattr(self, f"_source{f}")], rows[getattr(self, f"_input{f}")], c, o, i)
            blocks[target] = block if target not in blocks else blocks[target] + block
        out = _placed(self, [blocks[target] for target in sorted(blocks)], len(x), x)
        return 0.1 * out.reshape(tuple(lead) + (self.rep_out.size,))


def _rows_of(columns, width):
    """(b, m width) columns as (b, m, width); explicit sizes, so that an empty batch reshapes too."""
    return columns.reshape(len(columns), columns.shape[-1] // width, width)


def _sources_first(Z, inputs, c, o, i):
    """``out[b, x, o] = sum_{j, y} c[x, y, j] (Z_j x_y)[b, o]`` as (b, m_out o).

    Z (b, n o i) and inputs (b, m_in, i) hold the samples in their first axis; c is
    (m_out, m_in, n). One batched product over samples, then one matrix product.
    """
    b, (m_out, m_in, n) = len(Z), c.shape
    P = torch.bmm(Z.reshape(b, n * o, i), inputs.transpose(1, 2))  # (b, n o, m_in)
    P = P.reshape(b, n, o, m_in).transpose(1, 2).reshape(b * o, n * m_in)
    block = (P @ c.permute(2, 1, 0).reshape(n * m_in, m_out)).reshape(b, o, m_out).transpose(1, 2)
    return block.reshape(b, m_out * o)


def _inputs_first(Z, inputs, c, o, i):
    """``out[b, x, o] = sum_j (Z_j (sum_y c[x, y, j] x_y))[b, o]`` as (b, m_out o).

    Z (n, o, i, b) and inputs (m_in, i, b) hold the samples in their last axis, so that
    the products over j and i are elementwise over long contiguous rows (a batched
    product of such small matrices goes through a slow per-sample loop in torch).
    """
    (m_out, m_in, n), b = c.shape, Z.shape[-1]
    U = c.permute(0, 2, 1).reshape(m_out * n, m_in) @ inputs.reshape(m_in, i * b)  # (m_out n, i b)
    block = (U.reshape(m_out, n, 1, i, b) * Z.reshape(1, n, o, i, b)).sum((1, 3))  # (m_out, o, b)
    return block.reshape(m_out * o, b).T


def _trivial(leaf):
    """A leaf on which the whole group acts as the identity (a scalar, maybe of a product group)."""
    group = leaf.group
    return all(np.allclose(leaf.rho(h), np.eye(leaf.size)) for h in group.discrete_generator_elements()) and not any(
        np.any(leaf.drho(A)) for A in group.lie_algebra_elements()
    )


class EMLPBlock(nn.Module):
    """``gate(bilinear(lin) + lin)`` with ``lin = EquivariantLinear(rep_in, gated(rep_out))(x)``."""

    def __init__(self, rep_in, rep_out, device="cpu"):
        super().__init__()
        self.linear = EquivariantLinear(rep_in, gated(rep_out))
        self.bilinear = EquivariantBilinear(gated(rep_out), gated(rep_out))
        self.nonlinearity = GatedNonlinearity(rep_out)
        self.to(resolve_device(device, "EMLPBlock: device"))

    def forward(self, x):
        lin = self.linear(x)
        return self.nonlinearity(self.bilinear(lin) + lin)


def _is_orthogonal(group):
    """Whether the group acts by orthogonal matrices (its dual representation is the vector one)."""
    algebra, discrete = group.lie_algebra(), group.discrete_generators()
    antisymmetric = np.allclose(algebra, -np.swapaxes(algebra, -1, -2))
    return antisymmetric and np.allclose(discrete @ np.swapaxes(discrete, -1, -2), np.eye(group.n_columns))


def _binomial_allocation(count, rank, group):
    """``count`` tensors of total rank ``rank`` as ``T(p, rank - p)`` in binomial proportions.

    Orthogonal groups do not tell ``p`` from ``q``: ``count * T(rank)``. Otherwise the
    remainder after whole multiples of ``2^rank`` goes by largest remainders, not at random.
    """
    if _is_orthogonal(group) or rank == 0:
        return [(count, T(rank)(group))]
    weights = np.array([comb(rank, p, exact=True) for p in range(rank, -1, -1)])
    shares = count * weights / 2**rank
    counts = np.floor(shares).astype(int)
    counts[np.argsort(-(shares - counts), kind="stable")[: count - counts.sum()]] += 1
    return [(int(n), T(p, rank - p)(group)) for n, p in zip(counts, range(rank, -1, -1)) if n]


def uniform_rep(channels, group):
    """EMLP's allocation of ``channels`` columns over tensor ranks, evenly by size.

    Repeatedly takes the largest rank ``r`` with ``(r + 1) d^r`` columns left and adds
    ``d^(r - s)`` tensors of each rank ``s <= r`` (``d`` columns per vector); mixed tensors
    ``T(p, q)`` share each rank in binomial proportions unless the group is orthogonal.

    Parameters
    ----------
    channels : int
    group : str or Group

    Returns
    -------
    Rep of size ``channels``, ranks in increasing order

    Examples
    --------
    >>> str(uniform_rep(384, "O(5)"))
    '134T0+25T1+5T2'
    """
    group = get_group(group)
    d, left = group.n_columns, int(channels)
    counts = {}
    while left > 0:
        top = 0
        while d > 1 and (top + 2) * d ** (top + 1) <= left:
            top += 1
        for r in range(top + 1):
            counts[r] = counts.get(r, 0) + d ** (top - r)
        left -= (top + 1) * d**top
    terms = [term for r in sorted(counts) for term in _binomial_allocation(counts[r], r, group)]
    return SumRep([n * leaf for n, leaf in terms])


def _hidden_list(hidden, layers):
    """The hidden representations (positive ints or Reps), one per hidden layer."""
    if isinstance(layers, bool) or not isinstance(layers, (int, np.integer)) or layers < 0:
        raise ValueError(f"layers must be a non-negative integer, got {layers!r}")
    single = isinstance(hidden, (int, np.integer, Rep)) and not isinstance(hidden, bool)
    hidden = [hidden] * int(layers) if single else list(hidden) if isinstance(hidden, (list, tuple)) else [hidden]
    for h in hidden:
        if isinstance(h, bool) or not (isinstance(h, Rep) or (isinstance(h, (int, np.integer)) and h >= 1)):
            raise ValueError(f"hidden must be a positive number of channels, a Rep, or a sequence of them; got {h!r}")
    return hidden


def _no_path(error, hidden, middle, group):
    """The message for an EMLP that cannot be built: the channels that allow scalars only, if any."""
    scalar_only = [
        (h, r) for h, r in zip(hidden, middle) if not isinstance(h, Rep) and all(_trivial(leaf) for leaf, _ in leaves(r))
    ]
    if not scalar_only:
        return str(error)
    h, r = scalar_only[0]
    d = group.n_columns
    return (
        f"hidden={h} gives a hidden layer of scalars only: uniform_rep({h}, '{group.name}') is {r} (a vector of "
        f"{group.name} takes {d} columns, and uniform_rep allots vectors from {2 * d} channels on), and no "
        f"nonzero {group.name}-equivariant map leads from scalars to the vectors and tensors after it. Use at "
        f"least {2 * d} channels, or pass the Rep of each hidden layer."
    )


def _warn_if_constant(rep_in, rep_out):
    """Warn when every equivariant function ``rep_in -> rep_out`` is confined to the invariants of ``rep_out``."""
    if not all(_trivial(leaf) for leaf, _ in leaves(rep_in)):
        return
    n_invariant = equivariant_blocks(rep_out).dim
    if n_invariant == rep_out.size:
        return
    group = rep_in.group.name
    reach = "is zero" if n_invariant == 0 else f"takes values in the {n_invariant}-dimensional invariant subspace only"
    warnings.warn(
        f"{group} acts trivially on the input {rep_in} (scalars only), so every {group}-equivariant function "
        f"of it to {rep_out} {reach}, this EMLP's output included, whatever it learns. Give it inputs that transform "
        "(vectors), or predict the invariant part only.",
        UserWarning,
        stacklevel=3,
    )


class EMLP(nn.Module):
    """An equivariant MLP: ``layers`` :class:`EMLPBlock` s, then an :class:`EquivariantLinear`.

    Parameters
    ----------
    rep_in, rep_out : Rep or str
        Representations (or layout strings) of ``group`` on the input and output columns.
    group : str or Group
    hidden : int, Rep, or sequence of int or Rep, default=384
        Hidden representations: an int means :func:`uniform_rep` with that many channels.
        A sequence gives one per hidden layer (and then ``layers`` is ignored).
    layers : int, default=3
        Number of hidden layers when ``hidden`` is a single int or Rep.
    device : {"cpu", "cuda", "auto"} or torch.device, default="cpu"
        Where its parameters and buffers live (:func:`scalars.nn.resolve_device`).

    Attributes
    ----------
    reps : list of Rep
        Input, hidden and output representations.
    rep_in, rep_out : Rep
        The first and last of them.
    input_offset, input_scale, output_offset, output_scale : buffers
        Standardisation of inputs and outputs (identity until :meth:`fit_statistics`).

    Raises
    ------
    ValueError
        For a ``hidden`` that is not a positive int, a Rep or a sequence of them, a negative
        ``layers``, or hidden representations through which no equivariant map reaches
        ``rep_out`` (too few channels for anything but scalars, say).

    Warns
    -----
    UserWarning
        When the group acts trivially on ``rep_in`` (scalars only) but not on ``rep_out``:
        every equivariant function then takes values in the invariant subspace of
        ``rep_out`` (zero for a vector of O(d)), whatever the network learns.
    """

    def __init__(self, rep_in, rep_out, group, hidden=384, layers=3, device="cpu"):
        super().__init__()
        group = get_group(group)
        rep_in, rep_out = (r.bind(group) if isinstance(r, Rep) else rep(r, group) for r in (rep_in, rep_out))
        hidden = _hidden_list(hidden, layers)
        middle = [h.bind(group) if isinstance(h, Rep) else uniform_rep(h, group) for h in hidden]
        self.group, self.reps = group, [rep_in, *middle, rep_out]
        self.rep_in, self.rep_out = rep_in, rep_out
        try:
            self.network = nn.Sequential(
                *[EMLPBlock(a, b) for a, b in zip(self.reps[:-2], self.reps[1:-1])],
                EquivariantLinear(self.reps[-2], rep_out),
            )
        except ValueError as error:
            raise ValueError(_no_path(error, hidden, middle, group)) from error
        _warn_if_constant(rep_in, rep_out)
        for name, size in [("input", rep_in.size), ("output", rep_out.size)]:
            self.register_buffer(f"{name}_offset", torch.zeros(size))
            self.register_buffer(f"{name}_scale", torch.ones(size))
        self.to(resolve_device(device, "EMLP: device"))

    def forward(self, x):
        """(..., rep_in.size) -> (..., rep_out.size), in the precision of the network.

        Raises
        ------
        TypeError
            If ``x`` is not a torch tensor or not of the network's dtype.
        ValueError
            If ``x`` does not have ``rep_in.size`` columns.
        """
        self._check_input(x)
        out = self.network((x - self.input_offset) / self.input_scale)
        return out * self.output_scale + self.output_offset

    def _check_input(self, x):
        rep_in, dtype = self.reps[0], self.input_offset.dtype
        if not isinstance(x, torch.Tensor):
            raise TypeError(
                f"EMLP takes a torch tensor of shape (..., {rep_in.size}) for its input representation "
                f"{rep_in!r}, got {type(x).__name__}"
            )
        if x.shape[-1:] != (rep_in.size,):
            raise ValueError(
                f"EMLP's input representation {rep_in!r} has {rep_in.size} columns, but x has shape {tuple(x.shape)}"
            )
        if x.dtype != dtype:
            raise TypeError(
                f"this EMLP computes in {dtype}, but x is {x.dtype}: convert x (x.to({dtype})) or the network "
                "(.double() or .float())"
            )

    @torch.no_grad()
    def fit_statistics(self, X, y=None):
        """Standardise each leaf of the inputs (and outputs) equivariantly from training data.

        A leaf's offset is the projection of its mean on its invariant vectors (the mean of
        a scalar; zero for a vector of O(d)), its scale the root mean square of what is left:
        an invariant shift and a positive factor, which commute with the group.

        Parameters
        ----------
        X : tensor of shape (n_samples, rep_in.size)
        y : tensor of shape (n_samples, rep_out.size), optional

        Returns
        -------
        self
        """
        for name, data, rep_ in [("input", X, self.reps[0]), ("output", y, self.reps[-1])]:
            if data is None:
                continue
            data = data.detach().cpu().double().numpy().reshape(len(data), -1)
            offset, scale = np.zeros(rep_.size), np.ones(rep_.size)
            for leaf, columns in leaves(rep_):
                invariant = equivariant_blocks(leaf).dense()
                offset[columns], scale[columns] = location_scale(data[:, columns], center=invariant, pooled=True)
            getattr(self, f"{name}_offset").copy_(torch.as_tensor(offset))
            getattr(self, f"{name}_scale").copy_(torch.as_tensor(scale))
        return self
