"""Workloads: op-graph IR, builder with exact counts, built-in zoo, frontends."""

from hwsim.vocabulary import parse_dtype
from hwsim.workload.builder import GraphBuilder
from hwsim.workload.ir import DecoderWorkload, GemmShape, MemoryProfile, Op, Tensor, Workload
from hwsim.workload.registry import builtin_workloads, load_workload, register, with_params

__all__ = [
    "DecoderWorkload",
    "GemmShape",
    "GraphBuilder",
    "MemoryProfile",
    "Op",
    "Tensor",
    "Workload",
    "builtin_workloads",
    "load_workload",
    "parse_dtype",
    "register",
    "with_params",
]
