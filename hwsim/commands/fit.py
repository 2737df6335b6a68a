"""``hwsim fit``: which width x resolution of a model family fits a chip's SRAM and flash."""

from __future__ import annotations

from typing import Annotated

import typer

from hwsim.commands.base import ProfileOpt, app, err, fail, out, write_json
from hwsim.errors import HwsimError


def _floats(text: str | None, what: str) -> tuple[float, ...] | None:
    if text is None:
        return None
    try:
        vals = tuple(float(v) for v in text.split(",") if v.strip())
    except ValueError:
        raise fail(f"--{what}: expected numbers separated by commas, got {text!r}") from None
    if not vals or min(vals) <= 0:
        raise fail(f"--{what}: expected positive numbers separated by commas, got {text!r}")
    return vals


@app.command("fit")
def fit(
    family: Annotated[
        str, typer.Argument(help="built-in model with width/resolution, e.g. mobilenet_v2")
    ],
    hardware: Annotated[str, typer.Option("--hardware", "-H", help="built-in chip or spec YAML")],
    dtype: Annotated[
        str, typer.Option(help="dtype of the configurations (int8: MCU deployments)")
    ] = "int8",
    profile: ProfileOpt = None,
    widths: Annotated[
        str | None, typer.Option(help="width multipliers to try, comma-separated")
    ] = None,
    resolutions: Annotated[
        str | None, typer.Option(help="input resolutions to try, comma-separated")
    ] = None,
    patches: Annotated[
        str, typer.Option(help="retry what overflows SRAM with patches RxC (MCUNetV2), or none")
    ] = "4x4",
    max_latency: Annotated[
        float | None, typer.Option(help="drop configurations slower than this, seconds")
    ] = None,
    top: Annotated[int, typer.Option(help="rows to show (all with --json)")] = 15,
    plot: Annotated[
        str | None, typer.Option(help="write the MACs-vs-latency Pareto plot to PATH (.png)")
    ] = None,
    json_out: Annotated[
        str | None, typer.Option("--json", help="write the fitting configurations to PATH or -")
    ] = None,
) -> None:
    """Search a model family's width x resolution for what fits the chip's memories.

    Simulated like hwsim run; what overflows SRAM is retried with patches. Most MACs first.
    """
    from hwsim.api import load
    from hwsim.sweep.fit import RESOLUTIONS, config_label, family_axes, fit_search, plot_fit
    from hwsim.units import Dimension, format_bytes_iec, format_quantity
    from hwsim.workload.patches import parse_grid

    if max_latency is not None and not max_latency > 0:
        raise fail(f"--max-latency: expected seconds > 0, got {max_latency}")
    if top < 1:
        raise fail(f"--top: expected >= 1, got {top}")
    try:
        axes = dict(family_axes(family))
        _w, spec, prof = load(family, hardware, profile=profile, dtype=dtype)
        grid = None if patches.lower() == "none" else parse_grid(patches)
    except HwsimError as exc:
        raise fail(exc) from None
    ws = _floats(widths, "widths")
    rs = _floats(resolutions, "resolutions")
    if ws is not None:
        if "width" not in axes:
            raise fail(f"--widths: {family} has no width parameter")
        axes["width"] = ws
    if rs is not None:
        axes["resolution"] = tuple(int(r) for r in rs)
    try:
        rows = fit_search(
            family, spec, prof, dtype=dtype or "int8", axes=axes, patch_grid=grid,
            max_latency_s=max_latency,
        )  # fmt: skip
    except HwsimError as exc:
        raise fail(exc) from None
    from rich.table import Table

    console = err if json_out == "-" else out
    tried = 1
    for v in axes.values():
        tried *= len(v)
    caps = ", ".join(f"{m.name} {format_bytes_iec(m.capacity)}" for m in spec.memory)
    t = Table(
        title=f"{family} ({dtype or 'int8'}) that fits {spec.name} ({caps}), profile {prof.name}"
    )
    for col in ("config", "MACs", "weights", "peak act.", "latency"):
        t.add_column(col, justify="left" if col == "config" else "right")
    for r in rows[:top]:
        t.add_row(
            config_label(r),
            f"{r.macs / 1e6:.1f} M",
            # Same binary units as the capacities in the title, so they compare at a glance.
            format_bytes_iec(r.weight_bytes),
            format_bytes_iec(r.peak_bytes),
            format_quantity(r.latency_s, Dimension.SECONDS),
        )
    console.print(t)
    n_patched = sum(1 for r in rows if r.patches is not None)
    console.print(
        f"{len(rows)} of {tried} configurations fit ({n_patched} only with patches)"
        + (f", showing {min(top, len(rows))}" if len(rows) > top else "")
        + ("" if axes.get("resolution") != RESOLUTIONS else "; grid: --widths, --resolutions"),
    )
    if rows:
        first = rows[0]
        args = " ".join(
            f"--{k.replace('_', '-')} {v:g}" if isinstance(v, float) else f"--{k} {v}"
            for k, v in first.params.items()
        )
        cmd = f"hwsim run {family} -H {spec.name} --dtype {dtype or 'int8'} {args}"
        if profile:
            cmd += f" --profile {profile}"
        if first.patches is not None:
            g = first.patches[0]
            cmd += f" --patches {g[0]}x{g[1]}"
        console.print(f"run the first: {cmd} --strict-memory", soft_wrap=True)
    else:
        console.print("nothing fits: try smaller --widths/--resolutions or another chip")
    try:
        if plot:
            from hwsim.report.plots import save_figure

            save_figure(plot_fit(rows, f"{family} on {spec.name}: configurations that fit"), plot)
        if json_out:
            write_json([r.to_dict() for r in rows], json_out)
    except OSError as exc:
        raise fail(f"cannot write output: {exc}") from None
