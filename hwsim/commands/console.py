"""What every ``hwsim`` command prints with: the consoles, errors, JSON output. No Typer.

``hwsim run`` with a plain command line runs without Typer (see :mod:`hwsim.commands.run_core`),
so what it shares with the other commands lives here; :mod:`hwsim.commands.base` re-exports it.
"""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Any, cast

from hwsim.errors import HwsimError

if TYPE_CHECKING:
    import typer
    from rich.console import Console


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

    The message is plain text: ``pip install 'hwsim[sweep]'`` keeps its brackets. (Typer is
    imported here, on the way out, not by a command that succeeds.)"""
    import typer

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
