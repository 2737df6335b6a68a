"""Figures of serving runs: latency against throughput over rates, latency CDF, queue length.

Built with the object API (``matplotlib.figure.Figure``): no pyplot state, nothing shown.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import EngFormatter

from hwsim.serve.result import ServingResult
from hwsim.textio import atomic_path

SERVE_PLOTS = ("latency_throughput", "latency_cdf", "queue")
"""Plot names written by :func:`write_serving_plots`."""

_COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#17becf")


def _list(results: ServingResult | Sequence[ServingResult]) -> list[ServingResult]:
    rs = [results] if isinstance(results, ServingResult) else list(results)
    if not rs:
        raise ValueError("no serving results to plot")
    return rs


def _title(r: ServingResult) -> str:
    extra = f", max batch {r.max_batch}"
    if r.max_wait_s:
        extra += f", max wait {r.max_wait_s * 1e3:.3g} ms"
    if r.batching == "continuous":
        extra += f", prompt {r.prompt_dist}, output {r.gen_dist}"
    return f"{r.workload} on {r.hardware} ({r.profile}, {r.dtype}{extra})"


def _num(x: float) -> str:
    """A rate for a label: 8,000 / 12.5 / 0.25 (no exponent below 10^9)."""
    if 1 <= abs(x) < 1e9:
        return f"{x:,.0f}" if x == round(x) or abs(x) >= 1000 else f"{x:.3g}"
    return f"{x:.3g}"


def _rate(r: ServingResult) -> str:
    return f"{_num(r.rate)} req/s"


def _log_if_wide(ax: Axes, values: Sequence[float], axis: str = "y") -> None:
    v = [x for x in values if x is not None and x > 0]
    if v and max(v) / min(v) > 30:
        (ax.set_yscale if axis == "y" else ax.set_xscale)("log")


def _percentile_panel(
    ax: Axes,
    xs: list[float],
    series: list[tuple[str, list[float | None], str, str]],
    ylabel: str,
) -> None:
    allv: list[float] = []
    for label, ys, color, style in series:
        pts = [(x, y) for x, y in zip(xs, ys) if y is not None]
        if not pts:
            continue
        ax.plot(*zip(*pts), style, color=color, label=label, markersize=6, linewidth=1.6)
        allv += [y for _, y in pts]
    _log_if_wide(ax, allv)
    ax.yaxis.set_major_formatter(EngFormatter(unit="s"))
    ax.set_ylabel(ylabel)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(loc="upper left", fontsize=9)


def plot_latency_throughput(results: ServingResult | Sequence[ServingResult]) -> Figure:
    """Latency p50/p99 against achieved throughput, one point per offered rate.

    Decoder LLMs get two more panels: time to first token and time per output token.
    Each point is labelled with its offered rate; a dotted line marks the highest
    throughput reached.
    """
    rs = sorted(_list(results), key=lambda r: r.rate)
    llm = rs[0].batching == "continuous"
    panels = 3 if llm else 1
    fig = Figure(figsize=(5.2 * panels + 0.6, 4.6), layout="constrained")
    axes = [fig.add_subplot(1, panels, i + 1) for i in range(panels)]
    xs = [r.requests_per_s for r in rs]
    sums = [r.summary() for r in rs]
    _percentile_panel(
        axes[0],
        xs,
        [
            ("p50", [s["latency_p50_s"] for s in sums], _COLORS[0], "o-"),
            ("p99", [s["latency_p99_s"] for s in sums], _COLORS[1], "s--"),
        ],
        "end-to-end latency",
    )
    span = max(xs) - min(xs)
    last_x = -np.inf
    for r, x, s in zip(rs, xs, sums):
        y = s["latency_p99_s"]
        if y is not None and (x - last_x) >= 0.06 * span:
            last_x = x
            axes[0].annotate(
                f"{_num(r.rate)}/s",
                (x, y),
                textcoords="offset points",
                xytext=(0, 7),
                ha="center",
                fontsize=8,
                color="#444444",
            )
    if llm:
        _percentile_panel(
            axes[1],
            xs,
            [
                ("TTFT p50", [s["ttft_p50_s"] for s in sums], _COLORS[0], "o-"),
                ("TTFT p99", [s["ttft_p99_s"] for s in sums], _COLORS[1], "s--"),
            ],
            "time to first token",
        )
        _percentile_panel(
            axes[2],
            xs,
            [
                ("TPOT p50", [s["tpot_p50_s"] for s in sums], _COLORS[0], "o-"),
                ("TPOT p99", [s["tpot_p99_s"] for s in sums], _COLORS[1], "s--"),
            ],
            "time per output token",
        )
    top = max(xs)
    for ax in axes:
        ax.margins(y=0.12)
        ax.axvline(top, color="#888888", linestyle=":", linewidth=1)
        ax.set_xlabel("throughput (requests/s)")
        ax.xaxis.set_major_formatter(EngFormatter())
        _lo, hi = ax.get_xlim()
        ax.set_xlim(0, hi)
    axes[0].text(
        top,
        0.02,
        f"highest served {_num(top)}/s ",
        transform=axes[0].get_xaxis_transform(),
        fontsize=8,
        color="#666666",
        ha="right",
        va="bottom",
    )
    fig.suptitle(f"Latency against throughput (labels: offered rate)\n{_title(rs[0])}", fontsize=10)
    return fig


def _cdf(ax: Axes, rs: list[ServingResult], values: list[np.ndarray], xlabel: str) -> None:
    allv: list[float] = []
    for k, (r, v) in enumerate(zip(rs, values)):
        if v.size == 0:
            continue
        x = np.sort(v)
        y = np.arange(1, x.size + 1) / x.size
        color = _COLORS[k % len(_COLORS)]
        ax.step(x, y, where="post", color=color, linewidth=1.6, label=_rate(r))
        p99 = float(np.percentile(v, 99))
        ax.plot([p99], [0.99], "v", color=color, markersize=6)
        allv += [float(x[0]), float(x[-1])]
    for q in (0.5, 0.99):
        ax.axhline(q, color="#999999", linestyle=":", linewidth=1)
        ax.text(1.0, q, f" p{int(q * 100)}", transform=ax.get_yaxis_transform(), va="center")
    _log_if_wide(ax, allv, axis="x")
    ax.xaxis.set_major_formatter(EngFormatter(unit="s"))
    ax.set_xlabel(xlabel)
    ax.set_ylabel("fraction of requests")
    ax.set_ylim(0, 1.02)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(title="offered rate", loc="lower right", fontsize=9)


def plot_latency_cdf(results: ServingResult | Sequence[ServingResult]) -> Figure:
    """Empirical CDF of end-to-end latency (and TTFT for LLMs), one line per rate."""
    rs = sorted(_list(results), key=lambda r: r.rate)
    llm = rs[0].batching == "continuous"
    panels = 2 if llm else 1
    fig = Figure(figsize=(5.6 * panels + 0.6, 4.6), layout="constrained")
    ax = fig.add_subplot(1, panels, 1)
    _cdf(ax, rs, [r.latency_s for r in rs], "end-to-end latency")
    if llm:
        ax2 = fig.add_subplot(1, panels, 2)
        ttfts = [r.ttft_s for r in rs]
        _cdf(ax2, rs, [t if t is not None else np.empty(0) for t in ttfts], "time to first token")
    fig.suptitle(f"Latency distribution (triangles: p99)\n{_title(rs[0])}", fontsize=10)
    return fig


QUEUE_BINS = 300
"""Time bins of the queue plot (mean and maximum in each)."""


def queue_bins(
    time_s: np.ndarray, values: np.ndarray, end_s: float, bins: int = QUEUE_BINS
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Time-weighted mean and maximum of a step function in equal time bins.

    ``values[k]`` holds from ``time_s[k]`` to ``time_s[k + 1]`` (the last one to ``end_s``).
    Returns (bin centres, mean, max).
    """
    edges = np.linspace(0.0, max(end_s, float(time_s[-1]) if time_s.size else 0.0), bins + 1)
    if time_s.size == 0 or edges[-1] <= 0:
        zero = np.zeros(bins)
        return 0.5 * (edges[:-1] + edges[1:]), zero, zero
    t = np.concatenate([[0.0], time_s, [edges[-1]]])
    v = np.concatenate([[0.0], values.astype(np.float64), [values[-1]]])
    area = np.concatenate([[0.0], np.cumsum(v[:-1] * np.diff(t))])
    # Area under the step function at each bin edge.
    k = np.clip(np.searchsorted(t, edges, side="right") - 1, 0, t.size - 1)
    at_edges = area[k] + v[k] * (edges - t[k])
    mean = np.diff(at_edges) / np.diff(edges)
    first = np.searchsorted(t, edges[:-1], side="right") - 1
    last = np.searchsorted(t, edges[1:], side="left")
    peak = np.array([v[max(a, 0) : max(b, a + 1)].max() for a, b in zip(first, last)])
    return 0.5 * (edges[:-1] + edges[1:]), mean, peak


def plot_queue(result: ServingResult) -> Figure:
    """Requests waiting (top) and in the batch (bottom) over time: bin mean and maximum."""
    fig = Figure(figsize=(9, 5.2), layout="constrained")
    axes = fig.subplots(2, 1, sharex=True)
    end = result.duration_s
    t = result.queue_time_s
    series = (
        ("waiting", result.queue_waiting, _COLORS[1]),
        ("in the batch (running)", result.queue_running, _COLORS[0]),
    )
    for ax, (label, v, color) in zip(axes, series):
        x, mean, peak = queue_bins(t, v, end)
        ax.fill_between(x, 0, peak, step="mid", color=color, alpha=0.25, linewidth=0, label="max")
        ax.step(x, mean, where="mid", color=color, linewidth=1.4, label="mean")
        ax.set_ylabel(f"requests\n{label}")
        ax.set_ylim(bottom=0, top=max(1.0, float(peak.max()) * 1.1))
        ax.grid(True, alpha=0.3)
        ax.legend(loc="upper left", fontsize=8, ncol=2)
    axes[-1].set_xlabel(f"time (each of {QUEUE_BINS} bins: mean and maximum)")
    axes[-1].xaxis.set_major_formatter(EngFormatter(unit="s"))
    axes[-1].set_xlim(0, end if end > 0 else 1)
    fig.suptitle(
        f"Queue at {_rate(result)} offered, {_num(result.requests_per_s)} req/s served\n"
        f"{_title(result)}",
        fontsize=10,
    )
    return fig


def write_serving_plots(
    results: ServingResult | Sequence[ServingResult],
    directory: str | Path,
    main: ServingResult | None = None,
    dpi: int = 150,
) -> dict[str, Path]:
    """Save ``serve_<name>.png`` for each of :data:`SERVE_PLOTS` into ``directory``.

    The queue plot shows ``main`` (default: the first result).
    """
    rs = _list(results)
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    figs = {
        "latency_throughput": plot_latency_throughput(rs),
        "latency_cdf": plot_latency_cdf(rs),
        "queue": plot_queue(main or rs[0]),
    }
    paths = {}
    for name, fig in figs.items():
        p = out / f"serve_{name}.png"
        with atomic_path(p) as tmp:
            fig.savefig(tmp, dpi=dpi, format="png")
        paths[name] = p
    return paths
