"""Chrome trace: every op on its unit, every transfer on its channel, µs, no overlaps."""

from __future__ import annotations

import itertools
import json
from collections import defaultdict
from pathlib import Path

import pytest

from hwsim.engine.result import SimulationResult
from hwsim.report import to_chrome_trace, write_chrome_trace


def _threads(trace: dict) -> dict[int, str]:
    return {
        e["tid"]: e["args"]["name"]
        for e in trace["traceEvents"]
        if e["ph"] == "M" and e["name"] == "thread_name"
    }


@pytest.mark.parametrize("fixture", ["lenet", "branches", "gpt2"])
def test_every_op_is_one_event_on_its_unit(fixture: str, request: pytest.FixtureRequest) -> None:
    r: SimulationResult = request.getfixturevalue(fixture)
    trace = to_chrome_trace(r)
    names = _threads(trace)
    ops = [e for e in trace["traceEvents"] if e["ph"] == "X" and e["cat"] != "transfer"]
    assert len(ops) == len(r.layers)
    for e, layer in zip(ops, r.layers):
        assert e["name"] == layer.name
        assert names[e["tid"]] == layer.unit
        assert e["ts"] == pytest.approx(layer.start_s * 1e6, rel=1e-12, abs=1e-12)
        assert e["ts"] + e["dur"] == pytest.approx(layer.end_s * 1e6, rel=1e-12, abs=1e-12)
        args = e["args"]
        assert args["macs"] == layer.macs and args["flops"] == layer.flops
        assert args["bound"] == layer.bound and args["bound_level"] == layer.bound_level
        assert args["energy_j"] == layer.energy_j
        for lv, b in layer.bytes.items():
            assert args[f"bytes_{lv}"] == b


def test_microseconds(branches: SimulationResult) -> None:
    trace = to_chrome_trace(branches)
    add = next(e for e in trace["traceEvents"] if e.get("name") == "add" and e["ph"] == "X")
    layer = next(x for x in branches.layers if x.name == "add")
    # seconds in the result -> microseconds in the trace (the add starts after both
    # branches, well after t = 0, so a missing or doubled conversion would show)
    assert layer.start_s > 1e-6
    assert add["ts"] == pytest.approx(layer.start_s * 1e6, rel=1e-12)
    assert add["dur"] == pytest.approx(layer.latency_s * 1e6, rel=1e-9)
    assert trace["displayTimeUnit"] == "ns"


def test_transfers_on_memory_threads(branches: SimulationResult) -> None:
    trace = to_chrome_trace(branches)
    names = _threads(trace)
    xfers = [e for e in trace["traceEvents"] if e["ph"] == "X" and e["cat"] == "transfer"]
    expected = [(layer, t) for layer in branches.layers for t in layer.transfers]
    assert len(xfers) == len(expected) > 0
    for e, (layer, (lv, s, end)) in zip(xfers, expected):
        assert names[e["tid"]] == f"{lv} (memory)"
        assert e["name"] == layer.name
        assert e["args"]["bytes"] == layer.bytes[lv]
        assert e["ts"] == pytest.approx(s * 1e6, abs=1e-12)
        assert e["ts"] + e["dur"] == pytest.approx(end * 1e6, rel=1e-12, abs=1e-12)


def test_one_thread_per_unit_and_level(branches: SimulationResult) -> None:
    names = sorted(_threads(to_chrome_trace(branches)).values())
    assert names == ["dram (memory)", "mac0", "mac1", "sram (memory)", "vec"]


@pytest.mark.parametrize("fixture", ["lenet", "branches", "resnet18", "gpt2"])
def test_events_on_one_thread_never_overlap(fixture: str, request: pytest.FixtureRequest) -> None:
    trace = to_chrome_trace(request.getfixturevalue(fixture))
    by_tid: dict[int, list[tuple[float, float]]] = defaultdict(list)
    for e in trace["traceEvents"]:
        if e["ph"] == "X":
            by_tid[e["tid"]].append((e["ts"], e["ts"] + e["dur"]))
    assert by_tid
    for spans in by_tid.values():
        spans.sort()
        for (_, end), (start, _) in itertools.pairwise(spans):
            assert start >= end - 1e-9


def test_parallel_branches_overlap_across_units(branches: SimulationResult) -> None:
    trace = to_chrome_trace(branches)
    left, right = (
        next(e for e in trace["traceEvents"] if e.get("name") == n and e.get("cat") == "linear")
        for n in ("left", "right")
    )
    assert left["tid"] != right["tid"]
    assert left["ts"] == right["ts"] == 0.0


def test_written_file_is_the_dict_and_dict_input_works(
    lenet: SimulationResult, tmp_path: Path
) -> None:
    p = tmp_path / "t.json"
    write_chrome_trace(lenet, p)
    loaded = json.loads(p.read_text())
    assert loaded == json.loads(json.dumps(to_chrome_trace(lenet)))
    assert to_chrome_trace(json.loads(json.dumps(lenet.to_dict()))) == to_chrome_trace(lenet)
