"""Representations of groups on flat columns: ``T(p, q)``, sums, products and duals.

>>> from scalars.reps import T, rep
>>> V = T(1)("O(1,3)")
>>> (V * V.dual()).size
16
>>> layout = rep("5T0+5T1", "S(5)xO(3)")   # 5 particles, a scalar and a vector each
>>> layout.size
20
"""

from scalars.reps.base import DualRep, NodeSubsetRep, PointRep, ProductRep, Rep, SumRep, T, TensorRep, check_rep_pair
from scalars.reps.layouts import Slot, parse_terms, per_particle, rep, slots
from scalars.reps.projection import project_equivariant, risk_gap
from scalars.reps.solver import BlockBasis, equivariant_basis, equivariant_blocks

__all__ = ["Rep", "T", "TensorRep", "PointRep", "NodeSubsetRep", "SumRep", "ProductRep", "DualRep", "check_rep_pair", "rep", "parse_terms", "per_particle", "Slot", "slots", "equivariant_basis", "equivariant_blocks", "BlockBasis", "project_equivariant", "risk_gap"]
