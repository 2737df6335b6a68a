"""Discrete-event schedule of op costs on compute units and memory channels (simpy).

Each op is a process: it waits for the ops that produce its inputs, takes a compute unit
(the fastest idle candidate, else queues on the fastest), pays its fixed overhead, then
computes while its transfers stream through each memory level's channel (double
buffering: the op ends when both its compute and its slowest transfer are done). A
channel serves one transfer at a time, in the order ops claim it (a claim reserves the
channel from when it is next free). Compute units and channels are shared, so independent
branches contend for them. Events grow with the number of ops (a few per op).
Ties break by op index: same inputs, same schedule.
"""

from __future__ import annotations

from collections.abc import Generator, Sequence
from dataclasses import dataclass
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
    units = {u: simpy.PriorityResource(env, capacity=1) for u in unit_names}
    # A memory channel serves transfers one at a time in the order the ops claim it:
    # a claim reserves the channel from max(now, free_at) for the transfer's duration.
    free_at = [start_s] * len(level_names)
    done = [env.event() for _ in options]
    events: list[Event | None] = [None] * len(options)
    chosen = [0] * len(options)

    def run(i: int) -> Generator[Any, Any, None]:
        if deps[i]:
            if len(deps[i]) == 1:
                yield done[deps[i][0]]
            else:
                yield simpy.AllOf(env, [done[d] for d in deps[i]])
        opts = options[i]
        pick = 0
        for k, c in enumerate(opts):
            res = units[c.unit]
            if res.count < res.capacity and not res.queue:
                pick = k
                break
        cost = opts[pick]
        chosen[i] = pick
        with units[cost.unit].request(priority=i) as req:
            yield req
            t0 = env.now
            t1 = t0 + cost.overhead_s
            end = t1 + cost.compute_s
            xfers: list[tuple[str, float, float]] = []
            for j, s in enumerate(cost.mem_s):
                if s > 0:
                    b = max(t1, free_at[j])
                    free_at[j] = b + s
                    xfers.append((level_names[j], b, b + s))
                    end = max(end, b + s)
            if end > env.now:
                yield env.timeout(end - env.now)
        xfers.sort(key=lambda t: (t[1], t[0]))
        events[i] = Event(i, names[i] if names else cost.name, cost.unit, t0, end, tuple(xfers))
        done[i].succeed()

    for i in range(len(options)):
        env.process(run(i))
    env.run()
    evs = tuple(e for e in events if e is not None)
    if len(evs) != len(options):
        raise RuntimeError("schedule did not complete every op (dependency cycle?)")
    makespan = max((e.end_s for e in evs), default=start_s) - start_s
    return Schedule(evs, tuple(chosen), makespan)
