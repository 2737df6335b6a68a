"""Continuous batching of decoder LLMs: policy against a per-iteration reference, costs
against simulate(), KV budget, determinism."""

from __future__ import annotations

import itertools
from collections import deque

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from hwsim import simulate
from hwsim.hardware import load_hardware
from hwsim.hardware.loader import resolve_profile
from hwsim.serve import ServingError, serve
from hwsim.serve.costs import DecoderCosts, ModelSource, batch_grid
from hwsim.serve.result import queue_steps
from hwsim.serve.server import _steps_to_reach, _stretch, continuous_batching

from .conftest import KV_BYTES_PER_TOKEN, tiny_decoder

CHIP = "a100-80gb-sxm"


def reference(times, plen, glen, pre, need, budget, max_batch, max_pre, a, s):
    """Iteration by iteration, no event skipping: (start, first token, finish) per request."""
    n = len(times)
    start, first, finish = np.zeros(n), np.zeros(n), np.zeros(n)
    gen = [0] * n
    queue: deque[int] = deque()
    running: list[int] = []
    t, nxt, done, reserved = 0.0, 0, 0, 0
    while done < n:
        while nxt < n and times[nxt] <= t:
            queue.append(nxt)
            nxt += 1
        new, tokens = [], 0
        while queue and len(running) + len(new) < max_batch:
            i = queue[0]
            if reserved + need[i] > budget or (new and tokens + plen[i] > max_pre):
                break
            queue.popleft()
            new.append(i)
            tokens += plen[i]
            reserved += need[i]
        if not running and not new:
            t = times[nxt]
            continue
        b = len(running)
        kv = sum(plen[i] + gen[i] - 1 for i in running)
        dt = sum(pre[i] for i in new) + (a[b] + s[b] * kv if b else 0.0)
        for i in new:
            start[i] = t
        t += dt
        for i in running:
            gen[i] += 1
        for i in new:
            gen[i] = 1
            first[i] = t
        running += new
        for i in [i for i in running if gen[i] == glen[i]]:
            finish[i] = t
            running.remove(i)
            reserved -= need[i]
            done += 1
    return start, first, finish


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("max_batch,budget", [(6, 10**9), (64, 900), (3, 400)])
def test_event_skipping_matches_per_iteration_reference(
    seed: int, max_batch: int, budget: int
) -> None:
    rng = np.random.default_rng(seed)
    n = 300
    times = np.cumsum(rng.exponential(0.02, n))
    plen = rng.integers(1, 120, n)
    glen = rng.integers(1, 60, n)
    pre = 1e-3 + 2e-5 * plen
    a = [0.0] + [5e-3 + 1e-4 * b for b in range(1, max_batch + 1)]
    s = [0.0] + [1e-6] * max_batch
    need = plen + glen
    got, stats = continuous_batching(
        times,
        plen,
        glen,
        pre,
        need,
        budget_tokens=budget,
        max_batch=max_batch,
        max_prefill_tokens=200,
        time_a=a,
        time_s=s,
    )
    want = reference(times, plen, glen, pre, need, budget, max_batch, 200, a, s)
    np.testing.assert_allclose(got.start_s, want[0], rtol=1e-9)
    np.testing.assert_allclose(got.first_token_s, want[1], rtol=1e-9)
    np.testing.assert_allclose(got.finish_s, want[2], rtol=1e-9)
    assert max(queue_steps(got.arrival_s, got.start_s, got.finish_s)[2]) <= max_batch
    assert stats.counts.sum() + stats.prefill_only == got.steps
    # Pure-decode stretches advance in one event: far fewer advances than iterations.
    assert got.advances < got.steps / 2


def test_single_request_matches_simulate() -> None:
    ref = simulate(tiny_decoder(1, 64, 32), CHIP)
    r = serve(tiny_decoder, CHIP, rate=1.0, prompt_len=64, gen_len=32, requests=5)
    assert r.batching == "continuous" and r.prefill == "whole"
    assert r.mean_batch == pytest.approx(1.0)
    np.testing.assert_allclose(r.ttft_s, ref.ttft_s, rtol=1e-9)
    np.testing.assert_allclose(r.latency_s, ref.latency_s, rtol=1e-3)
    np.testing.assert_allclose(r.tpot_s, ref.tpot_s, rtol=1e-3)
    assert r.tokens_per_s == pytest.approx(5 * 32 / r.duration_s)


def test_decode_cost_interpolates_between_batch_sizes() -> None:
    spec = load_hardware(CHIP)
    prof = resolve_profile(spec, None)
    src = ModelSource(tiny_decoder, None, {})
    costs = DecoderCosts(
        src,
        spec,
        prof,
        b_max=40,
        prompt_lens=np.array([100, 300]),
        max_context=400,
        gen_max=100,
        prompt_at_max=300,
    )
    assert costs.grid == batch_grid(40) == [1, 4, 16, 40]
    # a decode step pays no per-run overhead (the request pays it once, with its prefill)
    step_prof = prof.model_copy(update={"overhead_per_run": 0.0})
    for b, kv in ((8, 150), (24, 350), (16, 200)):
        step = tiny_decoder(b, 300, 100).decode_step(kv)
        direct = simulate(step, spec, profile=step_prof).latency_s
        assert costs.decode_time(b, b * kv) == pytest.approx(direct, rel=0.02)
    pre = costs.prefill(np.array([100, 300]))
    for i, p in enumerate((100, 300)):
        direct = simulate(tiny_decoder(1, p, 1).prefill(), spec).latency_s
        assert pre[i, 0] == pytest.approx(direct, rel=1e-12)


def test_kv_budget_limits_running_sequences() -> None:
    per_request = (64 + 32) * KV_BYTES_PER_TOKEN
    r = serve(
        tiny_decoder,
        CHIP,
        rate=1e5,
        prompt_len=64,
        gen_len=32,
        requests=60,
        kv_budget=3.5 * per_request,
    )
    assert max(r.queue_running) == 3
    assert r.kv_budget_bytes == pytest.approx(3.5 * per_request)
    assert r.to_dict()["kv_budget_source"].endswith("(given)")
    unlimited = serve(tiny_decoder, CHIP, rate=1e5, prompt_len=64, gen_len=32, requests=60)
    assert max(unlimited.queue_running) > 3
    assert unlimited.requests_per_s > r.requests_per_s


def test_request_larger_than_kv_budget_is_an_error() -> None:
    with pytest.raises(ServingError, match="request 0: prompt 64 \\+ output 32 tokens need"):
        serve(
            tiny_decoder,
            CHIP,
            rate=10,
            prompt_len=64,
            gen_len=32,
            requests=5,
            kv_budget=f"{50 * KV_BYTES_PER_TOKEN:.0f} B",
        )


def test_distributions_are_seeded() -> None:
    kw = dict(
        rate=2000.0,
        prompt_dist="uniform:16,200",
        gen_dist="lognormal:20,0.5,1,80",
        requests=400,
        max_batch=16,
    )
    a = serve(tiny_decoder, CHIP, seed=5, **kw)
    b = serve(tiny_decoder, CHIP, seed=5, **kw)
    c = serve(tiny_decoder, CHIP, seed=6, **kw)
    assert np.array_equal(a.prompt_len, b.prompt_len) and np.array_equal(a.finish_s, b.finish_s)
    assert a.to_dict() == b.to_dict()
    assert not np.array_equal(a.prompt_len, c.prompt_len)
    assert 16 <= a.prompt_len.min() and a.prompt_len.max() <= 200
    assert 1 <= a.gen_len.min() and a.gen_len.max() <= 80
    d = a.to_dict()
    assert d["prompt_dist"] == "uniform:16,200" and d["gen_dist"] == "lognormal:20,0.5,1,80"
    assert all((a.ttft_s > 0) & (a.ttft_s <= a.latency_s))


def test_llm_throughput_saturates() -> None:
    # Rate far above capacity: the batch stays full; throughput stops growing with the rate.
    kw = dict(prompt_len=32, gen_len=16, requests=800, max_batch=8)
    lo = serve(tiny_decoder, CHIP, rate=1e6, **kw)
    hi = serve(tiny_decoder, CHIP, rate=1e7, **kw)
    assert hi.requests_per_s == pytest.approx(lo.requests_per_s, rel=0.02)
    assert lo.mean_batch > 7.5
    # Upper bound from the cost table: 8 sequences per 16 iterations of the full batch.
    assert lo.requests_per_s <= 8 / (16 * lo.decode_time_s["at_zero_kv_s"][-1])


def test_builtin_decoder_by_name() -> None:
    r = serve("gpt2", CHIP, rate=50, dtype="fp16", prompt_len=128, gen_len=16, requests=200)
    d = r.to_dict()
    assert d["workload"] == "gpt2" and d["dtype"] == "fp16"
    assert d["kv_bytes_per_token"] == 12 * 2 * 768 * 2
    assert d["kv_budget_source"].startswith("KV budget")
    assert 0 < d["utilisation"]["tensor"] <= 1


def test_queue_steps_by_hand() -> None:
    """Three requests: arrivals 0, 1, 1; starts 0, 2, 2; finishes 3, 3, 5 (s).

    Worked out by hand: t=0 arrive+start -> (0 waiting, 1 running); t=1 two arrive -> (2, 1);
    t=2 both start -> (0, 3); t=3 two finish -> (0, 1); t=5 last finishes -> (0, 0).
    """
    t, waiting, running = queue_steps(
        np.array([0.0, 1.0, 1.0]), np.array([0.0, 2.0, 2.0]), np.array([3.0, 3.0, 5.0])
    )
    assert t.tolist() == [0.0, 1.0, 2.0, 3.0, 5.0]
    assert waiting.tolist() == [0, 2, 0, 0, 0]
    assert running.tolist() == [1, 1, 3, 1, 0]


@given(
    events=st.lists(
        st.tuples(st.integers(0, 20), st.integers(0, 5), st.integers(0, 5)), min_size=1
    ),
    window=st.integers(1, 4),
)
def test_queue_steps_windows_count_every_event(
    events: list[tuple[int, int, int]], window: int
) -> None:
    """Built window by window (a few events each here), the queue still has every distinct
    event time once, with the counts of the definition: arrived - started and started -
    finished, at or before each time."""
    import hwsim.serve.result as result

    a = np.array([float(x) for x, _, _ in events])
    s = a + np.array([float(w) for _, w, _ in events])
    f = s + np.array([float(d) for _, _, d in events])
    old = result._QUEUE_WINDOW
    result._QUEUE_WINDOW = window
    try:
        t, waiting, running = queue_steps(np.sort(a), s, f)
    finally:
        result._QUEUE_WINDOW = old
    times = sorted(set(a) | set(s) | set(f))
    assert t.tolist() == times
    assert waiting.tolist() == [int((a <= u).sum() - (s <= u).sum()) for u in times]
    assert running.tolist() == [int((s <= u).sum() - (f <= u).sum()) for u in times]


@given(
    events=st.lists(
        st.tuples(st.integers(0, 20), st.integers(0, 5), st.integers(0, 5)), min_size=1
    ),
    window=st.integers(1, 4),
    max_points=st.integers(1, 12),
)
def test_queue_thinned_keeps_the_longest_queue_of_each_stretch(
    events: list[tuple[int, int, int]], window: int, max_points: int
) -> None:
    """Thinned window by window (a few events each here), each of ``max_points`` equal
    stretches of the distinct event times keeps its first time with the longest waiting
    queue; with fewer events than that, all are kept."""
    import hwsim.serve.result as result

    a = np.array([float(x) for x, _, _ in events])
    s = a + np.array([float(w) for _, w, _ in events])
    f = s + np.array([float(d) for _, _, d in events])
    old = result._QUEUE_WINDOW
    result._QUEUE_WINDOW = window
    try:
        t, waiting, running = result.queue_thinned(np.sort(a), s, f, max_points)
    finally:
        result._QUEUE_WINDOW = old
    times = sorted(set(a) | set(s) | set(f))
    w_all = [int((a <= u).sum() - (s <= u).sum()) for u in times]
    r_all = [int((s <= u).sum() - (f <= u).sum()) for u in times]
    n = len(times)
    if n <= max_points:
        keep = list(range(n))
    else:  # stretch k holds events [floor(k n / p), floor((k + 1) n / p))
        bounds = [k * n // max_points for k in range(max_points + 1)]
        keep = []
        for lo, hi in itertools.pairwise(bounds):
            if hi > lo:
                top = max(w_all[lo:hi])
                keep.append(next(i for i in range(lo, hi) if w_all[i] == top))
    assert t == [times[i] for i in keep]
    assert waiting == [w_all[i] for i in keep]
    assert running == [r_all[i] for i in keep]


@given(
    c=st.floats(1e-3, 1.0),
    g=st.floats(0.0, 1e-3),
    wait=st.floats(1e-9, 10.0),
)
def test_steps_to_reach_matches_a_running_sum(c: float, g: float, wait: float) -> None:
    """The closed form counts the decode steps ending strictly before ``wait``, as a step-by-
    step sum of the step times ``c, c + g, c + 2g, ...`` does."""
    m = _steps_to_reach(c, g, wait)
    assert _stretch(c, g, m) < wait <= _stretch(c, g, m + 1)
    assert _stretch(c, g, m + 1) == pytest.approx(sum(c + g * j for j in range(m + 1)), rel=1e-9)
