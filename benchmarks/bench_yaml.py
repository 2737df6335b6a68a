"""Speed of reading YAML (prints figures; no asserts): hwsim's reader (libyaml's C loader
with duplicate-key rejection and nesting/alias bounds) against the pure-Python SafeLoader
with the same duplicate-key check. Runs are interleaved; min and median are printed.

    python benchmarks/bench_yaml.py
"""

from __future__ import annotations

import functools
import statistics
import time
from collections.abc import Callable

import yaml

from hwsim import textio
from hwsim.resources import builtin_dir


class _PyLoader(yaml.SafeLoader):
    pass


_PyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, textio._construct_mapping)


def _interleaved(fns: dict[str, Callable[[], object]], repeat: int = 9) -> dict[str, list[float]]:
    runs: dict[str, list[float]] = {k: [] for k in fns}
    for _ in range(repeat):
        for name, fn in fns.items():
            t = time.perf_counter()
            fn()
            runs[name].append((time.perf_counter() - t) * 1e3)
    return runs


def main() -> None:
    spec = (builtin_dir("hardware_specs") / "a100-80gb-sxm.yaml").read_text(encoding="utf-8")
    layers = "".join(f"  - {{op: linear, out_features: 64, name: l{i}}}\n" for i in range(1000))
    model = "schema_version: 1\nname: big\ninput: {shape: [1, 64]}\nlayers:\n" + layers
    print(f"libyaml C loader available: {textio._Loader.__mro__[1].__name__}")
    for label, text in (("a100-80gb-sxm spec", spec), ("1,000-layer YAML model", model)):
        assert textio.load_yaml_text(text) == yaml.load(text, Loader=_PyLoader)
        runs = _interleaved(
            {
                "python SafeLoader": functools.partial(yaml.load, text, Loader=_PyLoader),
                "hwsim read_yaml": functools.partial(textio.load_yaml_text, text),
            }
        )
        for name, r in runs.items():
            print(
                f"{label:24s} {name:18s} min {min(r):7.2f} ms  median {statistics.median(r):7.2f} ms"
            )


if __name__ == "__main__":
    main()
