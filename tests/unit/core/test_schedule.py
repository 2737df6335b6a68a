"""Seam tests of the scheduler: hand-made op costs on named units and memory channels."""

from __future__ import annotations

import pytest

from hwsim.costmodel.opcost import OpCost
from hwsim.engine.schedule import schedule

US = 1e-6
LEVELS = ("sram", "dram")


def _cost(name: str, unit: str, compute_us: float, dram_us: float = 0.0) -> OpCost:
    """An op that computes for ``compute_us`` on ``unit`` and moves data over DRAM for
    ``dram_us`` (overlapped with its compute)."""
    return OpCost(
        name=name,
        op_type="matmul",
        op_class="gemm",
        unit=unit,
        dtype="fp16",
        macs=1,
        flops=2,
        compute_s=compute_us * US,
        overhead_s=0.0,
        read_bytes=(0.0, 1.0 if dram_us else 0.0),
        write_bytes=(0.0, 0.0),
        mem_s=(0.0, dram_us * US),
        compute_j=0.0,
        mem_j=(0.0, 0.0),
    )


def test_independent_ops_on_one_unit_run_one_after_the_other() -> None:
    s = schedule([(), ()], [[_cost("a", "u0", 1)], [_cost("b", "u0", 2)]], ["u0"], LEVELS)
    a, b = s.events
    assert (a.start_s, a.end_s) == pytest.approx((0.0, 1 * US))
    assert (b.start_s, b.end_s) == pytest.approx((1 * US, 3 * US))
    assert s.makespan_s == pytest.approx(3 * US)


def test_independent_ops_spread_over_two_units() -> None:
    opts = [[_cost(n, "u0", 1), _cost(n, "u1", 1)] for n in ("a", "b")]
    s = schedule([(), ()], opts, ["u0", "u1"], LEVELS)
    assert {e.unit for e in s.events} == {"u0", "u1"}
    assert s.makespan_s == pytest.approx(1 * US)


def test_a_dependency_serialises_even_with_a_free_unit() -> None:
    opts = [[_cost(n, "u0", 1), _cost(n, "u1", 1)] for n in ("a", "b")]
    s = schedule([(), (0,)], opts, ["u0", "u1"], LEVELS)
    assert s.events[1].start_s == pytest.approx(s.events[0].end_s)
    assert s.makespan_s == pytest.approx(2 * US)


def test_two_units_share_one_memory_channel() -> None:
    # Both ops only stream 1 us of DRAM traffic; on separate units they still queue on the
    # one DRAM channel, so the second finishes at 2 us.
    opts = [[_cost("a", "u0", 0, dram_us=1)], [_cost("b", "u1", 0, dram_us=1)]]
    s = schedule([(), ()], opts, ["u0", "u1"], LEVELS)
    assert s.makespan_s == pytest.approx(2 * US)
    spans = sorted((t[1], t[2]) for e in s.events for t in e.transfers if t[0] == "dram")
    assert spans == [pytest.approx((0.0, 1 * US)), pytest.approx((1 * US, 2 * US))]


def test_the_start_offset_shifts_every_event() -> None:
    s = schedule([()], [[_cost("a", "u0", 1)]], ["u0"], LEVELS, start_s=5 * US)
    assert (s.events[0].start_s, s.events[0].end_s) == pytest.approx((5 * US, 6 * US))
    assert s.makespan_s == pytest.approx(1 * US)
