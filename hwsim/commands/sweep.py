"""``hwsim sweep SWEEP.yaml``: a grid or sample over spec paths x workloads (plots: ``hwsim plot DIR``)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from hwsim.commands.base import app, err, escape, fail, out, real_console
from hwsim.errors import HwsimError

if TYPE_CHECKING:
    from rich.table import Table

FRONT_ROWS = 12


def _front_table(df: Any, axes: list[str], cost: str) -> tuple[list[Table], str | None]:
    """Pareto-front tables per workload and a note on the cost axis (or None)."""
    from rich import box
    from rich.table import Table

    from hwsim.report import fmt
    from hwsim.sweep.pareto import COST_LABELS, cost_blind_axes, pareto_front

    ok = df[df["error"].isna()]
    if ok.empty:
        return [], None
    label = COST_LABELS.get(cost, cost)
    front = pareto_front(ok, ("latency_s", "energy_j", cost))
    tables = []
    for wl, rows in front.groupby("workload", sort=False):
        t = Table(
            title=f"{wl}: Pareto front (latency x energy x {label}), "
            f"{len(rows)} of {int((ok['workload'] == wl).sum())} points",
            box=box.SIMPLE_HEAD,
            pad_edge=False,
            collapse_padding=True,
        )
        for a in axes:
            parts = a.split(".")
            t.add_column(".".join(parts[-2:]) if len(parts) > 2 else a, justify="right")
        for c in ("latency", "energy", label, "fits"):
            t.add_column(c, justify="right", no_wrap=True)
        for _, r in rows.sort_values("latency_s").head(FRONT_ROWS).iterrows():
            value = r[cost]
            if cost.endswith("_w"):
                cost_text = fmt.power(value)
            elif cost.endswith("_bytes"):
                cost_text = fmt.size(value)
            else:
                cost_text = f"{value:.4g}"
            t.add_row(
                *(escape(str(r[a])) for a in axes),
                fmt.duration(r["latency_s"]),
                fmt.energy(r["energy_j"]),
                cost_text,
                "yes" if r["fits"] else "[red]no[/]",
            )
        if len(rows) > FRONT_ROWS:
            t.caption = f"... {len(rows) - FRONT_ROWS} more (fastest first)"
        tables.append(t)
    blind = cost_blind_axes(ok, cost, axes)
    note = None
    if blind:
        note = (
            f"cost axis: {label} ({cost}); it does not change with {', '.join(blind)}, so the "
            "front takes the fastest, most frugal value of that axis: choose another cost with "
            "--cost power, --cost peak-power or --cost COLUMN"
        )
    else:
        note = f"cost axis: {label} ({cost})"
    return tables, note


@app.command("sweep")
def sweep_command(
    sweep_file: Annotated[Path, typer.Argument(help="sweep YAML (hardware, workloads, axes)")],
    out_dir: Annotated[
        Path | None,
        typer.Option("--out", help="folder for results.csv/.parquet; reruns resume from it"),
    ] = None,
    jobs: Annotated[
        int | None, typer.Option("--jobs", "-j", help="local worker processes (default: all CPUs)")
    ] = None,
    scheduler: Annotated[
        str | None,
        typer.Option(help="Dask scheduler address tcp://HOST:PORT (needs the dask extra)"),
    ] = None,
    sample: Annotated[
        int | None, typer.Option(help="simulate N random points instead of the full grid")
    ] = None,
    seed: Annotated[int | None, typer.Option(help="random seed for --sample")] = None,
    chunk_size: Annotated[
        int | None, typer.Option(help="points per task (default: ~4 tasks per worker, <= 64)")
    ] = None,
    progress: Annotated[bool, typer.Option(help="show a progress bar on stderr")] = True,
    tls_ca_file: Annotated[
        Path | None, typer.Option(help="TLS: CA certificate of the Dask cluster (tls://)")
    ] = None,
    tls_cert: Annotated[
        Path | None, typer.Option(help="TLS: this client's certificate (tls://)")
    ] = None,
    tls_key: Annotated[
        Path | None, typer.Option(help="TLS: this client's private key (tls://)")
    ] = None,
    cost: Annotated[
        str,
        typer.Option(
            help="third Pareto objective beside latency and energy: area (area_proxy), "
            "power (avg_power_w), peak-power (peak_power_w) or a column name"
        ),
    ] = "area",
) -> None:
    """Simulate every point of a hardware sweep x its workloads; a tidy table + Pareto front."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    from hwsim.sweep import SweepProgress, load_sweep_file, sweep
    from hwsim.sweep.run import dask_security

    if jobs is not None and jobs < 1:
        raise fail("--jobs must be at least 1")
    if sample is not None and sample < 1:
        raise fail(f"--sample must be >= 1, got {sample}")
    if seed is not None and seed < 0:
        raise fail(f"--seed must be >= 0, got {seed}")
    if scheduler is not None and not re.fullmatch(
        r"(tcp|tls|inproc|ucx)://[^\s/]+(:\d+)?/?", scheduler
    ):
        raise fail(f"--scheduler expects an address like tcp://HOST:PORT, got {scheduler!r}")
    tls = [str(p) if p is not None else None for p in (tls_ca_file, tls_cert, tls_key)]
    if any(tls) and (scheduler is None or not scheduler.startswith("tls://")):
        raise fail("--tls-ca-file/--tls-cert/--tls-key need --scheduler tls://HOST:PORT")
    if scheduler is not None and jobs is not None:
        raise fail("--jobs and --scheduler exclude each other (Dask decides the workers)")
    try:
        plan = load_sweep_file(sweep_file)
    except HwsimError as exc:
        raise fail(exc) from None

    bar = Progress(
        TextColumn("[bold]sweep[/]"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[note]}"),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        console=real_console(err),
        transient=False,
        disable=not progress,
        # Redrawn from the sweep's progress calls (at least every 0.5 s), not by a thread:
        # without threads the local pool starts by fork, its workers warm from this process.
        auto_refresh=False,
    )
    task_id = None

    def on_progress(p: SweepProgress) -> None:
        nonlocal task_id
        note = f"{p.cached} cached" if p.cached else ""
        if p.failed:
            note += f"{', ' if note else ''}[red]{p.failed} failed[/]"
        if task_id is None:
            # The ETA only counts work done in this run, so cached rows start "completed".
            task_id = bar.add_task("sweep", total=p.total, completed=p.done, note=note)
            bar.refresh()
        else:
            bar.update(task_id, completed=p.done, note=note, refresh=True)

    try:
        with bar:
            df = sweep(
                plan,
                sample=sample,
                seed=seed,
                out=out_dir,
                jobs=jobs,
                scheduler=scheduler,
                chunk_size=chunk_size,
                security=dask_security(*tls) if any(tls) else None,
                progress=on_progress,
            )
    except HwsimError as exc:
        raise fail(exc) from None
    except KeyboardInterrupt:
        where = f"; finished points are kept in {out_dir}, rerun to resume" if out_dir else ""
        err.print(f"[bold yellow]interrupted[/]{where}", soft_wrap=True)
        raise typer.Exit(code=130) from None

    axes = [a.path for a in plan.axes]
    a = df.attrs
    points, n_wl = df["point"].nunique(), len(plan.workloads)
    out.print(
        f"{len(df)} rows ({plan.spec_name}, {points} point{'s' * (points != 1)} x "
        f"{n_wl} workload{'s' * (n_wl != 1)}): {a['computed']} computed, {a['cached']} reused"
        + (f", [red]{a['failed']} failed[/] (see the error column)" if a["failed"] else ""),
        soft_wrap=True,
    )
    if a.get("discarded"):
        err.print(
            f"[bold yellow]note:[/] {a['discarded']} line(s) of {out_dir}/points.jsonl were not "
            "well-formed rows; their points were recomputed",
            soft_wrap=True,
        )
    from hwsim.sweep.pareto import cost_column

    try:
        cost_col = cost_column(cost, list(df.columns))
    except KeyError as exc:
        raise fail(str(exc.args[0])) from None
    tables, note = _front_table(df, axes, cost_col)
    for t in tables:
        out.print(t)
    if note:
        out.print(escape(note))
    if out_dir is not None:
        out.print(f"wrote {', '.join(a['written'])}", soft_wrap=True)
        out.print(f"plots: hwsim plot {out_dir}", soft_wrap=True)
    else:
        out.print("use --out DIR to keep the table (results.csv) and resume later")
