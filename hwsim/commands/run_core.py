"""What ``hwsim run`` does, without Typer: :func:`run_command`, and :func:`parse_run_args`
for the plain command lines that need no Typer to read.

``hwsim run MODEL -H CHIP [options]`` is the CLI call users script by the thousand; Typer
(with the pydantic adapters it builds for every option) is a fifth of its start-up. The
``hwsim`` entry point (:func:`hwsim.cli.main`) reads a ``run`` command line here when every
token is one :func:`parse_run_args` knows for sure how Typer reads, and calls
:func:`run_command` itself; anything else (help, a repeated or unknown option, a value
Typer would reject or read otherwise, ``--patches``, ``--dim``) goes through Typer
(:mod:`hwsim.commands.run`), which calls the same :func:`run_command`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from hwsim.commands.console import err, escape, fail, onnx_params, out, write_json
from hwsim.errors import HwsimError

if TYPE_CHECKING:
    from rich.console import Console

    from hwsim.engine.result import SimulationResult


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


def run_command(
    workload: str,
    hardware: str,
    batch: int | None = None,
    dtype: str | None = None,
    profile: str | None = None,
    resolution: int | None = None,
    width: float | None = None,
    head: str | None = None,
    seq_len: int | None = None,
    unpadded_len: float | None = None,
    prompt_len: int | None = None,
    gen_len: int | None = None,
    kv_dtype: str | None = None,
    dim: list[str] | None = None,
    allow_unsupported: bool = False,
    strict_memory: bool = False,
    patches: str | None = None,
    patch_stages: str = "auto",
    tp: int = 1,
    pp: int = 1,
    microbatches: int = 1,
    ep: bool = False,
    clock: str | None = None,
    operating_point: str | None = None,
    power_cap: str | None = None,
    rate: float | None = None,
    battery: str | None = None,
    electricity_price: float | None = None,
    carbon_intensity: float | None = None,
    chip_price: float | None = None,
    lifetime_years: float | None = None,
    optimize: str = "latency",
    json_out: str | None = None,
    csv_out: str | None = None,
    trace_out: str | None = None,
    plots: str | None = None,
    html_out: str | None = None,
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


# --------------------------------------------------------------------------- without Typer

_VALUE_OPTIONS: dict[str, tuple[str, type]] = {
    "--hardware": ("hardware", str),
    "-H": ("hardware", str),
    "--batch": ("batch", int),
    "--dtype": ("dtype", str),
    "--profile": ("profile", str),
    "--resolution": ("resolution", int),
    "--width": ("width", float),
    "--head": ("head", str),
    "--seq-len": ("seq_len", int),
    "--unpadded-len": ("unpadded_len", float),
    "--prompt-len": ("prompt_len", int),
    "--gen-len": ("gen_len", int),
    "--kv-dtype": ("kv_dtype", str),
    "--patch-stages": ("patch_stages", str),
    "--tp": ("tp", int),
    "--pp": ("pp", int),
    "--microbatches": ("microbatches", int),
    "--clock": ("clock", str),
    "--operating-point": ("operating_point", str),
    "--power-cap": ("power_cap", str),
    "--rate": ("rate", float),
    "--battery": ("battery", str),
    "--electricity-price": ("electricity_price", float),
    "--carbon-intensity": ("carbon_intensity", float),
    "--chip-price": ("chip_price", float),
    "--lifetime-years": ("lifetime_years", float),
    "--optimize": ("optimize", str),
    "--json": ("json_out", str),
    "--csv": ("csv_out", str),
    "--trace": ("trace_out", str),
    "--plots": ("plots", str),
    "--html": ("html_out", str),
}
"""``hwsim run`` options that take one value: the parameter of :func:`run_command` and the
value's type (tests/unit/ux/test_run_args.py checks this table against the Typer command)."""

_FLAG_OPTIONS: dict[str, tuple[str, bool]] = {
    "--strict-memory": ("strict_memory", True),
    "--no-strict-memory": ("strict_memory", False),
    "--ep": ("ep", True),
    "--no-ep": ("ep", False),
    "--allow-unsupported": ("allow_unsupported", True),
    "--no-allow-unsupported": ("allow_unsupported", False),
}
"""``hwsim run`` on/off flags: the parameter and the value each spelling sets."""

# Numbers as Typer reads them alike (pydantic's int / float from a string): plain digits,
# a decimal point, an exponent; signs, spaces, underscores, inf and nan go to Typer.
_INT = re.compile(r"0|[1-9][0-9]{0,17}")
_FLOAT = re.compile(r"[0-9]{1,20}(\.[0-9]{1,20})?([eE][+-]?[0-9]{1,2})?")


def parse_run_args(argv: Sequence[str]) -> dict[str, Any] | None:
    """The arguments of :func:`run_command` for ``hwsim run ARGV``, or None.

    None means "let Typer read it": help, an option given twice, ``--dim``, ``--patches``
    (they load more of the CLI anyway), an unknown option, a short option with its value
    attached, a value that starts with ``-`` (other than ``-`` for stdout), a number not in
    plain decimal digits, a missing WORKLOAD or ``--hardware``, a second WORKLOAD. Every
    command line read here is one Typer reads to the same arguments (checked by
    tests/unit/ux/test_run_args.py); Typer's messages for the others stay its own.
    """
    args: dict[str, Any] = {}
    workload: str | None = None
    tokens = iter(argv)
    for token in tokens:
        if not token.startswith("-"):
            if workload is not None:
                return None
            workload = token
            continue
        name, eq, attached = token.partition("=")
        value: object
        if name in _FLAG_OPTIONS and not eq:
            param, value = _FLAG_OPTIONS[name]
        elif name in _VALUE_OPTIONS and (name.startswith("--") or not eq):
            text = attached if eq else next(tokens, None)
            if text is None or (text.startswith("-") and text != "-"):
                return None  # (a missing value, or one Typer may read as an option)
            param, kind = _VALUE_OPTIONS[name]
            if kind is str:
                value = text
            elif (_INT if kind is int else _FLOAT).fullmatch(text):
                value = kind(text)
            else:
                return None
        else:
            return None
        if param in args:
            return None
        args[param] = value
    if workload is None or "hardware" not in args:
        return None
    return {"workload": workload, **args}
