"""The built-in chips: contract names, provenance, and numbers checked against the reference.

Reference values are read from ``tests/data/reference/*.yaml`` (published figures with their
sources) and converted by hand here; nothing is copied from the program's output.
"""

from __future__ import annotations

import math
import re
from functools import cache
from typing import Any

import pytest
import yaml

from hwsim import load_hardware
from hwsim.hardware import HardwareSpec, builtin_hardware_names
from hwsim.resources import builtin_dir
from tests.unit.refdata import reference_file

CONTRACT = {
    "a100-80gb-sxm",
    "h100-sxm",
    "h100-pcie",
    "rtx-4090",
    "jetson-agx-orin",
    "snapdragon-8-gen-3",
    "edge-tpu",
    "raspberry-pi-4",
    "raspberry-pi-5",
    "apple-m2-ultra",
    "stm32f746",
    "stm32h743",
    "stm32h7a3",
    "stm32l4r5",
    "stm32u575",
    "esp32-s3",
    "eyeriss",
}
ALL = sorted(CONTRACT | {"tpu-like", "stm32h747i-disco"})

GPU_STACKS = {"tensorrt", "llama.cpp"}
STM32_STACKS = {"tflm", "cmsis-nn", "x-cube-ai", "tinyengine", "plumerai"}
REQUIRED_PROFILES = {
    "a100-80gb-sxm": GPU_STACKS,
    "h100-sxm": GPU_STACKS,
    "h100-pcie": GPU_STACKS,
    "rtx-4090": GPU_STACKS,
    "jetson-agx-orin": {"tensorrt"},
    "apple-m2-ultra": {"llama.cpp"},
    "snapdragon-8-gen-3": {"qnn", "tflite-cpu"},
    "edge-tpu": {"edgetpu"},
    "raspberry-pi-4": {"tflite-cpu"},
    "raspberry-pi-5": {"tflite-cpu"},
    "stm32f746": STM32_STACKS,
    "stm32h743": STM32_STACKS,
    "stm32h747i-disco": STM32_STACKS,
    "stm32h7a3": STM32_STACKS,
    "stm32l4r5": STM32_STACKS,
    "stm32u575": STM32_STACKS,
    "esp32-s3": {"tflm", "esp-nn"},
}
MCU_ONLY_STACKS = {"x-cube-ai": "stm32", "esp-nn": "esp32"}

GIGA, TERA, MEGA = 1e9, 1e12, 1e6
KIB, MIB = 1024.0, 1024.0**2


@cache
def spec(name: str) -> HardwareSpec:
    return load_hardware(name)


@cache
def _reference(file: str) -> dict[str, Any]:
    path = reference_file(file)
    data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return data


def ref(chip_id: str, field: str) -> Any:
    """The ``value`` of one field of one chip in reference/hardware.yaml."""
    chips = {c["id"]: c for c in _reference("hardware.yaml")["chips"]}
    return chips[chip_id]["fields"][field]["value"]


def number(text: str, pattern: str) -> float:
    """The first number captured by ``pattern`` in a reference text value."""
    m = re.search(pattern, text)
    assert m, f"{pattern!r} not in {text!r}"
    return float(m.group(1))


# --- every chip ------------------------------------------------------------------------


def test_exactly_the_contract_chips_are_built_in() -> None:
    assert set(builtin_hardware_names()) == set(ALL)


@pytest.mark.parametrize("name", ALL)
def test_loads_and_name_matches_file_stem(name: str) -> None:
    s = spec(name)
    assert s.name == name
    assert (builtin_dir("hardware_specs") / f"{name}.yaml").is_file()
    assert s.schema_version == 1


@pytest.mark.parametrize("name", sorted(CONTRACT))
def test_every_source_is_citable(name: str) -> None:
    s = spec(name)
    assert s.sources
    for src in s.sources:
        assert src.id and src.title
        # a url, or a public-repository note the reference itself uses
        assert src.url or "public" in src.title, src.id


@pytest.mark.parametrize("name", sorted(CONTRACT))
def test_reference_source_ids_match_the_reference(name: str) -> None:
    hw = _reference("hardware.yaml")["sources"]
    energy_keys = set(_reference("energy.yaml"))
    for src in spec(name).sources:
        if src.id in hw:
            assert hw[src.id]["title"].split()[0] in src.title, src.id
        elif src.id.startswith(("horowitz", "eyeriss_isca")):
            assert src.id in energy_keys
        else:
            assert src.url, f"{src.id}: not a reference source, so it needs a url"


@pytest.mark.parametrize("name", sorted(REQUIRED_PROFILES))
def test_required_software_profiles(name: str) -> None:
    s = spec(name)
    assert REQUIRED_PROFILES[name] <= set(s.profiles)
    assert s.default_profile in s.profiles
    for stack, family in MCU_ONLY_STACKS.items():
        if stack in s.profiles:
            assert name.startswith(family)


@pytest.mark.parametrize("name", sorted(CONTRACT))
def test_every_profile_says_where_its_factors_come_from(name: str) -> None:
    for prof in spec(name).profiles.values():
        assert prof.estimated or prof.sources, prof.name


@pytest.mark.parametrize("name", ALL)
def test_memory_residency(name: str) -> None:
    s = spec(name)
    if s.kind == "mcu":
        weights = [m for m in s.memory if "weights" in m.holds]
        # the chip's own flash first; a board adds external SDRAM / QSPI flash after it
        assert weights[0].kind == "flash" and weights[0].name == "flash"
        assert all(m.off_chip for m in weights)
        assert s.memory[0].kind == "sram" and s.memory[0].holds == ["activations"]
    if s.kind == "gpu" and s.name.startswith(("a100", "h100", "rtx")):
        assert [m.name for m in s.memory] == ["smem", "l2", s.memory[-1].name]
        assert s.memory[0].holds == []
        assert s.level("l2").holds == ["activations"]
        assert s.memory[-1].holds == ["weights", "activations"]
        assert [c.name for c in s.compute] == ["tensor", "cuda"]
        assert s.unit("tensor").count == 1 and s.unit("cuda").count == 1


# --- the one energy rule (docs/hardware.md) ---------------------------------------------

NODE_NM = {
    "a100-80gb-sxm": 7,
    "h100-sxm": 4,
    "h100-pcie": 4,
    "rtx-4090": 4,
    "jetson-agx-orin": 8,
    "apple-m2-ultra": 5,
    "snapdragon-8-gen-3": 4,
    "edge-tpu": 28,
    "raspberry-pi-4": 28,
    "raspberry-pi-5": 16,
    "stm32f746": 90,
    "stm32h743": 40,
    "stm32h7a3": 40,
    "stm32l4r5": 90,
    "stm32u575": 40,
    "esp32-s3": 40,
    "eyeriss": 65,
}


def _op_energies(node: float) -> dict[str, float]:
    """pJ per operation at ``node`` nm by docs/hardware.md's per-node rule: Horowitz 45 nm and
    Jouppi et al. 2021 (TPUv4i Table 2) 7 nm, log-log in between, held below 7 nm, linear
    above 45 nm. Ops without a 7 nm figure take the ratio of their kind (int/fp, add/mult)."""
    ref = _reference("energy.yaml")
    e45 = {k: v["energy_pJ"] for k, v in ref["horowitz_isscc2014_45nm"]["arithmetic"].items()}
    e45["int16_mult"] = e45["int8_mult"] * (16 / 8) ** 2  # derived (docs/hardware.md)
    t7 = ref["tpuv4i_isca2021_7nm_update"]["arithmetic_partial"]
    seven = {k: v.get("energy_pJ", v.get("energy_pJ_approx")) for k, v in t7.items()}
    ratio = {
        "int_add": seven["int8_add"] / e45["int8_add"],
        "int_mult": seven["int8_mult"] / e45["int8_mult"],
        "fp_add": seven["fp32_add"] / e45["fp32_add"],
        "fp_mult": seven["fp32_mult"] / e45["fp32_mult"],
    }
    out = {}
    for op, e in e45.items():
        dtype, what = op.split("_")
        r = ratio[("int" if dtype.startswith("int") else "fp") + "_" + what]
        if node >= 45:
            f = node / 45
        elif node <= 7:
            f = r
        else:
            f = r ** (math.log(45 / node) / math.log(45 / 7))
        out[op] = e * f
    return out


def mac_energy(node: float) -> dict[str, float]:
    """pJ per MAC (multiply + add of the dtype) at ``node`` nm, plus the derived formats."""
    e = _op_energies(node)
    fp16 = e["fp16_mult"] + e["fp16_add"]
    return {
        "int8": e["int8_mult"] + e["int8_add"],
        "int16": e["int16_mult"] + e["int16_add"],
        "fp16": fp16,
        "bf16": fp16,
        "fp8": fp16 / 2,
        "tf32": e["fp16_mult"] + e["fp32_add"],
        "fp32": e["fp32_mult"] + e["fp32_add"],
    }


def test_per_node_rule_reproduces_both_published_points() -> None:
    assert mac_energy(45)["int8"] == pytest.approx(0.23)  # Horowitz: 0.2 + 0.03
    assert mac_energy(7)["int8"] == pytest.approx(0.077)  # Jouppi: 0.07 + 0.007
    assert mac_energy(7)["fp32"] == pytest.approx(1.7)  # Jouppi: ~1.3 + ~0.4
    assert mac_energy(4) == mac_energy(7)  # nothing published below 7 nm: held
    # between the points it falls monotonically, and slower than node/45
    e = [mac_energy(n)["fp16"] for n in (45, 40, 28, 16, 8, 7)]
    assert e == sorted(e, reverse=True)
    assert mac_energy(16)["fp16"] > 1.5 * 16 / 45


# Units whose MAC energy comes from a published measurement of the chip itself (a chip's own
# figure wins over the rule): the A100 tensor cores, from a GEMM at the 400 W cap.
CHIP_FIGURES = {("a100-80gb-sxm", "tensor")}


@pytest.mark.parametrize("name", sorted(NODE_NM))
def test_mac_energy_follows_the_per_node_rule(name: str) -> None:
    expected = mac_energy(NODE_NM[name])
    checked = 0
    for unit in spec(name).compute:
        if (name, unit.name) in CHIP_FIGURES:
            continue
        for dtype in unit.energy_per_mac:
            expected_j = expected[dtype.value] * 1e-12
            # files give three significant digits
            assert unit.mac_energy(dtype.value) == pytest.approx(expected_j, rel=6e-3), (
                unit.name,
                dtype.value,
            )
            checked += 1
    assert checked


DRAM_PJ_PER_BIT = {4.0, 5.0, 6.0, 7.5, 20.0}  # docs/hardware.md off-chip table


@pytest.mark.parametrize("name", sorted(set(NODE_NM) - {"eyeriss", "esp32-s3", "edge-tpu"}))
def test_off_chip_dram_energy_comes_from_the_technology_table(name: str) -> None:
    for m in spec(name).memory:
        if m.kind in ("dram", "hbm"):
            pj_per_bit = m.energy / 8 * 1e12
            assert round(pj_per_bit, 6) in DRAM_PJ_PER_BIT, (m.name, pj_per_bit)


def test_eyeriss_memory_energy_uses_its_published_ratios() -> None:
    ratios = _reference("energy.yaml")["eyeriss_isca2016_normalized_hierarchy"][
        "normalized_energy_per_access"
    ]
    s = spec("eyeriss")
    mac_j = s.unit("pe_array").mac_energy("int16")
    word = 2.0  # bytes per 16-bit access
    for level, key in (
        ("spads", "register_file_in_pe"),
        ("glb", "global_buffer"),
        ("dram", "dram"),
    ):
        assert s.level(level).energy == pytest.approx(ratios[key] * mac_j / word, rel=6e-3)


# --- numbers against reference/hardware.yaml --------------------------------------------


def test_a100() -> None:
    s, c = spec("a100-80gb-sxm"), "nvidia_a100_80gb_sxm4"
    tensor = s.unit("tensor")
    assert tensor.total_peak("fp16") == pytest.approx(ref(c, "peak_fp16_tensor_dense") * TERA)
    assert tensor.total_peak("bf16") == pytest.approx(ref(c, "peak_bf16_tensor_dense") * TERA)
    assert tensor.total_peak("tf32") == pytest.approx(ref(c, "peak_tf32_tensor_dense") * TERA)
    assert tensor.total_peak("int8") == pytest.approx(ref(c, "peak_int8_tensor_dense") * TERA)
    assert s.unit("cuda").vector_peak == pytest.approx(ref(c, "peak_fp32") * TERA)
    assert tensor.clock == pytest.approx(ref(c, "boost_clock") * MEGA)
    assert s.level("hbm").bandwidth == pytest.approx(ref(c, "hbm_bandwidth") * GIGA)
    assert s.level("hbm").capacity == pytest.approx(ref(c, "hbm_capacity") * 2.0**30)
    assert s.level("l2").capacity == ref(c, "l2_cache")
    sms = ref(c, "sm_count")
    assert s.level("smem").capacity == pytest.approx(sms * ref(c, "l1_plus_shared_per_sm") * KIB)
    assert s.power.cap == ref(c, "tdp")


def test_h100_sxm() -> None:
    s, c = spec("h100-sxm"), "nvidia_h100_sxm5_80gb"
    tensor = s.unit("tensor")
    assert tensor.total_peak("fp16") == pytest.approx(ref(c, "peak_fp16_tensor_dense") * TERA)
    assert tensor.total_peak("bf16") == pytest.approx(ref(c, "peak_bf16_tensor_dense") * TERA)
    assert tensor.total_peak("fp8") == pytest.approx(ref(c, "peak_fp8_tensor_dense") * TERA)
    assert tensor.total_peak("int8") == pytest.approx(ref(c, "peak_int8_tensor_dense") * TERA)
    # only the sparse tf32 figure is published: dense is half of it
    dense_tf32 = ref(c, "peak_tf32_tensor_sparse") / 2 * TERA
    assert tensor.total_peak("tf32") == pytest.approx(dense_tf32, rel=1e-3)
    assert s.unit("cuda").vector_peak == pytest.approx(ref(c, "peak_fp32") * TERA)
    assert s.unit("cuda").clock == pytest.approx(ref(c, "boost_clock") * GIGA)
    assert s.level("hbm").bandwidth == pytest.approx(ref(c, "hbm_bandwidth") * GIGA)
    assert s.level("l2").capacity == pytest.approx(ref(c, "l2_cache") * MIB)
    sms = ref(c, "sm_count")
    assert s.level("smem").capacity == pytest.approx(sms * ref(c, "shared_mem_per_sm_max") * KIB)
    assert s.power.cap == ref(c, "tdp")


def test_h100_pcie_is_consistent() -> None:
    # Not in the reference: check the datasheet's internal ratios instead.
    s = spec("h100-pcie")
    t = s.unit("tensor")
    assert t.total_peak("fp16") == pytest.approx(2 * t.total_peak("tf32"), rel=1e-3)
    assert t.total_peak("int8") == pytest.approx(2 * t.total_peak("fp16"), rel=1e-3)
    assert t.total_peak("fp8") == t.total_peak("int8")
    sxm = spec("h100-sxm")
    # same die, fewer SMs (114 of 132) and lower clocks: every peak is lower
    for dtype in ("fp16", "bf16", "tf32", "fp8", "int8"):
        assert t.total_peak(dtype) < sxm.unit("tensor").total_peak(dtype)
    assert s.level("l2").capacity == sxm.level("l2").capacity
    assert s.power.cap is not None and sxm.power.cap is not None
    assert s.power.cap < sxm.power.cap


def test_rtx_4090() -> None:
    s, c = spec("rtx-4090"), "nvidia_rtx_4090"
    tensor = s.unit("tensor")
    assert tensor.total_peak("fp16") == pytest.approx(
        ref(c, "peak_fp16_tensor_dense_fp32acc") * TERA
    )
    assert tensor.total_peak("fp8") == pytest.approx(ref(c, "peak_fp8_tensor_dense") * TERA)
    assert tensor.total_peak("int8") == pytest.approx(ref(c, "peak_int8_tensor_dense") * TERA)
    assert s.unit("cuda").vector_peak == pytest.approx(ref(c, "peak_fp32") * TERA)
    assert s.level("dram").bandwidth == pytest.approx(ref(c, "dram_bandwidth") * GIGA)
    assert s.level("l2").capacity == pytest.approx(ref(c, "l2_cache") * MIB)
    assert s.power.cap == ref(c, "board_power")


def test_jetson_agx_orin() -> None:
    s, c = spec("jetson-agx-orin"), "nvidia_jetson_agx_orin_64gb"
    assert s.unit("tensor").total_peak("int8") == pytest.approx(
        ref(c, "peak_int8_gpu_sparse") / 2 * TERA
    )
    assert s.unit("cuda").vector_peak == pytest.approx(ref(c, "peak_fp32_gpu") * TERA)
    assert s.level("dram").bandwidth == pytest.approx(ref(c, "dram_bandwidth") * GIGA)
    assert s.level("l2").capacity == pytest.approx(ref(c, "gpu_l2") * MIB)
    assert s.power.cap == number(ref(c, "module_power"), r"-(\d+)$")


def test_edge_tpu() -> None:
    s, c = spec("edge-tpu"), "google_edge_tpu"
    peak = s.unit("tpu").total_peak("int8")
    assert peak == pytest.approx(ref(c, "peak_int8") * TERA)
    assert s.power.cap is not None
    assert peak / s.power.cap == pytest.approx(ref(c, "efficiency") * TERA)  # 2 TOPS/W
    assert set(s.unit("tpu").peak) == {"int8"}


def test_raspberry_pis() -> None:
    pi4, pi5 = spec("raspberry-pi-4"), spec("raspberry-pi-5")
    assert pi4.unit("cpu").count == 4 and pi5.unit("cpu").count == 4
    assert pi4.unit("cpu").clock == pytest.approx(
        number(ref("raspberry_pi_4b", "cpu_clock"), r"^(\d+\.\d+) GHz") * GIGA
    )
    c5 = "raspberry_pi_5"
    assert pi5.unit("cpu").clock == pytest.approx(
        number(ref(c5, "cpu"), r"@ (\d+\.\d+) GHz") * GIGA
    )
    assert pi5.level("dram").bandwidth == pytest.approx(ref(c5, "dram_bandwidth") * GIGA)
    assert pi5.level("l3").capacity == pytest.approx(ref(c5, "l3_shared") * MIB)
    assert pi5.level("l2").capacity == pytest.approx(4 * ref(c5, "l2_per_core") * KIB)
    assert pi5.power.cap == ref(c5, "board_power")


def test_apple_m2_ultra() -> None:
    s = spec("apple-m2-ultra")
    assert s.level("dram").bandwidth == pytest.approx(
        ref("apple_m2_ultra", "unified_memory_bandwidth") * GIGA
    )
    assert s.profile("llama.cpp").compute_units == ["gpu"]


def test_snapdragon_profiles_pick_their_units() -> None:
    s = spec("snapdragon-8-gen-3")
    assert "4 nm" in ref("qualcomm_snapdragon_8_gen_3", "process_node")
    assert s.process_node == "TSMC 4 nm"
    assert s.profile("tflite-cpu").compute_units == ["cpu"]
    assert "cpu" not in s.profile("qnn").compute_units
    # the NPU peak is not published: it must be declared as an estimate
    assert any("compute.hexagon.peak" in e.field for e in s.estimated)


def test_stm32f746() -> None:
    s, c = spec("stm32f746"), "st_stm32f746"
    assert s.unit("cpu").clock == pytest.approx(ref(c, "clock") * MEGA)
    assert s.level("sram").capacity == ref(c, "sram") * KIB
    assert s.level("flash").capacity == ref(c, "flash") * MIB
    # ISA-derived: 2 int8 MACs (one SMLAD) and 1 fp32 FMA per cycle
    clock = ref(c, "clock") * MEGA
    assert s.unit("cpu").total_peak("int8") == pytest.approx(2 * 2 * clock)
    assert s.unit("cpu").total_peak("fp32") == pytest.approx(2 * 1 * clock)


def test_stm32h743() -> None:
    s, c = spec("stm32h743"), "st_stm32h743"
    assert s.unit("cpu").clock == pytest.approx(number(ref(c, "clock"), r"(\d+) MHz max") * MEGA)
    assert s.level("sram").capacity == ref(c, "sram_total") * MIB
    assert s.level("flash").capacity == ref(c, "flash") * MIB


def test_stm32h7a3() -> None:
    s, c = spec("stm32h7a3"), "st_stm32h7a3"
    assert s.unit("cpu").clock == pytest.approx(ref(c, "clock") * MEGA)
    assert s.level("sram").capacity == pytest.approx(ref(c, "sram") * MEGA)
    assert s.level("flash").capacity == ref(c, "flash") * MIB


@pytest.mark.parametrize(
    ("name", "field"), [("stm32l4r5", "stm32l4r5"), ("stm32u575", "stm32u575")]
)
def test_other_mlperf_tiny_stm32s(name: str, field: str) -> None:
    s = spec(name)
    text = ref("mlperf_tiny_other_mcus", field)
    assert s.unit("cpu").clock == pytest.approx(number(text, r"@(\d+) MHz") * MEGA)
    assert s.level("sram").capacity == number(text, r"(\d+) KB SRAM") * KIB
    assert s.level("flash").capacity == number(text, r"(\d+) MB flash") * MIB
    clock = number(text, r"@(\d+) MHz") * MEGA
    assert s.unit("cpu").total_peak("int8") == pytest.approx(2 * 2 * clock)


def test_esp32_s3() -> None:
    s, c = spec("esp32-s3"), "espressif_esp32_s3"
    cpu = s.unit("cpu")
    assert cpu.count == 2
    assert cpu.clock == pytest.approx(number(ref(c, "cpu"), r"up to (\d+) MHz") * MEGA)
    assert s.level("sram").capacity == ref(c, "sram") * KIB
    # 16 int8 MACs per cycle per core through the 128-bit SIMD MAC instructions
    assert cpu.total_peak("int8") == pytest.approx(2 * 16 * 2 * cpu.clock)


def test_eyeriss() -> None:
    s, c = spec("eyeriss"), "mit_eyeriss_v1"
    pes = ref(c, "pe_count")
    array = s.unit("pe_array").array
    assert array is not None
    rows, cols = (int(x) for x in ref(c, "pe_array").split(" x "))
    assert (array.rows, array.cols) == (rows, cols)
    assert array.rows * array.cols == pes == 168
    pe = s.unit("pe_array")
    assert pe.clock is not None
    assert pe.total_peak("int16") == pytest.approx(2 * pes * pe.clock)  # one MAC per PE per cycle
    assert set(pe.peak) == {"int16"}  # 16-bit fixed point
    assert s.level("glb").capacity == ref(c, "global_buffer") * KIB
    spad_bytes = sum(int(b) for b in re.findall(r"(\d+) B", ref(c, "pe_scratchpads")))
    assert pe.register_file == spad_bytes
    assert s.level("spads").capacity == pes * spad_bytes
    low, high = (float(x) for x in re.findall(r"(\d+)", ref(c, "core_clock"))[:2])
    assert low * MEGA <= pe.clock <= high * MEGA
