"""Per-layer CSV: header, one row per layer, values exactly the result's."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from hwsim.engine.result import SimulationResult
from hwsim.report import csv_header, write_csv


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as f:
        return list(csv.DictReader(f))


def test_header(lenet: SimulationResult) -> None:
    assert csv_header(lenet) == [
        "name", "op_type", "unit", "macs", "flops",
        "weight_regs_bytes", "sram_bytes", "dram_bytes",
        "start_s", "end_s", "latency_s", "energy_j",
        "energy_compute_j", "energy_weight_regs_j", "energy_sram_j", "energy_dram_j",
        "energy_static_j",
        "arithmetic_intensity_flop_per_byte", "bound", "bound_level", "live_bytes",
    ]  # fmt: skip


def test_rows_hold_the_result_numbers(lenet: SimulationResult, tmp_path: Path) -> None:
    p = tmp_path / "layers.csv"
    write_csv(lenet, p)
    rows = _read(p)
    assert len(rows) == len(lenet.layers)
    for row, layer in zip(rows, lenet.layers):
        assert row["name"] == layer.name and row["unit"] == layer.unit
        assert int(row["macs"]) == layer.macs and int(row["flops"]) == layer.flops
        # floats are written with repr: they read back exactly
        assert float(row["start_s"]) == layer.start_s
        assert float(row["latency_s"]) == layer.latency_s
        assert float(row["energy_j"]) == layer.energy_j
        assert float(row["live_bytes"]) == layer.live_bytes
        for lv, b in layer.bytes.items():
            assert float(row[f"{lv}_bytes"]) == b
        for part, e in layer.energy_breakdown_j.items():
            assert float(row[f"energy_{part}_j"]) == e
        ai = row["arithmetic_intensity_flop_per_byte"]
        if layer.arithmetic_intensity is None:
            assert ai == ""
        else:
            assert float(ai) == layer.arithmetic_intensity
        assert row["bound"] == layer.bound
        assert row["bound_level"] == (layer.bound_level or "")
    total = sum(float(r["energy_j"]) for r in rows)
    assert total == pytest.approx(lenet.energy_j, rel=1e-12)


def test_llm_rows_carry_phase(gpt2: SimulationResult, tmp_path: Path) -> None:
    p = tmp_path / "gpt2.csv"
    write_csv(gpt2.to_dict(), p)
    rows = _read(p)
    assert len(rows) == len(gpt2.layers)
    assert {r["phase"] for r in rows} == {"prefill", "decode"}
