"""Totals-only runs (engine.simulate_totals) give every whole-run figure of simulate(), bit
for bit: the row a sweep writes, the bound columns, and the whole result but its layers."""

from __future__ import annotations

import json
import struct
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import hwsim
from hwsim.engine import simulate_totals
from hwsim.engine.result import ROW_FIELDS, result_row
from hwsim.engine.simulate import simulate
from hwsim.errors import SimulationError
from hwsim.hardware.variants import SpecVariants
from hwsim.sweep.columns import bound_columns

# (workload, its parameters): CNNs, a transformer encoder, a decoder LLM (prefill + decode)
_WORKLOADS: list[tuple[str, dict[str, Any]]] = [
    ("lenet5", {}),
    ("mlperf-tiny-ds-cnn", {}),
    ("mobilenet_v2", {"width": 0.35, "resolution": 96}),
    ("resnet18", {"resolution": 64}),
    ("bert-base", {"seq_len": 32}),
    ("gpt2", {"prompt_len": 16, "gen_len": 5}),
    ("gpt2", {"prompt_len": 8, "gen_len": 1}),
]
# (chip, dtypes it runs, sweep axes with values a sweep may set on it)
_CHIPS: list[tuple[str, list[str], dict[str, list[Any]]]] = [
    (
        "tpu-like",
        ["int8"],
        {
            "memory.dram.bandwidth": ["2 GB/s", "64 GB/s"],
            "compute.pe_array.count": [1, 4],
            "memory.sram.capacity": ["64 KiB", "2 MiB"],
        },
    ),
    (
        "a100-80gb-sxm",
        ["fp16", "fp32", "int8"],
        {
            "memory.hbm.bandwidth": ["100 GB/s", "2039 GB/s"],
            "compute.cuda.count": [2, 108],
            "power.static": ["30 W", "70 W"],
            "power.cap": ["120 W", "300 W"],
        },
    ),
    ("stm32f746", ["int8"], {"memory.sram.capacity": ["128 KiB", "320 KiB"]}),
    ("snapdragon-8-gen-3", ["int8", "fp16"], {"power.cap": ["2 W", "8 W"]}),
    ("eyeriss", ["int8"], {}),
]
_BASES: dict[str, SpecVariants] = {}


def _bits(value: Any) -> Any:
    """``value`` with every float as its IEEE-754 bit pattern, so == is bit-for-bit."""
    if isinstance(value, float):
        return struct.pack("<d", value).hex()
    if isinstance(value, dict):
        return {k: _bits(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_bits(v) for v in value]
    return value


def _chip(name: str, point: dict[str, Any]) -> hwsim.HardwareSpec:
    variants = _BASES.get(name)
    if variants is None:
        variants = _BASES[name] = SpecVariants(hwsim.load_hardware(name))
    return variants(point)


def _check(w: Any, spec: hwsim.HardwareSpec, **options: Any) -> None:
    full = simulate(w, spec, **options)
    tot = simulate_totals(w, spec, **options)
    assert tot.result.layers == ()
    row = tot.row()
    assert list(row) == list(result_row(full))
    assert _bits(row) == _bits(result_row(full))
    assert set(ROW_FIELDS) <= set(row)
    levels = [m.name for m in spec.memory]
    want = bound_columns(full, levels)
    assert _bits(bound_columns(tot.result, levels, tot.bound_time_s)) == _bits(want)
    # every whole-run field, not only the row's (power summary, bound counts, warnings...)
    a = full.to_dict()
    b = tot.result.to_dict()
    assert len(a.pop("layers")) == len(full.layers) > 0
    assert b.pop("layers") == []
    assert _bits(a) == _bits(b)
    # the totals are the layer records' figures summed by hand, in layer order
    assert _bits(tot.result.energy_j) == _bits(sum(x.energy_j for x in full.layers))
    for part, joules in tot.result.energy_breakdown_j.items():
        assert _bits(joules) == _bits(sum(x.energy_breakdown_j[part] for x in full.layers))
    counts = dict.fromkeys(("compute", "memory", "overhead", "fused"), 0)
    for x in full.layers:
        counts[x.bound] += 1
    assert tot.result.bound_counts == counts
    by_hand: dict[str, float] = {}
    for layer in full.layers:
        key = layer.bound_level if layer.bound == "memory" and layer.bound_level else layer.bound
        by_hand[key] = by_hand.get(key, 0.0) + layer.latency_s
    assert _bits(tot.bound_time_s) == _bits(by_hand)


@settings(max_examples=30, deadline=None)
@given(
    wi=st.integers(0, len(_WORKLOADS) - 1),
    ci=st.integers(0, len(_CHIPS) - 1),
    pick=st.integers(0, 7),
    batch=st.sampled_from([1, 2, 8]),
    axes=st.dictionaries(st.integers(0, 3), st.integers(0, 1), max_size=3),
    optimize=st.sampled_from(["latency", "energy"]),
)
def test_totals_equal_simulate(
    wi: int, ci: int, pick: int, batch: int, axes: dict[int, int], optimize: str
) -> None:
    name, params = _WORKLOADS[wi]
    chip, dtypes, chip_axes = _CHIPS[ci]
    paths = sorted(chip_axes)
    point = {}
    for i, v in axes.items() if paths else ():
        path = paths[i % len(paths)]
        point[path] = chip_axes[path][v]
    spec = _chip(chip, point)
    w = hwsim.load_workload(name, batch=batch, dtype=dtypes[pick % len(dtypes)], **params)
    _check(w, spec, optimize=optimize)


_GPT2 = {"prompt_len": 16, "gen_len": 4, "dtype": "fp16"}


@pytest.mark.parametrize(
    ("workload", "params", "chip", "options"),
    [
        (
            "resnet18",
            {"resolution": 64, "dtype": "fp16", "batch": 8},
            "a100-80gb-sxm",
            {"power_cap": "150 W"},
        ),
        ("gpt2", _GPT2, "a100-80gb-sxm", {"power_cap": 180.0}),
        ("gpt2", _GPT2, "a100-80gb-sxm", {"operating_point": "870MHz"}),
        ("gpt2", _GPT2, "snapdragon-8-gen-3", {"power_cap": "3 W"}),
        ("lenet5", {"dtype": "int8"}, "stm32h743", {"operating_point": "vos2"}),
        ("mlperf-tiny-ds-cnn", {"dtype": "int8"}, "stm32h743", {"clock": "200 MHz"}),
    ],
)
def test_totals_at_operating_points_and_caps(
    workload: str, params: dict[str, Any], chip: str, options: dict[str, Any]
) -> None:
    _check(hwsim.load_workload(workload, **params), hwsim.load_hardware(chip), **options)


def test_throttled_power_summary_is_the_same() -> None:
    """A cap low enough to throttle: the power fields a sweep keeps come out the same."""
    spec = hwsim.load_hardware("a100-80gb-sxm")
    w = hwsim.load_workload("resnet18", dtype="fp16", batch=8)
    full = simulate(w, spec, power_cap=120.0)
    assert full.power["throttled_layers"] > 0  # the case this test is about
    tot = simulate_totals(w, spec, power_cap=120.0)
    assert json.dumps(_bits(tot.result.power)) == json.dumps(_bits(full.power))


def test_errors_are_simulates() -> None:
    spec = hwsim.load_hardware("tpu-like")
    w = hwsim.load_workload("lenet5", dtype="int8")
    with pytest.raises(SimulationError, match="optimize") as a:
        simulate(w, spec, optimize="speed")
    with pytest.raises(SimulationError, match="optimize") as b:
        simulate_totals(w, spec, optimize="speed")
    assert str(a.value) == str(b.value)
