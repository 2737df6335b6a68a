"""The typed result model: JSON round trip, validation of result files, the flat row."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from pydantic import ValidationError

import hwsim
from hwsim.engine.result import ROW_FIELDS, LayerResult, SimulationResult, result_row
from hwsim.report.data import ResultFormatError, as_result_dict, load_result


@pytest.fixture(scope="module")
def cnn() -> SimulationResult:
    return hwsim.simulate("lenet5", "tpu-like", dtype="int8")


@pytest.fixture(scope="module")
def llm() -> SimulationResult:
    return hwsim.simulate("gpt2", "a100-80gb-sxm", dtype="fp16", prompt_len=32, gen_len=8)


def test_json_round_trips_through_the_model(cnn: SimulationResult, llm: SimulationResult) -> None:
    for r in (cnn, llm):
        d = json.loads(json.dumps(r.to_dict()))
        back = SimulationResult.from_dict(d)
        assert back.to_dict() == r.to_dict()
        assert back.layers[0] == r.layers[0]
    assert SimulationResult.from_dict(llm.to_dict()).ttft_s == llm.ttft_s


def test_engine_records_are_whole_records(cnn: SimulationResult, llm: SimulationResult) -> None:
    # The engine builds layers with LayerResult.of (no __init__): every field must be set,
    # and the record must equal the one the dataclass constructor builds from those values.
    names = [f.name for f in dataclasses.fields(LayerResult)]
    for r in (cnn, llm):
        for layer in r.layers:
            assert list(vars(layer)) == names
            assert LayerResult(**vars(layer)) == layer
            assert dataclasses.replace(layer, name="x").name == "x"
            with pytest.raises(dataclasses.FrozenInstanceError):
                layer.name = "y"  # type: ignore[misc]


def test_json_carries_the_schema_version(cnn: SimulationResult) -> None:
    d = cnn.to_dict()
    assert d["schema_version"] == 2  # 2: per-layer mapping, utilization, resource_s; bound "fused"
    assert list(d)[:3] == ["schema_version", "hardware", "workload"]


def _bad(d: dict, tmp_path: Path) -> str:
    p = tmp_path / "r.json"
    p.write_text(json.dumps(d))
    with pytest.raises(ResultFormatError) as exc:
        load_result(p)
    return str(exc.value)


def test_result_files_are_validated_field_by_field(cnn: SimulationResult, tmp_path: Path) -> None:
    d = cnn.to_dict()
    d["layers"][2]["latency_s"] = "fast"
    msg = _bad(d, tmp_path)
    assert "layers[2].latency_s" in msg and "valid number" in msg
    d = cnn.to_dict()
    d["layers"][0]["transfers"] = [{"level": "dram", "start_s": 0.0}]
    assert "layers[0].transfers[0]" in _bad(d, tmp_path)
    d = cnn.to_dict()
    del d["layers"][1]["bound"]
    assert "layers[1].bound: Field required" in _bad(d, tmp_path)
    d = cnn.to_dict()
    d["macs"] = "many"
    assert "macs:" in _bad(d, tmp_path)
    # a hand-made dict with every field of the model passes and is returned as it is
    assert as_result_dict(cnn.to_dict()) == cnn.to_dict()


def test_non_finite_numbers_are_rejected(cnn: SimulationResult) -> None:
    d = cnn.to_dict()
    d["energy_j"] = float("nan")
    with pytest.raises(ResultFormatError, match="energy_j"):
        as_result_dict(d)


def test_one_flat_row_per_run(cnn: SimulationResult, llm: SimulationResult) -> None:
    row = result_row(cnn)
    assert row == cnn.row()
    for f in ROW_FIELDS:
        assert row[f] == getattr(cnn, f)
    assert (row["hardware"], row["dtype"], row["batch"]) == ("tpu-like", "int8", 1)
    parts = {k for k in row if k.startswith("energy_") and k != "energy_j"}
    assert parts == {f"energy_{p}_j" for p in cnn.energy_breakdown_j}
    assert sum(row[k] for k in parts) == pytest.approx(cnn.energy_j, rel=1e-12)
    assert result_row(llm)["ttft_s"] == llm.ttft_s


def test_layers_are_frozen_typed_records(cnn: SimulationResult) -> None:
    layer = cnn.layers[0]
    with pytest.raises(dataclasses.FrozenInstanceError):
        layer.latency_s = 0.0  # type: ignore[misc]
    faster = dataclasses.replace(layer, latency_s=layer.latency_s / 2)
    assert faster.latency_s == layer.latency_s / 2 and faster.name == layer.name
    assert LayerResult.from_dict(layer.to_dict()) == layer
    with pytest.raises(ValidationError, match="latency_s"):
        LayerResult.from_dict({**layer.to_dict(), "latency_s": "slow"})
    with pytest.raises(ValidationError, match="bound"):
        LayerResult.from_dict({k: v for k, v in layer.to_dict().items() if k != "bound"})
