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

Where no two ops can ever overlap (one unit serves every op, or every op waits for the one
before it), the schedule is the ops one after the other in the order the units would take
them, and :func:`schedule` computes it without simpy (:func:`schedule_in_order`): the same
arithmetic in the same order, so the same numbers bit for bit (tests/unit/core check both
engines against each other). Otherwise :func:`schedule` runs :func:`schedule_events`: the
simpy processes of :func:`schedule_simpy` driven by a plain heap in simpy's event order (the
same schedule bit for bit, without simpy's per-event objects).
"""

from __future__ import annotations

import heapq
from collections.abc import Generator, Sequence
from dataclasses import dataclass
from functools import partial
from operator import itemgetter
from typing import Any, NamedTuple

from hwsim.costmodel.opcost import OpCost


class Event(NamedTuple):
    """One op as scheduled: when it held its unit and each memory channel.

    A named tuple: the scheduler makes one per op, and a frozen dataclass takes 4x longer
    to build (1 us of the ~5 us an op costs to schedule)."""

    index: int  # type: ignore[assignment]  # the op's index (hides tuple.index)
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


_event = partial(tuple.__new__, Event)
"""``_event((index, name, unit, start_s, end_s, transfers))`` is that Event, built without the
generated ``__new__``'s argument binding (half the time; one per op per run)."""

_by_start = itemgetter(1, 0)
"""Transfers of an op in time order (ties: level name)."""


class _Channels:
    """The state ops leave behind on the memory channels and the units: when each channel is
    next free, when each unit frees up, what is queued on it, and when its last op started."""

    def __init__(self, unit_names: Sequence[str], level_names: Sequence[str], t: float) -> None:
        self.level_names = level_names
        # A channel serves transfers one at a time in the order the ops claim it: a claim
        # reserves the channel from max(now, free_at) for the transfer's duration.
        self.free_at = [t] * len(level_names)
        self.unit_free = dict.fromkeys(unit_names, t)  # when the unit's current op ends
        self.queued = dict.fromkeys(unit_names, 0.0)  # isolated latency of its queued ops
        self.last_start: dict[str, float | None] = dict.fromkeys(unit_names)

    def pick(self, opts: Sequence[OpCost], now: float) -> int:
        """The option (unit) on which an op ready at ``now`` would finish first (its current
        op and queue, then the op's own latency on that unit; ties: fastest); queues it."""
        pick = 0
        if len(opts) > 1:
            best = float("inf")
            for k, c in enumerate(opts):
                finish = max(now, self.unit_free[c.unit]) + self.queued[c.unit] + c.latency_s
                if finish < best * (1 - 1e-12):
                    best, pick = finish, k
        self.queued[opts[pick].unit] += opts[pick].latency_s
        return pick

    def run(self, cost: OpCost, t0: float) -> tuple[float, list[tuple[str, float, float]]]:
        """Start ``cost`` on its unit at ``t0``: its end and its transfers (level, start, end).

        The unit pays the overhead, then computes while each level's transfer streams through
        that level's channel; with ``prefetch_s``, the weights' first fetch starts when the
        previous op on the unit started (double buffering across ops).
        """
        unit = cost.unit
        free_at = self.free_at
        self.queued[unit] -= cost.latency_s
        t1 = t0 + cost.overhead_s
        end = t1 + cost.compute_s
        xfers: list[tuple[str, float, float]] = []
        prev = self.last_start[unit]
        self.last_start[unit] = t1
        prefetch = cost.prefetch_s
        for j, sec in enumerate(cost.mem_s):
            if sec <= 0:
                continue
            pre = prefetch[j] if prefetch else 0.0
            # (``x if x > y else y`` is max(y, x), spelled out: this loop runs per op)
            if pre > 0 and prev is not None:
                # Double buffering across ops: this op's weights stream into the free half
                # of their buffer from when the previous op on the unit started.
                f = free_at[j]
                b = f if f > prev else prev
                e = b + pre
                free_at[j] = e
                xfers.append((self.level_names[j], b, e))
                end = e if e > end else end
            else:
                pre = 0.0
            rest = sec - pre
            if rest > 0:
                f = free_at[j]
                b = f if f > t1 else t1
                e = b + rest
                free_at[j] = e
                xfers.append((self.level_names[j], b, e))
                end = e if e > end else end
        self.unit_free[unit] = end
        if len(xfers) > 1:
            xfers.sort(key=_by_start)
        return end, xfers


_GRAPHS: dict[int, tuple[Sequence[Sequence[int]], list[list[int]], list[int]]] = {}
"""id(deps) -> (deps kept alive, dependents, waiting counts) for immutable (tuple) deps."""
_GRAPHS_KEPT = 16


def _dependents(deps: Sequence[Sequence[int]], n: int) -> tuple[list[list[int]], list[int]]:
    """For each op, the ops waiting for it (ascending), and how many ops each op waits for
    (a new list: the scheduler counts it down). Derived once per graph when ``deps`` is a
    tuple (a cost graph's, the same object at every run of that workload)."""
    frozen = isinstance(deps, tuple)
    if frozen:
        got = _GRAPHS.get(id(deps))
        if got is not None and got[0] is deps and len(got[2]) == n:
            return got[1], got[2][:]
    dependents: list[list[int]] = [[] for _ in range(n)]
    waiting = [0] * n
    for i, ds in enumerate(deps):
        for d in ds if len(ds) < 2 else set(ds):
            dependents[d].append(i)
            waiting[i] += 1
    if frozen:
        if len(_GRAPHS) >= _GRAPHS_KEPT:
            del _GRAPHS[next(iter(_GRAPHS))]  # the oldest
        _GRAPHS[id(deps)] = (deps, dependents, waiting[:])
    return dependents, waiting


def _finish(events: Sequence[Event | None], chosen: list[int], start_s: float) -> Schedule:
    evs = tuple(e for e in events if e is not None)
    if len(evs) != len(events):
        raise RuntimeError("schedule did not complete every op (dependency cycle?)")
    makespan = max((e.end_s for e in evs), default=start_s) - start_s
    return Schedule(evs, tuple(chosen), makespan)


def in_order(deps: Sequence[Sequence[int]], options: Sequence[Sequence[OpCost]]) -> bool:
    """True when no two ops can overlap: one unit serves every op, or every op waits for the
    one before it (then at most one op is ready or running at any time)."""
    first = next((c.unit for opts in options for c in opts), None)
    if all(c.unit == first for opts in options for c in opts):
        return True  # one unit (or none) serves every op
    return all(ds and max(ds) == i - 1 for i, ds in enumerate(deps) if i > 0)


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
    run = schedule_in_order if in_order(deps, options) else schedule_events
    return run(deps, options, unit_names, level_names, names=names, start_s=start_s)


def schedule_in_order(
    deps: Sequence[Sequence[int]],
    options: Sequence[Sequence[OpCost]],
    unit_names: Sequence[str],
    level_names: Sequence[str],
    *,
    names: Sequence[str] | None = None,
    start_s: float = 0.0,
) -> Schedule:
    """:func:`schedule` where no two ops can overlap (:func:`in_order`), without simpy.

    The ops run one after the other: each ready op, lowest index first, starts when the one
    before it ends. That is what the simpy engine does when only one op can be ready or
    running at a time; this loop makes the same choices with the same arithmetic (``now +
    (end - now)`` is how the simpy clock advances), so both give the same schedule bit for bit.
    """
    n = len(options)
    dependents, waiting = _dependents(deps, n)
    state = _Channels(unit_names, level_names, start_s)
    chosen = [0] * n
    events: list[Event | None] = [None] * n
    ready = [i for i in range(n) if waiting[i] == 0]  # ascending: already a heap
    for i in ready:
        chosen[i] = state.pick(options[i], start_s)
    now = start_s
    while ready:
        i = heapq.heappop(ready)
        cost = options[i][chosen[i]]
        t0 = now
        end, xfers = state.run(cost, t0)
        if end > t0:
            now = t0 + (end - t0)
        events[i] = _event((i, names[i] if names else cost.name, cost.unit, t0, end, tuple(xfers)))
        for d in dependents[i]:
            waiting[d] -= 1
            if waiting[d] == 0:
                chosen[d] = state.pick(options[d], now)
                heapq.heappush(ready, d)
    return _finish(events, chosen, start_s)


def schedule_simpy(
    deps: Sequence[Sequence[int]],
    options: Sequence[Sequence[OpCost]],
    unit_names: Sequence[str],
    level_names: Sequence[str],
    *,
    names: Sequence[str] | None = None,
    start_s: float = 0.0,
) -> Schedule:
    """:func:`schedule` as a discrete-event simulation: each compute unit is a simpy process
    serving its queue of ready ops, so independent branches contend for units and channels."""
    import simpy  # here: the in-order path (most single-chip runs) never needs it (~5 ms)

    env = simpy.Environment(initial_time=start_s)
    n = len(options)
    dependents, waiting = _dependents(deps, n)
    state = _Channels(unit_names, level_names, start_s)
    # Each compute unit is a process serving its queue of ready ops, lowest index first.
    queues: dict[str, list[int]] = {u: [] for u in unit_names}
    wake: dict[str, simpy.Event] = {u: env.event() for u in unit_names}
    events: list[Event | None] = [None] * n
    chosen = [0] * n

    def ready(i: int) -> None:
        """Op i's inputs exist: queue it on the unit where it would finish first."""
        pick = chosen[i] = state.pick(options[i], env.now)
        unit = options[i][pick].unit
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
            t0 = env.now
            end, xfers = state.run(cost, t0)
            if end > t0:
                yield env.timeout(end - t0)
            events[i] = _event((i, names[i] if names else cost.name, unit, t0, end, tuple(xfers)))
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
    return _finish(events, chosen, start_s)


_URGENT, _NORMAL = 0, 1
"""simpy's event priorities: a process's start (URGENT) goes before timeouts and triggered
events (NORMAL) due at the same time."""


def schedule_events(
    deps: Sequence[Sequence[int]],
    options: Sequence[Sequence[OpCost]],
    unit_names: Sequence[str],
    level_names: Sequence[str],
    *,
    names: Sequence[str] | None = None,
    start_s: float = 0.0,
) -> Schedule:
    """:func:`schedule_simpy` without simpy: the same unit processes (generators), driven by
    a heap of (time, priority, sequence number) as simpy's event queue is, so every process
    resumes in the same order at the same times and the schedule is the same bit for bit
    (tests/unit/core check it against :func:`schedule_simpy`). simpy's events, callbacks and
    ``Timeout`` objects cost about a fifth of a sweep point; here a resumption is one tuple.

    A process yields a delay (a timeout: resume at ``now + delay``) or ``None`` (wait for
    its wake-up: a new event, triggered when an op is queued on its unit). Wake-ups
    triggered while the process is not waiting on them fire with no effect, as in simpy.
    """
    n = len(options)
    dependents, waiting = _dependents(deps, n)
    state = _Channels(unit_names, level_names, start_s)
    queues: dict[str, list[int]] = {u: [] for u in unit_names}
    events: list[Event | None] = [None] * n
    chosen = [0] * n
    # The queue: (time, priority, sequence, unit, wake-up generation or -1 for a resumption)
    heap: list[tuple[float, int, int, str, int]] = []
    seq = 0
    now = start_s
    gen = dict.fromkeys(unit_names, 0)  # the unit's current wake-up event
    triggered = dict.fromkeys(unit_names, False)  # has it been triggered
    asleep = dict.fromkeys(unit_names, False)  # is the process waiting on it

    def ready(i: int) -> None:
        """Op i's inputs exist: queue it on the unit where it would finish first."""
        nonlocal seq
        pick = chosen[i] = state.pick(options[i], now)
        unit = options[i][pick].unit
        heapq.heappush(queues[unit], i)
        if not triggered[unit]:
            triggered[unit] = True
            heapq.heappush(heap, (now, _NORMAL, seq, unit, gen[unit]))
            seq += 1

    def serve(unit: str) -> Generator[float | None, None, None]:
        queue = queues[unit]
        while True:
            if not queue:
                gen[unit] += 1  # a new wake-up event
                triggered[unit] = False
                yield None
                continue
            i = heapq.heappop(queue)
            cost = options[i][chosen[i]]
            t0 = now
            end, xfers = state.run(cost, t0)
            if end > t0:
                yield end - t0
            events[i] = _event((i, names[i] if names else cost.name, unit, t0, end, tuple(xfers)))
            for d in dependents[i]:
                waiting[d] -= 1
                if waiting[d] == 0:
                    ready(d)

    procs = {u: serve(u) for u in unit_names}
    for u in unit_names:  # each process starts (URGENT) before any triggered event
        heapq.heappush(heap, (start_s, _URGENT, seq, u, -1))
        seq += 1
    for i in range(n):
        if waiting[i] == 0:
            ready(i)
    pop, push = heapq.heappop, heapq.heappush
    while heap:
        now, _, _, unit, g = pop(heap)
        if g >= 0 and not (asleep[unit] and g == gen[unit]):
            continue  # a wake-up resumes the process only if it waits on this one
        delay = next(procs[unit])
        if delay is None:
            asleep[unit] = True
        else:
            asleep[unit] = False
            push(heap, (now + delay, _NORMAL, seq, unit, -1))
            seq += 1
    return _finish(events, chosen, start_s)
