"""The hwsim YAML model format: lowering, skip connections, parameters and error messages."""

from __future__ import annotations

from pathlib import Path

import pytest

from hwsim.errors import WorkloadError
from hwsim.resources import builtin_dir
from hwsim.workload import Workload, load_workload
from hwsim.workload.frontends.yaml_model import build_yaml_model, load_yaml_model

HEADER = "schema_version: 1\nname: t\ninput: {shape: [1, 3, 8, 8]}\n"


def _write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "model.yaml"
    p.write_text(text, encoding="utf-8")
    return p


def _model(tmp_path: Path, layers: str, **params: object) -> Workload:
    return load_yaml_model(_write(tmp_path, HEADER + "layers:\n" + layers), **params)


def test_example_matches_builtin_resnet8() -> None:
    path = builtin_dir("workloads") / "cifar-resnet8.yaml"
    a = load_workload(str(path))
    b = load_workload("mlperf-tiny-resnet8")
    assert isinstance(a, Workload) and isinstance(b, Workload)
    assert (
        (a.macs, a.params, a.flops) == (b.macs, b.params, b.flops) == (12_501_632, 78_186, a.flops)
    )
    assert a.peak_activation_bytes == b.peak_activation_bytes
    assert [op.op_type for op in a.ops] == [op.op_type for op in b.ops]


def test_sequential_lowering(tmp_path: Path) -> None:
    w = _model(
        tmp_path,
        """\
  - {op: conv2d, out_channels: 4, kernel: 3, padding: 1, bias: false}
  - {op: batchnorm}
  - {op: relu6}
  - {op: dropout, rate: 0.2}
  - {op: depthwise_conv2d, kernel: 3, stride: 2, padding: same}
  - {op: maxpool, kernel: 2}
  - {op: flatten}
  - {op: linear, out_features: 5}
  - {op: softmax}
""",
    )
    types = [op.op_type for op in w.ops]
    assert types == [
        "conv2d",
        "batchnorm",
        "relu6",
        "conv2d",
        "maxpool",
        "flatten",
        "linear",
        "softmax",
    ]
    assert w.ops[0].macs == 4 * 8 * 8 * 3 * 9 and w.ops[0].params == 4 * 27
    assert w.ops[3].op_class == "depthwise" and w.ops[3].macs == 4 * 4 * 4 * 9
    assert w.tensors[w.outputs[0]].shape == (1, 5)
    assert w.ops[6].macs == 4 * 2 * 2 * 5


def test_residual_and_from(tmp_path: Path) -> None:
    w = _model(
        tmp_path,
        """\
  - {op: conv2d, out_channels: 4, kernel: 1, name: a}
  - {op: relu, residual: a}
  - {op: conv2d, out_channels: 4, kernel: 1, from: input, name: b}
  - {op: mul, from: [a, b]}
  - {op: add, residual: b}
  - {op: concat, from: [a, b, input], axis: 1}
""",
    )
    types = [op.op_type for op in w.ops]
    assert types == ["conv2d", "relu", "add", "conv2d", "mul", "add", "concat"]
    ops = {op.name: op for op in w.ops}
    assert ops["relu1.residual"].inputs[1] == ops["a"].outputs[0]
    assert ops["b"].inputs == ("input",)
    assert w.tensors[w.outputs[0]].shape == (1, 11, 8, 8)
    # while conv 'b' runs: the input (read again by concat), 'a' (read by mul and concat)
    # and b's output are live; relu1's residual sum is dead (nothing reads it)
    assert w.memory_profile().live_bytes[3] == 3 * 64 * 4 + 4 * 64 * 4 + 4 * 64 * 4


def test_parameters(tmp_path: Path) -> None:
    layers = "  - {op: conv2d, out_channels: 4, kernel: 3, padding: 1}\n"
    w = _model(tmp_path, layers, batch=4, dtype="int8", resolution=16)
    assert w.batch == 4 and w.weight_dtype == "int8"
    assert w.tensors[w.inputs[0]].shape == (4, 3, 16, 16)
    assert w.macs == 4 * 4 * 16 * 16 * 27
    with pytest.raises(WorkloadError, match=r"unknown parameter.*width"):
        _model(tmp_path, layers, width=0.5)
    with pytest.raises(WorkloadError, match="dtype"):
        _model(tmp_path, layers, dtype="fp7")


@pytest.mark.parametrize(
    ("layers", "message"),
    [
        ("  - {op: relu}\n  - {op: convolution, out_channels: 4}\n", r"layer 1: unknown op 'convolution'"),
        ("  - {op: conv2d, out_channels: 4, kernel: 3, strides: 2}\n", r"layer 0 \(conv2d\): unknown field\(s\) strides"),
        ("  - {op: relu}\n  - {op: linear}\n", r"layer 1 \(linear\): missing field\(s\) out_features"),
        ("  - {op: relu, residual: nowhere}\n", r"layer 0 \(relu\): unknown layer 'nowhere'"),
        ("  - {op: add}\n", r"layer 0 \(add\): takes 2 input"),
        ("  - {op: conv2d, out_channels: 5, kernel: 3, groups: 2}\n", r"layer 0 \(conv2d\):.*groups"),
        ("  - {op: conv2d, out_channels: 4, kernel: abc}\n", r"layer 0 \(conv2d\): kernel"),
        ("  - {op: relu, name: a}\n  - {op: relu, name: a}\n", r"layer 1 \(relu\): duplicate layer name"),
        ("  - relu\n", r"layer 0: expected a mapping"),
    ],
)  # fmt: skip
def test_errors_name_layer_and_op(tmp_path: Path, layers: str, message: str) -> None:
    with pytest.raises(WorkloadError, match=message):
        _model(tmp_path, layers)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("schema_version: 2\nname: t\ninput: {shape: [1, 3]}\nlayers: [{op: relu}]\n", "schema_version"),
        ("schema_version: 1\nname: t\nlayers: [{op: relu}]\n", "missing field 'input'"),
        ("schema_version: 1\nname: t\ninput: {shape: [1, 3]}\nlayers: []\n", "non-empty list"),
        ("schema_version: 1\nname: t\ninput: {shape: [1, 3]}\nlayers: [{op: relu}]\nextra: 1\n", "unknown field"),
        ("schema_version: 1\nname: t\nname: u\ninput: {shape: [1, 3]}\nlayers: [{op: relu}]\n", "duplicate key 'name'"),
        ("schema_version: 1\nname: t\ninput: {shape: [1, x]}\nlayers: [{op: relu}]\n", "input.shape"),
        ("schema_version: 1\nname: t\ninput: {shape: [1, 3]}\nlayers: [{op: relu}]\noutputs: [nope]\n", "outputs"),
        ("[1, 2", "invalid YAML"),
    ],
)  # fmt: skip
def test_document_errors(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(WorkloadError, match=message):
        load_yaml_model(_write(tmp_path, text))


def test_outputs_and_dict_input() -> None:
    data = {
        "schema_version": 1,
        "name": "two-heads",
        "input": {"shape": [2, 16]},
        "layers": [
            {"op": "linear", "out_features": 8, "name": "h"},
            {"op": "linear", "out_features": 3, "name": "cls"},
            {"op": "linear", "out_features": 1, "from": "h", "name": "reg"},
        ],
        "outputs": ["cls", "reg"],
    }
    w = build_yaml_model(data)
    assert len(w.outputs) == 2
    assert w.macs == 2 * (16 * 8 + 8 * 3 + 8 * 1)


def test_missing_file() -> None:
    with pytest.raises(WorkloadError, match="no such file"):
        load_workload("does/not/exist.yaml")
