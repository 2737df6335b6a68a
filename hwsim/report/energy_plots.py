"""Energy figures across runs: the DVFS curve, the breakdown across chips, J per token vs batch.

Each figure has a data function (tested) and a plot function (a matplotlib Figure, nothing
shown). Inputs are several results (SimulationResult or their JSON dicts), e.g. from
``hwsim run ... --clock 140MHz --json a.json`` or :func:`hwsim.energy.dvfs_curve`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import EngFormatter, FuncFormatter

from hwsim.report.data import ResultFormatError, ResultLike, as_result_dict

ENERGY_PLOT_KINDS = ("dvfs", "energy-chips", "j-per-token")
"""Plot kinds of this module (several results each)."""

_COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#17becf")
_PART_COLORS = {"compute": "#1f77b4", "static": "#8c8c8c"}
_LEVEL_COLORS = ("#d62728", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#bcbd22", "#17becf")


def _dicts(results: ResultLike | Sequence[ResultLike]) -> list[dict[str, Any]]:
    if isinstance(results, Mapping) or not isinstance(results, Sequence):
        results = [results]
    out = [as_result_dict(r, source=f"result {i + 1}") for i, r in enumerate(results)]
    if not out:
        raise ResultFormatError("no results to plot")
    return out


def _series_key(d: Mapping[str, Any]) -> tuple[str, str, str]:
    return (str(d["workload"]), str(d["hardware"]), str(d.get("dtype", "?")))


def _per_item(d: Mapping[str, Any]) -> float:
    """Items one run processes: the batch (inferences or LLM requests)."""
    return float(d.get("batch") or 1)


# ----------------------------------------------------------------------------- DVFS


def dvfs_points(results: ResultLike | Sequence[ResultLike]) -> list[dict[str, Any]]:
    """One point per run: clock (Hz), latency (s), energy per inference (J), average power (W).

    Sorted by (workload, hardware, dtype) then clock; each series' lowest-energy point has
    ``optimal`` True (the fastest of equal ones). Runs without a clock (chips with no clock in their spec) are refused.
    """
    pts = []
    for d in _dicts(results):
        if d.get("clock_hz") is None:
            raise ResultFormatError(
                f"{d['hardware']}: the result has no clock_hz (no clocked units)"
            )
        n = _per_item(d)
        pts.append(
            {
                "workload": d["workload"],
                "hardware": d["hardware"],
                "dtype": d.get("dtype", "?"),
                "clock_hz": float(d["clock_hz"]),
                "voltage_v": d.get("voltage_v"),
                "latency_s": float(d["latency_s"]),
                "energy_per_inference_j": float(d["energy_j"]) / n,
                "avg_power_w": float(d["avg_power_w"]),
                "throttled": bool(d.get("throttled", False)),
                "optimal": False,
            }
        )
    pts.sort(key=lambda p: (p["workload"], p["hardware"], p["dtype"], p["clock_hz"]))
    best: dict[tuple[str, str, str], dict[str, Any]] = {}
    for p in pts:  # ascending clock: on a tie (within 1e-9) the faster point wins
        k = _series_key(p)
        e = p["energy_per_inference_j"]
        if k not in best or e <= best[k]["energy_per_inference_j"] * (1 + 1e-9):
            best[k] = p
    for p in best.values():
        p["optimal"] = True
    return pts


def plot_dvfs(results: ResultLike | Sequence[ResultLike]) -> Figure:
    """Energy per inference and latency against clock, the energy-optimal point marked."""
    pts = dvfs_points(results)
    fig = Figure(figsize=(8.5, 5.2), layout="constrained", dpi=100)
    ax = fig.add_subplot()
    axl = ax.twinx()
    keys = list(dict.fromkeys(_series_key(p) for p in pts))
    for i, key in enumerate(keys):
        color = _COLORS[i % len(_COLORS)]
        s = [p for p in pts if _series_key(p) == key]
        f = np.array([p["clock_hz"] for p in s]) / 1e6
        e = [p["energy_per_inference_j"] for p in s]
        lat = [p["latency_s"] for p in s]
        label = f"{key[1]}, {key[2]}" + (f" ({key[0]})" if len(keys) > 1 else "")
        ax.plot(f, e, "o-", color=color, label=f"energy: {label}")
        axl.plot(f, lat, "s--", color=color, alpha=0.6, label=f"latency: {label}")
        opt = next(p for p in s if p["optimal"])
        ax.plot(
            opt["clock_hz"] / 1e6,
            opt["energy_per_inference_j"],
            marker="*",
            markersize=18,
            color="gold",
            markeredgecolor="black",
            zorder=5,
        )
        ax.annotate(
            f"min energy: {EngFormatter(unit='J', sep=' ', places=3)(opt['energy_per_inference_j'])}"
            f"\nat {opt['clock_hz'] / 1e6:g} MHz",
            (opt["clock_hz"] / 1e6, opt["energy_per_inference_j"]),
            textcoords="offset points",
            xytext=(12, 12),
            fontsize=9,
        )
    ax.set_xlabel("clock (MHz)")
    ax.set_ylabel("energy per inference (J)")
    axl.set_ylabel("latency (s), dashed")
    ax.yaxis.set_major_formatter(EngFormatter(unit="J", sep=" "))
    axl.yaxis.set_major_formatter(EngFormatter(unit="s", sep=" "))
    ax.grid(True, alpha=0.3)
    h1, l1 = ax.get_legend_handles_labels()
    h2, l2 = axl.get_legend_handles_labels()
    ax.legend(h1 + h2, l1 + l2, loc="upper center", fontsize=8, frameon=True)
    workloads = sorted({k[0] for k in keys})
    ax.set_title(f"DVFS: energy and latency vs clock, {', '.join(workloads)}", fontsize=11)
    return fig


# ------------------------------------------------------------------- breakdown across chips


def chip_breakdown(results: ResultLike | Sequence[ResultLike]) -> list[dict[str, Any]]:
    """Per run: total energy per inference (J) and each part's J and share of it.

    Parts are ``compute``, ``static`` and each memory level (named as the chip names them).
    """
    out = []
    for d in _dicts(results):
        n = _per_item(d)
        parts = {k: float(v) / n for k, v in d["energy_breakdown_j"].items()}
        total = sum(parts.values())
        out.append(
            {
                "workload": d["workload"],
                "hardware": d["hardware"],
                "dtype": d.get("dtype", "?"),
                "energy_per_inference_j": total,
                "parts_j": parts,
                "shares": {k: (v / total if total > 0 else 0.0) for k, v in parts.items()},
            }
        )
    return out


def plot_energy_chips(results: ResultLike | Sequence[ResultLike]) -> Figure:
    """Energy per inference by chip (log scale) beside the share of each part (compute,
    static, every memory level)."""
    rows = chip_breakdown(results)
    order = ["compute"]
    for r in rows:
        order += [k for k in r["parts_j"] if k not in order and k != "static"]
    order.append("static")
    levels = [k for k in order if k not in ("compute", "static")]
    colors = dict(_PART_COLORS)
    colors.update({lv: _LEVEL_COLORS[i % len(_LEVEL_COLORS)] for i, lv in enumerate(levels)})
    labels = [f"{r['hardware']}\n{r['dtype']}" for r in rows]
    fig = Figure(figsize=(max(8.0, 3.5 + 1.3 * len(rows)), 5.5), layout="constrained", dpi=100)
    ax_t, ax_s = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1, 1.4]})
    y = np.arange(len(rows), dtype=float)
    totals = [r["energy_per_inference_j"] for r in rows]
    ax_t.barh(y, totals, color="#555555")
    ax_t.set_xscale("log")
    ax_t.set_yticks(y, labels, fontsize=9)
    ax_t.invert_yaxis()
    ax_t.set_xlabel("energy per inference (J, log scale)")
    ax_t.xaxis.set_major_formatter(EngFormatter(unit="J", sep=" "))
    for yi, t in zip(y, totals):
        ax_t.text(t, yi, " " + EngFormatter(unit="J", sep=" ", places=3)(t), va="center",
                  fontsize=8)  # fmt: skip
    ax_t.set_xlim(min(totals) / 3, max(totals) * 30)
    ax_t.grid(True, axis="x", alpha=0.3)
    left = np.zeros(len(rows))
    for part in order:
        share = np.array([r["shares"].get(part, 0.0) for r in rows])
        if not share.any():
            continue
        ax_s.barh(y, share, left=left, color=colors[part], label=part)
        for yi, lo, sh in zip(y, left, share):
            if sh >= 0.08:
                ax_s.text(lo + sh / 2, yi, f"{sh:.0%}", ha="center", va="center", fontsize=8,
                          color="white")  # fmt: skip
        left += share
    ax_s.set_yticks(y, [""] * len(rows))
    ax_s.invert_yaxis()
    ax_s.set_xlim(0, 1)
    ax_s.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.0%}"))
    ax_s.set_xlabel("share of energy per inference")
    handles = [
        Patch(color=colors[p], label=p) for p in order if any(r["shares"].get(p) for r in rows)
    ]
    ax_s.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=9,
                frameon=False, title="part")  # fmt: skip
    workloads = sorted({str(r["workload"]) for r in rows})
    fig.suptitle(f"energy per inference across chips: {', '.join(workloads)}", fontsize=11)
    return fig


# ---------------------------------------------------------------------- J per token vs batch


def token_energy_points(results: ResultLike | Sequence[ResultLike]) -> list[dict[str, Any]]:
    """Per LLM run: batch, J per prompt token (prefill) and J per generated token (decode)."""
    pts = []
    for d in _dicts(results):
        if "prefill_energy_j" not in d or "prompt_len" not in d:
            raise ResultFormatError(
                f"{d['workload']} on {d['hardware']}: not an LLM run (no prefill/decode energy)"
            )
        b = _per_item(d)
        prompt = b * float(d["prompt_len"])
        gen = b * max(0.0, float(d["gen_len"]) - 1.0)
        pts.append(
            {
                "workload": d["workload"],
                "hardware": d["hardware"],
                "dtype": d.get("dtype", "?"),
                "batch": int(b),
                "prefill_j_per_token": float(d["prefill_energy_j"]) / prompt if prompt else None,
                "decode_j_per_token": float(d["decode_energy_j"]) / gen if gen else None,
                "decode_tokens_per_s": d.get("decode_tokens_per_s"),
            }
        )
    pts.sort(key=lambda p: (p["workload"], p["hardware"], p["dtype"], p["batch"]))
    return pts


def plot_token_energy(results: ResultLike | Sequence[ResultLike]) -> Figure:
    """J per token against batch size, decode (solid) and prefill (dashed), log-log."""
    pts = token_energy_points(results)
    fig = Figure(figsize=(8.0, 5.2), layout="constrained", dpi=100)
    ax = fig.add_subplot()
    keys = list(dict.fromkeys(_series_key(p) for p in pts))
    for i, key in enumerate(keys):
        color = _COLORS[i % len(_COLORS)]
        s = [p for p in pts if _series_key(p) == key]
        label = f"{key[1]}, {key[2]}" + (f" ({key[0]})" if len(keys) > 1 else "")
        dec = [(p["batch"], p["decode_j_per_token"]) for p in s if p["decode_j_per_token"]]
        pre = [(p["batch"], p["prefill_j_per_token"]) for p in s if p["prefill_j_per_token"]]
        if dec:
            ax.plot(*zip(*dec), "o-", color=color, label=f"decode: {label}")
        if pre:
            ax.plot(*zip(*pre), "s--", color=color, alpha=0.7, label=f"prefill: {label}")
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    ax.yaxis.set_major_formatter(EngFormatter(unit="J", sep=" "))
    ax.set_xlabel("batch size (requests decoded together)")
    ax.set_ylabel("energy per token (J/token)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    workloads = sorted({k[0] for k in keys})
    ax.set_title(f"energy per token vs batch: {', '.join(workloads)}", fontsize=11)
    return fig


ENERGY_PLOTTERS = {
    "dvfs": plot_dvfs,
    "energy-chips": plot_energy_chips,
    "j-per-token": plot_token_energy,
}
