"""Power at run time: operating point in force, power-cap throttling, idle energy per layer.

The engine-level step between costing and scheduling. Costs are computed on the spec scaled
to an operating point (:mod:`hwsim.hardware.operating`); when a power cap is set, an op whose
power at that point would exceed the cap is re-costed at the highest lower point that fits
(GPU boost behaviour: the clock drops while the board is at its limit), and the graph is
scheduled with each op at its own point.

An op's power is ``dynamic energy / isolated latency + idle power at its point``: the
per-op estimate a power manager reacts to (ops that run concurrently on different units are
each checked on their own).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from hwsim.costmodel.graph import GraphCost, cost_graph
from hwsim.costmodel.opcost import OpCost
from hwsim.costmodel.placement import Placement
from hwsim.engine.result import LayerResult
from hwsim.engine.schedule import Schedule, schedule
from hwsim.hardware.models import HardwareSpec, SoftwareProfile
from hwsim.hardware.operating import (
    Point,
    at_point,
    idle_power,
    operating_points,
    profile_at_point,
)
from hwsim.workload.ir import Workload

_CARVED_KINDS = ("register", "sram", "cache", "flash")
"""Memory kinds inside an MCU's datasheet run current (core domain, embedded flash)."""


@dataclass(frozen=True)
class PowerSettings:
    """The operating point asked for and the power cap in force (W, None = no cap)."""

    point: Point
    cap_w: float | None = None


@dataclass(frozen=True)
class PoweredPhase:
    """A scheduled graph with the operating point each op ran at."""

    graph: GraphCost
    sched: Schedule
    points: tuple[Point, ...]
    throttled: tuple[bool, ...]
    over_cap: tuple[bool, ...]

    def cost(self, i: int) -> OpCost:
        """The cost of op ``i`` on the unit the scheduler chose."""
        return self.graph.options[i][self.sched.chosen[i]]


def op_power(cost: OpCost, idle_w: float) -> float:
    """Power in W of one op running alone: dynamic energy over its latency plus idle power."""
    lat = cost.latency_s
    if lat <= 0:
        return idle_w
    return cost.energy_j / lat + idle_w


def _cost_at(
    w: Workload, spec: HardwareSpec, prof: SoftwareProfile, pl: Placement, point: Point
) -> GraphCost:
    return cost_graph(w, at_point(spec, point), profile_at_point(spec, prof, point), pl)


def run_phase(
    w: Workload,
    spec: HardwareSpec,
    prof: SoftwareProfile,
    pl: Placement,
    settings: PowerSettings,
    start: float = 0.0,
) -> PoweredPhase:
    """Cost and schedule ``w`` at the requested point, throttling ops over the power cap."""
    top = settings.point
    gc = _cost_at(w, spec, prof, pl, top)
    n = len(gc.options)
    choice = [0] * n
    over = [False] * n
    ladder = [top]
    if settings.cap_w is not None:
        cap = settings.cap_w
        ladder += [p for p in operating_points(spec) if p.clock_hz < top.clock_hz]
        graphs = [gc]
        idle = [idle_power(spec, top)]
        pending = [i for i in range(n) if op_power(gc.options[i][0], idle[0]) > cap]
        k = 0
        while pending and k + 1 < len(ladder):
            k += 1
            graphs.append(_cost_at(w, spec, prof, pl, ladder[k]))
            idle.append(idle_power(spec, ladder[k]))
            for i in pending:
                choice[i] = k
            pending = [i for i in pending if op_power(graphs[k].options[i][0], idle[k]) > cap]
        for i in pending:
            over[i] = True
        if any(choice):
            gc = replace(gc, options=tuple(graphs[choice[i]].options[i] for i in range(n)))
    sched = schedule(
        gc.deps,
        gc.options,
        [c.name for c in spec.compute],
        [m.name for m in spec.memory],
        names=[op.name for op in w.ops],
        start_s=start,
    )
    return PoweredPhase(
        graph=gc,
        sched=sched,
        points=tuple(ladder[c] for c in choice),
        throttled=tuple(c > 0 for c in choice),
        over_cap=tuple(over),
    )


def carved_levels(spec: HardwareSpec) -> tuple[bool, ...]:
    """Per memory level: True when its energy is part of an MCU's datasheet run current."""
    inside = spec.power.run_current is not None
    return tuple(inside and m.kind in _CARVED_KINDS for m in spec.memory)


def with_idle(
    spec: HardwareSpec,
    layers: Sequence[LayerResult],
    idle_w: Sequence[float],
    latency_s: float,
) -> tuple[list[LayerResult], float]:
    """Add each layer's share of idle energy ("static") and return the layers and its total.

    Idle energy over the whole run is ``sum_i idle_w[i] x latency_i x latency_s / sum_i
    latency_i`` (the run's wall time, shared over layers in proportion to their latency; with
    one operating point it is ``idle_w x latency_s`` exactly). On an MCU whose spec gives a
    datasheet run current, that current already contains the core's arithmetic and on-chip
    memory accesses: those layer energies are carved out of the idle share instead of added
    (static = run energy - attributed activity, never below 0).
    """
    total = sum(layer.latency_s for layer in layers)
    n = max(1, len(layers))
    carve = carved_levels(spec)
    mcu = spec.power.run_current is not None
    out = []
    static_total = 0.0
    for layer, p in zip(layers, idle_w):
        wall = latency_s * (layer.latency_s / total) if total > 0 else latency_s / n
        share = p * wall
        bd = dict(layer.energy_breakdown_j)
        energy = layer.energy_j
        if mcu:
            inside = bd.get("compute", 0.0) + sum(
                bd.get(m.name, 0.0) for m, c in zip(spec.memory, carve) if c
            )
            static = max(0.0, share - inside)
        else:
            static = share
        bd["static"] = static
        static_total += static
        out.append(
            LayerResult(**{**layer.__dict__, "energy_j": energy + static, "energy_breakdown_j": bd})
        )
    return out, static_total
