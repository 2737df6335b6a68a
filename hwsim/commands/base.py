"""What every ``hwsim`` command shares: the Typer app, consoles, option types, errors.

Commands (``hwsim/cli.py`` and the modules of this package) import from here; nothing
here imports a command, so there is no import cycle between the CLI and its commands.
"""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from hwsim.commands.usage import OneLineErrors
from hwsim.errors import HwsimError
from hwsim.vocabulary import DTYPE_BYTES, PRECISIONS

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="hwsim: how fast, how much energy and memory a neural network needs on a chip.",
    pretty_exceptions_enable=False,
    cls=OneLineErrors,
)
list_app = typer.Typer(no_args_is_help=True, help="List built-in hardware or workloads.")
show_app = typer.Typer(no_args_is_help=True, help="Show a hardware spec with SI values.")
app.add_typer(list_app, name="list")
app.add_typer(show_app, name="show")

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


out = Console(highlight=False)
err = Console(stderr=True, highlight=False)


FLAGS = {"dims": "--dim"}
"""Library parameter -> CLI flag, where the flag is not ``--`` + the name with dashes."""


def fail(message: str | HwsimError) -> typer.Exit:
    """Print a one-line error (library parameters spelled as flags); return the Exit to raise.

    The message is plain text: ``pip install 'hwsim[sweep]'`` keeps its brackets."""
    if isinstance(message, HwsimError):
        message = message.spelled(FLAGS)
    err.print(f"[bold red]error:[/] {escape(message)}", soft_wrap=True)
    return typer.Exit(code=2)


def onnx_params(dim: list[str] | None, allow_unsupported: bool) -> dict[str, object]:
    """``--dim NAME=VALUE`` and ``--allow-unsupported`` as load_workload parameters."""
    params: dict[str, object] = {}
    if dim:
        dims = {}
        for item in dim:
            key, sep, val = item.partition("=")
            if not sep or not val.strip().isdigit():
                raise fail(f"--dim expects NAME=INTEGER, got {item!r}")
            dims[key.strip()] = int(val)
        params["dims"] = dims
    if allow_unsupported:
        params["allow_unsupported"] = True
    return params


def write_json(data: object, path: str) -> None:
    """Write ``data`` as JSON to ``path`` atomically, or to stdout for ``-``."""
    text = json.dumps(data, indent=2, allow_nan=False) + "\n"
    if path == "-":
        sys.stdout.write(text)
    else:
        from hwsim.textio import write_atomic

        write_atomic(path, text)
