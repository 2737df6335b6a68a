"""Speed of multi-device runs: the issue-15 acceptance commands, wall-clock seconds.

* ``hwsim serve llama-2-70b -H dgx-h100 --tp 8 --rate 2 --requests 2000`` (target < 10 s,
  including building the 70B shard graphs and the cost table);
* ``hwsim run llama-2-70b -H dgx-h100 --tp 8`` (one request, 512 prompt / 128 output tokens);
* chunked prefill: the serve command with ``--chunk-size 512``.

Each is run 3 times, interleaved; min and median are printed. In-process (the CLI adds the
interpreter start and imports, about 1 s).

Run: python benchmarks/bench_parallel.py
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

import hwsim
from hwsim.serve import serve


def _serve() -> None:
    serve("llama-2-70b", "dgx-h100", rate=2.0, requests=2000, tp=8)


def _serve_chunked() -> None:
    serve("llama-2-70b", "dgx-h100", rate=2.0, requests=2000, tp=8, chunk_size=512)


def _run() -> None:
    hwsim.simulate("llama-2-70b", "dgx-h100", tp=8)


def main() -> None:
    cases: dict[str, Callable[[], None]] = {
        "serve llama-2-70b dgx-h100 tp8 2000 req": _serve,
        "serve ... --chunk-size 512": _serve_chunked,
        "run llama-2-70b dgx-h100 tp8": _run,
    }
    times: dict[str, list[float]] = {k: [] for k in cases}
    for _ in range(3):
        for name, fn in cases.items():
            t0 = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - t0)
    for name, ts in times.items():
        print(f"{name:45s} min {min(ts):6.2f} s  median {statistics.median(ts):6.2f} s")


if __name__ == "__main__":
    main()
