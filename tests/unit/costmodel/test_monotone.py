"""More capacity, bandwidth or compute never makes a model slower (hypothesis).

Random chips: the toy chip of tests/unit/toychips.py with random SRAM capacity, bandwidths
and peak; models: small zoo CNNs. Plus the MobileNetV2 regression on the Edge TPU, where
4 MiB of SRAM used to be slower than 3 MiB (the weights moved in and pushed the
activations out).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from toychips import write_chip

import hwsim
from hwsim.hardware import HardwareSpec

TOY = hwsim.load_hardware(write_chip(Path(tempfile.mkdtemp())))
MODELS = {
    name: hwsim.load_workload(name, dtype="int8")
    for name in ("lenet5", "mlperf-tiny-resnet8", "mlperf-tiny-vww")
}
FAST = settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))


def chip(sram_kib: float, sram_gbs: float, dram_gbs: float, tops: float) -> HardwareSpec:
    return hwsim.override(
        TOY,
        {
            "memory.sram.capacity": f"{sram_kib!r} KiB",
            "memory.sram.bandwidth": f"{sram_gbs!r} GB/s",
            "memory.dram.bandwidth": f"{dram_gbs!r} GB/s",
            "compute.mac0.peak.int8": f"{tops!r} TOPS",
        },
    )


chips = st.tuples(
    st.floats(16, 65536),  # SRAM KiB
    st.floats(10, 2000),  # SRAM GB/s
    st.floats(1, 200),  # DRAM GB/s
    st.floats(0.01, 20),  # int8 TOPS
)
knob = st.sampled_from(["sram_kib", "sram_gbs", "dram_gbs", "tops"])


@FAST
@given(base=chips, which=knob, factor=st.floats(1.0, 16.0), model=st.sampled_from(list(MODELS)))
def test_more_of_anything_is_never_slower(
    base: tuple[float, float, float, float], which: str, factor: float, model: str
) -> None:
    args = dict(zip(("sram_kib", "sram_gbs", "dram_gbs", "tops"), base))
    slow = hwsim.simulate(MODELS[model], chip(**args))
    args[which] *= factor
    fast = hwsim.simulate(MODELS[model], chip(**args))
    assert fast.latency_s <= slow.latency_s * (1 + 1e-9)
    # energy is the sum over layers, whatever the placement chosen
    assert fast.energy_j == pytest.approx(sum(x.energy_j for x in fast.layers), rel=1e-9)


def test_more_sram_is_never_slower_for_mobilenet_v2_on_the_edge_tpu() -> None:
    spec = hwsim.load_hardware("edge-tpu")
    w = hwsim.load_workload("mobilenet_v2", dtype="int8")
    prev = None
    for mib in (2, 3, 4, 5, 8):
        lat = hwsim.simulate(w, hwsim.override(spec, {"memory.sram.capacity": f"{mib} MiB"}))
        if prev is not None:
            assert lat.latency_s <= prev * (1 + 1e-12), mib
        prev = lat.latency_s
