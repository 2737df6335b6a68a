"""Dynamic batching against queueing theory and hand-worked schedules."""

from __future__ import annotations

import numpy as np
import pytest

from hwsim import simulate
from hwsim.serve import serve

from .conftest import tiny_cnn


@pytest.fixture(scope="module")
def lenet_d() -> float:
    """Service time of one LeNet-5 inference on tpu-like (int8), s."""
    return simulate("lenet5", "tpu-like", dtype="int8").latency_s


@pytest.mark.parametrize("rho", [0.5, 0.7])
def test_md1_mean_wait(lenet_d: float, rho: float) -> None:
    # M/D/1: Poisson arrivals, one server, constant service D -> Wq = rho D / (2 (1 - rho)).
    # 50,000 requests: the sample mean's spread over seeds is about 2 % (seed 1: -0.1 % at
    # rho 0.5, -1.3 % at rho 0.7).
    r = serve(
        "lenet5",
        "tpu-like",
        rate=rho / lenet_d,
        dtype="int8",
        max_batch=1,
        requests=50_000,
        seed=1,
    )
    assert r.service_time_s == {1: pytest.approx(lenet_d, rel=1e-12)}
    wq = float(r.wait_s.mean())
    theory = rho * lenet_d / (2 * (1 - rho))
    assert wq == pytest.approx(theory, rel=0.04)
    # Latency = wait + D exactly for every request.
    np.testing.assert_allclose(r.latency_s - r.wait_s, lenet_d, rtol=1e-9)
    # Server busy fraction = rho; throughput = offered rate.
    assert r.server_busy_fraction == pytest.approx(rho, rel=0.03)
    assert r.requests_per_s == pytest.approx(rho / lenet_d, rel=0.03)


def test_saturation_matches_batched_capacity() -> None:
    d8 = simulate(tiny_cnn(8), "tpu-like").latency_s
    capacity = 8 / d8
    r = serve(tiny_cnn, "tpu-like", rate=50 * capacity, max_batch=8, requests=4000)
    assert r.requests_per_s == pytest.approx(capacity, rel=0.01)
    assert r.mean_batch == pytest.approx(8.0, rel=0.01)
    assert r.server_busy_fraction > 0.99
    assert r.utilisation["pe_array"] <= 1.0


def test_full_batches_with_long_max_wait() -> None:
    # Constant arrivals every 1/rate; batches of 4 fill before max_wait, so request 4k+j waits
    # (3 - j)/rate for its batch and then the batch's service time.
    d4 = simulate(tiny_cnn(4), "tpu-like").latency_s
    rate = 1.0 / d4  # the server is free again long before the next batch fills
    r = serve(
        tiny_cnn,
        "tpu-like",
        rate=rate,
        arrival="constant",
        max_batch=4,
        max_wait=10 / rate,
        requests=400,
    )
    j = np.arange(400) % 4
    np.testing.assert_allclose(r.latency_s, (3 - j) / rate + d4, rtol=1e-9)
    assert r.mean_batch == 4


def test_max_wait_dispatches_partial_batches() -> None:
    # With max_wait = 1.5 gaps, the oldest request gives up waiting when only 2 are queued.
    d2 = simulate(tiny_cnn(2), "tpu-like").latency_s
    rate = 0.5 / d2
    r = serve(
        tiny_cnn,
        "tpu-like",
        rate=rate,
        arrival="constant",
        max_batch=4,
        max_wait=1.5 / rate,
        requests=200,
    )
    assert r.mean_batch == 2
    assert set(r.service_time_s) == {2}
    j = np.arange(200) % 2
    np.testing.assert_allclose(r.latency_s, (1.5 - j) / rate + d2, rtol=1e-9)


def test_energy_and_queue_series() -> None:
    d1 = simulate(tiny_cnn(1), "tpu-like")
    r = serve(tiny_cnn, "tpu-like", rate=0.01 / d1.latency_s, max_batch=1, requests=50)
    # Far below capacity: every request runs alone; energy = one inference + idle static power.
    static_idle = r.static_power_w * (r.duration_s - r.busy_s)
    assert r.energy_j == pytest.approx(50 * d1.energy_j + static_idle, rel=1e-9)
    q = r.queue_series()
    assert len(q["time_s"]) == len(q["waiting"]) == len(q["running"]) > 0
    assert q["time_s"] == sorted(q["time_s"])
    assert max(q["running"]) == 1


def test_same_seed_same_numbers_bit_for_bit() -> None:
    kw = dict(rate=2e5, max_batch=4, max_wait=1e-5, requests=2000)
    a = serve(tiny_cnn, "tpu-like", seed=3, **kw)
    b = serve(tiny_cnn, "tpu-like", seed=3, **kw)
    c = serve(tiny_cnn, "tpu-like", seed=4, **kw)
    assert np.array_equal(a.finish_s, b.finish_s)
    assert a.to_dict() == b.to_dict()
    assert not np.array_equal(a.arrival_s, c.arrival_s)
