"""Seam tests of the scheduler: hand-made op costs on named units and memory channels."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hwsim.costmodel.opcost import OpCost
from hwsim.engine.schedule import (
    in_order,
    schedule,
    schedule_events,
    schedule_in_order,
    schedule_simpy,
)

US = 1e-6
LEVELS = ("sram", "dram")


def _op(
    name: str,
    unit: str,
    *,
    compute_s: float,
    overhead_s: float = 0.0,
    mem_s: tuple[float, float] = (0.0, 0.0),
    prefetch_s: tuple[float, ...] = (),
) -> OpCost:
    """A matmul on ``unit`` with the given times; a level it spends time on reads a byte."""
    return OpCost(
        name=name,
        op_type="matmul",
        op_class="gemm",
        unit=unit,
        dtype="fp16",
        macs=1,
        flops=2,
        compute_s=compute_s,
        overhead_s=overhead_s,
        read_bytes=tuple(1.0 if t else 0.0 for t in mem_s),
        write_bytes=(0.0, 0.0),
        mem_s=mem_s,
        compute_j=0.0,
        mem_j=(0.0, 0.0),
        prefetch_s=prefetch_s,
    )


def _cost(name: str, unit: str, compute_us: float, dram_us: float = 0.0) -> OpCost:
    """An op that computes for ``compute_us`` on ``unit`` and moves data over DRAM for
    ``dram_us`` (overlapped with its compute)."""
    return _op(name, unit, compute_s=compute_us * US, mem_s=(0.0, dram_us * US))


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


# ------------------------------------------------------------------ the in-order fast path


def _random_cost(name: str, unit: str, data: st.DataObject, prefetch: bool) -> OpCost:
    """An op with random overhead, compute and SRAM/DRAM times (some zero, most not exact in
    binary, so a different order of additions shows), maybe prefetching part of its DRAM
    fetch."""
    t = st.sampled_from([0.0, 0.1, 1 / 3, 0.7, 1.0, 2.9, 7.25])
    sram, dram = data.draw(t) * US, data.draw(t) * US
    pre = (0.0, data.draw(st.sampled_from([0.0, 0.3, 1.0])) * dram) if prefetch else ()
    return _op(
        name,
        unit,
        compute_s=data.draw(t) * US,
        overhead_s=data.draw(st.sampled_from([0.0, 0.13])) * US,
        mem_s=(sram, dram),
        prefetch_s=pre,
    )


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_in_order_schedule_equals_simpy_on_one_unit(data: st.DataObject) -> None:
    # Any DAG on one unit: the unit takes ready ops lowest index first, one at a time.
    n = data.draw(st.integers(1, 12))
    deps = [
        tuple(sorted(data.draw(st.sets(st.integers(0, i - 1), max_size=3)))) if i else ()
        for i in range(n)
    ]
    prefetch = data.draw(st.booleans())
    options = [[_random_cost(f"op{i}", "u0", data, prefetch)] for i in range(n)]
    start = data.draw(st.sampled_from([0.0, 3.1e-6, 0.1]))
    assert in_order(deps, options)
    args = (deps, options, ["u0", "u1"], LEVELS)
    fast = schedule_in_order(*args, start_s=start)
    assert fast == schedule_simpy(*args, start_s=start)
    assert fast == schedule(*args, start_s=start)


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_in_order_schedule_equals_simpy_on_a_chain_over_two_units(data: st.DataObject) -> None:
    # Each op waits for the one before it; each may run on either unit (the scheduler picks).
    n = data.draw(st.integers(1, 12))
    deps = [(i - 1,) if i else () for i in range(n)]
    prefetch = data.draw(st.booleans())
    options = [
        [_random_cost(f"op{i}", u, data, prefetch) for u in data.draw(st.permutations(["a", "b"]))]
        for i in range(n)
    ]
    assert in_order(deps, options)
    args = (deps, options, ["a", "b"], LEVELS)
    assert schedule_in_order(*args, start_s=0.1) == schedule_simpy(*args, start_s=0.1)


def test_branches_on_two_units_go_through_simpy() -> None:
    # Two ops waiting for the same op may run at once on two units: not in order.
    options = [[_cost("a", "u0", 1)], [_cost("b", "u0", 1)], [_cost("c", "u1", 1)]]
    deps = [(), (0,), (0,)]
    assert not in_order(deps, options)
    s = schedule(deps, options, ["u0", "u1"], LEVELS)
    assert s.events[1].start_s == s.events[2].start_s == pytest.approx(1 * US)  # overlap


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_event_heap_schedule_equals_simpy_on_any_dag(data: st.DataObject) -> None:
    # Any DAG over up to three units, each op on one or more of them (the scheduler picks),
    # idle units, times that tie often (0, 1.0, 7.25 us...) and starts that are not zero:
    # the heap-driven engine resumes the processes in simpy's order, so the same schedule.
    n = data.draw(st.integers(1, 14))
    deps = [
        tuple(sorted(data.draw(st.sets(st.integers(0, i - 1), max_size=3)))) if i else ()
        for i in range(n)
    ]
    units = ["u0", "u1", "u2"][: data.draw(st.integers(1, 3))]
    prefetch = data.draw(st.booleans())
    options = [
        [
            _random_cost(f"op{i}", u, data, prefetch)
            for u in data.draw(
                st.lists(st.sampled_from(units), min_size=1, max_size=3, unique=True)
            )
        ]
        for i in range(n)
    ]
    start = data.draw(st.sampled_from([0.0, 3.1e-6, 0.1]))
    names = [f"n{i}" for i in range(n)] if data.draw(st.booleans()) else None
    args = (deps, options, units, LEVELS)
    got = schedule_events(*args, names=names, start_s=start)
    assert got == schedule_simpy(*args, names=names, start_s=start)
    if not in_order(deps, options):
        assert schedule(*args, names=names, start_s=start) == got


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_a_graph_scheduled_again_gets_the_same_schedule(data: st.DataObject) -> None:
    # A cost graph's deps (a tuple) are walked once and kept: every later run of the same
    # graph, with other costs, schedules as a graph seen for the first time does.
    n = data.draw(st.integers(1, 10))
    deps = tuple(
        tuple(sorted(data.draw(st.sets(st.integers(0, i - 1), max_size=3)))) if i else ()
        for i in range(n)
    )
    units = ["u0", "u1"]
    for _ in range(3):
        options = [
            [
                _random_cost(f"op{i}", u, data, False)
                for u in data.draw(st.sampled_from([["u0"], ["u1"], units]))
            ]
            for i in range(n)
        ]
        fresh = [list(d) for d in deps]  # a list: not kept
        for run in (schedule_events, schedule_in_order):
            if run is schedule_in_order and not in_order(deps, options):
                continue
            assert run(deps, options, units, LEVELS) == run(fresh, options, units, LEVELS)
