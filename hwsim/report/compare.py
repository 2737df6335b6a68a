"""Several runs side by side (``hwsim compare``): one row per run and a latency | energy figure.

Every label names the workload, the chip, the dtype and the software profile, since the
same chip runs 3-40x apart across dtypes and stacks.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from hwsim.report.data import ResultLike, as_result_dict
from hwsim.report.tables import time_shares

LOG_RATIO = 30.0
"""Above this ratio of the largest to the smallest value a panel uses a log axis."""


def run_label(d: Mapping[str, Any], *, multiline: bool = False) -> str:
    """``resnet18 on tpu-like (int8, ideal)``: workload, chip, dtype and profile (+ batch > 1)."""
    bits = [str(d.get("dtype", "?")), str(d.get("profile", "?"))]
    if d.get("batch") not in (None, 1):
        bits.append(f"batch {d['batch']}")
    sep = "\n" if multiline else " "
    return f"{d['workload']} on {d['hardware']}{sep}({', '.join(bits)})"


def dominant_bound(result: ResultLike) -> tuple[str, float]:
    """What limits most of the summed layer time: (``compute``, ``overhead`` or
    ``memory:<level>``, its share 0..1); ``("-", 0.0)`` for a run without layer time."""
    shares = time_shares(result)
    if not shares:
        return "-", 0.0
    key = next(iter(shares))
    return key, shares[key]


def compare_rows(results: Sequence[ResultLike]) -> list[dict[str, Any]]:
    """One plain row per run: labels, latency (s), throughput (/s), energy (J), power (W),
    weights and peak activations (B), whether it fits, and the dominant bound."""
    rows = []
    for r in results:
        d = as_result_dict(r)
        bound, share = dominant_bound(d)
        rows.append(
            {
                "workload": d["workload"],
                "hardware": d["hardware"],
                "dtype": d.get("dtype"),
                "profile": d.get("profile"),
                "batch": d.get("batch"),
                "latency_s": float(d["latency_s"]),
                "throughput_per_s": float(d["throughput_per_s"]),
                "energy_j": float(d["energy_j"]),
                "avg_power_w": float(d["avg_power_w"]),
                "weight_bytes": float(d["weight_bytes"]),
                "peak_activation_bytes": float(d["peak_activation_bytes"]),
                "fits": all(v["fits"] for v in d.get("memory_fit", {}).values()),
                "bound": bound,
                "bound_share": share,
            }
        )
    return rows


def plot_compare(results: Sequence[ResultLike]) -> Any:
    """A Figure: latency (left) and energy (right) per run as horizontal bars, each bar
    labelled with workload, chip, dtype and profile, and its value in units."""
    from matplotlib.figure import Figure
    from matplotlib.ticker import EngFormatter

    from hwsim.report import fmt

    rows = compare_rows(results)
    labels = [run_label(as_result_dict(r), multiline=True) for r in results]
    n = len(rows)
    fig = Figure(figsize=(12.0, 1.4 + 0.75 * n), layout="constrained")
    axes = fig.subplots(1, 2, sharey=True)
    panels: tuple[tuple[str, str, str, Callable[[float], str], str], ...] = (
        ("latency_s", "latency per inference (s)", "s", fmt.duration, "#1f77b4"),
        ("energy_j", "energy per inference (J)", "J", fmt.energy, "#ff7f0e"),
    )
    y = list(range(n))
    for ax, (key, xlabel, unit, text, color) in zip(axes, panels):
        values = [row[key] for row in rows]
        top = max(values) if values else 1.0
        low = min((v for v in values if v > 0), default=top)
        if low > 0 and top / low > LOG_RATIO:  # runs far apart: a log axis shows them all
            left = low / 4
            ax.set_xscale("log")
            ax.barh(y, [v - left for v in values], left=left, color=color, height=0.6)
            for yi, v in zip(y, values):
                ax.text(v * 1.15, yi, text(v), va="center", fontsize=9)
            ax.set_xlim(left, top * 8)
            xlabel += ", log scale"
        else:
            ax.barh(y, values, color=color, height=0.6)
            for yi, v in zip(y, values):
                ax.text(v + 0.01 * top, yi, text(v), va="center", fontsize=9)
            ax.set_xlim(0, top * 1.25 if top > 0 else 1.0)
        ax.set_xlabel(xlabel)
        ax.xaxis.set_major_formatter(EngFormatter(unit=unit, sep=" "))
        ax.grid(True, axis="x", alpha=0.3)
    axes[0].set_yticks(y)
    axes[0].set_yticklabels(labels, fontsize=9)
    axes[0].invert_yaxis()
    workloads = sorted({str(r["workload"]) for r in rows})
    chips = sorted({str(r["hardware"]) for r in rows})
    fig.suptitle(
        f"{', '.join(workloads)} on {', '.join(chips)}: latency and energy per inference",
        fontsize=11,
    )
    return fig
