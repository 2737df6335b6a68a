"""Discrete-event schedule of op costs on compute units and memory channels (simpy).

Each compute unit is a process serving a queue of ready ops (lowest index first). An op
becomes ready when the ops producing its inputs are done; it then queues on the unit where
it would finish first (earliest-finish-time list scheduling: the unit's current op and
queue, then the op's own latency there). A unit pays the op's fixed overhead, then
computes while its transfers stream through each memory level's channel (double
buffering: the op ends when both its compute and its slowest transfer are done). Where the
cost allows it (``OpCost.prefetch_s``), an op's weight fetch starts early, when the
previous op on the same unit started (double buffering across ops). A
channel serves one transfer at a time, in the order ops claim it (a claim reserves the
channel from when it is next free). Compute units and channels are shared, so independent
branches contend for them. Events grow with the number of ops (about one per op).
Ties break by op index: same inputs, same schedule.
"""

from __future__ import annotations

import heapq
from collections.abc import Generator, Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

import simpy

from hwsim.costmodel.opcost import OpCost


@dataclass(frozen=True, slots=True)
class Event:
    """One op as scheduled: when it held its unit and each memory channel."""

    index: int
    name: str
    unit: str
    start_s: float
    end_s: float
    transfers: tuple[tuple[str, float, float], ...]

    @property
    def latency_s(self) -> float:
        """Time from taking the unit to finishing, seconds."""
        return self.end_s - self.start_s


@dataclass(frozen=True, slots=True)
class Schedule:
    """Events in op order and the makespan."""

    events: tuple[Event, ...]
    chosen: tuple[int, ...]
    makespan_s: float


_by_start = itemgetter(1, 0)
"""Transfers of an op in time order (ties: level name)."""


def schedule(
    deps: Sequence[Sequence[int]],
    options: Sequence[Sequence[OpCost]],
    unit_names: Sequence[str],
    level_names: Sequence[str],
    *,
    names: Sequence[str] | None = None,
    start_s: float = 0.0,
) -> Schedule:
    """Schedule ops with dependencies on shared units and memory channels.

    Args:
        deps: for each op, the indices of the ops it waits for (all lower indices).
        options: for each op, its cost on each candidate unit, fastest first.
        unit_names: all compute unit names.
        level_names: memory level names (index = position in OpCost.mem_s).
        names: op names for the events (default: the costs' names).
        start_s: time offset of the schedule.
    """
    env = simpy.Environment(initial_time=start_s)
    n = len(options)
    dependents: list[list[int]] = [[] for _ in range(n)]
    waiting = [0] * n
    for i, ds in enumerate(deps):
        for d in set(ds):
            dependents[d].append(i)
            waiting[i] += 1
    # Each compute unit is a process serving its queue of ready ops, lowest index first.
    queues: dict[str, list[int]] = {u: [] for u in unit_names}
    unit_free = dict.fromkeys(unit_names, start_s)  # when the unit's current op ends
    queued = dict.fromkeys(unit_names, 0.0)  # isolated latency of the ops queued on it
    wake: dict[str, simpy.Event] = {u: env.event() for u in unit_names}
    # A memory channel serves transfers one at a time in the order the ops claim it:
    # a claim reserves the channel from max(now, free_at) for the transfer's duration.
    free_at = [start_s] * len(level_names)
    events: list[Event | None] = [None] * n
    last_start: dict[str, float | None] = dict.fromkeys(unit_names)  # previous op's start
    chosen = [0] * n

    def ready(i: int) -> None:
        """Op i's inputs exist: queue it on the unit where it would finish first (its
        current op and queue, then the op's own latency on that unit; ties: fastest)."""
        opts = options[i]
        pick = 0
        if len(opts) > 1:
            best = float("inf")
            for k, c in enumerate(opts):
                finish = max(env.now, unit_free[c.unit]) + queued[c.unit] + c.latency_s
                if finish < best * (1 - 1e-12):
                    best, pick = finish, k
            chosen[i] = pick
        cost = opts[pick]
        unit = cost.unit
        queued[unit] += cost.latency_s
        heapq.heappush(queues[unit], i)
        if not wake[unit].triggered:
            wake[unit].succeed()

    def serve(unit: str) -> Generator[Any, Any, None]:
        queue = queues[unit]
        while True:
            if not queue:
                wake[unit] = env.event()
                yield wake[unit]
                continue
            i = heapq.heappop(queue)
            cost = options[i][chosen[i]]
            queued[unit] -= cost.latency_s
            t0 = env.now
            t1 = t0 + cost.overhead_s
            end = t1 + cost.compute_s
            xfers: list[tuple[str, float, float]] = []
            prev = last_start[unit]
            last_start[unit] = t1
            prefetch = cost.prefetch_s
            for j, sec in enumerate(cost.mem_s):
                if sec <= 0:
                    continue
                pre = prefetch[j] if prefetch else 0.0
                # (``x if x > y else y`` is max(y, x), spelled out: this loop runs per op)
                if pre > 0 and prev is not None:
                    # Double buffering across ops: this op's weights stream into the free
                    # half of their buffer from when the previous op on the unit started.
                    f = free_at[j]
                    b = f if f > prev else prev
                    e = b + pre
                    free_at[j] = e
                    xfers.append((level_names[j], b, e))
                    end = e if e > end else end
                else:
                    pre = 0.0
                rest = sec - pre
                if rest > 0:
                    f = free_at[j]
                    b = f if f > t1 else t1
                    e = b + rest
                    free_at[j] = e
                    xfers.append((level_names[j], b, e))
                    end = e if e > end else end
            unit_free[unit] = end
            if end > t0:
                yield env.timeout(end - t0)
            if len(xfers) > 1:
                xfers.sort(key=_by_start)
            events[i] = Event(i, names[i] if names else cost.name, unit, t0, end, tuple(xfers))
            for d in dependents[i]:
                waiting[d] -= 1
                if waiting[d] == 0:
                    ready(d)

    for u in unit_names:
        env.process(serve(u))
    for i in range(n):
        if waiting[i] == 0:
            ready(i)
    env.run()
    evs = tuple(e for e in events if e is not None)
    if len(evs) != n:
        raise RuntimeError("schedule did not complete every op (dependency cycle?)")
    makespan = max((e.end_s for e in evs), default=start_s) - start_s
    return Schedule(evs, tuple(chosen), makespan)
