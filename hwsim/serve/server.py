"""simpy processes of a serving run: the arrival process and the server's batching policy.

Two policies:

* ``dynamic_batching`` (CNNs, encoders): when the server is free it dispatches a batch of up
  to ``max_batch`` queued requests as soon as ``max_batch`` are queued or the oldest has
  waited ``max_wait`` s; the batch takes the service time of its size.
* ``continuous_batching`` (decoder LLMs): iteration-level scheduling. At each iteration
  boundary, waiting requests are admitted in FIFO order while the running set is below
  ``max_batch``, their KV reservation (prompt + maximum output tokens) fits the budget
  and the new prompts stay within ``max_prefill_tokens`` (at least one is admitted). An
  iteration runs one decode step for every running sequence plus the whole prefill of the
  newly admitted ones. Runs of pure-decode iterations in which the running set cannot change
  advance in one simpy event, so the event count grows with requests, not tokens.

Both are deterministic: simultaneous events run in creation order and nothing is random here.
"""

from __future__ import annotations

import heapq
from collections import deque
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import simpy


@dataclass
class Timeline:
    """What happened to each request (times in s) and how long the queue was.

    ``steps`` counts batches (CNN) or iterations (LLM); ``advances`` the server's moves
    through simulated time (several pure-decode iterations make one advance).
    """

    arrival_s: np.ndarray
    start_s: np.ndarray
    finish_s: np.ndarray
    first_token_s: np.ndarray | None = None
    queue_time_s: list[float] = field(default_factory=list)
    queue_waiting: list[int] = field(default_factory=list)
    queue_running: list[int] = field(default_factory=list)
    busy_s: float = 0.0
    steps: int = 0
    step_requests: int = 0
    advances: int = 0


@dataclass
class DynamicStats:
    """Batches run, by size."""

    counts: dict[int, int] = field(default_factory=dict)


@dataclass
class ContinuousStats:
    """Decode iterations by batch size, their summed KV tokens, and prefill-only iterations."""

    counts: np.ndarray
    kv_sums: np.ndarray
    prefill_only: int = 0


def _arrivals(
    env: simpy.Environment,
    times: list[float],
    waiting: deque[int],
    wake: list[simpy.Event | None],
    record: Callable[[], None],
) -> Generator[Any, Any, None]:
    for i, t in enumerate(times):
        dt = t - env.now
        if dt > 0:
            yield env.timeout(dt)
        waiting.append(i)
        record()
        ev = wake[0]
        if ev is not None and not ev.triggered:
            ev.succeed()


def dynamic_batching(
    times: np.ndarray,
    service_time: Callable[[int], float],
    *,
    max_batch: int,
    max_wait: float,
) -> tuple[Timeline, DynamicStats]:
    """Simulate dynamic batching of requests arriving at ``times`` (sorted, s).

    Args:
        times: arrival time of each request, s.
        service_time: time to serve a batch of ``b`` requests, s (called once per size
            by the caller's cache).
        max_batch: largest batch.
        max_wait: longest a queued request waits for the batch to fill, s (0: dispatch
            whatever is queued whenever the server is free).
    """
    n = len(times)
    tl = Timeline(times.copy(), np.empty(n), np.empty(n))
    stats = DynamicStats()
    env = simpy.Environment()
    waiting: deque[int] = deque()
    wake: list[simpy.Event | None] = [None]
    arr = [float(t) for t in times]
    running = [0]

    def record() -> None:
        tl.queue_time_s.append(env.now)
        tl.queue_waiting.append(len(waiting))
        tl.queue_running.append(running[0])

    def server() -> Generator[Any, Any, None]:
        done = 0
        start, finish = tl.start_s, tl.finish_s
        while done < n:
            if not waiting:
                wake[0] = env.event()
                yield wake[0]
                wake[0] = None
                continue
            if max_wait > 0 and len(waiting) < max_batch:
                deadline = arr[waiting[0]] + max_wait
                if env.now < deadline:
                    wake[0] = ev = env.event()
                    yield ev | env.timeout(deadline - env.now)
                    wake[0] = None
                    continue
            b = min(len(waiting), max_batch)
            ids = [waiting.popleft() for _ in range(b)]
            d = service_time(b)
            now = env.now
            for i in ids:
                start[i] = now
            running[0] = b
            record()
            yield env.timeout(d)
            now = env.now
            for i in ids:
                finish[i] = now
            done += b
            running[0] = 0
            stats.counts[b] = stats.counts.get(b, 0) + 1
            tl.busy_s += d
            tl.steps += 1
            tl.advances += 1
            tl.step_requests += b
            record()

    env.process(_arrivals(env, arr, waiting, wake, record))
    env.process(server())
    env.run()
    return tl, stats


def continuous_batching(
    times: np.ndarray,
    prompt_len: np.ndarray,
    gen_len: np.ndarray,
    prefill_s: np.ndarray,
    kv_tokens: np.ndarray,
    *,
    budget_tokens: int,
    max_batch: int,
    max_prefill_tokens: int,
    time_a: list[float],
    time_s: list[float],
) -> tuple[Timeline, ContinuousStats]:
    """Simulate iteration-level batching of decoder requests.

    Args:
        times: arrival time of each request, s (sorted).
        prompt_len: prompt tokens per request.
        gen_len: output tokens per request (>= 1; the first comes from the prefill).
        prefill_s: prefill time of each request's prompt, s.
        kv_tokens: KV-cache tokens reserved per request (prompt + output tokens).
        budget_tokens: KV-cache tokens that fit in the budget.
        max_batch: most sequences running at once.
        max_prefill_tokens: most new prompt tokens per iteration (one prompt always fits).
        time_a: decode-step time at zero KV, by batch size, s.
        time_s: decode-step time per cached token, by batch size, s.
    """
    n = len(times)
    tl = Timeline(times.copy(), np.empty(n), np.empty(n), np.empty(n))
    stats = ContinuousStats(np.zeros(max_batch + 1), np.zeros(max_batch + 1))
    counts = [0] * (max_batch + 1)
    kv_sums = [0] * (max_batch + 1)
    env = simpy.Environment()
    waiting: deque[int] = deque()
    wake: list[simpy.Event | None] = [None]
    arr = [float(t) for t in times]
    plen = [int(x) for x in prompt_len]
    glen = [int(x) for x in gen_len]
    pre = [float(x) for x in prefill_s]
    need = [int(x) for x in kv_tokens]
    running = [0]

    def record() -> None:
        tl.queue_time_s.append(env.now)
        tl.queue_waiting.append(len(waiting))
        tl.queue_running.append(running[0])

    def server() -> Generator[Any, Any, None]:
        done = 0
        it = 0  # iterations completed
        b_dec = 0  # sequences in the decode set
        kv_base = 0  # sum over the decode set of (prompt - 1 - admission iteration)
        reserved = 0  # KV tokens reserved by running sequences
        heap: list[tuple[int, int]] = []  # (last iteration, request)
        admitted = [0] * n
        start, first, finish = tl.start_s, tl.first_token_s, tl.finish_s
        assert first is not None
        while done < n:
            new: list[int] = []
            tokens = 0
            while waiting and running[0] < max_batch:
                i = waiting[0]
                if reserved + need[i] > budget_tokens:
                    break
                if new and tokens + plen[i] > max_prefill_tokens:
                    break
                waiting.popleft()
                new.append(i)
                tokens += plen[i]
                reserved += need[i]
                running[0] += 1
            if running[0] == 0:
                wake[0] = env.event()
                yield wake[0]
                wake[0] = None
                continue
            b = b_dec
            t0 = env.now
            if new:
                record()
                kv = kv_base + b * it
                dt = sum(pre[i] for i in new)
                if b:
                    dt += time_a[b] + time_s[b] * kv
                    counts[b] += 1
                    kv_sums[b] += kv
                else:
                    stats.prefill_only += 1
                for i in new:
                    start[i] = t0
                yield env.timeout(dt)
                steps = 1
                now = env.now
                for i in new:
                    first[i] = now
                    admitted[i] = it
                    heapq.heappush(heap, (it + glen[i] - 1, i))
                    b_dec += 1
                    kv_base += plen[i] - 1 - it
            else:
                k = heap[0][0] - it + 1  # iterations until the next sequence finishes
                a, s = time_a[b], time_s[b]
                if k == 1:
                    yield env.timeout(a + s * (kv_base + b * it))
                    steps = 1
                else:
                    j = np.arange(it, it + k, dtype=np.float64)
                    cum = np.cumsum(a + s * (kv_base + b * j))
                    if not waiting and running[0] < max_batch:
                        # An arrival may join at the next iteration boundary.
                        wake[0] = ev = env.event()
                        yield ev | env.timeout(float(cum[-1]))
                        wake[0] = None
                        if ev.triggered:
                            m = int(np.searchsorted(cum, env.now - t0, side="left"))
                            m = min(m, k - 1)
                            rest = t0 + float(cum[m]) - env.now
                            if rest > 0:
                                yield env.timeout(rest)
                            steps = m + 1
                        else:
                            steps = k
                    else:
                        yield env.timeout(float(cum[-1]))
                        steps = k
                counts[b] += steps
                kv_sums[b] += steps * kv_base + b * (steps * it + steps * (steps - 1) // 2)
            tl.busy_s += env.now - t0
            tl.steps += steps
            tl.advances += 1
            tl.step_requests += steps * b + len(new)
            it += steps
            now = env.now
            finished = False
            while heap and heap[0][0] <= it - 1:
                _, i = heapq.heappop(heap)
                finish[i] = now
                done += 1
                b_dec -= 1
                kv_base -= plen[i] - 1 - admitted[i]
                reserved -= need[i]
                running[0] -= 1
                finished = True
            if finished:
                record()

    env.process(_arrivals(env, arr, waiting, wake, record))
    env.process(server())
    env.run()
    stats.counts = np.asarray(counts, dtype=np.float64)
    stats.kv_sums = np.asarray(kv_sums, dtype=np.float64)
    return tl, stats
