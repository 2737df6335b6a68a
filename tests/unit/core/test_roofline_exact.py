"""Latencies on the toy chip derived by hand (not from the program's output)."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

import hwsim
from hwsim.workload import GraphBuilder, Workload

PEAK_FP16 = 1e12  # op/s (toy.yaml: 1 TFLOPS)
DRAM_BW = 100e9  # B/s
SRAM_BW = 1000e9


def gemm(m: int, k: int, n: int, dtype: str = "fp16") -> Workload:
    g = GraphBuilder("gemm", weight_dtype=dtype, act_dtype=dtype)
    x = g.input("x", (m, k))
    y = g.linear(x, n, bias=False)
    return g.build([y])


def test_compute_bound_gemm_is_exact(toy_path: Path) -> None:
    m, k, n = 512, 1024, 1024
    r = hwsim.simulate(gemm(m, k, n), toy_path)
    expected = 2 * m * k * n / PEAK_FP16  # 1.073741824 ms
    assert r.latency_s == pytest.approx(expected, rel=1e-12)
    assert r.layers[0].bound == "compute"
    # weights read once from DRAM (they fit the 64 MiB SRAM buffer): 2 MiB
    assert r.layers[0].bytes["dram"] == pytest.approx(k * n * 2)


def test_memory_bound_gemv_is_exact(toy_path: Path) -> None:
    k, n = 4096, 4096
    r = hwsim.simulate(gemm(1, k, n), toy_path)
    weight_bytes = k * n * 2  # fp16
    assert r.latency_s == pytest.approx(weight_bytes / DRAM_BW, rel=1e-12)
    layer = r.layers[0]
    assert layer.bound == "memory" and layer.bound_level == "dram"
    # arithmetic intensity: 2*k*n FLOPs over k*n*2 weight bytes = 1 FLOP/B
    assert layer.arithmetic_intensity == pytest.approx(1.0, rel=1e-12)


def test_energy_of_gemv_by_hand(toy_path: Path) -> None:
    k, n = 1024, 1024
    r = hwsim.simulate(gemm(1, k, n), toy_path)
    wbytes = k * n * 2
    # compute: k*n MACs x 1 pJ; DRAM: weights read at 100 pJ/B;
    # SRAM: weights filled (write) then read once (2 x 1 pJ/B), input read, output written.
    compute = k * n * 1e-12
    dram = wbytes * 100e-12
    sram = (2 * wbytes + k * 2 + n * 2) * 1e-12
    static = 2.0 * r.latency_s
    assert r.energy_breakdown_j["compute"] == pytest.approx(compute, rel=1e-12)
    assert r.energy_breakdown_j["dram"] == pytest.approx(dram, rel=1e-12)
    assert r.energy_breakdown_j["sram"] == pytest.approx(sram, rel=1e-12)
    assert r.energy_j == pytest.approx(compute + dram + sram + static, rel=1e-12)


def test_weights_that_do_not_fit_the_buffer_are_refetched(toy_path: Path, tmp_path: Path) -> None:
    # Shrink the SRAM to 1 MiB: a 2048x2048 fp16 weight (8 MiB) can no longer stay on chip
    # while 4096 rows stream through, so DRAM traffic exceeds the compulsory minimum.
    spec = hwsim.override(hwsim.load_hardware(toy_path), {"memory.sram.capacity": "1 MiB"})
    m, k, n = 4096, 2048, 2048
    r = hwsim.simulate(gemm(m, k, n), spec)
    compulsory = (m * k + k * n + m * n) * 2
    assert r.layers[0].bytes["dram"] > compulsory
    big = hwsim.simulate(gemm(m, k, n), toy_path)
    assert big.layers[0].bytes["dram"] < r.layers[0].bytes["dram"]


def test_two_branches_contend_for_one_dram_channel(two_unit_path: Path) -> None:
    k, n = 4096, 4096
    t_mem = k * n * 2 / DRAM_BW  # one memory-bound GEMV

    g = GraphBuilder("one", weight_dtype="fp16", act_dtype="fp16")
    x = g.input("x", (1, k))
    a = g.linear(x, n, bias=False, name="a")
    one = hwsim.simulate(g.build([a]), two_unit_path)
    assert one.latency_s == pytest.approx(t_mem, rel=1e-12)

    g = GraphBuilder("two", weight_dtype="fp16", act_dtype="fp16")
    x = g.input("x", (1, k))
    a = g.linear(x, n, bias=False, name="a")
    b = g.linear(x, n, bias=False, name="b")
    two = hwsim.simulate(g.build([a, b]), two_unit_path)
    # Each branch has its own MAC unit, but the second must wait for the DRAM channel:
    # the makespan grows by exactly one more weight transfer.
    assert {layer.unit for layer in two.layers} == {"mac0", "mac1"}
    assert two.latency_s == pytest.approx(2 * t_mem, rel=1e-12)
    assert two.layers[1].start_s == 0.0  # it started (took its unit) at once...
    assert two.layers[1].end_s == pytest.approx(2 * t_mem, rel=1e-12)  # ...and waited on DRAM


def test_dtype_fallback_and_int8_speed(toy_path: Path) -> None:
    m, k, n = 512, 1024, 1024
    r8 = hwsim.simulate(gemm(m, k, n, "int8"), toy_path)
    assert r8.latency_s == pytest.approx(2 * m * k * n / 2e12, rel=1e-12)
    # bf16 is not on the toy chip: it runs as fp16 (nearest wider float)
    rb = hwsim.simulate(gemm(m, k, n, "bf16"), toy_path)
    assert rb.latency_s == pytest.approx(2 * m * k * n / PEAK_FP16, rel=1e-12)


def test_overhead_bound_and_efficiency(toy_path: Path) -> None:
    spec = hwsim.override(
        hwsim.load_hardware(toy_path),
        {"profiles.ideal.overhead_per_op": "1 ms", "profiles.ideal.efficiency.gemm": 0.5},
    )
    r = hwsim.simulate(gemm(1, 64, 64), spec)
    assert r.layers[0].bound == "overhead"
    m, k, n = 512, 1024, 1024
    r = hwsim.simulate(gemm(m, k, n), spec)
    assert r.latency_s == pytest.approx(1e-3 + 2 * m * k * n / (0.5 * PEAK_FP16), rel=1e-12)


def test_array_utilisation_quantises_tiles() -> None:
    # tpu-like: 32x32 array; a GEMM with K=N=48 uses 48/64 of rows and of cols. Its
    # activations live in DRAM (as in ZigZag): a fast DRAM keeps the GEMM compute-bound.
    spec = hwsim.override(hwsim.load_hardware("tpu-like"), {"memory.dram.bandwidth": "1 TB/s"})
    m, k, n = 4096, 48, 48
    g = GraphBuilder("q", weight_dtype="int8", act_dtype="int8")
    x = g.input("x", (m, k))
    y = g.linear(x, n, bias=False)
    r = hwsim.simulate(g.build([y]), spec)
    peak = 2.048e12
    util = (48 / 64) * (48 / 64)
    assert r.layers[0].bound == "compute"
    fill_drain = (32 + 32 - 2) / 1e9  # systolic pipeline fill + drain at 1 GHz, once per op
    assert r.latency_s == pytest.approx(2 * m * k * n / (peak * util) + fill_drain, rel=1e-12)


def test_determinism(toy_path: Path) -> None:
    a = hwsim.simulate(gemm(300, 700, 500), toy_path).to_dict()
    b = hwsim.simulate(gemm(300, 700, 500), toy_path).to_dict()
    assert a == b
    assert math.isfinite(a["latency_s"])


def test_batchnorm_is_folded_unless_the_stack_executes_it(toy_path: Path) -> None:
    g = GraphBuilder("cbr", weight_dtype="fp16", act_dtype="fp16")
    x = g.input("x", (1, 16, 32, 32))
    y = g.conv2d(x, 16, 3, padding=1, bias=False)
    y = g.batchnorm(y)
    w = g.build([y])
    folded = hwsim.simulate(w, toy_path)
    assert folded.layers[1].latency_s == 0 and folded.layers[1].energy_breakdown_j["compute"] == 0
    spec = hwsim.override(hwsim.load_hardware(toy_path), {"profiles.ideal.fold_batchnorm": False})
    run = hwsim.simulate(w, spec)
    elements = 16 * 32 * 32
    # 2 ops per element on the 100 GOPS vector unit; the BN reads and writes the tensor in
    # SRAM, and its 2 x 16 fp16 parameters come from DRAM through SRAM (written, then read).
    bn = run.layers[1]
    assert bn.latency_s == pytest.approx(2 * elements / 100e9, rel=1e-9)
    assert bn.bytes["sram"] == 2 * elements * 2 + 2 * (2 * 16 * 2)
    assert bn.bytes["dram"] == 2 * 16 * 2
    assert run.latency_s == pytest.approx(folded.latency_s + bn.latency_s, rel=1e-9)


def test_overhead_per_run_is_paid_once(toy_path: Path) -> None:
    spec = hwsim.override(
        hwsim.load_hardware(toy_path), {"profiles.ideal.overhead_per_run": "2 ms"}
    )
    m, k, n = 512, 1024, 1024
    r = hwsim.simulate(gemm(m, k, n), spec)
    assert r.latency_s == pytest.approx(2e-3 + 2 * m * k * n / PEAK_FP16, rel=1e-12)
    assert r.layers[0].start_s == pytest.approx(2e-3)
    assert r.energy_breakdown_j["static"] == pytest.approx(2.0 * r.latency_s, rel=1e-12)


def test_fused_epilogue_is_hidden_on_a_separate_unit_only(toy_path: Path) -> None:
    g = GraphBuilder("gr", weight_dtype="fp16", act_dtype="fp16")
    x = g.input("x", (512, 1024))
    y = g.linear(x, 1024, bias=False)
    y = g.activation(y, "gelu")
    w = g.build([y])
    gemm_s = 2 * 512 * 1024 * 1024 / PEAK_FP16
    gelu_s = 5 * 512 * 1024 / 100e9  # 5 ops per element on the 100 GOPS vector unit
    assert gelu_s < gemm_s
    unfused = hwsim.simulate(w, toy_path)
    # GELU alone is compute-bound: 26 us of arithmetic vs 2 us to stream 2 MiB through SRAM
    assert unfused.latency_s == pytest.approx(gemm_s + gelu_s, rel=1e-9)
    spec = hwsim.override(hwsim.load_hardware(toy_path), {"profiles.ideal.fusions": ["activation"]})
    fused = hwsim.simulate(w, spec)
    # the vector unit streams GELU on the GEMM's output: hidden behind the GEMM
    assert fused.latency_s == pytest.approx(gemm_s, rel=1e-9)
    # the arithmetic still costs energy: 5 ops/element x 0.5 pJ
    assert fused.layers[1].energy_breakdown_j["compute"] == pytest.approx(5 * 512 * 1024 * 0.5e-12)


def test_a_tile_must_fit_one_instance_of_a_level(toy_path: Path) -> None:
    # Activations live in DRAM too (the SRAM is only a buffer), so every operand crosses it.
    spec = hwsim.override(hwsim.load_hardware(toy_path), {"memory.sram.holds": []})
    m, k, n = 4096, 2048, 2048  # fp16 operands: 16 + 8 + 16 MiB, all fit 64 MiB at once
    one = hwsim.simulate(gemm(m, k, n), spec)
    assert one.layers[0].bytes["dram"] == pytest.approx(2 * (m * k + k * n + m * n))
    split = hwsim.simulate(gemm(m, k, n), hwsim.override(spec, {"memory.sram.instances": 256}))
    # 256 private 256 KiB buffers: no operand fits one of them, so tiles are re-fetched
    assert split.layers[0].bytes["dram"] > 1.5 * one.layers[0].bytes["dram"]


def test_partial_sums_spill_at_accumulator_width() -> None:
    # tpu-like: 32 x 32 array, weights stationary; K = 64 spans two row tiles, so the
    # 4096 x 32 output is written, read back once and written again as partial sums.
    # (Activations kept in the SRAM between ops, so it sees no fills from DRAM.)
    spec = hwsim.override(hwsim.load_hardware("tpu-like"), {"memory.sram.holds": ["activations"]})
    m, k, n = 4096, 64, 32
    g = GraphBuilder("acc", weight_dtype="int8", act_dtype="int8")
    x = g.input("x", (m, k))
    y = g.linear(x, n, bias=False)
    w = g.build([y])
    sram = hwsim.simulate(w, spec).layers[0].bytes["sram"]
    a = m * k  # input read once (N = 32 = one column tile)
    out = m * n  # final int8 output
    psum16 = 2 * m * n * 2  # one 16-bit spill: write + read
    assert sram == pytest.approx(a + out + psum16)
    wide = hwsim.override(spec, {"compute.pe_array.accumulator_bits": 32})
    assert hwsim.simulate(w, wide).layers[0].bytes["sram"] == pytest.approx(a + out + 2 * psum16)


def test_a_faster_unit_never_slows_a_model_down() -> None:
    base = hwsim.load_hardware("apple-m2-ultra")
    prev = None
    for tflops in (10, 12.5, 13, 20):
        spec = hwsim.override(base, {"compute.ane.peak.fp16": f"{tflops} TFLOPS"})
        lat = hwsim.simulate("resnet50", spec, dtype="fp16", batch=4).latency_s
        if prev is not None:
            assert lat <= prev * (1 + 1e-12)
        prev = lat
