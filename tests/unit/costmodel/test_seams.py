"""Seam tests: the cost functions called directly, against numbers worked out by hand.

The chip is ``toy`` (tests/unit/toychips.py): one MAC unit (1 TFLOPS fp16, 1 pJ/MAC), one
vector unit (100 GOPS, 0.5 pJ/op), 64 MiB SRAM at 1000 GB/s and 1 pJ/B that holds
activations only, 8 GiB DRAM at 100 GB/s and 100 pJ/B that holds weights and activations,
an ideal profile (efficiency 1, bandwidth efficiency 1, no overhead).
"""

from __future__ import annotations

from pathlib import Path

import pytest

import hwsim
from hwsim.costmodel.opcost import CostContext, block_quantised, mac_units, op_cost
from hwsim.costmodel.placement import place
from hwsim.costmodel.tiling import gemm_refetch
from hwsim.hardware.models import HardwareSpec
from hwsim.workload.ir import GemmShape, Op
from tests.unit.toychips import write_chip

MIB = 1024.0**2
SRAM, DRAM = 0, 1


@pytest.fixture(scope="module")
def toy(tmp_path_factory: pytest.TempPathFactory) -> HardwareSpec:
    return hwsim.load_hardware(write_chip(Path(tmp_path_factory.mktemp("toy"))))


# ------------------------------------------------------------------ placement


def test_place_puts_each_tensor_on_the_nearest_level_that_may_hold_it(toy: HardwareSpec) -> None:
    pl = place(toy, weight_bytes=2 * MIB, activation_bytes=1 * MIB)
    # SRAM holds activations only, so the weights live in DRAM.
    assert (pl.weight_level, pl.act_level, pl.state_level) == (DRAM, SRAM, DRAM)
    assert pl.fit["sram"].required_bytes == 1 * MIB
    assert pl.fit["sram"].capacity_bytes == 64 * MIB
    assert pl.fit["dram"].required_bytes == 2 * MIB and pl.fits


def test_place_spills_activations_that_overflow_sram(toy: HardwareSpec) -> None:
    pl = place(toy, weight_bytes=2 * MIB, activation_bytes=100 * MIB, state_bytes=3 * MIB)
    assert pl.act_level == DRAM  # 100 MiB > 64 MiB of SRAM
    assert pl.state_level == DRAM  # the KV state goes next to the weights when they fit
    assert pl.fit["dram"].required_bytes == (2 + 100 + 3) * MIB
    assert "sram" not in pl.fit and pl.fits


def test_place_reports_what_does_not_fit(toy: HardwareSpec) -> None:
    pl = place(toy, weight_bytes=9 * 1024 * MIB, activation_bytes=0.0)
    assert pl.weight_level == DRAM and not pl.fits
    assert pl.misfits() == ["dram"]


# ------------------------------------------------------------------ tiling / refetch


def test_gemm_refetch_is_compulsory_when_everything_fits() -> None:
    rf = gemm_refetch(8, 8, 8, (1.0, 1.0, 4.0), (0, 0, 0), (1e6,))
    assert (rf.a, rf.b, rf.c) == (1.0, 1.0, 1.0)


def test_gemm_refetch_of_an_outer_product_with_room_for_two_elements() -> None:
    # A (2x1) times B (1x2), 1 B per element, room for one A and one B element only
    # (C does not cross this boundary). Tiles are 1x1x1; loops m and n run twice.
    # Keeping A's element while n loops re-reads B once per m: A 2 B + B 4 B = 6 B, and the
    # other way round is as good; reading both every time costs 4 + 4 = 8 B.
    rf = gemm_refetch(2, 2, 1, (1.0, 1.0, 1.0), (0, 0, -1), (2.0,))
    assert rf.tile == (1, 1, 1)
    assert sorted((rf.a, rf.b)) == [1.0, 2.0]
    assert 2 * rf.a + 2 * rf.b == 6.0
    assert rf.c == 1.0


def test_gemm_refetch_prefers_rereading_inputs_to_spilling_partial_sums() -> None:
    # C (1x2) = A (1x4) @ B (4x2), 1 B per element, one 3 B buffer for the A, B and C tiles:
    # only 1x1x1 tiles fit; loop trips m 1, n 2, k 4. Sizes: A 4 B, B 8 B, C 2 B.
    # k innermost finishes each C element in place (C factor 1) but re-reads A per n:
    #   4 x 2 + 8 + 2 = 18 B.
    # n innermost keeps A but spills partial sums: C factor 2 x 4 - 1 = 7 (each of the k
    # passes but the last writes C out and reads it back): 4 + 8 + 2 x 7 = 26 B.
    rf = gemm_refetch(1, 2, 4, (1.0, 1.0, 1.0), (0, 0, 0), (3.0,))
    assert rf.tile == (1, 1, 1)
    assert (rf.a, rf.b, rf.c) == (2.0, 1.0, 1.0)
    assert rf.order.endswith("k")


# ------------------------------------------------------------------ per-op cost


def _ctx(toy: HardwareSpec, weights: float, acts: float) -> CostContext:
    return CostContext(toy, toy.profile(None), place(toy, weights, acts))


def test_op_cost_of_a_linear_layer_streaming_its_weights(toy: HardwareSpec) -> None:
    # y = x W: x is 1 x 1024, W is 1024 x 1024, fp16 (2 B). Weights (2 MiB) live in DRAM and
    # cross SRAM once on their way in; x and y stay in SRAM.
    w_bytes, x_bytes = 1024 * 1024 * 2.0, 1024 * 2.0
    op = Op(
        name="fc",
        op_type="linear",
        op_class="gemm",
        inputs=("x",),
        outputs=("y",),
        macs=1024 * 1024,
        params=1024 * 1024,
        weight_bytes=w_bytes,
        input_bytes=x_bytes,
        output_bytes=x_bytes,
        compute_dtype="fp16",
        gemm=GemmShape(groups=1, m=1, n=1024, k=1024),
    )
    c = op_cost(_ctx(toy, w_bytes, 2 * x_bytes), op, toy.unit("mac0"), "fp16")
    # bytes: DRAM reads W; SRAM is filled with W and reads it out, reads x, writes y
    assert c.read_bytes == (w_bytes + x_bytes, w_bytes)
    assert c.write_bytes == (w_bytes + x_bytes, 0.0)
    # time: 2 op per MAC at 1e12 op/s; SRAM (r + w) / 1e12 B/s; DRAM W / 1e11 B/s
    assert c.compute_s == pytest.approx(2 * 1024 * 1024 / 1e12, rel=1e-12)
    assert c.mem_s[SRAM] == pytest.approx(2 * (w_bytes + x_bytes) / 1e12, rel=1e-12)
    assert c.mem_s[DRAM] == pytest.approx(w_bytes / 1e11, rel=1e-12)
    assert c.latency_s == pytest.approx(w_bytes / 1e11, rel=1e-12)
    assert c.bound(("sram", "dram")) == ("memory", "dram")
    # energy: 1 pJ per MAC; 1 pJ/B for every SRAM byte; 100 pJ/B for DRAM
    assert c.compute_j == pytest.approx(1024 * 1024 * 1e-12, rel=1e-12)
    assert c.mem_j[SRAM] == pytest.approx(2 * (w_bytes + x_bytes) * 1e-12, rel=1e-12)
    assert c.mem_j[DRAM] == pytest.approx(w_bytes * 100e-12, rel=1e-12)


def test_op_cost_of_an_activation_on_the_vector_unit(toy: HardwareSpec) -> None:
    # ReLU over 1e6 fp16 elements: 1 op per element on a 100 GOPS unit; 2 MB in, 2 MB out
    # of SRAM at 1000 GB/s each way on one port.
    n = 1_000_000
    op = Op(
        name="relu",
        op_type="relu",
        op_class="elementwise",
        inputs=("x",),
        outputs=("y",),
        vector_ops=n,
        input_bytes=2.0 * n,
        output_bytes=2.0 * n,
        compute_dtype="fp16",
        inplace=True,
    )
    c = op_cost(_ctx(toy, 0.0, 4.0 * n), op, toy.unit("vec"), "fp16")
    assert c.compute_s == pytest.approx(n / 100e9, rel=1e-12)  # 10 us
    assert c.read_bytes == (2.0 * n, 0.0) and c.write_bytes == (2.0 * n, 0.0)
    assert c.mem_s[SRAM] == pytest.approx(4.0 * n / 1e12, rel=1e-12)  # 4 us
    assert c.bound(("sram", "dram")) == ("compute", None)
    assert c.compute_j == pytest.approx(n * 0.5e-12, rel=1e-12)
    assert c.mem_j == pytest.approx((4.0 * n * 1e-12, 0.0), rel=1e-12)


# ------------------------------------------------------------------ stack-dependent costs


def _fc(weight_bytes: float, n: int = 1024, k: int = 1024, m: int = 1) -> Op:
    return Op(
        name="fc",
        op_type="linear",
        op_class="gemm",
        inputs=("x",),
        outputs=("y",),
        macs=m * n * k,
        params=n * k,
        weight_bytes=weight_bytes,
        input_bytes=2.0 * m * k,
        output_bytes=2.0 * m * n,
        compute_dtype="fp16",
        gemm=GemmShape(groups=1, m=m, n=n, k=k),
    )


def test_fp16_accumulation_runs_at_the_units_fp16_accumulate_peak(toy: HardwareSpec) -> None:
    # A unit whose fp16-accumulate peak is 2 TFLOPS (twice its 1 TFLOPS peak.fp16, as on
    # GeForce tensor cores): a stack that accumulates in fp16 computes a 1024^3 GEMM in
    # 2 x 1024^3 / 2e12 s; one that accumulates in fp32 (the default) in 2 x 1024^3 / 1e12 s.
    unit = toy.unit("mac0").model_copy(update={"fp16_accumulate_peak": 2e12})
    spec = toy.model_copy(update={"compute": [unit, toy.unit("vec")]})
    op = _fc(2.0 * 1024 * 1024, m=1024)
    prof = toy.profile(None)
    acc16 = prof.model_copy(update={"fp16_accumulate": True})
    pl = place(spec, op.weight_bytes, 4.0 * 1024 * 1024)
    (u32,) = mac_units(spec, "fp16", prof)
    (u16,) = mac_units(spec, "fp16", acc16)
    assert u32.total_peak("fp16") == 1e12 and u16.total_peak("fp16") == 2e12
    c32 = op_cost(CostContext(spec, prof, pl), op, u32, "fp16")
    c16 = op_cost(CostContext(spec, acc16, pl), op, u16, "fp16")
    assert c32.compute_s == pytest.approx(2 * 1024**3 / 1e12, rel=1e-9)
    assert c16.compute_s == pytest.approx(2 * 1024**3 / 2e12, rel=1e-9)
    # a unit without the field runs fp16 accumulation at its peak.fp16
    assert toy.unit("mac0").with_fp16_accumulate() is toy.unit("mac0")


def test_a_block_quantised_gemm_pays_its_extra_kernel(toy: HardwareSpec) -> None:
    n = 1024 * 1024
    q4_0, int4, fp16 = _fc(n * 4.5 / 8), _fc(n * 0.5), _fc(n * 2.0)
    assert block_quantised(q4_0) and not block_quantised(int4) and not block_quantised(fp16)
    prof = toy.profile(None).model_copy(
        update={"overhead_per_op": 5e-6, "overhead_per_quantized_gemm": 3e-6}
    )
    pl = place(toy, 2.0 * n, 4096.0)
    cq = op_cost(CostContext(toy, prof, pl), q4_0, toy.unit("mac0"), "fp16")
    cf = op_cost(CostContext(toy, prof, pl), fp16, toy.unit("mac0"), "fp16")
    assert cq.overhead_s == pytest.approx(8e-6) and cf.overhead_s == pytest.approx(5e-6)


def test_integer_a16_gemm_runs_at_the_hexagon_int16_rate() -> None:
    # Qualcomm's w4a16 is 4-bit weights with 16-bit *integer* activations (AIMET fixed point):
    # hwsim's w4a16-int. Its MACs are 16 x 8-bit products, two int8 slices each, so the
    # Hexagon spec runs them at half its 45 TOPS int8 peak: 22.5 TOPS, twice the fp16 rate
    # (four slices). A 1024^3 GEMM at the qnn profile's GEMM efficiency e therefore takes
    # 2 x 1024^3 / (22.5e12 x e) s, half the time of the same GEMM in fp16.
    from dataclasses import replace

    from hwsim.costmodel.opcost import resolve_dtype
    from hwsim.vocabulary import parse_dtype

    assert parse_dtype("w4a16-int") == ("int4", "int16")
    assert parse_dtype("w4a16") == ("int4", "fp16")
    spec = hwsim.load_hardware("snapdragon-8-gen-3")
    prof = spec.profile("qnn")
    assert resolve_dtype(spec, "int16", prof) == "int16"
    (u,) = mac_units(spec, "int16", prof)
    assert u.name == "hexagon"
    assert u.total_peak("int16") == pytest.approx(22.5e12)
    assert u.total_peak("int16") == pytest.approx(2 * u.total_peak("fp16"))
    fp16 = _fc(1024 * 1024 * 0.5, m=1024)
    int16 = replace(fp16, compute_dtype="int16")
    pl = place(spec, fp16.weight_bytes, 4.0 * 1024 * 1024)
    c16i = op_cost(CostContext(spec, prof, pl), int16, u, "int16")
    c16f = op_cost(CostContext(spec, prof, pl), fp16, u, "fp16")
    e = prof.efficiency.gemm
    assert c16i.compute_s == pytest.approx(2 * 1024**3 / (22.5e12 * e), rel=1e-9)
    assert c16f.compute_s == pytest.approx(2 * c16i.compute_s, rel=1e-9)
    # a float model's default on the NPU stays fp16, not the equally wide int16
    assert spec.native_dtype(prof) == "fp16"
