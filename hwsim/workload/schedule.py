"""Memory-aware op ordering: the execution order of a branched graph that minimises peak memory.

With branches (Inception modules, residual blocks, two-tower models) several topological orders
are valid and their peaks differ: running a branch that frees a large tensor first keeps less
alive. The search is a dynamic programme over the sets of ops already run (a set fixes which
buffers are alive, whatever the order inside it), in the spirit of SERENITY (Ahn et al., MLSys
2020), layer by layer: exact while every layer keeps at most ``max_states`` sets, a beam of the
``max_states`` best sets beyond that (flagged as not proven optimal).

Fused chains (a conv and the batch norm / activation in its epilogue) move as one unit, so the
order never splits a kernel. The search's cost model is the liveness plan with in-place
single-input ops; the reported peak is always recomputed on the reordered graph.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from hwsim.workload.ir import Workload
from hwsim.workload.memory import (
    DEFAULT_DEPLOYMENT,
    Deployment,
    deployed_aliases,
    deployed_profile,
)

MAX_STATES = 4096
"""Sets of executed ops kept per step before the search becomes a beam."""


@dataclass(frozen=True, slots=True)
class Schedule:
    """An execution order and its peak.

    Attributes:
        order: op indices of the original workload in execution order.
        peak_bytes: peak live activation bytes in that order (as deployed).
        peak_op: name of the op at the peak.
        exact: the search visited every set of executed ops (False: beam).
    """

    order: tuple[int, ...]
    peak_bytes: float
    peak_op: str
    exact: bool


def reorder(w: Workload, order: tuple[int, ...]) -> Workload:
    """``w`` with its ops in ``order`` (must be a topological order)."""
    if sorted(order) != list(range(len(w.ops))):
        raise ValueError("order must be a permutation of the op indices")
    seen: set[str] = set(w.inputs)
    for i in order:
        op = w.ops[i]
        missing = [t for t in op.inputs if t not in seen and t in w.tensors]
        if missing:
            raise ValueError(f"op {op.name!r} runs before its input {missing[0]!r} is produced")
        seen.update(op.outputs)
    return replace(w, ops=tuple(w.ops[i] for i in order))


def _units(w: Workload, aliases: Mapping[int, str]) -> list[list[int]]:
    """Ops grouped into units that move together: an op and the ops fused after it."""
    units: list[list[int]] = []
    for i in range(len(w.ops)):
        if i in aliases and units:
            units[-1].append(i)
        else:
            units.append([i])
    return units


def best_schedule(
    w: Workload,
    deployment: Deployment = DEFAULT_DEPLOYMENT,
    *,
    worst: bool = False,
    max_states: int = MAX_STATES,
) -> Schedule:
    """The op order with the lowest peak (``worst=True``: the highest, for comparison)."""
    aliases = deployed_aliases(w, deployment)
    units = _units(w, aliases)
    n = len(units)
    root: dict[str, str] = {}

    def find(t: str) -> str:
        while t in root:
            t = root[t]
        return t

    for i, op in enumerate(w.ops):
        if len(op.outputs) == 1 and i in aliases:
            root[op.outputs[0]] = find(aliases[i])
        elif op.view and op.inputs and len(op.outputs) == 1:
            root[op.outputs[0]] = find(op.inputs[0])
    size = {t: w.tensors[t].nbytes for t in w.tensors if find(t) == t}
    producer: dict[str, int] = {}
    for u, ops in enumerate(units):
        for i in ops:
            for o in w.ops[i].outputs:
                if find(o) == o:
                    producer[o] = u
    reads: list[set[str]] = []
    for ops in units:
        own = {find(o) for i in ops for o in w.ops[i].outputs}
        reads.append({find(t) for i in ops for t in w.ops[i].inputs if find(t) in size} - own)
    consumers: dict[str, int] = {b: 0 for b in size}  # bitmask of units reading b
    for u, r in enumerate(reads):
        for b in r:
            consumers[b] |= 1 << u
    keep = {find(t) for t in w.outputs}
    pred = [0] * n
    for u, r in enumerate(reads):
        for b in r:
            if b in producer:
                pred[u] |= 1 << producer[b]
    outs = [[b for b in size if producer.get(b) == u] for u in range(n)]
    inplace_src: list[str | None] = []
    for ops in units:
        first = w.ops[ops[0]]
        src = find(first.inputs[0]) if first.inplace and first.inputs else None
        inplace_src.append(src if deployment.planning == "inplace" else None)
    start = sum(size[t] for t in {find(t) for t in w.inputs} if t in size)
    # state: mask -> (alive bytes after the set, peak so far, parent mask, last unit)
    states: dict[int, tuple[float, float, int, int]] = {0: (start, 0.0, -1, -1)}
    history: list[dict[int, tuple[float, float, int, int]]] = [states]
    exact = True
    for _ in range(n):
        nxt: dict[int, tuple[float, float, int, int]] = {}
        for mask, (alive, peak, _p, _u) in states.items():
            for u in range(n):
                bit = 1 << u
                if mask & bit or pred[u] & ~mask:
                    continue
                done = mask | bit
                out_bytes = sum(size[b] for b in outs[u])
                src = inplace_src[u]
                dying = [b for b in reads[u] if consumers[b] & ~done == 0 and b not in keep]
                if (
                    src is not None
                    and src in dying
                    and len(outs[u]) == 1
                    and size[outs[u][0]] <= size[src]
                ):
                    during = alive
                else:
                    during = alive + out_bytes
                after = alive + out_bytes - sum(size[b] for b in dying)
                after -= sum(size[b] for b in outs[u] if consumers[b] == 0 and b not in keep)
                new_peak = max(peak, during)
                cur = nxt.get(done)
                better = (
                    cur is None
                    or (not worst and (new_peak, after) < (cur[1], cur[0]))
                    or (worst and new_peak > cur[1])
                )
                if better:
                    nxt[done] = (after, new_peak, mask, u)
        if len(nxt) > max_states:
            exact = False
            ranked = sorted(nxt.items(), key=lambda kv: (kv[1][1], kv[1][0], kv[0]), reverse=worst)
            nxt = dict(ranked[:max_states])
        states = nxt
        history.append(states)
    mask = (1 << n) - 1
    unit_order: list[int] = []
    for step in range(n, 0, -1):
        _a, _pk, parent, u = history[step][mask]
        unit_order.append(u)
        mask = parent
    unit_order.reverse()
    order = tuple(i for u in unit_order for i in units[u])
    moved = reorder(w, order)
    prof = deployed_profile(moved, deployment)
    return Schedule(order, prof.peak_bytes, moved.ops[prof.peak_index].name, exact)
