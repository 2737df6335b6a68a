"""One vocabulary: precision names round-trip, energy per MAC is stored per MAC."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

import hwsim
from hwsim.cli import app
from hwsim.errors import WorkloadError
from hwsim.hardware.models import ProfileEfficiency
from hwsim.vocabulary import (
    DTYPE_BYTES,
    DTYPE_FALLBACK,
    OP_CLASSES,
    PRECISIONS,
    DType,
    dtype_label,
    parse_dtype,
)
from tests.unit.toychips import TOY, write_chip


@pytest.mark.parametrize("name", list(PRECISIONS))
def test_precision_names_round_trip(name: str) -> None:
    weight, act = parse_dtype(name)
    label = dtype_label(weight, act)
    # w8a8 is int8 for weights and activations alike: it reads back as plain int8.
    assert label == ("int8" if name == "w8a8" else name)
    assert parse_dtype(label) == (weight, act)


def test_mixed_precision_labels() -> None:
    assert dtype_label("int4", "fp16") == "w4a16"
    assert dtype_label("int8", "fp16") == "w8a16"
    assert dtype_label("int4", "int8") == "w4a8"
    assert dtype_label("int8", "fp32") == "int8/fp32"  # a pair with no name
    assert parse_dtype(" W4A16 ") == ("int4", "fp16")


def test_unknown_dtype_names_the_choices() -> None:
    with pytest.raises(WorkloadError, match=r"unknown dtype 'fp12'; choose from fp32, fp16"):
        parse_dtype("fp12")


def test_every_dtype_has_a_width_and_a_fallback() -> None:
    for d in DType:
        assert d.value in DTYPE_BYTES
        assert d.value in DTYPE_FALLBACK
        assert all(alt in DTYPE_BYTES for alt in DTYPE_FALLBACK[d.value])
    assert DTYPE_BYTES["int4"] == 0.5  # two int4 values per byte
    for weight, act in PRECISIONS.values():
        assert weight in DTYPE_BYTES and act in DTYPE_BYTES


def test_profile_efficiency_has_one_field_per_op_class() -> None:
    eff = ProfileEfficiency(gemm=0.9, depthwise=0.2)
    assert tuple(ProfileEfficiency.model_fields) == OP_CLASSES
    assert eff.of("gemm") == 0.9 and eff.of("depthwise") == 0.2


def test_w4a16_is_reported_as_w4a16(tmp_path: Path) -> None:
    chip = write_chip(tmp_path)
    assert hwsim.simulate("lenet5", chip, dtype="w4a16").dtype == "w4a16"
    assert hwsim.simulate("lenet5", chip, dtype="w8a8").dtype == "int8"
    out = CliRunner().invoke(
        app, ["run", "lenet5", "--hardware", str(chip), "--dtype", "w4a16", "--json", "-"]
    )
    assert out.exit_code == 0, out.output
    assert json.loads(out.stdout)["dtype"] == "w4a16"
    prof = CliRunner().invoke(app, ["profile", "lenet5", "--dtype", "w4a16", "--json", "-"])
    assert prof.exit_code == 0, prof.output
    assert json.loads(prof.stdout)["dtype"] == "w4a16"


@pytest.mark.parametrize(
    ("written", "j_per_mac"),
    [("0.5 pJ/MAC", 0.5e-12), ("0.04 pJ/MAC", 0.04e-12), ("0.25 pJ/op", 0.5e-12)],
)
def test_energy_per_mac_is_stored_in_joules_per_mac(
    tmp_path: Path, written: str, j_per_mac: float
) -> None:
    chip = write_chip(tmp_path, TOY.replace("int8: 0.5 pJ/MAC", f"int8: {written}"))
    unit = hwsim.load_hardware(chip).unit("mac0")
    assert unit.energy_per_mac[DType.int8] == pytest.approx(j_per_mac, rel=1e-12)
    assert unit.mac_energy("int8") == pytest.approx(j_per_mac, rel=1e-12)
