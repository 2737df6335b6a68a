"""Model-file frontends join a registry through a protocol (can_load / load)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from hwsim.errors import WorkloadError
from hwsim.workload import GraphBuilder, Workload, load_workload
from hwsim.workload import frontend as registry


class _Toy:
    """A made-up format: a ``.toy`` file holding one number, the width of one linear layer."""

    name = "toy-format"
    formats = ".toy file"
    params: frozenset[str] | None = frozenset({"batch"})

    def can_load(self, path: Path) -> bool:
        return path.suffix == ".toy"

    def load(self, path: Path, **params: Any) -> Workload:
        batch = int(params.get("batch", 1))
        width = int(path.read_text())
        g = GraphBuilder(path.stem, batch=batch)
        x = g.input("x", (batch, width))
        return g.build([g.linear(x, width, name="fc")])


@pytest.fixture
def toy_frontend(monkeypatch: pytest.MonkeyPatch) -> _Toy:
    monkeypatch.setattr(registry, "_FRONTENDS", dict(registry._FRONTENDS))
    registry.frontends()  # built-ins first
    return registry.register_frontend(_Toy())  # type: ignore[return-value]


def test_builtin_frontends_claim_their_files(tmp_path: Path) -> None:
    names = {f.name for f in registry.frontends()}
    assert {"onnx", "hf_config", "yaml"} <= names
    snapshot = tmp_path / "snap"
    snapshot.mkdir()
    (snapshot / "config.json").write_text("{}")
    claims = {
        "m.onnx": "onnx",
        "M.ONNX": "onnx",
        "config.json": "hf_config",
        "m.yaml": "yaml",
        "m.yml": "yaml",
        str(snapshot): "hf_config",
    }
    for path, name in claims.items():
        got = registry.frontend_for(Path(path))
        assert got is not None and got.name == name, path
    assert registry.frontend_for(Path("m.tflite")) is None
    assert registry.frontend_for(tmp_path) is None  # a folder without config.json


def test_a_new_format_is_one_registered_object(tmp_path: Path, toy_frontend: _Toy) -> None:
    model = tmp_path / "wide.toy"
    model.write_text("64")
    w = load_workload(model, batch=2)
    # one linear layer 64 -> 64 on a batch of 2: 2 x 64 x 64 MACs
    assert w.name == "wide" and w.macs == 2 * 64 * 64 and w.batch == 2
    with pytest.raises(WorkloadError, match=r"wide.toy: .toy files take batch; not dtype"):
        load_workload(model, dtype="int8")
    with pytest.raises(WorkloadError, match=r"missing.toy: no such file"):
        load_workload(tmp_path / "missing.toy")
    with pytest.raises(WorkloadError, match=r"or a model file: .*\.toy file"):
        load_workload("nothing-known")


def test_registering_needs_the_protocol_and_a_new_name(toy_frontend: _Toy) -> None:
    with pytest.raises(TypeError, match="Frontend protocol"):
        registry.register_frontend(object())  # type: ignore[arg-type]
    with pytest.raises(RuntimeError, match="registered twice"):
        registry.register_frontend(_Toy())
