"""Power at run time: operating point in force, power-cap throttling, idle energy per layer.

The engine-level step between costing and scheduling. Costs are computed on the spec scaled
to an operating point (:mod:`hwsim.hardware.operating`); when a power cap is set, an op whose
power at that point would exceed the cap is re-costed at the highest lower point that fits
(GPU boost behaviour: the clock drops while the board is at its limit), and the graph is
scheduled with each op at its own point.

The power a limiter reacts to is averaged over ``power.cap_window``: consecutive ops are
grouped into windows at least that long, and a window whose average power (dynamic energy over
isolated latency, plus idle power at the point) exceeds the cap runs at the highest point where
it fits. With no window each op is checked on its own. Ops that run concurrently on different
units are each counted as if alone.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from hwsim.costmodel.graph import GraphCost, cost_graph
from hwsim.costmodel.opcost import OpCost
from hwsim.costmodel.placement import Placement
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


def _windows(lat: Sequence[float], window_s: float) -> list[range]:
    """Consecutive ops (their latencies ``lat``) grouped into power-averaging windows of at
    least ``window_s`` (each op alone when the window is 0); the last group may be shorter."""
    groups: list[range] = []
    first = 0
    t = 0.0
    for i, x in enumerate(lat):
        t += x
        if t >= window_s:
            groups.append(range(first, i + 1))
            first, t = i + 1, 0.0
    if first < len(lat):
        groups.append(range(first, len(lat)))
    return groups


@dataclass(frozen=True)
class _Draw:
    """Isolated latency (s) and dynamic energy (J) of each op of a graph on its fastest unit."""

    lat: list[float]
    energy: list[float]

    @classmethod
    def of(cls, gc: GraphCost) -> _Draw:
        return cls([o[0].latency_s for o in gc.options], [o[0].energy_j for o in gc.options])

    def power(self, group: range, idle_w: float) -> float:
        """Average power in W of the ops in ``group`` run back to back."""
        lat = sum(self.lat[group.start : group.stop])
        if lat <= 0:
            return idle_w
        return sum(self.energy[group.start : group.stop]) / lat + idle_w


_SCALED: dict[
    tuple[int, int, Point], tuple[HardwareSpec, SoftwareProfile, HardwareSpec, SoftwareProfile]
] = {}
"""Chip and profile objects at each operating point, by the nominal objects' identity (the
entry keeps them alive, so the ids stay theirs)."""
_SCALED_KEPT = 64


def at_operating_point(
    spec: HardwareSpec, prof: SoftwareProfile, point: Point
) -> tuple[HardwareSpec, SoftwareProfile]:
    """``spec`` and ``prof`` as they behave at ``point`` (:func:`at_point`,
    :func:`profile_at_point`), the same objects on every call: op costs are kept per chip
    object (:func:`hwsim.costmodel.graph.cost_graph`), so a power cap's lower points are costed
    once."""
    key = (id(spec), id(prof), point)
    got = _SCALED.get(key)
    if got is not None and got[0] is spec and got[1] is prof:
        return got[2], got[3]
    scaled = (at_point(spec, point), profile_at_point(spec, prof, point))
    if len(_SCALED) >= _SCALED_KEPT:
        del _SCALED[next(iter(_SCALED))]  # the oldest
    _SCALED[key] = (spec, prof, *scaled)
    return scaled


def _cost_at(
    w: Workload,
    spec: HardwareSpec,
    prof: SoftwareProfile,
    pl: Placement,
    point: Point,
    objective: str = "latency",
) -> GraphCost:
    return cost_graph(w, *at_operating_point(spec, prof, point), pl, objective)


def run_phase(
    w: Workload,
    spec: HardwareSpec,
    prof: SoftwareProfile,
    pl: Placement,
    settings: PowerSettings,
    start: float = 0.0,
    objective: str = "latency",
) -> PoweredPhase:
    """Cost and schedule ``w`` at the requested point, throttling ops over the power cap
    (``objective``: what the per-op mapping search minimises)."""
    top = settings.point
    gc = _cost_at(w, spec, prof, pl, top, objective)
    n = len(gc.options)
    choice = [0] * n
    over = [False] * n
    ladder = [top]
    if settings.cap_w is not None:
        ladder += [p for p in operating_points(spec) if p.clock_hz < top.clock_hz]
        graphs = [gc]
        draws = [_Draw.of(gc)]

        def draw(k: int) -> _Draw:
            while len(graphs) <= k:
                graphs.append(_cost_at(w, spec, prof, pl, ladder[len(graphs)], objective))
                draws.append(_Draw.of(graphs[-1]))
            return draws[k]

        idle = [idle_power(spec, p) for p in ladder]
        for group in _windows(draws[0].lat, spec.power.cap_window):
            k = 0
            while k + 1 < len(ladder) and draw(k).power(group, idle[k]) > settings.cap_w:
                k += 1
            for i in group:
                choice[i] = k
            if draw(k).power(group, idle[k]) > settings.cap_w:
                for i in group:
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


def static_shares(
    spec: HardwareSpec,
    latencies: Sequence[float],
    activity: Callable[[], Sequence[tuple[float, Sequence[float]]]],
    idle_w: Sequence[float],
    latency_s: float,
) -> tuple[list[float], float]:
    """Each layer's share of idle energy ("static"), J, and their total.

    ``latencies``: each layer's latency in s; ``activity()``: each layer's (compute energy J,
    memory energy J per level), asked for only on an MCU with a run current. Idle energy over the whole run is ``sum_i idle_w[i] x latency_i x latency_s / sum_i
    latency_i`` (the run's wall time, shared over layers in proportion to their latency; with
    one operating point it is ``idle_w x latency_s`` exactly). On an MCU whose spec gives a
    datasheet run current, that current already contains the core's arithmetic and on-chip
    memory accesses: those layer energies are carved out of the idle share instead of added
    (static = run energy - attributed activity, never below 0).
    """
    total = sum(latencies)
    n = max(1, len(latencies))
    out = []
    static_total = 0.0
    if spec.power.run_current is None:
        for lat, p in zip(latencies, idle_w):
            static = p * (latency_s * (lat / total) if total > 0 else latency_s / n)
            out.append(static)
            static_total += static
        return out, static_total
    carve = carved_levels(spec)
    for lat, (compute_j, mem_j), p in zip(latencies, activity(), idle_w):
        share = p * (latency_s * (lat / total) if total > 0 else latency_s / n)
        inside = compute_j + sum(e for e, c in zip(mem_j, carve) if c)
        static = max(0.0, share - inside)
        out.append(static)
        static_total += static
    return out, static_total
