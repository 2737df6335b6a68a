"""The server's batching policies of a serving run.

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
  advance in one step (their length in closed form), so the work grows with requests, not
  tokens.

Both serve one queue on one server with arrivals known in advance, so they advance a clock
from one decision to the next instead of going through simpy's event queue (which would hold
a single event at a time); the chunked-prefill policy (chunked.py) still runs as simpy
processes. Per-request times go into preallocated arrays (the arrival array is kept, not
copied); the queue-length series is derived from them afterwards (ServingResult.queue_time_s),
so memory grows by a few arrays of 8 bytes per request. Deterministic: nothing is random here.
"""

from __future__ import annotations

import heapq
import math
from collections import deque
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import simpy


@dataclass
class Timeline:
    """What happened to each request (times in s); the queue follows from them.

    ``steps`` counts batches (CNN) or iterations (LLM); ``advances`` the server's moves
    through simulated time (several pure-decode iterations make one advance).
    """

    arrival_s: np.ndarray
    start_s: np.ndarray
    finish_s: np.ndarray
    first_token_s: np.ndarray | None = None
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
) -> Generator[Any, Any, None]:
    for i, t in enumerate(times):
        dt = t - env.now
        if dt > 0:
            yield env.timeout(dt)
        waiting.append(i)
        ev = wake[0]
        if ev is not None and not ev.triggered:
            ev.succeed()


def _stretch(c: float, g: float, m: int) -> float:
    """Duration of ``m`` decode steps lasting ``c``, ``c + g``, ``c + 2g``, ... s."""
    return m * c + g * (m * (m - 1) // 2)


def _steps_to_reach(c: float, g: float, wait: float) -> int:
    """Steps of a stretch (see _stretch) that end strictly before ``wait``, s.

    The smallest ``m`` with ``_stretch(c, g, m + 1) >= wait``, from the quadratic's root
    and then checked exactly against _stretch (the root may be off by one in floating point).
    """
    h = c - g / 2
    m = math.ceil(wait / c if g == 0 else (math.sqrt(h * h + 2 * g * wait) - h) / g) - 1
    m = max(m, 0)
    while m > 0 and _stretch(c, g, m) >= wait:
        m -= 1
    while _stretch(c, g, m + 1) < wait:
        m += 1
    return m


def _view(x: np.ndarray, dtype: type[np.generic]) -> memoryview:
    """A read-only memoryview of ``x`` as a 1-D ``dtype`` array (no copy when it is one)."""
    return np.ascontiguousarray(x, dtype=dtype).data.toreadonly()


def dynamic_batching(
    times: np.ndarray,
    service_time: Callable[[int], float],
    *,
    max_batch: int,
    max_wait: float,
) -> tuple[Timeline, DynamicStats]:
    """Simulate dynamic batching of requests arriving at ``times`` (sorted, s).

    One server and arrivals known in advance: the server's clock jumps from one decision
    to the next (a dispatch, a batch's end, an arrival or the oldest request's deadline);
    nothing else could happen in between, so an event queue would hold one event at a time.

    Args:
        times: arrival time of each request, s.
        service_time: time to serve a batch of ``b`` requests, s (called once per size
            by the caller's cache).
        max_batch: largest batch.
        max_wait: longest a queued request waits for the batch to fill, s (0: dispatch
            whatever is queued whenever the server is free).
    """
    n = len(times)
    tl = Timeline(times, np.empty(n), np.empty(n))  # arrivals: no copy
    stats = DynamicStats()
    arr = _view(times, np.float64)
    start, finish = tl.start_s, tl.finish_s
    now = 0.0
    head = 0  # oldest request not yet dispatched (dispatch is FIFO)
    nxt = 0  # next request to arrive
    busy = 0.0
    while head < n:
        while nxt < n and arr[nxt] <= now:
            nxt += 1
        queued = nxt - head
        if queued == 0:
            now = arr[nxt]
            continue
        if max_wait > 0 and queued < max_batch:
            deadline = arr[head] + max_wait
            if now < deadline:
                # Wait for the batch to fill or the oldest request's deadline.
                fill = head + max_batch - 1  # the arrival that fills the batch
                now = min(deadline, arr[fill]) if fill < n else deadline
                continue
        b = min(queued, max_batch)
        d = service_time(b)
        start[head : head + b] = now
        now += d
        finish[head : head + b] = now
        head += b
        stats.counts[b] = stats.counts.get(b, 0) + 1
        busy += d
        tl.steps += 1
        tl.step_requests += b
    tl.busy_s = busy
    tl.advances = tl.steps
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

    One server and arrivals known in advance: the clock jumps from one iteration boundary
    at which the running set can change to the next (an admission, a sequence finishing,
    or the first boundary after an arrival while there is room). Runs of pure-decode
    iterations in between advance in one step, so the work grows with requests, not tokens.

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
    tl = Timeline(times, np.empty(n), np.empty(n), np.empty(n))  # arrivals: no copy
    stats = ContinuousStats(np.zeros(max_batch + 1), np.zeros(max_batch + 1))
    counts = [0] * (max_batch + 1)
    kv_sums = [0] * (max_batch + 1)
    # Memoryviews over the arrays: Python numbers on indexing, no per-request objects kept.
    arr = _view(times, np.float64)
    plen = _view(prompt_len, np.int64)
    glen = _view(gen_len, np.int64)
    pre = _view(prefill_s, np.float64)
    need = _view(kv_tokens, np.int64)
    start, first, finish = tl.start_s, tl.first_token_s, tl.finish_s
    assert first is not None
    now = 0.0
    busy = 0.0
    done = 0
    head = 0  # oldest request not yet admitted (admission is FIFO)
    nxt = 0  # next request to arrive
    running = 0
    it = 0  # iterations completed
    b_dec = 0  # sequences in the decode set
    kv_base = 0  # sum over the decode set of (prompt - 1 - admission iteration)
    reserved = 0  # KV tokens reserved by running sequences
    heap: list[tuple[int, int, int]] = []  # (last iteration, request, admission iteration)
    while done < n:
        while nxt < n and arr[nxt] <= now:
            nxt += 1
        new_from = head
        tokens = 0
        while head < nxt and running < max_batch:
            if reserved + need[head] > budget_tokens:
                break
            if head > new_from and tokens + plen[head] > max_prefill_tokens:
                break
            tokens += plen[head]
            reserved += need[head]
            running += 1
            head += 1
        if running == 0:
            if head < nxt:  # nothing runs, so the oldest request's KV can never fit
                raise ValueError(
                    f"request {head} reserves {need[head]} KV tokens, more than the budget "
                    f"of {budget_tokens}"
                )
            now = arr[nxt]
            continue
        b = b_dec
        t0 = now
        if head > new_from:
            kv = kv_base + b * it
            dt = 0.0
            for i in range(new_from, head):
                dt += pre[i]
            if b:
                dt += time_a[b] + time_s[b] * kv
                counts[b] += 1
                kv_sums[b] += kv
            else:
                stats.prefill_only += 1
            start[new_from:head] = t0
            now = t0 + dt
            steps = 1
            first[new_from:head] = now
            for i in range(new_from, head):
                heapq.heappush(heap, (it + glen[i] - 1, i, it))
                kv_base += plen[i] - 1 - it
            b_dec += head - new_from
        else:
            k = heap[0][0] - it + 1  # iterations until the next sequence finishes
            a, s = time_a[b], time_s[b]
            c = a + s * (kv_base + b * it)  # the first step of the stretch, s
            g = s * b  # each later step is longer by g: every sequence caches one more token
            steps = k
            if k > 1 and head == nxt and running < max_batch and nxt < n:
                # An arrival may join at the first iteration boundary after it.
                wait = arr[nxt] - t0
                if wait < _stretch(c, g, k):
                    steps = min(_steps_to_reach(c, g, wait), k - 1) + 1
            now = t0 + _stretch(c, g, steps)
            counts[b] += steps
            kv_sums[b] += steps * kv_base + b * (steps * it + steps * (steps - 1) // 2)
        busy += now - t0
        tl.steps += steps
        tl.advances += 1
        tl.step_requests += steps * b + (head - new_from)
        it += steps
        while heap and heap[0][0] <= it - 1:
            _, i, joined = heapq.heappop(heap)
            finish[i] = now
            done += 1
            b_dec -= 1
            kv_base -= plen[i] - 1 - joined
            reserved -= need[i]
            running -= 1
    tl.busy_s = busy
    stats.counts = np.asarray(counts, dtype=np.float64)
    stats.kv_sums = np.asarray(kv_sums, dtype=np.float64)
    return tl, stats
