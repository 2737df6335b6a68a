"""Where the built-in hardware specs and workloads live (wheel or source checkout)."""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path


@cache
def builtin_dir(kind: str) -> Path:
    """Folder of built-in ``hardware_specs`` or ``workloads``.

    In an installed wheel they are package data under ``hwsim/_data``; in a source
    checkout (editable install) they are the top-level folders of the repository.
    """
    packaged = Path(str(resources.files("hwsim") / "_data" / kind))
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parent.parent / kind
