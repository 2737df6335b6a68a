"""Matplotlib figures of one or several runs: roofline, energy, memory profile, timeline.

Figures are built with the object API (``matplotlib.figure.Figure``): no pyplot state, no
backend change, nothing shown. Each function accepts one result or a list of results
(SimulationResult or its JSON dict) and returns a Figure; :func:`write_plots` saves PNGs.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.text import Text
from matplotlib.ticker import EngFormatter, LogLocator, NullFormatter

from hwsim.report.data import (
    ResultLike,
    as_result_dict,
    bound_key,
    compute_units,
    energy_parts,
    memory_levels,
    short_label,
    title,
)
from hwsim.textio import atomic_path

PLOT_KINDS = ("roofline", "energy", "memory", "timeline")
"""Plot names accepted by :func:`plot` and written by :func:`write_plots`."""

MAX_LAYER_BARS = 60
"""Above this many layers the energy plot shows the top layers plus one 'other' bar."""
TOP_LAYER_BARS = 30
"""How many layers the energy plot keeps when it collapses the rest into 'other'."""

_COMPUTE_COLOR = "#1f77b4"
_STATIC_COLOR = "#8c8c8c"
_OVERHEAD_COLOR = "#8c8c8c"
_MEMORY_COLORS = ("#d62728", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#bcbd22")
_PART_COLORS = ("#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf")
_RUN_COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#17becf")
_BOUND_MARKERS = {"compute": "o", "memory": "s", "overhead": "^"}
_NO_OFFCHIP_MARKER = ">"


# ----------------------------------------------------------------------------- helpers


def _results(results: ResultLike | Sequence[ResultLike]) -> list[dict[str, Any]]:
    """One or several results as checked JSON dicts."""
    if isinstance(results, Mapping) or not isinstance(results, Sequence):
        return [as_result_dict(results)]
    out = [as_result_dict(r, source=f"result {i + 1}") for i, r in enumerate(results)]
    if not out:
        raise ValueError("no results to plot")
    return out


def _figure(width: float, height: float) -> Figure:
    return Figure(figsize=(width, height), layout="constrained", dpi=100)


def _bytes_label(value: float) -> str:
    """Bytes as text; exact binary capacities (2 MiB) keep their binary unit."""
    for exp, unit in ((3, "GiB"), (2, "MiB"), (1, "KiB")):
        step = 1024.0**exp
        if value >= step and value % (step / 4) == 0:
            return f"{value / step:g} {unit}"
    return _si(value, "B")


def _si(value: float, unit: str, digits: int = 4) -> str:
    """A value with an SI prefix and ``digits`` significant digits, e.g. ``5.517 µJ``."""
    if value == 0 or not math.isfinite(value):
        return f"{value:g} {unit}"
    exp = max(-15, min(15, int(math.floor(math.log10(abs(value)) / 3) * 3)))
    prefix = {-15: "f", -12: "p", -9: "n", -6: "µ", -3: "m", 0: "", 3: "k", 6: "M", 9: "G"}
    prefix.update({12: "T", 15: "P"})
    return f"{value / 10.0**exp:.{digits}g} {prefix[exp]}{unit}"


def _eng(unit: str) -> EngFormatter:
    """Axis tick formatter with SI prefixes (µs, kB, GFLOP/s)."""
    return EngFormatter(unit=unit, sep=" ")


def _run_titles(ds: Sequence[Mapping[str, Any]], what: str) -> str:
    if len(ds) == 1:
        return f"{what}: {title(ds[0])}"
    workloads = {str(d["workload"]) for d in ds}
    chips = {str(d["hardware"]) for d in ds}
    if len(workloads) == 1:
        return f"{what}: {workloads.pop()} on {len(chips)} chip{'s' if len(chips) > 1 else ''}"
    if len(chips) == 1:
        return f"{what}: {len(workloads)} workloads on {chips.pop()}"
    return f"{what}: {len(ds)} runs"


def _bound_color(key: str, levels: Sequence[str]) -> str:
    if key == "compute":
        return _COMPUTE_COLOR
    if key == "overhead":
        return _OVERHEAD_COLOR
    level = key.split(":", 1)[1] if ":" in key else ""
    # the outermost level (usually DRAM/HBM) gets red, the next one in orange, ...
    rank = list(reversed(levels)).index(level) if level in levels else len(levels)
    return _MEMORY_COLORS[rank % len(_MEMORY_COLORS)]


def _bound_text(key: str) -> str:
    if key.startswith("memory:"):
        return f"memory-bound ({key.split(':', 1)[1]})"
    return f"{key}-bound"


def _part_colors(parts: Sequence[str]) -> dict[str, str]:
    colors: dict[str, str] = {}
    i = 0
    for p in parts:
        if p == "compute":
            colors[p] = _COMPUTE_COLOR
        elif p == "static":
            colors[p] = _STATIC_COLOR
        else:
            colors[p] = _PART_COLORS[i % len(_PART_COLORS)]
            i += 1
    return colors


def _union(lists: Sequence[Sequence[str]]) -> list[str]:
    out: list[str] = []
    for lst in lists:
        for x in lst:
            if x not in out:
                out.append(x)
    return out


def _log_bounds(values: Sequence[float], pad: float = 2.0) -> tuple[float, float]:
    lo, hi = min(values) / pad, max(values) * pad
    return 10.0 ** math.floor(math.log10(lo)), 10.0 ** math.ceil(math.log10(hi))


# ---------------------------------------------------------------------------- roofline


def roofline_points(result: ResultLike) -> list[dict[str, Any]]:
    """Per-layer roofline coordinates: intensity (FLOP/B, None without off-chip bytes) and FLOP/s.

    Layers with no FLOPs or zero latency have no point and are left out.
    """
    d = as_result_dict(result)
    pts = []
    for i, layer in enumerate(d["layers"]):
        if layer["flops"] <= 0 or layer["latency_s"] <= 0:
            continue
        ai = layer.get("arithmetic_intensity")
        pts.append(
            {
                "index": i,
                "name": layer["name"],
                "intensity_flop_per_byte": ai if ai is not None and ai > 0 else None,
                "flops_per_s": layer["flops"] / layer["latency_s"],
                "bound": bound_key(layer),
            }
        )
    return pts


class _SlopeText(Text):
    """Text along a slope-1 line of a log-log axes; the angle is fixed at draw time."""

    def get_rotation(self) -> float:
        ax = self.axes
        if ax is None:
            return 45.0
        box = ax.bbox
        (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
        dx, dy = math.log10(x1 / x0), math.log10(y1 / y0)
        if box.width <= 0 or dx <= 0 or dy <= 0:
            return 45.0
        return math.degrees(math.atan2(box.height / dy, box.width / dx))


def _roof_lines(ds: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Bandwidth roofs of every run: level, B/s, peak, run index; equal roofs merged."""
    roofs: list[dict[str, Any]] = []
    for r, d in enumerate(ds):
        roof = d.get("roofline") or {}
        peak = float(roof.get("peak_ops_per_s") or 0)
        if peak <= 0:
            continue
        for lv, bw in (roof.get("bandwidth_bytes_per_s") or {}).items():
            if bw <= 0:
                continue
            same = [x for x in roofs if x["run"] == r and math.isclose(x["bw"], bw, rel_tol=1e-6)]
            if same:
                same[0]["levels"].append(lv)
                same[0]["main"] |= lv == roof.get("ridge_level")
                continue
            roofs.append(
                {
                    "run": r,
                    "levels": [lv],
                    "bw": float(bw),
                    "peak": peak,
                    "main": lv == roof.get("ridge_level"),
                }
            )
    return roofs


def _run_color(r: int) -> str:
    """Colour of run ``r`` in a plot of several runs."""
    return _RUN_COLORS[r % len(_RUN_COLORS)]


def _plural(n: int, word: str) -> str:
    """``n`` and ``word``, with an ``s`` unless ``n`` is 1."""
    return f"{n} {word}{'s' if n != 1 else ''}"


def _peaks(ds: Sequence[Mapping[str, Any]]) -> list[float]:
    """Peak FLOP/s of every run (0 where the run has no roofline)."""
    return [float((d.get("roofline") or {}).get("peak_ops_per_s") or 0) for d in ds]


def _roofline_limits(
    ax: Axes,
    roofs: Sequence[Mapping[str, Any]],
    per_run: Sequence[Sequence[Mapping[str, Any]]],
    peaks: Sequence[float],
) -> tuple[float, float, float, float]:
    """Set log-log scales and limits that hold every point, ridge and peak.

    Args:
        ax: The roofline axes.
        roofs: The bandwidth roofs drawn (their ridges must be visible).
        per_run: Roofline points of each run.
        peaks: Peak FLOP/s of each run.

    Returns:
        ``(xlo, x_edge, xhi, ylo)``: layers with infinite intensity are drawn at ``x_edge``.
    """
    xs = [x["peak"] / x["bw"] for x in roofs]
    xs += [p["intensity_flop_per_byte"] for pts in per_run for p in pts]
    xs = [x for x in xs if x] or [1.0]
    ys = [p["flops_per_s"] for pts in per_run for p in pts] + [p for p in peaks if p > 0]
    xlo, x_edge = _log_bounds(xs)
    xhi = x_edge * 2.0  # layers with infinite intensity are drawn at x_edge
    ylo, yhi = _log_bounds(ys or [1.0], pad=3.0)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlim(xlo, xhi)
    ax.set_ylim(ylo, yhi)
    return xlo, x_edge, xhi, ylo


def _draw_bandwidth_roofs(
    ax: Axes,
    ds: Sequence[Mapping[str, Any]],
    roofs: Sequence[Mapping[str, Any]],
    multi: bool,
    limits: tuple[float, float, float, float],
) -> None:
    """Draw the bandwidth roofs, labelled along the line (one run only).

    Close parallel roofs get staggered labels.

    Args:
        ax: The roofline axes.
        ds: Result dicts of the runs.
        roofs: The bandwidth roofs to draw, from ``_roof_lines``.
        multi: Whether several runs are plotted (coloured by run, no labels).
        limits: ``(xlo, x_edge, xhi, ylo)`` from ``_roofline_limits``.
    """
    xlo, _, xhi, ylo = limits
    dx = math.log10(xhi / xlo)
    previous: float | None = None
    stagger = 0
    for roof in sorted(roofs, key=lambda x: x["bw"]):
        d = ds[roof["run"]]
        bw, peak, main = roof["bw"], roof["peak"], roof["main"]
        key = f"memory:{roof['levels'][-1]}"
        color = _run_color(roof["run"]) if multi else _bound_color(key, memory_levels(d))
        ax.plot(
            [xlo, peak / bw],
            [bw * xlo, peak],
            color=color,
            lw=1.5 if main else 1.0,
            ls="-" if main else "--",
            alpha=1.0 if main else 0.75,
        )
        if multi:
            continue
        stagger = stagger + 1 if previous is not None and bw / previous < 1.6 else 0
        previous = bw
        entry = max(xlo, ylo / bw)
        x = entry * 10 ** (dx * (0.03 + 0.22 * (stagger % 3)))
        if x >= peak / bw:
            x = entry * 10 ** (dx * 0.03)
        name = ", ".join(roof["levels"])
        text = f"{d['hardware'] + ': ' if multi else ''}{name} {_si(bw, 'B/s')}"
        ax.add_artist(
            _SlopeText(
                x,
                bw * x * 1.12,
                text,
                color=color,
                fontsize=8,
                ha="left",
                va="bottom",
                rotation_mode="anchor",
                clip_on=True,
            )
        )


def _draw_compute_roofs(
    ax: Axes,
    ds: Sequence[Mapping[str, Any]],
    roofs: Sequence[Mapping[str, Any]],
    peaks: Sequence[float],
    multi: bool,
    limits: tuple[float, float, float, float],
) -> None:
    """Draw each run's compute roof from its leftmost ridge, and mark the ridge point.

    With one run the peak (and ridge) is written above the roof, where no layer can be.

    Args:
        ax: The roofline axes.
        ds: Result dicts of the runs.
        roofs: The bandwidth roofs drawn, from ``_roof_lines``.
        peaks: Peak FLOP/s of each run.
        multi: Whether several runs are plotted (coloured by run, no labels).
        limits: ``(xlo, x_edge, xhi, ylo)`` from ``_roofline_limits``.
    """
    xlo, _, xhi, _ = limits
    dx = math.log10(xhi / xlo)
    for r, (d, peak) in enumerate(zip(ds, peaks)):
        if peak <= 0:
            continue
        ridges = [x["peak"] / x["bw"] for x in roofs if x["run"] == r]
        left = min(ridges, default=xlo)
        ax.plot([left, xhi], [peak, peak], color=_run_color(r) if multi else "black", lw=1.6)
        roof = d.get("roofline") or {}
        ridge_x = roof.get("ridge_flops_per_byte")
        if ridge_x:
            ax.plot([ridge_x], [peak], marker="D", color="black", ms=6, zorder=5)
        if not multi:
            text = f"peak {_si(peak, 'FLOP/s')}"
            at = ridge_x or max(left, xlo)
            if ridge_x:
                text += f"; ridge {ridge_x:.3g} FLOP/B ({roof.get('ridge_level')})"
            near_right = math.log10(xhi / at) < 0.4 * dx
            ax.annotate(
                text,
                (at, peak),
                xytext=(-6 if near_right else 6, 5),
                textcoords="offset points",
                fontsize=8,
                ha="right" if near_right else "left",
                va="bottom",
            )


def _draw_layer_points(
    ax: Axes,
    ds: Sequence[Mapping[str, Any]],
    per_run: Sequence[Sequence[Mapping[str, Any]]],
    multi: bool,
    x_edge: float,
) -> None:
    """Scatter the layers, one collection per run, bound and finiteness.

    Layers without off-chip bytes sit at ``x_edge`` as triangles, left of which a dotted
    line separates them from the finite intensities.

    Args:
        ax: The roofline axes.
        ds: Result dicts of the runs.
        per_run: Roofline points of each run.
        multi: Whether several runs are plotted (coloured by run, marker by bound).
        x_edge: Where layers of infinite intensity are drawn.
    """
    for r, (d, pts) in enumerate(zip(ds, per_run)):
        groups: dict[tuple[str, bool], list[tuple[float, float]]] = {}
        for p in pts:
            inf = p["intensity_flop_per_byte"] is None
            x = x_edge if inf else p["intensity_flop_per_byte"]
            groups.setdefault((p["bound"], inf), []).append((x, p["flops_per_s"]))
        for (key, inf), xy in groups.items():
            arr = np.asarray(xy, dtype=float)
            marker = (
                _NO_OFFCHIP_MARKER if inf else (_BOUND_MARKERS[key.split(":")[0]] if multi else "o")
            )
            ax.scatter(
                arr[:, 0],
                arr[:, 1],
                s=36,
                marker=marker,
                color=_run_color(r) if multi else _bound_color(key, memory_levels(d)),
                edgecolors="black",
                linewidths=0.5,
                zorder=4,
                gid=f"layers:{r}:{key}:{'edge' if inf else 'xy'}",
            )
    if any(p["intensity_flop_per_byte"] is None for pts in per_run for p in pts):
        ax.axvline(x_edge / 1.4, color="0.75", lw=0.8, ls=":")


def _bound_handles(d: Mapping[str, Any], pts: Sequence[Mapping[str, Any]]) -> list[Any]:
    """Legend entries of one run: a colour per bound, with its number of layers."""
    levels = memory_levels(d)
    keys = _union([[p["bound"] for p in pts]])
    handles: list[Any] = []
    for k in sorted(keys, key=lambda k: (k != "compute", k)):
        n = sum(1 for p in pts if p["bound"] == k)
        handles.append(
            Line2D(
                [],
                [],
                ls="",
                marker="o",
                color=_bound_color(k, levels),
                mec="black",
                mew=0.5,
                label=f"{_bound_text(k)}: {_plural(n, 'layer')}",
            )
        )
    return handles


def _run_handles(
    ds: Sequence[Mapping[str, Any]], pts: Sequence[Mapping[str, Any]], peaks: Sequence[float]
) -> list[Any]:
    """Legend entries of several runs: a colour per run (peak, roof, ridge), a marker per bound."""
    handles: list[Any] = []
    for r, d in enumerate(ds):
        roof = d.get("roofline") or {}
        ridge = roof.get("ridge_flops_per_byte")
        level = roof.get("ridge_level")
        bw = (roof.get("bandwidth_bytes_per_s") or {}).get(level)
        extra = f"\n  peak {_si(peaks[r], 'FLOP/s')}" if peaks[r] > 0 else ""
        if ridge and bw:
            extra += f", {level} {_si(bw, 'B/s')}\n  ridge {ridge:.3g} FLOP/B"
        handles.append(Patch(color=_run_color(r), label=f"{short_label(d)}{extra}"))
    for k in sorted({p["bound"].split(":")[0] for p in pts if p["intensity_flop_per_byte"]}):
        handles.append(
            Line2D(
                [],
                [],
                ls="",
                marker=_BOUND_MARKERS[k],
                color="white",
                mec="black",
                label=f"{k}-bound",
            )
        )
    return handles


def _roofline_legend(
    ax: Axes,
    ds: Sequence[Mapping[str, Any]],
    per_run: Sequence[Sequence[Mapping[str, Any]]],
    peaks: Sequence[float],
) -> None:
    """Legend right of the axes: bounds (one run) or runs and marker meanings (several runs).

    It also counts the layers at the right edge and the layers not shown.

    Args:
        ax: The roofline axes.
        ds: Result dicts of the runs.
        per_run: Roofline points of each run.
        peaks: Peak FLOP/s of each run.
    """
    all_pts = [p for pts in per_run for p in pts]
    handles = _bound_handles(ds[0], all_pts) if len(ds) == 1 else _run_handles(ds, all_pts, peaks)
    n_inf = sum(1 for p in all_pts if p["intensity_flop_per_byte"] is None)
    if n_inf:
        handles.append(
            Line2D(
                [],
                [],
                ls="",
                marker=_NO_OFFCHIP_MARKER,
                color="white",
                mec="black",
                label=f"no off-chip bytes: {_plural(n_inf, 'layer')},\n  drawn at the right edge",
            )
        )
    n_skip = sum(len(d["layers"]) for d in ds) - len(all_pts)
    if n_skip:
        handles.append(
            Line2D(
                [], [], ls="", label=f"not shown: {_plural(n_skip, 'layer')}\n  with 0 FLOPs or 0 s"
            )
        )
    handles.append(Line2D([], [], marker="D", ls="", color="black", label="ridge point"))
    ax.legend(
        handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False
    )


def _style_roofline_axes(ax: Axes, ds: Sequence[Mapping[str, Any]]) -> None:
    """Axis labels, FLOP/s tick format, unlabelled minor ticks, grid and title."""
    ax.set_xlabel("arithmetic intensity (FLOP per off-chip byte)")
    ax.set_ylabel("attained performance (FLOP/s)")
    ax.yaxis.set_major_formatter(_eng("FLOP/s"))
    for axis in (ax.xaxis, ax.yaxis):  # minor ticks at 2x and 5x each decade, unlabelled
        axis.set_minor_locator(LogLocator(subs=(2.0, 5.0)))
        axis.set_minor_formatter(NullFormatter())
    ax.grid(True, which="major", alpha=0.3)
    ax.set_title(_run_titles(ds, "roofline"), fontsize=11)


def plot_roofline(results: ResultLike | Sequence[ResultLike]) -> Figure:
    """Roofline: attained FLOP/s against arithmetic intensity (FLOP per off-chip byte), log-log.

    One compute roof (peak) and one bandwidth roof per memory level; each layer is a point
    coloured by what bounds it (several runs: coloured by run, marker by bound). Layers
    without off-chip bytes (infinite intensity) sit at the right edge as triangles.
    """
    ds = _results(results)
    multi = len(ds) > 1
    fig = _figure(10.5, 6.2)
    ax = fig.add_subplot()
    per_run = [roofline_points(d) for d in ds]
    roofs = _roof_lines(ds)
    if multi:  # one roof pair per run (peak and off-chip bandwidth), described in the legend
        roofs = [x for x in roofs if x["main"]]
    peaks = _peaks(ds)
    limits = _roofline_limits(ax, roofs, per_run, peaks)
    _draw_bandwidth_roofs(ax, ds, roofs, multi, limits)
    _draw_compute_roofs(ax, ds, roofs, peaks, multi, limits)
    _draw_layer_points(ax, ds, per_run, multi, x_edge=limits[1])
    _roofline_legend(ax, ds, per_run, peaks)
    _style_roofline_axes(ax, ds)
    return fig


# ------------------------------------------------------------------------------ energy


def energy_bars(result: ResultLike) -> tuple[list[str], dict[str, list[float]]]:
    """Per-layer energy bars as plotted: bar labels and J per breakdown part per bar.

    Up to :data:`MAX_LAYER_BARS` layers come in execution order; more are cut to the
    :data:`TOP_LAYER_BARS` largest plus one ``other`` bar that sums the rest.
    """
    d = as_result_dict(result)
    parts = energy_parts(d)
    layers = d["layers"]
    if len(layers) > MAX_LAYER_BARS:
        order = sorted(range(len(layers)), key=lambda i: (-layers[i]["energy_j"], i))
        keep, rest = order[:TOP_LAYER_BARS], order[TOP_LAYER_BARS:]
    else:
        keep, rest = list(range(len(layers))), []
    names = [str(layers[i]["name"]) for i in keep]
    values = {
        p: [float(layers[i].get("energy_breakdown_j", {}).get(p, 0.0)) for i in keep] for p in parts
    }
    if rest:
        names.append(f"other ({len(rest)} layers)")
        for p in parts:
            values[p].append(
                sum(float(layers[i].get("energy_breakdown_j", {}).get(p, 0.0)) for i in rest)
            )
    return names, values


def _stack(
    ax: Axes,
    x: Sequence[float] | np.ndarray,
    values: Mapping[str, Sequence[float]],
    colors: Mapping[str, str],
    width: float,
    label_shares: bool = False,
) -> None:
    bottom = np.zeros(len(x))
    totals = np.sum([np.asarray(v, dtype=float) for v in values.values()], axis=0)
    room = 0.045 * float(max(totals, default=0.0))  # a share label needs this much height
    for part, v in values.items():
        h = np.asarray(v, dtype=float)
        ax.bar(
            x,
            h,
            width,
            bottom=bottom,
            color=colors[part],
            label=part,
            edgecolor="white",
            linewidth=0.3,
        )
        if label_shares:
            for xi, b, hi, tot in zip(x, bottom, h, totals):
                if tot > 0 and hi / tot >= 0.06 and hi >= room:
                    ax.text(
                        xi,
                        b + hi / 2,
                        f"{hi / tot:.0%}",
                        ha="center",
                        va="center",
                        fontsize=8,
                        color="white",
                    )
        bottom = bottom + h


def _total_labels(ax: Axes, x: Sequence[float] | np.ndarray, totals: Sequence[float]) -> None:
    for xi, t in zip(x, totals):
        ax.annotate(
            _si(t, "J"),
            (xi, t),
            xytext=(0, 3),
            textcoords="offset points",
            ha="center",
            va="bottom",
            fontsize=8,
        )
    top = max(totals, default=0.0)
    if top > 0:
        ax.set_ylim(0, top * 1.12)


def plot_energy(results: ResultLike | Sequence[ResultLike]) -> Figure:
    """Stacked energy (J): per layer plus the whole model; several runs: one bar per run.

    Parts are compute, each memory level and static (leakage over the run's latency).
    """
    ds = _results(results)
    if len(ds) > 1:
        return _plot_energy_runs(ds)
    d = ds[0]
    names, values = energy_bars(d)
    parts = list(values)
    colors = _part_colors(parts)
    n = len(names)
    fig = _figure(min(18.0, max(8.0, 3.0 + 0.2 * n)), 6.0)
    gs = fig.add_gridspec(1, 2, width_ratios=[max(3.0, n / 6), 1.0])
    ax = fig.add_subplot(gs[0, 0])
    axm = fig.add_subplot(gs[0, 1])
    x = np.arange(n, dtype=float)
    _stack(ax, x, values, colors, 0.8)
    ax.set_xticks(x)
    ax.set_xticklabels(names, rotation=90, fontsize=7 if n > 25 else 8)
    ax.set_xlim(-0.6, n - 0.4)
    ax.set_ylabel("energy per layer (J)")
    ax.yaxis.set_major_formatter(_eng("J"))
    collapsed = len(d["layers"]) > MAX_LAYER_BARS
    heights = [sum(v[i] for v in values.values()) for i in range(n)]
    top_bar = max(heights[:-1] if collapsed else heights, default=0.0)
    if collapsed and heights[-1] > 1.3 * top_bar > 0:
        # the 'other' bar would squash the named layers: cut it and write its total on it
        ax.set_ylim(0, top_bar * 1.15)
        ax.text(
            x[-1],
            top_bar * 1.12,
            f"{_si(heights[-1], 'J')} (cut)",
            rotation=90,
            ha="center",
            va="top",
            fontsize=8,
            bbox={"facecolor": "white", "edgecolor": "none", "pad": 1.0},
        )
    elif top_bar > 0:
        ax.set_ylim(0, max(heights) * 1.05)
    ax.set_title(
        f"per layer, top {TOP_LAYER_BARS} by energy + other" if collapsed else "per layer",
        fontsize=10,
    )
    ax.grid(True, axis="y", alpha=0.3)

    whole = {p: [float(d["energy_breakdown_j"].get(p, 0.0))] for p in parts}
    _stack(axm, [0.0], whole, colors, 0.6, label_shares=True)
    _total_labels(axm, [0.0], [sum(v[0] for v in whole.values())])
    axm.set_xticks([0.0])
    axm.set_xticklabels(["whole model"])
    axm.set_xlim(-0.6, 0.6)
    axm.set_ylabel("whole-model energy per run (J)")
    axm.yaxis.set_major_formatter(_eng("J"))
    axm.grid(True, axis="y", alpha=0.3)
    handles = [Patch(color=colors[p], label=p) for p in parts]
    fig.legend(handles=handles, loc="outside right upper", fontsize=9, frameon=False)
    fig.suptitle(_run_titles(ds, "energy"), fontsize=11)
    return fig


def _bar_label(d: Mapping[str, Any]) -> str:
    batch = d.get("batch")
    extra = f", batch {batch}" if batch not in (None, 1) else ""
    prof = f", {d['profile']}" if d.get("profile") else ""
    return f"{d['workload']}\n{d['hardware']}\n{d.get('dtype', '?')}{prof}{extra}"


def _plot_energy_runs(ds: Sequence[Mapping[str, Any]]) -> Figure:
    found = _union([energy_parts(d) for d in ds])
    levels = _union([memory_levels(d) for d in ds])
    parts = [p for p in ("compute", *levels, "static") if p in found]
    parts += [p for p in found if p not in parts]
    colors = _part_colors(parts)
    fig = _figure(max(6.0, 2.0 + 1.6 * len(ds)), 6.0)
    ax = fig.add_subplot()
    x = np.arange(len(ds), dtype=float)
    values = {p: [float(d["energy_breakdown_j"].get(p, 0.0)) for d in ds] for p in parts}
    _stack(ax, x, values, colors, 0.6, label_shares=True)
    _total_labels(ax, x, [sum(values[p][i] for p in parts) for i in range(len(ds))])
    ax.set_xticks(x)
    ax.set_xticklabels([_bar_label(d) for d in ds], fontsize=9)
    ax.set_ylabel("energy per run (J)")
    ax.yaxis.set_major_formatter(_eng("J"))
    ax.grid(True, axis="y", alpha=0.3)
    handles = [Patch(color=colors[p], label=p) for p in parts]
    ax.legend(
        handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=9, frameon=False
    )
    ax.set_title(_run_titles(ds, "energy per run"), fontsize=11)
    return fig


# ------------------------------------------------------------------------------ memory


def _phase_marks(ax: Axes, d: Mapping[str, Any], top: float) -> None:
    """LLM runs: a line where each phase (prefill, decode) starts and its name at the top."""
    phases = [layer.get("phase") for layer in d["layers"]]
    for i, ph in enumerate(phases):
        if ph and (i == 0 or phases[i - 1] != ph):
            if i:
                ax.axvline(i - 0.5, color="0.4", lw=0.8, ls=":")
            ax.text(i, top * 0.98, f" {ph}", fontsize=8, ha="left", va="top", color="0.3")


def plot_memory(results: ResultLike | Sequence[ResultLike]) -> Figure:
    """Live activation bytes (B) at each op in execution order against memory capacities.

    Capacity lines come from ``memory_fit``; capacities far above the peak are listed in
    the legend instead of squashing the curve.
    """
    ds = _results(results)
    multi = len(ds) > 1
    fig = _figure(11, 5.5)
    ax = fig.add_subplot()
    handles: list[Any] = []
    peak_all = 0.0
    caps: list[tuple[float, str, str]] = []
    for r, d in enumerate(ds):
        color = _RUN_COLORS[r % len(_RUN_COLORS)]
        live = np.asarray([float(layer.get("live_bytes", 0.0)) for layer in d["layers"]])
        x = np.arange(len(live))
        # earlier runs drawn wider so that identical profiles stay visible
        lw = 1.5 + 1.5 * (len(ds) - 1 - r)
        (line,) = ax.step(x, live, where="mid", color=color, lw=lw)
        if not multi:
            ax.fill_between(x, live, step="mid", color=color, alpha=0.15)
        peak_i = int(np.argmax(live)) if len(live) else 0
        peak = float(live[peak_i]) if len(live) else 0.0
        peak_all = max(peak_all, peak)
        ax.plot([peak_i], [peak], marker="o", color=color, mec="black", zorder=5)
        who = f"{short_label(d)}: " if multi else ""
        line.set_label(
            f"{who}live activations, peak {_si(peak, 'B')} at {d['layers'][peak_i]['name'] if len(live) else '-'}"
        )
        handles.append(line)
        for lv, fit in (d.get("memory_fit") or {}).items():
            cap = float(fit.get("capacity_bytes", 0.0))
            if cap > 0:
                caps.append((cap, f"{d['hardware'] + ' ' if multi else ''}{lv}", color))
    top = peak_all * 1.25 if peak_all > 0 else 1.0
    shown = [c for c in caps if c[0] <= 4 * max(peak_all, 1.0)]
    if shown:
        top = max(top, max(c[0] for c in shown) * 1.12)
    styles = ["--", "-.", ":", (0, (5, 1, 1, 1))]
    for i, (cap, name, color) in enumerate(sorted(caps)):
        ls = styles[i % len(styles)]
        lc = color if multi else "black"
        if cap <= top:
            ax.axhline(cap, color=lc, ls=ls, lw=1.2)
            handles.append(
                Line2D([], [], color=lc, ls=ls, label=f"{name} capacity {_bytes_label(cap)}")
            )
        else:
            handles.append(
                Line2D(
                    [],
                    [],
                    ls="",
                    label=f"{name} capacity {_bytes_label(cap)}\n  (off scale: {cap / max(peak_all, 1.0):,.0f}x the peak)",
                )
            )
    ax.set_ylim(0, top)
    if not multi:
        _phase_marks(ax, ds[0], top)
    n = max(len(d["layers"]) for d in ds)
    ax.set_xlim(-0.5, max(n - 0.5, 0.5))
    if not multi and n <= 40:
        ax.set_xticks(np.arange(n))
        ax.set_xticklabels(
            [str(layer["name"]) for layer in ds[0]["layers"]],
            rotation=90,
            fontsize=7 if n > 25 else 8,
        )
        ax.set_xlabel("op (execution order)")
    else:
        ax.set_xlabel("op index (execution order)")
    ax.set_ylabel("live activations (B)")
    ax.yaxis.set_major_formatter(_eng("B"))
    ax.grid(True, axis="y", alpha=0.3)
    ax.legend(
        handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False
    )
    ax.set_title(_run_titles(ds, "memory profile"), fontsize=11)
    return fig


# ---------------------------------------------------------------------------- timeline


def timeline_rows(result: ResultLike) -> dict[str, list[tuple[float, float, str]]]:
    """Gantt rows: ``(start_s, duration_s, op_type)`` per unit and per memory level.

    Row keys are the unit names and ``<level> (memory)`` for each memory channel.
    """
    d = as_result_dict(result)
    rows: dict[str, list[tuple[float, float, str]]] = {u: [] for u in compute_units(d)}
    for lv in memory_levels(d):
        rows[f"{lv} (memory)"] = []
    for layer in d["layers"]:
        rows[layer["unit"]].append(
            (layer["start_s"], layer["end_s"] - layer["start_s"], layer["op_type"])
        )
        for t in layer.get("transfers", []):
            rows[f"{t['level']} (memory)"].append(
                (t["start_s"], t["end_s"] - t["start_s"], layer["op_type"])
            )
    return {k: v for k, v in rows.items() if v or not k.endswith("(memory)")}


def _op_colors(ds: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    from matplotlib import colormaps

    types = _union([[str(layer["op_type"]) for layer in d["layers"]] for d in ds])
    cmap = colormaps["tab20" if len(types) > 10 else "tab10"]
    return {t: cmap(i % cmap.N) for i, t in enumerate(types)}


def plot_timeline(results: ResultLike | Sequence[ResultLike]) -> Figure:
    """Gantt chart (time in s): what each compute unit and memory channel does, by op type."""
    ds = _results(results)
    colors = _op_colors(ds)
    rows_per = [timeline_rows(d) for d in ds]
    heights = [max(1.5, 0.5 * len(rows) + 0.9) for rows in rows_per]
    fig = _figure(12, sum(heights) + 0.6)
    axes = fig.subplots(len(ds), 1, squeeze=False, height_ratios=heights)[:, 0]
    for ax, d, rows in zip(axes, ds, rows_per):
        names = list(rows)
        for y, name in enumerate(names):
            by_type: dict[str, list[tuple[float, float]]] = {}
            for start, dur, op in rows[name]:
                by_type.setdefault(op, []).append((start, dur))
            for op, spans in by_type.items():
                ax.broken_barh(
                    spans,
                    (y - 0.38, 0.76),
                    facecolors=colors[op],
                    # a faint dark outline: adjacent ops stay apart and tiny ones stay visible
                    edgecolor=(0.0, 0.0, 0.0, 0.35),
                    linewidth=0.3,
                    label=op,
                )
        ax.set_yticks(np.arange(len(names)))
        ax.set_yticklabels(names, fontsize=9)
        ax.set_ylim(len(names) - 0.5, -0.5)
        end = max((layer["end_s"] for layer in d["layers"]), default=0.0)
        start = min((layer["start_s"] for layer in d["layers"]), default=0.0)
        ax.set_xlim(start, end if end > start else start + 1e-9)
        ax.xaxis.set_major_formatter(_eng("s"))
        ax.set_xlabel("time (s)")
        ax.grid(True, axis="x", alpha=0.3)
        ax.set_title(title(d), fontsize=10)
    used = _union([[str(layer["op_type"]) for layer in d["layers"]] for d in ds])
    handles = [Patch(color=colors[t], label=t) for t in used]
    fig.legend(
        handles=handles,
        loc="outside right upper",
        fontsize=8,
        frameon=False,
        title="op type",
        title_fontsize=9,
    )
    if len(ds) > 1:
        fig.suptitle(f"timeline: {len(ds)} runs", fontsize=11)
    else:
        axes[0].set_title(f"timeline: {title(ds[0])}", fontsize=11)
    return fig


# ------------------------------------------------------------------------------ output

_PLOTTERS: dict[str, Callable[[Any], Figure]] = {
    "roofline": plot_roofline,
    "energy": plot_energy,
    "memory": plot_memory,
    "timeline": plot_timeline,
}


def plot(kind: str, results: ResultLike | Sequence[ResultLike]) -> Figure:
    """The figure of ``kind`` for one or several results: one of :data:`PLOT_KINDS`, or an
    energy figure over several runs (``dvfs``, ``energy-chips``, ``j-per-token``; see
    :mod:`hwsim.report.energy_plots`)."""
    from hwsim.report.energy_plots import ENERGY_PLOTTERS

    if kind in ENERGY_PLOTTERS:
        return ENERGY_PLOTTERS[kind](results)
    if kind not in _PLOTTERS:
        kinds = (*PLOT_KINDS, *ENERGY_PLOTTERS)
        raise ValueError(f"unknown plot kind {kind!r}; choose {', '.join(kinds)}")
    return _PLOTTERS[kind](results)


def save_figure(fig: Figure, path: str | Path, dpi: int = 150) -> Path:
    """Save ``fig`` (format from the suffix, e.g. .png, .svg, .pdf) and return the path."""
    p = Path(path)
    with atomic_path(p) as tmp:
        fig.savefig(tmp, dpi=dpi, format=p.suffix.lstrip(".") or None)
    return p


def write_plots(result: ResultLike, directory: str | Path, dpi: int = 150) -> dict[str, Path]:
    """Write roofline.png, energy.png, memory.png and timeline.png to ``directory``.

    Returns:
        The path written for each plot kind.
    """
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    d = as_result_dict(result)
    return {kind: save_figure(plot(kind, d), out / f"{kind}.png", dpi) for kind in PLOT_KINDS}


__all__ = [
    "MAX_LAYER_BARS",
    "PLOT_KINDS",
    "TOP_LAYER_BARS",
    "energy_bars",
    "plot",
    "plot_energy",
    "plot_memory",
    "plot_roofline",
    "plot_timeline",
    "roofline_points",
    "save_figure",
    "timeline_rows",
    "write_plots",
]
