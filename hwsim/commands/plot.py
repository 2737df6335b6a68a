"""``hwsim plot RESULT.json [...] --kind K -o OUT.png``: figures from saved results (or a sweep folder)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from hwsim.commands.base import app, fail, out
from hwsim.errors import HwsimError

KINDS = ("roofline", "energy", "memory", "timeline", "dvfs", "energy-chips", "j-per-token")


def _plot_sweep_folder(folder: Path, out_path: Path | None) -> None:
    """A sweep output folder: draw all its figures (hwsim.sweep owns them)."""
    try:
        from hwsim.sweep import plot_sweep_dir
    except ImportError:
        raise fail(f"{folder}: not a result file (a folder; sweep plots are unavailable)") from None
    try:
        paths = plot_sweep_dir(folder, out_path)
    except HwsimError as exc:
        raise fail(exc) from None
    except OSError as exc:
        raise fail(f"cannot write plots: {exc}") from None
    if not paths:
        raise fail(f"{folder}: no successful sweep points to plot")
    for p in paths:
        out.print(str(p), soft_wrap=True)


@app.command("plot")
def plot_command(
    results: Annotated[
        list[Path],
        typer.Argument(
            help="result JSON files from 'hwsim run --json PATH' (several: overlaid/compared), "
            "or one sweep folder from 'hwsim sweep --out DIR'",
            show_default=False,
            metavar="RESULT.json|SWEEP_DIR",
        ),
    ],
    kind: Annotated[
        str | None,
        typer.Option(
            "--kind",
            "-k",
            help="roofline, energy, memory, timeline; over several runs: dvfs, energy-chips, j-per-token",
        ),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="image to write (.png, .svg, .pdf; default KIND.png); for a sweep folder, "
            "the folder for its PNGs",
        ),
    ] = None,
) -> None:
    """Draw a roofline, energy breakdown, memory profile or timeline from saved results."""
    folders = [p for p in results if p.is_dir()]
    if folders:
        if len(results) > 1:
            raise fail(f"{folders[0]}: a sweep folder is plotted on its own, not with other files")
        if kind is not None:
            raise fail("--kind applies to result files; a sweep folder gets all its figures")
        _plot_sweep_folder(folders[0], output)
        return
    kind = kind or "roofline"
    if kind not in KINDS:
        raise fail(f"unknown plot kind {kind!r}; choose {', '.join(KINDS)}")
    from hwsim import report

    try:
        data = [report.load_result(p) for p in results]
        fig = report.plot(kind, data if len(data) > 1 else data[0])
    except HwsimError as exc:
        raise fail(exc) from None
    target = output or Path(f"{kind}.png")
    try:
        report.save_figure(fig, target)
    except (OSError, ValueError) as exc:
        raise fail(f"cannot write {target}: {exc}") from None
    out.print(str(target), soft_wrap=True)
