"""``hwsim`` commands that live in their own modules.

Importing this package imports every module in it; each decorates its commands onto the
Typer app of :mod:`hwsim.commands.base`, which ``hwsim.cli`` runs. A new command is a new
module here.
"""

import importlib
import pkgutil

for _mod in sorted(m.name for m in pkgutil.iter_modules(__path__)):
    importlib.import_module(f"{__name__}.{_mod}")
