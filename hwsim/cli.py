"""Command-line interface: ``hwsim ...`` (Typer over the public API)."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from hwsim.errors import HwsimError
from hwsim.spec import HardwareSpec, builtin_hardware_names, load_hardware

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="hwsim: how fast, how much energy and memory a neural network needs on a chip.",
    pretty_exceptions_enable=False,
)
list_app = typer.Typer(no_args_is_help=True, help="List built-in hardware or workloads.")
show_app = typer.Typer(no_args_is_help=True, help="Show a hardware spec with SI values.")
app.add_typer(list_app, name="list")
app.add_typer(show_app, name="show")

out = Console(highlight=False)
err = Console(stderr=True, highlight=False)


def fail(message: str) -> typer.Exit:
    """Print a one-line error and return the Exit to raise."""
    err.print(f"[bold red]error:[/] {message}", soft_wrap=True)
    return typer.Exit(code=2)


@list_app.command("hardware")
def list_hardware() -> None:
    """Built-in chips: name, kind, one-line summary."""
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
    from hwsim.units import Dimension, format_quantity

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
            format_quantity(m.capacity, Dimension.BYTES),
            format_quantity(m.read_bw, Dimension.BYTES_PER_S),
            format_quantity(m.write_bw, Dimension.BYTES_PER_S),
            format_quantity(m.read_j_per_byte, Dimension.JOULES_PER_BYTE),
            format_quantity(m.write_j_per_byte, Dimension.JOULES_PER_BYTE),
            ", ".join(m.holds) or "-",
        )
    out.print(t)
    out.print(f"static power: {format_quantity(spec.power.static, Dimension.WATTS)}")
    out.print(f"profiles: {', '.join(spec.profiles)} (default {spec.default_profile})")


@show_app.command("hardware")
def show_hardware(
    name: Annotated[str, typer.Argument(help="built-in chip name or path to a YAML spec")],
    as_json: Annotated[
        bool, typer.Option("--json", help="print normalised SI values as JSON")
    ] = False,
) -> None:
    """Show one chip with every quantity normalised to SI units."""
    try:
        spec = load_hardware(name)
    except HwsimError as exc:
        raise fail(str(exc)) from None
    if as_json:
        sys.stdout.write(json.dumps(spec.model_dump(mode="python"), indent=2, default=str) + "\n")
    else:
        _show_spec(spec)


@app.command("schema")
def schema(
    kind: Annotated[str, typer.Argument(help="hardware (default) or profile")] = "hardware",
) -> None:
    """Print the JSON Schema of the hardware spec (or software profile) format."""
    from hwsim.spec import SoftwareProfile

    models = {"hardware": HardwareSpec, "profile": SoftwareProfile}
    if kind not in models:
        raise fail(f"unknown schema {kind!r}; choose hardware or profile")
    sys.stdout.write(json.dumps(models[kind].model_json_schema(), indent=2) + "\n")


def main() -> None:
    """Entry point of the ``hwsim`` console script."""
    try:
        app()
    except HwsimError as exc:  # pragma: no cover - commands catch their own
        err.print(f"[bold red]error:[/] {exc}", soft_wrap=True)
        raise SystemExit(2) from None
