"""Hostile model files: ONNX, Hugging Face config.json and the hwsim YAML model format."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from .cases import deep_yaml, gpt2_text, laughs, yaml_model
from .conftest import (
    Directory,
    Fifo,
    FileSpec,
    Link,
    Sparse,
    assert_clean_error,
    assert_clean_ok,
    make_files,
)

onnx = pytest.importorskip("onnx")
from onnx import TensorProto, helper  # noqa: E402


def _onnx_bytes(
    nodes: list[Any], inputs: list[Any], outputs: list[Any], inits: list[Any] = (), opset: int = 17
) -> bytes:  # type: ignore[assignment]
    g = helper.make_graph(nodes, "g", inputs, outputs, initializer=list(inits))
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])
    m.ir_version = 8
    return m.SerializeToString()


def _x(name: str, shape: list[Any]) -> Any:
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, shape)


def _w(name: str, dims: list[int]) -> Any:
    t = TensorProto()
    t.name, t.data_type = name, TensorProto.FLOAT
    t.dims.extend(dims)
    if all(d > 0 for d in dims):
        n = 1
        for d in dims:
            n *= d
        t.float_data.extend([0.0] * n)
    return t


RELU = _onnx_bytes([helper.make_node("Relu", ["x"], ["y"])], [_x("x", [1, 4])], [_x("y", [1, 4])])
DYN = _onnx_bytes(
    [helper.make_node("Relu", ["x"], ["y"])], [_x("x", ["N", 4])], [_x("y", ["N", 4])]
)

ONNX_CASES: list[tuple[str, FileSpec, list[str], tuple[str, ...]]] = [
    (
        "duplicate-output",
        _onnx_bytes(
            [helper.make_node("Relu", ["x"], ["y"]), helper.make_node("Relu", ["x"], ["y"])],
            [_x("x", [1, 4])],
            [_x("y", [1, 4])],
        ),
        [],
        ("single static assignment",),
    ),
    (
        "negative-dims",
        _onnx_bytes(
            [helper.make_node("MatMul", ["x", "w"], ["y"])],
            [_x("x", [1, 4])],
            [_x("y", [1, 4])],
            [_w("w", [-5, 4])],
        ),
        [],
        ("negative dim",),
    ),
    (
        "matmul-mismatch",
        _onnx_bytes(
            [helper.make_node("MatMul", ["x", "w"], ["y"])],
            [_x("x", [1, 4])],
            [_x("y", [1, 3])],
            [_w("w", [5, 3])],
        ),
        [],
        ("matrix multiplication",),
    ),
    (
        "gemm-mismatch",
        _onnx_bytes(
            [helper.make_node("Gemm", ["x", "w", "b"], ["y"], transB=1)],
            [_x("x", [1, 4])],
            [_x("y", [1, 3])],
            [_w("w", [3, 5]), _w("b", [3])],
        ),
        [],
        ("model.onnx",),
    ),
    (
        "opset-999",
        _onnx_bytes(
            [helper.make_node("Relu", ["x"], ["y"])],
            [_x("x", [1, 4])],
            [_x("y", [1, 4])],
            opset=999,
        ),
        [],
        ("opset 999",),
    ),
    (
        "opset-0",
        _onnx_bytes(
            [helper.make_node("Relu", ["x"], ["y"])], [_x("x", [1, 4])], [_x("y", [1, 4])], opset=0
        ),
        [],
        ("opset 0",),
    ),
    (
        "undefined-input",
        _onnx_bytes(
            [helper.make_node("Relu", ["nope"], ["y"])], [_x("x", [1, 4])], [_x("y", [1, 4])]
        ),
        [],
        ("model.onnx",),
    ),
    ("no-nodes", _onnx_bytes([], [_x("x", [1, 4])], [_x("x", [1, 4])]), [], ("model.onnx",)),
    ("huge-dim", DYN, ["--dim", "N=" + "1" + "0" * 25], ("dim 'N'",)),
    ("zero-dim", DYN, ["--dim", "N=0"], ("dim",)),
    ("negative-dim-arg", DYN, ["--dim", "N=-1"], ("--dim",)),
    ("text-dim", DYN, ["--dim", "N=abc"], ("--dim",)),
    ("unknown-dim", DYN, ["--dim", "M=3"], ("M",)),
    ("missing-dim", DYN, [], ("dynamic dim",)),
    (
        "huge-static-dim",
        _onnx_bytes(
            [helper.make_node("Relu", ["x"], ["y"])],
            [_x("x", [10**9, 10**9])],
            [_x("y", [10**9, 10**9])],
        ),
        [],
        ("larger than",),
    ),
    ("garbage", b"\x08\x07not onnx at all" * 10, [], ("model.onnx",)),
    ("empty", b"", [], ("model.onnx",)),
    ("truncated", RELU[: len(RELU) // 2], [], ("model.onnx",)),
    ("text-file", "hello world\n", [], ("model.onnx",)),
    ("fifo", Fifo(), [], ("not a regular file",)),
    ("directory", Directory(), [], ("model.onnx",)),
    ("dev-zero", Link("/dev/zero"), [], ("not a regular file",)),
    ("huge-sparse", Sparse(3 << 30), [], ("too large",)),
]


@pytest.mark.parametrize(
    ("content", "extra", "needles"), [pytest.param(c, e, n, id=i) for i, c, e, n in ONNX_CASES]
)
def test_bad_onnx(
    cli: Any, tmp_path: Path, content: FileSpec, extra: list[str], needles: tuple[str, ...]
) -> None:
    make_files(tmp_path, {"model.onnx": content})
    assert_clean_error(cli(["profile", str(tmp_path / "model.onnx"), *extra]), *needles)


def test_valid_onnx_with_dim_is_accepted(cli: Any, tmp_path: Path) -> None:
    make_files(tmp_path, {"model.onnx": DYN})
    assert_clean_ok(cli(["profile", str(tmp_path / "model.onnx"), "--dim", "N=3"]))


HF_CASES: list[tuple[str, FileSpec, tuple[str, ...]]] = [
    ("200k-layers", gpt2_text(n_layer=200_000), ("n_layer", "limit")),
    ("layers-1e30", gpt2_text(n_layer=1e30), ("n_layer",)),
    ("width-1e30", gpt2_text(n_embd=1e30), ("n_embd",)),
    ("width-float", gpt2_text(n_embd=767.5), ("n_embd",)),
    ("width-negative", gpt2_text(n_embd=-768), ("n_embd",)),
    ("width-zero", gpt2_text(n_embd=0), ("n_embd",)),
    ("width-null", gpt2_text(n_embd=None), ("n_embd",)),
    ("heads-not-dividing", gpt2_text(n_head=7), ("config.json",)),
    ("vocab-huge", gpt2_text(vocab_size=10**20), ("vocab_size",)),
    ("nan-literal", gpt2_text().replace('"n_embd": 768', '"n_embd": NaN'), ("n_embd",)),
    ("model-type-missing", gpt2_text(model_type=...), ("model_type",)),
    ("model-type-unknown", gpt2_text(model_type="skynet"), ("skynet",)),
    ("model-type-list", gpt2_text(model_type=["gpt2"]), ("model_type",)),
    ("activation-unknown", gpt2_text(activation_function="sparkle"), ("sparkle",)),
    ("json-array", "[1, 2, 3]", ("JSON object",)),
    ("json-deep", "[" * 100_000 + "]" * 100_000, ("config.json",)),
    ("json-truncated", gpt2_text()[:100], ("JSON",)),
    ("not-json", "model_type: gpt2\n", ("JSON",)),
    ("empty", "", ("JSON",)),
    ("binary", bytes(range(256)), ("UTF-8",)),
    ("fifo", Fifo(), ("not a regular file",)),
    ("dev-zero", Link("/dev/zero"), ("not a regular file",)),
    ("huge-sparse", Sparse(64 << 20), ("too large",)),
]


@pytest.mark.parametrize(("content", "needles"), [pytest.param(c, n, id=i) for i, c, n in HF_CASES])
def test_bad_hf_config(
    cli: Any, tmp_path: Path, content: FileSpec, needles: tuple[str, ...]
) -> None:
    make_files(tmp_path, {"config.json": content})
    assert_clean_error(cli(["profile", str(tmp_path / "config.json")]), *needles)


def test_hf_config_with_bom_is_accepted(cli: Any, tmp_path: Path) -> None:
    (tmp_path / "config.json").write_bytes(b"\xef\xbb\xbf" + gpt2_text().encode())
    assert_clean_ok(
        cli(["profile", str(tmp_path / "config.json"), "--prompt-len", "8", "--gen-len", "2"])
    )


LAYER = "  - {op: conv2d, out_channels: 4, kernel: 3}\n"

YAML_MODEL_CASES: list[tuple[str, FileSpec, tuple[str, ...]]] = [
    ("flatten-start-dim-99", yaml_model("  - {op: flatten, start_dim: 99}\n"), ("start_dim 99",)),
    (
        "flatten-start-dim-negative",
        yaml_model("  - {op: flatten, start_dim: -9}\n"),
        ("start_dim",),
    ),
    ("flatten-start-dim-text", yaml_model("  - {op: flatten, start_dim: one}\n"), ("start_dim",)),
    (
        "channels-huge",
        yaml_model("  - {op: conv2d, out_channels: 1000000000000000, kernel: 3}\n"),
        ("larger than",),
    ),
    (
        "channels-zero",
        yaml_model("  - {op: conv2d, out_channels: 0, kernel: 3}\n"),
        ("out_channels",),
    ),
    (
        "channels-float",
        yaml_model("  - {op: conv2d, out_channels: 4.5, kernel: 3}\n"),
        ("out_channels",),
    ),
    (
        "channels-10e400",
        yaml_model("  - {op: conv2d, out_channels: " + "1" + "0" * 400 + ", kernel: 3}\n"),
        ("m.yaml",),
    ),
    (
        "kernel-bigger-than-input",
        yaml_model("  - {op: conv2d, out_channels: 4, kernel: 99}\n"),
        ("m.yaml",),
    ),
    ("unknown-op", yaml_model("  - {op: teleport}\n"), ("teleport",)),
    ("op-missing", yaml_model("  - {out_channels: 4}\n"), ("op",)),
    ("layers-not-list", yaml_model("  conv: 1\n"), ("layers",)),
    ("layers-empty", yaml_model("  []\n").replace("layers:\n  []", "layers: []"), ("layers",)),
    ("from-unknown", yaml_model("  - {op: relu, from: ghost}\n"), ("ghost",)),
    (
        "input-shape-huge",
        "schema_version: 1\nname: m\ninput: {shape: [1000000000, 1000000000, 1000000000]}\nlayers:\n  - {op: relu}\n",
        ("larger than",),
    ),
    (
        "input-shape-negative",
        "schema_version: 1\nname: m\ninput: {shape: [1, -3, 8, 8]}\nlayers:\n  - {op: relu}\n",
        ("m.yaml",),
    ),
    (
        "input-shape-text",
        "schema_version: 1\nname: m\ninput: {shape: abc}\nlayers:\n  - {op: relu}\n",
        ("shape",),
    ),
    ("too-many-layers", yaml_model("  - {op: relu}\n" * 100_001), ("100,000 ops",)),
    ("nested-deep", deep_yaml(5000, "layers"), ("invalid YAML",)),
    ("alias-bomb-param", laughs(key="description"), ("through aliases",)),
    ("duplicate-key", yaml_model(LAYER) + "name: twice\n", ("duplicate key",)),
    ("not-a-mapping", "- 1\n", ("m.yaml",)),
    ("fifo", Fifo(), ("not a regular file",)),
    ("directory", Directory(), ("m.yaml",)),
    ("huge-sparse", Sparse(64 << 20), ("too large",)),
]


@pytest.mark.parametrize(
    ("content", "needles"), [pytest.param(c, n, id=i) for i, c, n in YAML_MODEL_CASES]
)
def test_bad_yaml_model(
    cli: Any, tmp_path: Path, content: FileSpec, needles: tuple[str, ...]
) -> None:
    make_files(tmp_path, {"m.yaml": content})
    assert_clean_error(cli(["profile", str(tmp_path / "m.yaml")]), *needles)


def test_flatten_negative_start_dim_is_pytorch_semantics(cli: Any, tmp_path: Path) -> None:
    make_files(tmp_path, {"m.yaml": yaml_model("  - {op: flatten, start_dim: -3}\n")})
    out = cli(["profile", str(tmp_path / "m.yaml"), "--json", "-"])
    assert_clean_ok(out)
    # [1, 3, 8, 8] flattened from dim -3 (= 1): [1, 192]
    assert json.loads(out.stdout)["peak_activation_bytes"] >= 192 * 4
