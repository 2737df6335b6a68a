"""calibrate(): recovers known factors from synthetic measurements; identifiability."""

from __future__ import annotations

from pathlib import Path

import pytest

import hwsim
from hwsim.hardware import load_profile
from hwsim.validation import CalibrationError, apply_parameters, calibrate
from tests.unit.validation.conftest import write_csv

LAYERS = """
schema_version: 1
name: {name}
input: {{shape: [{m}, {k}], dtype: fp16}}
layers:
  - {{op: linear, out_features: {n}, bias: false}}
"""


def _synthetic(toy_dir: Path, truth: hwsim.SoftwareProfile, profile: str) -> Path:
    """Rows measured on a chip that really runs ``truth``, labelled as profile ``profile``."""
    shapes = {"g1": (512, 1024, 1024), "g2": (256, 2048, 512), "v1": (1, 4096, 4096)}
    lines = []
    for name, (m, k, n) in shapes.items():
        (toy_dir / f"{name}.yaml").write_text(LAYERS.format(name=name, m=m, k=k, n=n))
        r = hwsim.simulate(toy_dir / f"{name}.yaml", toy_dir / "toy.yaml", profile=truth)
        lines.append(
            f"{name},toy,{name}.yaml,toy.yaml,{profile},,,,,latency_ms,{r.latency_s * 1e3!r},,,"
        )
    return write_csv(toy_dir, "\n".join(lines) + "\n")


def test_recovers_known_efficiency_and_bandwidth(toy_dir: Path) -> None:
    spec = hwsim.load_hardware(toy_dir / "toy.yaml")
    ideal = spec.profiles["ideal"]
    truth = ideal.model_copy(
        update={
            "efficiency": ideal.efficiency.model_copy(
                update={k: 0.5 for k in ("gemm", "conv", "depthwise", "elementwise", "attention")}
            ),
            "bandwidth_efficiency": 0.6,
        }
    )
    csv = _synthetic(toy_dir, truth, "ideal")
    res = calibrate(csv, str(toy_dir / "toy.yaml"), "ideal")
    assert {p.name for p in res.fitted} == {"compute_scale", "bandwidth_efficiency"}
    assert res.profile.efficiency.gemm == pytest.approx(0.5, rel=0.01)
    assert res.profile.bandwidth_efficiency == pytest.approx(0.6, rel=0.01)
    assert all(r.factor < 1.01 for r in res.after.rows)
    assert res.before.overall().median_abs_error > 0.3
    why = dict(res.not_fitted)
    assert "not separable" in why["efficiency.gemm"]  # gemm rows cannot tell gemm from the scale
    assert "insensitive" in why["efficiency.depthwise"]
    assert "0 s" in why["overhead_per_op"]


def test_recovers_efficiency_and_overhead(toy_dir: Path) -> None:
    # A chain of 40 tiny layers is overhead bound; the GEMMs are compute bound.
    chain = "".join("  - {op: linear, out_features: 64, bias: false}\n" for _ in range(40))
    (toy_dir / "chain.yaml").write_text(
        "schema_version: 1\nname: chain\ninput: {shape: [1, 64], dtype: fp16}\nlayers:\n" + chain
    )
    spec = hwsim.load_hardware(toy_dir / "toy.yaml")
    slow = spec.profiles["slow"]  # prior: 0.8 of peak, 1 us per op
    truth = apply_parameters(slow, {"compute_scale": -0.4})  # 0.8 * e^-0.4 = 0.536
    truth = truth.model_copy(update={"overhead_per_op": 3e-6})
    csv = _synthetic(toy_dir, truth, "slow")
    r = hwsim.simulate(toy_dir / "chain.yaml", toy_dir / "toy.yaml", profile=truth)
    with csv.open("a") as f:
        f.write(f"c,toy,chain.yaml,toy.yaml,slow,,,,,latency_ms,{r.latency_s * 1e3!r},,,\n")
    res = calibrate(
        csv, str(toy_dir / "toy.yaml"), "slow", fit=["compute_scale", "overhead_per_op"]
    )
    assert {p.name for p in res.fitted} == {"compute_scale", "overhead_per_op"}
    assert res.profile.efficiency.gemm == pytest.approx(truth.efficiency.gemm, rel=0.01)
    assert res.profile.overhead_per_op == pytest.approx(3e-6, rel=0.01)
    assert "not asked for" in dict(res.not_fitted)["bandwidth_efficiency"]


def test_one_row_fits_one_global_scale_and_says_so(toy_dir: Path, tmp_path: Path) -> None:
    csv = write_csv(toy_dir, "G,toy,gemm.yaml,toy.yaml,slow,fp16,,,,latency_ms,2.0,,,\n")
    res = calibrate(csv, str(toy_dir / "toy.yaml"), "slow")
    assert [p.name for p in res.fitted] == ["compute_scale"]
    assert any("by construction" in n for n in res.notes)
    assert res.after.rows[0].factor < 1.001
    # Every compute class moved by the same factor.
    ratio = res.profile.efficiency.gemm / 0.8
    assert res.profile.efficiency.depthwise / 0.8 == pytest.approx(ratio, rel=1e-3)
    # The YAML is a loadable standalone profile that reproduces the row.
    out = tmp_path / "p.yaml"
    out.write_text(res.to_yaml())
    prof = load_profile(out)
    assert prof.efficiency.gemm == pytest.approx(res.profile.efficiency.gemm)
    assert "Calibrated" in prof.estimated[0].reasoning and "G (" in prof.estimated[0].reasoning
    r = hwsim.simulate(toy_dir / "gemm.yaml", toy_dir / "toy.yaml", profile=out)
    assert r.latency_s * 1e3 == pytest.approx(2.0, rel=2e-3)


def test_bounds_are_physical(toy_dir: Path) -> None:
    # Measured 4x faster than the peak allows: the scale stops at efficiency 1.
    csv = write_csv(toy_dir, "G,toy,gemm.yaml,toy.yaml,slow,fp16,,,,latency_ms,0.25,,,\n")
    res = calibrate(csv, str(toy_dir / "toy.yaml"), "slow", fit=["compute_scale"])
    assert res.profile.efficiency.gemm == pytest.approx(1.0)
    assert res.fitted[0].at_bound
    assert res.after.rows[0].ratio > 3


def test_calibrate_errors(toy_dir: Path) -> None:
    csv = write_csv(toy_dir, "G,toy,gemm.yaml,toy.yaml,slow,fp16,,,,energy_uj,1,,,\n")
    with pytest.raises(CalibrationError, match="no usable rows"):
        calibrate(csv, str(toy_dir / "toy.yaml"), "slow")
    with pytest.raises(CalibrationError, match="no profile 'qnn'"):
        calibrate(csv, str(toy_dir / "toy.yaml"), "qnn")
    with pytest.raises(CalibrationError, match="unknown hardware"):
        calibrate(csv, "nochip", "slow")
    with pytest.raises(CalibrationError, match="unknown parameter"):
        calibrate(csv, str(toy_dir / "toy.yaml"), "slow", fit=["speed"])


def _llm_rows(
    toy_dir: Path, truth: hwsim.SoftwareProfile, prompts: tuple[int, ...], decode: bool = False
) -> Path:
    """GPT-2 on the toy chip run as ``truth``: TTFT at each prompt length (+ a decode row)."""
    lines = []
    for n in prompts:
        r = hwsim.simulate(
            "gpt2", toy_dir / "toy.yaml", profile=truth, dtype="fp16", prompt_len=n, gen_len=1
        )
        ttft_ms = r.llm["ttft_s"] * 1e3
        lines.append(f"P{n},toy,gpt2,toy.yaml,slow,fp16,1,{n},1,ttft_ms,{ttft_ms!r},,,")
    if decode:
        r = hwsim.simulate(
            "gpt2", toy_dir / "toy.yaml", profile=truth, dtype="fp16", prompt_len=128, gen_len=64
        )
        tps = r.llm["decode_tokens_per_s"]
        lines.append(f"D,toy,gpt2,toy.yaml,slow,fp16,1,128,64,decode_tokens_per_s,{tps!r},,,")
    return write_csv(toy_dir, "\n".join(lines) + "\n")


def _truth(toy_dir: Path) -> hwsim.SoftwareProfile:
    """The toy ``slow`` profile with compute x e^-0.3 (0.593 of peak) and 4 ms per run."""
    slow = hwsim.load_hardware(toy_dir / "toy.yaml").profiles["slow"]
    assert slow.overhead_per_run == 0  # the prior has no per-run overhead
    truth = apply_parameters(slow, {"compute_scale": -0.3})
    return truth.model_copy(update={"overhead_per_run": 4e-3})


def test_recovers_a_known_per_run_overhead(toy_dir: Path) -> None:
    # TTFT at two prompt lengths; the decode row (no per-run cost) pins the bandwidth.
    truth = _truth(toy_dir)
    csv = _llm_rows(toy_dir, truth, (32, 512), decode=True)
    res = calibrate(csv, str(toy_dir / "toy.yaml"), "slow")
    assert {"compute_scale", "overhead_per_run"} <= {p.name for p in res.fitted}
    assert res.profile.overhead_per_run == pytest.approx(4e-3, rel=0.01)
    assert res.profile.efficiency.gemm == pytest.approx(truth.efficiency.gemm, rel=0.01)
    assert all(r.factor < 1.01 for r in res.after.rows)
    assert res.before.rows[0].ratio < 0.6  # the prior misses the 4 ms on the short prompt
    run = next(p for p in res.fitted if p.name == "overhead_per_run")
    assert run.multiplier is None and run.prior_value == 0
    assert run.value == pytest.approx(4e-3, rel=0.01)
    assert run.label().startswith("overhead_per_run 0 s -> 4")
    assert "overhead_per_run 0 s -> 4" in res.profile.estimated[0].reasoning
    assert res.to_dict()["calibrated"]["overhead_per_run_s"] == pytest.approx(4e-3, rel=0.01)
    # The standalone YAML carries the per-run overhead.
    out = toy_dir / "p.yaml"
    out.write_text(res.to_yaml())
    assert load_profile(out).overhead_per_run == res.profile.overhead_per_run


def test_two_prompt_lengths_two_parameters(toy_dir: Path) -> None:
    # Without a decode row, a lower bandwidth explains the short prompt's extra time about as
    # well as a fixed cost: the calibrator keeps the simpler explanation and says why.
    truth = _truth(toy_dir)
    csv = _llm_rows(toy_dir, truth, (32, 512))
    res = calibrate(csv, str(toy_dir / "toy.yaml"), "slow")
    assert "overhead_per_run" not in {p.name for p in res.fitted}
    assert "explained without it" in dict(res.not_fitted)["overhead_per_run"]
    # Restricted to a compute scale and a per-run cost, the two rows give both exactly.
    res = calibrate(
        csv, str(toy_dir / "toy.yaml"), "slow", fit=["compute_scale", "overhead_per_run"]
    )
    assert [p.name for p in res.fitted] == ["compute_scale", "overhead_per_run"]
    assert res.profile.overhead_per_run == pytest.approx(4e-3, rel=0.01)
    assert res.profile.efficiency.gemm == pytest.approx(truth.efficiency.gemm, rel=0.01)
    assert any("by construction" in n for n in res.notes)
    assert "not asked for" in dict(res.not_fitted)["bandwidth_efficiency"]


def test_per_run_overhead_needs_runs_of_different_length(toy_dir: Path) -> None:
    truth = _truth(toy_dir)
    # One row: a fixed cost and slower kernels explain it equally well.
    res = calibrate(_llm_rows(toy_dir, truth, (128,)), str(toy_dir / "toy.yaml"), "slow")
    assert [p.name for p in res.fitted] == ["compute_scale"]
    assert res.profile.overhead_per_run == 0
    why = dict(res.not_fitted)["overhead_per_run"]
    assert "several prompt lengths" in why and "1 row(s)" in why
    # Two rows of nearly the same length cannot separate it either.
    res = calibrate(_llm_rows(toy_dir, truth, (128, 136)), str(toy_dir / "toy.yaml"), "slow")
    assert "overhead_per_run" not in {p.name for p in res.fitted}
    assert "apart" in dict(res.not_fitted)["overhead_per_run"]
    # Asked not to fit it.
    res = calibrate(
        _llm_rows(toy_dir, truth, (32, 512)),
        str(toy_dir / "toy.yaml"),
        "slow",
        fit=["compute_scale"],
    )
    assert "not asked for" in dict(res.not_fitted)["overhead_per_run"]


def test_start_from_another_prior(toy_dir: Path) -> None:
    csv = write_csv(toy_dir, "G,toy,gemm.yaml,toy.yaml,slow,fp16,,,,latency_ms,2.0,,,\n")
    slow = hwsim.load_hardware(toy_dir / "toy.yaml").profiles["slow"]
    start = apply_parameters(slow, {"compute_scale": -0.5})
    res = calibrate(csv, str(toy_dir / "toy.yaml"), "slow", start=start)
    assert res.prior == start
    # The fitted profile does not depend on where the one-scale fit started.
    plain = calibrate(csv, str(toy_dir / "toy.yaml"), "slow")
    assert res.profile.efficiency.gemm == pytest.approx(plain.profile.efficiency.gemm, rel=1e-3)
    with pytest.raises(CalibrationError, match="start profile is 'ideal'"):
        calibrate(
            csv, str(toy_dir / "toy.yaml"), "slow", start=start.model_copy(update={"name": "ideal"})
        )
