"""Sweep inputs that are not trusted: points.jsonl on resume, worker answers, huge grids."""

from __future__ import annotations

import concurrent.futures as cf
import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from hwsim.sweep import SweepError, sweep
from hwsim.sweep.plan import MAX_SWEEP_ROWS, load_sweep_file
from hwsim.sweep.rows import batch_problem, row_problem
from hwsim.sweep.run import POINTS_FILE


def _good_row() -> dict[str, Any]:
    return {
        "hardware": "tpu-like",
        "profile": "default",
        "batch": 1,
        "dtype": "int8",
        "latency_s": 1e-3,
        "throughput_per_s": 1e3,
        "energy_j": 1e-3,
        "avg_power_w": 1.0,
        "macs": 10,
        "flops": 20,
        "params": 5,
        "weight_bytes": 5.0,
        "peak_activation_bytes": 8.0,
        "fits": True,
        "energy_dram_j": 1e-4,
        "error": None,
    }


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"latency_s": float("inf")}, "not finite"),
        ({"energy_j": float("nan")}, "not finite"),
        ({"energy_dram_j": -1.0}, "negative"),
        ({"energy_dram_j": float("-inf")}, "not finite"),
        ({"bound": 1.5}, "bound is not text"),
        ({"macs": "12"}, "not a number"),
        ({"fits": 1}, "fits"),
        ({"batch": 0}, "batch"),
        ({"hardware": None}, "hardware"),
        ({"latency_s": 0.0}, "positive"),
        ({"x": [1, 2]}, "plain value"),
        ({"error": 5}, "error"),
    ],
)
def test_row_problems_are_named(change: dict[str, Any], reason: str) -> None:
    assert row_problem(_good_row()) is None
    row = {**_good_row(), **change}
    problem = row_problem(row)
    assert problem is not None and reason in problem
    assert row_problem({"error": "chip has no fp8"}) is None
    assert row_problem(None) is not None
    assert "latency_s is missing" in str(
        row_problem({k: v for k, v in _good_row().items() if k != "latency_s"})
    )


def test_batch_answers_must_match_the_keys_asked() -> None:
    good = [("a", _good_row()), ("b", {"error": "x"})]
    assert batch_problem(good, ["a", "b"]) is None
    assert "expected 2 rows" in str(batch_problem(good[:1], ["a", "b"]))
    assert "where 'b' was asked" in str(
        batch_problem([good[0], ("zzz", {"error": "x"})], ["a", "b"])
    )
    assert "list" in str(batch_problem("rows", ["a"]))


def test_resume_recomputes_malformed_rows_and_says_so(tiny: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    full = sweep(tiny, out=out, jobs=1)
    lines = (out / POINTS_FILE).read_text(encoding="utf-8").splitlines()
    rec0, rec1 = json.loads(lines[0]), json.loads(lines[1])
    rec1["row"]["latency_s"] = -5.0
    lines[0] = json.dumps({"key": rec0["key"], "row": None})
    lines[1] = json.dumps(rec1)
    lines.insert(2, "null")
    lines.insert(3, "[1, 2]")
    (out / POINTS_FILE).write_text("\n".join(lines) + "\n", encoding="utf-8")
    again = sweep(tiny, out=out, jobs=1)
    assert again.attrs["discarded"] == 4 and again.attrs["computed"] == 2
    pd.testing.assert_frame_equal(again, full)


def test_points_file_symlink_is_not_written_through(tiny: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    victim = tmp_path / "victim.txt"
    victim.write_text("", encoding="utf-8")
    (out / POINTS_FILE).symlink_to(victim)
    with pytest.raises(SweepError, match="cannot append"):
        sweep(tiny, out=out, jobs=1)
    assert victim.read_text(encoding="utf-8") == ""


def test_results_csv_symlink_is_replaced_not_followed(tiny: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    victim = tmp_path / "victim.txt"
    victim.write_text("keep", encoding="utf-8")
    (out / "results.csv").symlink_to(victim)
    sweep(tiny, out=out, jobs=1)
    assert victim.read_text(encoding="utf-8") == "keep"
    assert not (out / "results.csv").is_symlink()


class _LyingExecutor(cf.Executor):
    """Runs nothing; answers every batch with an injected row."""

    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> cf.Future[Any]:
        fut: cf.Future[Any] = cf.Future()
        items = args[0]["items"]
        fut.set_result(
            [(key, {**_good_row(), "latency_s": 1e-30}) for key, _, _ in items[:-1]]
            + [("injected", _good_row())]
        )
        return fut


def test_a_worker_cannot_inject_rows(tiny: Path) -> None:
    with pytest.raises(SweepError, match="malformed result"):
        sweep(tiny, executor=_LyingExecutor(), chunk_size=3)


def test_total_grid_is_capped(write_sweep: Any) -> None:
    axes = {"compute.pe_array.count": list(range(1, 101))}
    axes["memory.dram.bandwidth"] = [f"{i} GB/s" for i in range(1, 101)]
    axes["memory.sram.capacity"] = [f"{i} MiB" for i in range(1, 101)]
    axes["memory.sram.bandwidth"] = [f"{i} GB/s" for i in range(1, 3)]
    data = {"hardware": "tpu-like", "dtype": "int8", "workloads": ["lenet5"], "axes": axes}
    assert 2 * 100**3 > MAX_SWEEP_ROWS
    with pytest.raises(SweepError, match="use 'sample'"):
        load_sweep_file(write_sweep(data))
    data["sample"] = 10
    assert load_sweep_file(write_sweep(data)).sample == 10
