"""Per-layer CSV: one row per layer, raw SI numbers, unit-suffixed headers."""

from __future__ import annotations

import csv
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any

from hwsim.report.data import ResultLike, as_result_dict, energy_parts, memory_levels
from hwsim.textio import write_atomic


def csv_header(result: ResultLike) -> list[str]:
    """Column names of the per-layer table (units in the suffix)."""
    d = as_result_dict(result)
    cols = ["name", "op_type", "unit", "macs", "flops"]
    cols += [f"{lv}_bytes" for lv in memory_levels(d)]
    cols += ["start_s", "end_s", "latency_s", "energy_j"]
    cols += [f"energy_{p}_j" for p in energy_parts(d)]
    cols += ["arithmetic_intensity_flop_per_byte", "bound", "bound_level", "live_bytes"]
    if any("phase" in layer for layer in d["layers"]):
        cols.append("phase")
    return cols


def _row(layer: Mapping[str, Any], levels: list[str], parts: list[str]) -> list[Any]:
    bd = layer.get("energy_breakdown_j", {})
    ai = layer.get("arithmetic_intensity")
    row: list[Any] = [layer["name"], layer["op_type"], layer["unit"]]
    row += [layer.get("macs", 0), layer["flops"]]
    row += [layer["bytes"].get(lv, 0.0) for lv in levels]
    row += [layer["start_s"], layer["end_s"], layer["latency_s"], layer["energy_j"]]
    row += [bd.get(p, 0.0) for p in parts]
    row += ["" if ai is None else ai, layer["bound"], layer.get("bound_level") or ""]
    row.append(layer.get("live_bytes", 0.0))
    return row


def csv_rows(result: ResultLike) -> list[list[Any]]:
    """Rows of the per-layer table, in execution order, matching :func:`csv_header`.

    A missing arithmetic intensity (no off-chip bytes) or bound level is an empty cell.
    """
    d = as_result_dict(result)
    levels, parts = memory_levels(d), energy_parts(d)
    has_phase = any("phase" in layer for layer in d["layers"])
    rows = []
    for layer in d["layers"]:
        row = _row(layer, levels, parts)
        if has_phase:
            row.append(layer.get("phase") or "")
        rows.append(row)
    return rows


def write_csv(result: ResultLike, path: str | Path) -> None:
    """Write one row per layer to ``path`` (floats written exactly, as Python's repr)."""
    header, rows = csv_header(result), csv_rows(result)

    def write(f: IO[str]) -> None:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)

    write_atomic(path, write, newline="")
