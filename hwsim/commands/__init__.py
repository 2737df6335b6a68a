"""CLI commands that live in their own modules; importing this registers them on ``hwsim.cli.app``.

Each module does ``from hwsim.cli import app, fail, out, err`` and decorates its commands.
Add a module here and to the import list below.
"""

import importlib
import pkgutil

for _mod in sorted(m.name for m in pkgutil.iter_modules(__path__)):
    importlib.import_module(f"{__name__}.{_mod}")
