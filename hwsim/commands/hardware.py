"""``hwsim list hardware``, ``hwsim show hardware`` and ``hwsim schema``."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Annotated

import typer

from hwsim.commands.base import app, fail, list_app, out, show_app
from hwsim.errors import HwsimError

if TYPE_CHECKING:
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
