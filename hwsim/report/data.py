"""Result input for reports: a SimulationResult or its JSON dict, checked once.

Every exporter and plot reads the JSON form (``SimulationResult.to_dict()``), so the
same code draws a result that was just simulated and one read back from
``hwsim run --json``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from hwsim.engine.result import SimulationResult
from hwsim.errors import HwsimError
from hwsim.hardware.loader import format_loc

ResultLike = SimulationResult | Mapping[str, Any]
"""What every report function accepts: a SimulationResult or its JSON dict."""

_TOP_KEYS = ("hardware", "workload", "latency_s", "energy_j", "energy_breakdown_j", "layers")


class ResultFormatError(HwsimError):
    """A result file or dict is not a hwsim result (message names the file and the field)."""


def as_result_dict(result: ResultLike, source: str = "result") -> dict[str, Any]:
    """The result's JSON dict (design.md section 7), validated by :class:`SimulationResult`.

    Args:
        result: a SimulationResult, or a dict as written by ``hwsim run --json``.
        source: name used in error messages (e.g. the file path).

    Raises:
        ResultFormatError: a required field is missing or has the wrong type.
    """
    if isinstance(result, SimulationResult):
        return result.to_dict()
    if not isinstance(result, Mapping):
        raise ResultFormatError(f"{source}: not a hwsim result (expected a JSON object)")
    d = dict(result)
    missing = [k for k in _TOP_KEYS if k not in d]
    if missing:
        raise ResultFormatError(f"{source}: not a hwsim result (missing {', '.join(missing)})")
    try:
        SimulationResult.from_dict(d)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = format_loc(tuple(first["loc"]))
        more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        raise ResultFormatError(f"{source}: {where}: {first['msg']}{more}") from None
    return d


def load_result(path: str | Path) -> dict[str, Any]:
    """Read a result JSON file written by ``hwsim run --json PATH``.

    Raises:
        ResultFormatError: the file is missing, not JSON, or not a hwsim result.
    """
    p = Path(path)
    from hwsim.textio import read_text

    text = read_text(p, ResultFormatError, what="result file")
    try:
        data = json.loads(text)
    except RecursionError:
        raise ResultFormatError(f"{p}: not a result file (JSON nested too deeply)") from None
    except json.JSONDecodeError as exc:
        raise ResultFormatError(
            f"{p}: not a result file (invalid JSON at line {exc.lineno}: {exc.msg})"
        ) from None
    return as_result_dict(data, source=str(p))


def memory_levels(d: Mapping[str, Any]) -> list[str]:
    """Memory level names, nearest first (the spec order kept by the roofline block)."""
    roof = d.get("roofline") or {}
    names = list((roof.get("bandwidth_bytes_per_s") or {}).keys())
    for layer in d["layers"]:
        for lv in [*layer["bytes"], *(t["level"] for t in layer.get("transfers", []))]:
            if lv not in names:
                names.append(lv)
    return names


def energy_parts(d: Mapping[str, Any]) -> list[str]:
    """Energy breakdown parts in plotting order: compute, each memory level, static, others."""
    keys = list(d["energy_breakdown_j"].keys())
    for layer in d["layers"]:
        for k in layer.get("energy_breakdown_j", {}):
            if k not in keys:
                keys.append(k)
    ordered = [k for k in ("compute", *memory_levels(d), "static") if k in keys]
    return ordered + [k for k in keys if k not in ordered]


def compute_units(d: Mapping[str, Any]) -> list[str]:
    """Compute unit names in order of first use."""
    units: list[str] = []
    for layer in d["layers"]:
        if layer["unit"] not in units:
            units.append(layer["unit"])
    return units


def title(d: Mapping[str, Any]) -> str:
    """One-line description of a run: workload on hardware (dtype, batch, profile)."""
    bits = [str(d[k]) for k in ("dtype",) if d.get(k)]
    if d.get("batch") is not None:
        bits.append(f"batch {d['batch']}")
    if d.get("profile"):
        bits.append(str(d["profile"]))
    extra = f" ({', '.join(bits)})" if bits else ""
    return f"{d['workload']} on {d['hardware']}{extra}"


def short_label(d: Mapping[str, Any]) -> str:
    """Short label of a run for legends and bar ticks: workload / hardware."""
    return f"{d['workload']} / {d['hardware']}"


def bound_key(layer: Mapping[str, Any]) -> str:
    """What limits a layer: ``compute``, ``overhead`` or ``memory:<level>``."""
    bound = str(layer["bound"])
    level = layer.get("bound_level")
    if bound == "memory" and level:
        return f"memory:{level}"
    return bound
