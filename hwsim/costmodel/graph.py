"""Whole-graph costing: placement, fusion, and per-op costs on every candidate unit."""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import partial
from typing import Any

from hwsim.costmodel.opcost import (
    CostContext,
    OpCost,
    Traffic,
    candidate_units,
    clear_mappings,
    finish_cost,
    free_cost,
    kernel_of,
    op_cost,
    op_traffic,
)
from hwsim.costmodel.placement import Placement, place
from hwsim.costmodel.shared import ContextKey, context_key, shared_parts
from hwsim.costmodel.shared import clear as clear_shared
from hwsim.hardware.models import HardwareSpec, SoftwareProfile
from hwsim.workload import memory
from hwsim.workload.ir import MemoryProfile, Op, Workload


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


def folded_ops(workload: Workload, profile: SoftwareProfile) -> frozenset[int]:
    """Indices of batch norms folded into the preceding conv/linear at deployment."""
    return memory.folded_ops(workload.ops, profile.fold_batchnorm)


def fused_ops(workload: Workload, profile: SoftwareProfile) -> frozenset[int]:
    """Indices of ops the software fuses into their producer's kernel (see
    :func:`hwsim.workload.memory.fused_ops`)."""
    return memory.fused_ops(workload.ops, profile.fusions, folded_ops(workload, profile))


def deployment(profile: SoftwareProfile) -> memory.Deployment:
    """What a software profile does to activation memory (folding, fusion, planning)."""
    return memory.Deployment(
        profile.fold_batchnorm, tuple(profile.fusions), profile.memory_planning
    )


def memory_profile(workload: Workload, profile: SoftwareProfile) -> MemoryProfile:
    """Live activation bytes per op of the graph as ``profile`` deploys it."""
    return memory.deployed_profile(workload, deployment(profile))


def _hide_in_epilogue(
    costs: tuple[OpCost, ...], producer_unit: str, slack: float
) -> tuple[tuple[OpCost, ...], float]:
    """A fused op's element-wise work runs in its producer kernel's epilogue.

    On a separate post-processing unit (a GPU's CUDA cores behind the tensor cores, an
    NPU's activation pipeline behind its MAC array) it streams with the producer's output,
    so it is hidden up to the producer's own latency (``slack``, shared along the fused
    chain). On the producer's own unit (an MCU core) it still adds its time. Energy is
    unchanged: the arithmetic still happens.
    """
    out = []
    used = 0.0
    for k, c in enumerate(costs):
        if c.unit == producer_unit or c.compute_s <= 0 or slack <= 0:
            out.append(c)
            continue
        hidden = min(c.compute_s, slack)
        if k == 0:
            used = hidden
        out.append(c.but(compute_s=c.compute_s - hidden, notes=(*c.notes, "epilogue")))
    return tuple(out), slack - used


def op_activation_levels(
    workload: Workload, spec: HardwareSpec, placement: Placement, live: tuple[float, ...]
) -> list[int]:
    """Where each op's activations live: the nearest level that holds activations and has
    room for what is live during that op (plus weights/state placed there); never farther
    than the graph-level placement. When the peak does not fit on chip, only the ops near
    the peak spill; the others keep their activations on chip."""
    mem = spec.memory
    allowed = [j for j, m in enumerate(mem) if "activations" in m.holds and j < placement.act_level]
    reserved = [0.0] * len(mem)
    reserved[placement.weight_level] += workload.weight_bytes
    if workload.state_bytes:
        reserved[placement.state_level] += workload.state_bytes
    out = []
    for b in live:
        lvl = placement.act_level
        for j in allowed:
            if b + reserved[j] <= mem[j].capacity:
                lvl = j
                break
        out.append(lvl)
    return out


def cached_weight_ops(
    workload: Workload,
    spec: HardwareSpec,
    profile: SoftwareProfile,
    placement: Placement,
    peak_act: float,
) -> tuple[int | None, frozenset[int]]:
    """(level, ops) whose weights a ``partial_weight_cache`` stack keeps in the nearest level
    that holds weights when the graph's weights were placed farther out: the first ops' in
    execution order while they fit beside the activations placed there (the first op whose
    weights do not fit ends the cache). ``(None, {})`` when there is nothing to cache."""
    if not profile.partial_weight_cache:
        return None, frozenset()
    mem = spec.memory
    near = next((j for j, m in enumerate(mem) if "weights" in m.holds), None)
    if near is None or near >= placement.weight_level:
        return None, frozenset()
    room = mem[near].capacity - (peak_act if placement.act_level == near else 0.0)
    used, out = 0.0, []
    for i, op in enumerate(workload.ops):
        if op.weight_bytes <= 0:
            continue
        if used + op.weight_bytes > room:
            break
        used += op.weight_bytes
        out.append(i)
    return (near, frozenset(out)) if out else (None, frozenset())


@dataclass(frozen=True, slots=True)
class _Shape:
    """What costing a graph derives from the workload alone, per deployment (fold, fusions)."""

    deps: tuple[tuple[int, ...], ...]
    fused: frozenset[int]
    folded: frozenset[int]
    keys: tuple[int, ...]
    """Per op: the id of everything its cost depends on (op signature, fused, folded)."""


_SIGNATURES: dict[tuple[object, ...], int] = {}
"""Op signatures seen so far, numbered (a small int hashes faster than the tuple)."""
_SHAPES: dict[tuple[int, bool, tuple[str, ...]], tuple[Workload, _Shape]] = {}
"""Per workload object (by identity; the entry keeps it alive, so the id stays its own)."""
_OP_COSTS: dict[tuple[int, int, int, int, int, str], tuple[CostContext, dict[object, Any]]] = {}
"""Per cost context (chip, profile, placement, objective, by identity): op costs by key."""
_KEPT = 16
"""Workloads and contexts kept (the oldest goes first; a sweep makes a new chip per point)."""


def clear_caches() -> None:
    """Forget every op cost, graph shape and mapping computed so far (the next run costs
    from scratch: benchmarks time it; results are the same either way)."""
    _SIGNATURES.clear()
    _SHAPES.clear()
    _OP_COSTS.clear()
    clear_shared()
    clear_mappings()


def _signature(op: Op, fused: bool, folded: bool) -> tuple[object, ...]:
    """Every field of ``op`` that its cost reads (identical ops, such as repeated blocks and
    transformer layers, cost the same)."""
    return (
        op.op_type,
        op.op_class,
        op.macs,
        op.vector_ops,
        op.params,  # block_quantised(op) reads it
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
        kernel_of(op),
        fused,
        folded,
    )


def _remember(table: dict[Any, Any], key: object, value: Any) -> None:
    if len(table) >= _KEPT:
        del table[next(iter(table))]  # the oldest
    table[key] = value


def _shape(workload: Workload, profile: SoftwareProfile) -> _Shape:
    """The workload's dependencies, fused and folded ops and op keys (computed once per
    workload object and deployment)."""
    key = (id(workload), profile.fold_batchnorm, tuple(profile.fusions))
    got = _SHAPES.get(key)
    if got is not None and got[0] is workload:
        return got[1]
    folded = folded_ops(workload, profile)
    fused = fused_ops(workload, profile)
    if len(_SIGNATURES) > 1 << 16:
        clear_caches()
    keys = []
    for i, op in enumerate(workload.ops):
        sig = _signature(op, i in fused, i in folded)
        keys.append(_SIGNATURES.setdefault(sig, len(_SIGNATURES)))
    shape = _Shape(dependencies(workload), fused, folded, tuple(keys))
    _remember(_SHAPES, key, (workload, shape))
    return shape


def _op_costs(ctx: CostContext) -> dict[object, Any]:
    """The op costs already computed in this context (same chip, profile and placement
    objects, same objective), by op key and activation level."""
    pl = ctx.placement
    key = (
        id(ctx.spec),
        id(ctx.profile),
        pl.weight_level,
        pl.act_level,
        pl.state_level,
        ctx.objective,
    )
    got = _OP_COSTS.get(key)
    if got is not None and got[0].spec is ctx.spec and got[0].profile is ctx.profile:
        return got[1]
    memo: dict[object, Any] = {}
    _remember(_OP_COSTS, key, (ctx, memo))
    return memo


def _costs(
    ctx: CostContext,
    ctx_key: ContextKey,
    op: Op,
    fused: bool,
    folded: bool,
    act_level: int,
    key: object,
) -> tuple[OpCost, ...]:
    """Cost of ``op`` on each unit that can run it, fastest first (``ctx_key``: the context's
    :func:`~hwsim.costmodel.shared.context_key`; ``key``: the op's key in the cost memo). The
    part of an op's cost that no level's timing or energy enters is
    shared between chips equal in everything else (:mod:`hwsim.costmodel.shared`)."""
    if folded or op.view:
        # No level's timing enters these: the whole cost is shared (it names the op).
        return shared_parts(
            ctx_key, (key, op.name), partial(_constant, ctx, op, fused, folded, act_level)
        )
    parts = shared_parts(ctx_key, key, partial(_traffic, ctx, op, fused, act_level))
    if len(parts) == 1:  # most ops: one unit runs them
        return (finish_cost(ctx, op, parts[0]),)
    return tuple(finish_cost(ctx, op, p) for p in parts)


def _constant(
    ctx: CostContext, op: Op, fused: bool, folded: bool, act_level: int
) -> tuple[OpCost, ...]:
    units, dtype = candidate_units(ctx.spec, op, ctx.profile)
    if folded:
        return tuple(free_cost(ctx, op, u, dtype) for u in units)
    return tuple(op_cost(ctx, op, u, dtype, fused=fused, act_level=act_level) for u in units)


def _traffic(ctx: CostContext, op: Op, fused: bool, act_level: int) -> tuple[Traffic, ...]:
    units, dtype = candidate_units(ctx.spec, op, ctx.profile)
    return tuple(op_traffic(ctx, op, u, dtype, fused=fused, act=act_level) for u in units)


def cost_graph(
    workload: Workload,
    spec: HardwareSpec,
    profile: SoftwareProfile,
    placement: Placement | None = None,
    objective: str = "latency",
) -> GraphCost:
    """Cost every op of ``workload`` on each unit that can run it (``objective``: what the
    mappers minimise, latency or energy).

    Op costs are pure functions of the op's signature and the context, so they are computed
    once per signature and kept for the next graph on the same chip objects (the sampled
    decode steps differ in their attention ops only; a power cap re-costs the same graph).
    """
    mem_profile = memory_profile(workload, profile)
    peak_act = mem_profile.peak_bytes
    if placement is None:
        placement = place(spec, workload.weight_bytes, peak_act, workload.state_bytes)
    ctx = CostContext(spec, profile, placement, objective)
    act_levels = op_activation_levels(workload, spec, placement, mem_profile.live_bytes)
    shape = _shape(workload, profile)
    fused, folded = shape.fused, shape.folded
    memo = _op_costs(ctx)
    near, cached = cached_weight_ops(workload, spec, profile, placement, peak_act)
    if near is not None:
        # The cached ops read their weights from the near level: their own context.
        ctx_near = CostContext(spec, profile, replace(placement, weight_level=near), objective)
        memo_near = _op_costs(ctx_near)
    options = []
    keys: dict[int, ContextKey] = {}  # the contexts' content keys, computed on a first miss
    producer_unit, slack = "", 0.0
    for i, op in enumerate(workload.ops):
        c, m = (ctx_near, memo_near) if i in cached else (ctx, memo)
        key = (shape.keys[i], act_levels[i])
        got = m.get(key)
        if got is None:
            ck = keys.get(id(c))
            if ck is None:
                ck = keys[id(c)] = context_key(c)
            got = m[key] = _costs(c, ck, op, i in fused, i in folded, act_levels[i], key)
        if i in fused and i not in folded:
            hidden_key = (key, producer_unit, slack)
            hidden = m.get(hidden_key)
            if hidden is None:
                hidden = m[hidden_key] = _hide_in_epilogue(got, producer_unit, slack)
            got, slack = hidden
        elif op.macs > 0:
            # A kernel that later fused ops may hide their element-wise work behind.
            producer_unit, slack = got[0].unit, got[0].latency_s
        options.append(got)
    return GraphCost(ctx, shape.deps, tuple(options), peak_act)
