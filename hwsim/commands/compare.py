"""``hwsim compare MODEL... -H a -H b``: models x chips in one table (+ plots, HTML, JSON)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from hwsim.commands.base import (
    FLAGS,
    BatchOpt,
    DtypeOpt,
    ProfileOpt,
    app,
    err,
    escape,
    fail,
    out,
)
from hwsim.errors import HwsimError

if TYPE_CHECKING:
    from rich.table import Table


def _table(rows: list[dict[str, Any]], width: int) -> Table:
    from rich import box
    from rich.table import Table

    from hwsim.report import fmt

    t = Table(
        title="comparison (per inference)",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        collapse_padding=True,
    )
    wide = width >= 110
    t.add_column("run", overflow="fold")
    t.add_column("latency", justify="right", no_wrap=True)
    t.add_column("through-\nput", justify="right", no_wrap=True)
    t.add_column("energy", justify="right", no_wrap=True)
    t.add_column("power", justify="right", no_wrap=True)
    if wide:
        t.add_column("weights", justify="right", no_wrap=True)
    t.add_column("fits", no_wrap=True)
    t.add_column("bound", overflow="fold")
    for r in rows:
        label = f"{r['workload']} on {r['hardware']}\n{r['dtype']}, {r['profile']}"
        if r["batch"] not in (None, 1):
            label += f", batch {r['batch']}"
        bound = str(r["bound"]).replace("memory:", "mem: ")
        cells = [
            escape(label),
            fmt.duration(r["latency_s"]),
            fmt.rate(r["throughput_per_s"]),
            fmt.energy(r["energy_j"]),
            fmt.power(r["avg_power_w"]),
        ]
        if wide:
            cells.append(fmt.size(r["weight_bytes"]))
        cells += [
            "yes" if r["fits"] else "[bold red]NO[/]",
            f"{escape(bound)} {r['bound_share']:.0%}",
        ]
        t.add_row(*cells)
    return t


@app.command("compare")
def compare(
    workloads: Annotated[
        list[str], typer.Argument(help="one or more built-in workload names or model files")
    ],
    hardware: Annotated[
        list[str],
        typer.Option("--hardware", "-H", help="a built-in chip or spec YAML; repeat for several"),
    ],
    batch: BatchOpt = None,
    dtype: DtypeOpt = None,
    profile: ProfileOpt = None,
    plots: Annotated[
        str | None,
        typer.Option(help="write compare.png (latency | energy) and energy.png to DIR"),
    ] = None,
    html_out: Annotated[
        str | None, typer.Option("--html", help="write a self-contained HTML report to PATH")
    ] = None,
    json_out: Annotated[
        str | None, typer.Option("--json", help="write the list of result JSONs to PATH or -")
    ] = None,
) -> None:
    """Run every WORKLOAD on every chip: latency, throughput, energy, power, fit, bound."""
    from hwsim.api import simulate
    from hwsim.report.compare import compare_rows

    results = []
    failures = []
    for wl in workloads:
        for hw in hardware:
            try:
                results.append(simulate(wl, hw, batch=batch, dtype=dtype, profile=profile))
            except HwsimError as exc:
                failures.append(f"{wl} on {hw}: {exc.spelled(FLAGS)}")
    console = err if json_out == "-" else out
    for r in results:
        for w in r.warnings:  # several runs: say which one each warning is about
            err.print(f"[bold yellow]warning:[/] {escape(f'{r.workload} on {r.hardware}: {w}')}")
    if results:
        console.print(_table(compare_rows(results), console.width))
    for f in failures:
        err.print(f"[bold red]error:[/] {escape(f)}", soft_wrap=True)
    if not results:
        raise typer.Exit(code=2)
    written: list[str] = []
    try:
        if json_out:
            text = json.dumps([r.to_dict() for r in results], indent=2, allow_nan=False) + "\n"
            if json_out == "-":
                typer.echo(text, nl=False)
            else:
                from hwsim.textio import write_atomic

                write_atomic(json_out, text)
                written.append(json_out)
        if plots:
            from hwsim.report import plot_energy, save_figure
            from hwsim.report.compare import plot_compare

            folder = Path(plots)
            folder.mkdir(parents=True, exist_ok=True)
            written.append(str(save_figure(plot_compare(results), folder / "compare.png")))
            written.append(str(save_figure(plot_energy(list(results)), folder / "energy.png")))
        if html_out:
            from hwsim.report.html import write_html

            written.append(str(write_html(list(results), html_out)))
    except OSError as exc:
        raise fail(f"cannot write output: {exc}") from None
    for path in written:
        console.print(f"wrote {escape(path)}", soft_wrap=True)
    if failures:
        raise typer.Exit(code=2)
