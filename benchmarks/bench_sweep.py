"""Sweep throughput: ResNet-18 points per minute on a local pool, and through Dask on loopback.

Prints figures only (no asserts). Targets (issue #18): >= 100,000 points per minute for the
8,000-point tpu-like ResNet-18 grid with ``--jobs 2``; per-point cost through Dask <= 2x the
local pool.

Every timed sweep runs in a fresh Python process (cold caches, the pool started and shut down
inside the timing, as a user's run; hwsim's bytecode compiled beforehand), ``--repeat``
times, interleaved with the other measurements so that load from other processes hits them
alike; min and median are printed, and the CPU time of the sweep and its workers.
``--tree DIR`` (repeatable) times the same sweep with other checkouts of hwsim on
``PYTHONPATH`` (before/after comparisons); ``--cli`` also times the whole ``hwsim sweep``
command (interpreter start, imports, CSV and Parquet written). On a machine shared with
other jobs, ``--quiet CORES`` (Linux) starts a round only once the other processes have used
less than CORES cores over the last second, and drops a round (and runs another) when the
other processes that are alive at its end used more than that on average while it ran.

    python benchmarks/bench_sweep.py --points 8000 --jobs 2 --no-dask --repeat 7 [--cli]
        [--sequential] [--tree /path/to/other/checkout] [--workload resnet18] [--quiet 0.1]
"""

from __future__ import annotations

import argparse
import compileall
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

_CHILD = """
import json, resource, sys, time
import hwsim
from hwsim.sweep import sweep
def cpu():
    return sum(
        r.ru_utime + r.ru_stime
        for r in map(resource.getrusage, (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    )
plan, jobs = json.loads(sys.argv[1]), int(sys.argv[2])
c0, t0 = cpu(), time.perf_counter()
df = sweep(plan, jobs=jobs)
dt, dc = time.perf_counter() - t0, cpu() - c0
assert df["error"].isna().all(), df["error"].dropna().head()
print(json.dumps({"s": dt, "cpu": dc, "rows": len(df)}))
"""


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


def _env(tree: str | None) -> dict[str, str]:
    env = dict(os.environ)
    if tree is not None:
        env["PYTHONPATH"] = tree
    return env


_NEUTRAL_CWD = tempfile.gettempdir()
"""Children run here: ``python -c`` and ``-m`` put the working directory first on sys.path,
which would shadow ``--tree`` with a checkout found there."""


def _sweep_in_child(tree: str | None, plan: dict[str, Any], jobs: int) -> tuple[float, float, int]:
    """Wall and CPU seconds (the process and its workers) inside sweep() in a fresh
    process, and the rows it returned."""
    got = subprocess.run(
        [sys.executable, "-c", _CHILD, json.dumps(plan), str(jobs)],
        env=_env(tree),
        cwd=_NEUTRAL_CWD,
        capture_output=True,
        text=True,
        check=True,
    )
    rec = json.loads(got.stdout.strip().splitlines()[-1])
    return float(rec["s"]), float(rec["cpu"]), int(rec["rows"])


def _cli_wall(tree: str | None, plan_file: Path, jobs: int) -> float:
    """Wall seconds of a whole ``hwsim sweep`` command writing CSV (+ Parquet)."""
    with tempfile.TemporaryDirectory() as out:
        t0 = time.perf_counter()
        subprocess.run(
            [
                *(sys.executable, "-m", "hwsim", "sweep", str(plan_file)),
                *("--out", out, "--jobs", str(jobs), "--no-progress"),
            ],
            env=_env(tree),
            cwd=_NEUTRAL_CWD,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            check=True,
        )
        return time.perf_counter() - t0


def _cpu_ticks() -> dict[int, int]:
    """CPU clock ticks (user + system) so far of every process but this one (Linux /proc)."""
    out = {}
    me = os.getpid()
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit() or int(entry.name) == me:
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as fh:
                fields = fh.read().rsplit(b")", 1)[1].split()
        except OSError:  # gone meanwhile
            continue
        out[int(entry.name)] = int(fields[11]) + int(fields[12])
    return out


def _others_cores(before: dict[int, int], after: dict[int, int], seconds: float) -> float:
    """Cores the processes alive at ``after`` used on average since ``before`` (the
    benchmark's own children have exited by then; short jobs of others that came and went in
    between are not seen)."""
    ticks = sum(t - before.get(pid, 0) for pid, t in after.items())
    return ticks / os.sysconf("SC_CLK_TCK") / max(seconds, 1e-9)


def _wait_quiet(cores: float) -> None:
    """Return once the other processes used less than ``cores`` over one second."""
    while True:
        before, t0 = _cpu_ticks(), time.monotonic()
        time.sleep(1.0)
        if _others_cores(before, _cpu_ticks(), time.monotonic() - t0) < cores:
            return


def _stats(label: str, secs: list[float], rows: int) -> None:
    lo, med = min(secs), statistics.median(secs)
    print(
        f"{label:<50} min {lo:>7.2f} s  median {med:>7.2f} s  "
        f"{rows / lo * 60:>9,.0f} / {rows / med * 60:>9,.0f} points/min"
    )


def _simulate_alone(workload: str) -> None:
    import hwsim

    chip = hwsim.load_hardware("tpu-like")
    w = hwsim.load_workload(workload, dtype="int8")
    hwsim.simulate(w, chip)
    t0 = time.perf_counter()
    reps = 20
    for _ in range(reps):
        hwsim.simulate(w, chip)
    per = (time.perf_counter() - t0) / reps * 1e3
    print(f"{'simulate() alone, warm, this process':<46} {per:>40.2f} ms/point")


def _dask(plan: dict[str, Any], jobs: int) -> None:
    try:
        from distributed import LocalCluster
    except ImportError:
        print("dask[distributed] not installed: skipping the Dask measurement")
        return
    from hwsim.sweep import sweep

    def timed(label: str, **kw: Any) -> tuple[float, int, Any]:
        t0 = time.perf_counter()
        df = sweep(plan, **kw)
        dt = time.perf_counter() - t0
        print(f"{label:<46} {len(df):>6} rows  {dt:>7.2f} s  {len(df) / dt * 60:>9,.0f} points/min")
        return dt, len(df), df

    local_dt, local_n, local_df = timed(f"local pool (jobs={jobs}), this process", jobs=jobs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t0 = time.perf_counter()
        cluster = LocalCluster(  # type: ignore[no-untyped-call]
            n_workers=jobs,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
        )
    print(f"{'dask cluster start (not counted)':<46} {time.perf_counter() - t0:>14.2f} s")
    try:
        dask_dt, dask_n, dask_df = timed(
            f"dask loopback ({jobs} workers)", scheduler=cluster.scheduler_address
        )
        warm_dt, warm_n, _ = timed("dask again (workers warm)", scheduler=cluster.scheduler_address)
    finally:
        cluster.close()
    same = dask_df.equals(local_df)
    ratio = (dask_dt / dask_n) / (local_dt / local_n)
    warm = (warm_dt / warm_n) / (local_dt / local_n)
    print(
        f"dask / local per-point cost: {ratio:.2f}x (warm workers {warm:.2f}x); "
        f"tables identical: {same}"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--points", type=int, default=400, help="grid points (about)")
    ap.add_argument("--jobs", type=int, default=2, help="local worker processes")
    ap.add_argument("--workload", default="resnet18")
    ap.add_argument("--repeat", type=int, default=1, help="interleaved runs of each figure")
    ap.add_argument("--sequential", action="store_true", help="also time jobs=1")
    ap.add_argument("--cli", action="store_true", help="also time the hwsim sweep command")
    ap.add_argument(
        "--tree",
        action="append",
        default=[],
        help="another hwsim checkout to time the same way (repeatable)",
    )
    ap.add_argument("--no-dask", action="store_true", help="skip the Dask measurement")
    ap.add_argument(
        "--quiet",
        type=float,
        metavar="CORES",
        help="run a round only while other processes use less than CORES cores; drop a round "
        "they disturbed (Linux)",
    )
    args = ap.parse_args()
    if args.quiet is not None and not Path("/proc/self/stat").exists():
        raise SystemExit("--quiet reads /proc (Linux only)")

    import hwsim
    from hwsim.workload.registry import builtin_workloads

    if args.workload not in builtin_workloads():
        raise SystemExit(f"workload {args.workload!r} is not registered")
    plan = _plan(args.workload, args.points)
    here = Path(__file__).resolve().parents[1]  # the checkout this script belongs to
    trees: list[str | None] = [str(here) if (here / "hwsim").is_dir() else None, *args.tree]
    print(
        f"hwsim {hwsim.__version__}, {os.cpu_count()} CPUs, workload {args.workload} on "
        f"tpu-like, load average {os.getloadavg()[0]:.2f}"
    )
    _simulate_alone(args.workload)

    for tree in trees:
        # Bytecode compiled first, as pip install does: with PYTHONDONTWRITEBYTECODE set (as
        # on the development machine) every fresh process would compile hwsim again.
        pkg = Path(tree) / "hwsim" if tree is not None else Path(hwsim.__file__).parent
        compileall.compile_dir(pkg, quiet=1)
    modes = ([1] if args.sequential else []) + [args.jobs]
    times: dict[tuple[int, str, int | str], list[float]] = {}
    rows: dict[tuple[int, str, int | str], int] = {}
    with tempfile.TemporaryDirectory() as tmp:
        plan_file = Path(tmp) / "sweep.yaml"
        plan_file.write_text(json.dumps(plan), encoding="utf-8")  # JSON is YAML
        n_rows = 0
        done = dropped = 0
        while done < args.repeat:
            if args.quiet is not None:
                if dropped > 4 * args.repeat:
                    print(f"--quiet: gave up after {dropped} disturbed rounds")
                    break
                _wait_quiet(args.quiet)
                before, t_start = _cpu_ticks(), time.monotonic()
            got: list[tuple[tuple[int, str, int | str], float]] = []
            for ti, tree in enumerate(trees):
                name = "this checkout" if ti == 0 else str(tree)
                for jobs in modes:
                    dt, dc, n_rows = _sweep_in_child(tree, plan, jobs)
                    got += [((ti, name, jobs), dt), ((ti, name, f"cpu{jobs}"), dc / jobs)]
                    rows[(ti, name, jobs)] = rows[(ti, name, f"cpu{jobs}")] = n_rows
                if args.cli:
                    got.append(((ti, name, "cli"), _cli_wall(tree, plan_file, args.jobs)))
                    rows[(ti, name, "cli")] = n_rows
            if args.quiet is not None:
                busy = _others_cores(before, _cpu_ticks(), time.monotonic() - t_start)
                if busy > args.quiet:
                    dropped += 1
                    print(f"round dropped: other processes used {busy:.2f} cores meanwhile")
                    continue
            for key, value in got:
                times.setdefault(key, []).append(value)
            done += 1
    for key in sorted(times, key=lambda k: (k[0], str(k[2]))):
        _, name, mode = key
        if mode == "cli":
            what = f"hwsim sweep --jobs {args.jobs}, wall"
        elif str(mode).startswith("cpu"):
            what = f"sweep(jobs={str(mode)[3:]}), CPU s / jobs"
        else:
            what = f"sweep(jobs={mode}), wall"
        _stats(
            f"{what}, {Path(name).name if name != 'this checkout' else name}", times[key], rows[key]
        )
    quiet = (
        f"; rounds while other processes used < {args.quiet:g} cores, {dropped} dropped"
        if args.quiet is not None
        else ""
    )
    print(
        f"{n_rows} rows; load average at the end {os.getloadavg()[0]:.2f} ({done} "
        f"interleaved runs each{quiet}). 'CPU s / jobs': the CPU time of the sweep and its workers "
        "over the worker count, the wall time it would take on idle cores (shared machines)"
    )
    if not args.no_dask:
        _dask(plan, args.jobs)


if __name__ == "__main__":
    main()
