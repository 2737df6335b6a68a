"""Model-file frontends: a small protocol and the registry they join.

A frontend answers two questions: can it read this path (``can_load``, by name only, or a
folder's contents), and what workload does the file describe (``load``). A frontend module
registers itself with :func:`register_frontend` when imported. The modules of
:mod:`hwsim.workload.frontends` are imported on first use, and so are the objects other
packages publish under the ``hwsim.frontends`` entry-point group: a new file format is one
new module, with no if-chain to edit.
"""

from __future__ import annotations

import importlib
import pkgutil
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from hwsim.errors import WorkloadError
from hwsim.workload.ir import DecoderWorkload, Workload

ENTRY_POINT_GROUP = "hwsim.frontends"


@runtime_checkable
class Frontend(Protocol):
    """Reads one model-file format into a workload."""

    name: str
    """Short name, e.g. ``onnx``."""
    formats: str
    """What it reads, for messages, e.g. ``.onnx file``."""
    params: frozenset[str] | None
    """Parameters ``load`` accepts besides the path; None when ``load`` checks them itself
    (which parameters apply depends on the file's contents)."""

    def can_load(self, path: Path) -> bool:
        """Whether this frontend reads ``path`` (judged by its name, or a folder's files)."""
        ...

    def load(self, path: Path, /, **params: Any) -> Workload | DecoderWorkload:
        """The workload the file describes, with ``params`` applied."""
        ...


_FRONTENDS: dict[str, Frontend] = {}
_DISCOVERED = False


def register_frontend(frontend: Frontend) -> Frontend:
    """Add ``frontend`` to the registry (its name must be new); returns it."""
    if not isinstance(frontend, Frontend):
        raise TypeError(f"{frontend!r} does not implement the Frontend protocol")
    if frontend.name in _FRONTENDS and _FRONTENDS[frontend.name] is not frontend:
        raise RuntimeError(f"model-file frontend {frontend.name!r} registered twice")
    _FRONTENDS[frontend.name] = frontend
    return frontend


def _discover() -> None:
    global _DISCOVERED
    if _DISCOVERED:
        return
    _DISCOVERED = True
    import hwsim.workload.frontends as builtin

    for mod in sorted(m.name for m in pkgutil.iter_modules(builtin.__path__)):
        importlib.import_module(f"{builtin.__name__}.{mod}")
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        obj = ep.load()
        if isinstance(obj, Frontend):
            register_frontend(obj)


def frontends() -> list[Frontend]:
    """Every registered frontend, built-in ones and entry points, by name."""
    _discover()
    return [_FRONTENDS[k] for k in sorted(_FRONTENDS)]


def frontend_for(path: Path) -> Frontend | None:
    """The frontend that reads ``path``, or None when no frontend claims it."""
    return next((f for f in frontends() if f.can_load(path)), None)


def load_model_file(path: Path, /, **params: Any) -> Workload | DecoderWorkload | None:
    """Load ``path`` with the frontend that claims it; None when none does.

    Raises:
        WorkloadError: the file is missing, or a parameter the frontend does not take.
    """
    frontend = frontend_for(path)
    if frontend is None:
        return None
    if not path.exists():
        raise WorkloadError(f"{path}: no such file")
    unknown = sorted(set(params) - frontend.params) if frontend.params is not None else []
    if unknown and frontend.params is not None:
        raise WorkloadError(
            f"{path.name}: {frontend.formats}s take {', '.join(sorted(frontend.params))}; "
            f"not {', '.join(unknown)}"
        )
    return frontend.load(path, **params)


def formats() -> str:
    """What the registered frontends read, for messages (``.onnx file, ...``)."""
    return ", ".join(f.formats for f in frontends())
