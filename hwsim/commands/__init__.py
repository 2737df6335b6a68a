"""``hwsim`` commands, one module each.

Each command module decorates its commands onto the Typer app of
:mod:`hwsim.commands.base`; :func:`register_all` imports them all (``hwsim.cli`` does before
it runs the app). Importing this package alone registers nothing, so that the modules
without Typer (:mod:`~hwsim.commands.console`, :mod:`~hwsim.commands.run_core`) load
without it. A new command is a new module here.
"""

import importlib
import pkgutil

_LAST = ("hardware", "run")
"""Registered after the others, in this order: Typer lists commands in the order they were
registered, and these were defined in ``hwsim/cli.py``, after the others."""


def register_all() -> None:
    """Import every command module (each registers its commands on the app once)."""
    names = sorted(m.name for m in pkgutil.iter_modules(__path__))
    for name in [n for n in names if n not in _LAST] + list(_LAST):
        importlib.import_module(f"{__name__}.{name}")
