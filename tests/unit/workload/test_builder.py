"""GraphBuilder counting rules, each checked against a count worked out by hand."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from hwsim.errors import WorkloadError
from hwsim.workload.builder import (
    ACTIVATION_OPS,
    BATCHNORM_OPS_PER_ELEMENT,
    ELEMENTWISE_OPS,
    LAYERNORM_OPS_PER_ELEMENT,
    RMSNORM_OPS_PER_ELEMENT,
    SOFTMAX_OPS_PER_ELEMENT,
    GraphBuilder,
)
from hwsim.workload.ir import Op

ASSUMPTIONS = Path(__file__).resolve().parents[3] / "docs" / "assumptions.md"


def _last(g: GraphBuilder) -> Op:
    return g.ops[-1]


def test_conv_groups_stride_padding_dilation() -> None:
    g = GraphBuilder("t")
    x = g.input("x", (2, 8, 15, 17))
    y = g.conv2d(x, 12, (3, 5), stride=(2, 3), padding=(1, 2), dilation=(2, 1), groups=4)
    # effective kernel 5x5; Ho = (15 + 2 - 5) // 2 + 1 = 7; Wo = (17 + 4 - 5) // 3 + 1 = 6
    assert g.shape(y) == (2, 12, 7, 6)
    op = _last(g)
    # N x Cout x Ho x Wo x Cin/groups x kh x kw = 2 x 12 x 7 x 6 x 2 x 3 x 5
    assert op.macs == 30_240
    assert op.params == 12 * 2 * 3 * 5 + 12 == 372
    assert op.vector_ops == 2 * 12 * 7 * 6  # one bias add per output
    assert op.flops == 2 * 30_240 + 1008
    assert op.gemm is not None and op.gemm.groups == 4 and op.gemm.macs == op.macs
    assert (op.gemm.m, op.gemm.n, op.gemm.k) == (2 * 7 * 6, 3, 2 * 3 * 5)
    assert op.input_bytes == 2 * 8 * 15 * 17 * 4
    assert op.output_bytes == 2 * 12 * 7 * 6 * 4
    assert op.op_class == "conv"


def test_depthwise_conv() -> None:
    g = GraphBuilder("t")
    x = g.input("x", (1, 32, 10, 10))
    g.conv2d(x, 32, 3, padding=1, groups=32, bias=False)
    op = _last(g)
    assert op.op_class == "depthwise"
    assert op.macs == 32 * 10 * 10 * 9
    assert op.params == 32 * 9
    assert op.vector_ops == 0
    g.conv2d(x, 64, 3, stride=2, padding=1, groups=32, bias=False)  # depth multiplier 2
    op = _last(g)
    assert op.op_class == "depthwise"
    assert op.macs == 64 * 5 * 5 * 9 and op.params == 64 * 9


def test_same_padding_is_same_upper() -> None:
    g = GraphBuilder("t")
    x = g.input("x", (1, 1, 49, 10))
    assert g.shape(g.conv2d(x, 4, (10, 4), stride=2, padding="same")) == (1, 4, 25, 5)
    assert g.shape(g.conv2d(x, 4, 4, padding="same")) == (1, 4, 49, 10)  # even kernel
    assert g.shape(g.conv2d(x, 4, 3, stride=3, padding="same")) == (1, 4, 17, 4)


def test_linear() -> None:
    g = GraphBuilder("t")
    x = g.input("x", (2, 5, 16))
    y = g.linear(x, 24)
    op = _last(g)
    assert g.shape(y) == (2, 5, 24)
    assert op.macs == 10 * 16 * 24
    assert op.params == 16 * 24 + 24
    assert op.vector_ops == 10 * 24
    g.linear(y, 3, bias=False)
    assert _last(g).params == 72 and _last(g).vector_ops == 0


def test_pool_output_sizes_and_ops() -> None:
    g = GraphBuilder("t")
    x = g.input("x", (1, 3, 112, 112))
    assert g.shape(g.pool(x, "max", 3, stride=2, padding=1)) == (1, 3, 56, 56)
    assert _last(g).vector_ops == 3 * 56 * 56 * 9
    y = g.input("y", (1, 2, 13, 13))
    assert g.shape(g.pool(y, "max", 3, stride=2)) == (1, 2, 6, 6)
    z = g.input("z", (1, 2, 6, 6))
    assert g.shape(g.pool(z, "max", 3, stride=2)) == (1, 2, 2, 2)
    assert g.shape(g.pool(z, "max", 3, stride=2, ceil_mode=True)) == (1, 2, 3, 3)
    assert g.shape(g.pool(z, "avg", 2)) == (1, 2, 3, 3)
    assert _last(g).vector_ops == 2 * 3 * 3 * (4 + 1)  # 4 adds/compares + 1 divide
    assert g.shape(g.global_avgpool(y)) == (1, 2, 1, 1)
    assert _last(g).vector_ops == 2 * (13 * 13 + 1)


def _attention(sq: int, causal: bool, cache: int = 0) -> Op:
    g = GraphBuilder("t")
    q = g.input("q", (1, sq, 6))  # 2 heads x head_dim 3
    k = g.input("k", (1, sq, 3))  # GQA: 1 KV head
    v = g.input("v", (1, sq, 3))
    g.attention(q, k, v, heads=2, kv_heads=1, head_dim=3, causal=causal, kv_cache_len=cache)
    return _last(g)


def test_attention_causal_counts_unmasked_scores() -> None:
    # 4 tokens, causal: 1 + 2 + 3 + 4 = 10 visible scores per head, 2 heads
    op = _attention(4, causal=True)
    assert op.macs == 2 * 3 * 20  # QK^T and AV, head_dim 3
    assert op.vector_ops == 20 * (1 + SOFTMAX_OPS_PER_ELEMENT)
    full = _attention(4, causal=False)
    assert full.macs == 2 * 3 * 2 * 16
    # decode: 1 new token after 2 cached tokens sees 3 keys
    step = _attention(1, causal=True, cache=2)
    assert step.macs == 2 * 3 * 2 * 3
    assert step.state_read_bytes == 2 * 2 * 1 * 3 * 4  # K and V, 2 tokens, 1 KV head, fp32


# Pinned per-element counts: changing one must be deliberate (and documented).
EXPECTED_ACTIVATION_OPS = {
    "relu": 1,
    "relu6": 2,
    "leaky_relu": 2,
    "prelu": 2,
    "elu": 4,
    "sigmoid": 4,
    "hard_sigmoid": 4,
    "tanh": 1,
    "gelu": 5,
    "gelu_tanh": 9,
    "silu": 5,
    "hard_swish": 5,
    "identity": 0,
}


@pytest.mark.parametrize(("kind", "per"), sorted(EXPECTED_ACTIVATION_OPS.items()))
def test_activation_ops_per_element(kind: str, per: int) -> None:
    g = GraphBuilder("t")
    x = g.input("x", (2, 3, 4, 5))
    g.activation(x, kind)
    op = _last(g)
    assert op.vector_ops == per * 120
    assert op.macs == 0 and op.inplace
    assert op.params == (3 if kind == "prelu" else 0)


def test_norm_softmax_elementwise_ops() -> None:
    g = GraphBuilder("t")
    x = g.input("x", (2, 8, 4, 4))
    g.batchnorm(x)
    assert _last(g).vector_ops == 2 * 256 and _last(g).params == 2 * 8  # gamma, beta
    s = g.input("s", (2, 6, 10))
    g.softmax(s)
    assert _last(g).vector_ops == 5 * 120
    g.layernorm(s)
    assert _last(g).vector_ops == 8 * 120 and _last(g).params == 20
    g.layernorm(s, bias=False)
    assert _last(g).params == 10
    g.rmsnorm(s)
    assert _last(g).vector_ops == 4 * 120 and _last(g).params == 10
    # SE-style broadcast channel gate: (2,8,4,4) * (2,8,1,1) -> one mul per output element
    gate = g.input("gate", (2, 8, 1, 1))
    y = g.binary(x, gate, "mul")
    assert g.shape(y) == (2, 8, 4, 4) and _last(g).vector_ops == 256
    g.add(x, y)
    assert _last(g).vector_ops == 256
    assert (
        BATCHNORM_OPS_PER_ELEMENT,
        SOFTMAX_OPS_PER_ELEMENT,
        LAYERNORM_OPS_PER_ELEMENT,
        RMSNORM_OPS_PER_ELEMENT,
    ) == (2, 5, 8, 4)
    assert all(ELEMENTWISE_OPS[k] == 1 for k in ("add", "sub", "mul", "div", "max", "min"))


def test_dtypes_set_bytes() -> None:
    g = GraphBuilder("t", weight_dtype="int4", act_dtype="fp16")
    x = g.input("x", (1, 64))
    g.linear(x, 32, bias=False)
    op = _last(g)
    assert op.weight_bytes == 64 * 32 / 2
    assert op.input_bytes == 64 * 2 and op.output_bytes == 32 * 2
    assert op.compute_dtype == "fp16"


def test_builder_errors() -> None:
    g = GraphBuilder("t")
    x = g.input("x", (1, 6, 4, 4))
    with pytest.raises(WorkloadError, match="groups"):
        g.conv2d(x, 8, 3, groups=4)
    with pytest.raises(WorkloadError, match="output size"):
        g.conv2d(x, 8, 7)
    with pytest.raises(WorkloadError, match="activation"):
        g.activation(x, "swishy")
    with pytest.raises(WorkloadError, match="broadcast"):
        g.add(x, g.input("y", (1, 5, 4, 4)))
    with pytest.raises(WorkloadError):
        GraphBuilder("t", weight_dtype="int3")


def test_assumptions_doc_lists_every_activation_count() -> None:
    """docs/assumptions.md states each activation's op count as the builder uses it."""
    if not ASSUMPTIONS.is_file():
        pytest.fail(f"{ASSUMPTIONS} is missing")
    text = ASSUMPTIONS.read_text(encoding="utf-8")
    assert "## Workload counting" in text
    for kind, per in ACTIVATION_OPS.items():
        row = re.search(rf"^\| `{re.escape(kind)}` \| (\d+) \|", text, re.MULTILINE)
        assert row, f"docs/assumptions.md: add a row for activation `{kind}` ({per} ops)"
        assert int(row.group(1)) == per, f"docs/assumptions.md: `{kind}` says {row.group(1)}"
    for name, per in [
        ("softmax", SOFTMAX_OPS_PER_ELEMENT),
        ("layernorm", LAYERNORM_OPS_PER_ELEMENT),
        ("rmsnorm", RMSNORM_OPS_PER_ELEMENT),
        ("batchnorm", BATCHNORM_OPS_PER_ELEMENT),
    ]:
        assert re.search(rf"^\| {name} \| {per} \|", text, re.MULTILINE), name
