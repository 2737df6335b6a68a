"""Frozen op-graph IR: tensors with shapes and dtypes, ops with exact counts.

Convention (contract): 1 MAC = 1 multiply + 1 add; ``flops = 2 * macs + vector_ops``
where ``vector_ops`` are the non-MAC element operations (activations, norms,
softmax, pooling, residual adds), counted per element as in docs/assumptions.md.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from hwsim.errors import WorkloadError
from hwsim.units import OPS_PER_MAC
from hwsim.vocabulary import DTYPE_BYTES, Fusion, OpClass


@dataclass(frozen=True, slots=True)
class Source:
    """What a workload was loaded from, so it can be rebuilt with other parameters.

    Attributes:
        name: the built-in name or model file path given to ``load_workload``.
        params: the parameters given with it (``None`` values left out).
    """

    name: str
    params: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Tensor:
    """An activation tensor: name, shape (elements per dim) and dtype."""

    name: str
    shape: tuple[int, ...]
    dtype: str

    @property
    def numel(self) -> int:
        """Number of elements."""
        return math.prod(self.shape)

    @property
    def nbytes(self) -> float:
        """Size in bytes."""
        return self.numel * DTYPE_BYTES[self.dtype]


@dataclass(frozen=True, slots=True)
class GemmShape:
    """``groups`` independent GEMMs of (M x K) @ (K x N): the op's MAC work as a matmul."""

    groups: int
    m: int
    n: int
    k: int

    @property
    def macs(self) -> int:
        """MACs of all groups."""
        return self.groups * self.m * self.n * self.k


@dataclass(frozen=True, slots=True)
class Op:
    """One operation with its exact counts.

    Attributes:
        name: unique op name.
        op_type: conv2d, linear, matmul, attention, add, relu, softmax, layernorm, ...
        op_class: cost class: gemm, conv, depthwise, elementwise, attention, data.
        inputs: activation tensor names read.
        outputs: activation tensor names written.
        macs: multiply-accumulates.
        vector_ops: non-MAC element operations.
        params: learned parameters.
        weight_bytes: storage bytes of those parameters in the weight dtype (model size).
        weight_read_bytes: weight bytes streamed per execution when it differs from
            ``weight_bytes`` (embedding gathers only the rows it needs; a tied LM head reads
            the embedding matrix it does not own). None means ``weight_bytes``.
        input_bytes: bytes of the activation inputs.
        output_bytes: bytes of the activation outputs.
        compute_dtype: dtype the MACs run in (wider of weight and activation dtype).
        gemm: the MAC work as grouped GEMM (for tiling and array mapping), if any.
        state_read_bytes: persistent state read (KV cache), bytes.
        state_write_bytes: persistent state written (KV cache append), bytes.
        intermediate_bytes: scratch produced and consumed inside the op (attention scores),
            which spills to memory unless the software fuses the op.
        inplace: the output may reuse the (dying) first input's buffer.
        view: the output aliases the input (reshape/flatten): no data moves.
        fusable: fusion kind that folds this op into its producer (activation, norm,
            elementwise), or None.
        attrs: extra attributes (kernel, stride, ...), for display.
    """

    name: str
    op_type: str
    op_class: OpClass
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    macs: int = 0
    vector_ops: int = 0
    params: int = 0
    weight_bytes: float = 0.0
    weight_read_bytes: float | None = None
    input_bytes: float = 0.0
    output_bytes: float = 0.0
    compute_dtype: str = "fp32"
    gemm: GemmShape | None = None
    state_read_bytes: float = 0.0
    state_write_bytes: float = 0.0
    intermediate_bytes: float = 0.0
    inplace: bool = False
    view: bool = False
    fusable: Fusion | None = None
    attrs: tuple[tuple[str, Any], ...] = ()

    @property
    def flops(self) -> int:
        """FLOPs = 2 x MACs + non-MAC ops."""
        return OPS_PER_MAC * self.macs + self.vector_ops

    @property
    def weights_read(self) -> float:
        """Weight bytes read per execution of this op."""
        return self.weight_bytes if self.weight_read_bytes is None else self.weight_read_bytes


@dataclass(frozen=True, slots=True)
class MemoryProfile:
    """Live activation bytes over the execution order.

    ``live_bytes[i]`` is what is allocated while op ``i`` runs (its inputs, its output and
    every tensor produced earlier and still needed later).
    """

    live_bytes: tuple[float, ...]
    planning: str

    @property
    def peak_bytes(self) -> float:
        """Peak live activation bytes."""
        return max(self.live_bytes, default=0.0)

    @property
    def peak_index(self) -> int:
        """Index of the op at which the peak occurs (first one)."""
        if not self.live_bytes:
            return 0
        return self.live_bytes.index(self.peak_bytes)


@dataclass(frozen=True, slots=True)
class PatchSpec:
    """Patch-based execution of the first ops (MCUNetV2): the graph's first ``stage_ops`` ops
    run once per spatial patch of a ``grid`` (rows x cols) over the stage's output.

    The op counts of a patched workload already include the recomputed halo; the memory
    profile of those ops is per patch (see :mod:`hwsim.workload.patches`).
    """

    grid: tuple[int, int]
    stage_ops: int


@dataclass(frozen=True)
class Workload:
    """A model instance: ops in execution order over named tensors, with its parameters.

    Its totals (MACs, FLOPs, parameters, weight and state bytes) are summed on first read
    and kept: a sweep reads them at every point of the same workload object."""

    name: str
    ops: tuple[Op, ...]
    tensors: Mapping[str, Tensor]
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    batch: int = 1
    weight_dtype: str = "fp32"
    act_dtype: str = "fp32"
    family: str = "cnn"
    params_used: Mapping[str, Any] = field(default_factory=dict)
    unsupported: tuple[str, ...] = ()
    source: Source | None = None
    patches: PatchSpec | None = None
    _profiles: dict[tuple[object, ...], MemoryProfile] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    @cached_property
    def macs(self) -> int:
        """Total MACs."""
        return sum(op.macs for op in self.ops)

    @cached_property
    def vector_ops(self) -> int:
        """Total non-MAC element ops."""
        return sum(op.vector_ops for op in self.ops)

    @cached_property
    def flops(self) -> int:
        """Total FLOPs = 2 x MACs + non-MAC ops."""
        return OPS_PER_MAC * self.macs + self.vector_ops

    @cached_property
    def params(self) -> int:
        """Total learned parameters (shared weights counted once)."""
        return sum(op.params for op in self.ops)

    @property
    def active_params(self) -> int:
        """Parameters used per token: MoE experts count top_k of their experts (else params)."""
        total = 0
        for op in self.ops:
            attrs = dict(op.attrs)
            total += int(attrs.get("active_params", op.params)) if op.params else 0
        return total

    @cached_property
    def weight_bytes(self) -> float:
        """Model size in bytes = params x bits/8 (per op's weight dtype)."""
        return sum(op.weight_bytes for op in self.ops)

    @cached_property
    def state_bytes(self) -> float:
        """Persistent state read per pass (KV cache), bytes."""
        return sum(op.state_read_bytes for op in self.ops)

    def memory_profile(
        self, planning: str = "liveness", aliases: Mapping[int, str] | None = None
    ) -> MemoryProfile:
        """Live activation bytes per op for a memory-planning strategy.

        ``liveness``: a tensor lives from its producer to its last consumer (graph inputs from
        the start, graph outputs to the end). ``inplace``: additionally, an in-place op's output
        reuses its first input when that input dies there. ``naive``: every tensor has its own
        buffer for the whole run (sum of all tensors). ``aliases`` maps op indices to the input
        tensor whose buffer their output is written into (folded and fused ops, see
        :func:`hwsim.workload.memory.deployed_profile`); views always alias their input.
        """
        from hwsim.workload.memory import plan_memory

        key = (planning, tuple(sorted((aliases or {}).items())))
        got = self._profiles.get(key)
        if got is None:  # computed once per planning (the ops are immutable)
            got = self._profiles[key] = plan_memory(self, planning, aliases)
        return got

    @property
    def peak_activation_bytes(self) -> float:
        """Peak live activation bytes under liveness planning, every op with its own output
        (the graph as written; :func:`hwsim.workload.memory.deployed_profile` for the graph as
        a runtime deploys it)."""
        return self.memory_profile("liveness").peak_bytes


_GRAPHS_KEPT = 16
"""Most graphs a DecoderWorkload keeps (the prefill and a few sampled decode steps)."""


@dataclass(frozen=True)
class DecoderWorkload:
    """A decoder LLM request: a prefill graph and decode steps whose cost depends on KV length.

    ``decode_step(kv_len)`` builds the one-token graph that attends over ``kv_len`` cached
    tokens. The engine samples a few KV lengths instead of simulating every token.
    """

    name: str
    prompt_len: int
    gen_len: int
    batch: int
    weight_dtype: str
    act_dtype: str
    kv_dtype: str
    kv_bytes_per_token: float
    build_prefill: Callable[[], Workload]
    build_decode_step: Callable[[int], Workload]
    params_used: Mapping[str, Any] = field(default_factory=dict)
    build_shard: Callable[..., DecoderWorkload] | None = None

    family: str = "decoder"
    source: Source | None = None
    _graphs: dict[int, Workload] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )
    """Graphs built so far: -1 the prefill, k >= 0 the decode step over k cached tokens
    (graphs are immutable, so a workload loaded again builds none of them twice)."""

    def shard(self, tp: int = 1, pp: int = 1, stage: int = 0, ep: bool = False) -> DecoderWorkload:
        """One device's share: tensor-parallel degree ``tp``, pipeline stage ``stage`` of
        ``pp`` (its graphs hold that device's weights, KV heads and collectives)."""
        if tp == 1 and pp == 1:
            return self  # ep over one device changes nothing
        if self.build_shard is None:
            raise WorkloadError(f"{self.name}: this model cannot be split (tp, pp)")
        return self.build_shard(tp, pp, stage, ep)

    def prefill(self) -> Workload:
        """The prefill graph over ``prompt_len`` tokens."""
        return self._graph(-1)

    def decode_step(self, kv_len: int) -> Workload:
        """One decode step attending over ``kv_len`` cached tokens."""
        return self._graph(kv_len)

    def _graph(self, key: int) -> Workload:
        g = self._graphs.get(key)
        if g is None:
            g = self.build_prefill() if key < 0 else self.build_decode_step(key)
            if len(self._graphs) >= _GRAPHS_KEPT:
                del self._graphs[next(iter(self._graphs))]  # the oldest
            self._graphs[key] = g
        return g

    def kv_cache_bytes(self, tokens: int | None = None) -> float:
        """KV-cache bytes for ``tokens`` tokens of every sequence in the batch.

        Defaults to the full request (prompt + generated tokens).
        """
        if tokens is None:
            tokens = self.prompt_len + self.gen_len
        return self.batch * tokens * self.kv_bytes_per_token
