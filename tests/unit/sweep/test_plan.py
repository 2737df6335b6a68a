"""Sweep files: axes, ranges with units, sampling, constraints, and errors before any run."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from hwsim.sweep import SweepError, load_sweep_file, parse_sweep, sweep
from hwsim.sweep.expr import ExpressionError, parse_constraint

from .conftest import TINY


def _plan(**changes: Any) -> Any:
    data = copy.deepcopy(TINY)
    data.update(changes)
    return parse_sweep(data, source="t.yaml")


def test_grid_points_row_major(tiny: Any) -> None:
    plan = load_sweep_file(tiny)
    pts = plan.points()
    assert len(pts) == 6
    assert pts[0] == {"memory.dram.bandwidth": "4 GB/s", "compute.pe_array.count": 1}
    assert pts[1] == {"memory.dram.bandwidth": "4 GB/s", "compute.pe_array.count": 2}
    assert pts[-1] == {"memory.dram.bandwidth": "16 GB/s", "compute.pe_array.count": 2}
    assert plan.axes[0].si_column == "memory.dram.bandwidth_bytes_per_s"
    assert plan.axes[1].si_column is None


def test_linear_and_log_ranges_keep_units() -> None:
    plan = _plan(
        axes={
            "memory.dram.bandwidth": {"linear": ["25 GB/s", "100 GB/s"], "count": 4},
            "memory.sram.capacity": {"log": ["512 KiB", "8 MiB"], "count": 5},
            "compute.pe_array.count": {"log": [1, 16], "count": 5},
        }
    )
    bw, cap, cnt = plan.axes
    assert bw.values == ("25 GB/s", "50 GB/s", "75 GB/s", "100 GB/s")
    # Generated values are written in the unit of the start's family that reads best;
    # the endpoints exactly as given.
    assert cap.values == ("512 KiB", "1 MiB", "2 MiB", "4 MiB", "8 MiB")
    assert cnt.values == (1, 2, 4, 8, 16)
    assert len(plan.points()) == 4 * 5 * 5


def test_integer_range_rounds_and_dedupes() -> None:
    plan = _plan(axes={"compute.pe_array.count": {"linear": [1, 3], "count": 5}})
    assert plan.axes[0].values == (1, 2, 3)


def test_sample_from_grid_is_seeded_distinct_and_a_subset() -> None:
    axes = {
        "memory.dram.bandwidth": {"linear": ["1 GB/s", "10 GB/s"], "count": 10},
        "compute.pe_array.count": [1, 2, 3, 4],
    }
    full = _plan(axes=axes).points()
    a = _plan(axes=axes, sample=7, seed=3).points()
    b = _plan(axes=axes, sample=7, seed=3).points()
    c = _plan(axes=axes, sample=7, seed=4).points()
    assert a == b and a != c
    assert len(a) == 7 and len({str(p) for p in a}) == 7
    assert all(p in full for p in a)
    # Sampled points keep grid order.
    assert [full.index(p) for p in a] == sorted(full.index(p) for p in a)
    assert len(_plan(axes=axes, sample=1000).points()) == 40


def test_sample_uniformly_within_ranges() -> None:
    plan = _plan(
        axes={
            "memory.dram.bandwidth": {"linear": ["10 GB/s", "20 GB/s"]},
            "compute.pe_array.count": {"log": [1, 64]},
        },
        sample=50,
        seed=1,
    )
    pts = plan.points()
    assert len(pts) == 50
    for p in pts:
        bw = p["memory.dram.bandwidth"]
        assert bw.endswith(" GB/s") and 10 <= float(bw.split()[0]) <= 20
        assert isinstance(p["compute.pe_array.count"], int)
        assert 1 <= p["compute.pe_array.count"] <= 64


def test_continuous_axis_without_sample_fails() -> None:
    plan = _plan(axes={"memory.dram.bandwidth": {"linear": ["10 GB/s", "20 GB/s"]}})
    with pytest.raises(SweepError, match="continuous axes need 'sample'"):
        plan.points()


def test_constraints_filter_points() -> None:
    plan = _plan(
        axes={
            "memory.sram.capacity": ["1 MiB", "4 MiB", "16 MiB"],
            "memory.weight_regs.capacity": ["512 KiB", "2 MiB", "8 MiB"],
        },
        constraints=[
            "memory.weight_regs.capacity <= memory.sram.capacity",
            {"path": "memory.sram.capacity", "op": "<", "value": "16 MiB"},
        ],
    )
    pts = plan.points()
    assert pts == [
        {"memory.sram.capacity": "1 MiB", "memory.weight_regs.capacity": "512 KiB"},
        {"memory.sram.capacity": "4 MiB", "memory.weight_regs.capacity": "512 KiB"},
        {"memory.sram.capacity": "4 MiB", "memory.weight_regs.capacity": "2 MiB"},
    ]


def test_constraint_against_a_fixed_field_and_arithmetic() -> None:
    plan = _plan(
        axes={"compute.pe_array.count": [1, 2, 4, 8]},
        constraints=[
            "compute.pe_array.count * memory.sram.capacity <= 2 * memory.dram.capacity / 1024"
        ],
    )
    # 2 MiB x count <= 2 x 4 GiB / 1024 = 8 MiB  ->  count <= 4
    assert [p["compute.pe_array.count"] for p in plan.points()] == [1, 2, 4]


@pytest.mark.parametrize(
    ("axes", "needle"),
    [
        ({"memory.dram.bandwith": ["8 GB/s"]}, "axis 'memory.dram.bandwith'"),
        ({"memory.l3.capacity": ["1 MiB"]}, "axis 'memory.l3.capacity'"),
        ({"memory.dram.bandwidth": ["8 GB"]}, "axis 'memory.dram.bandwidth'"),
        ({"memory.dram.bandwidth": ["8 GB/s", "8 GiB/s"]}, "axis 'memory.dram.bandwidth'"),
        ({"memory.dram.bandwidth": []}, "axis 'memory.dram.bandwidth': no values"),
        ({"memory.dram.bandwidth": None}, "axis 'memory.dram.bandwidth': no values"),
        ({"compute.pe_array.count": [0]}, "axis 'compute.pe_array.count'"),
        ({"compute.pe_array.count": {"linear": [1, 4]}, "bad": 1}, "unknown key"),
        ({"compute.pe_array.count": {"linear": [1, 4], "step": 1}}, "'compute.pe_array.count'"),
        ({"memory.dram.bandwidth": {"log": ["0 GB/s", "8 GB/s"], "count": 3}}, "positive"),
        ({"memory.dram.bandwidth": {"linear": ["8 GB/s", "8 MiB"], "count": 3}}, "differ"),
    ],
)
def test_bad_axes_fail_naming_the_axis(axes: dict[str, Any], needle: str) -> None:
    data = copy.deepcopy(TINY)
    extra = axes.pop("bad", None)
    data["axes"] = axes
    if extra is not None:
        data["bad"] = extra
    with pytest.raises(SweepError) as info:
        parse_sweep(data, source="t.yaml")
    msg = str(info.value)
    assert needle in msg and msg.startswith("t.yaml")
    assert "\n" not in msg


def test_wrong_unit_message_says_what_was_expected() -> None:
    with pytest.raises(SweepError, match=r"expected bytes/s"):
        _plan(axes={"memory.dram.bandwidth": ["8 GB"]})


@pytest.mark.parametrize(
    ("changes", "needle"),
    [
        ({"workloads": ["no_such_model"]}, "workload 'no_such_model'"),
        ({"workloads": [{"name": "lenet5", "widht": 2}]}, "workload 'lenet5'"),
        ({"workloads": []}, "workloads"),
        ({"hardware": "no-such-chip"}, "hardware"),
        ({"profile": "tensorrt"}, "no software profile 'tensorrt'"),
        ({"sample": 0}, "sample"),
        ({"constraints": ["memory.sram.capacity <="]}, "constraint"),
        ({"constraints": ["memory.sram.capacity <= memory.nope.capacity"]}, "memory.nope"),
        ({"constraints": ["memory.sram.capacity <= 8 GB/s"]}, "compares bytes with bytes/s"),
        ({"constraints": ["memory.sram.capacity"]}, "needs a comparison"),
    ],
)
def test_bad_sweep_files(changes: dict[str, Any], needle: str) -> None:
    with pytest.raises(SweepError, match=r"t.yaml") as info:
        _plan(**changes)
    assert needle in str(info.value)


def test_unknown_top_level_key(write_sweep: Any) -> None:
    path = write_sweep({**TINY, "axis": {}})
    with pytest.raises(SweepError, match="unknown key"):
        load_sweep_file(path)


def test_duplicate_yaml_key_rejected(write_sweep: Any) -> None:
    path = write_sweep("hardware: tpu-like\nhardware: tpu-like\nworkloads: [lenet5]\n")
    with pytest.raises(SweepError, match="duplicate key"):
        load_sweep_file(path)


def test_workload_labels_and_defaults() -> None:
    plan = _plan(
        workloads=["lenet5", {"name": "lenet5", "batch": 4}, {"name": "lenet5", "label": "l5"}],
        batch=2,
    )
    labels = [w.label for w in plan.workloads]
    assert labels == ["lenet5(batch=2,dtype=int8)", "lenet5(batch=4,dtype=int8)", "l5"]
    assert plan.workloads[0].params == {"batch": 2, "dtype": "int8"}


def test_no_point_runs_when_the_file_is_bad(write_sweep: Any, tmp_path: Any) -> None:
    data = copy.deepcopy(TINY)
    data["axes"]["memory.dram.bandwith"] = ["8 GB/s"]
    seen: list[Any] = []
    with pytest.raises(SweepError, match=r"memory.dram.bandwith"):
        sweep(write_sweep(data), out=tmp_path / "out", jobs=1, progress=seen.append)
    assert seen == []
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("text", "value", "ok"),
    [
        ("x <= 4 MiB", 4 * 2**20, True),
        ("x < 4 MiB", 4 * 2**20, False),
        ("1 MiB < x < 8 MiB", 2 * 2**20, True),
        ("1 MiB < x < 8 MiB", 9 * 2**20, False),
        ("(x + 1 MiB) * 2 == 4 MiB", 2**20, True),
        ("-x < 0", 5.0, True),
        ("x / 2 != x", 4.0, True),
        ("x >= 1e3", 1000.0, True),
    ],
)
def test_expressions(text: str, value: float, ok: bool) -> None:
    from hwsim.units import Dimension

    c = parse_constraint(text)
    assert c.holds(lambda _: (value, Dimension.BYTES if "MiB" in text else None)) is ok


@pytest.mark.parametrize(
    "text", ["x <= 4 parsecs", "x <=", "x <= (4", "__import__('os') == 1", "x ; y", "x < 1 y"]
)
def test_expressions_reject_anything_else(text: str) -> None:
    with pytest.raises(ExpressionError):
        parse_constraint(text)
