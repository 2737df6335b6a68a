"""Per-layer result records of a run: one :class:`LayerResult` per op, with its share of
idle energy, built once from the op's cost and where the schedule put it.

The engine builds one record per op on every run (1,031 for a Llama-2-7B request), so the
part of a record that depends on the op cost alone (bytes and energy per level, bound,
resource times, the utilisation basis) is derived once per cost in a run and shared by the
ops that ran it (repeated blocks, the 32 decoder layers).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
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

    def activity(self) -> tuple[float, tuple[float, ...]]:
        """(compute J, memory J per level): what an MCU's idle share depends on besides the
        latency."""
        if self.dyn is None:
            return self.cost.compute_j, self.cost.mem_j
        return self.dyn[0], self.dyn[1]


class _Energy(NamedTuple):
    """What the run's totals take from an op cost alone: its dynamic energy and bound."""

    dynamic_j: float
    compute_j: float
    mem_j: tuple[float, ...]
    """J per memory level."""
    bound: str
    bound_level: str | None


class _Fixed(NamedTuple):
    """What a layer record takes from its op cost alone besides :class:`_Energy`."""

    macs: int
    flops: int
    bytes: dict[str, float]
    arithmetic_intensity: float | None
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
    _energies: dict[object, tuple[OpCost, _Energy]] = field(default_factory=dict)
    _peaks: dict[tuple[str, str], float] = field(default_factory=dict)

    @classmethod
    def of(cls, spec: HardwareSpec) -> _Chip:
        return cls(
            tuple(m.name for m in spec.memory),
            tuple(m.off_chip for m in spec.memory),
            {c.name: c for c in spec.compute},
        )

    def energy(self, p: PendingLayer) -> _Energy:
        """The per-cost part of ``p``'s figures that the run's totals read, derived once per
        run for each cost, scale and step totals (a model's repeated blocks, prefill or
        decode, share theirs; the entry keeps the cost alive, so its id stays its own)."""
        # (a plain graph's layer, one op as costed, is keyed by its cost alone)
        key = id(p.cost) if p.dyn is None and p.scale == 1.0 else (id(p.cost), p.scale, p.dyn)
        got = self._energies.get(key)
        if got is None:
            got = self._energies[key] = (p.cost, self._derive_energy(p.cost, p.dyn))
        return got[1]

    def fixed(self, p: PendingLayer) -> _Fixed:
        """The rest of the per-cost part of ``p``'s record, derived once per run likewise."""
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

    def _derive_energy(
        self, cost: OpCost, dyn: tuple[float, tuple[float, ...], tuple[float, ...]] | None
    ) -> _Energy:
        if dyn is None:  # cost.energy_j is compute_j + sum(mem_j)
            return _Energy(cost.energy_j, cost.compute_j, cost.mem_j, *cost.bound(self.levels))
        compute_j, mem_j = dyn[:2]
        return _Energy(compute_j + sum(mem_j), compute_j, mem_j, *cost.bound(self.levels))

    def _derive(
        self,
        cost: OpCost,
        scale: float,
        dyn: tuple[float, tuple[float, ...], tuple[float, ...]] | None,
    ) -> _Fixed:
        levels = self.levels
        byts = cost.bytes_by_level if dyn is None else dyn[2]
        off = sum(b for b, o in zip(byts, self.off_chip) if o)
        flops = cost.flops * scale
        # time of each resource (decode layers: the reference step times the number of steps)
        resource = {"compute": cost.compute_s * scale, "overhead": cost.overhead_s * scale}
        resource.update({lv: t * scale for lv, t in zip(levels, cost.mem_s)})
        work, peak = self._utilization_basis(cost, scale)
        return _Fixed(
            macs=int(round(cost.macs * scale)),
            flops=int(round(flops)),
            bytes={lv: float(b) for lv, b in zip(levels, byts)},
            arithmetic_intensity=(flops / off) if off > 0 else None,
            resource_s=resource,
            mapping=cost.mapping,
            work=work,
            peak=peak,
        )


def _clock_hz(p: PendingLayer) -> float | None:
    """The clock an op ran at (Hz), None on a chip without clocks."""
    point = p.point
    return point.clock_hz if point is not None and point.clock_hz > 0 else None


def _layer(
    p: PendingLayer,
    en: _Energy,
    fx: _Fixed,
    static: float,
    energy: float,
    levels: tuple[str, ...],
) -> LayerResult:
    """The LayerResult of one op, with ``static`` J of idle energy (``energy``: its total;
    ``levels``: the memory level names)."""
    breakdown = {"compute": en.compute_j}
    breakdown.update(zip(levels, en.mem_j))
    breakdown["static"] = static
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
        energy_j=energy,
        energy_breakdown_j=breakdown,
        arithmetic_intensity=fx.arithmetic_intensity,
        bound=en.bound,
        bound_level=en.bound_level,
        transfers=p.transfers,
        phase=p.phase,
        live_bytes=p.live,
        clock_hz=_clock_hz(p),
        throttled=p.throttled,
        mapping=fx.mapping.to_dict() if fx.mapping is not None else None,
        utilization=fx.work / p.latency / fx.peak if fx.peak and p.latency > 0 else None,
        resource_s=dict(fx.resource_s),
    )


def bound_time_s(layers: Iterable[tuple[str, str | None, float]]) -> dict[str, float]:
    """Summed latency in s per bound of ``layers`` (each ``(bound, bound_level, latency s)``),
    a memory-bound layer under its level's name; keys in order of first appearance."""
    acc: dict[str, float] = {}
    for bound, level, latency in layers:
        key = level if bound == "memory" and level else bound
        acc[key] = acc.get(key, 0.0) + latency
    return acc


@dataclass(frozen=True)
class RunLayers:
    """The per-layer figures of a run and every whole-run sum of them, with or without the
    :class:`LayerResult` records (a sweep row needs only the sums: :meth:`records` is ~35 %
    of a run). Each sum runs over the layers in order, as over the records, so the totals of
    a run are the same floats either way."""

    chip: _Chip
    pending: Sequence[PendingLayer]
    parts: list[_Energy]
    static: list[float]
    """Each layer's share of idle energy, J."""
    static_j: float
    energy: list[float]
    """Each layer's energy, J: dynamic plus its idle share."""

    def records(self) -> list[LayerResult]:
        """One LayerResult per op."""
        fixed, levels = self.chip.fixed, self.chip.levels
        return [
            _layer(p, en, fixed(p), st, e, levels)
            for p, en, st, e in zip(self.pending, self.parts, self.static, self.energy)
        ]

    def energy_j(self, phase: str | None = None) -> float:
        """Energy in J of every layer (of ``phase`` only, when given)."""
        if phase is None:
            return sum(self.energy)
        return sum(e for p, e in zip(self.pending, self.energy) if p.phase == phase)

    def breakdown(self, levels: Sequence[str]) -> dict[str, float]:
        """Energy in J per part over the run: compute, static (idle) and each memory level."""
        # One column of the layers' values per part (as the layers' breakdowns are keyed:
        # a level's name replaces a part's), each summed over the layers in order.
        parts = self.parts
        columns: dict[str, Sequence[float]] = {"compute": [en.compute_j for en in parts]}
        columns.update(zip(self.chip.levels, zip(*(en.mem_j for en in parts))))
        columns["static"] = self.static
        out = {"compute": sum(columns["compute"]), "static": self.static_j}
        for name in levels:
            out[name] = sum(columns.get(name, ()))
        return out

    def bound_counts(self) -> dict[str, int]:
        """How many layers each resource bounds (compute, memory, overhead, fused)."""
        counts = {"compute": 0, "memory": 0, "overhead": 0, "fused": 0}
        for en in self.parts:
            counts[en.bound] += 1
        return counts

    def bound_time_s(self) -> dict[str, float]:
        """:func:`bound_time_s` of the run's layers."""
        return bound_time_s(
            (en.bound, en.bound_level, p.latency) for p, en in zip(self.pending, self.parts)
        )

    def clocks(self, default: float) -> list[tuple[float, float]]:
        """(clock Hz, latency s) of each layer; ``default`` where the layer has no clock."""
        return [(_clock_hz(p) or default, p.latency) for p in self.pending]

    def powers(self) -> list[float]:
        """Power in W of each layer that took time (energy over latency)."""
        return [e / p.latency for p, e in zip(self.pending, self.energy) if p.latency > 0]

    def throttled(self) -> int:
        """How many layers ran below the requested operating point."""
        return sum(1 for p in self.pending if p.throttled)


def run_layers(
    spec: HardwareSpec,
    pending: Sequence[PendingLayer],
    idle_w: Sequence[float],
    latency_s: float,
) -> RunLayers:
    """The layers of a run that took ``latency_s``, each with its share of idle energy
    (``idle_w``: idle power in W at each op's operating point; see
    :func:`hwsim.engine.power.static_shares`)."""
    statics, static_j = static_shares(
        spec,
        [p.latency for p in pending],
        lambda: [p.activity() for p in pending],
        idle_w,
        latency_s,
    )
    chip = _Chip.of(spec)
    parts = [chip.energy(p) for p in pending]
    energy = [en.dynamic_j + st for en, st in zip(parts, statics)]
    return RunLayers(chip, pending, parts, statics, static_j, energy)
