"""OpCost.of and OpCost.but (built without the dataclass __init__) against the __init__ path."""

from __future__ import annotations

import dataclasses
import math

from hypothesis import given, settings
from hypothesis import strategies as st

from hwsim.costmodel.opcost import OpCost

_times = st.floats(0.0, 1e3, allow_nan=False)
_levels = st.integers(1, 4)


@st.composite
def _fields(draw: st.DrawFn) -> dict[str, object]:
    n = draw(_levels)
    vec = st.tuples(*([_times] * n))
    return {
        "name": draw(st.text(max_size=5)),
        "op_type": "conv2d",
        "op_class": "conv",
        "unit": draw(st.sampled_from(["pe", "vector"])),
        "dtype": "int8",
        "macs": draw(st.integers(0, 10**9)),
        "flops": draw(st.integers(0, 10**9)),
        "compute_s": draw(_times),
        "overhead_s": draw(_times),
        "read_bytes": draw(vec),
        "write_bytes": draw(vec),
        "mem_s": draw(vec),
        "compute_j": draw(_times),
        "mem_j": draw(vec),
        "fused": draw(st.booleans()),
        "notes": (),
        "mapping": None,
        "prefetch_s": draw(st.sampled_from([(), (0.0,) * n])),
    }


def _same(a: OpCost, b: OpCost) -> None:
    assert a == b
    for f in dataclasses.fields(OpCost):
        x, y = getattr(a, f.name), getattr(b, f.name)
        assert repr(x) == repr(y), f.name  # bit for bit (repr of floats round-trips)


@settings(max_examples=60, deadline=None)
@given(_fields())
def test_of_equals_init(fields: dict[str, object]) -> None:
    _same(OpCost.of(**dict(fields)), OpCost(**fields))  # type: ignore[arg-type]


@settings(max_examples=60, deadline=None)
@given(_fields(), _times, st.text(max_size=3))
def test_but_equals_replace(fields: dict[str, object], compute: float, note: str) -> None:
    cost = OpCost(**fields)  # type: ignore[arg-type]
    got = cost.but(compute_s=compute, notes=(note,))
    _same(got, dataclasses.replace(cost, compute_s=compute, notes=(note,)))
    assert cost.compute_s == fields["compute_s"]  # the original is unchanged


def test_derived_fields_by_hand() -> None:
    cost = OpCost.of(
        name="c",
        op_type="conv2d",
        op_class="conv",
        unit="pe",
        dtype="int8",
        macs=4,
        flops=8,
        compute_s=2.0,
        overhead_s=0.5,
        read_bytes=(1.0, 10.0),
        write_bytes=(2.0, 20.0),
        mem_s=(1.0, 3.0),
        compute_j=0.25,
        mem_j=(0.5, 1.0),
        fused=False,
        notes=(),
        mapping=None,
        prefetch_s=(),
    )
    assert cost.bytes_by_level == (3.0, 30.0)
    assert cost.latency_s == 0.5 + 3.0  # overhead + slowest of compute and levels
    assert math.isclose(cost.energy_j, 1.75)
    assert cost.but(compute_s=4.0).latency_s == 4.5


def test_a_replaced_context_derives_its_own_level_timing() -> None:
    import hwsim
    from hwsim.costmodel.opcost import CostContext
    from hwsim.costmodel.placement import place

    chip = hwsim.load_hardware("tpu-like")
    fast = hwsim.override(chip, {"memory.dram.bandwidth": "16 GB/s"})
    ctx = CostContext(chip, chip.profile(None), place(chip, 1.0, 1.0))
    assert [t.read_bw for t in ctx.timing()] == [m.read_bw for m in chip.memory]
    other = dataclasses.replace(ctx, spec=fast)
    assert other.timing()[2].read_bw == 16e9  # DRAM: the new chip's, not the memo's
    assert ctx.timing()[2].read_bw == 8e9
