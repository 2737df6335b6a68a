"""Activation memory from tensor liveness, in-place planning and the naive sum, by hand."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from hwsim.workload import DecoderWorkload, GraphBuilder, Workload, load_workload
from hwsim.workload.profile import profile_dict

REFERENCE = Path(__file__).resolve().parents[3].parent / "shared" / "reference" / "models.csv"
KIB = 1024


def _residual_block() -> Workload:
    """x (1 KiB) -> conv to 8 ch (a, 2 KiB) -> relu (b) -> conv to 4 ch (c, 1 KiB)
    -> add with x (d) -> relu (e). fp32, 8x8 maps."""
    g = GraphBuilder("block")
    x = g.input("x", (1, 4, 8, 8))  # 4 * 64 * 4 B = 1 KiB
    a = g.conv2d(x, 8, 3, padding=1, name="conv1")
    b = g.activation(a, "relu")
    c = g.conv2d(b, 4, 3, padding=1, name="conv2")
    d = g.add(c, x)
    e = g.activation(d, "relu", name="relu_out")
    return g.build([e])


def test_liveness_keeps_skip_alive() -> None:
    w = _residual_block()
    live = w.memory_profile("liveness").live_bytes
    # op0 conv1: x + a; op1 relu: x + a + b; op2 conv2: x + b + c; op3 add: x + c + d;
    # op4 relu: d + e. x stays allocated through op3 because the add reads it.
    assert live == (3 * KIB, 5 * KIB, 4 * KIB, 3 * KIB, 2 * KIB)
    assert w.peak_activation_bytes == 5 * KIB
    assert w.memory_profile("liveness").peak_index == 1


def test_inplace_planning() -> None:
    w = _residual_block()
    live = w.memory_profile("inplace").live_bytes
    # relu writes over a (a dies there), the add over c, the last relu over d;
    # conv2 still needs x (skip), b and c at once.
    assert live == (3 * KIB, 3 * KIB, 4 * KIB, 2 * KIB, 1 * KIB)
    assert w.memory_profile("inplace").peak_bytes == 4 * KIB


def test_inplace_needs_a_dying_input() -> None:
    g = GraphBuilder("t")
    x = g.input("x", (1, 256))  # 1 KiB
    y = g.activation(x, "relu")
    z = g.add(y, x)  # x is still needed: the relu cannot overwrite it
    w = g.build([z])
    assert w.memory_profile("inplace").live_bytes == (2 * KIB, 2 * KIB)


def test_naive_is_sum_of_tensors() -> None:
    w = _residual_block()
    naive = w.memory_profile("naive")
    # x 1 + a 2 + b 2 + c 1 + d 1 + e 1 KiB
    assert naive.live_bytes == (8 * KIB,) * 5
    assert naive.peak_bytes == sum(t.nbytes for t in w.tensors.values())


def test_views_take_no_memory() -> None:
    g = GraphBuilder("t")
    x = g.input("x", (1, 4, 8, 8))  # 1 KiB
    f = g.flatten(x)
    y = g.linear(f, 16)  # 64 B
    w = g.build([y])
    assert w.memory_profile("liveness").live_bytes == (KIB, KIB + 64)
    assert w.memory_profile("naive").peak_bytes == KIB + 64


def test_unknown_planning() -> None:
    with pytest.raises(ValueError, match="planning"):
        _residual_block().memory_profile("greedy")


def test_profile_reports_live_bytes_and_inplace() -> None:
    w = _residual_block()
    d = profile_dict(w)
    assert [row["live_bytes"] for row in d["layers"]] == list(w.memory_profile().live_bytes)
    assert [row["inplace"] for row in d["layers"]] == [False, True, False, True, True]
    assert d["peak_activation_bytes"] == 5 * KIB


def test_profile_fields() -> None:
    d = profile_dict(load_workload("mlperf-tiny-ds-cnn", dtype="int8", batch=2))
    assert list(d) == [
        "schema_version",
        "workload",
        "batch",
        "dtype",
        "macs",
        "flops",
        "params",
        "weight_bytes",
        "peak_activation_bytes",
        "layers",
    ]
    assert (d["schema_version"], d["workload"], d["batch"], d["dtype"]) == (
        1,
        "mlperf-tiny-ds-cnn",
        2,
        "int8",
    )
    assert d["macs"] == 2 * 2_656_768
    assert d["weight_bytes"] == d["params"]
    assert set(d["layers"][0]) == {
        "name",
        "op_type",
        "macs",
        "flops",
        "params",
        "weight_bytes",
        "input_bytes",
        "output_bytes",
        "live_bytes",
        "inplace",
    }
    assert sum(row["macs"] for row in d["layers"]) == d["macs"]


def test_profile_decoder_uses_prefill() -> None:
    def graph(tokens: int) -> Workload:
        g = GraphBuilder("toy-lm", family="decoder")
        x = g.input("h", (1, tokens, 8))
        return g.build([g.linear(x, 8, bias=False)])

    dec = DecoderWorkload(
        name="toy-lm",
        prompt_len=5,
        gen_len=3,
        batch=1,
        weight_dtype="fp16",
        act_dtype="fp16",
        kv_dtype="fp16",
        kv_bytes_per_token=32.0,
        build_prefill=lambda: graph(5),
        build_decode_step=lambda kv: graph(1),
    )
    d = profile_dict(dec)
    assert d["macs"] == 5 * 8 * 8
    assert d["kv_cache_bytes"] == 8 * 32.0
    assert (d["prompt_len"], d["gen_len"], d["dtype"]) == (5, 3, "fp16")


def _mcunetv2_peak_kib() -> float:
    if REFERENCE.is_file():
        with REFERENCE.open(newline="", encoding="utf-8") as f:
            for row in csv.DictReader(f):
                if row["model"] == "MobileNetV2" and "MCUNetV2" in row["variant"]:
                    assert row["peak_mem_unit"] == "kB"
                    return float(row["peak_mem"])
    pytest.skip(f"MCUNetV2 MobileNetV2 peak not in {REFERENCE}")


def test_mobilenet_v2_int8_peak_vs_mcunetv2() -> None:
    """MCUNetV2 (Fig. 1): MobileNetV2 int8 peaks at 1372 kB layer by layer.

    The resolution is not stated with the figure; 224x224 reproduces it exactly as the input
    plus output of block 2's 1x1 expansion, 112*112*(16 + 96) B = 1372 KiB. Our overall peak is
    the next op, block 2's stride-2 depthwise conv (112*112*96 + 56*56*96 B = 1470 KiB), because
    TinyEngine runs depthwise convs in place and our planner never does: compare within 10 %.
    """
    ref_kib = _mcunetv2_peak_kib()
    w = load_workload("mobilenet_v2", dtype="int8")
    prof = w.memory_profile("inplace")
    names = [op.name for op in w.ops]
    expand = names.index("features.2.expand")
    assert prof.live_bytes[expand] == ref_kib * KIB == 112 * 112 * (16 + 96)
    assert ref_kib * KIB <= prof.peak_bytes <= 1.10 * ref_kib * KIB
    assert w.ops[prof.peak_index].name == "features.2.dw"
