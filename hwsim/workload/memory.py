"""Activation memory planning on the graph as deployed.

A deployment runtime does not allocate a buffer per op of the training graph: batch norm is
folded into the preceding conv's weights, activations (and with some stacks residual adds) run
in the producer kernel's epilogue, reshapes are views, and some stacks write depthwise and
element-wise outputs over their dying input. This module turns those choices (a
:class:`Deployment`) into live bytes per op; docs/assumptions.md states the rules.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

from hwsim.workload.ir import MemoryProfile, Op, Workload

PLANNINGS = ("liveness", "inplace", "naive")


@dataclass(frozen=True, slots=True)
class Deployment:
    """How a runtime deploys the graph, as far as activation memory is concerned.

    Attributes:
        fold_batchnorm: batch norm right after a conv/linear is folded into its weights.
        fusions: fusion kinds run in the producer's kernel (activation, norm, elementwise).
        planning: liveness (reuse dead buffers), inplace (also write in-place ops over their
            dying input: depthwise convs, element-wise ops), naive (one buffer per tensor).
    """

    fold_batchnorm: bool = True
    fusions: tuple[str, ...] = ("activation",)
    planning: str = "liveness"

    def __post_init__(self) -> None:
        if self.planning not in PLANNINGS:
            raise ValueError(f"unknown memory planning {self.planning!r}")


DEFAULT_DEPLOYMENT = Deployment()
"""Without a chip: what every int8 converter does (TFLite, X-CUBE-AI, TinyEngine): fold batch
norm, fuse activations; buffers reused by liveness, nothing written in place."""


def folded_ops(ops: tuple[Op, ...], fold_batchnorm: bool) -> frozenset[int]:
    """Indices of batch norms folded into the conv/linear right before them."""
    if not fold_batchnorm:
        return frozenset()
    return frozenset(
        i
        for i in range(1, len(ops))
        if ops[i].op_type == "batchnorm"
        and ops[i].inputs
        and ops[i].inputs[0] in ops[i - 1].outputs
        and ops[i - 1].macs > 0
    )


def fused_ops(
    ops: tuple[Op, ...], fusions: Collection[str], folded: Collection[int] = ()
) -> frozenset[int]:
    """Indices of ops run in their producer's kernel.

    An op is fused when its fusion kind is in ``fusions`` and one of its inputs is the output
    of the op right before it, which is a MAC op or itself fused or folded (conv -> bn -> add
    -> relu chains fuse as one kernel).
    """
    kinds = set(fusions)
    chain: set[int] = set(folded)
    fused: set[int] = set()
    for i in range(1, len(ops)):
        op, prev = ops[i], ops[i - 1]
        if i in chain or op.fusable is None or op.fusable not in kinds:
            continue
        from_prev = any(t in prev.outputs for t in op.inputs)
        if from_prev and (prev.macs > 0 or (i - 1) in chain):
            fused.add(i)
            chain.add(i)
    return frozenset(fused)


def deployed_aliases(workload: Workload, deployment: Deployment) -> dict[int, str]:
    """Ops whose output is written into the buffer of one of their inputs, by op index.

    A folded batch norm or a fused op never has a buffer of its own: the producer's kernel
    applies it before writing, so its output lives in the buffer of its input from the chain
    (the other input of a fused residual add is read, not overwritten).
    """
    ops = workload.ops
    folded = folded_ops(ops, deployment.fold_batchnorm)
    fused = fused_ops(ops, deployment.fusions, folded)
    out: dict[int, str] = {}
    for i in sorted(folded | fused):
        op = ops[i]
        src = next(t for t in op.inputs if t in ops[i - 1].outputs)
        if len(op.outputs) == 1 and (
            workload.tensors[op.outputs[0]].nbytes <= workload.tensors[src].nbytes
        ):
            out[i] = src
    return out


def deployed_profile(
    workload: Workload, deployment: Deployment = DEFAULT_DEPLOYMENT
) -> MemoryProfile:
    """Live activation bytes per op of ``workload`` as ``deployment`` runs it (computed
    once per deployment: the workload is immutable and keeps it)."""
    key = ("deployed", deployment)
    got = workload._profiles.get(key)
    if got is None:
        got = workload._profiles[key] = workload.memory_profile(
            deployment.planning, aliases=deployed_aliases(workload, deployment)
        )
    return got


def plan_memory(
    w: Workload, planning: str, aliases: Mapping[int, str] | None = None
) -> MemoryProfile:
    """Live bytes per op (see :meth:`Workload.memory_profile`)."""
    n = len(w.ops)
    if planning not in PLANNINGS:
        raise ValueError(f"unknown memory planning {planning!r}")
    aliases = aliases or {}
    # Aliases: a view's or a fused op's output shares its input's storage.
    root: dict[str, str] = {}

    def find(t: str) -> str:
        while t in root:
            t = root[t]
        return t

    def lifetimes() -> tuple[dict[str, int], dict[str, int]]:
        born: dict[str, int] = {t: 0 for t in w.inputs}
        last: dict[str, int] = {}
        for i, op in enumerate(w.ops):
            ins = [find(t) for t in op.inputs]
            for t in ins:
                last[t] = i
            if len(op.outputs) == 1 and i in aliases:
                root[op.outputs[0]] = find(aliases[i])
                continue
            if op.view and ins and len(op.outputs) == 1:
                root[op.outputs[0]] = ins[0]
                continue
            for o in op.outputs:
                if o not in root:
                    born.setdefault(o, i)
        for t in w.outputs:
            last[find(t)] = n - 1
        return born, last

    born, last = lifetimes()
    if planning == "inplace":
        # A fused residual add whose other input (the skip) dies there: the fused kernel writes
        # each output pixel over the skip's pixel it has just read, so the chain needs no buffer
        # of its own (the conv -> add kernel of an in-place runtime).
        merged: dict[str, str] = {}
        outs = {find(t) for t in w.outputs}
        for i, op in enumerate(w.ops):
            if i not in aliases or not op.inplace or len(op.inputs) != 2:
                continue
            chain = find(aliases[i])
            other = next((find(t) for t in op.inputs if find(t) != chain), None)
            if (
                other is not None
                and chain in born
                and other in born
                and last.get(other) == i
                and other not in outs
                and w.tensors[other].nbytes >= w.tensors[chain].nbytes
            ):
                merged[chain] = other
        if merged:
            root.clear()
            root.update(merged)
            born, last = lifetimes()
    size = {name: w.tensors[name].nbytes for name in born if name in w.tensors}
    if planning == "naive":
        total = float(sum(size.values()))
        return MemoryProfile(tuple(total for _ in range(n)), planning)
    # In-place: output of an in-place op takes over its first input's buffer if that input
    # dies at this op; it then starts "owning" the buffer (no new allocation).
    absorbed: set[str] = set()
    if planning == "inplace":
        outputs = {find(t) for t in w.outputs}
        for i, op in enumerate(w.ops):
            if op.inplace and op.inputs and len(op.outputs) == 1:
                src = find(op.inputs[0])
                out = op.outputs[0]
                if (
                    last.get(src) == i
                    and src in size
                    and out in size
                    and size[out] <= size[src]
                    and src not in outputs
                ):
                    absorbed.add(out)
    if w.patches is not None:
        from hwsim.workload.patches import per_patch_live

        live_base = _sweep(w, size, born, last, absorbed)
        return MemoryProfile(per_patch_live(w, planning, aliases, live_base), planning)
    return MemoryProfile(_sweep(w, size, born, last, absorbed), planning)


def _sweep(
    w: Workload,
    size: Mapping[str, float],
    born: Mapping[str, int],
    last: Mapping[str, int],
    absorbed: Collection[str],
) -> tuple[float, ...]:
    """Live bytes per op from buffer lifetimes [born, last] (absorbed ones start a step later)."""
    n = len(w.ops)
    delta = [0.0] * (n + 1)
    for t, b in size.items():
        start = born[t]
        end = last.get(t, start)
        if t in absorbed:
            start += 1  # shares its input's buffer during the producing op
            if start > end:
                continue
        delta[start] += b
        delta[end + 1] -= b
    live = []
    acc = 0.0
    for i in range(n):
        acc += delta[i]
        live.append(acc)
    return tuple(live)
