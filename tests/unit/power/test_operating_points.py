"""Operating points and power caps, checked by hand on a clocked toy chip and on the A100."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

import hwsim
from hwsim.engine.power import at_operating_point
from hwsim.errors import HwsimError, SimulationError
from hwsim.hardware import override
from hwsim.hardware.models import Power
from hwsim.hardware.operating import (
    at_point,
    find_point,
    idle_power,
    operating_points,
    profile_at_point,
)
from hwsim.workload import GraphBuilder, Workload

M, K, N = 512, 1024, 1024
MACS = M * K * N
PEAK = 1e12  # op/s at 1 GHz (toy: 1 TFLOPS fp16)


def gemm() -> Workload:
    g = GraphBuilder("gemm", weight_dtype="fp16", act_dtype="fp16")
    y = g.linear(g.input("x", (M, K)), N, bias=False)
    return g.build([y])


def test_scaled_spec_follows_the_v_f_law(dvfs_path: Path) -> None:
    spec = hwsim.load_hardware(dvfs_path)
    half = find_point(spec, name="half")
    assert (half.clock_ratio, half.voltage_ratio) == (0.5, 0.8)
    s = at_point(spec, half)
    mac = s.unit("mac0")
    assert mac.total_peak("fp16") == pytest.approx(0.5e12)  # peak x f/f0
    assert mac.mac_energy("fp16") == pytest.approx(10e-12 * 0.64)  # E x (V/V0)^2
    assert s.level("sram").bandwidth == pytest.approx(500e9)  # on-chip: cycles x clock
    assert s.level("sram").energy == pytest.approx(0.64e-12)
    assert s.level("dram").bandwidth == 100e9  # off-chip: its own clock and supply
    assert s.level("dram").energy == 100e-12
    assert idle_power(spec, half) == pytest.approx(2 * 0.8)  # leakage x V/V0
    assert [p.name for p in operating_points(spec)] == ["nominal", "half"]


def test_the_scaled_chip_is_one_object_per_point(dvfs_path: Path) -> None:
    # The engine keeps op costs per chip object: each point must give the same objects back,
    # equal to a fresh at_point / profile_at_point, and another chip object its own.
    spec = hwsim.load_hardware(dvfs_path)
    prof = spec.profile(None)
    half = find_point(spec, name="half")
    s, p = at_operating_point(spec, prof, half)
    assert at_operating_point(spec, prof, half) == (s, p)
    assert at_operating_point(spec, prof, half)[0] is s
    assert s == at_point(spec, half) and p == profile_at_point(spec, prof, half)
    other = override(spec, {"memory.dram.bandwidth": "50 GB/s"})
    assert at_operating_point(other, other.profile(None), half)[0] is not s


def test_clock_between_points_runs_at_the_next_point_up(dvfs_path: Path) -> None:
    spec = hwsim.load_hardware(dvfs_path)
    p = find_point(spec, clock=700e6)
    assert p.voltage_ratio == 1.0 and p.clock_ratio == pytest.approx(0.7)
    p = find_point(spec, clock=300e6)
    assert p.voltage_ratio == pytest.approx(0.8)


def test_halving_the_clock_doubles_compute_time_and_scales_energy(dvfs_path: Path) -> None:
    top = hwsim.simulate(gemm(), dvfs_path)
    half = hwsim.simulate(gemm(), dvfs_path, operating_point="half")
    assert top.latency_s == pytest.approx(2 * MACS / PEAK, rel=1e-12)
    assert half.latency_s == pytest.approx(2 * MACS / (PEAK / 2), rel=1e-12)
    # arithmetic: MACs x 10 pJ x (V/V0)^2
    assert top.energy_breakdown_j["compute"] == pytest.approx(MACS * 10e-12)
    assert half.energy_breakdown_j["compute"] == pytest.approx(MACS * 10e-12 * 0.64)
    # leakage: 2 W x V/V0 over twice the time
    assert half.energy_breakdown_j["static"] == pytest.approx(2 * 0.8 * half.latency_s)
    assert half.energy_breakdown_j["dram"] == pytest.approx(top.energy_breakdown_j["dram"])
    assert half.clock_hz == 500e6 and half.voltage_v == 0.8
    assert half.layers[0].clock_hz == 500e6 and not half.throttled


def test_power_cap_throttles_to_the_highest_point_that_fits(dvfs_path: Path) -> None:
    # At 1 GHz the GEMM draws 0.5 TMAC/s x 10 pJ = 5 W of arithmetic + 2 W leakage (+ memory):
    # over a 5 W cap. At 500 MHz / 0.8 V: 0.25 TMAC/s x 6.4 pJ = 1.6 W + 1.6 W (+ memory).
    free = hwsim.simulate(gemm(), dvfs_path)
    assert free.power_cap_w is None and not free.throttled
    capped = hwsim.simulate(gemm(), dvfs_path, power_cap="5 W")
    assert capped.throttled and capped.throttled_layers == 1
    assert capped.layers[0].throttled and capped.layers[0].clock_hz == 500e6
    assert capped.latency_s == pytest.approx(2 * MACS / (PEAK / 2), rel=1e-12)
    assert capped.avg_power_w <= 5.0 < free.avg_power_w
    assert capped.min_clock_hz == 500e6 and capped.clock_hz == 1e9
    loose = hwsim.simulate(gemm(), dvfs_path, power_cap=100.0)
    assert not loose.throttled and loose.latency_s == free.latency_s
    d = capped.to_dict()
    assert d["power_cap_w"] == 5.0 and d["throttled"] is True
    assert d["layers"][0]["clock_hz"] == 500e6 and d["layers"][0]["throttled"] is True


def test_a_cap_below_the_lowest_point_warns(dvfs_path: Path) -> None:
    r = hwsim.simulate(gemm(), dvfs_path, power_cap=1.0)
    assert r.over_cap_layers == 1 and r.layers[0].clock_hz == 500e6
    assert any("power cap" in w for w in r.warnings)


def test_bad_clock_and_point_name_the_parameter(dvfs_path: Path) -> None:
    with pytest.raises(SimulationError, match=r"^`clock`: .*above"):
        hwsim.simulate(gemm(), dvfs_path, clock="2 GHz")
    with pytest.raises(SimulationError, match="no operating point 'turbo'"):
        hwsim.simulate(gemm(), dvfs_path, operating_point="turbo")
    with pytest.raises(SimulationError, match=r"^`power_cap`: "):
        hwsim.simulate(gemm(), dvfs_path, power_cap="5 J")


def test_spec_checks_operating_points() -> None:
    with pytest.raises(ValidationError, match="need 'voltage'"):
        Power.model_validate(
            {
                "static": "1 W",
                "operating_points": [{"name": "a", "clock": "1 GHz", "voltage": "1 V"}],
            }
        )
    with pytest.raises(ValidationError, match="supply_voltage"):
        Power.model_validate({"static": "1 W", "run_current": "120 uA/MHz"})


def test_point_above_the_nominal_clock_is_rejected(dvfs_path: Path) -> None:
    text = dvfs_path.read_text().replace("clock: 500 MHz", "clock: 2 GHz")
    dvfs_path.write_text(text)
    with pytest.raises(HwsimError, match="above the nominal clock"):
        hwsim.load_hardware(dvfs_path)


# --- the A100 (issue #13 acceptance) --------------------------------------------------------


@pytest.fixture(scope="module")
def resnet_a100() -> hwsim.SimulationResult:
    return hwsim.simulate("resnet50", "a100-80gb-sxm", dtype="fp16", batch=256)


def test_a100_resnet50_runs_near_its_tdp(resnet_a100: hwsim.SimulationResult) -> None:
    # A GPU busy with dense convolutions lands between 250 W and its 400 W cap.
    assert 250 <= resnet_a100.avg_power_w <= 400
    assert resnet_a100.power_cap_w == 400


def test_a100_power_cap_200w_is_slower_and_below_the_cap(
    resnet_a100: hwsim.SimulationResult,
) -> None:
    capped = hwsim.simulate("resnet50", "a100-80gb-sxm", dtype="fp16", batch=256, power_cap=200.0)
    assert capped.avg_power_w <= 200
    assert capped.latency_s > resnet_a100.latency_s
    assert capped.throttled and capped.min_clock_hz < resnet_a100.min_clock_hz


def test_a100_batch1_decode_draws_less_than_dense_gemm(
    resnet_a100: hwsim.SimulationResult,
) -> None:
    r = hwsim.simulate("llama-2-7b", "a100-80gb-sxm", dtype="fp16", prompt_len=128, gen_len=128)
    decode = [x for x in r.layers if x.phase == "decode"]
    decode_power = sum(x.energy_j for x in decode) / sum(x.latency_s for x in decode)
    # Weight streaming: HBM-bound, tensor cores mostly idle.
    assert decode_power < resnet_a100.avg_power_w
    assert r.avg_power_w < resnet_a100.avg_power_w


def test_power_clock_in_the_spec_is_a_sweep_axis(dvfs_path: Path) -> None:
    spec = hwsim.load_hardware(dvfs_path)
    half = override(spec, {"power.clock": "500 MHz"})
    r = hwsim.simulate(gemm(), half)
    assert r.clock_hz == 500e6 and r.voltage_v == 0.8
    assert r.latency_s == pytest.approx(2 * MACS / (PEAK / 2), rel=1e-12)
    with pytest.raises(HwsimError, match=r"power\.clock"):
        override(spec, {"power.clock": "3 GHz"})
    df = hwsim.sweep(
        hardware=str(dvfs_path),
        workloads=["lenet5"],
        axes={"power.clock": ["250 MHz", "500 MHz", "1 GHz"]},
        dtype="fp16",
        jobs=1,
    )
    lat = df.sort_values("power.clock_hz")["latency_s"].tolist()
    assert lat[0] > lat[1] > lat[2]
