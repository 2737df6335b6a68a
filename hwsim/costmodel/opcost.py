"""Per-op cost: compute time, bytes per memory level, energy and bound (pure functions).

``(op, context) -> OpCost``. No simpy here: the engine schedules these costs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple

from hwsim.costmodel.energy import access_energy, arithmetic_energy
from hwsim.costmodel.mappers import MapRequest, levels_key, map_op
from hwsim.costmodel.mapping import Mapping, Operands, level_traffic
from hwsim.costmodel.placement import Placement
from hwsim.errors import SimulationError
from hwsim.hardware.models import ComputeUnit, HardwareSpec, MemoryLevel, SoftwareProfile
from hwsim.units import OPS_PER_MAC
from hwsim.vocabulary import DTYPE_FALLBACK, DType, OpClass
from hwsim.workload.ir import Op


@dataclass(frozen=True)
class OpCost:
    """Cost of one op on one compute unit (isolated: no contention).

    Times in seconds, bytes per memory level (indexed like ``spec.memory``), energy in joules.
    ``latency_s = overhead_s + max(compute_s, max(mem_s))``: transfers overlap compute
    (double buffering); the fixed per-op overhead does not.
    """

    name: str
    op_type: str
    op_class: str
    unit: str
    dtype: str
    macs: int
    flops: int
    compute_s: float
    overhead_s: float
    read_bytes: tuple[float, ...]
    write_bytes: tuple[float, ...]
    mem_s: tuple[float, ...]
    compute_j: float
    mem_j: tuple[float, ...]
    fused: bool = False
    notes: tuple[str, ...] = field(default=())
    mapping: Mapping | None = None
    prefetch_s: tuple[float, ...] = ()
    # Derived once in __post_init__ (read many times by the engine and the result):
    bytes_by_level: tuple[float, ...] = field(init=False, repr=False, compare=False)
    """Read + written bytes per level."""
    latency_s: float = field(init=False, repr=False, compare=False)
    """Isolated latency: overhead + max(compute, slowest memory level), s."""
    energy_j: float = field(init=False, repr=False, compare=False)
    """Dynamic energy: compute + every memory level, J."""

    def __post_init__(self) -> None:
        _derive(self.__dict__)

    @classmethod
    def of(cls, **values: Any) -> OpCost:
        """An op cost from the value of every init field (defaults included), built without
        the generated ``__init__``: a frozen dataclass's sets each field through
        ``object.__setattr__`` (about 3.8 us for these 21 fields, twice what this takes),
        and a sweep builds one per distinct op at every point. Nothing is checked or
        defaulted: for the cost model's own values."""
        values["bytes_by_level"] = _moved(values["read_bytes"], values["write_bytes"])
        return cls._finished(values)

    @classmethod
    def _finished(cls, values: dict[str, Any]) -> OpCost:
        """:meth:`of` where ``values`` holds ``bytes_by_level`` already."""
        cost: OpCost = object.__new__(cls)
        _derive_times(values)
        cost.__dict__.update(values)
        return cost

    def but(self, **changes: Any) -> OpCost:
        """This cost with ``changes`` to init fields (``dataclasses.replace``, without the
        generated ``__init__``), derived fields computed again."""
        values = dict(self.__dict__)
        values.update(changes)
        cost: OpCost = object.__new__(type(self))
        _derive(values)
        cost.__dict__.update(values)
        return cost

    def bound(self, level_names: tuple[str, ...]) -> tuple[str, str | None]:
        """The dominating resource: ('compute' | 'memory' | 'overhead' | 'fused', level
        name if memory). A fused op (its work hidden in its producer's kernel) is 'fused'."""
        worst = max(self.mem_s, default=0.0)
        if self.fused:
            return "fused", None
        if self.overhead_s > max(self.compute_s, worst):
            return "overhead", None
        if worst > self.compute_s:
            return "memory", level_names[self.mem_s.index(worst)]
        return "compute", None


def _moved(reads: tuple[float, ...], writes: tuple[float, ...]) -> tuple[float, ...]:
    """Bytes read + written per level."""
    return tuple(r + w for r, w in zip(reads, writes))


def _derive(values: dict[str, Any]) -> None:
    """Set the derived fields of an :class:`OpCost` in its field dict ``values``."""
    values["bytes_by_level"] = _moved(values["read_bytes"], values["write_bytes"])
    _derive_times(values)


def _derive_times(values: dict[str, Any]) -> None:
    """Set the derived latency and energy of an :class:`OpCost` in its field dict."""
    values["latency_s"] = values["overhead_s"] + max(
        values["compute_s"], max(values["mem_s"], default=0.0)
    )
    values["energy_j"] = values["compute_j"] + sum(values["mem_j"])


class LevelTiming(NamedTuple):
    """What :func:`finish_cost` reads of a memory level, looked up once per context."""

    level: MemoryLevel
    read_bw: float
    """B/s."""
    write_bw: float
    """B/s."""
    cache: bool
    """A cache: its fills take no port time."""
    separate_ports: bool
    """Reads and writes on separate ports (register files, ``duplex``)."""
    latency: float
    """s per access."""


@dataclass(frozen=True)
class CostContext:
    """Everything the per-op cost needs: chip, software profile and tensor placement."""

    spec: HardwareSpec
    profile: SoftwareProfile
    placement: Placement
    objective: str = "latency"
    # Memos of what the context derives from its spec (new ones for a replace()d context):
    _paths: dict[tuple[str, int], tuple[int, ...]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )
    _timing: list[LevelTiming] = field(default_factory=list, init=False, repr=False, compare=False)

    @property
    def level_names(self) -> tuple[str, ...]:
        """Memory level names, nearest first."""
        return tuple(m.name for m in self.spec.memory)

    def path(self, kind: str, home: int) -> tuple[int, ...]:
        """Levels an operand of ``kind`` crosses from ``home`` to compute, inner first."""
        key = (kind, home)
        got = self._paths.get(key)
        if got is None:
            mem = self.spec.memory
            got = tuple(j for j in range(home + 1) if j == home or kind in mem[j].serves)
            self._paths[key] = got
        return got

    def timing(self) -> list[LevelTiming]:
        """Bandwidths, ports and latency of each memory level, nearest first."""
        if not self._timing:
            self._timing.extend(
                LevelTiming(
                    m, m.read_bw, m.write_bw, m.kind == "cache", m.separate_ports, m.latency
                )
                for m in self.spec.memory
            )
        return self._timing


def _allowed(spec: HardwareSpec, profile: SoftwareProfile | None) -> list[ComputeUnit]:
    """Units the software stack runs on (all when the profile names none), with the fp16
    peak of fp16 accumulation when the stack accumulates fp16 GEMMs in fp16."""
    units = spec.units_of(profile)
    if profile is not None and profile.fp16_accumulate:
        units = [c.with_fp16_accumulate() for c in units]
    return units


def resolve_dtype(spec: HardwareSpec, dtype: str, profile: SoftwareProfile | None = None) -> str:
    """The dtype the chip actually runs ``dtype`` in (nearest wider supported format)."""
    units = _allowed(spec, profile)
    if any(c.peak.get(DType(dtype)) for c in units):
        return dtype
    for alt in DTYPE_FALLBACK.get(dtype, ()):
        if any(c.peak.get(DType(alt)) for c in units):
            return alt
    native = spec.native_dtype(profile)
    raise SimulationError(
        f"{spec.name}: no compute unit runs {dtype} or a wider format; "
        f"it runs {native}: pass `dtype` {native}",
        params=("dtype",),
    )


def mac_units(
    spec: HardwareSpec, dtype: str, profile: SoftwareProfile | None = None
) -> list[ComputeUnit]:
    """Units able to run MACs in ``dtype``, fastest first (ties: spec order)."""
    units = [c for c in _allowed(spec, profile) if c.total_peak(dtype) > 0]
    return sorted(units, key=lambda c: -c.total_peak(dtype))


def vector_units(spec: HardwareSpec, profile: SoftwareProfile | None = None) -> list[ComputeUnit]:
    """Units able to run element-wise ops, fastest first (ties: spec order)."""
    units = [c for c in _allowed(spec, profile) if c.vector_peak is not None]
    return sorted(units, key=lambda c: -(c.count * (c.vector_peak or 0.0)))


def candidate_units(
    spec: HardwareSpec, op: Op, profile: SoftwareProfile | None = None
) -> tuple[list[ComputeUnit], str]:
    """Units that can run ``op`` (fastest first) and the dtype they run it in."""
    if op.macs > 0:
        dt = resolve_dtype(spec, op.compute_dtype, profile)
        return mac_units(spec, dt, profile), dt
    return vector_units(spec, profile), op.compute_dtype


def peak_ops(spec: HardwareSpec, dtype: str, profile: SoftwareProfile | None = None) -> float:
    """Best MAC-op throughput (op/s) the stack can reach for ``dtype`` (with fallback)."""
    dt = resolve_dtype(spec, dtype, profile)
    return max(c.total_peak(dt) for c in mac_units(spec, dt, profile))


_PLAIN_WEIGHT_BITS = frozenset({4.0, 8.0, 16.0, 32.0})


def block_quantised(op: Op) -> bool:
    """True when ``op`` multiplies weights stored in a block format (scales included, so not a
    whole 4/8/16/32 bits per weight: q4_0 4.5, int4-g128 4.16, ...)."""
    if not op.macs or not op.params:
        return False
    return round(8.0 * op.weight_bytes / op.params, 6) not in _PLAIN_WEIGHT_BITS


def _efficiency(profile: SoftwareProfile, op_class: OpClass) -> float:
    return profile.efficiency.of(op_class)


def _zero_cost(
    ctx: CostContext,
    op: Op,
    unit: ComputeUnit,
    dtype: str,
    *,
    fused: bool,
    notes: tuple[str, ...] = (),
    mapping: Mapping | None = None,
) -> OpCost:
    """An op that takes no time and moves no data (keeps its MAC/FLOP counts for reporting)."""
    zeros = tuple(0.0 for _ in ctx.spec.memory)
    return OpCost(
        name=op.name,
        op_type=op.op_type,
        op_class=op.op_class,
        unit=unit.name,
        dtype=dtype,
        macs=op.macs,
        flops=op.flops,
        compute_s=0.0,
        overhead_s=0.0,
        read_bytes=zeros,
        write_bytes=zeros,
        mem_s=zeros,
        compute_j=0.0,
        mem_j=zeros,
        fused=fused,
        notes=notes,
        mapping=mapping,
    )


def free_cost(ctx: CostContext, op: Op, unit: ComputeUnit, dtype: str) -> OpCost:
    """An op the software removed (a batch norm folded into the preceding conv's weights)."""
    return _zero_cost(
        ctx, op, unit, dtype, fused=True, notes=("folded into the preceding conv/linear",)
    )


def _operands(
    ctx: CostContext, op: Op, unit: ComputeUnit, act: int, fused: bool
) -> tuple[Operands, tuple[str, str, str]]:
    """Bytes, element sizes and paths of A (input), B (weights / second operand / KV) and C."""
    pl = ctx.placement
    a_bytes = op.input_bytes
    b_bytes = op.weights_read
    b_kind, b_home = "weights", pl.weight_level
    if op.op_type == "matmul" and b_bytes == 0 and len(op.inputs) == 2 and op.gemm:
        # Two activations: the second is the B operand.
        share = op.input_bytes * (op.gemm.k * op.gemm.n) / (op.gemm.k * (op.gemm.m + op.gemm.n))
        a_bytes, b_bytes = op.input_bytes - share, share
        b_kind, b_home = "activations", act
    if op.op_type == "attention":
        b_bytes = op.state_read_bytes
        b_kind, b_home = "activations", pl.state_level
    c_bytes = op.output_bytes
    if fused:
        # First input arrives in registers from the producer; output replaces producer's.
        first = op.input_bytes / max(1, len(op.inputs)) if op.inputs else 0.0
        a_bytes = max(0.0, op.input_bytes - first) if len(op.inputs) > 1 else 0.0
        c_bytes = 0.0
    homes = (act, b_home, act)
    kinds = ("activations", b_kind, "activations")
    sizes = (a_bytes, b_bytes, c_bytes)
    paths = tuple(ctx.path(kinds[x], homes[x]) if sizes[x] > 0 else () for x in range(3))
    g = op.gemm
    el = (0.0, 0.0, 0.0)
    acc_ratio = 1.0
    if g is not None and op.macs > 0:
        out_el = op.output_bytes / (g.groups * g.m * g.n)
        # Partial sums live at accumulator width (int32 / fp32), not the output dtype: a
        # partial-sum tile takes that much buffer, and a spill moves that many bytes.
        acc_el = max(out_el, unit.accumulator_bits / 8)
        acc_ratio = acc_el / out_el if out_el > 0 else 1.0
        el = (
            a_bytes / (g.groups * g.m * g.k),
            b_bytes / (g.groups * g.k * g.n) if b_bytes else 0.0,
            acc_el,
        )
    mem = ctx.spec.memory
    names = (mem[homes[0]].name, mem[homes[1]].name, mem[homes[2]].name)
    return Operands(sizes, el, acc_ratio, (paths[0], paths[1], paths[2])), names


def kernel_of(op: Op) -> tuple[int, int]:
    """The op's kernel size (rows, cols); (1, 1) when it has none."""
    for key, val in op.attrs:
        if key == "kernel" and isinstance(val, tuple) and len(val) == 2:
            return int(val[0]), int(val[1])
    return 1, 1


def _unit_key(unit: ComputeUnit, dtype: str) -> tuple[object, ...]:
    arr = unit.array
    return (
        unit.name,
        unit.kind,
        unit.count,
        unit.cores,
        unit.total_peak(dtype) if unit.peak else 0.0,
        unit.clock,
        (arr.rows, arr.cols, tuple(arr.row_dims), tuple(arr.col_dims)) if arr else None,
        unit.register_file,
        unit.accumulator_bits,
        unit.simd_bits,
        unit.mapper_kind,
    )


_MAPPINGS: dict[tuple[object, ...], Mapping] = {}


def clear_mappings() -> None:
    """Forget the mappings found so far (the next op of each shape is mapped again)."""
    _MAPPINGS.clear()


def mapping_for(
    ctx: CostContext, op: Op, unit: ComputeUnit, dtype: str, operands: Operands
) -> Mapping:
    """The mapper's best mapping of ``op`` on ``unit`` (cached per op shape, unit and what the
    mapper reads of the levels: :func:`~hwsim.costmodel.mappers.levels_key`)."""
    prof = ctx.profile
    eff = _efficiency(prof, op.op_class) if op.macs else 1.0
    key = (
        op.gemm,
        kernel_of(op),
        op.macs,
        operands,
        dtype,
        eff,
        prof.bandwidth_efficiency,
        ctx.objective,
        _unit_key(unit, dtype),
        levels_key(unit, ctx.spec.memory),
    )
    got = _MAPPINGS.get(key)
    if got is None:
        req = MapRequest(
            gemm=op.gemm if op.macs else None,
            kernel=kernel_of(op),
            macs=op.macs,
            operands=operands,
            unit=unit,
            dtype=dtype,
            levels=tuple(ctx.spec.memory),
            eff=eff,
            bw_eff=prof.bandwidth_efficiency,
            objective=ctx.objective,
        )
        got = map_op(req)
        if len(_MAPPINGS) > 65536:
            _MAPPINGS.clear()
        _MAPPINGS[key] = got
    return got


def op_cost(
    ctx: CostContext,
    op: Op,
    unit: ComputeUnit,
    dtype: str,
    *,
    fused: bool = False,
    act_level: int | None = None,
) -> OpCost:
    """Cost of ``op`` on ``unit`` in ``dtype`` (``fused``: its first input comes from the
    producer's registers and its output replaces the producer's, so neither moves;
    ``act_level``: where this op's activations live, default the graph's placement)."""
    act = ctx.placement.act_level if act_level is None else act_level
    if op.view:
        # A view (reshape, transpose the backend folds away) moves no data and costs no dispatch.
        return _zero_cost(
            ctx,
            op,
            unit,
            dtype,
            fused=fused,
            mapping=Mapping(mapper="view", dataflow="view (no data moves)"),
        )
    return finish_cost(ctx, op, op_traffic(ctx, op, unit, dtype, fused=fused, act=act))


def op_traffic(
    ctx: CostContext, op: Op, unit: ComputeUnit, dtype: str, *, fused: bool, act: int
) -> Traffic:
    """:func:`traffic` of ``op`` (not a view) with the mapper's best mapping."""
    operands, _ = _operands(ctx, op, unit, act, fused)
    mapping = mapping_for(ctx, op, unit, dtype, operands)
    return traffic(ctx, op, unit, dtype, operands, mapping, fused=fused, act=act)


def cost_from_mapping(
    ctx: CostContext,
    op: Op,
    unit: ComputeUnit,
    dtype: str,
    operands: Operands,
    mapping: Mapping,
    *,
    fused: bool = False,
    act: int | None = None,
) -> OpCost:
    """Time, bytes per level and energy of ``op`` run with ``mapping`` (hand-checkable).

    ``compute_s = 2 MACs / (peak x utilisation x efficiency) + extra_s + element ops /
    (vector peak x efficiency)``; bytes follow the mapping's factors along its paths
    (:func:`level_traffic`); each level's time is ``latency + (reads + writes) / (bandwidth
    x bandwidth_efficiency)``, where a cache's fills take no port time and a register
    file's read and write ports work in parallel.
    """
    return finish_cost(
        ctx, op, traffic(ctx, op, unit, dtype, operands, mapping, fused=fused, act=act)
    )


@dataclass(frozen=True, slots=True)
class Traffic:
    """The part of an op's cost that no memory level's bandwidth, latency or energy enters:
    compute time and energy, overhead and bytes per level (:func:`finish_cost` adds the
    levels' times and energies)."""

    unit: str
    dtype: str
    fused: bool
    compute_s: float
    overhead_s: float
    compute_j: float
    reads: tuple[float, ...]
    writes: tuple[float, ...]
    fills: tuple[float, ...]
    notes: tuple[str, ...]
    mapping: Mapping
    wpath: tuple[int, ...]
    moved: tuple[float, ...]
    """Bytes read + written per level (the cost's ``bytes_by_level``)."""


def traffic(
    ctx: CostContext,
    op: Op,
    unit: ComputeUnit,
    dtype: str,
    operands: Operands,
    mapping: Mapping,
    *,
    fused: bool = False,
    act: int | None = None,
) -> Traffic:
    """Compute time and energy, overhead and bytes per level of ``op`` run with ``mapping``
    (reads of the levels: names, kinds, capacities and which operands they serve only)."""
    spec, prof, pl = ctx.spec, ctx.profile, ctx.placement
    act = pl.act_level if act is None else act
    nlev = len(spec.memory)
    notes: list[str] = []
    overhead = 0.0 if fused else prof.overhead_per_op
    if not fused and prof.overhead_per_quantized_gemm and block_quantised(op):
        overhead += prof.overhead_per_quantized_gemm
    vu = unit if unit.vector_peak is not None else vector_units(ctx.spec, ctx.profile)[0]
    compute_s = mapping.extra_s
    if op.macs:
        peak = unit.total_peak(dtype)
        compute_s += (
            OPS_PER_MAC * op.macs / (peak * mapping.utilization * _efficiency(prof, op.op_class))
        )
    if op.vector_ops:
        assert vu.vector_peak is not None
        cls: OpClass = "attention" if op.op_class == "attention" else "elementwise"
        compute_s += op.vector_ops / (vu.count * vu.vector_peak * _efficiency(prof, cls))
    cj = arithmetic_energy(op.macs, op.vector_ops, unit, dtype, vu)
    reads, writes, fills = level_traffic(
        nlev, operands.sizes, mapping.paths, mapping.factors, operands.acc_ratio
    )
    # KV-cache append.
    if op.state_write_bytes:
        writes[pl.state_level] += op.state_write_bytes
    # Attention score matrix, unless the stack fuses attention (flash-attention style).
    if op.intermediate_bytes and "attention" not in prof.fusions:
        spill = act
        for j in ctx.path("activations", act):
            if spec.memory[j].capacity >= op.intermediate_bytes:
                spill = j
                break
        reads[spill] += 2 * op.intermediate_bytes
        writes[spill] += 2 * op.intermediate_bytes
        notes.append(f"score matrix spills to {spec.memory[spill].name}")
    wpath = mapping.paths[1] if operands.sizes[1] and op.weights_read else ()
    read_t, write_t = tuple(reads), tuple(writes)
    return Traffic(
        unit.name,
        dtype,
        fused,
        compute_s,
        overhead,
        cj,
        read_t,
        write_t,
        tuple(fills),
        tuple(notes),
        mapping,
        wpath,
        _moved(read_t, write_t),
    )


def finish_cost(ctx: CostContext, op: Op, t: Traffic) -> OpCost:
    """The op's cost from its :class:`Traffic`: each level's time and energy from its
    bandwidth, latency and energy per byte (levels without traffic are not read), and the
    weights' prefetchable share (``op``: the op ``t`` was computed for, or one with the same
    signature: :func:`hwsim.costmodel.graph.cost_graph`)."""
    spec, prof = ctx.spec, ctx.profile
    reads, writes, fills = t.reads, t.writes, t.fills
    bw_eff = prof.bandwidth_efficiency
    mem_s = []
    mem_j = []
    prefetch = []
    for j, (m, read_bw, write_bw, cache, separate_ports, latency) in enumerate(ctx.timing()):
        if reads[j] == 0 and writes[j] == 0:
            mem_s.append(0.0)
            mem_j.append(0.0)
            prefetch.append(0.0)
            continue
        port_w = writes[j] - (fills[j] if cache else 0.0)
        rt, wt = reads[j] / read_bw, port_w / write_bw
        # Register files (and levels marked duplex) read and write on separate ports.
        busy = max(rt, wt) if separate_ports else rt + wt
        mem_s.append(latency + busy / bw_eff)
        mem_j.append(access_energy(m, reads[j], writes[j]))
        prefetch.append(0.0)
    prefetch_on = prof.prefetch_weights
    if prefetch_on is None:
        prefetch_on = spec.kind in ("npu", "accelerator", "mobile_soc")
    wpath = t.wpath
    if prefetch_on and len(wpath) >= 2 and op.weights_read > 0:
        # Double buffering across ops: the weights' first fetch (home -> the level they
        # are staged in) may start while the previous op computes, when the staging level
        # holds them twice. Only the compulsory fetch is moved earlier.
        home, stage = wpath[-1], wpath[-2]
        lv = spec.memory[stage]
        if lv.kind != "register" and 2 * op.weights_read <= lv.capacity:
            f = t.mapping.factors[home][1]
            if f <= 1.0 and mem_s[home] > 0:
                share = op.weights_read / spec.memory[home].read_bw / bw_eff
                prefetch[home] = min(share, mem_s[home])
    return OpCost._finished(
        {
            "name": op.name,
            "op_type": op.op_type,
            "op_class": op.op_class,
            "unit": t.unit,
            "dtype": t.dtype,
            "macs": op.macs,
            "flops": op.flops,
            "compute_s": t.compute_s,
            "overhead_s": t.overhead_s,
            "read_bytes": reads,
            "write_bytes": writes,
            "mem_s": tuple(mem_s),
            "compute_j": t.compute_j,
            "mem_j": tuple(mem_j),
            "fused": t.fused,
            "notes": t.notes,
            "mapping": t.mapping,
            "prefetch_s": tuple(prefetch),
            "bytes_by_level": t.moved,
        }
    )
