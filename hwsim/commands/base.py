"""What every ``hwsim`` command shares: the Typer app, consoles, option types, errors.

Commands (``hwsim/cli.py`` and the modules of this package) import from here; nothing
here imports a command, so there is no import cycle between the CLI and its commands.
"""

from __future__ import annotations

import copy
import json
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Annotated, Any, cast

import typer

from hwsim.commands.usage import FullHelpGroup, OneLineErrors
from hwsim.errors import HwsimError
from hwsim.vocabulary import DTYPE_BYTES, PRECISIONS

if TYPE_CHECKING:
    from rich.console import Console

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


class LazyConsole:
    """A rich ``Console`` made on first use; attribute access goes to it.

    rich takes ~20 ms to import and ``hwsim --help`` prints nothing through it. Hand rich
    objects that use the console as a context manager (``Progress``) :func:`real_console`.
    """

    def __init__(self, **options: Any) -> None:
        self._options = options
        self._console: Console | None = None

    @property
    def console(self) -> Console:
        """The Console itself (made now if not yet)."""
        if self._console is None:
            from rich.console import Console

            self._console = Console(**self._options)
        return self._console

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):  # own state not set yet (copy, pickle): not the Console's
            raise AttributeError(name)
        return getattr(self.console, name)

    def __setattr__(self, name: str, value: Any) -> None:
        if name.startswith("_"):
            object.__setattr__(self, name, value)
        else:  # e.g. ``out.width = 300``
            setattr(self.console, name, value)


def real_console(console: Console) -> Console:
    """The rich Console behind ``console`` (``out``/``err`` are made on first use)."""
    lazy: Any = console
    return lazy.console if isinstance(lazy, LazyConsole) else console


# emoji=False: a layer or file name such as "a:fire:b" is data, not an emoji code (and
# rich then skips an emoji search of every string it prints).
out = cast("Console", LazyConsole(highlight=False, emoji=False))
err = cast("Console", LazyConsole(stderr=True, highlight=False, emoji=False))


FLAGS = {"dims": "--dim"}
"""Library parameter -> CLI flag, where the flag is not ``--`` + the name with dashes."""


def escape(text: str) -> str:
    """``text`` with rich markup escaped (rich.markup.escape, imported when first needed)."""
    from rich.markup import escape as rich_escape

    return rich_escape(text)


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
