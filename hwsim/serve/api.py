"""``serve(workload, hardware, rate=...) -> ServingResult``: requests arriving over time."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from hwsim.hardware.loader import load_hardware, resolve_profile
from hwsim.hardware.models import HardwareSpec, SoftwareProfile
from hwsim.hardware.operating import nominal_idle_power
from hwsim.serve.chunked import chunked_batching, merge_replicas
from hwsim.serve.costs import (
    BatchCosts,
    Builder,
    DecoderCosts,
    KVMemory,
    ModelSource,
    StepLayout,
    format_bytes,
    kv_memory,
)
from hwsim.serve.requests import (
    ARRIVALS,
    LengthDist,
    ServingError,
    Trace,
    arrival_times,
    check_rate,
    load_trace,
    streams,
    trace_from_times,
)
from hwsim.serve.result import ServingResult
from hwsim.serve.server import ContinuousStats, Timeline, continuous_batching, dynamic_batching
from hwsim.serve.system import SystemRunner, fullest_stage
from hwsim.units import Dimension, UnitError, parse_quantity
from hwsim.workload.ir import DecoderWorkload, Workload

DEFAULT_REQUESTS = 1000
"""Requests simulated when neither ``requests`` nor ``duration`` is given."""

DEFAULT_MAX_BATCH = 8
"""Largest dynamic batch of a CNN/encoder by default."""

DEFAULT_MAX_SEQS = 256
"""Most sequences in a continuous batch by default (vLLM's ``max_num_seqs``)."""

PREFILL_ROWS = 8
"""With chunked prefill, at most this many of the requests' own prompt lengths are sampled too."""

DEFAULT_MAX_PREFILL_TOKENS = 4096
"""Most new prompt tokens prefilled per iteration by default (one prompt always fits)."""

AnyWorkload = Workload | DecoderWorkload


@dataclass
class _Setup:
    spec: HardwareSpec
    prof: SoftwareProfile
    source: ModelSource
    arrival: str
    trace: Trace | None
    requests: int | None
    duration: float | None
    seed: int
    max_batch: int
    max_wait: float | None
    warnings: list[str]
    runner: SystemRunner | None = None
    kv_batch: int | None = None
    batch_limit: str | None = None
    chunk_size: int | None = None
    replicas: int = 1


def _int_at_least(name: str, value: Any, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        raise ServingError(f"{name} must be an integer >= {low}, got {value!r}")
    return int(value)


def _budget(kv_budget: float | str | None) -> float | None:
    if kv_budget is None:
        return None
    if isinstance(kv_budget, str):
        s = kv_budget.strip()
        if s.isdigit():
            return float(s)
        try:
            return parse_quantity(s, Dimension.BYTES)
        except UnitError as exc:
            raise ServingError(f"KV budget: {exc}") from None
    try:
        b = float(kv_budget)
    except (TypeError, ValueError):
        raise ServingError(f"KV budget must be bytes, got {kv_budget!r}") from None
    if not (math.isfinite(b) and b > 0):
        raise ServingError(f"the KV budget must be > 0 bytes, got {kv_budget!r}")
    return b


def _times(st: _Setup, rate: float | None) -> tuple[np.ndarray, float, np.ndarray | None]:
    """Arrival times, the offered rate, and which trace rows they are (None: generated)."""
    if st.trace is not None:
        tr = st.trace
        n = len(tr.arrival_s) if st.requests is None else min(st.requests, len(tr.arrival_s))
        t = tr.arrival_s[:n]
        if rate is None:
            return t.copy(), tr.mean_rate, np.arange(n)
        r = check_rate(rate)
        if not math.isfinite(tr.mean_rate):
            raise ServingError(
                "trace: every request arrives at the same time; it cannot be rescaled to a rate"
            )
        # Rescale the gaps between arrivals (the trace's first arrival stays first).
        return t[0] + (t - t[0]) * (tr.mean_rate / r), r, np.arange(n)
    r = check_rate(rate)
    rng = streams(st.seed)[0]
    t = arrival_times(st.arrival, r, rng, requests=st.requests, duration=st.duration)
    if t.size == 0:
        raise ServingError(
            f"no request arrives within {st.duration:g} s at {r:g} requests/s; raise `duration`",
            params=("duration",),
        )
    return t, r, None


def serve_rates(
    workload: str | Path | AnyWorkload | Builder,
    hardware: str | Path | HardwareSpec,
    rates: Sequence[float | None],
    *,
    arrival: str = "poisson",
    trace: str | Path | Sequence[float] | None = None,
    requests: int | None = None,
    duration: float | None = None,
    seed: int = 0,
    max_batch: int | None = None,
    max_wait: float | None = None,
    prompt_len: int | None = None,
    gen_len: int | None = None,
    prompt_dist: str | LengthDist | None = None,
    gen_dist: str | LengthDist | None = None,
    kv_budget: float | str | None = None,
    max_prefill_tokens: int = DEFAULT_MAX_PREFILL_TOKENS,
    dtype: str | None = None,
    profile: str | Path | SoftwareProfile | None = None,
    tp: int = 1,
    pp: int = 1,
    chunk_size: int | None = None,
    replicas: int = 1,
    ep: bool = False,
    **params: Any,
) -> list[ServingResult]:
    """Serve the same request stream at several offered rates (step costs computed once).

    Takes the arguments of :func:`serve`; ``rates`` replaces ``rate``. Returns one
    :class:`ServingResult` per rate, in order.
    """
    from hwsim.hardware.loader import find_system, load_system
    from hwsim.hardware.system import SystemSpec

    runner: SystemRunner | None = None
    tp = _int_at_least("tp", tp, 1)
    pp = _int_at_least("pp", pp, 1)
    if isinstance(hardware, SystemSpec) or (
        not isinstance(hardware, HardwareSpec) and find_system(hardware) is not None
    ):
        assert not isinstance(hardware, HardwareSpec)
        sys_spec, spec = load_system(hardware)
        prof = resolve_profile(spec, profile)
        replicas = _int_at_least("replicas", replicas, 1)
        if tp * pp * replicas > sys_spec.count:
            raise ServingError(
                f"`tp` x `pp` x `replicas` = {tp * pp * replicas} devices exceeds the "
                f"{sys_spec.count} of {sys_spec.name}",
                params=("tp", "pp", "replicas"),
            )
        runner = SystemRunner(sys_spec, spec, prof, tp, pp)
    else:
        if (tp, pp) != (1, 1):
            raise ServingError(
                "`tp` and `pp` need a system (e.g. dgx-a100, dgx-h100, rtx4090-x8-pcie)",
                params=("tp", "pp"),
            )
        spec = load_hardware(hardware)
        prof = resolve_profile(spec, profile)
    if not rates:
        raise ServingError("give at least one rate")
    if arrival not in ARRIVALS:
        raise ServingError(f"unknown arrival process {arrival!r}; choose {', '.join(ARRIVALS)}")
    if requests is not None and duration is not None:
        raise ServingError(
            "give `requests` or `duration`, not both", params=("requests", "duration")
        )
    if requests is not None:
        requests = _int_at_least("requests", requests, 1)
    if duration is not None:
        try:
            duration = float(duration)
        except (TypeError, ValueError):
            raise ServingError(f"duration must be seconds, got {duration!r}") from None
        if not (math.isfinite(duration) and duration > 0):
            raise ServingError(f"duration must be > 0 s, got {duration!r}")
    tr: Trace | None = None
    if arrival == "trace":
        if trace is None:
            raise ServingError("`arrival` trace needs a `trace` file", params=("arrival", "trace"))
        if duration is not None:
            raise ServingError(
                "`duration` does not apply to a trace (use `requests` to cut it)",
                params=("duration", "requests"),
            )
        tr = load_trace(trace) if isinstance(trace, (str, Path)) else trace_from_times(trace)
    elif trace is not None:
        raise ServingError(
            f"a trace file needs `arrival` trace, not {arrival!r}", params=("arrival",)
        )
    elif requests is None and duration is None:
        requests = DEFAULT_REQUESTS
    seed = _int_at_least("seed", seed, 0)
    for r in rates:
        if r is not None or tr is None:
            check_rate(r)
    if dtype is None and isinstance(workload, (str, Path)) and spec.native_dtype(prof) != "fp32":
        dtype = spec.native_dtype(prof)  # as hwsim.simulate: an int8-only chip runs int8
    source = ModelSource(workload, dtype, params)
    decoder = source.is_decoder
    if runner is not None and not decoder and (tp, pp) != (1, 1):
        raise ServingError(f"{source.name}: `tp` and `pp` split decoder LLMs", params=("tp", "pp"))
    source.tp = tp
    source.ep = bool(ep)
    replicas = _int_at_least("replicas", replicas, 1)
    if replicas > 1 and not decoder:
        raise ServingError(
            f"{source.name}: `replicas` applies to decoder LLMs (continuous batching)",
            params=("replicas",),
        )
    warnings: list[str] = []
    if decoder:
        mb = DEFAULT_MAX_SEQS if max_batch is None else _int_at_least("max_batch", max_batch, 1)
        if max_wait is not None:
            warnings.append("max_wait has no effect with continuous batching (decoder LLMs)")
        mw: float | None = None
    else:
        mb = DEFAULT_MAX_BATCH if max_batch is None else _int_at_least("max_batch", max_batch, 1)
        mw = 0.0 if max_wait is None else float(max_wait)
        if not (math.isfinite(mw) and mw >= 0):
            raise ServingError(f"max_wait must be >= 0 s, got {max_wait!r}")
        if any(x is not None for x in (prompt_len, gen_len, prompt_dist, gen_dist, kv_budget)):
            raise ServingError(
                f"{source.name} is not a decoder LLM: prompt/output lengths and the KV budget "
                "do not apply"
            )
    st = _Setup(spec, prof, source, arrival, tr, requests, duration, seed, mb, mw, warnings, runner)
    runs = [_times(st, r) for r in rates]
    if not decoder:
        batch_costs = BatchCosts(source, spec, prof)
        return [_run_dynamic(st, batch_costs, t, r) for t, r, _ in runs]
    max_prefill_tokens = _int_at_least("max_prefill_tokens", max_prefill_tokens, 1)
    st.replicas = replicas
    if chunk_size is not None:
        chunk_size = _int_at_least("chunk_size", chunk_size, 1)
    st.chunk_size = chunk_size
    first = source.first
    assert isinstance(first, DecoderWorkload)
    pd = _dist("prompt", prompt_len, prompt_dist, first.prompt_len)
    gd = _dist("output", gen_len, gen_dist, first.gen_len)
    n_max = max(t.size for t, _, _ in runs)
    _, rp, rg = streams(seed)
    plen = pd.sample(rp, n_max)
    glen = gd.sample(rg, n_max)
    if tr is not None:
        if tr.prompt_len is not None:
            plen = tr.prompt_len[:n_max].copy()
            pd = LengthDist("trace", 0.0)
        if tr.gen_len is not None:
            glen = tr.gen_len[:n_max].copy()
            gd = LengthDist("trace", 0.0)
    ctx = plen + glen
    big = int(np.argmax(ctx))
    p_max = int(plen.max())
    w_long = source.build_full(1, prompt_len=int(plen[big]), gen_len=int(glen[big]))
    w_pre = source.build_full(1, prompt_len=p_max, gen_len=1) if p_max != plen[big] else w_long
    assert isinstance(w_pre, DecoderWorkload)
    if tp * pp > 1:
        w_pre = fullest_stage(w_pre, tp, pp, bool(ep))  # KV budget of the fullest device
    kv = kv_memory(w_pre, spec, prof, _budget(kv_budget))
    budget_tokens = int(kv.budget_bytes // kv.bytes_per_token) if kv.bytes_per_token > 0 else n_max
    if kv.bytes_per_token <= 0:
        budget_tokens = int(ctx.sum())
    too_big = np.nonzero(ctx > budget_tokens)[0]
    if too_big.size:
        i = int(too_big[0])
        raise ServingError(
            f"request {i}: prompt {plen[i]} + output {glen[i]} tokens need "
            f"{format_bytes(float(ctx[i] * kv.bytes_per_token))} of KV cache, more than the "
            f"{kv.describe()}; it could never be admitted"
        )
    # Requests hold their whole context's KV from admission to finish (reserved up front):
    # when the cache is full, new requests wait; running ones are never preempted.
    fits = int(np.searchsorted(np.cumsum(np.sort(ctx)), budget_tokens, side="right"))
    b_max = max(1, min(mb, fits, n_max))
    st.kv_batch = int(budget_tokens // float(ctx.mean()))  # sequences of the mean context
    st.batch_limit = "kv cache" if st.kv_batch < mb else "max_batch"
    costs = DecoderCosts(
        source,
        spec,
        prof,
        b_max=b_max,
        prompt_lens=plen,
        max_context=int(ctx.max()),
        gen_max=int(glen[big]),
        prompt_at_max=int(plen[big]),
        runner=runner,
        # chunks need the prefill time of every prefix length, down to one token
        prefill_points=None
        if chunk_size is None
        else np.unique(
            np.concatenate(
                [np.rint(np.linspace(1, int(plen.max()), 8)), np.unique(plen)[:PREFILL_ROWS]]
            ).astype(np.int64)
        ),
    )
    prefill = costs.prefill(plen, column=0)  # time of each prompt's prefill, s
    return [
        _run_continuous(
            st, costs, kv, budget_tokens, t, r, plen, glen, ctx, prefill, pd, gd, max_prefill_tokens
        )
        for t, r, _ in runs
    ]


def serve(
    workload: str | Path | AnyWorkload | Builder,
    hardware: str | Path | HardwareSpec,
    rate: float | None = None,
    **kwargs: Any,
) -> ServingResult:
    """Simulate serving ``workload`` on ``hardware`` under requests arriving at ``rate``.

    CNNs and encoders use dynamic batching; decoder LLMs continuous (iteration-level)
    batching with whole-prompt prefill and a KV-cache budget (docs/serving.md).

    Args:
        workload: built-in name, model file, a workload object (its own batch only), or a
            builder ``(batch=, [prompt_len=, gen_len=]) -> Workload | DecoderWorkload``.
        hardware: built-in chip name, spec path, or a HardwareSpec.
        rate: offered load, requests/s (for a trace: rescale it to this mean rate; None keeps
            the trace's own times).
        **kwargs: ``arrival`` (poisson, constant, trace), ``trace`` (CSV/JSON file or times),
            ``requests`` or ``duration`` (s), ``seed``, ``max_batch``, ``max_wait`` (s),
            ``prompt_len``/``gen_len`` or ``prompt_dist``/``gen_dist`` (e.g. "uniform:64,512"),
            ``kv_budget`` (bytes or "40 GiB"), ``max_prefill_tokens``, ``chunk_size`` (chunked
            prefill: tokens per iteration), ``tp``/``pp`` (on a system), ``replicas``
            (data-parallel copies, round robin; decoders), ``ep`` (MoE experts spread over
            the tp devices), ``dtype``, ``profile``
            and model parameters (``resolution``, ``seq_len``, ...).

    Returns:
        The ServingResult: latency percentiles in s, requests/s, energy per request in J.

    Raises:
        ServingError: rate <= 0, a bad trace or distribution, a request whose KV cache can
            never fit; other HwsimErrors from loading the chip or the model.
    """
    return serve_rates(workload, hardware, [rate], **kwargs)[0]


def _dist(what: str, fixed: int | None, dist: str | LengthDist | None, default: int) -> LengthDist:
    if fixed is not None and dist is not None:
        raise ServingError(f"give the {what} length or its distribution, not both")
    if dist is not None:
        return LengthDist.parse(dist)
    return LengthDist.fixed(default if fixed is None else fixed)


def _label(st: _Setup) -> str:
    if st.trace is not None:
        return f"trace:{st.trace.source}"
    return st.arrival


def _run_dynamic(st: _Setup, costs: BatchCosts, times: np.ndarray, rate: float) -> ServingResult:
    assert st.max_wait is not None
    tl, stats = dynamic_batching(times, costs.time, max_batch=st.max_batch, max_wait=st.max_wait)
    total = costs.total(stats.counts)
    fields = _fields(st, costs.dtype, "dynamic", rate, tl, total, costs.warnings, costs.layout)
    fields["service_time_s"] = {b: costs.time(b) for b in sorted(stats.counts)}
    return ServingResult(**fields)


def _run_continuous(
    st: _Setup,
    costs: DecoderCosts,
    kv: KVMemory,
    budget_tokens: int,
    times: np.ndarray,
    rate: float,
    plen: np.ndarray,
    glen: np.ndarray,
    ctx: np.ndarray,
    prefill: np.ndarray,
    pd: LengthDist,
    gd: LengthDist,
    max_prefill_tokens: int,
) -> ServingResult:
    n = times.size
    p, g, kvt, pre = plen[:n], glen[:n], ctx[:n], prefill[:n]  # views, no copies
    # Before the timelines exist, so its sorted copy does not add to the peak memory.
    prefill_total = costs.prefill_total(p)

    def one(idx: slice) -> tuple[Timeline, ContinuousStats]:
        """One replica's server on the requests ``idx`` (views; kvt = p + g)."""
        if st.chunk_size is not None:
            return chunked_batching(
                times[idx],
                p[idx],
                g[idx],
                costs.prefill_time,
                kvt[idx],
                budget_tokens=budget_tokens,
                max_batch=costs.b_max,
                chunk_size=st.chunk_size,
                time_a=costs.time_a,
                time_s=costs.time_s,
            )
        return continuous_batching(
            times[idx],
            p[idx],
            g[idx],
            pre[idx],
            kvt[idx],
            budget_tokens=budget_tokens,
            max_batch=costs.b_max,
            max_prefill_tokens=max_prefill_tokens,
            time_a=costs.time_a,
            time_s=costs.time_s,
        )

    # Data-parallel replicas: request j goes to replica j mod R (round robin in arrival order).
    # Strided slices are views: one replica reads the arrays in place.
    parts = [slice(k, n, st.replicas) for k in range(min(st.replicas, n))]
    tl, stats = merge_replicas([one(idx) for idx in parts], parts, times)
    total = costs.decode_total(stats.counts, stats.kv_sums) + prefill_total
    grid = costs.grid
    fields = _fields(st, costs.dtype, "continuous", rate, tl, total, costs.warnings, costs.layout)
    fields |= {
        "service_time_s": {},
        "prompt_len": p,
        "gen_len": g,
        "prompt_dist": pd.label,
        "gen_dist": gd.label,
        "prefill": "whole" if st.chunk_size is None else f"chunks of {st.chunk_size} tokens",
        "max_prefill_tokens": max_prefill_tokens if st.chunk_size is None else st.chunk_size,
        "kv_budget_bytes": kv.budget_bytes,
        "kv_bytes_per_token": kv.bytes_per_token,
        "kv_budget_source": kv.describe(),
        "decode_time_s": {
            "batch": [float(b) for b in grid],
            "at_zero_kv_s": [float(costs.dec_a[b, 0]) for b in grid],
            "per_kv_token_s": [float(costs.dec_s[b, 0]) for b in grid],
        },
        "prefill_time_s": {
            int(pp): float(t) for pp, t in zip(costs.prefill_points, costs.prefill_table[:, 0])
        },
        "first_token_s": tl.first_token_s,
        "kv_policy": "wait",
        "kv_batch_limit": st.kv_batch,
        "batch_limit": st.batch_limit,
    }
    return ServingResult(**fields)


def _fields(
    st: _Setup,
    dtype: str,
    batching: str,
    rate: float,
    tl: Timeline,
    total: np.ndarray,
    warnings: list[str],
    layout: StepLayout,
) -> dict[str, Any]:
    nu = len(layout.units)
    duration = float(tl.finish_s.max())
    idle = max(0.0, duration - tl.busy_s)  # busy_s: mean over replicas
    reps = st.replicas
    devices = (st.runner.devices if st.runner is not None else 1) * reps
    static = nominal_idle_power(st.spec) * devices
    parallel = None
    if st.runner is not None or reps > 1:
        parallel = {
            "system": st.runner.sys_spec.name if st.runner is not None else None,
            "device": st.spec.name,
            "tp": st.runner.tp if st.runner is not None else 1,
            "pp": st.runner.pp if st.runner is not None else 1,
            "replicas": reps,
            "devices": devices,
        }
    return {
        "hardware": st.runner.sys_spec.name if st.runner is not None else st.spec.name,
        "parallel": parallel,
        "workload": st.source.name,
        "profile": st.prof.name,
        "dtype": dtype,
        "batching": batching,
        "arrival": _label(st),
        "rate": rate,
        "seed": st.seed,
        "max_batch": st.max_batch,
        "max_wait_s": st.max_wait,
        "arrival_s": tl.arrival_s,
        "start_s": tl.start_s,
        "finish_s": tl.finish_s,
        "energy_j": float(total[1]) + static * idle,
        "busy_s": tl.busy_s,
        "static_power_w": static,
        "unit_busy_s": {u: float(total[2 + i]) / reps for i, u in enumerate(layout.units)},
        "level_busy_s": {lv: float(total[2 + nu + i]) / reps for i, lv in enumerate(layout.levels)},
        "steps": tl.steps,
        "step_requests": tl.step_requests,
        "advances": tl.advances,
        "warnings": tuple(st.warnings + [w for w in warnings if w not in st.warnings]),
    }
