"""Continuous batching with chunked prefill (Sarathi-Serve / vLLM ``enable_chunked_prefill``).

Each iteration has a token budget ``chunk_size``: every running decode sequence takes one
token of it, and what is left goes to the prompts being prefilled, in admission order, a
chunk at a time (a long prompt spans several iterations, so decodes are never stalled
behind a whole prompt). Admission is as in :func:`hwsim.serve.server.continuous_batching`:
FIFO while the running set is below ``max_batch`` and the request's whole context (prompt +
output) fits the KV budget it reserves.

Cost of an iteration = decode step of the ``b`` decode sequences (``a[b] + s[b] x KV``) +
for each chunk of ``c`` tokens after ``p0`` already prefilled, ``P(p0 + c) - P(p0)`` where
``P`` is the whole-prompt prefill time (``P(0) = 0``): the chunks of one prompt add up to
its whole prefill, the later chunks pay for attending over the earlier ones, and the first
chunk carries the fixed costs of a prefill pass (weights read, launches). A decode step in
the same iteration also reads the weights, so mixed iterations are counted conservatively.
Stretches of pure-decode iterations advance in one simpy event as in whole-prompt mode.
"""

from __future__ import annotations

import heapq
from collections import deque
from collections.abc import Callable, Generator
from typing import Any

import numpy as np
import simpy

from hwsim.serve.server import ContinuousStats, Timeline, _arrivals


def chunked_batching(
    times: np.ndarray,
    prompt_len: np.ndarray,
    gen_len: np.ndarray,
    prefill_time: Callable[[float], float],
    kv_tokens: np.ndarray,
    *,
    budget_tokens: int,
    max_batch: int,
    chunk_size: int,
    time_a: list[float],
    time_s: list[float],
) -> tuple[Timeline, ContinuousStats]:
    """Simulate iteration-level batching with chunked prefill.

    Args:
        times: arrival time of each request, s (sorted).
        prompt_len: prompt tokens per request.
        gen_len: output tokens per request (>= 1; the first comes from the prefill).
        prefill_time: whole-prompt prefill time of a prompt of that many tokens, s.
        kv_tokens: KV-cache tokens reserved per request (prompt + output tokens).
        budget_tokens: KV-cache tokens that fit in the budget.
        max_batch: most sequences running at once (prefilling or decoding).
        chunk_size: tokens per iteration (decode tokens + prompt chunk tokens).
        time_a: decode-step time at zero KV, by batch size, s.
        time_s: decode-step time per cached token, by batch size, s.
    """
    n = len(times)
    tl = Timeline(times, np.empty(n), np.empty(n), np.empty(n))  # arrivals: no copy
    stats = ContinuousStats(np.zeros(max_batch + 1), np.zeros(max_batch + 1))
    counts = [0] * (max_batch + 1)
    kv_sums = [0.0] * (max_batch + 1)
    env = simpy.Environment()
    waiting: deque[int] = deque()
    wake: list[simpy.Event | None] = [None]
    plen = [int(x) for x in prompt_len]
    glen = [int(x) for x in gen_len]
    need = [int(x) for x in kv_tokens]
    running = [0]

    def server() -> Generator[Any, Any, None]:
        done = 0
        it = 0
        reserved = 0
        prefilling: deque[int] = deque()
        filled = [0] * n  # prompt tokens prefilled so far
        b_dec = 0
        kv_base = 0  # sum over the decode set of (prompt - 1 - joining iteration)
        heap: list[tuple[int, int]] = []  # (last decode iteration, request)
        joined = [0] * n  # iteration whose end produced the first token
        start, first, finish = tl.start_s, tl.first_token_s, tl.finish_s
        assert first is not None
        while done < n:
            while (
                waiting
                and running[0] < max_batch
                and reserved + need[waiting[0]] <= (budget_tokens)
            ):
                i = waiting.popleft()
                prefilling.append(i)
                reserved += need[i]
                running[0] += 1
            if running[0] == 0:
                wake[0] = env.event()
                yield wake[0]
                wake[0] = None
                continue
            t0 = env.now
            b = b_dec
            kv = kv_base + b * it
            if prefilling:
                avail = max(0, chunk_size - b)
                dt = time_a[b] + time_s[b] * kv if b else 0.0
                if b:
                    counts[b] += 1
                    kv_sums[b] += kv
                completed: list[int] = []
                chunks = 0
                for i in prefilling:
                    if avail <= 0:
                        break
                    c = min(plen[i] - filled[i], avail)
                    if filled[i] == 0:
                        start[i] = t0
                    dt += prefill_time(filled[i] + c) - (
                        prefill_time(filled[i]) if filled[i] else 0.0
                    )
                    filled[i] += c
                    avail -= c
                    chunks += 1
                    if filled[i] == plen[i]:
                        completed.append(i)
                if dt > 0:
                    yield env.timeout(dt)
                steps = 1
                tl.step_requests += chunks
                now = env.now
                for i in completed:
                    prefilling.popleft()
                    first[i] = now
                    if glen[i] <= 1:
                        finish[i] = now
                        done += 1
                        reserved -= need[i]
                        running[0] -= 1
                        continue
                    joined[i] = it  # prefill done at iteration it; decodes from it + 1
                    heapq.heappush(heap, (it + glen[i] - 1, i))
                    b_dec += 1
                    kv_base += plen[i] - 1 - it  # first decode attends over the prompt
                if b == 0:
                    stats.prefill_only += 1
            else:
                k = heap[0][0] - it + 1
                a, s = time_a[b], time_s[b]
                j = np.arange(it, it + k, dtype=np.float64)
                cum = np.cumsum(a + s * (kv_base + b * j))
                if not waiting and running[0] < max_batch:
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
            tl.step_requests += steps * b
            # Decode sequences whose last token was produced in these iterations finish.
            it_end = it + steps
            now = env.now
            while heap and heap[0][0] <= it_end - 1:
                _, i = heapq.heappop(heap)
                finish[i] = now
                done += 1
                b_dec -= 1
                kv_base -= plen[i] - 1 - joined[i]
                reserved -= need[i]
                running[0] -= 1
            it = it_end

    env.process(_arrivals(env, [float(t) for t in times], waiting, wake))
    env.process(server())
    env.run()
    stats.counts = np.asarray(counts, dtype=np.float64)
    stats.kv_sums = np.asarray(kv_sums, dtype=np.float64)
    return tl, stats


def merge_replicas(
    runs: list[tuple[Timeline, ContinuousStats]], parts: list[slice], times: np.ndarray
) -> tuple[Timeline, ContinuousStats]:
    """One timeline of ``len(runs)`` independent replicas that served ``parts`` of the
    requests: per-request times put back in place (the queue follows from them), iteration
    counts added, busy time averaged (a replica's busy fraction)."""
    if len(runs) == 1:
        return runs[0]
    n = times.size
    tl = Timeline(times, np.empty(n), np.empty(n), np.empty(n))  # arrivals: no copy
    assert tl.first_token_s is not None
    width = max(len(st.counts) for _, st in runs)
    stats = ContinuousStats(np.zeros(width), np.zeros(width))
    for (t, st), idx in zip(runs, parts):
        tl.start_s[idx] = t.start_s
        tl.finish_s[idx] = t.finish_s
        assert t.first_token_s is not None
        tl.first_token_s[idx] = t.first_token_s
        tl.busy_s += t.busy_s / len(runs)
        tl.steps += t.steps
        tl.step_requests += t.step_requests
        tl.advances += t.advances
        stats.counts[: len(st.counts)] += st.counts
        stats.kv_sums[: len(st.kv_sums)] += st.kv_sums
        stats.prefill_only += st.prefill_only
    return tl, stats
