"""Wall and CPU time of short CLI calls (process start to exit), min and median of interleaved runs.

Targets (issue "Speed"): ``hwsim --help`` <= 0.15 s; ``hwsim run lenet5 -H stm32f746 --dtype
int8`` <= 0.25 s; ``import hwsim`` as light as possible. The commands run in turn (one of
each per round) so that load from other processes on a shared machine hits them alike; the
CPU time (user + system of the child) is less disturbed by that load than the wall time.

The package's bytecode is compiled first (``compileall``), as ``pip install`` does: with
``PYTHONDONTWRITEBYTECODE`` set, as on the development machine, every call would otherwise
compile hwsim's sources again (~50 ms for a ``run``).

    python benchmarks/bench_startup.py [--runs 7]
"""

from __future__ import annotations

import argparse
import compileall
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import hwsim

COMMANDS = {
    "python -c pass": [sys.executable, "-c", "pass"],
    "import hwsim": [sys.executable, "-c", "import hwsim"],
    "hwsim --help": [sys.executable, "-m", "hwsim", "--help"],
    "hwsim run lenet5 -H stm32f746 --dtype int8": [
        sys.executable, "-m", "hwsim", "run", "lenet5", "-H", "stm32f746", "--dtype", "int8",
    ],
}  # fmt: skip


def _child_cpu_s() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=7)
    args = ap.parse_args()
    if shutil.which("hwsim") is None:
        print("note: the hwsim script is not on PATH; timing `python -m hwsim` instead")
    compileall.compile_dir(Path(hwsim.__file__).parent, quiet=1)
    wall: dict[str, list[float]] = {k: [] for k in COMMANDS}
    cpu: dict[str, list[float]] = {k: [] for k in COMMANDS}
    for _ in range(args.runs):
        for label, cmd in COMMANDS.items():
            c0, t0 = _child_cpu_s(), time.perf_counter()
            subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            wall[label].append(time.perf_counter() - t0)
            cpu[label].append(_child_cpu_s() - c0)
    for label in COMMANDS:
        w, c = wall[label], cpu[label]
        print(
            f"{label:45s} wall min {min(w):.3f} s  median {statistics.median(w):.3f} s"
            f"   cpu min {min(c):.3f} s  median {statistics.median(c):.3f} s"
        )


if __name__ == "__main__":
    main()
