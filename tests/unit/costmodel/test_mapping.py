"""Seam tests: mappings and the cost that follows from them, checked by hand."""

from __future__ import annotations

import math

import pytest

import hwsim
from hwsim.costmodel import (
    CostContext,
    Mapping,
    MapRequest,
    Operands,
    cost_from_mapping,
    level_traffic,
    place,
    reuse_refetch,
)
from hwsim.costmodel.mappers import gpu_mapping_for, gpu_tile_counts
from hwsim.costmodel.opcost import OpCost
from hwsim.engine.schedule import schedule
from hwsim.errors import SimulationError
from hwsim.workload import GraphBuilder
from hwsim.workload.ir import GemmShape


def test_level_traffic_by_hand() -> None:
    # A: 100 B from level 1 into level 0, read twice at 0; B: 200 B straight from level 2
    # into 0 (bypassing 1), read 3 times from 2; C: 50 B written at 0 with one spill
    # (factor 3 = 2 r - 1, r = 2) at accumulator width x2, drained to level 1.
    reads, writes, fills = level_traffic(
        3,
        (100.0, 200.0, 50.0),
        ((0, 1), (0, 2), (0, 1)),
        ((2.0, 1.0, 3.0), (1.0, 1.0, 1.0), (1.0, 3.0, 1.0)),
        2.0,
    )
    spill = 50 * 2 * 1  # r - 1 = 1 spill of 50 B at 2x width
    # level 0: A read twice (200) + B read once (200) + C spill read back (100) + C drained
    # to level 1 (50, factor 1 there: no spill at level 1)
    assert reads[0] == pytest.approx(200 + 200 + spill + 50)
    # level 0 writes: fills of A (100 x 1) and B (200 x 3), C final + spill (50 + 100)
    assert writes[0] == pytest.approx(100 + 600 + 50 + spill)
    assert fills[0] == pytest.approx(100 + 600)
    assert reads[1] == pytest.approx(100) and writes[1] == pytest.approx(50)
    assert reads[2] == pytest.approx(600) and writes[2] == 0


def test_cache_reuse_distance_by_hand() -> None:
    # 64^3 GEMM in 16^3 tiles, loop order m, n, k (k innermost); A, B 1 B/el, C 4 B/el.
    # A (m, k) is re-read across n unless the body of the n loop fits:
    #   16x64 A + 64x16 B + 16x16x4 C = 3072 B.
    # B (k, n) is re-read across m unless the body of the m loop fits:
    #   16x64 A + 64x64 B + 16x64x4 C = 9216 B.
    # C (m, n) has no loop outside its innermost relevant loop that does not index it.
    args = (64, 64, 64, (1.0, 1.0, 4.0), (16, 16, 16), "mnk")
    assert reuse_refetch(*args, 10_000.0) == (1.0, 1.0, 1.0)
    assert reuse_refetch(*args, 9_216.0) == (1.0, 1.0, 1.0)
    assert reuse_refetch(*args, 4_000.0) == (1.0, 4.0, 1.0)
    assert reuse_refetch(*args, 3_000.0) == (4.0, 4.0, 1.0)


def _gpu_request(m: int, n: int, k: int) -> tuple[MapRequest, CostContext, object, object]:
    spec = hwsim.load_hardware("a100-80gb-sxm")
    g = GraphBuilder("g", weight_dtype="fp16", act_dtype="fp16")
    x = g.input("x", (m, k))
    y = g.linear(x, n, bias=False)
    w = g.build([y])
    op = w.ops[0]
    prof = spec.profile(None)
    ctx = CostContext(spec, prof, place(spec, w.weight_bytes, 0.0))
    from hwsim.costmodel.opcost import _operands

    unit = spec.unit("tensor")
    ops, _ = _operands(ctx, op, unit, ctx.placement.act_level, False)
    req = MapRequest(
        gemm=op.gemm,
        kernel=(1, 1),
        macs=op.macs,
        operands=ops,
        unit=unit,
        dtype="fp16",
        levels=tuple(spec.memory),
        eff=1.0,
        bw_eff=1.0,
        objective="latency",
    )
    return req, ctx, op, ops


def test_wave_quantisation_on_a100() -> None:
    # 128 x 128 CTA tiles on 108 SMs: M = 108 x 128 rows is 108 tiles (one wave), one more
    # tile row is 109 tiles: two waves, twice the tensor time for 1/108 more work.
    g108 = GemmShape(1, 108 * 128, 128, 4096)
    g109 = GemmShape(1, 109 * 128, 128, 4096)
    assert gpu_tile_counts(g108, 128.0, 128.0, 1.0, 108)[2:] == (108, 1)
    assert gpu_tile_counts(g109, 128.0, 128.0, 1.0, 108)[2:] == (109, 2)
    t = {}
    for rows in (108, 109):
        req, ctx, op, ops = _gpu_request(rows * 128, 128, 4096)
        mp = gpu_mapping_for(req, 128.0, 128.0, 1.0, 0)
        assert mp.waves == rows - 107
        cost = cost_from_mapping(ctx, op, req.unit, "fp16", ops, mp)
        t[rows] = cost.compute_s
        # one wave: 128 x 128 x 4096 MACs per SM at 312 TFLOPS / 108 per SM
        per_sm = 312e12 / 108
        eff = ctx.profile.efficiency.gemm
        assert cost.compute_s == pytest.approx(
            mp.waves * 2 * 128 * 128 * 4096 / (per_sm * eff), rel=1e-9
        )
        assert mp.utilization == pytest.approx(rows / (mp.waves * 108), rel=1e-12)
    assert t[109] == pytest.approx(2 * t[108], rel=1e-12)


def test_gpu_accumulators_in_registers_and_l2_fills_charged_once() -> None:
    # Batch-1 decode GEMV 1 x 4096 @ 4096 x 4096 fp16: weights (32 MiB) cross HBM and
    # L2 once; the output never touches shared memory (accumulators in registers).
    req, ctx, op, ops = _gpu_request(1, 4096, 4096)
    from hwsim.costmodel.mappers import map_op

    mp = map_op(req)
    assert mp.accumulators == "registers"
    smem = 0
    assert smem not in mp.paths[2]
    cost = cost_from_mapping(ctx, op, req.unit, "fp16", ops, mp)
    w = 4096 * 4096 * 2
    names = [m.name for m in ctx.spec.memory]
    hbm, l2 = names.index("hbm"), names.index("l2")
    assert cost.read_bytes[hbm] == pytest.approx(w, rel=1e-9)
    # the L2 is read once per weight byte (the fill into L2 forwards it: no port time)
    l2_bytes_read = cost.read_bytes[l2]
    assert l2_bytes_read == pytest.approx(w + 2 * 4096 * mp.factors[l2][0], rel=1e-6)
    spec_l2 = ctx.spec.memory[l2]
    bw = spec_l2.bandwidth * ctx.profile.bandwidth_efficiency
    port_writes = cost.write_bytes[l2] - w  # the weight fill is not port time
    assert cost.mem_s[l2] == pytest.approx(
        spec_l2.latency + (l2_bytes_read + port_writes) / bw, rel=1e-9
    )


def test_array_maps_c_on_rows_and_k_on_cols_on_tpu_like() -> None:
    # ResNet-18 conv1: C = 3 input channels on the 32 rows, K = 64 on the 32 columns;
    # FX, FY (7 x 7) and the 112 x 112 output pixels run in time.
    r = hwsim.simulate("resnet18", "tpu-like", dtype="int8")
    conv1 = next(x for x in r.layers if x.name == "conv1")
    assert conv1.mapping is not None
    assert conv1.mapping["utilization"] == pytest.approx(3 / 32)
    assert conv1.mapping["spatial"][0] == {"axis": "rows", "dims": "C", "used": 3, "size": 32}
    cycles = math.ceil(3 / 32) * math.ceil(64 / 32) * 7 * 7 * 112 * 112
    fill_drain = 32 + 32 - 2
    assert conv1.resource_s["compute"] == pytest.approx((cycles + fill_drain) * 1e-9, rel=1e-12)
    assert conv1.utilization is not None and conv1.utilization < 0.15


def test_fused_ops_are_labelled_fused() -> None:
    r = hwsim.simulate("resnet18", "tpu-like", dtype="int8")
    relu = next(x for x in r.layers if x.name == "conv1.relu")
    assert relu.bound == "fused"
    assert r.bound_counts["fused"] >= 1


def _cost(name: str, compute: float, dram: float, prefetch: float) -> OpCost:
    return OpCost(
        name=name,
        op_type="linear",
        op_class="gemm",
        unit="u",
        dtype="int8",
        macs=1,
        flops=2,
        compute_s=compute,
        overhead_s=0.0,
        read_bytes=(1.0,),
        write_bytes=(0.0,),
        mem_s=(dram,),
        compute_j=0.0,
        mem_j=(0.0,),
        prefetch_s=(prefetch,),
    )


def test_double_buffering_fetches_next_weights_during_compute() -> None:
    # op0 computes 10 s and reads DRAM for 2 s; op1 computes 1 s and streams 8 s of weights.
    # Without prefetch op1 runs [10, 18]. With it, op1's weights stream from when op0
    # started, after op0's own transfer ([2, 10]): op1 ends at 10 + 1 = 11.
    deps = ((), (0,))
    plain = schedule(deps, ((_cost("a", 10, 2, 0),), (_cost("b", 1, 8, 0),)), ["u"], ["dram"])
    assert plain.makespan_s == pytest.approx(18.0)
    pre = schedule(deps, ((_cost("a", 10, 2, 0),), (_cost("b", 1, 8, 8),)), ["u"], ["dram"])
    assert pre.makespan_s == pytest.approx(11.0)
    assert pre.events[1].transfers == (("dram", 2.0, 10.0),)


def test_mapping_is_a_value_in_the_json() -> None:
    r = hwsim.simulate("lenet5", "tpu-like", dtype="int8")
    d = r.to_dict()
    assert d["schema_version"] == 2
    conv = next(x for x in d["layers"] if x["macs"] > 0)
    assert set(conv["mapping"]) >= {"mapper", "dataflow", "spatial", "utilization", "tiles"}
    assert 0 < conv["utilization"] <= 1
    assert isinstance(Mapping(mapper="x", dataflow="y").to_dict(), dict)
    assert Operands((0.0, 0.0, 0.0), (0.0, 0.0, 0.0), 1.0, ((), (), ())).sizes == (0.0, 0.0, 0.0)


def test_optimize_energy_never_spends_more_dynamic_energy() -> None:
    # Each op keeps its least-energy mapping: dynamic energy (without static power) can
    # only go down against the latency-optimal choice.
    a100 = hwsim.load_hardware("a100-80gb-sxm")
    w = hwsim.load_workload("resnet18", dtype="fp16", batch=8)
    fast = hwsim.simulate(w, a100)
    lean = hwsim.simulate(w, a100, optimize="energy")

    def dynamic(r: hwsim.SimulationResult) -> float:
        return r.energy_j - r.energy_breakdown_j["static"]

    assert dynamic(lean) <= dynamic(fast) * (1 + 1e-12)
    with pytest.raises(SimulationError, match="`optimize`: 'speed' is not one of"):
        hwsim.simulate(w, a100, optimize="speed")


def test_cli_optimize_flag() -> None:
    from typer.testing import CliRunner

    from hwsim.cli import app

    runner = CliRunner()
    ok = runner.invoke(app, ["run", "lenet5", "-H", "tpu-like", "--optimize", "energy"])
    assert ok.exit_code == 0, ok.output
    assert "util" in ok.output
    bad = runner.invoke(app, ["run", "lenet5", "-H", "tpu-like", "--optimize", "speed"])
    assert bad.exit_code == 2
    assert "--optimize: 'speed' is not one of latency, energy" in bad.output


def test_simd_lanes_pad_the_output_dim_on_a_cpu() -> None:
    # Raspberry Pi 5 (Cortex-A76 NEON, 128-bit): int8 runs 16 lanes, so 20 output features
    # take two vectors (32 lanes) and use 20/32 of them; 32 features fill both.
    spec = hwsim.load_hardware("raspberry-pi-5")
    utils = {}
    for n in (20, 32):
        g = GraphBuilder("simd", weight_dtype="int8", act_dtype="int8")
        x = g.input("x", (64, 64))
        y = g.linear(x, n, bias=False)
        layer = hwsim.simulate(g.build([y]), spec).layers[0]
        assert layer.mapping is not None and layer.mapping["mapper"] == "cpu"
        utils[n] = layer.mapping["utilization"]
    assert utils == {20: pytest.approx(20 / 32), 32: 1.0}
