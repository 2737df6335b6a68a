"""Command-line interface: ``hwsim ...`` (Typer over the public API)."""

from __future__ import annotations

import gc
import json
import sys
from typing import TYPE_CHECKING, Annotated, Any

import typer

import hwsim.commands  # noqa: F401  (registers the commands of hwsim/commands/*.py on app)
from hwsim.commands.base import (
    FLAGS,
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
    app_for,
    err,
    escape,
    fail,
    list_app,
    onnx_params,
    out,
    show_app,
    write_json,
)
from hwsim.errors import HwsimError

if TYPE_CHECKING:
    from rich.console import Console

    from hwsim.engine.result import SimulationResult
    from hwsim.hardware import HardwareSpec


@list_app.command("hardware")
def list_hardware() -> None:
    """Built-in chips: name, kind, one-line summary."""
    from rich.table import Table

    from hwsim.hardware import builtin_hardware_names, load_hardware

    table = Table(title="built-in hardware")
    table.add_column("name")
    table.add_column("kind")
    table.add_column("summary")
    for name in builtin_hardware_names():
        try:
            spec = load_hardware(name)
        except HwsimError as exc:
            table.add_row(name, "?", f"[red]invalid: {exc}[/]")
            continue
        table.add_row(name, spec.kind, spec.summary())
    out.print(table)


def _show_spec(spec: HardwareSpec) -> None:
    from rich.table import Table

    from hwsim.units import Dimension, format_bytes_iec, format_quantity

    out.print(f"[bold]{spec.name}[/] ({spec.kind}) {spec.description}")
    if spec.process_node:
        out.print(f"process: {spec.process_node}")
    t = Table(title="compute")
    for col in ("name", "kind", "count", "clock", "peak (all instances)", "vector", "array"):
        t.add_column(col)
    for c in spec.compute:
        peaks = ", ".join(
            f"{d.value} {format_quantity(c.count * v, Dimension.OPS_PER_S)}"
            for d, v in c.peak.items()
        )
        t.add_row(
            c.name,
            c.kind,
            str(c.count),
            format_quantity(c.clock, Dimension.HERTZ) if c.clock else "-",
            peaks or "-",
            format_quantity(c.count * c.vector_peak, Dimension.OPS_PER_S) if c.vector_peak else "-",
            f"{c.array.rows}x{c.array.cols}" if c.array else "-",
        )
    out.print(t)
    t = Table(title="memory (nearest first)")
    for col in ("name", "kind", "capacity", "read bw", "write bw", "read E", "write E", "holds"):
        t.add_column(col)
    for m in spec.memory:
        t.add_row(
            m.name,
            m.kind,
            format_bytes_iec(m.capacity),
            format_quantity(m.read_bw, Dimension.BYTES_PER_S),
            format_quantity(m.write_bw, Dimension.BYTES_PER_S),
            format_quantity(m.read_j_per_byte, Dimension.JOULES_PER_BYTE),
            format_quantity(m.write_j_per_byte, Dimension.JOULES_PER_BYTE),
            ", ".join(m.holds) or "-",
        )
    out.print(t)
    _show_power(spec)
    out.print(f"profiles: {', '.join(spec.profiles)} (default {spec.default_profile})")


def _show_power(spec: HardwareSpec) -> None:
    """Power lines of ``hwsim show hardware``: leakage, run current, cap, operating points."""
    from rich.table import Table

    from hwsim.hardware.operating import idle_power, operating_points
    from hwsim.units import Dimension, format_quantity

    pw = spec.power
    line = f"static power: {format_quantity(pw.static, Dimension.WATTS)}"
    if pw.run_current is not None and pw.supply_voltage is not None:
        line += (
            f"; run current {pw.run_current * 1e12:g} uA/MHz at "
            f"{format_quantity(pw.supply_voltage, Dimension.VOLTS)}"
        )
    if pw.cap is not None:
        line += f"; power cap {format_quantity(pw.cap, Dimension.WATTS)}"
    if pw.sleep is not None:
        line += f"; sleep {format_quantity(pw.sleep, Dimension.WATTS)}"
    out.print(line)
    if spec.nominal_clock is None:
        return
    t = Table(title="operating points")
    for col in ("name", "clock", "voltage", "idle power"):
        t.add_column(col)
    for p in operating_points(spec):
        t.add_row(
            p.name,
            format_quantity(p.clock_hz, Dimension.HERTZ),
            format_quantity(p.voltage_v, Dimension.VOLTS) if p.voltage_v else "-",
            format_quantity(idle_power(spec, p), Dimension.WATTS),
        )
    out.print(t)


@show_app.command("hardware")
def show_hardware(
    name: Annotated[str, typer.Argument(help="built-in chip name or path to a YAML spec")],
    as_json: Annotated[
        bool, typer.Option("--json", help="print normalised SI values as JSON")
    ] = False,
) -> None:
    """Show one chip with every quantity normalised to SI units."""
    from hwsim.hardware import load_hardware

    try:
        spec = load_hardware(name)
    except HwsimError as exc:
        raise fail(exc) from None
    if as_json:
        sys.stdout.write(json.dumps(spec.model_dump(mode="python"), indent=2, default=str) + "\n")
    else:
        _show_spec(spec)


@app.command("schema")
def schema(
    kind: Annotated[str, typer.Argument(help="hardware (default) or profile")] = "hardware",
) -> None:
    """Print the JSON Schema of the hardware spec (or software profile) format."""
    from hwsim.hardware import HardwareSpec, SoftwareProfile

    if kind not in ("hardware", "profile"):
        raise fail(f"unknown schema {kind!r}; choose hardware or profile")
    model = HardwareSpec if kind == "hardware" else SoftwareProfile
    sys.stdout.write(json.dumps(model.model_json_schema(), indent=2) + "\n")


def _watts(text: str | None) -> str | float | None:
    """A bare number given to --power-cap is watts; a string with a unit goes to the library."""
    if text is None:
        return None
    try:
        return float(text)
    except ValueError:
        return text


def _clock_text(d: dict[str, object]) -> str:
    """'1.41 GHz', or '1.41 GHz, down to 1.14 GHz under the 400 W cap (42 layers)'."""
    from hwsim.units import Dimension, format_quantity

    clock = float(d["clock_hz"])  # type: ignore[arg-type]
    text = format_quantity(clock, Dimension.HERTZ)
    if d.get("throttled"):
        low = format_quantity(float(d["min_clock_hz"]), Dimension.HERTZ)  # type: ignore[arg-type]
        cap = format_quantity(float(d["power_cap_w"]), Dimension.WATTS)  # type: ignore[arg-type]
        text += f", down to {low} under the {cap} cap ({d['throttled_layers']} layers)"
    return text


def _power_rows(d: dict[str, Any]) -> list[tuple[str, str]]:
    """Summary rows for the duty cycle and the cost/carbon figures, when asked for."""
    from hwsim.units import Dimension, format_quantity

    rows: list[tuple[str, str]] = []
    duty = d.get("duty_cycle")
    if duty:
        rows.append(
            (
                f"average power at {duty['rate_per_s']:g}/s",
                f"{format_quantity(duty['avg_power_w'], Dimension.WATTS)} (busy "
                f"{duty['busy_fraction']:.3%}, sleep "
                f"{format_quantity(duty['sleep_power_w'], Dimension.WATTS)})",
            )
        )
        if "battery_life_s" in duty:
            days = duty["battery_life_days"]
            life = f"{days:,.4g} days" if days >= 1 else f"{days * 24:.4g} h"
            rows.append((f"battery life ({duty['battery']})", life))
    cost = d.get("cost")
    if cost:
        units = sorted(
            {k.split("_per_1m_")[1] for k in cost if "_per_1m_" in k},
            key=["inferences", "requests", "prefill_tokens", "decode_tokens"].index,
        )
        for unit in units:
            parts = []
            if f"usd_per_1m_{unit}" in cost:
                parts.append(f"${cost[f'usd_per_1m_{unit}']:,.4g}")
            if f"gco2e_per_1m_{unit}" in cost:
                parts.append(f"{cost[f'gco2e_per_1m_{unit}']:,.4g} gCO2e")
            if f"hardware_usd_per_1m_{unit}" in cost:
                parts.append(f"hardware ${cost[f'hardware_usd_per_1m_{unit}']:,.4g}")
            parts.append(f"{cost[f'kwh_per_1m_{unit}']:,.4g} kWh")
            rows.append((f"per 1M {unit.replace('_', ' ')}", ", ".join(parts)))
    return rows


def _print_run_summary(result: SimulationResult, console: Console) -> None:
    from rich.table import Table

    from hwsim.report import fmt
    from hwsim.units import Dimension, format_bytes_iec, format_quantity

    d = result.to_dict()
    t = Table(
        title=f"{result.workload} on {result.hardware} ({result.profile}, {result.dtype}, batch {result.batch})"
    )
    t.add_column("metric")
    t.add_column("value", justify="right")
    t.add_row("latency", fmt.duration(result.latency_s))
    t.add_row("throughput", f"{result.throughput_per_s:,.4g} /s")
    t.add_row("energy", format_quantity(result.energy_j, Dimension.JOULES))
    t.add_row("average power", format_quantity(result.avg_power_w, Dimension.WATTS))
    if "clock_hz" in d:
        t.add_row("clock", _clock_text(d))
    t.add_row("MACs / FLOPs (2/MAC)", f"{result.macs:.4g} / {result.flops:.4g}")
    t.add_row(
        "params / weights",
        f"{result.params:,} / {fmt.size(result.weight_bytes)}",
    )
    t.add_row("peak activations", fmt.size(result.peak_activation_bytes))
    decodes = d.get("gen_len", 0) > 1  # TPOT needs at least one decode step
    if "ttft_s" in d:
        t.add_row("TTFT", fmt.duration(d["ttft_s"]))
        t.add_row("TPOT", fmt.duration(d["tpot_s"]) if decodes else "-")
    if "decode_tokens_per_s" in d:
        t.add_row("decode tokens/s", f"{d['decode_tokens_per_s']:,.4g}" if decodes else "-")
        t.add_row("KV cache", fmt.size(d["kv_cache_bytes"]))
    bc = result.bound_counts
    t.add_row(
        "layers compute/memory/overhead/fused",
        f"{bc['compute']}/{bc['memory']}/{bc['overhead']}/{bc.get('fused', 0)}",
    )
    for label, value in _power_rows(d):
        t.add_row(label, value)
    console.print(t)
    e = Table(title="energy breakdown")
    e.add_column("part")
    e.add_column("energy", justify="right")
    e.add_column("share", justify="right")
    for k, v in result.energy_breakdown_j.items():
        share = v / result.energy_j if result.energy_j else 0.0
        e.add_row(k, format_quantity(v, Dimension.JOULES), f"{share:.1%}")
    console.print(e)
    m = Table(title="memory fit")
    for col in ("level", "required", "capacity", "fits"):
        m.add_column(col)
    for k, fit in result.memory_fit.items():
        m.add_row(
            k,
            format_bytes_iec(fit["required_bytes"]),
            format_bytes_iec(fit["capacity_bytes"]),
            "[green]yes[/]" if fit["fits"] else "[bold red]NO[/]",
        )
    console.print(m)


def as_flags(msg: str) -> str:
    """Library messages name parameters (``tp 2``); at the CLI they read as flags."""
    import re

    return re.sub(r"\b(tp|pp) (\d+) or more", r"--\1 \2 or more", msg)


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
    from hwsim.api import simulate

    params: dict[str, object] = {
        "resolution": resolution,
        "width": width,
        "head": head,
        "seq_len": seq_len,
        "unpadded_len": unpadded_len,
        "prompt_len": prompt_len,
        "gen_len": gen_len,
        "kv_dtype": kv_dtype,
    }
    params.update(onnx_params(dim, allow_unsupported))
    console = err if json_out == "-" else out
    patch_info: dict[str, object] | None = None
    try:
        if patches is not None:  # hwsim/commands/memory.py: simulates with and without
            from hwsim.commands.memory import patched_run

            result, patch_info = patched_run(
                workload, hardware, batch, dtype, profile, strict_memory, params,
                patches, patch_stages, console, plots,
                dict(tp=tp, pp=pp, clock=clock, operating_point=operating_point,
                     power_cap=_watts(power_cap)),
            )  # fmt: skip
        else:
            result = simulate(
                workload,
                hardware,
                batch=batch,
                dtype=dtype,
                profile=profile,
                strict_memory=strict_memory,
                tp=tp,
                pp=pp,
                microbatches=microbatches,
                ep=ep,
                clock=clock,
                operating_point=operating_point,
                power_cap=_watts(power_cap),
                rate=rate,
                battery=battery,
                electricity_price=electricity_price,
                carbon_intensity=carbon_intensity,
                chip_price=chip_price,
                lifetime_years=lifetime_years,
                optimize=optimize,
                **params,
            )
    except HwsimError as exc:
        raise fail(exc) from None
    for w in result.warnings:
        err.print(f"[bold yellow]warning:[/] {escape(as_flags(w))}", soft_wrap=True)
    _print_run_summary(result, console)
    if result.parallel:
        from hwsim.commands.parallel import print_parallel

        print_parallel(result, console)
    from hwsim.report.tables import top_layers_table, verdict

    console.print(top_layers_table(result, "latency", width=console.width))
    console.print(top_layers_table(result, "energy", width=console.width))
    console.print(f"[bold]verdict:[/] {escape(verdict(result))}")
    try:
        written: list[str] = []
        if json_out:
            doc = result.to_dict()
            if patch_info is not None:
                doc["patches"] = patch_info
            write_json(doc, json_out)
            if json_out != "-":
                written.append(json_out)
        written += _write_reports(result, csv_out, trace_out, plots, html_out)
    except OSError as exc:
        raise fail(f"cannot write output: {exc}") from None
    for path in written:
        console.print(f"wrote {escape(path)}", soft_wrap=True)


def _write_reports(
    result: SimulationResult,
    csv_out: str | None,
    trace_out: str | None,
    plots: str | None,
    html_out: str | None = None,
) -> list[str]:
    """Write the requested files; returns their paths."""
    written: list[str] = []
    if not (csv_out or trace_out or plots or html_out):
        return written
    from hwsim import report

    if csv_out:
        report.write_csv(result, csv_out)
        written.append(csv_out)
    if trace_out:
        report.write_chrome_trace(result, trace_out)
        written.append(trace_out)
    if plots:
        written += [str(p) for p in report.write_plots(result, plots).values()]
    if html_out:
        from hwsim.report.html import write_html

        written.append(str(write_html([result], html_out)))
    return written


def main() -> None:
    """Entry point of the ``hwsim`` console script."""
    try:
        app_for(sys.argv[1:])()
    except HwsimError as exc:  # pragma: no cover - commands catch their own
        err.print(f"[bold red]error:[/] {escape(exc.spelled(FLAGS))}", soft_wrap=True)
        raise SystemExit(2) from None
    finally:
        # The process ends now. Moving every object out of the cyclic collector's way spares
        # the interpreter's collections at exit from walking them all (~45 ms after a run:
        # numpy, pydantic, rich and the spec models make ~45,000 tracked objects). Nothing is
        # lost: standard streams are flushed and atexit handlers run as before.
        gc.freeze()
