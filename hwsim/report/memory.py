"""Memory plot with and without patch-based execution: what patches change, and what not."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import EngFormatter

from hwsim.report.data import as_result_dict
from hwsim.units import format_bytes_iec


def _live(d: Mapping[str, Any]) -> np.ndarray:
    return np.asarray([float(layer.get("live_bytes", 0.0)) for layer in d["layers"]])


def plot_memory_patches(
    plain: Any,
    patched: Any,
    *,
    stage_ops: int,
    grid: tuple[int, int],
    activation_levels: Sequence[str] = ("sram",),
) -> Figure:
    """Live activation bytes over the op sequence, as defined and with patches.

    Both curves, the capacity of the levels that hold activations, the peak op of each curve
    named, and the patch stage shaded: inside it the per-patch buffers replace the full
    feature maps; after it both curves coincide, so an op there that sets the peak cannot be
    lowered by patches.
    """
    a, b = as_result_dict(plain), as_result_dict(patched)
    la, lb = _live(a), _live(b)
    fig = Figure(figsize=(11, 5.5), layout="constrained", dpi=100)
    ax = fig.add_subplot()
    x = np.arange(len(la))
    ax.axvspan(-0.5, stage_ops - 0.5, color="tab:orange", alpha=0.08, lw=0)
    ax.text(
        (stage_ops - 1) / 2, 0.97, f"first {stage_ops} ops\nrun per {grid[0]}x{grid[1]} patch",
        transform=ax.get_xaxis_transform(), ha="center", va="top", fontsize=8,
        color="tab:orange",
    )  # fmt: skip
    curves = (
        (la, a, "as defined", "tab:blue", 2.5),
        (lb, b, f"{grid[0]}x{grid[1]} patches", "tab:orange", 1.5),
    )
    top = 0.0
    for live, d, label, color, lw in curves:
        if not len(live):
            continue
        i = int(np.argmax(live))
        peak = float(live[i])
        top = max(top, peak)
        name = d["layers"][i]["name"]
        ax.step(x, live, where="mid", color=color, lw=lw, label=f"{label}: peak at {name}")
        ax.plot([i], [peak], marker="o", color=color, mec="black", zorder=5)
        ax.annotate(
            f"{EngFormatter(unit='B', places=1)(peak)}\n{name}", (i, peak),
            textcoords="offset points", xytext=(8, 4), fontsize=8, color=color,
        )  # fmt: skip
    for lv in activation_levels:
        fit = (a.get("memory_fit") or {}).get(lv)
        if not fit:
            continue
        cap = float(fit["capacity_bytes"])
        if cap <= 50 * max(top, 1.0):  # the line to stay under, unless it flattens the curves
            ax.axhline(
                cap, color="black", ls="--", lw=1.2,
                label=f"{lv} capacity {format_bytes_iec(cap)}",
            )  # fmt: skip
            top = max(top, cap)
    ax.set_ylim(0, top * 1.2 if top > 0 else 1.0)
    ax.set_xlim(-0.5, max(len(la) - 0.5, 0.5))
    ax.set_xlabel("op index (execution order)")
    ax.set_ylabel("live activations")
    ax.yaxis.set_major_formatter(EngFormatter(unit="B"))
    ax.grid(True, axis="y", alpha=0.3)
    ax.legend(loc="upper right", fontsize=8)
    ax.set_title(
        f"{a['workload']} on {a['hardware']}: activation memory with and without patches",
        fontsize=11,
    )
    return fig
