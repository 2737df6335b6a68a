"""``hwsim --version``."""

from __future__ import annotations

from typing import Annotated

import typer

from hwsim.commands.base import app, out


def _print_version(value: bool) -> None:
    if value:
        from hwsim import __version__

        out.print(f"hwsim {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_print_version, is_eager=True, help="print the version and exit"
        ),
    ] = False,
) -> None:
    """hwsim: how fast, how much energy and memory a neural network needs on a chip."""
