"""Physics spot checks on built-in chips and models (expectations from first principles)."""

from __future__ import annotations

import pytest

import hwsim


@pytest.fixture(scope="module")
def a100() -> hwsim.HardwareSpec:
    return hwsim.load_hardware("a100-80gb-sxm")


def test_llama2_decode_is_bound_by_weight_bytes_over_hbm_bandwidth(
    a100: hwsim.HardwareSpec,
) -> None:
    r = hwsim.simulate("llama-2-7b", a100, dtype="fp16", prompt_len=128, gen_len=64)
    hbm_bw = a100.level("hbm").bandwidth
    # Every decode step at batch 1 reads all weights from HBM at least once.
    assert r.tpot_s >= r.weight_bytes / hbm_bw
    # ...and not absurdly more (the step is dominated by that read).
    assert r.tpot_s <= 3 * r.weight_bytes / hbm_bw
    decode = [layer for layer in r.layers if layer.phase == "decode" and layer.macs > 0]
    mem = [layer for layer in decode if layer.bound == "memory"]
    assert sum(x.latency_s for x in mem) > 0.8 * sum(x.latency_s for x in decode)
    assert {x.bound_level for x in mem} == {"hbm"}
    # model size = params x 2 bytes (fp16); KV cache = 32 layers x 2 x 4096 x 2 B per token
    assert r.weight_bytes == pytest.approx(r.params * 2, rel=1e-3)
    assert r.kv_cache_bytes == 32 * 2 * 4096 * 2 * (128 + 64)
    assert r.latency_s == pytest.approx(r.ttft_s + 63 * r.tpot_s, rel=1e-9)
    assert r.decode_tokens_per_s == pytest.approx(1 / r.tpot_s, rel=1e-9)


def test_resnet50_batch64_is_mostly_compute_bound(a100: hwsim.HardwareSpec) -> None:
    # At the spec authors' prior factors (convs at 60% of the tensor peak, 85% of every
    # bandwidth), not a fitted profile whose compute scale may cap the efficiency at 1.
    from hwsim.hardware.models import ProfileEfficiency

    prof = a100.profile(None).model_copy(
        update={
            "efficiency": ProfileEfficiency(gemm=0.7, conv=0.6, depthwise=0.25),
            "bandwidth_efficiency": 0.85,
        }
    )
    r = hwsim.simulate("resnet50", a100, dtype="fp16", batch=64, profile=prof)
    mac_layers = [layer for layer in r.layers if layer.macs > 0]
    compute_time = sum(x.latency_s for x in mac_layers if x.bound == "compute")
    assert compute_time > 0.5 * sum(x.latency_s for x in mac_layers)
    # latency can never beat all MACs at the fp16 tensor peak (A100 datasheet: 312 TFLOPS dense)
    assert r.latency_s >= 2 * r.macs / 312e12


def test_batching_raises_throughput_but_not_latency(a100: hwsim.HardwareSpec) -> None:
    one = hwsim.simulate("resnet50", a100, dtype="fp16", batch=1)
    big = hwsim.simulate("resnet50", a100, dtype="fp16", batch=32)
    assert big.throughput_per_s > one.throughput_per_s
    assert big.latency_s > one.latency_s
    # latency != 1/throughput once batching enters
    assert big.latency_s != pytest.approx(1 / big.throughput_per_s)


def test_attention_cost_grows_quadratically_with_sequence(a100: hwsim.HardwareSpec) -> None:
    def attn_macs(seq: int) -> int:
        w = hwsim.load_workload("bert-base", seq_len=seq, dtype="fp16")
        return sum(op.macs for op in w.ops if op.op_type == "attention")

    assert attn_macs(512) == pytest.approx(4 * attn_macs(256), rel=1e-12)


def test_dram_access_costs_far_more_than_a_mac(a100: hwsim.HardwareSpec) -> None:
    mac = a100.unit("tensor").mac_energy("fp16")
    # one fp16 operand fetched from HBM (2 bytes) vs one fp16 MAC
    assert 2 * a100.level("hbm").energy > 10 * mac


def test_mobilenet_v2_224_int8_does_not_fit_a_320k_mcu() -> None:
    from typer.testing import CliRunner

    from hwsim.cli import app
    from hwsim.errors import SimulationError

    r = hwsim.simulate("mobilenet_v2", "stm32f746", dtype="int8")
    # 112*112*(16+96) bytes live at the first expansion alone: > 320 KiB of SRAM
    assert r.peak_activation_bytes >= 112 * 112 * (16 + 96)
    assert r.memory_fit["sram"]["fits"] is False
    assert r.memory_fit["sram"]["capacity_bytes"] == 320 * 1024
    assert any("does not fit: sram" in w for w in r.warnings)
    with pytest.raises(SimulationError, match=r"sram.*\(`strict_memory`\)"):
        hwsim.simulate("mobilenet_v2", "stm32f746", dtype="int8", strict_memory=True)
    res = CliRunner().invoke(
        app, ["run", "mobilenet_v2", "-H", "stm32f746", "--dtype", "int8", "--strict-memory"]
    )
    assert res.exit_code == 2 and "does not fit" in res.output and "(--strict-memory)" in res.output
    # the MLPerf Tiny VWW model (MobileNetV1 0.25 @ 96x96) does fit
    ok = hwsim.simulate("mlperf-tiny-vww", "stm32f746", dtype="int8")
    assert ok.fits
