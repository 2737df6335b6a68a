"""Serving on a system of chips: tensor-parallel step costs, KV budget per device."""

from __future__ import annotations

import numpy as np
import pytest

from hwsim import simulate
from hwsim.serve import ServingError, serve


def test_tp_serving_uses_the_shard_step_costs_and_per_device_kv() -> None:
    one = serve("llama-2-7b", "dgx-a100", rate=1.0, requests=40, prompt_len=128, gen_len=16)
    two = serve("llama-2-7b", "dgx-a100", rate=1.0, requests=40, prompt_len=128, gen_len=16, tp=2)
    assert two.parallel == {
        "system": "dgx-a100",
        "device": "a100-80gb-sxm",
        "tp": 2,
        "pp": 1,
        "replicas": 1,
        "devices": 2,
    }
    # decode at batch 1 costs what a tp-2 run's TPOT costs (same shard graph, same links)
    r2 = simulate("llama-2-7b", "dgx-a100", tp=2, prompt_len=128, gen_len=16)
    a2 = two.decode_time_s["at_zero_kv_s"][0] + two.decode_time_s["per_kv_token_s"][0] * 135
    assert a2 == pytest.approx(r2.tpot_s, rel=0.05)
    # a device holds half the KV heads: each token takes half the bytes, and the budget is
    # the device memory left by half the weights
    assert two.kv_bytes_per_token == pytest.approx(one.kv_bytes_per_token / 2)
    assert two.kv_budget_bytes > one.kv_budget_bytes
    assert two.kv_policy == "wait"
    tpot1 = float(one.to_dict()["tpot_p50_s"])
    tpot2 = float(two.to_dict()["tpot_p50_s"])
    assert tpot1 / 2 < tpot2 < tpot1


def test_kv_cache_limits_the_batch_when_it_is_small() -> None:
    res = serve(
        "llama-2-7b",
        "dgx-a100",
        rate=50.0,
        requests=60,
        prompt_len=512,
        gen_len=64,
        kv_budget="1 GiB",
    )
    # 1 GiB / (576 tokens x 512 KiB per token) = 3.55 -> 3 sequences
    assert res.kv_batch_limit == 3
    assert res.batch_limit == "kv cache"
    assert int(res.queue_running.max()) <= 3


def test_pp_serving_adds_stage_hops_and_splits_the_weights() -> None:
    one = serve("llama-2-13b", "dgx-a100", rate=1.0, requests=20, prompt_len=64, gen_len=8)
    two = serve("llama-2-13b", "dgx-a100", rate=1.0, requests=20, prompt_len=64, gen_len=8, pp=2)
    # the whole model per step plus one hop: a little slower, never faster
    assert two.decode_time_s["at_zero_kv_s"][0] > one.decode_time_s["at_zero_kv_s"][0]
    assert two.kv_budget_bytes > one.kv_budget_bytes  # half the layers' weights per device
    assert two.kv_bytes_per_token == pytest.approx(one.kv_bytes_per_token / 2)


def test_tp_needs_a_system() -> None:
    with pytest.raises(ServingError, match="need a system"):
        serve("llama-2-7b", "a100-80gb-sxm", rate=1.0, requests=5, tp=2)


def test_replicas_round_robin_of_constant_arrivals_match_one_replica() -> None:
    # constant arrivals at 2 x 3 req/s, round robin: each replica sees constant 3 req/s
    # (replica 1 shifted by half a gap), so every latency is one of the single run's.
    kw = dict(arrival="constant", prompt_len=128, gen_len=16)
    one = serve("llama-2-7b", "a100-80gb-sxm", rate=3.0, requests=30, **kw)
    two = serve("llama-2-7b", "a100-80gb-sxm", rate=6.0, requests=60, replicas=2, **kw)
    assert two.parallel is not None and two.parallel["replicas"] == 2
    expected = np.sort(np.concatenate([one.latency_s, one.latency_s]))
    assert np.sort(two.latency_s) == pytest.approx(expected)
    assert two.requests_per_s == pytest.approx(2 * one.requests_per_s, rel=0.05)
    assert two.energy_j == pytest.approx(2 * one.energy_j, rel=0.05)


def test_replicas_count_against_the_system() -> None:
    with pytest.raises(ServingError, match="exceeds the 8 of dgx-a100"):
        serve("llama-2-7b", "dgx-a100", rate=1.0, requests=5, tp=4, replicas=3)
