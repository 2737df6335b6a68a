"""Wall time of short CLI calls (process start to exit), min and median of interleaved runs.

Targets (issue "Speed"): ``hwsim --help`` <= 0.15 s; ``hwsim run lenet5 -H stm32f746 --dtype
int8`` <= 0.25 s; ``import hwsim`` as light as possible. The commands run in turn (one of
each per round) so that load from other processes on a shared machine hits them alike.

    python benchmarks/bench_startup.py [--runs 7]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time

COMMANDS = {
    "python -c pass": [sys.executable, "-c", "pass"],
    "import hwsim": [sys.executable, "-c", "import hwsim"],
    "hwsim --help": [sys.executable, "-m", "hwsim", "--help"],
    "hwsim run lenet5 -H stm32f746 --dtype int8": [
        sys.executable, "-m", "hwsim", "run", "lenet5", "-H", "stm32f746", "--dtype", "int8",
    ],
}  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=7)
    args = ap.parse_args()
    if shutil.which("hwsim") is None:
        print("note: the hwsim script is not on PATH; timing `python -m hwsim` instead")
    times: dict[str, list[float]] = {k: [] for k in COMMANDS}
    for _ in range(args.runs):
        for label, cmd in COMMANDS.items():
            t0 = time.perf_counter()
            subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            times[label].append(time.perf_counter() - t0)
    for label, ts in times.items():
        print(f"{label:45s} min {min(ts):.3f} s   median {statistics.median(ts):.3f} s")


if __name__ == "__main__":
    main()
