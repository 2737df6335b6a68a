"""Sweep throughput: ResNet-18 points per minute on a local pool, and through Dask on loopback.

Prints figures only (no asserts). Targets (issue "Hardware sweeps"): >= 1,000 ResNet-18
points per minute on 2 local cores; per-point cost through Dask <= 2x the local pool.

    python benchmarks/bench_sweep.py [--points 400] [--jobs 2] [--workload resnet18] [--no-dask]
"""

from __future__ import annotations

import argparse
import math
import os
import time
import warnings
from typing import Any


def _plan(workload: str, points: int) -> dict[str, Any]:
    # ~points grid points: DRAM bandwidth x PE arrays x SRAM capacity.
    n_bw = max(1, math.ceil(points / 20))
    return {
        "hardware": "tpu-like",
        "dtype": "int8",
        "workloads": [workload],
        "axes": {
            "memory.dram.bandwidth": {"log": ["4 GB/s", "256 GB/s"], "count": n_bw},
            "compute.pe_array.count": [1, 2, 4, 8],
            "memory.sram.capacity": ["512 KiB", "1 MiB", "2 MiB", "4 MiB", "8 MiB"],
        },
    }


def _timed(label: str, plan: dict[str, Any], **kw: Any) -> tuple[float, int, Any]:
    from hwsim.sweep import sweep

    t0 = time.perf_counter()
    df = sweep(plan, **kw)
    dt = time.perf_counter() - t0
    n = len(df)
    print(
        f"{label:<34} {n:>6} points {dt:>8.2f} s  {n / dt * 60:>9,.0f} points/min  "
        f"{dt / n * 1e3:>7.2f} ms/point"
    )
    return dt, n, df


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--points", type=int, default=400, help="grid points (about)")
    ap.add_argument("--jobs", type=int, default=2, help="local worker processes")
    ap.add_argument("--workload", default="resnet18")
    ap.add_argument("--no-dask", action="store_true", help="skip the Dask measurement")
    args = ap.parse_args()

    import hwsim
    from hwsim.workload.registry import builtin_workloads

    if args.workload not in builtin_workloads():
        raise SystemExit(f"workload {args.workload!r} is not registered")
    plan = _plan(args.workload, args.points)
    print(f"hwsim {hwsim.__version__}, {os.cpu_count()} CPUs, workload {args.workload} on tpu-like")

    # One point in this process: the simulator's own cost per point.
    chip = hwsim.load_hardware("tpu-like")
    w = hwsim.load_workload(args.workload, dtype="int8")
    hwsim.simulate(w, chip)
    t0 = time.perf_counter()
    reps = 10
    for _ in range(reps):
        hwsim.simulate(w, chip)
    print(
        f"{'simulate() alone, warm':<34} {(time.perf_counter() - t0) / reps * 1e3:>45.2f} ms/point"
    )

    _timed("sequential (jobs=1)", plan, jobs=1)
    local_dt, local_n, local_df = _timed(f"local pool (jobs={args.jobs})", plan, jobs=args.jobs)
    if args.no_dask:
        return
    try:
        from distributed import LocalCluster
    except ImportError:
        print("dask[distributed] not installed: skipping the Dask measurement")
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t0 = time.perf_counter()
        cluster = LocalCluster(
            n_workers=args.jobs,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
        )
    print(f"{'dask cluster start (not counted)':<34} {time.perf_counter() - t0:>24.2f} s")
    try:
        dask_dt, dask_n, dask_df = _timed(
            f"dask loopback ({args.jobs} workers)", plan, scheduler=cluster.scheduler_address
        )
        warm_dt, warm_n, _ = _timed(
            "dask again (workers warm)", plan, scheduler=cluster.scheduler_address
        )
    finally:
        cluster.close()
    same = dask_df.equals(local_df)
    if not same:
        for col in local_df.columns:
            if not local_df[col].equals(dask_df[col]):
                diff = local_df[col] != dask_df[col]
                print(f"  column {col} differs in {int(diff.sum())} rows, e.g.")
                print(local_df.loc[diff].head(3).T.head(12).to_string())
                print(dask_df.loc[diff, col].head(3).to_string())
    ratio = (dask_dt / dask_n) / (local_dt / local_n)
    warm = (warm_dt / warm_n) / (local_dt / local_n)
    print(
        f"dask / local per-point cost: {ratio:.2f}x (warm workers {warm:.2f}x); tables identical: {same}"
    )


if __name__ == "__main__":
    main()
