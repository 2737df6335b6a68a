"""Per-op cost: compute time, bytes per memory level, energy and bound (pure functions).

``(op, context) -> OpCost``. No simpy here: the engine schedules these costs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from hwsim.costmodel.placement import Placement
from hwsim.costmodel.tiling import gemm_refetch
from hwsim.errors import SimulationError
from hwsim.hardware.models import ComputeUnit, HardwareSpec, SoftwareProfile
from hwsim.units import OPS_PER_MAC
from hwsim.vocabulary import DTYPE_FALLBACK, DType, OpClass
from hwsim.workload.ir import Op

_A, _B, _C = 0, 1, 2


@dataclass(frozen=True, slots=True)
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

    @property
    def bytes_by_level(self) -> tuple[float, ...]:
        """Read + written bytes per level."""
        return tuple(r + w for r, w in zip(self.read_bytes, self.write_bytes))

    @property
    def latency_s(self) -> float:
        """Isolated latency: overhead + max(compute, slowest memory level)."""
        return self.overhead_s + max(self.compute_s, max(self.mem_s, default=0.0))

    @property
    def energy_j(self) -> float:
        """Dynamic energy: compute + every memory level."""
        return self.compute_j + sum(self.mem_j)

    def bound(self, level_names: tuple[str, ...]) -> tuple[str, str | None]:
        """('compute' | 'memory' | 'overhead', level name if memory)."""
        worst = max(self.mem_s, default=0.0)
        if self.overhead_s > max(self.compute_s, worst):
            return "overhead", None
        if worst > self.compute_s:
            return "memory", level_names[self.mem_s.index(worst)]
        return "compute", None


@dataclass(frozen=True)
class CostContext:
    """Everything the per-op cost needs: chip, software profile and tensor placement."""

    spec: HardwareSpec
    profile: SoftwareProfile
    placement: Placement
    _paths: dict[tuple[str, int], tuple[int, ...]] = field(default_factory=dict, compare=False)

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


def _allowed(spec: HardwareSpec, profile: SoftwareProfile | None) -> list[ComputeUnit]:
    """Units the software stack runs on (all when the profile names none)."""
    if profile is None or not profile.compute_units:
        return list(spec.compute)
    return [c for c in spec.compute if c.name in profile.compute_units]


def resolve_dtype(spec: HardwareSpec, dtype: str, profile: SoftwareProfile | None = None) -> str:
    """The dtype the chip actually runs ``dtype`` in (nearest wider supported format)."""
    units = _allowed(spec, profile)
    if any(c.peak.get(DType(dtype)) for c in units):
        return dtype
    for alt in DTYPE_FALLBACK.get(dtype, ()):
        if any(c.peak.get(DType(alt)) for c in units):
            return alt
    native = spec.native_dtype()
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


def spatial_utilisation(unit: ComputeUnit, op: Op) -> float:
    """Fraction of the array's PEs doing useful work for this op's GEMM mapping.

    K (reduction) maps onto rows, N (output channels) onto columns; partial tiles waste PEs.
    """
    if unit.array is None or op.gemm is None:
        return 1.0
    r, c = unit.array.rows, unit.array.cols
    k, n = op.gemm.k, op.gemm.n
    return (k / (math.ceil(k / r) * r)) * (n / (math.ceil(n / c) * c))


def _efficiency(profile: SoftwareProfile, op_class: OpClass) -> float:
    return profile.efficiency.of(op_class)


def compute_time(ctx: CostContext, op: Op, unit: ComputeUnit, dtype: str) -> float:
    """Seconds of compute: MAC work at peak x utilisation x efficiency, plus element ops."""
    t = 0.0
    prof = ctx.profile
    if op.macs:
        peak = unit.total_peak(dtype)
        util = spatial_utilisation(unit, op)
        t += OPS_PER_MAC * op.macs / (peak * util * _efficiency(prof, op.op_class))
    if op.vector_ops:
        vu = unit if unit.vector_peak is not None else vector_units(ctx.spec, ctx.profile)[0]
        assert vu.vector_peak is not None
        cls: OpClass = "attention" if op.op_class == "attention" else "elementwise"
        t += op.vector_ops / (vu.count * vu.vector_peak * _efficiency(prof, cls))
    return t


def compute_energy(ctx: CostContext, op: Op, unit: ComputeUnit, dtype: str) -> float:
    """Joules of arithmetic: MACs x E_mac(dtype) + element ops x E_vec."""
    e = 0.0
    if op.macs:
        e += op.macs * unit.mac_energy(dtype)
    if op.vector_ops:
        vu = unit if unit.vector_peak is not None else vector_units(ctx.spec, ctx.profile)[0]
        assert vu.energy_per_vector_op is not None
        e += op.vector_ops * vu.energy_per_vector_op
    return e


def _innermost_factor(
    ctx: CostContext,
    op: Op,
    unit: ComputeUnit,
    level: int,
    operands: list[int],
    el: list[float],
    active: tuple[int, ...],
) -> dict[int, float]:
    """Refetch factors at the innermost level an operand passes (feeding the unit).

    ``active`` lists every operand that moves at all: a register file is shared by all of
    them, even when they arrive from different levels (weights from flash, activations
    from SRAM on an MCU), so its tiling is solved jointly.
    """
    g = op.gemm
    assert g is not None
    mem = ctx.spec.memory[level]
    if mem.kind == "register":
        # A register file is read for every MAC (no reuse below it).
        full = {_A: float(g.n), _B: float(g.m), _C: 2.0 * g.k - 1.0}
        return {x: full[x] for x in operands}
    if unit.array is not None:
        # Weight-stationary array: a K x N weight tile sits in the PEs while M streams;
        # each input row is re-read once per column tile, partial sums once per row tile.
        r, c = unit.array.rows, unit.array.cols
        ws = {_A: float(math.ceil(g.n / c)), _B: 1.0, _C: 2.0 * math.ceil(g.k / r) - 1.0}
        return {x: ws[x] for x in operands}
    if unit.register_file is not None:
        bufs = tuple(0 if x in active else -1 for x in (_A, _B, _C))
        rf = gemm_refetch(g.m, g.n, g.k, (el[0], el[1], el[2]), bufs, (unit.register_file,))
        return {x: (rf.a, rf.b, rf.c)[x] for x in operands}
    return dict.fromkeys(operands, 1.0)


def free_cost(ctx: CostContext, op: Op, unit: ComputeUnit, dtype: str) -> OpCost:
    """An op the software removed (a batch norm folded into the preceding conv's weights)."""
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
        fused=True,
        notes=("folded into the preceding conv/linear",),
    )


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
    spec, prof, pl = ctx.spec, ctx.profile, ctx.placement
    act = pl.act_level if act_level is None else act_level
    nlev = len(spec.memory)
    reads = [0.0] * nlev
    writes = [0.0] * nlev
    notes: list[str] = []
    overhead = 0.0 if (fused or op.view) else prof.overhead_per_op

    if op.view:
        compute_s = 0.0
        cj = 0.0
    else:
        compute_s = compute_time(ctx, op, unit, dtype)
        cj = compute_energy(ctx, op, unit, dtype)

    if not op.view:
        # Operand bytes and homes.
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
        paths = [ctx.path(kinds[x], homes[x]) if sizes[x] > 0 else () for x in range(3)]
        g = op.gemm
        gemm_like = g is not None and op.macs > 0
        el = [0.0, 0.0, 0.0]
        if gemm_like:
            assert g is not None
            el = [
                a_bytes / (g.groups * g.m * g.k),
                b_bytes / (g.groups * g.k * g.n) if b_bytes else 0.0,
                op.output_bytes / (g.groups * g.m * g.n),
            ]
        # Partial sums live at accumulator width (int32 / fp32), not the output dtype: a
        # partial-sum tile takes that much buffer, and a spill moves that many bytes.
        acc_el = max(el[2], unit.accumulator_bits / 8) if gemm_like else el[2]
        acc_ratio = acc_el / el[2] if gemm_like and el[2] > 0 else 1.0
        el_tile = [el[0], el[1], acc_el]
        active = tuple(x for x in range(3) if sizes[x] > 0)
        # Factor of every operand at every level of its path.
        factor: list[dict[int, float]] = [{}, {}, {}]
        for j in range(nlev):
            present = [x for x in range(3) if j in paths[x]]
            if not present:
                continue
            if not gemm_like:
                for x in present:
                    factor[x][j] = 1.0
                continue
            assert g is not None
            inner_of = {}
            special = []
            for x in present:
                idx = paths[x].index(j)
                if idx == 0:
                    special.append(x)
                else:
                    inner_of[x] = paths[x][idx - 1]
            if special:
                factor_sp = _innermost_factor(ctx, op, unit, j, special, el_tile, active)
                for x, f in factor_sp.items():
                    factor[x][j] = f
            if inner_of:
                bufs_levels = sorted(set(inner_of.values()))
                # A tile must fit one private instance (one SM's shared memory).
                caps = tuple(
                    spec.memory[i].capacity / spec.memory[i].instances for i in bufs_levels
                )
                bufs = tuple(
                    bufs_levels.index(inner_of[x]) if x in inner_of else -1 for x in (_A, _B, _C)
                )
                rf = gemm_refetch(g.m, g.n, g.k, (el_tile[0], el_tile[1], el_tile[2]), bufs, caps)
                for x in inner_of:
                    factor[x][j] = (rf.a, rf.b, rf.c)[x]
        # Turn factors into reads / writes per level.
        for x in range(3):
            path = paths[x]
            for pos, j in enumerate(path):
                f = factor[x].get(j, 1.0)
                if x == _C:
                    # Factor 2r - 1: the final write plus r - 1 partial-sum spills, each a
                    # write and a read back at accumulator width.
                    spill = sizes[x] * acc_ratio * ((f + 1.0) / 2.0 - 1.0)
                    writes[j] += sizes[x] + spill
                    reads[j] += spill
                    if pos > 0:
                        inner = path[pos - 1]
                        reads[inner] += sizes[x] + spill  # drained from the inner level
                        writes[inner] += spill  # spilled partial sums come back in
                else:
                    reads[j] += sizes[x] * f
                    if pos > 0:
                        writes[path[pos - 1]] += sizes[x] * f  # fills the inner level
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

    bw_eff = prof.bandwidth_efficiency
    mem_s = []
    mem_j = []
    for j, m in enumerate(spec.memory):
        if reads[j] == 0 and writes[j] == 0:
            mem_s.append(0.0)
            mem_j.append(0.0)
            continue
        rt, wt = reads[j] / m.read_bw, writes[j] / m.write_bw
        # Register files have separate read and write ports; other levels share one.
        busy = max(rt, wt) if m.kind == "register" else rt + wt
        mem_s.append(m.latency + busy / bw_eff)
        mem_j.append(reads[j] * m.read_j_per_byte + writes[j] * m.write_j_per_byte)
    return OpCost(
        name=op.name,
        op_type=op.op_type,
        op_class=op.op_class,
        unit=unit.name,
        dtype=dtype,
        macs=op.macs,
        flops=op.flops,
        compute_s=compute_s,
        overhead_s=overhead,
        read_bytes=tuple(reads),
        write_bytes=tuple(writes),
        mem_s=tuple(mem_s),
        compute_j=cj,
        mem_j=tuple(mem_j),
        fused=fused,
        notes=tuple(notes),
    )
