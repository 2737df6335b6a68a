"""Partial weight caching (``partial_weight_cache``): what fits of the weights stays on chip.

A toy chip whose 1 MiB SRAM may hold weights and activations, in front of a 100 GB/s DRAM; the
ideal profile (efficiency 1, no overheads). Two fp16 linears at batch 1: 512 -> 512 (0.5 MiB of
weights) and 512 -> 1024 (1 MiB): together 1.5 MiB, more than the SRAM, so the graph's weights
are placed in DRAM. With partial caching the first op's 0.5 MiB fit beside the few KiB of
activations and are read from SRAM; the second op's 1 MiB do not and stream from DRAM.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from toychips import TOY, write_chip

import hwsim
from hwsim.workload import GraphBuilder, Workload

MIB = 1024 * 1024
CHIP = TOY.replace("capacity: 64 MiB", "capacity: 1 MiB").replace(
    "    holds: [activations]\n", "    holds: [weights, activations]\n"
)


def two_linears() -> Workload:
    g = GraphBuilder("two", weight_dtype="fp16", act_dtype="fp16")
    h = g.linear(g.input("x", (1, 512)), 512, bias=False, name="a")
    return g.build([g.linear(h, 1024, bias=False, name="b")])


def _chip(tmp_path: Path, cache: bool) -> Path:
    text = CHIP.replace(
        "    overhead_per_op: 0 s\n",
        f"    overhead_per_op: 0 s\n    partial_weight_cache: {str(cache).lower()}\n",
    )
    return write_chip(tmp_path, text, f"cache-{cache}.yaml")


def test_the_first_weights_that_fit_are_read_from_sram(tmp_path: Path) -> None:
    res = hwsim.simulate(two_linears(), _chip(tmp_path, True))
    a, b = res.layers
    assert a.bytes.get("dram", 0.0) == 0.0
    assert a.bytes["sram"] >= 0.5 * MIB
    assert b.bytes["dram"] >= 1 * MIB
    # a: 0.5 MiB from SRAM at 1000 GB/s (0.52 us) instead of DRAM at 100 GB/s (5.2 us)
    assert a.latency_s == pytest.approx(0.5 * MIB / 1000e9, rel=0.01)
    assert b.latency_s == pytest.approx(1 * MIB / 100e9, rel=0.01)


def test_without_the_cache_every_weight_streams_from_dram(tmp_path: Path) -> None:
    res = hwsim.simulate(two_linears(), _chip(tmp_path, False))
    a, b = res.layers
    assert a.bytes["dram"] >= 0.5 * MIB
    assert a.latency_s == pytest.approx(0.5 * MIB / 100e9, rel=0.01)
    assert b.latency_s == pytest.approx(1 * MIB / 100e9, rel=0.01)


def test_weights_that_fit_whole_are_not_split(tmp_path: Path) -> None:
    # One 0.5 MiB linear fits the SRAM as a whole: placed there, nothing to cache or stream.
    g = GraphBuilder("one", weight_dtype="fp16", act_dtype="fp16")
    w = g.build([g.linear(g.input("x", (1, 512)), 512, bias=False)])
    res = hwsim.simulate(w, _chip(tmp_path, True))
    assert res.layers[0].bytes.get("dram", 0.0) == 0.0


def test_the_run_says_how_much_is_cached(tmp_path: Path) -> None:
    res = hwsim.simulate(two_linears(), _chip(tmp_path, True))
    assert any(
        "keeps the first 512 KiB of the weights cached on sram" in m
        and "the other 1 MiB stream from dram" in m
        for m in res.warnings
    ), res.warnings
    plain = hwsim.simulate(two_linears(), _chip(tmp_path, False))
    assert not any("partial_weight_cache" in m for m in plain.warnings)
