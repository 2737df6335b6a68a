"""``hwsim run``: the Typer command (options, help, usage errors) over :func:`run_command`.

A plain ``hwsim run`` command line skips Typer altogether (:mod:`hwsim.commands.run_core`);
this command reads every other one. Both call the same :func:`run_core.run_command`. An option
added here is added to ``run_command`` and to run_core's option tables too
(tests/unit/ux/test_run_args.py checks that the three agree). An option whose value Typer
reads by more than its type (a callback, parser, ``min``/``max``, ``envvar``, ...) stays out
of the tables: the fast path would skip that (the same test lists such options).
"""

from __future__ import annotations

from typing import Annotated

import typer

from hwsim.commands import run_core
from hwsim.commands.base import (
    AllowUnsupportedOpt,
    BatchOpt,
    ClockOpt,
    DimOpt,
    DtypeOpt,
    GenLenOpt,
    HeadOpt,
    KvDtypeOpt,
    OperatingPointOpt,
    PowerCapOpt,
    ProfileOpt,
    PromptLenOpt,
    ResolutionOpt,
    SeqLenOpt,
    UnpaddedLenOpt,
    WidthOpt,
    app,
)


@app.command("run")
def run(
    workload: Annotated[str, typer.Argument(help="built-in workload name or model file")],
    hardware: Annotated[
        str, typer.Option("--hardware", "-H", help="built-in chip or system, or a spec YAML")
    ],
    batch: BatchOpt = None,
    dtype: DtypeOpt = None,
    profile: ProfileOpt = None,
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
    strict_memory: Annotated[bool, typer.Option(help="fail when the model does not fit")] = False,
    patches: Annotated[
        str | None,
        typer.Option(help="run the first ops per patch (MCUNetV2), a grid like 4x4"),
    ] = None,
    patch_stages: Annotated[
        str, typer.Option(help="ops run per patch: a count, the last op's name, or auto")
    ] = "auto",
    tp: Annotated[int, typer.Option(help="tensor-parallel devices (on a system)")] = 1,
    pp: Annotated[int, typer.Option(help="pipeline-parallel stages (on a system)")] = 1,
    microbatches: Annotated[int, typer.Option(help="pipeline micro-batches (--pp)")] = 1,
    ep: Annotated[
        bool, typer.Option(help="expert parallelism: MoE experts spread over the --tp devices")
    ] = False,
    clock: ClockOpt = None,
    operating_point: OperatingPointOpt = None,
    power_cap: PowerCapOpt = None,
    rate: Annotated[
        float | None, typer.Option(help="inferences per second: duty-cycled average power")
    ] = None,
    battery: Annotated[
        str | None, typer.Option(help="battery, e.g. '1000 mAh@3.7V' or '3.7 Wh' (with --rate)")
    ] = None,
    electricity_price: Annotated[
        float | None, typer.Option(help="USD per kWh: cost per 1M inferences / tokens")
    ] = None,
    carbon_intensity: Annotated[
        float | None, typer.Option(help="grid gCO2e per kWh: carbon per 1M inferences / tokens")
    ] = None,
    chip_price: Annotated[
        float | None, typer.Option(help="chip price in USD, spread over --lifetime-years")
    ] = None,
    lifetime_years: Annotated[
        float | None, typer.Option(help="chip service life for --chip-price (default 3)")
    ] = None,
    optimize: Annotated[
        str, typer.Option(help="what each op's mapping search minimises: latency or energy")
    ] = "latency",
    json_out: Annotated[
        str | None, typer.Option("--json", help="write the result JSON to PATH or -")
    ] = None,
    csv_out: Annotated[
        str | None, typer.Option("--csv", help="write one row per layer to PATH")
    ] = None,
    trace_out: Annotated[
        str | None, typer.Option("--trace", help="write a Chrome trace JSON")
    ] = None,
    plots: Annotated[
        str | None, typer.Option(help="write roofline/energy/memory/timeline PNGs to DIR")
    ] = None,
    html_out: Annotated[
        str | None, typer.Option("--html", help="write a self-contained HTML report to PATH")
    ] = None,
) -> None:
    """Simulate WORKLOAD on a chip or a system (--tp, --pp): latency, energy, memory fit."""
    run_core.run_command(**locals())
