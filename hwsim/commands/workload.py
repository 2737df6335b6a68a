"""``hwsim list workloads`` and ``hwsim profile``: workload counts without hardware."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Annotated, Any

import typer

from hwsim.commands.base import (
    AllowUnsupportedOpt,
    BatchOpt,
    DimOpt,
    DtypeOpt,
    GenLenOpt,
    HeadOpt,
    KvDtypeOpt,
    PromptLenOpt,
    ResolutionOpt,
    SeqLenOpt,
    UnpaddedLenOpt,
    WidthOpt,
    app,
    err,
    fail,
    list_app,
    out,
)
from hwsim.commands.memory import (
    PatchesOpt,
    PatchStagesOpt,
    PlanningOpt,
    ScheduleOpt,
    apply_patch_option,
    print_patches,
    print_schedule,
    profile_deployment,
    schedule_dict,
    schedule_or_fail,
)
from hwsim.errors import HwsimError

if TYPE_CHECKING:  # rich loads when a command prints, not at `hwsim --help`
    from rich.console import Console
    from rich.table import Table


@list_app.command("workloads")
def list_workloads() -> None:
    """Built-in workloads: name, family, one-line description."""
    from rich.table import Table

    from hwsim.workload import builtin_workloads

    table = Table(title="built-in workloads")
    table.add_column("name")
    table.add_column("family")
    table.add_column("description")
    try:
        entries = builtin_workloads()
    except HwsimError as exc:
        raise fail(exc) from None
    for name, entry in entries.items():
        table.add_row(name, entry.family, entry.description)
    out.print(table)


def _count(n: float) -> str:
    """1234567 -> '1.235 M' (decimal prefixes)."""
    for div, unit in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(n) >= div:
            return f"{n / div:.4g} {unit}"
    return f"{n:.4g}"


def _print_profile(
    d: dict[str, Any], console: Console, *, layers: bool = True, top: int | None = None
) -> None:
    from rich.table import Table

    from hwsim.report import fmt

    def size(v: float) -> str:
        return fmt.size(v)  # binary units, as `hwsim show hardware` quotes capacities

    t = Table(title=f"{d['workload']} ({d['dtype']}, batch {d['batch']})")
    t.add_column("metric")
    t.add_column("value", justify="right")
    t.add_row("MACs", f"{d['macs']:,} ({_count(d['macs'])})")
    t.add_row("FLOPs (2 x MACs + element ops)", f"{d['flops']:,} ({_count(d['flops'])})")
    t.add_row("params", f"{d['params']:,} ({_count(d['params'])})")
    t.add_row("weights", size(d["weight_bytes"]))
    t.add_row("peak activations (deployed)", size(d["peak_activation_bytes"]))
    for key in ("prompt_len", "gen_len"):
        if key in d:
            t.add_row(key.replace("_", " "), str(d[key]))
    if "kv_cache_bytes" in d:
        t.add_row("KV cache (prompt + generated)", size(d["kv_cache_bytes"]))
    inplace = sum(1 for row in d["layers"] if row["inplace"])
    t.add_row("layers (in place)", f"{len(d['layers'])} ({inplace})")
    console.print(t)
    if not layers:
        return
    console.print(_layer_table(d, top, console.width))


PROFILE_DROP_ORDER = ("flops", "in_place", "in", "live", "params", "op", "in_shape")
"""Columns of the profile's layer table left out, in this order, when the terminal is narrow."""

DEFAULT_TOP = 25
"""Without --top, a workload with more layers than this shows its heaviest 25."""


def _shape_text(shapes: list[Any] | None) -> str:
    if not shapes:
        return "-"
    parts = ["x".join(str(n) for n in s) if s is not None else "?" for s in shapes]
    return ", ".join(parts)


def _layer_table(d: dict[str, Any], top: int | None, width: int) -> Table:
    from rich import box
    from rich.markup import escape
    from rich.table import Table

    from hwsim.report import fmt
    from hwsim.report.layout import fit_columns

    rows = list(enumerate(d["layers"]))
    n = len(rows)
    limit = top if top is not None else (n if n <= DEFAULT_TOP else DEFAULT_TOP)
    title = "layers" + (" (prefill)" if "prompt_len" in d else "")
    if 0 < limit < n:
        rows.sort(key=lambda ir: (-ir[1]["macs"], -ir[1]["flops"], ir[0]))
        rows = sorted(rows[:limit])  # the heaviest, in execution order
        title = f"top {limit} of {n} layers by MACs" + (" (prefill)" if "prompt_len" in d else "")

    def build(dropped: frozenset[str], with_rows: bool) -> Table:
        t = Table(title=title, box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True)
        cols = [
            ("#", "#", "right"),
            ("name", "name", "left"),
            ("op", "op", "left"),
            ("in_shape", "in shape", "left"),
            ("out_shape", "out shape", "left"),
            ("macs", "MACs", "right"),
            ("flops", "FLOPs", "right"),
            ("params", "params", "right"),
            ("in", "in", "right"),
            ("out", "out", "right"),
            ("live", "live", "right"),
            ("in_place", "in place", "left"),
        ]
        keep = [c for c in cols if c[0] not in dropped]
        for key, head, justify in keep:
            if key == "name":
                t.add_column(head, overflow="ellipsis", no_wrap=True, max_width=28, min_width=8)
            else:
                t.add_column(head, justify=justify, no_wrap=True)  # type: ignore[arg-type]
        for i, row in rows if with_rows else ():
            cells = {
                "#": str(i),
                "name": escape(str(row["name"])),
                "op": escape(str(row["op_type"])),
                "in_shape": _shape_text(row.get("input_shapes")),
                "out_shape": _shape_text(row.get("output_shapes")),
                "macs": fmt.count(row["macs"]) if row["macs"] else "-",
                "flops": fmt.count(row["flops"]) if row["flops"] else "-",
                "params": fmt.count(row["params"]) if row["params"] else "-",
                "in": fmt.size(row["input_bytes"]),
                "out": fmt.size(row["output_bytes"]),
                "live": fmt.size(row["live_bytes"]),
                "in_place": "yes" if row["inplace"] else "",
            }
            t.add_row(*(cells[k] for k, _, _ in keep))
        if 0 < limit < n:
            t.caption = f"{n - limit} lighter layers not shown (--top 0 shows all)"
        return t

    return fit_columns(build, PROFILE_DROP_ORDER, width)


@app.command("profile")
def profile(
    workload: Annotated[str, typer.Argument(help="built-in workload name or model file")],
    batch: BatchOpt = None,
    dtype: DtypeOpt = None,
    resolution: ResolutionOpt = None,
    width: WidthOpt = None,
    head: HeadOpt = None,
    seq_len: SeqLenOpt = None,
    unpadded_len: UnpaddedLenOpt = None,
    prompt_len: PromptLenOpt = None,
    gen_len: GenLenOpt = None,
    kv_dtype: KvDtypeOpt = None,
    dim: DimOpt = None,
    allow_unsupported: AllowUnsupportedOpt = False,
    planning: PlanningOpt = None,
    patches: PatchesOpt = None,
    patch_stages: PatchStagesOpt = "auto",
    memory_schedule: ScheduleOpt = "given",
    json_out: Annotated[
        str | None, typer.Option("--json", help="write the profile JSON to PATH or -")
    ] = None,
    top: Annotated[
        int | None,
        typer.Option(
            help=f"show the N layers with the most MACs (default: all up to {DEFAULT_TOP} "
            f"layers, else the top {DEFAULT_TOP}; 0: all)",
            min=0,
        ),
    ] = None,
) -> None:
    """Count a workload without hardware: MACs, FLOPs, params, weight and activation bytes.

    Activation memory is planned on the graph as deployed (batch norm folded, activations
    fused); --planning inplace also writes depthwise and element-wise ops over their input.
    """
    from hwsim.commands.base import onnx_params
    from hwsim.workload import Workload, load_workload
    from hwsim.workload.profile import profile_dict

    deployment = profile_deployment(planning, patches)
    schedule = schedule_or_fail(memory_schedule)

    try:
        w = load_workload(
            workload,
            batch=batch,
            dtype=dtype,
            resolution=resolution,
            width=width,
            head=head,
            seq_len=seq_len,
            unpadded_len=unpadded_len,
            prompt_len=prompt_len,
            gen_len=gen_len,
            kv_dtype=kv_dtype,
            **onnx_params(dim, allow_unsupported),
        )
        summary = sched = None
        if (patches or schedule != "given") and not isinstance(w, Workload):
            raise fail("--patches and --memory-schedule need a graph workload (not a decoder LLM)")
        if isinstance(w, Workload):
            if schedule != "given":
                sched = schedule_dict(w, deployment)
            w, summary = apply_patch_option(w, patches, patch_stages, deployment)
        d = profile_dict(w, deployment)
        if summary is not None:
            d["patches"] = summary.to_dict()
            d["patches"]["planning"] = deployment.planning
            d["patches"]["fusions"] = list(deployment.fusions)
        if sched is not None:
            d["memory_schedule"] = sched
    except HwsimError as exc:
        raise fail(exc) from None
    console = err if json_out == "-" else out
    _print_profile(d, console, layers=json_out != "-", top=top)  # --json -: stdout is JSON
    if summary is not None:
        print_patches(summary, console, inplace=deployment.planning == "inplace")
        if planning is None:
            console.print(
                "planned as the patch runtime deploys (TinyEngine, MCUNetV2: in-place "
                "depthwise, fused residual adds); --planning liveness to compare",
                soft_wrap=True,
            )
    if sched is not None:
        print_schedule(sched, console)
    if json_out:
        text = json.dumps(d, indent=2, allow_nan=False) + "\n"
        if json_out == "-":
            sys.stdout.write(text)
            return
        from hwsim.textio import write_atomic

        try:
            write_atomic(json_out, text)
        except OSError as exc:
            raise fail(f"cannot write {json_out}: {exc.strerror or exc}") from None
