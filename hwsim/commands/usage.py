"""Command groups of the CLI: usage errors as one line, and a command list in full.

Click prints a usage panel of several lines for usage errors (a flag of the wrong type, an
unknown option); hwsim prints one ``error:`` line naming the option and exits 2, like every
other bad input.
"""

from __future__ import annotations

import inspect
import sys
from collections.abc import Sequence
from typing import Any

import typer
from typer.core import TyperGroup

try:  # recent typer vendors its own copy of click
    from typer._click import exceptions as _cx
except ImportError:  # pragma: no cover - typer on top of click
    from click import exceptions as _cx  # type: ignore[no-redef]

_NO_ARGS: tuple[type[BaseException], ...] = tuple(
    c for c in (getattr(_cx, "NoArgsIsHelpError", None),) if c is not None
)


def summary(command: Any) -> str:
    """The first paragraph of a command's help on one line (its ``short_help`` if set)."""
    text = inspect.cleandoc(command.short_help or command.help or "")
    return " ".join(text.split("\n\n")[0].split())


class FullHelpGroup(TyperGroup):
    """A command group whose help lists each command's whole summary, wrapped.

    Click's plain help cuts a summary to what fits on one line ("Run every WORKLOAD on
    every chip: latency, throughput,..."); the summaries are written to be read whole.
    """

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        """Write the ``Commands:`` section: name and summary of each visible command."""
        rows = []
        for name in self.list_commands(ctx):
            cmd = self.get_command(ctx, name)
            if cmd is not None and not cmd.hidden:
                rows.append((name, summary(cmd)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


class OneLineErrors(FullHelpGroup):
    """The root command group: usage errors become ``error: <what> (see hwsim CMD --help)``."""

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        windows_expand_args: bool = True,
        **extra: Any,
    ) -> Any:
        """Run the command line; a usage error prints one line and exits with status 2."""
        if not standalone_mode:
            return super().main(
                args, prog_name, complete_var, standalone_mode, windows_expand_args, **extra
            )
        try:
            rv = super().main(args, prog_name, complete_var, False, windows_expand_args, **extra)
        except _NO_ARGS as exc:
            exc.show()  # type: ignore[attr-defined]
            sys.exit(exc.exit_code)  # type: ignore[attr-defined]
        except _cx.UsageError as exc:
            where = exc.ctx.command_path if exc.ctx is not None else "hwsim"
            _one_line(f"{exc.format_message()} (see '{where} --help')")
            sys.exit(exc.exit_code)
        except _cx.ClickException as exc:
            _one_line(exc.format_message())
            sys.exit(exc.exit_code)
        except typer.Abort:
            sys.stderr.write("aborted\n")
            sys.exit(1)
        if isinstance(rv, int) and not isinstance(rv, bool):
            sys.exit(rv)  # typer.Exit(code) comes back as its code when not standalone
        return rv


def _one_line(message: str) -> None:
    from hwsim.commands.base import err

    text = " ".join(message.split())
    err.print(f"[bold red]error:[/] {text}", soft_wrap=True, markup=True, highlight=False)
