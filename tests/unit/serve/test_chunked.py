"""Chunked prefill: the iteration policy by hand, and through serve()."""

from __future__ import annotations

import numpy as np
import pytest

from hwsim.serve import serve
from hwsim.serve.chunked import chunked_batching

A, S = 0.010, 0.0  # decode step: 10 ms at any batch and KV length
B = 8


def prefill_time(tokens: float) -> float:
    """1 ms per prompt token (affine would do too: chunks telescope)."""
    return 0.001 * tokens


def run(times, plen, glen, chunk, budget=10**9):
    times = np.asarray(times, dtype=np.float64)
    plen = np.asarray(plen)
    glen = np.asarray(glen)
    return chunked_batching(
        times,
        plen,
        glen,
        prefill_time,
        plen + glen,
        budget_tokens=budget,
        max_batch=B,
        chunk_size=chunk,
        time_a=[A] * (B + 1),
        time_s=[S] * (B + 1),
    )


def test_a_lone_prompt_in_chunks_costs_its_whole_prefill() -> None:
    # 1000 tokens in chunks of 256: 4 iterations whose costs add up to P(1000) = 1 s
    tl, stats = run([0.0], [1000], [3], 256)
    assert tl.first_token_s[0] == pytest.approx(1.0)
    # then 2 decode steps of 10 ms
    assert tl.finish_s[0] == pytest.approx(1.02)
    assert tl.steps == 4 + 2
    assert stats.prefill_only == 4


def test_decodes_run_beside_chunks_and_take_their_tokens() -> None:
    # request 0 (10-token prompt) is decoding when request 1's 1000-token prompt arrives;
    # chunk 100: each iteration decodes request 0 (1 token) and prefills 99 of request 1.
    tl, _ = run([0.0, 0.005], [10, 1000], [50, 2], 100)
    assert tl.first_token_s[0] == pytest.approx(0.010)  # P(10)
    # request 1 is admitted at the next boundary (0.010) and needs ceil(1000/99) = 11
    # mixed iterations: 11 decode steps (10 ms each) + P(1000) = 1 s of chunks
    assert tl.start_s[1] == pytest.approx(0.010)
    assert tl.first_token_s[1] == pytest.approx(0.010 + 11 * A + 1.0)
    # request 0 keeps decoding through them: 49 tokens = 11 in the mixed iterations, then
    # 38 pure decode steps
    assert tl.finish_s[0] == pytest.approx(0.010 + 1.11 + 38 * A)


def test_kv_budget_still_makes_requests_wait() -> None:
    # each needs 110 tokens; the budget holds one at a time
    tl, _ = run([0.0, 0.0], [100, 100], [10, 10], 64, budget=150)
    assert tl.start_s[1] >= tl.finish_s[0] - 1e-12


def test_serve_chunked_prefill_end_to_end() -> None:
    whole = serve("llama-2-7b", "h100-sxm", rate=4.0, requests=60, prompt_len=1024, gen_len=32)
    chunked = serve(
        "llama-2-7b",
        "h100-sxm",
        rate=4.0,
        requests=60,
        prompt_len=1024,
        gen_len=32,
        chunk_size=256,
    )
    assert chunked.prefill == "chunks of 256 tokens"
    # a lone 1024-token prompt in 4 chunks costs about its whole prefill
    assert chunked.to_dict()["ttft_p50_s"] >= whole.to_dict()["ttft_p50_s"] * 0.9
    assert chunked.requests == 60
    # energy: the chunks of a prompt add up to its whole prefill
    assert chunked.energy_j == pytest.approx(whole.energy_j, rel=0.2)
