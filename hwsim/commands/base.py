"""What every ``hwsim`` command shares: the Typer app, consoles, option types, errors.

The commands (the modules of this package) import from here; nothing here imports a
command, so there is no import cycle between the CLI and its commands. The consoles,
``fail`` and ``write_json`` live in :mod:`hwsim.commands.console` (no Typer) and are
re-exported here.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Annotated

import typer

from hwsim.commands.console import (
    FLAGS,
    LazyConsole,
    err,
    escape,
    fail,
    onnx_params,
    out,
    real_console,
    write_json,
)
from hwsim.commands.usage import FullHelpGroup, OneLineErrors
from hwsim.vocabulary import DTYPE_BYTES, PRECISIONS

__all__ = [
    "FLAGS",
    "LazyConsole",
    "app",
    "app_for",
    "command_group",
    "err",
    "escape",
    "fail",
    "list_app",
    "onnx_params",
    "out",
    "real_console",
    "show_app",
    "write_json",
]

# Help is click's plain formatter (rich_markup_mode=None): Typer's rich help imports rich's
# Markdown, traceback and pretty-printing modules and renders panels, ~3x the time of the
# rest of ``hwsim --help``. FullHelpGroup lists each command's whole summary line.
app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="hwsim: how fast, how much energy and memory a neural network needs on a chip.",
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    cls=OneLineErrors,
)


def command_group(help_text: str) -> typer.Typer:
    """A ``hwsim GROUP COMMAND`` group (add it with ``app.add_typer``), with the same help."""
    return typer.Typer(
        no_args_is_help=True, help=help_text, rich_markup_mode=None, cls=FullHelpGroup
    )


list_app = command_group("List built-in hardware or workloads.")
show_app = command_group("Show a hardware spec with SI values.")
app.add_typer(list_app, name="list")
app.add_typer(show_app, name="show")


def app_for(argv: Sequence[str]) -> typer.Typer:
    """``app`` holding only the command ``argv`` starts with, when it names one.

    Typer turns the signature of every registered command into click options each time the
    app runs (~20 ms for all of them); ``hwsim run ...`` needs only ``run``'s. Anything else
    (no arguments, an option first, an unknown name) gets the whole app, so help, usage
    errors and "did you mean" see every command.
    """
    if not argv or argv[0].startswith("-") or app.registered_callback is None:
        return app  # (without the root callback, Typer would make a lone command the root)
    commands = [c for c in app.registered_commands if c.name == argv[0]]
    groups = [g for g in app.registered_groups if g.name == argv[0]]
    if not commands and not groups:
        return app
    one = copy.copy(app)
    one.registered_commands = commands
    one.registered_groups = groups
    return one


# Option types shared by every command that loads a workload (run, profile, serve, ...).
BatchOpt = Annotated[int | None, typer.Option(help="batch size")]
DtypeOpt = Annotated[
    str | None,
    typer.Option(
        help=", ".join(PRECISIONS) + " (default: the chip's native dtype, fp32 where it runs "
        "fp32, else its widest format)"
    ),
]
ProfileOpt = Annotated[str | None, typer.Option(help="software profile name or YAML")]
ResolutionOpt = Annotated[int | None, typer.Option(help="input resolution (image models)")]
WidthOpt = Annotated[float | None, typer.Option(help="width multiplier (MobileNets)")]
HeadOpt = Annotated[
    str | None,
    typer.Option(help="MobileNetV2 last 1x1 conv: full (1280 below width 1) or scaled (x width)"),
]
SeqLenOpt = Annotated[int | None, typer.Option(help="sequence length (encoders)")]
UnpaddedLenOpt = Annotated[
    float | None,
    typer.Option(help="encoders: samples' mean real tokens; the batch runs unpadded (packed)"),
]
PromptLenOpt = Annotated[int | None, typer.Option(help="prompt tokens (decoders)")]
GenLenOpt = Annotated[int | None, typer.Option(help="generated tokens (decoders)")]
KvDtypeOpt = Annotated[
    str | None, typer.Option(help="KV-cache dtype (decoders): " + ", ".join(DTYPE_BYTES))
]
DimOpt = Annotated[list[str] | None, typer.Option(help="ONNX dynamic dim NAME=VALUE")]
ClockOpt = Annotated[
    str | None, typer.Option(help="run at this clock, e.g. '140 MHz' (voltage from the spec)")
]
OperatingPointOpt = Annotated[
    str | None, typer.Option(help="run at the spec's operating point NAME")
]
PowerCapOpt = Annotated[
    str | None,
    typer.Option(help="power cap, e.g. '200 W' (overrides power.cap; ops above it throttle)"),
]
AllowUnsupportedOpt = Annotated[
    bool, typer.Option(help="ONNX: list unknown ops instead of failing")
]
