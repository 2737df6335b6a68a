"""Speed and memory of simulate() itself (prints figures; no asserts).

Targets (issue 18): ResNet-50 fp16 batch 1 on a100-80gb-sxm with loaded objects <= 2.5 ms,
mapping search included; the same by name <= 5 ms; Llama-2-7B prefill 1024 + decode 512 on
the A100 <= 25 ms; memory grows with ops only. "warm" runs find the mappings and op costs of
earlier runs on the same chip objects (hwsim.costmodel.graph keeps them); "cold" runs forget
them first (``clear_caches()``), so they search every mapping and cost every op again.

    python benchmarks/bench_simulate.py
"""

from __future__ import annotations

import functools
import statistics
import time
import tracemalloc
from collections.abc import Callable
from typing import TypeVar

import hwsim
from hwsim.costmodel.graph import clear_caches
from hwsim.costmodel.tiling import gemm_refetch
from hwsim.workload import Workload

T = TypeVar("T")


def cold(fn: Callable[[], T]) -> Callable[[], T]:
    """``fn`` run after forgetting every cached mapping and op cost."""

    def run() -> T:
        clear_caches()
        gemm_refetch.cache_clear()
        return fn()

    return run


def timed(fn: Callable[[], object], repeat: int = 7) -> tuple[float, float]:
    """(first call, best of the following calls) in ms; the median is printed too.

    The best of N is the figure least disturbed by other processes on a shared machine.
    """
    t = time.perf_counter()
    fn()
    first = (time.perf_counter() - t) * 1e3
    runs = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        runs.append((time.perf_counter() - t) * 1e3)
    print(f"    (median of {repeat}: {statistics.median(runs):.1f} ms)")
    return first, min(runs)


def main() -> None:
    a100 = hwsim.load_hardware("a100-80gb-sxm")
    gemm_refetch.cache_clear()
    r50 = hwsim.load_workload("resnet50", dtype="fp16")
    assert isinstance(r50, Workload)
    first, warm = timed(lambda: hwsim.simulate(r50, a100))
    print(
        f"resnet50 fp16 b1 on a100: first {first:.1f} ms, best {warm:.1f} ms ({len(r50.ops)} ops)"
    )
    _, best = timed(cold(lambda: hwsim.simulate(r50, a100)))
    print(f"resnet50 fp16 b1 on a100, cold caches: best {best:.1f} ms")
    r50b = hwsim.load_workload("resnet50", dtype="fp16", batch=64)
    first, warm = timed(lambda: hwsim.simulate(r50b, a100))
    print(f"resnet50 fp16 b64 on a100: first {first:.1f} ms, best {warm:.1f} ms")
    first, warm = timed(lambda: hwsim.simulate("resnet50", "a100-80gb-sxm", dtype="fp16"))
    print(f"resnet50 by name (load_workload + simulate): best {warm:.1f} ms")
    first, warm = timed(
        lambda: hwsim.simulate("llama-2-7b", a100, dtype="fp16", prompt_len=1024, gen_len=512)
    )
    print(
        f"llama-2-7b fp16 prefill 1024 + decode 512 on a100: first {first:.0f} ms, "
        f"best {warm:.1f} ms"
    )
    _, best = timed(
        cold(lambda: hwsim.simulate("llama-2-7b", a100, dtype="fp16", prompt_len=1024, gen_len=512))
    )
    print(f"llama-2-7b on a100, cold caches: best {best:.1f} ms")
    stm = hwsim.load_hardware("stm32f746")
    mbv2 = hwsim.load_workload("mobilenet_v2", dtype="int8", width=0.35, resolution=96)
    _, best = timed(lambda: hwsim.simulate(mbv2, stm))
    print(
        f"mobilenet_v2 0.35/96 int8 on stm32f746 (one unit: in-order schedule): best {best:.1f} ms"
    )
    for g in (128, 512, 2048):
        _, warm = timed(
            functools.partial(
                hwsim.simulate, "llama-2-7b", a100, dtype="fp16", prompt_len=1024, gen_len=g
            ),
            repeat=3,
        )
        print(f"  gen_len {g:5d}: {warm:.0f} ms (constant in gen_len: decode is sampled)")
    for name in ("mobilenet_v2", "resnet50", "vgg16", "bert-large"):
        w = hwsim.load_workload(name, dtype="fp16")
        assert isinstance(w, Workload)
        hwsim.simulate(w, a100)
        tracemalloc.start()
        hwsim.simulate(w, a100)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(
            f"memory {name:14s}: {len(w.ops):4d} ops, peak {peak / 1e6:6.2f} MB "
            f"({peak / len(w.ops) / 1e3:.1f} kB/op)"
        )


if __name__ == "__main__":
    main()
