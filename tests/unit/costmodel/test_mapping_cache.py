"""The mapping cache key: a mapping is reused exactly when the mapper would make the same one.

The array and CPU mappers tile against capacities, so a chip that differs only in a
level's bandwidth, latency or energy gets the same mapping (a sweep over DRAM bandwidth
searches once per op shape); the GPU mapper ranks candidates by time and energy, so there
those fields are part of the key.
"""

from __future__ import annotations

from functools import cache

from hypothesis import given, settings
from hypothesis import strategies as st

import hwsim
from hwsim.costmodel import CostContext, MapRequest, place
from hwsim.costmodel.mappers import levels_key, map_op
from hwsim.costmodel.opcost import _operands, candidate_units
from hwsim.hardware.loader import override
from hwsim.hardware.models import HardwareSpec
from hwsim.workload.ir import Workload


@cache
def _spec(name: str) -> HardwareSpec:
    return hwsim.load_hardware(name)


def _requests(spec: HardwareSpec, workload: str) -> list[MapRequest]:
    """A map request for every MAC op of ``workload`` on ``spec``'s fastest unit."""
    w = hwsim.load_workload(workload, dtype="int8")
    assert isinstance(w, Workload)
    prof = spec.profile(None)
    ctx = CostContext(spec, prof, place(spec, w.weight_bytes, 0.0))
    out = []
    for op in w.ops:
        if not op.macs:
            continue
        units, dtype = candidate_units(spec, op, prof)
        ops, _ = _operands(ctx, op, units[0], ctx.placement.act_level, False)
        out.append(
            MapRequest(
                op.gemm,
                (3, 3),
                op.macs,
                ops,
                units[0],
                dtype,
                tuple(spec.memory),
                1.0,
                1.0,
                "latency",
            )
        )
    return out


_RATES = st.sampled_from(["1 GB/s", "3.3 GB/s", "64 GB/s", "1 TB/s"])
_ENERGIES = st.sampled_from(["0.1 pJ/B", "20 pJ/B", "300 pJ/B"])
_LATENCIES = st.sampled_from(["0 s", "100 ns", "2 us"])


@settings(max_examples=12, deadline=None)
@given(
    chip=st.sampled_from(["tpu-like", "raspberry-pi-5", "stm32f746"]),
    bw=_RATES,
    energy=_ENERGIES,
    latency=_LATENCIES,
)
def test_array_and_cpu_mappings_ignore_bandwidth_latency_and_energy(
    chip: str, bw: str, energy: str, latency: str
) -> None:
    base = _spec(chip)
    lv = base.memory[-1].name
    var = override(
        base,
        {
            f"memory.{lv}.bandwidth": bw,
            f"memory.{lv}.energy": energy,
            f"memory.{lv}.latency": latency,
        },
    )
    for a, b in zip(_requests(base, "lenet5"), _requests(var, "lenet5"), strict=True):
        assert a.unit.mapper_kind != "gpu"
        assert levels_key(a.unit, a.levels) == levels_key(b.unit, b.levels)
        assert map_op(a) == map_op(b)


def test_gpu_key_carries_every_timing_and_energy_field() -> None:
    base = _spec("a100-80gb-sxm")
    unit = base.unit("tensor")
    key = levels_key(unit, tuple(base.memory))
    for change in (
        {"memory.hbm.bandwidth": "1 TB/s"},
        {"memory.hbm.latency": "1 us"},
        {"memory.hbm.energy": "1 pJ/B"},
        {"memory.l2.duplex": True},
    ):
        var = override(base, change)
        assert levels_key(var.unit("tensor"), tuple(var.memory)) != key, change


def test_capacity_and_level_name_are_part_of_every_key() -> None:
    # A mapping names the levels its tiles sit in: another name is another mapping.
    base = _spec("tpu-like")
    unit = base.unit("pe_array")
    key = levels_key(unit, tuple(base.memory))
    bigger = override(base, {"memory.sram.capacity": "4 MiB"})
    assert levels_key(unit, tuple(bigger.memory)) != key
    renamed = base.model_copy(
        update={
            "memory": [
                base.memory[0],
                base.memory[1].model_copy(update={"name": "buf"}),
                base.memory[2],
            ]
        }
    )
    assert levels_key(unit, tuple(renamed.memory)) != key
