"""Whole-graph costing: placement, fusion, and per-op costs on every candidate unit."""

from __future__ import annotations

from dataclasses import dataclass

from hwsim.costmodel.opcost import CostContext, OpCost, candidate_units, op_cost
from hwsim.costmodel.placement import Placement, place
from hwsim.spec.models import HardwareSpec, SoftwareProfile
from hwsim.workload.ir import Workload


@dataclass(frozen=True)
class GraphCost:
    """Per-op dependencies and candidate costs, plus where tensors live."""

    context: CostContext
    deps: tuple[tuple[int, ...], ...]
    options: tuple[tuple[OpCost, ...], ...]
    peak_activation_bytes: float

    @property
    def placement(self) -> Placement:
        """Where weights, activations and state live."""
        return self.context.placement


def dependencies(workload: Workload) -> tuple[tuple[int, ...], ...]:
    """For each op, the indices of the ops producing its inputs (sorted, unique)."""
    producer: dict[str, int] = {}
    deps: list[tuple[int, ...]] = []
    for i, op in enumerate(workload.ops):
        deps.append(tuple(sorted({producer[t] for t in op.inputs if t in producer})))
        for o in op.outputs:
            producer[o] = i
    return tuple(deps)


def fused_ops(workload: Workload, profile: SoftwareProfile) -> frozenset[int]:
    """Indices of ops the software folds into their producer.

    An op is fused when its fusion kind (activation, norm, elementwise) is in the profile's
    ``fusions`` and its first input is the output of the op right before it, which is a
    MAC op or itself fused (conv -> bn -> relu chains fuse as one kernel).
    """
    kinds = set(profile.fusions)
    fused: set[int] = set()
    ops = workload.ops
    for i in range(1, len(ops)):
        op = ops[i]
        if op.fusable is None or op.fusable not in kinds or not op.inputs:
            continue
        prev = ops[i - 1]
        if op.inputs[0] in prev.outputs and (prev.macs > 0 or (i - 1) in fused):
            fused.add(i)
    return frozenset(fused)


def cost_graph(
    workload: Workload,
    spec: HardwareSpec,
    profile: SoftwareProfile,
    placement: Placement | None = None,
) -> GraphCost:
    """Cost every op of ``workload`` on each unit that can run it."""
    peak_act = workload.memory_profile(profile.memory_planning).peak_bytes
    if placement is None:
        placement = place(spec, workload.weight_bytes, peak_act, workload.state_bytes)
    ctx = CostContext(spec, profile, placement)
    fused = fused_ops(workload, profile)
    options = []
    # OpCost.name is the first op with that signature; use workload.ops[i].name for names.
    memo: dict[tuple[object, ...], tuple[OpCost, ...]] = {}
    for i, op in enumerate(workload.ops):
        # Identical ops (repeated blocks, transformer layers) cost the same: cost once.
        key = (
            op.op_type,
            op.op_class,
            op.macs,
            op.vector_ops,
            op.weight_bytes,
            op.weight_read_bytes,
            op.input_bytes,
            op.output_bytes,
            op.compute_dtype,
            op.gemm,
            op.state_read_bytes,
            op.state_write_bytes,
            op.intermediate_bytes,
            op.view,
            len(op.inputs),
            i in fused,
        )
        got = memo.get(key)
        if got is None:
            units, dtype = candidate_units(spec, op, profile)
            got = tuple(op_cost(ctx, op, u, dtype, fused=i in fused) for u in units)
            memo[key] = got
        options.append(got)
    return GraphCost(ctx, dependencies(workload), tuple(options), peak_act)
