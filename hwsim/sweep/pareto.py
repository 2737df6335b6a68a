"""Pareto front of a sweep table and the chip area/cost proxy.

Area/cost proxy (``area_proxy``, in SRAM-byte equivalents)::

    onchip_bytes = sum of capacity over memory levels that are not off-chip
                   (register, sram, cache; DRAM, HBM and flash are excluded)
    mac_units    = sum over compute units of count x (rows x cols if it has an array else 1)
    area_proxy   = onchip_bytes + MAC_AREA_BYTES x mac_units

``MAC_AREA_BYTES = 64``: an int8 multiply-accumulate (about 280 um^2 multiplier + 36 um^2
adder in 45 nm, Horowitz ISSCC 2014) takes roughly the area of 64 bytes of 6T SRAM with
its periphery (about 5 um^2 per byte). It ranks design points; it is no area estimate.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

    from hwsim.hardware.models import HardwareSpec

MAC_AREA_BYTES = 64
"""SRAM bytes of area taken by one MAC unit in the area proxy."""

DEFAULT_OBJECTIVES = ("latency_s", "energy_j", "area_proxy")


def area_terms(spec: HardwareSpec) -> dict[str, float]:
    """``onchip_bytes`` (B), ``mac_units`` and ``area_proxy`` (SRAM-byte equivalents) of a chip."""
    onchip = float(sum(m.capacity for m in spec.memory if not m.off_chip))
    macs = 0
    for c in spec.compute:
        macs += c.count * (c.array.rows * c.array.cols if c.array is not None else 1)
    return {
        "onchip_bytes": onchip,
        "mac_units": float(macs),
        "area_proxy": onchip + MAC_AREA_BYTES * float(macs),
    }


def _front_2d(costs: np.ndarray) -> np.ndarray:
    """Non-dominated mask for two objectives, O(n log n)."""
    n = len(costs)
    order = np.lexsort((costs[:, 1], costs[:, 0]))  # by x, then y
    xs, ys = costs[order, 0], costs[order, 1]
    new_group = np.empty(n, dtype=bool)
    new_group[0] = True
    new_group[1:] = xs[1:] != xs[:-1]
    starts = np.flatnonzero(new_group)
    group = np.cumsum(new_group) - 1
    group_min = ys[starts]  # ys is sorted within a group of equal x
    running = np.minimum.accumulate(ys)
    # Smallest y among points with strictly smaller x.
    before = np.full(len(starts), np.inf)
    before[1:] = running[starts[1:] - 1]
    dominated = (before[group] <= ys) | (ys > group_min[group])
    mask = np.empty(n, dtype=bool)
    mask[order] = ~dominated
    return mask


_BLOCK_CELLS = 4_000_000
"""Booleans per comparison block (block x rows), bounding temporary memory."""


def _front_nd(costs: np.ndarray) -> np.ndarray:
    """Non-dominated mask for any number of objectives (blockwise vectorised pruning).

    Candidates are visited in order of their summed per-objective ranks (likely winners
    first); each block of candidates removes every remaining row it dominates, so the
    work shrinks as the table does.
    """
    n, m = costs.shape
    ranks = np.argsort(np.argsort(costs, axis=0, kind="stable"), axis=0, kind="stable")
    order = np.argsort(ranks.sum(axis=1), kind="stable")
    rest = costs[order]
    idx = order
    start = 0
    while start < len(rest):
        size = max(1, min(512, _BLOCK_CELLS // max(1, len(rest))))
        block = rest[start : start + size]
        # (block x rows) per objective, combined: no 3-D temporaries.
        le = block[:, None, 0] <= rest[None, :, 0]
        lt = block[:, None, 0] < rest[None, :, 0]
        for k in range(1, m):
            le &= block[:, None, k] <= rest[None, :, k]
            lt |= block[:, None, k] < rest[None, :, k]
        keep = ~np.any(le & lt, axis=0)
        kept_before = int(np.count_nonzero(keep[:start]))
        kept_block = int(np.count_nonzero(keep[start : start + size]))
        rest, idx = rest[keep], idx[keep]
        start = kept_before + kept_block
    mask = np.zeros(n, dtype=bool)
    mask[idx] = True
    return mask


def pareto_mask(costs: Any) -> np.ndarray:
    """Boolean mask of the non-dominated rows of an (n, m) array, minimising every column.

    A row is dominated when another row is no worse in every column and better in one.
    Identical rows do not dominate each other (all are kept). Rows with NaN are never on
    the front.
    """
    a = np.asarray(costs, dtype=float)
    if a.ndim != 2:
        raise ValueError("costs must be a 2-D array (rows x objectives)")
    out = np.zeros(len(a), dtype=bool)
    ok = ~np.isnan(a).any(axis=1)
    sub = a[ok]
    if len(sub) == 0:
        return out
    if a.shape[1] == 1:
        m = sub[:, 0] == sub[:, 0].min()
    elif a.shape[1] == 2:
        m = _front_2d(sub)
    else:
        m = _front_nd(sub)
    out[np.flatnonzero(ok)[m]] = True
    return out


def pareto_front(
    df: pd.DataFrame,
    objectives: Sequence[str] = DEFAULT_OBJECTIVES,
    *,
    by: str | Sequence[str] | None = "workload",
) -> pd.DataFrame:
    """Rows of a sweep table that no other row beats on every objective (all minimised).

    Args:
        df: a table from :func:`hwsim.sweep.sweep` (or any DataFrame).
        objectives: columns to minimise; default latency, energy and the area proxy.
        by: compare only rows with equal values in these columns (default ``workload``,
            since designs for different models do not compete); ignored when absent;
            None compares all rows.

    Returns:
        The non-dominated rows, in their original order (rows that failed, with NaN
        objectives, are left out).
    """
    missing = [c for c in objectives if c not in df.columns]
    if missing:
        raise KeyError(f"pareto_front: no column(s) {', '.join(missing)} in the table")
    if not objectives:
        raise ValueError("pareto_front: give at least one objective")
    costs = df[list(objectives)].to_numpy(dtype=float, na_value=np.nan)
    keys = [by] if isinstance(by, str) else list(by or [])
    keys = [k for k in keys if k in df.columns]
    mask = np.zeros(len(df), dtype=bool)
    if not keys:
        mask = pareto_mask(costs)
    else:
        for rows in df.groupby(keys, sort=False, dropna=False).indices.values():
            mask[rows] = pareto_mask(costs[rows])
    return df[mask]


COST_AXES = {"area": "area_proxy", "power": "avg_power_w", "peak-power": "peak_power_w"}
"""Named cost axes of the Pareto front (the third objective beside latency and energy)."""

COST_LABELS = {
    "area_proxy": "area proxy",
    "avg_power_w": "average power",
    "peak_power_w": "peak power",
}


def cost_column(cost: str, columns: Sequence[str]) -> str:
    """The table column of a cost axis: ``area`` (area_proxy), ``power`` (avg_power_w),
    ``peak-power`` (peak_power_w) or any numeric column of the table by name.

    Raises:
        KeyError: no such cost axis or column (the message lists the choices).
    """
    col = COST_AXES.get(cost, cost)
    if col not in columns:
        raise KeyError(
            f"cost {cost!r}: choose {', '.join(COST_AXES)} or a column of the table "
            f"(e.g. onchip_bytes, mac_units, energy_dram_j)"
        )
    return col


def cost_blind_axes(df: pd.DataFrame, cost: str, axes: Sequence[str]) -> list[str]:
    """Axes the cost column does not change: with every other axis (and the workload)
    held, the cost is the same for all of the axis' values. A Pareto front then simply
    takes the axis' best value for latency and energy (e.g. the highest bandwidth when the
    cost is the area proxy, which counts no bandwidth)."""
    blind = []
    for a in axes:
        if a not in df.columns or df[a].nunique() < 2:
            continue
        keys = [c for c in axes if c != a and c in df.columns]
        if "workload" in df.columns:
            keys.append("workload")
        groups = df.groupby(keys, dropna=False, sort=False) if keys else [(None, df)]
        if all(g[cost].nunique(dropna=False) <= 1 for _, g in groups):
            blind.append(a)
    return blind
