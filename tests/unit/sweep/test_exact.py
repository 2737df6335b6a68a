"""The sweep's fast paths change no figure: rows equal per-point simulate(), pools equal
sequential runs, keys equal their definition."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pandas as pd

import hwsim
from hwsim.engine.result import result_row
from hwsim.sweep import sweep
from hwsim.sweep.columns import bound_columns
from hwsim.sweep.pareto import area_terms
from hwsim.sweep.plan import parse_sweep
from hwsim.sweep.run import item_key, item_keys

PLAN: dict[str, Any] = {
    "hardware": "tpu-like",
    "dtype": "int8",
    "workloads": ["lenet5", "mlperf-tiny-ds-cnn"],
    "axes": {
        "memory.dram.bandwidth": {"log": ["2 GB/s", "64 GB/s"], "count": 3},
        "compute.pe_array.count": [1, 4],
        "memory.sram.capacity": ["64 KiB", "2 MiB"],
    },
}


def test_every_row_equals_simulate_of_its_point() -> None:
    df = sweep(PLAN, jobs=1)
    assert len(df) == 3 * 2 * 2 * 2
    base = hwsim.load_hardware("tpu-like")
    levels = [m.name for m in base.memory]
    for rec in df.to_dict("records"):
        point = {p: rec[p] for p in PLAN["axes"]}
        point["compute.pe_array.count"] = int(point["compute.pe_array.count"])
        spec = hwsim.override(base, point)
        r = hwsim.simulate(rec["workload"], spec, dtype="int8")
        want = {**result_row(r), **bound_columns(r, levels), **area_terms(spec)}
        for k, v in want.items():
            got = rec[k]
            if isinstance(v, float) and isinstance(got, float):
                assert got == v, (k, point, got, v)  # bit for bit, not approx
            elif v is None:
                assert got is None or (isinstance(got, float) and math.isnan(got)), k
            else:
                assert got == v, (k, point, got, v)


def test_two_workers_write_the_same_files_as_one(tmp_path: Path) -> None:
    one = sweep(PLAN, jobs=1, out=tmp_path / "one")
    two = sweep(PLAN, jobs=2, chunk_size=5, out=tmp_path / "two")
    pd.testing.assert_frame_equal(one, two)
    for name in ("results.csv", "results.parquet"):
        if (tmp_path / "one" / name).exists():
            assert (tmp_path / "one" / name).read_bytes() == (tmp_path / "two" / name).read_bytes()


def test_fast_item_keys_equal_their_definition() -> None:
    plan = parse_sweep({**PLAN, "batch": 2}, source="test")
    points = plan.points()
    keys = item_keys(plan, points)
    for point, row in zip(points, keys, strict=True):
        assert row == [item_key(plan, point, wl) for wl in plan.workloads]
    assert len({k for row in keys for k in row}) == len(points) * len(plan.workloads)
