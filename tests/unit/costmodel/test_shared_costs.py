"""Op costs shared across chips by content (:mod:`hwsim.costmodel.shared`).

The shared part of an op's cost (mapping, bytes per level, compute time and energy) is keyed
by everything it reads of the chip and profile except the memory levels' bandwidth, latency
and energy. A stale hit would be a silently wrong number, so: costs on warm caches, after
costing other variants of the chip, must equal costs from scratch for any variant; chips
equal in the key must cost every op identically; and a change in any field the part reads
must change the key.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import hwsim
from hwsim.costmodel.graph import clear_caches, cost_graph
from hwsim.costmodel.opcost import CostContext
from hwsim.costmodel.placement import place
from hwsim.costmodel.shared import context_key
from hwsim.hardware.loader import override
from hwsim.hardware.models import HardwareSpec
from hwsim.workload.ir import Workload

_TIMING_FIELDS = ("bandwidth", "write_bandwidth", "latency", "energy", "write_energy")


def _options(w: Workload, spec: HardwareSpec) -> list[str]:
    """Every op's candidate costs, as exact text (repr keeps every bit of every float)."""
    g = cost_graph(w, spec, spec.profile())
    return [repr(o) for o in g.options]


def _fresh(w: Workload, spec: HardwareSpec) -> list[str]:
    clear_caches()
    return _options(w, spec)


def _timing(level: str) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {},
        optional={
            f"memory.{level}.bandwidth": st.sampled_from(["1 GB/s", "8 GB/s", "3.3 TB/s"]),
            f"memory.{level}.write_bandwidth": st.sampled_from(["2 GB/s", "700 GB/s"]),
            f"memory.{level}.latency": st.sampled_from(["0 s", "100 ns", "1.5 us"]),
            f"memory.{level}.energy": st.sampled_from(["1 pJ/B", "87.5 pJ/B"]),
            f"memory.{level}.write_energy": st.sampled_from(["2 pJ/B", "93.75 pJ/B"]),
        },
    )


@pytest.fixture(scope="module")
def resnet18() -> Workload:
    w = hwsim.load_workload("resnet18", dtype="int8")
    assert isinstance(w, Workload)
    return w


@settings(max_examples=15, deadline=None)
@given(
    first=_timing("dram"),
    second=_timing("dram"),
    sram=st.sampled_from([None, "64 KiB", "2 MiB"]),
    pes=st.sampled_from([None, 2]),
    sram_timing=_timing("sram"),
)
def test_warm_costs_of_any_variant_equal_costs_from_scratch(
    resnet18: Workload,
    first: dict[str, Any],
    second: dict[str, Any],
    sram: str | None,
    pes: int | None,
    sram_timing: dict[str, Any],
) -> None:
    base = hwsim.load_hardware("tpu-like")
    structure: dict[str, Any] = {}
    if sram is not None:
        structure["memory.sram.capacity"] = sram
    if pes is not None:
        structure["compute.pe_array.count"] = pes
    a = override(base, first)
    b = override(base, {**second, **structure, **sram_timing})
    clear_caches()
    _options(resnet18, base)
    _options(resnet18, a)
    warm = _options(resnet18, b)  # after the parts of base and a were kept
    assert warm == _fresh(resnet18, b)


@settings(max_examples=8, deadline=None)
@given(dram=_timing("hbm"))
def test_gpu_costs_on_warm_caches_equal_costs_from_scratch(dram: dict[str, Any]) -> None:
    w = hwsim.load_workload("resnet18", dtype="fp16")
    assert isinstance(w, Workload)
    base = hwsim.load_hardware("a100-80gb-sxm")
    other = override(base, dram)
    clear_caches()
    _options(w, base)
    assert _options(w, other) == _fresh(w, other)


def _key(spec: HardwareSpec, w: Workload) -> tuple[int, tuple[int, ...]]:
    placement = place(spec, w.weight_bytes, w.peak_activation_bytes, w.state_bytes)
    return context_key(CostContext(spec, spec.profile(), placement))


@pytest.mark.parametrize("field", _TIMING_FIELDS)
def test_array_chips_differing_in_a_levels_timing_share_the_key(
    resnet18: Workload, field: str
) -> None:
    base = hwsim.load_hardware("tpu-like")
    value = {"latency": "3 us"}.get(field, "5 GB/s" if "bandwidth" in field else "9 pJ/B")
    other = override(base, {f"memory.dram.{field}": value})
    assert _key(other, resnet18) == _key(base, resnet18)


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("memory.sram.capacity", "1 MiB"),
        ("memory.dram.capacity", "1 GiB"),
        ("memory.sram.duplex", True),
        ("memory.sram.instances", 2),
        ("compute.pe_array.count", 2),
        ("compute.pe_array.clock", "500 MHz"),
        ("compute.pe_array.accumulator_bits", 32),
        ("compute.vector.vector_peak", "64 GOPS"),
        ("compute.vector.energy_per_vector_op", "0.05 pJ/op"),
        ("compute.pe_array.energy_per_mac.int8", "0.1 pJ/MAC"),
        ("kind", "npu"),
    ],
)
def test_a_change_the_shared_part_reads_changes_the_key(
    resnet18: Workload, path: str, value: object
) -> None:
    base = hwsim.load_hardware("tpu-like")
    other = override(base, {path: value})
    assert _key(other, resnet18) != _key(base, resnet18)


def test_profile_fields_are_part_of_the_key(resnet18: Workload) -> None:
    spec = hwsim.load_hardware("tpu-like")
    placement = place(spec, resnet18.weight_bytes, resnet18.peak_activation_bytes, 0.0)
    prof = spec.profile()
    keys = {
        context_key(CostContext(spec, p, placement))
        for p in (
            prof,
            prof.model_copy(update={"overhead_per_op": 1e-6}),
            prof.model_copy(update={"bandwidth_efficiency": 0.5}),
            prof.model_copy(update={"prefetch_weights": True}),
        )
    }
    assert len(keys) == 4
    assert context_key(CostContext(spec, prof, placement, "energy")) != context_key(
        CostContext(spec, prof, placement)
    )


def test_a_gpu_key_carries_every_levels_timing() -> None:
    w = hwsim.load_workload("resnet18", dtype="fp16")
    assert isinstance(w, Workload)
    base = hwsim.load_hardware("a100-80gb-sxm")
    other = override(base, {"memory.hbm.latency": "1 us"})
    assert _key(other, w) != _key(base, w)


def test_another_workload_on_an_equal_chip_gets_its_own_costs(resnet18: Workload) -> None:
    # resnet50 shares some of resnet18's op shapes under other names: shared parts must not
    # carry resnet18's names (nor anything else of it) into resnet50's costs.
    w = hwsim.load_workload("resnet50", dtype="int8")
    assert isinstance(w, Workload)
    base = hwsim.load_hardware("tpu-like")
    other = override(base, {"memory.dram.bandwidth": "16 GB/s"})
    clear_caches()
    _options(resnet18, base)
    assert _options(w, other) == _fresh(w, other)
