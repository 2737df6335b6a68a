"""Bad spec files fail at load time with one line naming the file and the field path."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

import hwsim
from hwsim.errors import SpecError
from hwsim.hardware import load_hardware

GOOD: dict[str, Any] = {
    "schema_version": 1,
    "name": "toy",
    "kind": "mcu",
    "compute": [
        {
            "name": "cpu",
            "kind": "cpu_core",
            "clock": "100 MHz",
            "peak": {"int8": "400 MOPS"},
            "vector_peak": "100 MOPS",
            "energy_per_mac": {"int8": "0.5 pJ/MAC"},
            "energy_per_vector_op": "1 pJ/op",
        }
    ],
    "memory": [
        {
            "name": "regs",
            "kind": "register",
            "capacity": "64 B",
            "bandwidth": "1 GB/s",
            "energy": "0.1 pJ/B",
        },
        {
            "name": "sram",
            "kind": "sram",
            "capacity": "256 KiB",
            "bandwidth": "400 MB/s",
            "energy": "10 pJ/B",
            "holds": ["activations"],
        },
        {
            "name": "flash",
            "kind": "flash",
            "capacity": "1 MiB",
            "bandwidth": "200 MB/s",
            "energy": "40 pJ/B",
            "holds": ["weights"],
        },
    ],
    "power": {"static": "10 mW"},
    "default_profile": "tflm",
    "profiles": {"tflm": {"name": "tflm"}},
    "sources": [{"id": "toy", "title": "made up for a test"}],
}


def write(tmp_path: Path, data: dict[str, Any], name: str = "bad.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def error_of(path: Path) -> str:
    with pytest.raises(SpecError) as info:
        load_hardware(path)
    message = str(info.value)
    assert "\n" not in message
    return message


def test_the_good_spec_loads(tmp_path: Path) -> None:
    spec = load_hardware(write(tmp_path, GOOD, "good.yaml"))
    assert spec.level("sram").capacity == 256 * 1024
    assert spec.level("flash").bandwidth == 200e6
    assert spec.unit("cpu").mac_energy("int8") == pytest.approx(0.5e-12)


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("68 GB", "bytes/s"),  # a capacity where a bandwidth belongs
        ("68", "with a unit"),  # bare number
        (68, "with a unit"),  # YAML number
        ("68 GQ/s", "unknown unit"),
        ("1 KiB/s", "binary prefixes"),
        ("-5 GB/s", "positive"),  # negative bandwidth
        ("0 GB/s", "positive"),
    ],
)
def test_bad_quantity_names_file_and_field(tmp_path: Path, value: object, reason: str) -> None:
    data = copy.deepcopy(GOOD)
    data["memory"][2]["bandwidth"] = value
    message = error_of(write(tmp_path, data))
    assert message.startswith("bad.yaml: memory.flash.bandwidth: ")
    assert reason in message
    assert str(value) in message


def test_missing_field(tmp_path: Path) -> None:
    data = copy.deepcopy(GOOD)
    del data["power"]
    assert error_of(write(tmp_path, data)) == "bad.yaml: power: required field is missing"


def test_missing_nested_field(tmp_path: Path) -> None:
    data = copy.deepcopy(GOOD)
    del data["memory"][1]["capacity"]
    assert (
        error_of(write(tmp_path, data))
        == "bad.yaml: memory.sram.capacity: required field is missing"
    )


def test_unknown_key(tmp_path: Path) -> None:
    data = copy.deepcopy(GOOD)
    data["compute"][0]["colour"] = "red"
    assert error_of(write(tmp_path, data)) == "bad.yaml: compute.cpu.colour: unknown field"


def test_unknown_top_level_key(tmp_path: Path) -> None:
    data = copy.deepcopy(GOOD)
    data["bandwith"] = "1 GB/s"
    assert error_of(write(tmp_path, data)) == "bad.yaml: bandwith: unknown field"


def test_duplicate_key(tmp_path: Path) -> None:
    text = yaml.safe_dump(GOOD, sort_keys=False).replace("kind: mcu\n", "kind: mcu\nkind: gpu\n", 1)
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    message = error_of(path)
    assert message.startswith("bad.yaml: invalid YAML")
    assert "duplicate key 'kind'" in message


@pytest.mark.parametrize("text", ["compute: [\n", "name: toy\n  kind: mcu\n- x\n", "a: 'open\n"])
def test_malformed_yaml(tmp_path: Path, text: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    assert error_of(path).startswith("bad.yaml: invalid YAML")


def test_not_a_mapping(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("- 1\n- 2\n", encoding="utf-8")
    assert error_of(path) == "bad.yaml: expected a mapping at the top level, got list"


def test_missing_mac_energy_for_a_dtype(tmp_path: Path) -> None:
    data = copy.deepcopy(GOOD)
    data["compute"][0]["peak"]["fp32"] = "100 MFLOPS"
    message = error_of(write(tmp_path, data))
    assert message.startswith("bad.yaml: compute.cpu: ")
    assert "energy_per_mac missing for dtype(s) fp32" in message


def test_unknown_dtype(tmp_path: Path) -> None:
    data = copy.deepcopy(GOOD)
    data["compute"][0]["peak"] = {"int7": "1 GOPS"}
    assert error_of(write(tmp_path, data)).startswith("bad.yaml: compute.cpu.peak.int7")


def test_profile_compute_units_must_exist(tmp_path: Path) -> None:
    data = copy.deepcopy(GOOD)
    data["profiles"]["tflm"]["compute_units"] = ["npu"]
    message = error_of(write(tmp_path, data))
    assert "profiles.tflm.compute_units" in message and "npu" in message


def test_default_profile_must_exist(tmp_path: Path) -> None:
    data = copy.deepcopy(GOOD)
    data["default_profile"] = "tensorrt"
    assert "default_profile: 'tensorrt'" in error_of(write(tmp_path, data))


def test_no_such_file(tmp_path: Path) -> None:
    message = error_of(tmp_path / "nope.yaml")
    assert "nope.yaml" in message and "no such hardware spec file" in message


def test_unknown_builtin_name_lists_the_chips() -> None:
    with pytest.raises(SpecError) as info:
        load_hardware("a100")
    assert "unknown hardware 'a100'" in str(info.value)
    assert "a100-80gb-sxm" in str(info.value)


# --- override -----------------------------------------------------------------------------


def test_override_replaces_a_quantity() -> None:
    base = hwsim.load_hardware("a100-80gb-sxm")
    faster = hwsim.override(base, {"memory.hbm.bandwidth": "100 GB/s", "compute.cuda.count": 2})
    assert faster.level("hbm").bandwidth == 100e9
    assert faster.unit("cuda").count == 2
    assert base.level("hbm").bandwidth == 2039e9  # the original is untouched
    assert faster.level("l2") == base.level("l2")


def test_override_profile_factor() -> None:
    base = hwsim.load_hardware("stm32f746")
    slower = hwsim.override(base, {"profiles.tflm.efficiency.conv": 0.01})
    assert slower.profile("tflm").efficiency.conv == 0.01


@pytest.mark.parametrize(
    ("changes", "must_mention"),
    [
        ({"memory.nope.bandwidth": "1 GB/s"}, "'nope'"),
        ({"memory.hbm.bandwidth": "100 GB"}, "memory.hbm.bandwidth"),
        ({"memory.hbm.bandwidth": "-1 GB/s"}, "positive"),
        ({"memory.hbm.colour": "red"}, "memory.hbm.colour: unknown field"),
        ({"nosuch.field": 1}, "'nosuch'"),
        ({"memory.hbm": "x"}, "whole list entry"),
    ],
)
def test_bad_override_raises_spec_error(changes: dict[str, Any], must_mention: str) -> None:
    base = hwsim.load_hardware("a100-80gb-sxm")
    with pytest.raises(SpecError) as info:
        hwsim.override(base, changes)
    assert must_mention in str(info.value)


@pytest.mark.parametrize("name", ["compute", "static", "link", "overhead", "fused", "memory"])
def test_level_name_reserved_for_breakdowns(tmp_path: Path, name: str) -> None:
    # A level named "compute" would merge its energy into the compute entry of every
    # breakdown (and "static" into the idle energy): a silently wrong split, so refused.
    data = copy.deepcopy(GOOD)
    data["memory"][1]["name"] = name
    message = error_of(write(tmp_path, data))
    assert message.startswith("bad.yaml: ")
    assert f"level name(s) {name} reserved" in message
    assert "\n" not in message


def test_unreserved_level_name_loads(tmp_path: Path) -> None:
    data = copy.deepcopy(GOOD)
    data["memory"][1]["name"] = "compute_sram"
    assert load_hardware(write(tmp_path, data)).memory[1].name == "compute_sram"
