"""MCU power: the datasheet's run-current model (energy = V x I(f) x t), checked by hand."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from toychips import TOY, write_chip

import hwsim
from hwsim.workload import GraphBuilder, Workload

# STM32H7A3 figures copied from its spec's source (ST product summary, st_h7a3_power):
# 120 uA/MHz in Run mode at VDD = 3.3 V; 280 MHz.
H7A3_RUN_A_PER_HZ = 120e-6 / 1e6
H7A3_VDD = 3.3
H7A3_CLOCK = 280e6


@pytest.fixture(scope="module")
def h7a3_runs() -> tuple[hwsim.SimulationResult, hwsim.SimulationResult]:
    full = hwsim.simulate("mlperf-tiny-resnet8", "stm32h7a3", dtype="int8")
    half = hwsim.simulate("mlperf-tiny-resnet8", "stm32h7a3", dtype="int8", clock="140 MHz")
    return full, half


def test_run_power_is_the_datasheet_current(
    h7a3_runs: tuple[hwsim.SimulationResult, hwsim.SimulationResult],
) -> None:
    full, _ = h7a3_runs
    p_run = H7A3_VDD * H7A3_RUN_A_PER_HZ * H7A3_CLOCK  # 0.11088 W
    assert full.idle_power_w == pytest.approx(p_run)
    # Core, SRAM and flash activity is inside the datasheet current: carved out, not added.
    assert full.energy_j == pytest.approx(p_run * full.latency_s, rel=1e-9)
    assert full.avg_power_w == pytest.approx(p_run, rel=1e-9)
    parts = full.energy_breakdown_j
    assert sum(parts.values()) == pytest.approx(full.energy_j, rel=1e-12)
    assert parts["static"] < full.energy_j


def test_halving_the_clock_doubles_latency_and_keeps_energy(
    h7a3_runs: tuple[hwsim.SimulationResult, hwsim.SimulationResult],
) -> None:
    full, half = h7a3_runs
    # Compute-bound (SMLAD loops and per-op call overhead are core cycles): time x 2.
    assert half.latency_s / full.latency_s == pytest.approx(2.0, rel=0.02)
    # I(f) = 120 uA/MHz x f: power halves, time doubles, so energy per inference is unchanged
    # (the datasheet law at a fixed current per MHz; no leakage term outside it).
    assert half.avg_power_w == pytest.approx(full.avg_power_w / 2, rel=1e-9)
    assert half.energy_j / full.energy_j == pytest.approx(1.0, rel=0.02)
    assert half.clock_hz == 140e6 and full.clock_hz == 280e6


# A toy MCU with a leakage term and a lower-voltage point: 100 uA/MHz at 3.3 V, 1 mW of
# leakage at the nominal 1.2 V core voltage, 200 MHz nominal and 100 MHz at 1.0 V. Its MACs
# (0.01 pJ) and SRAM bytes are carved out of the run current; its external memory is free.
MCU = (
    TOY.replace("name: toy\n", "name: mcu-toy\n")
    .replace("kind: accelerator\n", "kind: mcu\n")
    .replace("fp16: 1 pJ/MAC", "fp16: 0.01 pJ/MAC")
    .replace("energy: 100 pJ/B", "energy: 0 pJ/B")
    .replace("    kind: mac_array\n", "    kind: mac_array\n    clock: 200 MHz\n")
    .replace("    kind: vector\n", "    kind: vector\n    clock: 200 MHz\n")
    .replace(
        "power:\n  static: 2 W\n",
        "power:\n  static: 1 mW\n  run_current: 100 uA/MHz\n  supply_voltage: 3.3 V\n"
        "  voltage: 1.2 V\n  operating_points:\n"
        "    - {name: low, clock: 100 MHz, voltage: 1.0 V}\n",
    )
)


def gemm() -> Workload:
    g = GraphBuilder("gemm", weight_dtype="fp16", act_dtype="fp16")
    return g.build([g.linear(g.input("x", (512, 1024)), 1024, bias=False)])


def test_mcu_energy_at_a_lower_point_by_hand(tmp_path: Path) -> None:
    chip = write_chip(tmp_path, MCU, "mcu.yaml")
    top = hwsim.simulate(gemm(), chip)
    low = hwsim.simulate(gemm(), chip, operating_point="low")
    t = 2 * 512 * 1024 * 1024 / 1e12  # toy peak 1 TFLOPS at 200 MHz (compute-bound)
    assert top.latency_s == pytest.approx(t, rel=1e-12)
    assert low.latency_s == pytest.approx(2 * t, rel=1e-12)
    run_top = 3.3 * 100e-6 * 200  # W: 3.3 V x 100 uA/MHz x 200 MHz
    leak_top = 1e-3
    assert top.energy_j == pytest.approx((run_top + leak_top) * t, rel=1e-9)
    # Half the clock: the run current halves, the time doubles (run energy unchanged); the
    # leakage drops to 1 mW x 1.0/1.2 but is paid for twice as long.
    assert low.energy_j == pytest.approx(run_top * t + leak_top * (1.0 / 1.2) * 2 * t, rel=1e-9)


# STM32H743 (DS12117 Table 119, rev V; copied from the spec's source): IDD typ from flash,
# cache ON, LDO, peripherals off: 110 mA at 480 MHz (VOS0), 34.5 mA at 200 MHz (VOS3).
def test_h743_voltage_scale_lowers_energy_by_the_datasheet_currents() -> None:
    top = hwsim.simulate("mlperf-tiny-resnet8", "stm32h743", dtype="int8")
    low = hwsim.simulate("mlperf-tiny-resnet8", "stm32h743", dtype="int8", operating_point="vos3")
    assert top.idle_power_w == pytest.approx(3.3 * 0.110, rel=1e-3)
    assert low.idle_power_w == pytest.approx(3.3 * 0.0345, rel=1e-3)
    assert low.latency_s / top.latency_s == pytest.approx(480 / 200, rel=0.02)
    # compute-bound: E = VDD x (I/f) x f x t with t ~ 1/f, so E scales with the current per MHz
    per_mhz = (34.5 / 200) / (110 / 480)  # 0.753
    assert low.energy_j / top.energy_j == pytest.approx(per_mhz, rel=0.02)
    assert low.voltage_v == 1.0 and top.voltage_v == 1.35


# Per-run overhead on an MCU: runtime setup, input copy and output read-back are instructions
# the core executes, so at a lower clock they take proportionally longer (like the per-op
# dispatch). The toy MCU's GEMM is compute-bound at every clock (its weights stream from the
# unclocked DRAM in ~21 us, hidden under ~1 ms of compute): every term of its latency is cycles.
MCU_RUN = MCU.replace(
    "    overhead_per_op: 0 s\n", "    overhead_per_op: 0 s\n    overhead_per_run: 1 ms\n"
)


def test_halving_the_clock_doubles_the_mcu_per_run_overhead(tmp_path: Path) -> None:
    chip = write_chip(tmp_path, MCU_RUN, "mcu-run.yaml")
    top = hwsim.simulate(gemm(), chip)
    low = hwsim.simulate(gemm(), chip, operating_point="low")
    t = 2 * 512 * 1024 * 1024 / 1e12  # compute time at 200 MHz (1 TFLOPS), as above
    # 1 ms of setup at 200 MHz is 200,000 core cycles: 2 ms at 100 MHz.
    assert top.latency_s == pytest.approx(1e-3 + t, rel=1e-12)
    assert low.latency_s == pytest.approx(2e-3 + 2 * t, rel=1e-12)
    # The first op starts after the setup.
    assert low.layers[0].start_s == pytest.approx(2e-3, rel=1e-12)


def test_accelerator_per_run_overhead_is_host_time_and_stays(tmp_path: Path) -> None:
    # The same chip as an accelerator behind a host: its per-run cost (driver call, transfer
    # setup) runs on the host CPU, which the accelerator's operating point does not move.
    acc = MCU_RUN.replace("kind: mcu\n", "kind: accelerator\n")
    chip = write_chip(tmp_path, acc, "acc-run.yaml")
    low = hwsim.simulate(gemm(), chip, operating_point="low")
    t = 2 * 512 * 1024 * 1024 / 1e12
    assert low.latency_s == pytest.approx(1e-3 + 2 * t, rel=1e-12)


@settings(max_examples=25, deadline=None)
@given(mhz=st.integers(min_value=10, max_value=200))
def test_mcu_latency_is_cycles_over_clock_at_any_point(
    tmp_path_factory: pytest.TempPathFactory, mhz: int
) -> None:
    # What-if invariant: when every term (compute, on-chip bytes, per-op and per-run
    # overheads) is core cycles, latency x clock is the same number of cycles at every clock.
    text = MCU_RUN.replace("overhead_per_op: 0 s", "overhead_per_op: 5 us")
    chip = write_chip(tmp_path_factory.mktemp("inv"), text, "mcu-run.yaml")
    top = hwsim.simulate(gemm(), chip)
    at = hwsim.simulate(gemm(), chip, clock=f"{mhz} MHz")
    assert at.latency_s * mhz == pytest.approx(top.latency_s * 200, rel=1e-9)
