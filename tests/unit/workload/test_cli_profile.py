"""``hwsim list workloads`` and ``hwsim profile``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hwsim.cli import app
from hwsim.resources import builtin_dir
from hwsim.workload import builtin_workloads

runner = CliRunner()

CONTRACT_NAMES = (
    "alexnet",
    "vgg16",
    "resnet18",
    "resnet50",
    "mobilenet_v1",
    "mobilenet_v2",
    "efficientnet_b0",
    "mlperf-tiny-resnet8",
    "mlperf-tiny-ds-cnn",
    "mlperf-tiny-vww",
    "mlperf-tiny-autoencoder",
    "mcunet-in3",
)


def test_list_workloads() -> None:
    result = runner.invoke(app, ["list", "workloads"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    for name in CONTRACT_NAMES:
        assert name in result.stdout
    assert "MobileNetV1 0.25" in result.stdout  # description column


def test_profile_json_stdout() -> None:
    result = runner.invoke(app, ["profile", "mlperf-tiny-vww", "--dtype", "int8", "--json", "-"])
    assert result.exit_code == 0, result.output
    d = json.loads(result.stdout)
    assert d["schema_version"] == 1
    assert (d["workload"], d["dtype"], d["batch"]) == ("mlperf-tiny-vww", "int8", 1)
    assert d["macs"] == 7_489_664
    assert d["flops"] > 2 * d["macs"]
    assert d["weight_bytes"] == d["params"]
    assert any(row["inplace"] for row in d["layers"])
    assert max(row["live_bytes"] for row in d["layers"]) == d["peak_activation_bytes"]


def test_profile_options_and_file(tmp_path: Path) -> None:
    out = tmp_path / "p.json"
    args = ["profile", "mobilenet_v1", "--width", "0.25", "--resolution", "128", "--batch", "2"]
    result = runner.invoke(app, [*args, "--json", str(out)], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "MACs" in result.stdout and "conv0" in result.stdout  # summary and layer table
    d = json.loads(out.read_text(encoding="utf-8"))
    assert d["batch"] == 2 and d["macs"] == 2 * 13_570_048


def test_profile_yaml_file() -> None:
    path = builtin_dir("workloads") / "cifar-resnet8.yaml"
    result = runner.invoke(app, ["profile", str(path), "--json", "-"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["macs"] == 12_501_632


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["profile", "no-such-model"], "unknown workload 'no-such-model'"),
        (["profile", "resnet18", "--width", "0.5"], "unknown parameter(s) width"),
        (["profile", "resnet18", "--dtype", "int9"], "unknown dtype 'int9'"),
        (["profile", "mobilenet_v2", "--resolution", "8"], "resolution must be >= 32"),
        (["profile", "missing.yaml"], "no such file"),
    ],
)
def test_profile_errors_are_one_line(args: list[str], message: str) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines[0].startswith("error: ")
    assert message in " ".join(lines)


def test_profile_decoder_adds_kv_fields() -> None:
    if "gpt2" not in builtin_workloads():
        pytest.skip("no built-in decoder registered")
    result = runner.invoke(
        app, ["profile", "gpt2", "--prompt-len", "8", "--gen-len", "4", "--json", "-"]
    )
    assert result.exit_code == 0, result.output
    d = json.loads(result.stdout)
    assert (d["prompt_len"], d["gen_len"]) == (8, 4)
    assert d["kv_cache_bytes"] > 0
