"""Command-line interface: ``hwsim ...`` (Typer over the public API).

The commands live in :mod:`hwsim.commands` (one module each, decorated onto the Typer app
of :mod:`hwsim.commands.base`). :func:`main` is the ``hwsim`` entry point: a plain
``hwsim run`` command line runs without Typer (:mod:`hwsim.commands.run_core`), every
other one through the app. ``hwsim.cli.app`` (and the other names the commands define)
load the whole app on first use.
"""

from __future__ import annotations

import gc
import sys
from collections.abc import Sequence
from typing import Any

from hwsim.commands.console import FLAGS, err, escape
from hwsim.errors import HwsimError


def __getattr__(name: str) -> Any:
    """``app``, the commands and their helpers, from the modules of :mod:`hwsim.commands`."""
    if name.startswith("__"):  # (the import system asks for __path__ and such)
        raise AttributeError(name)
    import importlib

    from hwsim.commands import register_all

    register_all()
    for module in ("base", "hardware", "run", "run_core", "console"):
        mod = importlib.import_module(f"hwsim.commands.{module}")
        if hasattr(mod, name):
            return getattr(mod, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _run_without_typer(argv: Sequence[str]) -> bool:
    """Run ``hwsim run ...`` when its command line needs no Typer to read; False if it does.

    Exits as the Typer app would: the status of an error (2), 130 on Ctrl-C, 1 and
    "aborted" on end of input, 1 quietly on a closed pipe (``hwsim run ... | head``).
    """
    if argv[:1] != ["run"]:
        return False
    from hwsim.commands.run_core import parse_run_args, run_command

    args = parse_run_args(argv[1:])
    if args is None:
        return False
    # One run allocates its objects once and keeps nearly all of them to the end (modules,
    # spec models, the graph, the result): cyclic collections while it imports and
    # simulates would walk a growing heap to free almost nothing (4-20 % of the CPU time;
    # peak memory without them +1 %, measured up to Llama-2-70B on 8 GPUs). Not with --plots
    # or --html: matplotlib's figures are reference cycles holding their pixel buffers, and
    # without collections they pile up (Llama-2-7B's plots: +35 MB at the peak, +29 %).
    collecting = gc.isenabled()
    if not (args.get("plots") or args.get("html_out")):
        gc.disable()
    try:
        run_command(**args)
    except KeyboardInterrupt:
        raise SystemExit(130) from None
    except EOFError:
        sys.stderr.write("\naborted\n")
        raise SystemExit(1) from None
    except OSError as exc:
        import errno

        if exc.errno != errno.EPIPE:
            raise
        try:  # recent typer vendors its own copy of click
            from typer._click.utils import PacifyFlushWrapper
        except ImportError:  # typer before 0.26, on top of click
            from click.utils import PacifyFlushWrapper  # type: ignore[no-redef]

        sys.stdout = PacifyFlushWrapper(sys.stdout)
        sys.stderr = PacifyFlushWrapper(sys.stderr)
        raise SystemExit(1) from None
    except Exception as exc:
        import typer

        if isinstance(exc, typer.Exit):  # raised by fail(): the message is printed
            raise SystemExit(exc.exit_code) from None
        raise
    finally:
        if collecting:
            gc.enable()
    return True


def main() -> None:
    """Entry point of the ``hwsim`` console script."""
    argv = sys.argv[1:]
    try:
        if not _run_without_typer(argv):
            from hwsim.commands import register_all
            from hwsim.commands.base import app_for

            register_all()
            app_for(argv)()
    except HwsimError as exc:  # pragma: no cover - commands catch their own
        err.print(f"[bold red]error:[/] {escape(exc.spelled(FLAGS))}", soft_wrap=True)
        raise SystemExit(2) from None
    finally:
        # The process ends now. Moving every object out of the cyclic collector's way spares
        # the interpreter's collections at exit from walking them all (~45 ms after a run:
        # numpy, pydantic, rich and the spec models make ~45,000 tracked objects). Nothing is
        # lost: standard streams are flushed and atexit handlers run as before.
        gc.freeze()
