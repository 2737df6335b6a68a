"""Cost model: pure functions from (op, placement, spec, profile) to Mapping and OpCost."""

from hwsim.costmodel.graph import GraphCost, cost_graph, dependencies, fused_ops
from hwsim.costmodel.mappers import MapRequest, map_op
from hwsim.costmodel.mapping import Mapping, Operands, level_traffic
from hwsim.costmodel.opcost import CostContext, OpCost, cost_from_mapping, mapping_for, op_cost
from hwsim.costmodel.placement import LevelFit, Placement, place
from hwsim.costmodel.tiling import Refetch, gemm_refetch, reuse_refetch

__all__ = [
    "CostContext",
    "GraphCost",
    "LevelFit",
    "MapRequest",
    "Mapping",
    "OpCost",
    "Operands",
    "Placement",
    "Refetch",
    "cost_from_mapping",
    "cost_graph",
    "dependencies",
    "fused_ops",
    "gemm_refetch",
    "level_traffic",
    "map_op",
    "mapping_for",
    "op_cost",
    "place",
    "reuse_refetch",
]
