"""Per-point columns that say what limits a design point (what ``results.csv`` answers).

For each (point, workload) row:

- ``time_share_compute``, ``time_share_overhead`` and ``time_share_<level>`` for every
  memory level of the point's chip (0..1): the share of the summed layer latency whose
  bound is compute, fixed per-op overhead, or waiting on that memory level (other bounds
  a result reports, e.g. a link, get their own ``time_share_<name>``). The shares sum to 1.
- ``bound``: ``compute``, ``memory`` or ``overhead``, the group with the largest share
  (all memory levels together, as ``hwsim run``'s verdict groups them); ``bound_level``:
  the memory level with the largest share when ``bound`` is ``memory``, else empty.
- ``compute_utilization`` (0..1): achieved MAC throughput over the chip's peak for the
  run's dtype, ``2 x macs / (latency_s x roofline peak op/s)``.
- ``peak_power_w``: the highest power of any layer (dynamic + static) the result
  reports (``peak_layer_power_w``); null when the result has none.

Everything is read from the SimulationResult; a new bound or power field shows up as its
own column without a change here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hwsim.engine.layers import bound_time_s

TIME_SHARE_PREFIX = "time_share_"


def time_shares(
    result: Any, levels: list[str], bound_time: Mapping[str, float] | None = None
) -> dict[str, float | None]:
    """``time_share_<bound>`` columns (0..1) of a SimulationResult; ``levels`` always appear.
    ``bound_time``: the run's latency per bound (a totals-only run's), else from its layers."""
    if bound_time is None:
        bound_time = bound_time_s(
            (x.bound, x.bound_level, float(x.latency_s)) for x in result.layers
        )
    acc: dict[str, float] = {"compute": 0.0, "overhead": 0.0}
    acc.update({lv: 0.0 for lv in levels})
    for key, seconds in bound_time.items():
        acc[key] = acc.get(key, 0.0) + seconds
    total = sum(acc.values())
    return {f"{TIME_SHARE_PREFIX}{k}": (v / total if total > 0 else None) for k, v in acc.items()}


def bound_columns(
    result: Any, levels: list[str], bound_time: Mapping[str, float] | None = None
) -> dict[str, Any]:
    """Time shares, dominant ``bound`` and ``bound_level``, ``compute_utilization`` and
    ``peak_power_w`` (see the module docstring; ``bound_time`` as :func:`time_shares`)."""
    shares = time_shares(result, levels, bound_time)
    by_key = {k[len(TIME_SHARE_PREFIX) :]: (v or 0.0) for k, v in shares.items()}
    memory = {lv: by_key.get(lv, 0.0) for lv in levels}
    groups = {
        "compute": by_key.get("compute", 0.0),
        "memory": sum(memory.values()),
        "overhead": by_key.get("overhead", 0.0),
    }
    for k, v in by_key.items():  # other bounds (a link, ...) compete as themselves
        if k not in groups and k not in memory:
            groups[k] = v
    row: dict[str, Any] = dict(shares)
    if not any(groups.values()):
        row["bound"], row["bound_level"] = "", ""
    else:
        bound = max(groups, key=lambda g: groups[g])
        row["bound"] = bound
        row["bound_level"] = max(memory, key=lambda lv: memory[lv]) if bound == "memory" else ""
    peak = float(result.roofline.get("peak_ops_per_s") or 0.0)
    achieved = 2.0 * result.macs / result.latency_s if result.latency_s > 0 else 0.0
    row["compute_utilization"] = achieved / peak if peak > 0 else None
    power = getattr(result, "power", None) or {}
    peak_w = power.get("peak_layer_power_w")
    row["peak_power_w"] = float(peak_w) if isinstance(peak_w, (int, float)) else None
    return row
