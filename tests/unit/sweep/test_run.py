"""Running sweeps: the table, resume from the output folder, executors agree."""

from __future__ import annotations

import concurrent.futures as cf
import copy
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import hwsim
from hwsim.sweep import SweepError, SweepProgress, sweep
from hwsim.sweep.run import POINTS_FILE, RESULT_FIELDS

from .conftest import TINY


def _counter() -> tuple[list[SweepProgress], Any]:
    seen: list[SweepProgress] = []
    return seen, seen.append


def test_table_columns_and_values(tiny: Path) -> None:
    df = sweep(tiny, jobs=1)
    assert len(df) == 6
    axes = ["memory.dram.bandwidth", "compute.pe_array.count"]
    assert list(df.columns[:4]) == ["point", *axes, "memory.dram.bandwidth_bytes_per_s"]
    for col in ("workload", "hardware", "profile", "batch", "dtype", *RESULT_FIELDS):
        assert col in df.columns
    for col in ("energy_compute_j", "energy_static_j", "energy_sram_j", "energy_dram_j"):
        assert col in df.columns
    assert {"onchip_bytes", "mac_units", "area_proxy", "error"} <= set(df.columns)
    assert df["memory.dram.bandwidth"].tolist() == ["4 GB/s"] * 2 + ["8 GB/s"] * 2 + ["16 GB/s"] * 2
    assert df["memory.dram.bandwidth_bytes_per_s"].tolist() == [4e9] * 2 + [8e9] * 2 + [16e9] * 2
    assert df["compute.pe_array.count"].tolist() == [1, 2] * 3
    assert (df["workload"] == "lenet5").all() and (df["dtype"] == "int8").all()
    assert df["error"].isna().all()
    # Each row equals a direct simulation of that variant.
    chip = hwsim.load_hardware("tpu-like")
    for _, row in df.iloc[[0, 5]].iterrows():
        variant = hwsim.override(
            chip,
            {
                "memory.dram.bandwidth": row["memory.dram.bandwidth"],
                "compute.pe_array.count": int(row["compute.pe_array.count"]),
            },
        )
        r = hwsim.simulate("lenet5", variant, dtype="int8")
        assert row["latency_s"] == r.latency_s and row["energy_j"] == r.energy_j
        assert row["energy_dram_j"] == r.energy_breakdown_j["dram"]
    # Energy parts add up; more DRAM bandwidth is never slower.
    parts = df[[c for c in df.columns if c.startswith("energy_") and c != "energy_j"]].sum(axis=1)
    assert parts.to_numpy() == pytest.approx(df["energy_j"].to_numpy(), rel=1e-12)
    one = df[df["compute.pe_array.count"] == 1]["latency_s"].to_numpy()
    assert one[0] >= one[1] >= one[2]
    # Area proxy: on-chip bytes + 64 B per MAC unit (1024 PEs per array + 1 vector unit).
    assert df["mac_units"].tolist() == [1025.0, 2049.0] * 3
    onchip = (128 + 2048) * 1024
    assert df["area_proxy"].tolist() == [onchip + 64 * m for m in df["mac_units"]]


def test_module_is_callable_and_keywords_work() -> None:
    df = hwsim.sweep(
        hardware="tpu-like",
        workloads=["lenet5", "mlperf-tiny-ds-cnn"],
        axes={"memory.sram.capacity": ["512 KiB", "1 MiB"]},
        dtype="int8",
        jobs=1,
    )
    assert df["workload"].tolist() == ["lenet5", "mlperf-tiny-ds-cnn"] * 2
    assert df["memory.sram.capacity_bytes"].tolist() == [2**19] * 2 + [2**20] * 2
    assert hwsim.sweep.pareto_front is not None


def test_import_hwsim_does_not_load_sweep_dask_or_pandas() -> None:
    code = (
        "import sys, hwsim; "
        "assert 'hwsim.sweep' not in sys.modules; "
        "assert not any(m.split('.')[0] in ('dask', 'distributed') for m in sys.modules); "
        "import hwsim.sweep; "
        "assert not any(m.split('.')[0] in ('dask', 'distributed', 'pandas') for m in sys.modules)"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_outputs_and_nothing_recomputed_when_finished(tiny: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    seen, cb = _counter()
    df = sweep(tiny, out=out, jobs=1, progress=cb)
    assert seen[0] == SweepProgress(6, 0, 0) and seen[-1].computed == 6
    assert df.attrs["computed"] == 6 and df.attrs["cached"] == 0
    csv = pd.read_csv(out / "results.csv")
    assert csv.columns.tolist() == df.columns.tolist()
    assert csv["latency_s"].tolist() == df["latency_s"].tolist()
    meta = json.loads((out / "sweep.json").read_text())
    assert [a["path"] for a in meta["axes"]] == list(TINY["axes"])
    assert len((out / POINTS_FILE).read_text().splitlines()) == 6

    seen, cb = _counter()
    again = sweep(tiny, out=out, jobs=1, progress=cb)
    assert again.attrs["computed"] == 0 and again.attrs["cached"] == 6
    assert [p.computed for p in seen] == [0]
    pd.testing.assert_frame_equal(again, df)
    assert len((out / POINTS_FILE).read_text().splitlines()) == 6


def test_interrupted_sweep_resumes_where_it_stopped(tiny: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    full = sweep(tiny, jobs=1)

    def stop_at_half(p: SweepProgress) -> None:
        if p.computed >= 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        sweep(tiny, out=out, jobs=1, chunk_size=1, progress=stop_at_half)
    assert not (out / "results.csv").exists()
    # A line cut short by the interruption is ignored.
    with (out / POINTS_FILE).open("a") as fh:
        fh.write('{"key": "abc", "row": {"lat')
    seen, cb = _counter()
    df = sweep(tiny, out=out, jobs=1, progress=cb)
    assert seen[0].cached == 3 and df.attrs["computed"] == 3
    pd.testing.assert_frame_equal(df, full)


def test_growing_a_sweep_reuses_finished_points(
    tiny: Path, write_sweep: Any, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    half = copy.deepcopy(TINY)
    half["axes"]["memory.dram.bandwidth"] = ["4 GB/s"]
    sweep(write_sweep(half, "half.yaml"), out=out, jobs=1)
    df = sweep(tiny, out=out, jobs=1)
    assert df.attrs["cached"] == 2 and df.attrs["computed"] == 4
    # Other workload parameters are other rows: all recomputed.
    other_file = write_sweep({**TINY, "batch": 2}, "other.yaml")
    assert sweep(other_file, out=out, jobs=1).attrs["computed"] == 6


def test_local_pool_and_any_executor_match_sequential(tiny: Path) -> None:
    seq = sweep(tiny, jobs=1)
    pool = sweep(tiny, jobs=2, chunk_size=2)
    pd.testing.assert_frame_equal(pool, seq)
    with cf.ThreadPoolExecutor(3) as ex:
        threads = sweep(tiny, executor=ex, chunk_size=1)
    pd.testing.assert_frame_equal(threads, seq)


def test_invalid_combination_becomes_an_error_row(write_sweep: Any, tmp_path: Path) -> None:
    # Each value is valid alone, but an off-chip kind for the SRAM level together with an
    # on-chip kind for the DRAM level puts an on-chip level after an off-chip one: that
    # point's rows carry the error and no figures. It is the first point, so the up-front
    # check moves on to the next one instead of stopping.
    data = copy.deepcopy(TINY)
    data["axes"] = {
        "memory.sram.kind": ["dram", "sram"],
        "memory.dram.kind": ["sram", "dram"],
    }
    out = tmp_path / "out"
    df = sweep(write_sweep(data), out=out, jobs=1)
    assert df.attrs["failed"] == 1
    bad = df[df["error"].notna()]
    assert len(bad) == 1 and "nearest first" in bad["error"].iloc[0]
    assert bad["latency_s"].isna().all()
    assert df.loc[df["error"].isna(), "latency_s"].notna().all()
    # Failed points are kept too: a rerun computes nothing.
    assert sweep(write_sweep(data), out=out, jobs=1).attrs["computed"] == 0


def test_first_point_failure_stops_the_sweep(write_sweep: Any) -> None:
    data = copy.deepcopy(TINY)
    data["dtype"] = "fp32"  # tpu-like only runs int8
    with pytest.raises(SweepError, match=r"workload 'lenet5'.*fp32"):
        sweep(write_sweep(data), jobs=1)


def test_bad_options() -> None:
    with pytest.raises(SweepError, match="jobs"):
        sweep(hardware="tpu-like", workloads=["lenet5"], dtype="int8", jobs=0)
    with pytest.raises(SweepError, match="no point meets the constraints"):
        sweep(
            hardware="tpu-like",
            workloads=["lenet5"],
            dtype="int8",
            axes={"compute.pe_array.count": [1, 2]},
            constraints=["compute.pe_array.count > 2"],
            jobs=1,
        )


def test_parquet_when_pyarrow_is_installed(tiny: Path, tmp_path: Path) -> None:
    pytest.importorskip("pyarrow")
    df = sweep(tiny, out=tmp_path, jobs=1)
    back = pd.read_parquet(tmp_path / "results.parquet")
    assert back.columns.tolist() == df.columns.tolist()
    assert back["latency_s"].tolist() == df["latency_s"].tolist()


def test_progress_ticks_while_workers_run(tiny: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # No batch finishes for a while: progress still comes, counts unchanged (a bar's clock).
    import time

    from hwsim.sweep import run

    monkeypatch.setattr(run, "PROGRESS_TICK_S", 0.01)
    real = run.run_batch

    def slow(task: Any) -> Any:
        time.sleep(0.2)
        return real(task)

    monkeypatch.setattr(run, "run_batch", slow)
    seen, cb = _counter()
    with cf.ThreadPoolExecutor(1) as ex:
        df = sweep(tiny, executor=ex, chunk_size=5, progress=cb)
    assert len(df) == 6
    counts = [p.computed for p in seen]
    assert counts == sorted(counts) and counts[-1] == 6
    # start, the up-front point, one batch of the 5 others, and ticks in between
    assert len(seen) > 3 + 5
    assert counts.count(1) >= 5
