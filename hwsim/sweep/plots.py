"""Sweep plots as matplotlib Figures (no pyplot state): metric over an axis, heat-map, Pareto.

Every function takes the table from :func:`hwsim.sweep.sweep` (or ``results.csv`` read back)
and returns a :class:`matplotlib.figure.Figure`; :func:`plot_sweep_dir` writes PNGs.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from hwsim.sweep.pareto import DEFAULT_OBJECTIVES, pareto_mask
from hwsim.sweep.plan import SweepError
from hwsim.textio import atomic_path

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

METRIC_LABELS: dict[str, tuple[str, str]] = {
    "latency_s": ("latency", "s"),
    "energy_j": ("energy per inference", "J"),
    "avg_power_w": ("average power", "W"),
    "throughput_per_s": ("throughput", "/s"),
    "area_proxy": ("area proxy", "B-eq"),
    "onchip_bytes": ("on-chip memory", "B"),
    "peak_activation_bytes": ("peak activations", "B"),
}
"""Axis label and unit of common metric columns."""

MAX_LINES = 10
MAX_ANNOTATED_COLS = 10
MAX_ANNOTATED_ROWS = 16
MAX_TICK_LABELS = 10
MAX_LISTED_FRONT = 10


def _label(metric: str) -> tuple[str, str]:
    if metric in METRIC_LABELS:
        return METRIC_LABELS[metric]
    m = re.fullmatch(r"energy_(.+)_j", metric)
    if m:
        return f"{m.group(1)} energy", "J"
    for suffix, unit in (("_s", "s"), ("_j", "J"), ("_w", "W"), ("_bytes", "B")):
        if metric.endswith(suffix):
            return metric[: -len(suffix)].replace("_", " "), unit
    return metric, ""


def _eng(unit: str) -> Any:
    from matplotlib.ticker import EngFormatter

    return EngFormatter(unit=unit, places=None, sep=" ")


def _eng_text(value: float, unit: str) -> str:
    """``0.00221485, "s"`` -> ``"2.215 ms"`` (4 significant digits, SI prefix)."""
    if value is None or not math.isfinite(value):
        return "-"
    if value == 0:
        return f"0 {unit}".strip()
    exp = max(-15, min(15, int(math.floor(math.log10(abs(value)) / 3) * 3)))
    prefix = {-15: "f", -12: "p", -9: "n", -6: "µ", -3: "m", 0: "", 3: "k", 6: "M", 9: "G"}
    prefix.update({12: "T", 15: "P"})
    return f"{value / 10.0**exp:.4g} {prefix[exp]}{unit}".strip()


def _ticks(axis: Any, unit: str, *, log: bool) -> None:
    """At most ~5 ticks with SI-prefixed labels, so long labels do not collide."""
    from matplotlib.ticker import MaxNLocator

    if not log:
        axis.set_major_locator(MaxNLocator(nbins=5))
    axis.set_major_formatter(_eng(unit))


def _value_ticks(axis: Any, pos: np.ndarray, values: list[Any], *, rotate: bool = True) -> None:
    """Ticks at the swept values, labelled as written; every k-th one when there are many."""
    step = max(1, math.ceil(len(values) / MAX_TICK_LABELS))
    keep = list(range(0, len(values), step))
    if keep[-1] != len(values) - 1 and len(values) > 1:
        keep[-1] = len(values) - 1  # always label the last value
    axis.set_ticks(pos[keep])
    axis.set_ticklabels([str(values[i]) for i in keep])
    if rotate and len(keep) > 5:
        for label in axis.get_ticklabels():
            label.set_rotation(30)
            label.set_horizontalalignment("right")
    axis.set_minor_locator(_null_locator())


def _null_locator() -> Any:
    from matplotlib.ticker import NullLocator

    return NullLocator()


def _short(path: str) -> str:
    """``memory.dram.bandwidth`` -> ``dram.bandwidth`` (enough to tell axes apart)."""
    parts = path.split(".")
    return ".".join(parts[-2:]) if len(parts) > 2 else path


def _figure(width: float = 7.0, height: float = 4.5) -> Figure:
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained", dpi=110)


def _axis_values(df: pd.DataFrame, axis: str, si_column: str | None) -> pd.DataFrame:
    """Distinct values of an axis, sorted by their numeric value: columns value, x."""
    import pandas as pd

    col = si_column if si_column and si_column in df.columns else axis
    vals = df[list(dict.fromkeys([axis, col]))].drop_duplicates(subset=[axis])
    x = pd.to_numeric(vals[col], errors="coerce")
    if x.isna().any():  # names, not numbers: keep their order of appearance
        x = pd.Series(np.arange(len(vals), dtype=float), index=vals.index)
    out = pd.DataFrame({"value": vals[axis].to_numpy(), "x": x.to_numpy()})
    return out.sort_values("x", kind="stable").reset_index(drop=True)


def _si_col(df: pd.DataFrame, axis: str) -> str | None:
    for c in df.columns:
        if c.startswith(axis + "_") and c != axis and "." not in c[len(axis) + 1 :]:
            return str(c)
    return None


def _axes_of(df: pd.DataFrame, axes: Sequence[str] | None) -> list[str]:
    if axes is not None:
        return list(axes)
    return [str(c) for c in df.columns if _is_axis(df, str(c))]


def _is_axis(df: pd.DataFrame, col: str) -> bool:
    """Axis columns are dotted spec paths; their SI twins are ``<axis>_<unit suffix>``."""
    if "." not in col:
        return False
    return not any(col != c and col.startswith(f"{c}_") for c in map(str, df.columns))


def _fix_others(
    df: pd.DataFrame, keep: Sequence[str], axes: Sequence[str], fixed: Mapping[str, Any] | None
) -> tuple[pd.DataFrame, list[str]]:
    """Hold every other axis at one value (``fixed`` or its first value); say which."""
    notes = []
    sub = df
    for a in axes:
        if a in keep or a not in df.columns:
            continue
        values = sub[a].drop_duplicates()
        if len(values) <= 1:
            continue
        v = fixed[a] if fixed and a in fixed else values.iloc[0]
        sub = sub[sub[a] == v]
        notes.append(f"{_short(a)} = {v}")
    return sub, notes


def _log_if_wide(values: np.ndarray) -> bool:
    v = values[np.isfinite(values)]
    return bool(len(v) > 1 and v.min() > 0 and v.max() / v.min() >= 20)


def plot_metric(
    df: pd.DataFrame,
    axis: str,
    metric: str = "latency_s",
    *,
    axes: Sequence[str] | None = None,
    fixed: Mapping[str, Any] | None = None,
) -> Figure:
    """A metric over one axis, one line per workload (other axes held at one value).

    Args:
        df: sweep table.
        axis: the swept dotted path on the x axis.
        metric: result column on the y axis (e.g. ``latency_s``, ``energy_j``).
        axes: all axis columns of the table (default: the dotted-path columns).
        fixed: values for the other axes (default: each one's first value).
    """
    axes = _axes_of(df, axes)
    ylabel, yunit = _label(metric)
    sub, notes = _fix_others(df, [axis], axes, fixed)
    xs = _axis_values(sub, axis, _si_col(df, axis))
    numeric = not np.array_equal(xs["x"].to_numpy(), np.arange(len(xs), dtype=float))
    fig = _figure()
    ax = fig.subplots()
    workloads = list(dict.fromkeys(sub["workload"])) if "workload" in sub else [None]
    for wl in workloads[:MAX_LINES]:
        rows = sub if wl is None else sub[sub["workload"] == wl]
        y = rows.set_index(axis)[metric].reindex(xs["value"]).to_numpy(dtype=float)
        ax.plot(xs["x"], y, marker="o", label=str(wl) if wl is not None else metric)
    allv = sub[metric].to_numpy(dtype=float)
    if _log_if_wide(allv):
        ax.set_yscale("log")
    if numeric and _log_if_wide(xs["x"].to_numpy(dtype=float)):
        ax.set_xscale("log")
    _ticks(ax.yaxis, yunit, log=_log_if_wide(allv))
    _value_ticks(ax.xaxis, xs["x"].to_numpy(dtype=float), list(xs["value"]))
    ax.minorticks_off()
    ax.set_xlabel(axis)
    ax.set_ylabel(f"{ylabel} ({yunit})" if yunit else ylabel)
    title = f"{ylabel} vs {_short(axis)}"
    if notes:
        title += f"\n(at {', '.join(notes)})"
    ax.set_title(title, fontsize=11)
    ax.grid(True, alpha=0.3)
    if len(workloads) > 1 or workloads[0] is not None:
        ax.legend(title="workload", fontsize=9)
    return fig


BOUND_COLORS = {"compute": "#1f77b4", "overhead": "#7f7f7f"}
_LEVEL_COLORS = ("#d62728", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#bcbd22")


def bound_label(bound: Any, level: Any) -> str:
    """``compute``, ``overhead`` or ``memory: <level>`` from a row's bound columns."""
    b = "" if bound is None or (isinstance(bound, float) and math.isnan(bound)) else str(bound)
    lv = "" if level is None or (isinstance(level, float) and math.isnan(level)) else str(level)
    return f"memory: {lv}" if b == "memory" and lv else (b or "?")


def plot_bound(
    df: pd.DataFrame,
    axis: str,
    metric: str = "latency_s",
    *,
    axes: Sequence[str] | None = None,
) -> Figure:
    """Every point of the sweep: ``metric`` over one axis, coloured by what bounds it
    (compute, overhead, or the memory level it waits on; columns ``bound`` and
    ``bound_level``), one panel per workload. Where the colour changes along the axis is
    where the model changes bound, e.g. becomes compute-bound as bandwidth grows.
    """
    if "bound" not in df.columns:
        raise SweepError("the table has no 'bound' column (a sweep from an older hwsim)")
    ylabel, yunit = _label(metric)
    xs = _axis_values(df, axis, _si_col(df, axis))
    xmap = dict(zip(xs["value"], xs["x"]))
    numeric = not np.array_equal(xs["x"].to_numpy(), np.arange(len(xs), dtype=float))
    workloads = list(dict.fromkeys(df["workload"]))[:6] if "workload" in df else [None]
    fig = _figure(width=4.2 * len(workloads) + 1.5, height=4.5)
    panels = fig.subplots(1, len(workloads), squeeze=False)[0]
    labels = [
        bound_label(b, lv) for b, lv in zip(df["bound"], df.get("bound_level", [None] * len(df)))
    ]
    levels = sorted({lb for lb in labels if lb.startswith("memory")})
    colors = dict(BOUND_COLORS)
    colors.update({lb: _LEVEL_COLORS[i % len(_LEVEL_COLORS)] for i, lb in enumerate(levels)})
    df = df.assign(_bound=labels)
    for ax, wl in zip(panels, workloads):
        rows = df if wl is None else df[df["workload"] == wl]
        for lb in sorted(set(rows["_bound"]), key=lambda k: (k != "compute", k)):
            sub = rows[rows["_bound"] == lb]
            ax.scatter(
                [xmap[v] for v in sub[axis]],
                sub[metric].to_numpy(dtype=float),
                color=colors.get(lb, "#17becf"),
                label=lb,
                s=28,
                alpha=0.8,
                edgecolors="none",
            )
        vals = rows[metric].to_numpy(dtype=float)
        log_y = _log_if_wide(vals)
        if log_y:
            ax.set_yscale("log")
        if numeric and _log_if_wide(xs["x"].to_numpy(dtype=float)):
            ax.set_xscale("log")
        _ticks(ax.yaxis, yunit, log=log_y)
        _value_ticks(ax.xaxis, xs["x"].to_numpy(dtype=float), list(xs["value"]))
        ax.minorticks_off()
        ax.set_xlabel(axis)
        ax.set_title(str(wl) if wl is not None else "", fontsize=10)
        ax.grid(True, alpha=0.3)
        ax.legend(title="bound", fontsize=8, title_fontsize=8)
    panels[0].set_ylabel(f"{ylabel} ({yunit})" if yunit else ylabel)
    fig.suptitle(f"{ylabel} vs {_short(axis)}, coloured by what bounds each point", fontsize=11)
    return fig


def plot_heatmap(
    df: pd.DataFrame,
    x_axis: str,
    y_axis: str,
    metric: str = "latency_s",
    *,
    workload: str | None = None,
    axes: Sequence[str] | None = None,
    fixed: Mapping[str, Any] | None = None,
) -> Figure:
    """Heat-map of a metric over two axes for one workload (cells annotated with values).

    Args:
        df: sweep table.
        x_axis: dotted path on the columns of the map.
        y_axis: dotted path on the rows of the map.
        metric: result column shown as colour.
        workload: which workload (default: the first in the table).
        axes: all axis columns of the table (default: the dotted-path columns).
        fixed: values for the other axes (default: each one's first value).
    """
    from matplotlib.colors import LogNorm

    axes = _axes_of(df, axes)
    label, unit = _label(metric)
    sub = df
    if "workload" in df.columns:
        workload = workload if workload is not None else str(df["workload"].iloc[0])
        sub = df[df["workload"] == workload]
    sub, notes = _fix_others(sub, [x_axis, y_axis], axes, fixed)
    xs = _axis_values(sub, x_axis, _si_col(df, x_axis))
    ys = _axis_values(sub, y_axis, _si_col(df, y_axis))
    grid = (
        sub.pivot_table(index=y_axis, columns=x_axis, values=metric, aggfunc="first")
        .reindex(index=ys["value"], columns=xs["value"])
        .to_numpy(dtype=float)
    )
    fig = _figure(
        min(12.0, max(5.5, 1.6 + 0.9 * len(xs))), min(9.0, max(4.0, 1.6 + 0.45 * len(ys)))
    )
    ax = fig.subplots()
    finite = grid[np.isfinite(grid)]
    norm = LogNorm() if _log_if_wide(finite) else None
    im = ax.imshow(grid, origin="lower", aspect="auto", cmap="viridis", norm=norm)
    _value_ticks(ax.xaxis, np.arange(len(xs), dtype=float), list(xs["value"]))
    _value_ticks(ax.yaxis, np.arange(len(ys), dtype=float), list(ys["value"]), rotate=False)
    ax.set_xlabel(x_axis)
    ax.set_ylabel(y_axis)
    cb = fig.colorbar(im, ax=ax, format=_eng(unit))
    cb.set_label(f"{label} ({unit})" if unit else label)
    if len(xs) <= MAX_ANNOTATED_COLS and len(ys) <= MAX_ANNOTATED_ROWS and len(finite):
        lo, hi = (
            (np.log(finite.min()), np.log(finite.max())) if norm else (finite.min(), finite.max())
        )
        for (r, c), v in np.ndenumerate(grid):
            if not np.isfinite(v):
                ax.text(c, r, "failed", ha="center", va="center", fontsize=8, color="red")
                continue
            t = ((np.log(v) if norm else v) - lo) / (hi - lo) if hi > lo else 0.5
            ax.text(
                c,
                r,
                _eng_text(v, unit),
                ha="center",
                va="center",
                fontsize=8,
                color="black" if t > 0.55 else "white",
            )
    title = f"{label} of {workload}" if workload else label
    if notes:
        title += f"\n(at {', '.join(notes)})"
    ax.set_title(title, fontsize=11)
    return fig


def plot_pareto(
    df: pd.DataFrame,
    x: str = "latency_s",
    y: str = "energy_j",
    *,
    objectives: Sequence[str] = DEFAULT_OBJECTIVES,
    workload: str | None = None,
    axes: Sequence[str] | None = None,
    color: str | None = "area_proxy",
) -> Figure:
    """Scatter of every design point (x vs y) for one workload, the Pareto front highlighted.

    The front is computed over ``objectives`` (default latency, energy, area proxy), so a
    point can be on it while looking dominated in this 2-D view; front points are coloured
    by ``color`` and labelled with their axis values when there are few.
    """
    axes = _axes_of(df, axes)
    sub = df
    if "workload" in df.columns:
        workload = workload if workload is not None else str(df["workload"].iloc[0])
        sub = df[df["workload"] == workload]
    sub = sub[np.isfinite(sub[x].to_numpy(dtype=float)) & np.isfinite(sub[y].to_numpy(dtype=float))]
    front = pareto_mask(sub[list(objectives)].to_numpy(dtype=float, na_value=np.nan))
    xl, xu = _label(x)
    yl, yu = _label(y)
    fv = sub[front].sort_values(x)
    listed = bool(axes) and 0 < len(fv) <= MAX_LISTED_FRONT
    list_h = 0.17 * len(fv) + 0.35 if listed else 0.0
    fig = _figure(8.0, 5.0 + list_h)
    if listed:
        top, bottom = fig.subfigures(2, 1, height_ratios=[5.0, list_h])  # type: ignore[misc]
    else:
        top, bottom = fig, None
    ax = top.subplots()
    xv, yv = sub[x].to_numpy(dtype=float), sub[y].to_numpy(dtype=float)
    ax.scatter(xv[~front], yv[~front], s=18, color="0.7", label="dominated", zorder=2)
    if color and color in sub.columns:
        sc = ax.scatter(
            fv[x], fv[y], s=60, c=fv[color].to_numpy(dtype=float), cmap="plasma",
            edgecolors="black", linewidths=0.8, label="Pareto front", zorder=3,
        )  # fmt: skip
        cl, cu = _label(color)
        cb = top.colorbar(sc, ax=ax, format=_eng(cu))
        cb.set_label(f"{cl} ({cu})" if cu else cl)
    else:
        ax.scatter(fv[x], fv[y], s=60, color="tab:red", edgecolors="black", label="Pareto front")
    if listed and bottom is not None:
        # Number the front points; their axis values are listed under the plot.
        lines = []
        for i, (_, row) in enumerate(fv.iterrows(), start=1):
            ax.annotate(
                str(i), (row[x], row[y]), textcoords="offset points",
                xytext=(6, 6) if i % 2 else (6, -12), fontsize=9, fontweight="bold",
            )  # fmt: skip
            values = ", ".join(f"{_short(a)} = {row[a]}" for a in axes if a in row.index)
            lines.append(f"{i}: {values}  ->  {_eng_text(row[x], xu)}, {_eng_text(row[y], yu)}")
        bottom.text(
            0.02, 0.98, "\n".join(lines), va="top", ha="left", fontsize=8, family="monospace"
        )
    if _log_if_wide(xv):
        ax.set_xscale("log")
    if _log_if_wide(yv):
        ax.set_yscale("log")
    _ticks(ax.xaxis, xu, log=_log_if_wide(xv))
    _ticks(ax.yaxis, yu, log=_log_if_wide(yv))
    ax.set_xlabel(f"{xl} ({xu})" if xu else xl)
    ax.set_ylabel(f"{yl} ({yu})" if yu else yl)
    objs = " x ".join(_label(o)[0] for o in objectives)
    ax.set_title(
        f"{workload + ': ' if workload else ''}{int(front.sum())} of {len(sub)} points on the "
        f"Pareto front\n(minimising {objs})",
        fontsize=11,
    )
    ax.margins(0.08)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=9, loc="best")
    return fig


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "_", text).strip("_")


def read_sweep_table(folder: str | Path) -> tuple[pd.DataFrame, list[str]]:
    """A sweep folder's table (``results.parquet`` or ``results.csv``) and its axis columns."""
    import pandas as pd

    d = Path(folder)
    pq, csv = d / "results.parquet", d / "results.csv"
    try:
        if pq.is_file():
            try:
                df = pd.read_parquet(pq)
            except ImportError:
                df = pd.read_csv(csv)
        elif csv.is_file():
            df = pd.read_csv(csv)
        else:
            raise SweepError(f"{d}: no results.csv (not a sweep output folder)")
    except (OSError, ValueError) as exc:
        raise SweepError(f"{d}: cannot read the sweep table: {exc}") from None
    meta = d / "sweep.json"
    axes: list[str]
    if meta.is_file():
        try:
            axes = [a["path"] for a in json.loads(meta.read_text(encoding="utf-8"))["axes"]]
        except (ValueError, KeyError, TypeError) as exc:
            raise SweepError(f"{meta}: unreadable: {exc}") from None
    else:
        axes = [c for c in df.columns if _is_axis(df, c)]
    if "error" in df.columns:
        df["error"] = df["error"].where(df["error"].notna(), None)
    return df, axes


def sweep_figures(df: pd.DataFrame, axes: Sequence[str]) -> dict[str, Figure]:
    """The standard set of sweep figures by file stem: metric per axis, heat-maps, Pareto."""
    figs: dict[str, Figure] = {}
    df = df.copy()
    for a in axes:
        if a in df.columns:  # list values (e.g. holds: [weights]) are shown as text
            df[a] = df[a].map(lambda v: json.dumps(v) if isinstance(v, list) else v)
    axes = [a for a in axes if a in df.columns and df[a].nunique() > 1]
    ok = df[df["error"].isna()] if "error" in df.columns else df
    if ok.empty:
        return figs
    for a in axes[:4]:
        for metric in ("latency_s", "energy_j"):
            figs[f"{metric}_vs_{_slug(a)}"] = plot_metric(ok, a, metric, axes=axes)
        if "bound" in ok.columns:
            figs[f"bound_vs_{_slug(a)}"] = plot_bound(ok, a, axes=axes)
    workloads = list(dict.fromkeys(ok["workload"])) if "workload" in ok.columns else [None]
    for wl in workloads[:6]:
        tag = f"_{_slug(str(wl))}" if wl is not None else ""
        if len(axes) >= 2:
            for metric in ("latency_s", "energy_j"):
                figs[f"heatmap_{metric}{tag}"] = plot_heatmap(
                    ok, axes[0], axes[1], metric, workload=wl, axes=axes
                )
        if all(o in ok.columns for o in DEFAULT_OBJECTIVES):
            figs[f"pareto{tag}"] = plot_pareto(ok, workload=wl, axes=axes)
    return figs


def plot_sweep_dir(folder: str | Path, out_dir: str | Path | None = None) -> list[Path]:
    """Write the sweep figures of a sweep output folder as PNGs; returns the files written.

    Args:
        folder: a folder written by ``hwsim sweep --out``.
        out_dir: where the PNGs go (default ``FOLDER/plots``).
    """
    df, axes = read_sweep_table(folder)
    target = Path(out_dir) if out_dir is not None else Path(folder) / "plots"
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for stem, fig in sweep_figures(df, axes).items():
        path = target / f"{stem}.png"
        with atomic_path(path) as tmp:
            fig.savefig(tmp, format="png")
        written.append(path)
    return written
