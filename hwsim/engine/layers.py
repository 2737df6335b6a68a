"""Per-layer result records of a run: one :class:`LayerResult` per op, with its share of
idle energy, built once from the op's cost and where the schedule put it.

The engine builds one record per op on every run (1,031 for a Llama-2-7B request), so the
part of a record that depends on the op cost alone (bytes and energy per level, bound,
resource times, the utilisation basis) is derived once per cost in a run and shared by the
ops that ran it (repeated blocks, the 32 decoder layers).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from hwsim.costmodel.mapping import Mapping
from hwsim.costmodel.opcost import OpCost
from hwsim.engine.power import static_shares
from hwsim.engine.result import LayerResult
from hwsim.hardware.models import ComputeUnit, HardwareSpec
from hwsim.hardware.operating import Point
from hwsim.units import OPS_PER_MAC


class PendingLayer(NamedTuple):
    """One op's layer record before its share of idle energy is known.

    ``dyn`` replaces the cost's (compute J, memory J per level, bytes per level) where the
    layer stands for many steps (decode); ``scale`` multiplies its MACs, FLOPs and resource
    times likewise."""

    cost: OpCost
    op_type: str
    start: float
    end: float
    latency: float
    transfers: tuple[tuple[str, float, float], ...]
    name: str
    live: float
    point: Point | None
    throttled: bool
    phase: str | None = None
    scale: float = 1.0
    dyn: tuple[float, tuple[float, ...], tuple[float, ...]] | None = None

    def energies(self) -> tuple[float, float, tuple[float, ...]]:
        """(latency s, compute J, memory J per level): what the idle share depends on."""
        if self.dyn is None:
            return self.latency, self.cost.compute_j, self.cost.mem_j
        return self.latency, self.dyn[0], self.dyn[1]


class _Fixed(NamedTuple):
    """What a layer record takes from its op cost alone, not from when the op ran."""

    macs: int
    flops: int
    bytes: dict[str, float]
    dynamic_j: float
    breakdown: dict[str, float]
    arithmetic_intensity: float | None
    bound: str
    bound_level: str | None
    resource_s: dict[str, float]
    mapping: Mapping | None
    work: float
    """MAC ops (else element ops) the op did, against ``peak`` op/s (0: no utilisation)."""
    peak: float


@dataclass(frozen=True)
class _Chip:
    """What every layer record reads from the spec, looked up once per run, and the
    per-cost part of the records built so far in the run (ops that ran the same cost)."""

    levels: tuple[str, ...]
    off_chip: tuple[bool, ...]
    units: dict[str, ComputeUnit]
    _seen: dict[tuple[object, ...], tuple[OpCost, _Fixed]] = field(default_factory=dict)
    _peaks: dict[tuple[str, str], float] = field(default_factory=dict)

    @classmethod
    def of(cls, spec: HardwareSpec) -> _Chip:
        return cls(
            tuple(m.name for m in spec.memory),
            tuple(m.off_chip for m in spec.memory),
            {c.name: c for c in spec.compute},
        )

    def fixed(self, p: PendingLayer) -> _Fixed:
        """The per-cost part of ``p``'s record, derived once per run for each cost, scale and
        step totals (a model's repeated blocks, prefill or decode, share theirs)."""
        key = (id(p.cost), p.scale, p.dyn)
        got = self._seen.get(key)
        if got is None:
            got = self._seen[key] = (p.cost, self._derive(p.cost, p.scale, p.dyn))
        return got[1]

    def _utilization_basis(self, cost: OpCost, scale: float) -> tuple[float, float]:
        """(ops done, peak op/s) that utilisation compares: MAC ops against the unit's MAC
        peak, else element ops against its vector peak; (0, 0) on a link (collectives run
        on a link, not a compute unit: no utilisation)."""
        unit = self.units.get(cost.unit)
        if unit is None:
            return 0.0, 0.0
        if cost.macs:
            key = (cost.unit, cost.dtype)
            peak = self._peaks.get(key)
            if peak is None:
                peak = self._peaks[key] = unit.total_peak(cost.dtype)
            if peak > 0:
                return OPS_PER_MAC * cost.macs * scale, peak
        if cost.flops and unit.vector_peak:
            return cost.flops * scale, unit.count * unit.vector_peak
        return 0.0, 0.0

    def _derive(
        self,
        cost: OpCost,
        scale: float,
        dyn: tuple[float, tuple[float, ...], tuple[float, ...]] | None,
    ) -> _Fixed:
        levels = self.levels
        if dyn is None:
            compute_j, mem_j, byts = cost.compute_j, cost.mem_j, cost.bytes_by_level
        else:
            compute_j, mem_j, byts = dyn
        off = sum(b for b, o in zip(byts, self.off_chip) if o)
        flops = cost.flops * scale
        bound, level = cost.bound(levels)
        # time of each resource (decode layers: the reference step times the number of steps)
        resource = {"compute": cost.compute_s * scale, "overhead": cost.overhead_s * scale}
        resource.update({lv: t * scale for lv, t in zip(levels, cost.mem_s)})
        breakdown = {"compute": compute_j}
        breakdown.update(zip(levels, mem_j))
        work, peak = self._utilization_basis(cost, scale)
        return _Fixed(
            macs=int(round(cost.macs * scale)),
            flops=int(round(flops)),
            bytes={lv: float(b) for lv, b in zip(levels, byts)},
            dynamic_j=compute_j + sum(mem_j),
            breakdown=breakdown,
            arithmetic_intensity=(flops / off) if off > 0 else None,
            bound=bound,
            bound_level=level,
            resource_s=resource,
            mapping=cost.mapping,
            work=work,
            peak=peak,
        )


def _layer(chip: _Chip, p: PendingLayer, static: float) -> LayerResult:
    """The LayerResult of one op, with ``static`` J of idle energy added."""
    fx = chip.fixed(p)
    breakdown = dict(fx.breakdown)
    breakdown["static"] = static
    point = p.point
    return LayerResult.of(
        name=p.name,
        op_type=p.op_type,
        unit=p.cost.unit,
        macs=fx.macs,
        flops=fx.flops,
        bytes=dict(fx.bytes),
        start_s=p.start,
        end_s=p.end,
        latency_s=p.latency,
        energy_j=fx.dynamic_j + static,
        energy_breakdown_j=breakdown,
        arithmetic_intensity=fx.arithmetic_intensity,
        bound=fx.bound,
        bound_level=fx.bound_level,
        transfers=p.transfers,
        phase=p.phase,
        live_bytes=p.live,
        clock_hz=point.clock_hz if point is not None and point.clock_hz > 0 else None,
        throttled=p.throttled,
        mapping=fx.mapping.to_dict() if fx.mapping is not None else None,
        utilization=fx.work / p.latency / fx.peak if fx.peak and p.latency > 0 else None,
        resource_s=dict(fx.resource_s),
    )


def layer_records(
    spec: HardwareSpec,
    pending: Sequence[PendingLayer],
    idle_w: Sequence[float],
    latency_s: float,
) -> tuple[list[LayerResult], float]:
    """The layer records of a run that took ``latency_s``, each with its share of idle energy
    (``idle_w``: idle power in W at each op's operating point; see
    :func:`hwsim.engine.power.static_shares`), and the run's idle energy in J."""
    statics, static_j = static_shares(spec, [p.energies() for p in pending], idle_w, latency_s)
    chip = _Chip.of(spec)
    return [_layer(chip, p, st) for p, st in zip(pending, statics)], static_j
