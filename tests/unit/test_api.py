"""The loader (hwsim.api): names, paths and objects in; one rule for workload parameters."""

from __future__ import annotations

from pathlib import Path

import pytest

import hwsim
from hwsim import engine
from hwsim.errors import WorkloadError
from hwsim.workload import GraphBuilder, load_workload
from tests.unit.toychips import write_chip


def _hand_built(batch: int = 1) -> hwsim.workload.Workload:
    g = GraphBuilder("hand", batch=batch, weight_dtype="fp16", act_dtype="fp16")
    x = g.input("x", (batch, 64))
    g_out = g.linear(x, 32, name="fc")
    return g.build([g_out])


def test_simulate_by_name_and_by_loaded_object_agree(tmp_path: Path) -> None:
    chip = write_chip(tmp_path)
    by_name = hwsim.simulate("lenet5", chip, batch=4, dtype="int8")
    loaded = load_workload("lenet5")  # fp32, batch 1
    by_object = hwsim.simulate(loaded, chip, batch=4, dtype="int8")
    assert by_object.to_dict() == by_name.to_dict()
    assert (by_object.batch, by_object.dtype) == (4, "int8")


def test_parameters_replace_only_the_ones_given(tmp_path: Path) -> None:
    chip = write_chip(tmp_path)
    w = load_workload("mobilenet_v1", width=0.25, resolution=96, batch=2, dtype="fp16")
    r = hwsim.simulate(w, chip, dtype="int8")
    same = hwsim.simulate("mobilenet_v1", chip, width=0.25, resolution=96, batch=2, dtype="int8")
    assert r.to_dict() == same.to_dict()
    # without parameters the object is simulated as it is
    assert hwsim.simulate(w, chip).dtype == "fp16"


def test_a_loaded_file_remembers_its_absolute_path(tmp_path: Path, monkeypatch) -> None:
    model = tmp_path / "m.yaml"
    model.write_text(
        "schema_version: 1\nname: m\ninput: {name: x, shape: [1, 3, 8, 8]}\n"
        "layers:\n  - {op: conv2d, out_channels: 4, kernel: 3}\n"
    )
    w = load_workload(model)
    assert w.source is not None and Path(w.source.name) == model.resolve()
    monkeypatch.chdir("/")
    assert load_workload(w, batch=3).batch == 3


def test_a_workload_built_in_code_cannot_be_rebuilt(tmp_path: Path) -> None:
    chip = write_chip(tmp_path)
    w = _hand_built()
    assert hwsim.simulate(w, chip).latency_s > 0
    with pytest.raises(WorkloadError) as exc:
        hwsim.simulate(w, chip, dtype="int8")
    msg = str(exc.value)
    assert "hand: built in code" in msg and "dtype='int8'" in msg
    assert "load_workload(NAME_OR_PATH, dtype='int8')" in msg


def test_engine_takes_objects_and_the_chip_default_profile(tmp_path: Path) -> None:
    spec = hwsim.load_hardware(write_chip(tmp_path))
    w = _hand_built(batch=2)
    r = engine.simulate(w, spec)
    assert r.profile == spec.default_profile == "ideal"
    # 2 x 64 x 32 MACs at 1 TFLOPS fp16 (2 op per MAC) is the compute floor
    assert r.latency_s >= 2 * (2 * 64 * 32) / 1e12
    assert r.to_dict() == hwsim.simulate(w, spec).to_dict()
