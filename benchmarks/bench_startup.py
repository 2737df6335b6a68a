"""Wall and CPU time of short CLI calls (process start to exit), min and median of interleaved runs.

Targets (issue "Speed"): ``hwsim --help`` <= 0.15 s; ``hwsim run lenet5 -H stm32f746 --dtype
int8`` <= 0.25 s; ``import hwsim`` as light as possible. The commands run in turn (one of
each per round, and with ``--tree`` each checkout in turn) so that load from other processes
on a shared machine hits them alike; the CPU time (user + system of the child) is less
disturbed by that load than the wall time.

Each checkout's bytecode is compiled first (``compileall``), as ``pip install`` does: with
``PYTHONDONTWRITEBYTECODE`` set, as on the development machine, every call would otherwise
compile hwsim's sources again (~50 ms for a ``run``).

    python benchmarks/bench_startup.py [--runs 7] [--tree /path/to/other/checkout] [--all]
"""

from __future__ import annotations

import argparse
import compileall
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parents[1]

COMMANDS = {
    "python -c pass": ["-c", "pass"],
    "import hwsim": ["-c", "import hwsim"],
    "hwsim --help": ["-m", "hwsim", "--help"],
    "hwsim run lenet5 -H stm32f746 --dtype int8": [
        "-m", "hwsim", "run", "lenet5", "-H", "stm32f746", "--dtype", "int8",
    ],
}  # fmt: skip
MORE = {
    "hwsim profile lenet5": ["-m", "hwsim", "profile", "lenet5"],
    "hwsim list workloads": ["-m", "hwsim", "list", "workloads"],
}
"""Further commands timed with ``--all``."""


def _child_cpu_s() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def _time(args: list[str], tree: Path) -> tuple[float, float]:
    """Wall and CPU seconds of ``python ARGS`` with ``tree``'s hwsim (it runs in ``tree``)."""
    env = dict(os.environ, PYTHONPATH=str(tree))
    c0, t0 = _child_cpu_s(), time.perf_counter()
    subprocess.run(
        [sys.executable, *args], cwd=tree, env=env, check=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    return time.perf_counter() - t0, _child_cpu_s() - c0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument(
        "--tree", action="append", default=[], help="also time this checkout (repeatable)"
    )
    ap.add_argument("--all", action="store_true", help="also time " + ", ".join(MORE))
    args = ap.parse_args()
    trees = [HERE, *(Path(t).resolve() for t in args.tree)]
    for tree in trees:
        compileall.compile_dir(tree / "hwsim", quiet=1)
    commands = {**COMMANDS, **(MORE if args.all else {})}
    wall: dict[tuple[str, Path], list[float]] = {}
    cpu: dict[tuple[str, Path], list[float]] = {}
    for _ in range(args.runs):
        for label, cmd in commands.items():
            for tree in trees:
                w, c = _time(cmd, tree)
                wall.setdefault((label, tree), []).append(w)
                cpu.setdefault((label, tree), []).append(c)
    load = os.getloadavg()[0]
    print(f"min / median of {args.runs} runs; load average {load:.1f} at the end")
    for label in commands:
        for tree in trees:
            ws, cs = wall[(label, tree)], cpu[(label, tree)]
            name = label if len(trees) == 1 else f"{label}  [{tree}]"
            print(
                f"{name:45s} wall {min(ws):.3f} / {statistics.median(ws):.3f} s"
                f"   cpu {min(cs):.3f} / {statistics.median(cs):.3f} s"
            )


if __name__ == "__main__":
    main()
