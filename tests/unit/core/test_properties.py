"""Invariants of the cost model and engine (hypothesis)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from toychips import write_chip

import hwsim
from hwsim.hardware import HardwareSpec
from hwsim.workload import GraphBuilder, Workload

dims = st.integers(min_value=1, max_value=3000)
SETTINGS = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def toy() -> HardwareSpec:
    import tempfile

    return hwsim.load_hardware(write_chip(Path(tempfile.mkdtemp())))


TOY_SPEC = toy()


def block(m: int, k: int, n: int) -> Workload:
    """linear -> relu -> linear with a residual add: MAC, element-wise and branching work."""
    g = GraphBuilder("blk", weight_dtype="fp16", act_dtype="fp16")
    x = g.input("x", (m, k))
    h = g.linear(x, n)
    h = g.activation(h, "gelu")
    y = g.linear(h, k)
    y = g.add(y, x)
    return g.build([y])


@SETTINGS
@given(m=dims, k=dims, n=dims, scale=st.floats(min_value=1.0, max_value=64.0))
def test_more_bandwidth_never_slower(m: int, k: int, n: int, scale: float) -> None:
    w = block(m, k, n)
    base = hwsim.simulate(w, TOY_SPEC)
    bw = TOY_SPEC.level("dram").bandwidth * scale
    fast = hwsim.simulate(w, hwsim.override(TOY_SPEC, {"memory.dram.bandwidth": f"{bw!r} B/s"}))
    assert fast.latency_s <= base.latency_s * (1 + 1e-12)
    for a, b in zip(fast.layers, base.layers):
        # layer latency is end - start on the absolute clock: allow float rounding of those
        assert a.latency_s <= b.latency_s + 1e-12 * base.latency_s


@SETTINGS
@given(m=dims, k=dims, n=dims, scale=st.floats(min_value=1.0, max_value=64.0))
def test_more_peak_never_slower(m: int, k: int, n: int, scale: float) -> None:
    w = block(m, k, n)
    base = hwsim.simulate(w, TOY_SPEC)
    peak = TOY_SPEC.unit("mac0").peak
    changes = {f"compute.mac0.peak.{d.value}": f"{v * scale!r} op/s" for d, v in peak.items()}
    fast = hwsim.simulate(w, hwsim.override(TOY_SPEC, changes))
    assert fast.latency_s <= base.latency_s * (1 + 1e-12)


@SETTINGS
@given(m=dims, k=dims, n=dims)
def test_energy_adds_up_and_latency_bounds(m: int, k: int, n: int) -> None:
    w = block(m, k, n)
    r = hwsim.simulate(w, TOY_SPEC)
    assert r.energy_j == pytest.approx(sum(layer.energy_j for layer in r.layers), rel=1e-9)
    assert r.energy_j == pytest.approx(sum(r.energy_breakdown_j.values()), rel=1e-9)
    # Lower bounds: all MACs at peak; every weight byte read from DRAM once.
    assert r.latency_s >= 2 * w.macs / 1e12 * (1 - 1e-12)
    assert r.latency_s >= w.weight_bytes / 100e9 * (1 - 1e-12)


@SETTINGS
@given(m=st.integers(1, 512), k=st.integers(1, 2048), n=st.integers(1, 2048))
def test_doubling_batch_never_lowers_throughput(m: int, k: int, n: int) -> None:
    def model(batch: int) -> Workload:
        g = GraphBuilder("b", batch=batch, weight_dtype="fp16", act_dtype="fp16")
        x = g.input("x", (batch * m, k))
        y = g.linear(x, n)
        return g.build([y])

    one = hwsim.simulate(model(1), TOY_SPEC)
    two = hwsim.simulate(model(2), TOY_SPEC)
    assert two.throughput_per_s >= one.throughput_per_s * (1 - 1e-9)
