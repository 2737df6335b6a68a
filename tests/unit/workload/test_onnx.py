"""ONNX frontend on tiny models built in code, their counts derived by hand."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

from hwsim.errors import WorkloadError  # noqa: E402
from hwsim.workload import Workload, load_workload  # noqa: E402
from hwsim.workload.frontends.onnx import load_onnx  # noqa: E402

FLOAT = TensorProto.FLOAT


def _init(name: str, shape: tuple[int, ...], value: Any = None, dtype: Any = np.float32) -> Any:
    arr = np.zeros(shape, dtype=dtype) if value is None else np.array(value, dtype=dtype)
    return numpy_helper.from_array(arr, name)


def _save(
    tmp_path: Path,
    nodes: list[Any],
    inputs: list[Any],
    outputs: list[str],
    inits: list[Any],
    *,
    name: str = "model.onnx",
    opset: int = 17,
    value_info: list[Any] | None = None,
    domains: tuple[str, ...] = (),
) -> Path:
    graph = helper.make_graph(
        nodes,
        "tiny",
        inputs,
        [helper.make_tensor_value_info(o, FLOAT, None) for o in outputs],
        inits,
        value_info=value_info or [],
    )
    opsets = [helper.make_opsetid("", opset)] + [helper.make_opsetid(d, 1) for d in domains]
    model = helper.make_model(graph, opset_imports=opsets)
    path = tmp_path / name
    onnx.save(model, str(path))
    return path


def _inp(name: str, shape: list[Any], elem: int = FLOAT) -> Any:
    return helper.make_tensor_value_info(name, elem, shape)


def _op(w: Workload, name: str) -> Any:
    return next(op for op in w.ops if op.name == name)


def _conv_relu_gemm(tmp_path: Path, batch: Any = 1, *, custom: bool = False) -> Path:
    """x(B,3,8,8) -conv 4x3x3x3 pad 1-> relu [-> custom op] -> flatten -> gemm 256->10."""
    nodes = [
        helper.make_node("Conv", ["x", "w", "b"], ["c"], pads=[1, 1, 1, 1], name="conv1"),
        helper.make_node("Relu", ["c"], ["r"], name="relu1"),
    ]
    last = "r"
    value_info = []
    if custom:
        nodes.append(helper.make_node("FooBar", ["r"], ["f"], domain="com.example", name="foo"))
        value_info.append(_inp("f", [batch, 4, 8, 8]))
        last = "f"
    nodes += [
        helper.make_node("Flatten", [last], ["fl"], axis=1, name="flatten"),
        helper.make_node("Gemm", ["fl", "w2", "b2"], ["y"], transB=1, name="fc"),
    ]
    inits = [_init("w", (4, 3, 3, 3)), _init("b", (4,)), _init("w2", (10, 256)), _init("b2", (10,))]
    return _save(
        tmp_path,
        nodes,
        [_inp("x", [batch, 3, 8, 8])],
        ["y"],
        inits,
        value_info=value_info,
        domains=("com.example",) if custom else (),
    )


CONV_MACS = 4 * 8 * 8 * 3 * 3 * 3  # Cout x Ho x Wo x Cin x kh x kw = 6912
FC_MACS = 256 * 10
PARAMS = (4 * 3 * 3 * 3 + 4) + (256 * 10 + 10)  # 2682


def test_conv_relu_gemm_counts(tmp_path: Path) -> None:
    w = load_onnx(_conv_relu_gemm(tmp_path))
    assert [op.op_type for op in w.ops] == ["conv2d", "relu", "reshape", "linear"]
    assert w.macs == CONV_MACS + FC_MACS == 9472
    assert w.params == PARAMS
    # bias adds (conv 256 outputs, fc 10) + relu on 256 elements
    assert w.vector_ops == 256 + 10 + 256
    assert w.tensors[w.outputs[0]].shape == (1, 10)
    assert w.weight_bytes == 4 * PARAMS
    assert w.name == "model" and w.family == "onnx" and w.unsupported == ()


def test_dtype_override_changes_bytes_not_counts(tmp_path: Path) -> None:
    w = load_onnx(_conv_relu_gemm(tmp_path), dtype="int8")
    assert w.macs == 9472 and w.weight_bytes == PARAMS
    assert w.tensors[w.inputs[0]].dtype == "int8"


def test_residual_add(tmp_path: Path) -> None:
    nodes = [
        helper.make_node("Conv", ["x", "w"], ["c"], pads=[1, 1, 1, 1], name="conv"),
        helper.make_node("Add", ["x", "c"], ["s"], name="residual"),
        helper.make_node("Relu", ["s"], ["y"], name="relu"),
    ]
    path = _save(tmp_path, nodes, [_inp("x", [1, 4, 6, 6])], ["y"], [_init("w", (4, 4, 3, 3))])
    w = load_onnx(path)
    assert w.macs == 4 * 6 * 6 * 4 * 3 * 3
    add = _op(w, "residual")
    assert add.op_type == "add" and add.vector_ops == 4 * 6 * 6 and add.params == 0
    assert set(add.inputs) == {w.inputs[0], _op(w, "conv").outputs[0]}
    assert w.params == 4 * 4 * 9


def test_depthwise_and_same_padding(tmp_path: Path) -> None:
    nodes = [
        helper.make_node(
            "Conv", ["x", "dw"], ["d"], group=8, strides=[2, 2], pads=[1, 1, 1, 1], name="dw"
        ),
        # SAME_UPPER, stride 2 on 5x5: out 3x3, total padding 2 -> (1, 1)
        helper.make_node(
            "Conv", ["d", "dw2"], ["y"], group=8, strides=[2, 2], auto_pad="SAME_UPPER", name="dw2"
        ),
    ]
    inits = [_init("dw", (8, 1, 3, 3)), _init("dw2", (8, 1, 3, 3))]
    w = load_onnx(_save(tmp_path, nodes, [_inp("x", [1, 8, 10, 10])], ["y"], inits))
    first, second = _op(w, "dw"), _op(w, "dw2")
    assert first.op_class == "depthwise" and second.op_class == "depthwise"
    assert w.tensors[first.outputs[0]].shape == (1, 8, 5, 5)
    assert first.macs == 8 * 5 * 5 * 9
    assert w.tensors[second.outputs[0]].shape == (1, 8, 3, 3)
    assert second.macs == 8 * 3 * 3 * 9
    assert w.params == 2 * 8 * 9


def test_asymmetric_pads(tmp_path: Path) -> None:
    # TF-style stride-2 conv with pads only at the end: 9 + 0 + 1 -> (10 - 3) // 2 + 1 = 4
    nodes = [
        helper.make_node("Conv", ["x", "w"], ["y"], strides=[2, 2], pads=[0, 0, 1, 1], name="c")
    ]
    w = load_onnx(
        _save(tmp_path, nodes, [_inp("x", [1, 2, 9, 9])], ["y"], [_init("w", (3, 2, 3, 3))])
    )
    assert w.tensors[w.outputs[0]].shape == (1, 3, 4, 4)
    assert w.macs == 3 * 4 * 4 * 2 * 9


def test_matmul_between_activations_and_with_weights(tmp_path: Path) -> None:
    nodes = [
        helper.make_node("MatMul", ["x", "wq"], ["q"], name="q_proj"),
        helper.make_node("Transpose", ["q"], ["qt"], perm=[0, 2, 1], name="qt"),
        helper.make_node("MatMul", ["q", "qt"], ["s"], name="scores"),
        helper.make_node("Div", ["s", "scale"], ["sd"], name="scale"),
        helper.make_node("Softmax", ["sd"], ["p"], axis=-1, name="softmax"),
        helper.make_node("MatMul", ["p", "q"], ["y"], name="av"),
    ]
    inits = [_init("wq", (8, 8)), _init("scale", (), 2.0)]
    w = load_onnx(_save(tmp_path, nodes, [_inp("x", [1, 4, 8])], ["y"], inits))
    q, scores, av = _op(w, "q_proj"), _op(w, "scores"), _op(w, "av")
    assert q.op_type == "linear" and q.macs == 4 * 8 * 8 and q.params == 64
    assert scores.op_type == "matmul" and scores.macs == 4 * 4 * 8 and scores.params == 0
    assert av.macs == 4 * 8 * 4
    assert _op(w, "scale").params == 0  # a scalar constant is not a parameter
    assert _op(w, "softmax").vector_ops == 5 * 16
    assert w.params == 64


def test_dynamic_batch_dim(tmp_path: Path) -> None:
    path = _conv_relu_gemm(tmp_path, "batch")
    with pytest.raises(WorkloadError) as exc:
        load_onnx(path)
    msg = str(exc.value)
    assert "'x'" in msg and "'batch'" in msg and "\n" not in msg
    # the library names its parameter; the CLI spells it as its flag
    assert "`dims`" in msg and "batch=1" in msg and "--" not in msg
    assert "give --dim a value for it, e.g. batch=1" in exc.value.spelled({"dims": "--dim"})
    w = load_onnx(path, dims={"batch": 3})
    assert w.macs == 3 * 9472 and w.batch == 3 and w.params == PARAMS
    assert load_onnx(path, batch=2).macs == 2 * 9472
    both = load_onnx(path, dims={"batch": 4}, batch=2)  # dims win
    assert both.macs == 4 * 9472 and both.batch == 4
    with pytest.raises(WorkloadError, match="no dynamic input dim named seq"):
        load_onnx(path, dims={"batch": 1, "seq": 5})


def test_unnamed_dynamic_dim_and_fixed_batch(tmp_path: Path) -> None:
    nodes = [helper.make_node("Relu", ["x"], ["y"], name="r")]
    dyn = _save(tmp_path, nodes, [_inp("x", [1, None])], ["y"], [], name="dyn.onnx")
    with pytest.raises(WorkloadError, match=r"x\.1"):
        load_onnx(dyn)
    assert load_onnx(dyn, dims={"x.1": 7}).vector_ops == 7
    with pytest.raises(WorkloadError, match="fixed batch of 1"):
        load_onnx(dyn, dims={"x.1": 7}, batch=4)


def test_truncated_and_garbage_files(tmp_path: Path) -> None:
    good = _conv_relu_gemm(tmp_path).read_bytes()
    truncated = tmp_path / "truncated.onnx"
    truncated.write_bytes(good[: len(good) // 2])
    garbage = tmp_path / "garbage.onnx"
    garbage.write_bytes(b"\xff\x00not a model" * 7)
    for path in (truncated, garbage):
        with pytest.raises(WorkloadError) as exc:
            load_onnx(path)
        msg = str(exc.value)
        assert path.name in msg and "\n" not in msg
    with pytest.raises(WorkloadError, match="no such file"):
        load_onnx(tmp_path / "missing.onnx")


def test_unknown_op_is_an_error_or_listed(tmp_path: Path) -> None:
    path = _conv_relu_gemm(tmp_path, custom=True)
    with pytest.raises(WorkloadError) as exc:
        load_onnx(path)
    msg = str(exc.value)
    assert "FooBar" in msg and "'foo'" in msg and "\n" not in msg
    w = load_onnx(path, allow_unsupported=True)
    assert w.unsupported == ("foo (com.example.FooBar)",)
    foo = _op(w, "foo")
    assert foo.macs == 0 and foo.vector_ops == 0 and dict(foo.attrs)["unsupported"] is True
    # the rest is still counted, shapes continue through the listed op
    assert w.macs == 9472 and w.params == PARAMS


def test_unsupported_standard_op_keeps_inferred_shape(tmp_path: Path) -> None:
    nodes = [
        helper.make_node("Relu", ["x"], ["r"], name="relu"),
        helper.make_node("Celu", ["r"], ["c"], name="celu"),
        helper.make_node("Reshape", ["c", "shape"], ["y"], name="reshape"),
    ]
    inits = [_init("shape", (2,), [2, -1], np.int64)]
    path = _save(tmp_path, nodes, [_inp("x", [2, 3, 4])], ["y"], inits)
    with pytest.raises(WorkloadError, match="Celu"):
        load_onnx(path)
    w = load_onnx(path, allow_unsupported=True)
    assert w.unsupported == ("celu (Celu)",)
    assert w.tensors[w.outputs[0]].shape == (2, 12)


def test_weights_without_stored_data(tmp_path: Path) -> None:
    """Initializers whose data lives in an absent external file: shapes are enough."""

    def external(name: str, dims: list[int]) -> Any:
        t = TensorProto()
        t.name, t.data_type = name, FLOAT
        t.dims.extend(dims)
        t.data_location = TensorProto.EXTERNAL
        for key, value in (("location", "weights.bin"), ("offset", "0"), ("length", "4")):
            entry = t.external_data.add()
            entry.key, entry.value = key, value
        return t

    nodes = [
        helper.make_node("Conv", ["x", "w"], ["c"], name="conv"),
        helper.make_node("Flatten", ["c"], ["f"], name="flatten"),
        helper.make_node("MatMul", ["f", "fc"], ["y"], name="fc"),
    ]
    inits = [external("w", [16, 3, 3, 3]), external("fc", [16 * 6 * 6, 5])]
    w = load_onnx(_save(tmp_path, nodes, [_inp("x", [1, 3, 8, 8])], ["y"], inits))
    assert w.params == 16 * 27 + 576 * 5
    assert w.macs == 16 * 36 * 27 + 576 * 5


def test_embedding_layernorm_gelu_and_tied_head(tmp_path: Path) -> None:
    """GPT-style: Gather from the table, LayerNorm, GELU, logits = x @ table^T (tied)."""
    nodes = [
        helper.make_node("Gather", ["table", "ids"], ["e"], name="wte"),
        helper.make_node("LayerNormalization", ["e", "ln_s", "ln_b"], ["n"], name="ln"),
        helper.make_node("Gelu", ["n"], ["g"], name="gelu"),
        helper.make_node("Transpose", ["table"], ["table_t"], perm=[1, 0], name="tt"),
        helper.make_node("MatMul", ["g", "table_t"], ["y"], name="lm_head"),
    ]
    inits = [_init("table", (50, 16)), _init("ln_s", (16,)), _init("ln_b", (16,))]
    path = _save(tmp_path, nodes, [_inp("ids", [2, 7], TensorProto.INT64)], ["y"], inits, opset=20)
    w = load_onnx(path)
    emb, head = _op(w, "wte"), _op(w, "lm_head")
    assert emb.op_type == "embedding" and emb.params == 50 * 16
    assert head.params == 0 and head.macs == 2 * 7 * 16 * 50  # tied: counted once
    assert head.weights_read == 50 * 16 * 4
    assert _op(w, "ln").params == 32 and _op(w, "gelu").op_type == "gelu"
    assert w.params == 50 * 16 + 32
    assert "tt" not in {op.name for op in w.ops}  # folded: a weight transpose is free


def test_pooling_resize_concat_and_views(tmp_path: Path) -> None:
    nodes = [
        helper.make_node("BatchNormalization", ["x", "s", "b", "m", "v"], ["bn"], name="bn"),
        helper.make_node("Clip", ["bn", "lo", "hi"], ["r6"], name="relu6"),
        helper.make_node("MaxPool", ["r6"], ["mp"], kernel_shape=[2, 2], strides=[2, 2], name="mp"),
        helper.make_node("Resize", ["mp", "", "scales"], ["up"], mode="nearest", name="up"),
        helper.make_node("Concat", ["up", "r6"], ["cat"], axis=1, name="cat"),
        helper.make_node("GlobalAveragePool", ["cat"], ["gap"], name="gap"),
        helper.make_node("Shape", ["gap"], ["shp"], name="shape"),
        helper.make_node("Gather", ["shp", "zero"], ["n"], axis=0, name="batch_dim"),
        helper.make_node("Unsqueeze", ["n", "zero_axes"], ["n1"], name="n1"),
        helper.make_node("Concat", ["n1", "minus_one"], ["target"], axis=0, name="target"),
        helper.make_node("Reshape", ["gap", "target"], ["flat"], name="flat"),
        helper.make_node("HardSigmoid", ["flat"], ["y"], name="hsig"),
    ]
    inits = [
        _init("s", (4,)),
        _init("b", (4,)),
        _init("m", (4,)),
        _init("v", (4,)),
        _init("lo", (), 0.0),
        _init("hi", (), 6.0),
        _init("scales", (4,), [1, 1, 2, 2]),
        _init("zero", (), 0, np.int64),
        _init("zero_axes", (1,), [0], np.int64),
        _init("minus_one", (1,), [-1], np.int64),
    ]
    w = load_onnx(_save(tmp_path, nodes, [_inp("x", [1, 4, 8, 8])], ["y"], inits))
    types = [op.op_type for op in w.ops]
    assert types == [
        "batchnorm",
        "relu6",
        "maxpool",
        "resize",
        "concat",
        "globalavgpool",
        "reshape",
        "hard_sigmoid",
    ]
    assert w.tensors[w.outputs[0]].shape == (1, 8)
    assert w.macs == 0
    assert _op(w, "relu6").vector_ops == 2 * 256
    assert _op(w, "mp").vector_ops == 4 * 4 * 4 * 4
    assert _op(w, "gap").vector_ops == 8 * (64 + 1)
    assert _op(w, "flat").view
    assert w.params == 8  # batchnorm folded to scale and shift per channel


def test_load_workload_dispatches_onnx(tmp_path: Path) -> None:
    path = _conv_relu_gemm(tmp_path, "N")
    w = load_workload(str(path), dims={"N": 2})
    assert isinstance(w, Workload) and w.macs == 2 * 9472


def test_undefined_tensor_is_reported(tmp_path: Path) -> None:
    nodes = [helper.make_node("Relu", ["nowhere"], ["y"], name="r")]
    path = _save(tmp_path, nodes, [_inp("x", [1, 2])], ["y"], [])
    with pytest.raises(WorkloadError, match="undefined tensor 'nowhere'"):
        load_onnx(path)


def test_ceil_mode_pool_follows_onnx_inference(tmp_path: Path) -> None:
    """5x5, kernel 2, stride 2, pads 1, ceil_mode: PyTorch drops the window that would start
    in the end padding (3x3); ONNX shape inference keeps it (4x4). The ONNX model's own
    shapes win, the builder keeps PyTorch's rule."""
    from hwsim.workload.builder import GraphBuilder

    g = GraphBuilder("t")
    x = g.input("x", (1, 1, 5, 5))
    assert g.shape(g.pool(x, "max", 2, stride=2, padding=1, ceil_mode=True)) == (1, 1, 3, 3)
    node = helper.make_node(
        "MaxPool",
        ["x"],
        ["y"],
        kernel_shape=[2, 2],
        strides=[2, 2],
        pads=[1, 1, 1, 1],
        ceil_mode=1,
        name="mp",
    )
    w = load_onnx(_save(tmp_path, [node], [_inp("x", [1, 1, 5, 5])], ["y"], []))
    assert w.tensors[w.outputs[0]].shape == (1, 1, 4, 4)
    assert w.vector_ops == 16 * 4
