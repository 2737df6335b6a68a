"""`hwsim run` end to end: JSON contract, errors, feasibility."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

import hwsim
from hwsim.cli import app

runner = CliRunner()

CONTRACT = {
    "schema_version",
    "hardware",
    "workload",
    "batch",
    "dtype",
    "profile",
    "latency_s",
    "throughput_per_s",
    "energy_j",
    "avg_power_w",
    "energy_breakdown_j",
    "macs",
    "flops",
    "params",
    "weight_bytes",
    "peak_activation_bytes",
    "memory_fit",
    "bound_counts",
    "layers",
}
LAYER = {
    "name",
    "op_type",
    "macs",
    "flops",
    "bytes",
    "start_s",
    "end_s",
    "latency_s",
    "energy_j",
    "arithmetic_intensity",
    "bound",
    "unit",
}


def test_run_json_has_the_contract_fields(tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    res = runner.invoke(
        app, ["run", "lenet5", "--hardware", "tpu-like", "--dtype", "int8", "--json", str(out)]
    )
    assert res.exit_code == 0, res.output
    d = json.loads(out.read_text())
    assert CONTRACT <= set(d)
    assert all(LAYER <= set(layer) for layer in d["layers"])
    assert set(d["energy_breakdown_j"]) == {"compute", "static", "weight_regs", "sram", "dram"}
    assert set(d["bound_counts"]) == {"compute", "memory", "overhead", "fused"}
    assert d["flops"] == 2 * d["macs"] + sum(
        op.vector_ops for op in hwsim.load_workload("lenet5").ops
    )
    # the API gives the same dict
    api = hwsim.simulate("lenet5", "tpu-like", dtype="int8").to_dict()
    assert api == d


def test_run_json_to_stdout_is_pure_json() -> None:
    res = runner.invoke(app, ["run", "lenet5", "-H", "tpu-like", "--dtype", "int8", "--json", "-"])
    assert res.exit_code == 0
    d = json.loads(res.stdout)
    assert d["workload"] == "lenet5"


def test_llm_run_reports_ttft_tpot() -> None:
    res = runner.invoke(
        app,
        [
            "run",
            "gpt2",
            "-H",
            "a100-80gb-sxm",
            "--dtype",
            "fp16",
            "--prompt-len",
            "64",
            "--gen-len",
            "16",
            "--json",
            "-",
        ],
    )
    assert res.exit_code == 0, res.output
    d = json.loads(res.stdout)
    for key in ("ttft_s", "tpot_s", "decode_tokens_per_s", "kv_cache_bytes"):
        assert d[key] > 0
    assert d["latency_s"] > d["ttft_s"]


def _one_line_error(res) -> str:  # type: ignore[no-untyped-def]
    assert res.exit_code != 0
    text = res.output.strip()
    assert "Traceback" not in text
    assert text.startswith("error:")
    return text


def test_run_errors_are_one_line() -> None:
    assert "unknown hardware 'nochip'" in _one_line_error(
        runner.invoke(app, ["run", "lenet5", "-H", "nochip"])
    )
    assert "unknown workload" in _one_line_error(
        runner.invoke(app, ["run", "nomodel", "-H", "tpu-like"])
    )
    assert "dtype" in _one_line_error(
        runner.invoke(app, ["run", "lenet5", "-H", "tpu-like", "--dtype", "int3"])
    )
    assert "profile" in _one_line_error(
        runner.invoke(app, ["run", "lenet5", "-H", "tpu-like", "--profile", "nope"])
    )
    assert "width" in _one_line_error(
        runner.invoke(app, ["run", "lenet5", "-H", "tpu-like", "--width", "0.5"])
    )
