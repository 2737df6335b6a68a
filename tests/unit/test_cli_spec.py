"""`hwsim list/show/schema` for hardware specs: output, SI values, one-line errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hwsim import cli
from hwsim.commands.base import real_console
from hwsim.hardware import builtin_hardware_names

runner = CliRunner()


@pytest.fixture
def wide(monkeypatch: pytest.MonkeyPatch) -> None:
    """A wide console, so that table cells are not wrapped."""
    monkeypatch.setattr(real_console(cli.out), "width", 300)


def bad_spec(tmp_path: Path) -> Path:
    text = (Path(__file__).resolve().parents[2] / "hardware_specs" / "stm32f746.yaml").read_text(
        encoding="utf-8"
    )
    text = text.replace("bandwidth: 864 MB/s", "bandwidth: 864 MB", 1)
    assert "bandwidth: 864 MB " in text
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_list_hardware_lists_every_chip(wide: None) -> None:
    result = runner.invoke(cli.app, ["list", "hardware"])
    assert result.exit_code == 0, result.output
    for name in builtin_hardware_names():
        assert name in result.stdout
    assert "invalid" not in result.stdout


def test_show_hardware_table(wide: None) -> None:
    result = runner.invoke(cli.app, ["show", "hardware", "h100-sxm"])
    assert result.exit_code == 0, result.output
    assert "h100-sxm" in result.stdout
    assert "3.35 TB/s" in result.stdout  # 3350 GB/s, normalised


def test_show_hardware_json_prints_si_floats() -> None:
    result = runner.invoke(cli.app, ["show", "hardware", "a100-80gb-sxm", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    hbm = next(m for m in data["memory"] if m["name"] == "hbm")
    assert hbm["bandwidth"] == 2039e9
    assert hbm["capacity"] == 80 * 2.0**30
    assert hbm["energy"] == pytest.approx(4e-12 * 8)  # 4 pJ/bit
    tensor = next(c for c in data["compute"] if c["name"] == "tensor")
    assert tensor["peak"]["fp16"] == 312e12
    assert tensor["clock"] == 1.41e9
    assert isinstance(tensor["energy_per_mac"]["int8"], float)
    assert data["power"]["cap"] == 400.0


def test_show_hardware_accepts_a_path() -> None:
    path = Path(__file__).resolve().parents[2] / "hardware_specs" / "eyeriss.yaml"
    result = runner.invoke(cli.app, ["show", "hardware", str(path), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["name"] == "eyeriss"


def test_show_bad_spec_is_one_line_without_traceback(tmp_path: Path) -> None:
    result = runner.invoke(cli.app, ["show", "hardware", str(bad_spec(tmp_path))])
    assert result.exit_code != 0
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "bad.yaml: memory.flash.bandwidth:" in lines[0]
    assert "Traceback" not in result.output


def test_show_unknown_chip_fails_with_the_list() -> None:
    result = runner.invoke(cli.app, ["show", "hardware", "no-such-chip"])
    assert result.exit_code != 0
    assert "unknown hardware 'no-such-chip'" in result.stderr
    assert "stm32f746" in result.stderr


def test_python_m_hwsim_bad_spec(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "hwsim", "show", "hardware", str(bad_spec(tmp_path))],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "COLUMNS": "400"},
    )
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("error: bad.yaml: memory.flash.bandwidth:")
    assert "'864 MB'" in lines[0]


@pytest.mark.parametrize("kind", ["hardware", "profile"])
def test_schema_is_json_schema(kind: str) -> None:
    result = runner.invoke(cli.app, ["schema", kind])
    assert result.exit_code == 0, result.output
    schema = json.loads(result.stdout)
    assert schema["type"] == "object"
    assert "properties" in schema and "required" in schema


def test_hardware_schema_describes_the_spec_format() -> None:
    schema = json.loads(runner.invoke(cli.app, ["schema"]).stdout)
    assert {"schema_version", "name", "compute", "memory", "power", "profiles"} <= set(
        schema["properties"]
    )
    assert schema["additionalProperties"] is False
    memory = schema["$defs"]["MemoryLevel"]["properties"]
    assert memory["bandwidth"]["type"] == "string"  # quantities are unit strings in files
    assert "68 GB/s" in memory["bandwidth"]["examples"]


def test_builtin_specs_validate_against_the_schema() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    import yaml

    schema = json.loads(runner.invoke(cli.app, ["schema"]).stdout)
    root = Path(__file__).resolve().parents[2] / "hardware_specs"
    for path in sorted(root.glob("*.yaml")):
        jsonschema.validate(yaml.safe_load(path.read_text(encoding="utf-8")), schema)


def test_unknown_schema_kind() -> None:
    result = runner.invoke(cli.app, ["schema", "workload-x"])
    assert result.exit_code != 0
    assert "unknown schema" in result.stderr
