"""Command-line usage errors (a flag of the wrong type, an unknown option) as one line.

Click prints a usage panel of several lines for these; hwsim prints one ``error:`` line
naming the option and exits 2, like every other bad input.
"""

from __future__ import annotations

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


class OneLineErrors(TyperGroup):
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
