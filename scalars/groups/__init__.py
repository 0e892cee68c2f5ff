"""Matrix groups acting on vectors, with their generators, invariant scalars and equivariant bases.

Each group knows how it acts on vectors ``(..., n, d)`` (``v -> g v``, i.e. ``V @ g.T``),
how to draw random elements, its Lie algebra and discrete generators (as real matrices
acting on the columns of one vector), which scalars are invariant (first fundamental
theorem) and which vectors and symmetric tensors span its equivariant outputs:

=========  ==================================  =========================================
group      invariant scalars                   equivariant vectors
=========  ==================================  =========================================
O(d)       <v_i, v_j>, i <= j                  v_i
SO(d)      <v_i, v_j> and det(v_i1 .. v_id)    v_i and cross products of (d-1)-subsets
O(1,d)     Minkowski <v_i, v_j>, i <= j        v_i
Sp(2m)     omega(v_i, v_j), i < j              v_i
U(d)       Re and Im of conj(v_i).v_j          v_i and i v_i (real coefficients)
S(n)       multisymmetric power sums           1 and v_i
Young      those of S(c) within each cluster   cluster indicators and v_i
B(d)       (signed permutations: reps only)
Rubik      (48 stickers, by generators: reps
           only)
Z(n)       Gram, det, Re/Im of degree-n z^a    v_i and their quarter turns
D(n)       even ones of Z(n), products of odd  v_i
E(d)       those of O(d), points centred       centred points and free vectors
SE(d)      those of SO(d), points centred      as SO(d), points centred
G x H      S(k) x G: power sums over the
           particles and pairs of the
           invariants of G
=========  ==================================  =========================================

A group is named by a string (``"O(3)"``, ``"SO(3)"``, ``"O(1,3)"``, ``"Sp(4)"``, ``"U(2)"``,
``"S(5)"``, ``"D(6)"``, ``"C(4)"`` (= ``"Z(4)"``), ``"B(3)"``, ``"E(3)"``, ``"S(5)xO(3)"``, ``"RubiksCube"``) or passed as an object
(``YoungSubgroup(clusters)``, the product of the symmetric groups of clusters of nodes;
``MatrixGroup(matrices)`` and ``PermutationGroup(images)``, the groups their generators generate);
:func:`get_group` turns either into an object and :func:`register_group` adds a name.
"""

from scalars.groups.base import Group, get_group, invariant_degrees, register_group
from scalars.groups.classical import Lorentz, Orthogonal, SpecialOrthogonal, Symplectic, Unitary
from scalars.groups.euclidean import Euclidean, SpecialEuclidean
from scalars.groups.finite import Cyclic, Dihedral, Hyperoctahedral, MatrixGroup, Permutation, YoungSubgroup
from scalars.groups.base import ProductGroup
from scalars.groups.permutation_group import PermutationGroup, RubiksCube

__all__ = [
    "Group",
    "Orthogonal",
    "SpecialOrthogonal",
    "Lorentz",
    "Symplectic",
    "Unitary",
    "Permutation",
    "YoungSubgroup",
    "Cyclic",
    "Dihedral",
    "MatrixGroup",
    "Hyperoctahedral",
    "PermutationGroup",
    "RubiksCube",
    "Euclidean",
    "SpecialEuclidean",
    "ProductGroup",
    "get_group",
    "register_group",
    "invariant_degrees",
]

for _pattern, _factory in [
    (r"O\((\d+)\)", Orthogonal),
    (r"SO\((\d+)\)", SpecialOrthogonal),
    (r"O\(1,(\d+)\)", Lorentz),
    (r"Sp\((\d+)\)", Symplectic),
    (r"U\((\d+)\)", Unitary),
    (r"S\((\d+)\)", Permutation),
    (r"Z\((\d+)\)", Cyclic),
    (r"D\((\d+)\)", Dihedral),
    (r"C\((\d+)\)", Cyclic),
    (r"B\((\d+)\)", Hyperoctahedral),
    (r"E\((\d+)\)", Euclidean),
    (r"SE\((\d+)\)", SpecialEuclidean),
    (r"RubiksCube", RubiksCube),
]:
    register_group(_pattern, _factory)
