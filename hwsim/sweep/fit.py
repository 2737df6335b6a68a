"""What fits a chip: search a model family's width and input resolution for the
configurations whose weights and peak activations fit its memories (MCUNet's question).

Each configuration is simulated as ``hwsim run`` would (same placement, same ``memory_fit``),
first as defined and, when it does not fit, with patch-based execution of its first stages
(MCUNetV2), which lowers the activation peak at the price of recomputed MACs.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from hwsim import engine
from hwsim.costmodel.graph import deployment
from hwsim.errors import WorkloadError
from hwsim.hardware.models import HardwareSpec, SoftwareProfile
from hwsim.workload.ir import Workload
from hwsim.workload.patches import patch
from hwsim.workload.registry import builtin_workloads, load_workload

WIDTHS = (0.25, 0.35, 0.5, 0.75, 1.0)
"""Width multipliers of the published MobileNet checkpoints (V1: 0.25-1.0, V2: 0.35-1.0)."""

RESOLUTIONS = (48, 64, 96, 128, 144, 160, 176, 192, 224)
"""Input sizes: the MobileNet checkpoints' 96-224 and MCUNet's smaller 48-176."""

HEADS = ("full", "scaled")
"""MobileNetV2's last 1x1 conv: 1280 channels below width 1, or scaled with the width."""


@dataclass(frozen=True, slots=True)
class FitRow:
    """One configuration that fits (or, with ``fits`` False, the best try of one that does not).

    Attributes:
        params: model parameters (width, resolution, head) of this configuration.
        patches: patch grid (rows, cols) and stage ops, or None without patches.
        macs: MACs per inference (with the recomputed halo when patched).
        weight_bytes: model size in bytes.
        peak_bytes: peak live activation bytes.
        latency_s: simulated latency, s.
        energy_j: simulated energy, J.
        fits: every memory level holds what placement puts there.
        memory_fit: per level: required_bytes, capacity_bytes, fits.
    """

    params: dict[str, Any]
    patches: tuple[tuple[int, int], int] | None
    macs: int
    weight_bytes: float
    peak_bytes: float
    latency_s: float
    energy_j: float
    fits: bool
    memory_fit: dict[str, dict[str, Any]]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields (SI units)."""
        return {
            **self.params,
            "patches": None if self.patches is None else "x".join(map(str, self.patches[0])),
            "patch_stage_ops": None if self.patches is None else self.patches[1],
            "macs": self.macs,
            "weight_bytes": self.weight_bytes,
            "peak_activation_bytes": self.peak_bytes,
            "latency_s": self.latency_s,
            "energy_j": self.energy_j,
            "fits": self.fits,
        }


def family_axes(family: str) -> dict[str, tuple[Any, ...]]:
    """The searched parameters of a built-in model and their default grids.

    Raises:
        WorkloadError: unknown model, or one without an input resolution to search.
    """
    entries = builtin_workloads()
    if family not in entries:
        raise WorkloadError(
            f"unknown workload {family!r}; built-in: {', '.join(entries)}", params=("family",)
        )
    defaults = entries[family].defaults
    if "resolution" not in defaults:
        searchable = [n for n, e in entries.items() if "resolution" in e.defaults]
        raise WorkloadError(
            f"{family} has no resolution or width to search; models that do: "
            f"{', '.join(searchable)}",
            params=("family",),
        )
    axes: dict[str, tuple[Any, ...]] = {}
    if "width" in defaults:
        axes["width"] = WIDTHS
    axes["resolution"] = RESOLUTIONS
    if "head" in defaults:
        axes["head"] = HEADS
    return axes


def _row(
    w: Workload,
    spec: HardwareSpec,
    prof: SoftwareProfile,
    params: dict[str, Any],
    patches: tuple[tuple[int, int], int] | None,
) -> FitRow:
    r = engine.simulate(w, spec, prof)
    return FitRow(
        params=params,
        patches=patches,
        macs=r.macs,
        weight_bytes=r.weight_bytes,
        peak_bytes=r.peak_activation_bytes,
        latency_s=r.latency_s,
        energy_j=r.energy_j,
        fits=r.fits,
        memory_fit={k: dict(v) for k, v in r.memory_fit.items()},
    )


def fit_search(
    family: str,
    spec: HardwareSpec,
    prof: SoftwareProfile,
    *,
    dtype: str = "int8",
    axes: Mapping[str, Sequence[Any]] | None = None,
    patch_grid: tuple[int, int] | None = (4, 4),
    max_latency_s: float | None = None,
) -> list[FitRow]:
    """Configurations of ``family`` that fit ``spec``, the most MACs first (then fastest).

    Every point of the grid ``axes`` (default :func:`family_axes`) is simulated as defined;
    one that does not fit is retried with ``patch_grid`` patches over the auto stage (no retry
    when ``patch_grid`` is None). ``max_latency_s`` drops slower configurations. Parameter
    values a model rejects (a resolution its strides cannot reach) are skipped.
    """
    grid = dict(axes) if axes is not None else dict(family_axes(family))
    dep = deployment(prof)
    rows: list[FitRow] = []
    names = list(grid)
    for values in itertools.product(*(grid[n] for n in names)):
        params = dict(zip(names, values, strict=True))
        try:
            w = load_workload(family, dtype=dtype, **params)
        except WorkloadError:
            continue
        if not isinstance(w, Workload):
            raise WorkloadError(f"{family} is not an image model", params=("family",))
        row = _row(w, spec, prof, params, None)
        if not row.fits and patch_grid is not None and _only_activations_overflow(row, spec):
            try:
                patched, summary = patch(w, patch_grid, "auto", dep)
            except WorkloadError:
                patched = None
            if patched is not None:
                row = _row(patched, spec, prof, params, (patch_grid, summary.stage_ops))
        if row.fits and (max_latency_s is None or row.latency_s <= max_latency_s):
            rows.append(row)
    rows.sort(key=lambda r: (-r.macs, r.latency_s, r.patches is not None))
    return rows


def _only_activations_overflow(row: FitRow, spec: HardwareSpec) -> bool:
    """Patches lower activations only: worth a retry when every level that overflows holds
    activations."""
    holds = {m.name: m.holds for m in spec.memory}
    over = [k for k, v in row.memory_fit.items() if not v["fits"]]
    return bool(over) and all("activations" in holds.get(k, ()) for k in over)


def pareto_rows(rows: Sequence[FitRow]) -> list[FitRow]:
    """Rows no other row beats on both more MACs (a proxy for accuracy) and lower latency."""
    out = []
    for r in rows:
        dominated = any(
            (o.macs >= r.macs and o.latency_s <= r.latency_s)
            and (o.macs > r.macs or o.latency_s < r.latency_s)
            for o in rows
        )
        if not dominated:
            out.append(r)
    return out


def config_label(row: FitRow) -> str:
    """``w0.35 r144 scaled [4x4]``: the configuration in a few characters."""
    parts = []
    if "width" in row.params:
        parts.append(f"w{row.params['width']:g}")
    if "resolution" in row.params:
        parts.append(f"r{row.params['resolution']}")
    if row.params.get("head") == "scaled":
        parts.append("scaled")
    if row.patches is not None:
        parts.append(f"[{row.patches[0][0]}x{row.patches[0][1]}]")
    return " ".join(parts)


def plot_fit(rows: Sequence[FitRow], title: str) -> Any:
    """Figure: MACs (a proxy for accuracy) against latency of the fitting configurations;
    the Pareto front (more MACs for less time) joined and labelled, patched points hollow."""
    from matplotlib.figure import Figure
    from matplotlib.ticker import EngFormatter

    fig = Figure(figsize=(8, 5.5), layout="constrained", dpi=100)
    ax = fig.add_subplot()
    if not rows:
        ax.text(0.5, 0.5, "no configuration fits", ha="center", va="center", transform=ax.transAxes)
        ax.set_title(title)
        return fig
    plain = [r for r in rows if r.patches is None]
    patched = [r for r in rows if r.patches is not None]
    if plain:
        ax.scatter(
            [r.latency_s for r in plain], [r.macs for r in plain], s=30, color="tab:blue",
            label="fits as defined",
        )  # fmt: skip
    if patched:
        ax.scatter(
            [r.latency_s for r in patched], [r.macs for r in patched], s=40,
            facecolors="none", edgecolors="tab:orange", label="fits with patches",
        )  # fmt: skip
    front = sorted(pareto_rows(rows), key=lambda r: r.latency_s)
    ax.plot(
        [r.latency_s for r in front], [r.macs for r in front], color="tab:green", lw=1.2,
        zorder=0, label="Pareto front (more MACs, less time)",
    )  # fmt: skip
    x_max = max(r.latency_s for r in rows)
    y_max = max(r.macs for r in rows)
    shown: list[tuple[float, float]] = []
    for r in reversed(front):  # label the large end first; skip labels that would overlap
        x, y = r.latency_s / x_max, r.macs / y_max
        if any(abs(x - a) < 0.12 and abs(y - b) < 0.05 for a, b in shown):
            continue
        shown.append((x, y))
        ax.annotate(
            config_label(r), (r.latency_s, r.macs), textcoords="offset points", xytext=(5, -10),
            fontsize=8,
        )  # fmt: skip
    ax.set_xlim(0, x_max * 1.3)
    ax.set_ylim(0, y_max * 1.08)
    ax.set_xlabel("latency per inference")
    ax.set_ylabel("MACs per inference (proxy for accuracy)")
    ax.xaxis.set_major_formatter(EngFormatter(unit="s"))
    ax.yaxis.set_major_formatter(EngFormatter(unit="MAC"))
    ax.grid(True, alpha=0.3)
    ax.legend(loc="lower right", fontsize=8)
    ax.set_title(title)
    return fig
