"""`hwsim validate` and `hwsim calibrate` end to end."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hwsim.cli import app
from hwsim.hardware import load_profile
from tests.unit.validation.conftest import GEMM_MS, write_csv

runner = CliRunner()
ROWS = (
    "G1,toy,gemm.yaml,toy.yaml,ideal,fp16,,,,latency_ms,0.5,,,\n"
    "G2,toy,gemv.yaml,toy.yaml,slow,fp16,,,,latency_ms,0.4,,,\n"
    "X1,toy,nope,toy.yaml,,fp16,,,,latency_ms,1,,,\n"
)


def test_validate_prints_table_and_json(toy_dir: Path) -> None:
    csv = write_csv(toy_dir, ROWS)
    res = runner.invoke(app, ["validate", str(csv)], env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    for text in ("G1", "G2", "overall", "skipped rows", "unknown workload 'nope'", "not met"):
        assert text in res.output
    assert "exactly determined" in res.output  # one row per stack
    out = toy_dir / "r.json"
    res = runner.invoke(app, ["validate", str(csv), "--json", str(out)])
    assert res.exit_code == 0, res.output
    d = json.loads(out.read_text())
    loo = d["schemes"]["leave_one_out"]
    assert loo["summary"]["overall"]["n"] == 2 and loo["summary"]["skipped"] == 1
    # G1 alone in its stack: left out, it is predicted by the prior (ideal): 1.074 / 0.5 ms
    assert loo["rows"][0]["ratio"] == pytest.approx(GEMM_MS / 0.5, rel=1e-3)
    # in-sample G1 cannot be fitted: 0.5 ms is faster than the peak allows (bound at 1)
    ins = d["schemes"]["in_sample"]["rows"]
    assert ins[0]["ratio"] == pytest.approx(GEMM_MS / 0.5, rel=1e-3)
    assert ins[1]["ratio"] == pytest.approx(1.0, rel=1e-3)
    fits = {f["stack"]: f for f in d["fits"]}
    assert "error_definition" in d and fits["slow"]["exactly_determined"]
    assert fits["slow"]["dof"] == 0 and fits["ideal"]["parameters"] == {}
    res = runner.invoke(app, ["validate", str(csv), "--json", "-"])
    assert res.exit_code == 0
    assert json.loads(res.stdout)["schemes"]["in_sample"]["rows"][1]["id"] == "G2"
    # --shipped: the profiles as they are, no fit
    res = runner.invoke(app, ["validate", str(csv), "--shipped", "--json", "-"])
    assert res.exit_code == 0
    d = json.loads(res.stdout)
    assert d["summary"]["overall"]["n"] == 2 and d["rows"][0]["ratio"] > 2


def test_malformed_csv_is_a_one_line_error(tmp_path: Path) -> None:
    csv = write_csv(tmp_path, "A,c,lenet5,tpu-like,,,,,,latency_ms,fast,,,\n")
    res = runner.invoke(app, ["validate", str(csv)])
    assert res.exit_code == 2
    lines = [ln for ln in res.output.strip().splitlines() if ln.strip()]
    assert len(lines) == 1 and "error:" in lines[0] and "m.csv:2" in lines[0]
    res = runner.invoke(app, ["validate", str(tmp_path / "missing.csv")])
    assert res.exit_code == 2 and "cannot read" in res.output


def test_calibrate_writes_a_loadable_profile(toy_dir: Path) -> None:
    csv = write_csv(toy_dir, "G,toy,gemm.yaml,toy.yaml,slow,fp16,,,,latency_ms,2.0,,,\n")
    out = toy_dir / "cal" / "slow.yaml"
    res = runner.invoke(
        app,
        ["calibrate", str(csv), "-H", str(toy_dir / "toy.yaml"), "-p", "slow", "-o", str(out)],
        env={"COLUMNS": "200"},
    )
    assert res.exit_code == 0, res.output
    assert "fitted: compute_scale" in res.output and "by construction" in res.output
    assert "kept at the prior: overhead_per_run" in res.output  # one row cannot identify it
    prof = load_profile(out)
    assert prof.name == "slow" and prof.overhead_per_op == 1e-6
    assert prof.overhead_per_run == 0 and prof.fold_batchnorm
    res = runner.invoke(
        app,
        ["run", str(toy_dir / "gemm.yaml"), "-H", str(toy_dir / "toy.yaml"), "--profile", str(out)],
    )
    assert res.exit_code == 0, res.output
    # --prior: start from a profile file (here the calibrated one: nothing left to fit).
    res = runner.invoke(
        app,
        ["calibrate", str(csv), "-H", str(toy_dir / "toy.yaml"), "-p", "slow", "--prior", str(out)],
        env={"COLUMNS": "200"},
    )
    assert res.exit_code == 0, res.output
    assert "x1 " in res.output or "x0.9999" in res.output or "x1.000" in res.output
    res = runner.invoke(
        app, ["calibrate", str(csv), "-H", str(toy_dir / "toy.yaml"), "--prior", "nope.yaml"]
    )
    assert res.exit_code == 2 and "nope.yaml" in res.output
    res = runner.invoke(app, ["calibrate", str(csv), "-H", "toy-nope", "-p", "slow"])
    assert res.exit_code == 2 and "unknown hardware" in res.output
