"""Terminal helpers: top layers, time shares and the verdict line."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from rich.console import Console

from hwsim.engine.result import SimulationResult
from hwsim.report import time_shares, top_layers, top_layers_table, verdict


def _text(table: Any, width: int = 140) -> str:
    c = Console(width=width, record=True)
    c.print(table)
    return c.export_text()


def test_top_layers_are_the_largest(resnet18: SimulationResult) -> None:
    top = top_layers(resnet18, "energy", 10)
    energies = sorted((layer.energy_j for layer in resnet18.layers), reverse=True)
    assert [x["energy_j"] for x in top] == energies[:10]
    top = top_layers(resnet18, "latency", 3)
    assert [x["latency_s"] for x in top] == sorted(
        (layer.latency_s for layer in resnet18.layers), reverse=True
    )[:3]


def test_table_rows_and_narrow_width(lenet: SimulationResult) -> None:
    t = top_layers_table(lenet, "latency")
    assert t.row_count == 10
    wide = _text(t)
    f5 = next(x for x in lenet.layers if x.name == "f5")
    share = f5.latency_s / sum(x.latency_s for x in lenet.layers)
    assert "f5" in wide and f"{share:.1%}" in wide and "mem: dram" in wide and "pe_array" in wide
    # LeNet's short names fit 80 columns with the op type; the unit goes first.
    narrow = top_layers_table(lenet, "energy", width=80)
    assert [c.header for c in narrow.columns] == [
        "#", "layer", "op", "latency", "time %", "energy", "energy %", "util", "bound"
    ]  # fmt: skip
    assert max(len(line) for line in _text(narrow, 80).splitlines()) <= 80
    # Narrower: then the op type, then the share and value of the quantity not sorted by;
    # the utilisation goes last.
    narrower = top_layers_table(lenet, "energy", width=60)
    assert [c.header for c in narrower.columns] == [
        "#", "layer", "energy", "energy %", "util", "bound"
    ]  # fmt: skip
    assert max(len(line) for line in _text(narrower, 60).splitlines()) <= 60


def test_time_shares_and_verdict(lenet: SimulationResult) -> None:
    shares = time_shares(lenet)
    assert sum(shares.values()) == pytest.approx(1.0)
    mem = sum(x.latency_s for x in lenet.layers if x.bound == "memory")
    comp = sum(x.latency_s for x in lenet.layers if x.bound == "compute")
    total = sum(x.latency_s for x in lenet.layers)
    assert shares["memory:dram"] == pytest.approx(mem / total)
    assert comp + mem == pytest.approx(total)  # fused layers take no time on tpu-like
    # C (1 and 6 input channels) on the 32 rows leaves LeNet's convs compute-bound
    assert comp > mem
    assert verdict(lenet) == (
        f"compute-bound: {comp / total:.0%} of layer time is limited by compute; "
        f"{mem / total:.0%} memory-bound"
    )


def _with_bounds(r: SimulationResult, bounds: list[tuple[str, str | None, float]]) -> dict:
    d = copy.deepcopy(r.to_dict())
    d["layers"] = d["layers"][: len(bounds)]
    for layer, (b, lv, t) in zip(d["layers"], bounds):
        layer.update(bound=b, bound_level=lv, latency_s=t)
    return d


def test_verdict_compute_overhead_and_several_levels(lenet: SimulationResult) -> None:
    d = _with_bounds(lenet, [("compute", None, 3.0), ("overhead", None, 1.0)])
    assert (
        verdict(d) == "compute-bound: 75% of layer time is limited by compute; 25% overhead-bound"
    )
    d = _with_bounds(lenet, [("overhead", None, 3.0), ("compute", None, 1.0)])
    assert verdict(d).startswith("overhead-bound: 75%")
    d = _with_bounds(lenet, [("memory", "hbm", 5.0), ("memory", "l2", 4.0), ("compute", None, 1.0)])
    assert verdict(d) == (
        "memory-bound: 90% of layer time waits on memory (hbm 50%, l2 40%); 10% compute-bound"
    )
