"""ServingResult: latency percentiles, throughput, energy and queue of a serving run."""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np

from hwsim.engine.result import RESULT_SCHEMA_VERSION

QUEUE_POINTS = 2000
"""Most queue-length samples written to JSON (the longest queue of each stretch of events)."""


def queue_steps(
    arrival_s: np.ndarray, start_s: np.ndarray, finish_s: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Requests waiting and running over time, from each request's arrival, start and finish.

    A step function: from ``time[k]`` on, ``waiting[k]`` requests have arrived and not
    started and ``running[k]`` have started and not finished (times in s). Simultaneous
    events count together: the value at a time is the state after all of its events.
    Exact, and the same for one server or several replicas merged.
    """
    m, windows = _queue_windows(arrival_s, start_s, finish_s)
    t = np.empty(m)
    waiting = np.empty(m, dtype=np.int32)
    running = np.empty(m, dtype=np.int32)
    at = 0
    for u, w, r in windows:
        t[at : at + u.size] = u
        waiting[at : at + u.size] = w
        running[at : at + u.size] = r
        at += u.size
    return t, waiting, running


def _queue_windows(
    arrival_s: np.ndarray, start_s: np.ndarray, finish_s: np.ndarray
) -> tuple[int, Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]]:
    """The number of distinct event times, and :func:`queue_steps` window by window.

    The windows split the time axis (each holds at most ``_QUEUE_WINDOW`` events of each
    kind) and come in time order; concatenated they are ``queue_steps``' three outputs.
    Counting the distinct times first lets a caller allocate once or thin without ever
    holding the whole series: the peak memory of a million requests (bench_serve.py).
    """
    a, s, f = _sorted(arrival_s), _sorted(start_s), _sorted(finish_s)
    if a.size == 0:
        return 0, iter(())
    step = _QUEUE_WINDOW
    bounds = np.unique(np.concatenate([a[::step], s[::step], f[::step]]))
    # Window k holds the times in [bounds[k], bounds[k + 1]); bounds[0] is the earliest.
    cuts = [np.searchsorted(x, bounds, side="left") for x in (a, s, f)]
    ends = [np.append(c[1:], x.size) for c, x in zip(cuts, (a, s, f))]

    def times(k: int) -> np.ndarray:
        """The distinct event times of window ``k``, sorted."""
        u = np.concatenate([x[c[k] : e[k]] for x, c, e in zip((a, s, f), cuts, ends)])
        u.sort()
        keep = np.empty(u.size, dtype=bool)
        np.not_equal(u[1:], u[:-1], out=keep[:-1])
        keep[-1:] = True
        return u[keep]

    def windows() -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        for k in range(bounds.size):
            u = times(k)
            started = np.searchsorted(s, u, side="right")
            waiting = (np.searchsorted(a, u, side="right") - started).astype(np.int32)
            running = (started - np.searchsorted(f, u, side="right")).astype(np.int32)
            yield u, waiting, running

    return sum(times(k).size for k in range(bounds.size)), windows()


def queue_thinned(
    arrival_s: np.ndarray, start_s: np.ndarray, finish_s: np.ndarray, max_points: int
) -> tuple[list[float], list[float], list[float]]:
    """:func:`queue_steps` thinned to at most ``max_points`` (> 0) samples.

    With more events than that, the series is cut into ``max_points`` equal stretches of
    events and each keeps its event with the longest queue (the first such one), so peaks
    survive; otherwise every event is kept. Built window by window: the full series is
    never held (a million requests have ~3 million events). The counts come as Python
    ints (typed as floats, as in :meth:`ServingResult.queue_series`).
    """
    m, windows = _queue_windows(arrival_s, start_s, finish_s)
    t_out: list[float] = []
    w_out: list[float] = []
    r_out: list[float] = []
    if m <= max_points:
        for u, w, r in windows:
            t_out += [float(x) for x in u]
            w_out += [int(x) for x in w]
            r_out += [int(x) for x in r]
        return t_out, w_out, r_out
    edges = np.linspace(0, m, max_points + 1).astype(np.int64)
    # The stretches that hold events, as [lo, hi) in event index; each stretch's best so
    # far is (waiting, time, running), replaced only by a strictly longer queue.
    stretches = [(int(lo), int(hi)) for lo, hi in itertools.pairwise(edges) if hi > lo]
    best: list[tuple[int, float, int] | None] = [None] * len(stretches)
    b = 0
    at = 0
    for u, w, r in windows:
        end = at + u.size
        while b < len(stretches) and stretches[b][0] < end:
            lo, hi = stretches[b]
            i, j = max(lo, at) - at, min(hi, end) - at
            k = i + int(np.argmax(w[i:j]))
            cur = best[b]
            if cur is None or int(w[k]) > cur[0]:
                best[b] = (int(w[k]), float(u[k]), int(r[k]))
            if hi > end:  # the stretch goes on in the next window
                break
            b += 1
        at = end
    for x in best:
        assert x is not None
        w_out.append(x[0])
        t_out.append(x[1])
        r_out.append(x[2])
    return t_out, w_out, r_out


_QUEUE_WINDOW = 1 << 16
"""Events of each kind per window of :func:`queue_steps`."""


_TPOT_CHUNK = 1 << 16
"""Requests per slice when :attr:`ServingResult.tpot_s` divides in place."""


def _sorted(x: np.ndarray) -> np.ndarray:
    """``x`` sorted: itself when it already is (arrivals always, FIFO starts mostly)."""
    if x.size < 2 or bool(np.all(x[1:] >= x[:-1])):
        return x
    return np.sort(x)


def _pcts_inplace(x: np.ndarray, qs: tuple[float, ...]) -> list[float | None]:
    """Exact percentiles ``qs`` of ``x``, partitioning ``x`` in place (no sorted copy).

    The same values as ``np.percentile(x, q)`` (order statistics do not depend on the
    input order); ``x`` must be a scratch array the caller owns.
    """
    if not x.size:
        return [None] * len(qs)
    return [float(np.percentile(x, q, overwrite_input=True)) for q in qs]


@dataclass(frozen=True, eq=False)
class ServingResult:
    """One serving run: per-request times (s) and whole-run figures (SI units in the suffix).

    ``start_s`` is when a request's batch (CNN) or its prefill iteration (LLM) began;
    ``first_token_s`` (LLM) is the end of its prefill iteration. Latency = finish - arrival;
    TTFT = first token - arrival; TPOT = (finish - first token) / (output tokens - 1).
    """

    hardware: str
    workload: str
    profile: str
    dtype: str
    batching: str
    arrival: str
    rate: float
    seed: int
    max_batch: int
    max_wait_s: float | None
    arrival_s: np.ndarray
    start_s: np.ndarray
    finish_s: np.ndarray
    energy_j: float
    busy_s: float
    static_power_w: float
    unit_busy_s: dict[str, float]
    level_busy_s: dict[str, float]
    steps: int
    step_requests: int
    service_time_s: dict[int, float]
    first_token_s: np.ndarray | None = None
    prompt_len: np.ndarray | None = None
    gen_len: np.ndarray | None = None
    prompt_dist: str | None = None
    gen_dist: str | None = None
    prefill: str | None = None
    max_prefill_tokens: int | None = None
    kv_budget_bytes: float | None = None
    kv_bytes_per_token: float | None = None
    kv_budget_source: str | None = None
    decode_time_s: dict[str, list[float]] | None = None
    prefill_time_s: dict[int, float] | None = None
    warnings: tuple[str, ...] = ()
    advances: int = 0
    parallel: dict[str, Any] | None = None
    kv_policy: str | None = None
    kv_batch_limit: int | None = None
    batch_limit: str | None = None
    schema_version: int = RESULT_SCHEMA_VERSION

    # ---- queue over time (derived from the per-request times, not stored) ------------
    @cached_property
    def _queue(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return queue_steps(self.arrival_s, self.start_s, self.finish_s)

    @property
    def queue_time_s(self) -> np.ndarray:
        """Times at which the queue changes, s (sorted, distinct)."""
        return self._queue[0]

    @property
    def queue_waiting(self) -> np.ndarray:
        """Requests arrived and not started, from each ``queue_time_s`` on."""
        return self._queue[1]

    @property
    def queue_running(self) -> np.ndarray:
        """Requests started and not finished (the batch), from each ``queue_time_s`` on."""
        return self._queue[2]

    # ---- per-request figures -------------------------------------------------------
    @property
    def requests(self) -> int:
        """Requests served."""
        return int(self.arrival_s.size)

    @property
    def latency_s(self) -> np.ndarray:
        """End-to-end latency of each request (queueing + service), s."""
        return np.asarray(self.finish_s - self.arrival_s)

    @property
    def wait_s(self) -> np.ndarray:
        """Time each request queued before its batch or prefill iteration began, s."""
        return np.asarray(self.start_s - self.arrival_s)

    @property
    def ttft_s(self) -> np.ndarray | None:
        """Time to first token of each request (LLM), s."""
        if self.first_token_s is None:
            return None
        return np.asarray(self.first_token_s - self.arrival_s)

    @property
    def tpot_s(self) -> np.ndarray | None:
        """Time per output token after the first, for requests with >= 2 output tokens, s."""
        if self.first_token_s is None or self.gen_len is None:
            return None
        m = self.gen_len > 1
        if m.all():  # no masked copies; the same values
            d: np.ndarray = self.finish_s - self.first_token_s
            g = self.gen_len
            for i in range(0, d.size, _TPOT_CHUNK):  # no full-size temporary for ``g - 1``
                d[i : i + _TPOT_CHUNK] /= g[i : i + _TPOT_CHUNK] - 1
            return d
        return np.asarray((self.finish_s[m] - self.first_token_s[m]) / (self.gen_len[m] - 1))

    # ---- whole-run figures ---------------------------------------------------------
    @property
    def duration_s(self) -> float:
        """Simulated time from t=0 to the last completion, s."""
        return float(self.finish_s.max()) if self.finish_s.size else 0.0

    @property
    def requests_per_s(self) -> float:
        """Completed requests per second over the run."""
        d = self.duration_s
        return self.requests / d if d > 0 else 0.0

    @property
    def tokens_per_s(self) -> float | None:
        """Output tokens generated per second over the run (LLM)."""
        if self.gen_len is None:
            return None
        d = self.duration_s
        return float(self.gen_len.sum()) / d if d > 0 else 0.0

    @property
    def energy_per_request_j(self) -> float:
        """Energy (dynamic + static, idle time included) per completed request, J."""
        return self.energy_j / self.requests if self.requests else 0.0

    @property
    def avg_power_w(self) -> float:
        """Average power over the run, W."""
        d = self.duration_s
        return self.energy_j / d if d > 0 else 0.0

    @property
    def utilisation(self) -> dict[str, float]:
        """Busy fraction of each compute unit over the run (0..1)."""
        d = self.duration_s
        return {u: (b / d if d > 0 else 0.0) for u, b in self.unit_busy_s.items()}

    @property
    def memory_utilisation(self) -> dict[str, float]:
        """Busy fraction of each memory level's channel over the run (0..1)."""
        d = self.duration_s
        return {lv: (b / d if d > 0 else 0.0) for lv, b in self.level_busy_s.items()}

    @property
    def server_busy_fraction(self) -> float:
        """Fraction of the run during which a batch or an iteration was executing."""
        d = self.duration_s
        return self.busy_s / d if d > 0 else 0.0

    @property
    def mean_batch(self) -> float:
        """Mean requests per batch (CNN) or sequences per iteration (LLM)."""
        return self.step_requests / self.steps if self.steps else 0.0

    def summary(self) -> dict[str, Any]:
        """The headline figures (one row of a rate sweep)."""
        # One scratch array at a time, partitioned in place (peak memory of 1e6 requests).
        lat = self.latency_s
        mean = float(lat.mean()) if lat.size else None  # before partitioning reorders it
        p50, p90, p99 = _pcts_inplace(lat, (50, 90, 99))
        del lat
        d: dict[str, Any] = {
            "rate": self.rate,
            "requests": self.requests,
            "requests_per_s": self.requests_per_s,
            "latency_mean_s": mean,
            "latency_p50_s": p50,
            "latency_p90_s": p90,
            "latency_p99_s": p99,
        }
        if self.first_token_s is not None and self.gen_len is not None:
            ttft = self.ttft_s
            assert ttft is not None
            t50, t99 = _pcts_inplace(ttft, (50, 99))
            del ttft
            tpot = self.tpot_s
            assert tpot is not None
            o50, o99 = _pcts_inplace(tpot, (50, 99))
            del tpot
            d.update(
                {
                    "ttft_p50_s": t50,
                    "ttft_p99_s": t99,
                    "tpot_p50_s": o50,
                    "tpot_p99_s": o99,
                    "tokens_per_s": self.tokens_per_s,
                }
            )
        d["energy_per_request_j"] = self.energy_per_request_j
        d["mean_batch"] = self.mean_batch
        d["server_busy_fraction"] = self.server_busy_fraction
        return d

    def queue_series(self, max_points: int | None = QUEUE_POINTS) -> dict[str, list[float]]:
        """Queue length over time, sampled at arrivals, dispatches and completions.

        With more than ``max_points`` events, each stretch of events keeps the one with the
        longest queue (so peaks survive the thinning).
        """
        if max_points is not None and max_points <= 0:  # headline fields only: no queue
            return {"time_s": [], "waiting": [], "running": []}
        if max_points is not None:
            # Thinned straight from the windows: the full series (~27 MB for a million
            # requests) is never built for it.
            t_l, w_l, r_l = queue_thinned(self.arrival_s, self.start_s, self.finish_s, max_points)
            return {"time_s": t_l, "waiting": w_l, "running": r_l}
        t, w, r = self.queue_time_s, self.queue_waiting, self.queue_running
        return {
            "time_s": [float(x) for x in t],
            "waiting": [int(x) for x in w],
            "running": [int(x) for x in r],
        }

    def to_dict(self, *, max_points: int | None = QUEUE_POINTS) -> dict[str, Any]:
        """JSON-ready dict: contract fields (design.md section 7, serving) first."""
        s = self.summary()
        d: dict[str, Any] = {
            "schema_version": self.schema_version,
            "mode": "serving",
            "hardware": self.hardware,
            "workload": self.workload,
            "profile": self.profile,
            "dtype": self.dtype,
            "batching": self.batching,
            "arrival": self.arrival,
            "rate": self.rate,
            "seed": self.seed,
            "max_batch": self.max_batch,
            "max_wait_s": self.max_wait_s,
            "requests": self.requests,
            "duration_s": self.duration_s,
        }
        d.update({k: v for k, v in s.items() if k not in ("rate", "requests")})
        d.update(
            {
                "energy_j": self.energy_j,
                "avg_power_w": self.avg_power_w,
                "utilisation": self.utilisation,
                "memory_utilisation": self.memory_utilisation,
                "wait_mean_s": float(self.wait_s.mean()) if self.requests else None,
                "service_time_s": {str(b): t for b, t in sorted(self.service_time_s.items())},
            }
        )
        if self.batching == "continuous":
            d.update(
                {
                    "prefill": self.prefill,
                    "max_prefill_tokens": self.max_prefill_tokens,
                    "prompt_dist": self.prompt_dist,
                    "gen_dist": self.gen_dist,
                    "prompt_len_mean": float(self.prompt_len.mean())
                    if self.prompt_len is not None
                    else None,
                    "gen_len_mean": float(self.gen_len.mean())
                    if self.gen_len is not None
                    else None,
                    "kv_budget_bytes": self.kv_budget_bytes,
                    "kv_bytes_per_token": self.kv_bytes_per_token,
                    "kv_budget_source": self.kv_budget_source,
                    "kv_policy": self.kv_policy,
                    "kv_batch_limit": self.kv_batch_limit,
                    "batch_limit": self.batch_limit,
                    "decode_time_s": self.decode_time_s,
                    "prefill_time_s": {str(p): t for p, t in sorted(self.prefill_time_s.items())}
                    if self.prefill_time_s
                    else None,
                }
            )
        if self.parallel:
            d["parallel"] = dict(self.parallel)
        d["queue_length"] = self.queue_series(max_points)
        d["warnings"] = list(self.warnings)
        out: dict[str, Any] = _finite(d)
        return out


def _finite(x: Any) -> Any:
    """Replace inf/NaN by None so the JSON stays strict."""
    if isinstance(x, float) and not math.isfinite(x):
        return None
    if isinstance(x, dict):
        return {k: _finite(v) for k, v in x.items()}
    if isinstance(x, list):
        return [_finite(v) for v in x]
    return x
