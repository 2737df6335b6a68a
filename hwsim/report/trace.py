"""Chrome Trace Event JSON of a run: opens in Perfetto (ui.perfetto.dev) or chrome://tracing.

One process (the run), one thread per compute unit and one per memory channel (level).
Every op is an ``X`` (complete) event on its unit; every transfer an ``X`` event on its
memory level. This is the only place where seconds become microseconds.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hwsim.report.data import ResultLike, as_result_dict, compute_units, memory_levels, title
from hwsim.textio import write_atomic

US_PER_S = 1e6
PID = 1


def to_us(seconds: float) -> float:
    """Microseconds from seconds (Chrome trace timestamps are in µs)."""
    return seconds * US_PER_S


def _meta(name: str, tid: int, args: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "ph": "M", "pid": PID, "tid": tid, "args": args}


def _complete(
    name: str, cat: str, tid: int, start_s: float, end_s: float, args: dict[str, Any]
) -> dict[str, Any]:
    ts = to_us(start_s)
    return {
        "name": name,
        "cat": cat,
        "ph": "X",
        "pid": PID,
        "tid": tid,
        "ts": ts,
        "dur": max(0.0, to_us(end_s) - ts),
        "args": args,
    }


def thread_ids(result: ResultLike) -> dict[str, int]:
    """Trace thread id per track: ``unit:<name>`` and ``memory:<level>`` keys, from 1."""
    d = as_result_dict(result)
    tracks = [f"unit:{u}" for u in compute_units(d)] + [f"memory:{m}" for m in memory_levels(d)]
    return {t: i + 1 for i, t in enumerate(tracks)}


def to_chrome_trace(result: ResultLike) -> dict[str, Any]:
    """The run as a Chrome Trace Event dict: ``{"traceEvents": [...], "displayTimeUnit": "ns"}``.

    Timestamps and durations are in µs. Op events carry ``macs``, ``flops``,
    ``bytes_<level>``, ``bound``, ``bound_level`` and ``energy_j`` as args; transfer
    events carry the op name, the level and the bytes moved on that level.
    """
    d = as_result_dict(result)
    tids = thread_ids(d)
    events: list[dict[str, Any]] = [_meta("process_name", 0, {"name": title(d)})]
    for track, tid in tids.items():
        kind, _, name = track.partition(":")
        label = name if kind == "unit" else f"{name} (memory)"
        events.append(_meta("thread_name", tid, {"name": label}))
        events.append(_meta("thread_sort_index", tid, {"sort_index": tid}))
    for layer in d["layers"]:
        args: dict[str, Any] = {
            "op_type": layer["op_type"],
            "macs": layer.get("macs", 0),
            "flops": layer["flops"],
        }
        args.update({f"bytes_{lv}": b for lv, b in layer["bytes"].items()})
        args.update(
            {
                "bound": layer["bound"],
                "bound_level": layer.get("bound_level"),
                "energy_j": layer["energy_j"],
                "arithmetic_intensity": layer.get("arithmetic_intensity"),
            }
        )
        if layer.get("phase"):
            args["phase"] = layer["phase"]
        events.append(
            _complete(
                layer["name"],
                layer["op_type"],
                tids[f"unit:{layer['unit']}"],
                layer["start_s"],
                layer["end_s"],
                args,
            )
        )
        for t in layer.get("transfers", []):
            lv = t["level"]
            events.append(
                _complete(
                    layer["name"],
                    "transfer",
                    tids[f"memory:{lv}"],
                    t["start_s"],
                    t["end_s"],
                    {"op": layer["name"], "level": lv, "bytes": layer["bytes"].get(lv, 0.0)},
                )
            )
    return {"traceEvents": events, "displayTimeUnit": "ns"}


def write_chrome_trace(result: ResultLike, path: str | Path) -> None:
    """Write the Chrome trace JSON of ``result`` to ``path``."""
    text = json.dumps(to_chrome_trace(result), allow_nan=False)
    write_atomic(path, text + "\n")
