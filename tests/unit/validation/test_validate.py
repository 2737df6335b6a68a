"""validate(): predictions on the toy chip against hand-computed numbers, skipped rows."""

from __future__ import annotations

from pathlib import Path

import pytest

from hwsim.validate import validate
from tests.unit.validation.conftest import GEMM_MS, GEMV_MS, write_csv

# GEMM_MS = 1.073741824 ms, GEMV_MS = 0.33554432 ms

ROWS = (
    "G1,toy,gemm.yaml,toy.yaml,ideal,fp16,,,,latency_ms,0.5,,,\n"
    "G2,toy,gemv.yaml,toy.yaml,ideal,fp16,,,,latency_ms,0.4,,,\n"
    "G3,other,gemv.yaml,toy.yaml,,fp16,,,,throughput_per_s,3000,,,\n"
)


def test_errors_and_statistics_by_hand(toy_dir: Path) -> None:
    rep = validate(write_csv(toy_dir, ROWS))
    g1, g2, g3 = rep.rows
    # Hand numbers: GEMM 1.073741824 ms, GEMV 0.33554432 ms (see conftest).
    assert g1.predicted == pytest.approx(1.073741824, rel=1e-9)
    assert g2.predicted == pytest.approx(0.33554432, rel=1e-9)
    # batch 1 (the GEMV's first dim): 1 / 0.33554432 ms = 2980.23 /s
    assert g3.predicted == pytest.approx(1e3 / GEMV_MS, rel=1e-9)
    assert g1.ratio == pytest.approx(2.147483648, rel=1e-9)
    assert g1.error == pytest.approx(1.147483648, rel=1e-9)
    assert g2.error == pytest.approx(GEMV_MS / 0.4 - 1, rel=1e-9)  # -0.1611392
    assert g2.factor == pytest.approx(0.4 / GEMV_MS, rel=1e-9)  # 1.19209...
    assert g3.error == pytest.approx(2980.2322387695312 / 3000 - 1, rel=1e-9)

    s = rep.overall()
    R3 = 2980.2322387695312 / 3000
    errs = sorted([1.147483648, 0.1611392, 1 - R3])
    assert s.n == 3
    assert s.median_abs_error == pytest.approx(errs[1], rel=1e-9)
    assert s.max_abs_error == pytest.approx(errs[2], rel=1e-9)
    assert s.worst_id == "G1" and s.worst_factor == pytest.approx(2.147483648, rel=1e-9)
    assert s.within_2x == 2
    geo = (2.147483648 * 0.8388608 * R3) ** (1 / 3)
    assert s.geomean_ratio == pytest.approx(geo, rel=1e-9)
    by = rep.by_class()
    assert list(by) == ["toy", "other"]
    assert by["toy"].n == 2 and by["toy"].median_abs_error == pytest.approx(
        (1.147483648 + 0.1611392) / 2, rel=1e-9
    )
    assert not rep.meets(0.25, 2.0)  # G1 is 2.15x off
    assert rep.meets(0.25, 2.2)


def test_unknown_workload_chip_or_profile_is_skipped_with_reason(toy_dir: Path) -> None:
    body = ROWS + (
        "X1,toy,mcunet-in0,toy.yaml,,int8,,,,latency_ms,1,,,\n"
        "X2,toy,gemm.yaml,pixel-1,,fp16,,,,latency_ms,1,,,\n"
        "X3,toy,gemm.yaml,toy.yaml,tensorrt,fp16,,,,latency_ms,1,,,\n"
        "X4,toy,gemm.yaml,toy.yaml,,fp16,,,,ttft_ms,1,,,\n"
        "X5,toy,lenet5,tpu-like,,int8,,,,latency_ms,1,colour=red,,\n"
        "X6,toy,missing.yaml,toy.yaml,,fp16,,,,latency_ms,1,,,\n"
    )
    rep = validate(write_csv(toy_dir, body))
    reasons = {r.measurement.id: r.reason for r in rep.skipped}
    assert set(reasons) == {"X1", "X2", "X3", "X4", "X5", "X6"}
    assert "unknown workload 'mcunet-in0'" in reasons["X1"]
    assert "unknown hardware 'pixel-1'" in reasons["X2"]
    assert "toy has no profile 'tensorrt' (has: ideal, slow)" in reasons["X3"]
    assert "ttft_ms" in reasons["X4"] and "decoder" in reasons["X4"]
    assert "colour" in reasons["X5"]
    assert "no such model file" in reasons["X6"]
    assert rep.overall().n == 3  # statistics only over simulated rows
    d = rep.to_dict()
    assert d["summary"]["skipped"] == 6 and len(d["rows"]) == 3
    assert {r["id"] for r in d["skipped"]} == set(reasons)


def test_profile_column_may_name_a_profile_file(toy_dir: Path) -> None:
    (toy_dir / "half.yaml").write_text(
        "schema_version: 1\nname: half\nefficiency: {gemm: 0.5}\nbandwidth_efficiency: 1.0\n"
    )
    rep = validate(
        write_csv(toy_dir, "H,toy,gemm.yaml,toy.yaml,half.yaml,fp16,,,,latency_ms,1,,,\n")
    )
    assert rep.rows[0].predicted == pytest.approx(2 * GEMM_MS, rel=1e-9)


def test_llm_metrics_and_params_on_builtins() -> None:
    rows = [
        {"id": "L", "workload": "gpt2", "hardware": "a100-80gb-sxm", "metric": "ttft_ms",
         "value": "1", "prompt_len": "32", "gen_len": "4"},
        {"id": "D", "workload": "gpt2", "hardware": "a100-80gb-sxm", "metric": "decode_tokens_per_s",
         "value": "100", "prompt_len": "32", "gen_len": "4"},
        {"id": "V", "workload": "mobilenet_v1", "hardware": "stm32h743", "profile": "tflm",
         "dtype": "int8", "metric": "peak_sram_kb", "value": "100",
         "params": "width=0.25;resolution=96"},
    ]  # fmt: skip
    rep = validate(rows)
    assert all(r.ok for r in rep.rows), [r.reason for r in rep.rows]
    import hwsim

    ref = hwsim.simulate("gpt2", "a100-80gb-sxm", prompt_len=32, gen_len=4)
    assert rep.row("L").predicted == pytest.approx(ref.ttft_s * 1e3)
    assert rep.row("D").predicted == pytest.approx(ref.decode_tokens_per_s)
    v = hwsim.simulate(
        "mobilenet_v1", "stm32h743", profile="tflm", dtype="int8", width=0.25, resolution=96
    )
    assert rep.row("V").predicted == pytest.approx(v.peak_activation_bytes / 1e3)


def test_shipped_profiles_are_the_joint_fit_on_the_current_model() -> None:
    import json

    root = Path(__file__).parents[3] / "validation"
    rep = validate(root / "measurements.csv")
    assert {r.measurement.id for r in rep.skipped} == {"E12", "M12"}
    assert len(rep.simulated) == len(rep.rows) - 2
    # hardware_specs/ holds the joint fit of validation/fit_all.py (calibrated/fits.json keeps
    # its in-sample predictions): a cost-model change that is not followed by
    # `sh validation/calibrate_all.sh` and `python validation/apply_calibration.py` fails here.
    fits = json.loads((root / "calibrated" / "fits.json").read_text())
    for r in rep.simulated:
        want = fits["in_sample"][r.measurement.id]
        assert r.predicted == pytest.approx(want, rel=0.03), r.measurement.id
    for f in fits["fits"]:
        assert f["exactly_determined"] == (len(f["parameters"]) >= len(f["rows"]) > 0), f
        assert f["dof"] == len(f["rows"]) - len(f["parameters"])


def test_a_dtype_the_chip_lacks_runs_in_a_format_it_has() -> None:
    rows = [
        # STM32F746 has no fp16 MACs: the nearest wider format, fp32
        {"id": "W", "workload": "lenet5", "hardware": "stm32f746", "dtype": "fp16",
         "metric": "latency_ms", "value": "1"},
        # tpu-like runs only int8: no wider format than fp32, so its native int8
        {"id": "N", "workload": "lenet5", "hardware": "tpu-like", "dtype": "fp32",
         "metric": "latency_ms", "value": "1"},
    ]  # fmt: skip
    rep = validate(rows)
    assert not rep.skipped, [r.reason for r in rep.skipped]
    assert any("run in fp32" in w for w in rep.row("W").warnings)
    assert any("native int8" in w for w in rep.row("N").warnings)
    import hwsim

    ref = hwsim.simulate("lenet5", "tpu-like", dtype="int8")
    assert rep.row("N").predicted == pytest.approx(ref.latency_s * 1e3)
