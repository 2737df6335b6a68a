"""SpecVariants builds exactly what override() builds: equal specs, the same errors."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import hwsim
from hwsim.errors import SpecError
from hwsim.hardware.loader import override
from hwsim.hardware.variants import SpecVariants

_CHANGES: dict[str, list[Any]] = {
    "memory.hbm.bandwidth": ["100 GB/s", "3.35 TB/s", "2039 GB/s"],
    "memory.l2.capacity": ["20 MiB", "80 MiB"],
    "memory.l2.duplex": [True, False],
    "compute.cuda.count": [1, 2, 108],
    "compute.tensor.clock": ["1 GHz", "1.2 GHz"],
    "power.static": ["30 W", "70 W"],
    "power.cap": ["300 W"],
    "profiles.tensorrt.efficiency.gemm": [0.5, 0.9],
    "hypothetical": [True],
    "description": ["what-if"],
}


@settings(max_examples=40, deadline=None)
@given(st.dictionaries(st.sampled_from(sorted(_CHANGES)), st.integers(0, 2), max_size=4))
def test_variant_equals_override(picks: dict[str, int]) -> None:
    base = hwsim.load_hardware("a100-80gb-sxm")
    changes = {p: _CHANGES[p][i % len(_CHANGES[p])] for p, i in picks.items()}
    variants = SpecVariants(base)
    want = override(base, changes)
    for _ in range(2):  # built, then from the cache of parts
        got = variants(changes)
        assert got == want
        assert got.model_dump() == want.model_dump()
    assert base == hwsim.load_hardware("a100-80gb-sxm")  # the base is untouched


def test_parts_are_shared_between_variants() -> None:
    base = hwsim.load_hardware("tpu-like")
    variants = SpecVariants(base)
    a = variants({"memory.dram.bandwidth": "10 GB/s", "compute.pe_array.count": 2})
    b = variants({"memory.dram.bandwidth": "10 GB/s", "compute.pe_array.count": 4})
    assert a.level("dram") is b.level("dram")  # validated once
    assert a.level("sram") is base.level("sram")  # untouched: the base's own object
    assert b.unit("pe_array").count == 4 and a.unit("pe_array").count == 2


@pytest.mark.parametrize(
    "changes",
    [
        {"memory.nope.bandwidth": "1 GB/s"},
        {"memory.hbm.bandwidth": "100 GB"},
        {"memory.hbm.bandwidth": "-1 GB/s"},
        {"memory.hbm.colour": "red"},
        {"nosuch.field": 1},
        {"memory.hbm": "x"},
        {"name.x": 1},
        {"power.clock": "5 GHz"},  # valid alone as a quantity, refused by the chip's check
        {"memory.smem.kind": "dram"},  # an on-chip level after an off-chip one
        {"memory.hbm.bandwidth": 5e11},  # a bare number for a quantity
        {"memory.hbm.capacity": None},
    ],
)
def test_errors_are_overrides_errors(changes: dict[str, Any]) -> None:
    base = hwsim.load_hardware("a100-80gb-sxm")
    with pytest.raises(SpecError) as want:
        override(base, changes)
    with pytest.raises(SpecError) as got:
        SpecVariants(base)(changes)
    assert str(got.value) == str(want.value)
