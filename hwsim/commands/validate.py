"""``hwsim validate`` and ``hwsim calibrate``: predictions vs published measurements."""

from __future__ import annotations

import math
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from hwsim.commands.base import app, err, fail, out, write_json
from hwsim.errors import HwsimError

if TYPE_CHECKING:  # rich and the file writer load when a command runs, not at --help
    from rich.console import Console

GOAL_MEDIAN = 0.25
GOAL_FACTOR = 2.0


def _num(v: float) -> str:
    if v == 0 or not math.isfinite(v):
        return str(v)
    if abs(v) >= 1e5 or abs(v) < 1e-2:
        return f"{v:.4g}"
    return f"{v:,.4g}"


def _colour(factor: float) -> str:
    if factor <= 1.25:
        return "green"
    if factor <= GOAL_FACTOR:
        return "yellow"
    return "bold red"


def _pct(v: float) -> str:
    return "-" if math.isnan(v) else f"{v:.1%}"


def print_report(report: object, console: Console, title: str = "validation") -> None:
    """Rich tables: one row per measurement, skipped rows, summary per class and overall."""
    from rich.table import Table

    from hwsim.validation import ERROR_DEFINITION, METRICS, ValidationReport

    assert isinstance(report, ValidationReport)
    t = Table(title=title)
    t.add_column("id", no_wrap=True)
    for col in ("workload", "chip / profile", "metric"):
        t.add_column(col, overflow="fold")
    for col in ("measured", "predicted", "ratio", "error"):
        t.add_column(col, justify="right", no_wrap=True)
    for r in report.simulated:
        m = r.measurement
        c = _colour(r.factor)
        t.add_row(
            m.id,
            Path(m.workload).stem if m.workload.endswith((".yaml", ".yml")) else m.workload,
            f"{m.hardware} / {r.profile}",
            f"{m.metric}",
            f"{_num(m.value)} {METRICS[m.metric].unit}",
            _num(r.predicted or 0.0),
            f"[{c}]{r.ratio:.3f}[/]",
            f"[{c}]{r.error:+.1%}[/]",
        )
    console.print(t)
    if report.skipped:
        s = Table(title="skipped rows")
        s.add_column("id")
        s.add_column("reason", overflow="fold")
        for r in report.skipped:
            s.add_row(r.measurement.id, r.reason)
        console.print(s)
    summary = Table(title="summary (|error| = |pred - meas| / meas)")
    summary.add_column("class")
    for col in ("rows", "median |error|", "max |error|", "worst", "within 2x", "bias (geo-mean)"):
        summary.add_column(col, justify="right")
    groups = [*report.by_class().items(), ("overall", report.overall())]
    for name, st in groups:
        summary.add_row(
            f"[bold]{name}[/]" if name == "overall" else name,
            str(st.n),
            _pct(st.median_abs_error),
            _pct(st.max_abs_error),
            f"{st.worst_id} {st.worst_factor:.2f}x" if st.n else "-",
            f"{st.within_2x}/{st.n}",
            "-" if math.isnan(st.geomean_ratio) else f"{st.geomean_ratio:.3f}",
        )
    console.print(summary)
    console.print(f"definition: {ERROR_DEFINITION}", soft_wrap=True)
    met = report.meets(GOAL_MEDIAN, GOAL_FACTOR)
    console.print(
        f"goal (median |error| <= {GOAL_MEDIAN:.0%}, no row worse than {GOAL_FACTOR:g}x): "
        + ("[green]met[/]" if met else "[bold red]not met[/]")
    )


GOAL_CV_MEDIAN = 0.20
GOAL_CV_SHARE_2X = 0.95


def _ratio_cell(r: object) -> str:
    from hwsim.validation import RowResult

    assert isinstance(r, RowResult)
    if not r.ok:
        return "-"
    return f"[{_colour(r.factor)}]{r.ratio:.3f}[/]"


def print_cross_validation(cv: object, console: Console, title: str) -> None:
    """Rich tables: per-row ratios under each scheme, the fits, the summary per scheme."""
    from rich import box
    from rich.table import Table

    from hwsim.validation import ERROR_DEFINITION, METRICS
    from hwsim.validation.crossval import LABELS, CrossValidation

    assert isinstance(cv, CrossValidation)
    schemes = list(cv.reports)
    short = {"in_sample": "in-sample", "leave_one_out": "LOO", "leave_one_chip_out": "LOCO"}
    short["k_fold"] = f"{cv.folds}-fold"
    base = cv.reports["in_sample"]
    t = Table(title=title, box=box.SIMPLE_HEAD, pad_edge=False)
    t.add_column("id", no_wrap=True)
    t.add_column("model / chip / profile", overflow="fold", ratio=1)
    t.add_column("measured", justify="right", no_wrap=True)
    for k in schemes:
        t.add_column(short[k], justify="right", no_wrap=True)
    for i, r in enumerate(base.rows):
        if not r.ok:
            continue
        m = r.measurement
        wl = Path(m.workload).stem if m.workload.endswith((".yaml", ".yml")) else m.workload
        t.add_row(
            m.id,
            f"{wl} {m.hardware} {r.profile}",
            f"{_num(m.value)} {METRICS[m.metric].unit}",
            *[_ratio_cell(cv.reports[k].rows[i]) for k in schemes],
        )
    console.print(t)
    for r in base.rows:
        for w in r.warnings if r.ok else ():
            if " has no " in w:  # a dtype the chip lacks: which one the row ran in
                console.print(f"dtype: {r.measurement.id}: {w}")
    if base.skipped:
        s = Table(title="skipped rows")
        s.add_column("id")
        s.add_column("reason", overflow="fold")
        for r in base.skipped:
            s.add_row(r.measurement.id, r.reason)
        console.print(s)
    f = Table(
        title="joint fits (one per software stack, from the priors; dof = rows - parameters)",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
    )
    f.add_column("stack / chips", overflow="fold")
    f.add_column("rows", justify="right")
    f.add_column("dof", justify="right", overflow="fold")
    f.add_column("fitted", overflow="fold", ratio=1)
    for fit in cv.fits.values():
        chips = ", ".join(sorted({c for c, _ in fit.members}))
        dof = "0, exactly determined" if fit.exactly_determined else str(fit.dof)
        f.add_row(f"{fit.stack}: {chips}", str(len(fit.rows)), dof, fit.label())
    console.print(f)
    summary = Table(
        title="summary per scheme and class (|error| = |pred - meas| / meas)",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
    )
    for col in ("scheme", "class", "rows", "median |error|", "<=1.25x", "<=2x", "bias", "worst"):
        summary.add_column(
            col,
            justify="left" if col in ("scheme", "class") else "right",
            no_wrap=col == "worst",
        )
    for k in schemes:
        rep = cv.reports[k]
        groups = [*rep.by_class().items(), ("overall", rep.overall())]
        for j, (name, st) in enumerate(groups):
            summary.add_row(
                short[k] if j == 0 else "",
                f"[bold]{name}[/]" if name == "overall" else name,
                str(st.n),
                _pct(st.median_abs_error),
                "-" if not st.n else f"{st.share_within_125:.0%}",
                "-" if not st.n else f"{st.share_within_2x:.0%}",
                "-" if math.isnan(st.geomean_ratio) else f"{st.geomean_ratio:.3f}",
                f"{st.worst_factor:.2f}x {st.worst_id}" if st.n else "-",
                end_section=j == len(groups) - 1,
            )
    console.print(summary)
    for k in schemes:
        label = (
            LABELS[k]
            if k != "k_fold"
            else f"rows dealt into {cv.folds} folds (row i in fold i mod {cv.folds})"
        )
        console.print(f"{short[k]}: {label}")
    console.print(f"definition: {ERROR_DEFINITION}; bias = geometric mean of the ratios")
    st = cv.headline.overall()
    met = (
        st.n > 0
        and st.median_abs_error <= GOAL_CV_MEDIAN
        and st.share_within_2x >= GOAL_CV_SHARE_2X
    )
    console.print(
        f"cross-validated (leave-one-out): median |error| {_pct(st.median_abs_error)}, "
        f"{_pct(st.share_within_125)} within 1.25x, {_pct(st.share_within_2x)} within 2x, "
        f"bias {st.geomean_ratio:.3f}; goal (median <= {GOAL_CV_MEDIAN:.0%}, >= "
        f"{GOAL_CV_SHARE_2X:.0%} within 2x): "
        + ("[green]met[/]" if met else "[bold red]not met[/]"),
    )


def _beside(csv_path: str, name: str) -> str | None:
    p = Path(csv_path).expanduser().resolve().parent / name
    return str(p) if p.exists() else None


@app.command("validate")
def validate_command(
    measurements: Annotated[str, typer.Argument(help="measurements CSV (contract columns)")],
    json_out: Annotated[
        str | None, typer.Option("--json", help="write the report JSON to PATH or -")
    ] = None,
    folds: Annotated[
        int | None, typer.Option("--folds", help="also run k-fold cross-validation (k >= 2)")
    ] = None,
    priors: Annotated[
        str | None,
        typer.Option(
            "--priors",
            help="folder of CHIP--PROFILE.yaml priors the fits start from "
            "(default: priors/ beside the CSV, else the shipped profiles)",
        ),
    ] = None,
    stacks: Annotated[
        str | None,
        typer.Option(
            "--stacks",
            help="YAML of which chip/profile pairs share a stack (default: stacks.yaml "
            "beside the CSV; otherwise one stack per profile name)",
        ),
    ] = None,
    shipped: Annotated[
        bool,
        typer.Option(
            "--shipped",
            help="only predict with the profiles as shipped (no fit, no cross-validation)",
        ),
    ] = False,
    exact_refit: Annotated[
        bool,
        typer.Option(
            "--exact-refit",
            help="refit every fold on simulated residuals (slow; default: linearised refit)",
        ),
    ] = False,
) -> None:
    """Fit every software stack jointly; print in-sample, leave-one-out and leave-one-chip-out.

    The headline is the leave-one-out error: each row predicted by a fit without it. With
    --shipped: the rows predicted with the profiles as shipped, no fitting.
    """
    from hwsim.validation import validate
    from hwsim.validation.crossval import cross_validate

    if folds is not None and folds < 2:
        raise fail(f"--folds must be at least 2, got {folds}")
    console = err if json_out == "-" else out
    try:
        if shipped:
            report = validate(measurements)
            print_report(
                report, console, title=f"predicted vs measured (as shipped): {measurements}"
            )
            data = report.to_dict()
        else:
            cv = cross_validate(
                measurements,
                priors=priors or _beside(measurements, "priors"),
                stacks=stacks or _beside(measurements, "stacks.yaml"),
                folds=folds,
                exact=exact_refit,
            )
            print_cross_validation(cv, console, title=f"predicted / measured: {measurements}")
            data = cv.to_dict()
    except HwsimError as exc:
        raise fail(exc) from None
    if json_out:
        try:
            write_json(data, json_out)
        except OSError as exc:
            raise fail(f"cannot write output: {exc}") from None


def _split(values: list[str] | None) -> list[str]:
    out_: list[str] = []
    for v in values or []:
        out_ += [x.strip() for x in v.split(",") if x.strip()]
    return out_


@app.command("calibrate")
def calibrate_command(
    measurements: Annotated[str, typer.Argument(help="measurements CSV (contract columns)")],
    hardware: Annotated[str, typer.Option("--hardware", "-H", help="chip whose rows to fit")],
    profile: Annotated[
        str | None, typer.Option("--profile", "-p", help="software profile on that chip")
    ] = None,
    output: Annotated[
        str | None,
        typer.Option("--output", "-o", help="write the calibrated profile YAML here (- = stdout)"),
    ] = None,
    fit: Annotated[
        list[str] | None,
        typer.Option(help="parameters to consider (comma-separated; default: all)"),
    ] = None,
    exclude: Annotated[
        list[str] | None, typer.Option(help="row ids to leave out of the fit (comma-separated)")
    ] = None,
    json_out: Annotated[
        str | None, typer.Option("--json", help="write the fit summary JSON to PATH or -")
    ] = None,
    prior: Annotated[
        str | None,
        typer.Option(
            "--prior",
            help="start from this profile YAML instead of the chip's profile (same name)",
        ),
    ] = None,
) -> None:
    """Fit a profile's efficiency factors and overheads to the rows of one chip + stack.

    Least squares on ln(predicted / measured), bounded to physical ranges; only the
    parameters the rows identify are fitted (never more than rows). The per-run overhead
    needs 2+ rows that pay it with run times 1.5x apart (e.g. several prompt lengths).
    """
    from rich.table import Table

    from hwsim.hardware import load_profile
    from hwsim.textio import write_atomic
    from hwsim.validation import PARAMETERS, calibrate

    try:
        res = calibrate(
            measurements,
            hardware,
            profile,
            fit=_split(fit) or None,
            exclude=_split(exclude),
            start=load_profile(prior) if prior else None,
        )
    except HwsimError as exc:
        raise fail(exc) from None
    to_stdout = output == "-" or json_out == "-"
    console = err if to_stdout else out
    from hwsim.units import Dimension, format_quantity

    rows = Table(title=f"calibration rows: {res.hardware} / {res.profile_name}")
    for col in ("id", "workload", "metric", "measured", "prior", "ratio", "calibrated", "ratio"):
        rows.add_column(col, justify="left" if col in ("id", "workload", "metric") else "right")
    for b, a in zip(res.before.rows, res.after.rows):
        m = b.measurement
        rows.add_row(
            m.id,
            Path(m.workload).stem if m.workload.endswith((".yaml", ".yml")) else m.workload,
            m.metric,
            _num(m.value),
            _num(b.predicted or 0.0),
            f"[{_colour(b.factor)}]{b.ratio:.3f}[/]",
            _num(a.predicted or 0.0),
            f"[{_colour(a.factor)}]{a.ratio:.3f}[/]",
        )
    console.print(rows)
    for rid, why in res.rows_ignored:
        console.print(f"not used: {rid}: {why}", soft_wrap=True)
    p = Table(title="profile factors")
    p.add_column("parameter")
    p.add_column("prior", justify="right")
    p.add_column("calibrated", justify="right")
    pe, ce = res.prior.efficiency.model_dump(), res.profile.efficiency.model_dump()
    for k in pe:
        mark = "" if pe[k] == ce[k] else " *"
        p.add_row(f"efficiency.{k}", f"{pe[k]:.4g}", f"{ce[k]:.4g}{mark}")
    bw0, bw1 = res.prior.bandwidth_efficiency, res.profile.bandwidth_efficiency
    p.add_row("bandwidth_efficiency", f"{bw0:.4g}", f"{bw1:.4g}" + ("" if bw0 == bw1 else " *"))
    o0, o1 = res.prior.overhead_per_op, res.profile.overhead_per_op
    p.add_row(
        "overhead_per_op",
        format_quantity(o0, Dimension.SECONDS),
        format_quantity(o1, Dimension.SECONDS) + ("" if o0 == o1 else " *"),
    )
    r0, r1 = res.prior.overhead_per_run, res.profile.overhead_per_run
    p.add_row(
        "overhead_per_run",
        format_quantity(r0, Dimension.SECONDS),
        format_quantity(r1, Dimension.SECONDS) + ("" if r0 == r1 else " *"),
    )
    console.print(p)
    for f in res.fitted:
        console.print(
            f"fitted: {f.label()}{' (at its physical bound)' if f.at_bound else ''}"
            f" - {PARAMETERS[f.name]}",
            soft_wrap=True,
        )
    for n, why in res.not_fitted:
        console.print(f"kept at the prior: {n}: {why}", soft_wrap=True)
    for note in res.notes:
        console.print(f"[bold]note:[/] {note}", soft_wrap=True)
    try:
        if output == "-":
            sys.stdout.write(res.to_yaml())
        elif output:
            Path(output).parent.mkdir(parents=True, exist_ok=True)
            write_atomic(output, res.to_yaml())
            console.print(
                f"wrote {output} (use: hwsim run MODEL -H {res.hardware} --profile {output})"
            )
        if json_out:
            write_json(res.to_dict(), json_out)
    except OSError as exc:
        raise fail(f"cannot write output: {exc}") from None
