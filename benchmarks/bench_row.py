"""Cost of one sweep row: ``simulate()`` then ``result_row`` against ``simulate_totals()``.

Prints figures only (no asserts). A sweep point builds a new chip object (a spec variant:
here a new DRAM bandwidth per point, as the benchmarks/bench_sweep.py grid does), simulates
the workload on it and keeps the run's totals and bound columns. With ``simulate()`` the run
also builds one layer record per op; ``simulate_totals()`` sums the same per-layer figures
without them. Both paths run interleaved in one process, ``--repeat`` rounds of ``--points``
points each, and their rows are checked to be equal; min and median of the per-point CPU
time are printed (``time.process_time``: what other processes on a shared machine do not
stretch).

    python benchmarks/bench_row.py [--workload resnet18] [--hardware tpu-like]
        [--points 300] [--repeat 7]
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import time
from collections.abc import Callable
from typing import Any

import hwsim
from hwsim.engine import simulate, simulate_totals
from hwsim.engine.result import result_row
from hwsim.hardware.variants import SpecVariants
from hwsim.sweep.columns import bound_columns


def _full(w: Any, spec: hwsim.HardwareSpec, levels: list[str]) -> dict[str, Any]:
    result = simulate(w, spec)
    row = result_row(result)
    row.update(bound_columns(result, levels))
    return row


def _totals(w: Any, spec: hwsim.HardwareSpec, levels: list[str]) -> dict[str, Any]:
    run = simulate_totals(w, spec)
    row = run.row()
    row.update(bound_columns(run.result, levels, run.bound_time_s))
    return row


def _round(
    fn: Callable[[Any, hwsim.HardwareSpec, list[str]], dict[str, Any]],
    w: Any,
    variants: SpecVariants,
    bandwidths: list[float],
    levels: list[str],
) -> tuple[float, list[dict[str, Any]]]:
    """CPU ms per point of ``fn`` over one chip variant per bandwidth, and the rows."""
    rows = []
    t = time.process_time()
    for bw in bandwidths:
        spec = variants({"memory.dram.bandwidth": f"{bw!r} B/s"})
        rows.append(fn(w, spec, levels))
    return (time.process_time() - t) * 1e3 / len(bandwidths), rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workload", default="resnet18")
    ap.add_argument("--hardware", default="tpu-like")
    ap.add_argument("--dtype", default="int8")
    ap.add_argument("--points", type=int, default=300)
    ap.add_argument("--repeat", type=int, default=7)
    args = ap.parse_args()
    spec = hwsim.load_hardware(args.hardware)
    w = hwsim.load_workload(args.workload, dtype=args.dtype)
    levels = [m.name for m in spec.memory]
    base_bw = spec.level("dram").bandwidth
    times: dict[str, list[float]] = {"simulate + result_row": [], "simulate_totals": []}
    fns = dict(zip(times, (_full, _totals)))
    for r in range(args.repeat + 1):  # round 0 warms the caches (mappings, op costs)
        # new bandwidths every round, as a sweep's new points (no op cost is reused exactly)
        bws = [base_bw * (1 + (r * args.points + i) * 1e-6) for i in range(args.points)]
        got = {}
        order = list(times) if r % 2 else list(reversed(times))
        for name in order:
            variants = SpecVariants(spec)
            gc.collect()
            ms, got[name] = _round(fns[name], w, variants, bws, levels)
            if r:
                times[name].append(ms)
        a, b = got.values()
        assert a == b, "rows differ"
    print(
        f"{args.workload} {args.dtype} on {args.hardware}, {args.points} points per round, "
        f"{args.repeat} rounds (load average {os.getloadavg()[0]:.2f})"
    )
    for name, ts in times.items():
        print(
            f"  {name:<22} {min(ts):.3f} / {statistics.median(ts):.3f} ms CPU per point "
            "(min / median)"
        )
    full, tot = (min(ts) for ts in times.values())
    print(f"  saved {full - tot:.3f} ms per point ({(full - tot) / full:.0%})")


if __name__ == "__main__":
    main()
