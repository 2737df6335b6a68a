"""Cost model: pure functions from (op, placement, spec, profile) to OpCost."""

from hwsim.costmodel.graph import GraphCost, cost_graph, dependencies, fused_ops
from hwsim.costmodel.opcost import CostContext, OpCost, op_cost, spatial_utilisation
from hwsim.costmodel.placement import LevelFit, Placement, place
from hwsim.costmodel.tiling import Refetch, gemm_refetch

__all__ = [
    "CostContext",
    "GraphCost",
    "LevelFit",
    "OpCost",
    "Placement",
    "Refetch",
    "cost_graph",
    "dependencies",
    "fused_ops",
    "gemm_refetch",
    "op_cost",
    "place",
    "spatial_utilisation",
]
