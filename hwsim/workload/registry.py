"""Built-in workload registry and ``load_workload`` (names and parameters are contract)."""

from __future__ import annotations

import dataclasses
import inspect
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hwsim.errors import WorkloadError
from hwsim.textio import shorten
from hwsim.workload.frontend import formats, load_model_file
from hwsim.workload.ir import DecoderWorkload, Source, Workload

AnyWorkload = Workload | DecoderWorkload


@dataclass(frozen=True)
class WorkloadEntry:
    """A built-in model: its builder and the parameters it accepts (with defaults)."""

    name: str
    family: str
    description: str
    builder: Callable[..., AnyWorkload]
    defaults: dict[str, Any]


_REGISTRY: dict[str, WorkloadEntry] = {}
_LOADED = False


def register(
    name: str, *, family: str, description: str
) -> Callable[[Callable[..., AnyWorkload]], Callable[..., AnyWorkload]]:
    """Decorator: register ``fn(**params) -> Workload | DecoderWorkload`` under ``name``.

    The function's keyword parameters (with defaults) are the model's parameters. Every
    builder accepts ``batch`` and ``dtype``.
    """

    def deco(fn: Callable[..., AnyWorkload]) -> Callable[..., AnyWorkload]:
        sig = inspect.signature(fn)
        defaults = {
            k: p.default
            for k, p in sig.parameters.items()
            if p.default is not inspect.Parameter.empty
        }
        if name in _REGISTRY:
            raise RuntimeError(f"workload {name!r} registered twice")
        _REGISTRY[name] = WorkloadEntry(name, family, description, fn, defaults)
        return fn

    return deco


def _ensure_loaded() -> None:
    global _LOADED
    if _LOADED:
        return
    _LOADED = True
    # Importing the zoo modules registers their models.
    import importlib
    import pkgutil

    import hwsim.workload.zoo as zoo

    for mod in sorted(m.name for m in pkgutil.iter_modules(zoo.__path__)):
        importlib.import_module(f"hwsim.workload.zoo.{mod}")


def builtin_workloads() -> dict[str, WorkloadEntry]:
    """All built-in workloads by name."""
    _ensure_loaded()
    return dict(sorted(_REGISTRY.items()))


_ZERO_OK = frozenset({"gen_len"})  # gen_len 0: prefill only (TTFT)


def _coerce(model: str, defaults: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    """Check each parameter against its default's type (numbers given as text are parsed):
    ``width="abc"`` or ``width=inf`` is a one-line error, not a crash deep in a builder."""
    out = dict(params)
    for k, v in params.items():
        d = defaults.get(k)
        if isinstance(d, bool) or d is None or isinstance(d, str):
            continue
        try:
            if isinstance(d, int):
                if isinstance(v, float) and v.is_integer():
                    v = int(v)
                num: float = int(v) if not isinstance(v, bool) else float("nan")
            else:
                num = float(v)
        except (TypeError, ValueError):
            raise WorkloadError(f"{model}: parameter {k} must be a number, got {v!r}") from None
        if not math.isfinite(num):
            raise WorkloadError(f"{model}: parameter {k} must be finite, got {v!r}")
        if num < 0 or (num == 0 and k not in _ZERO_OK):
            low = ">= 0" if k in _ZERO_OK else "> 0"
            raise WorkloadError(f"{model}: parameter {k} must be {low}, got {v!r}")
        out[k] = num
    return out


def load_workload(name_or_path: str | Path | AnyWorkload, /, **params: Any) -> AnyWorkload:
    """Load a built-in workload by name, or a model file (.onnx, HF config .json, .yaml).

    The workload remembers what it was loaded from (``workload.source``), so that a loaded
    workload given with new parameters is rebuilt with them (:func:`with_params`).

    Args:
        name_or_path: e.g. ``"mobilenet_v1"`` or ``"model.onnx"``, or a loaded workload
            (rebuilt with ``params`` when there are any).
        **params: model parameters (``width=0.25, resolution=96, batch=1, dtype="int8"``,
            ``seq_len``, ``prompt_len``, ``gen_len``). ``None`` values are ignored.

    Raises:
        WorkloadError: unknown name, unknown parameter for that model, or a bad file.
    """
    if isinstance(name_or_path, (Workload, DecoderWorkload)):
        return with_params(name_or_path, **params)
    params = {k: v for k, v in params.items() if v is not None}
    key = str(name_or_path)
    cache_key = _cache_key(key, params)
    if cache_key is not None and cache_key in _BUILT:
        return _BUILT[cache_key]
    built = _build(name_or_path, params)
    # A file is remembered by its absolute path, so a rebuild does not depend on the cwd.
    where = key if key in builtin_workloads() else str(Path(key).resolve())
    loaded = dataclasses.replace(built, source=Source(where, params))
    if cache_key is not None:
        if len(_BUILT) >= _BUILT_MAX:
            del _BUILT[next(iter(_BUILT))]  # the oldest entry
        _BUILT[cache_key] = loaded
    return loaded


_BUILT: dict[tuple[Any, ...], AnyWorkload] = {}
_BUILT_MAX = 64
"""Workloads already built, by name or file (path, modification time, size) and parameters.

Workloads are immutable, so a sweep or a script that loads the same model again gets the
same object instead of a rebuilt graph."""


def _cache_key(key: str, params: dict[str, Any]) -> tuple[Any, ...] | None:
    """The cache key of a load, or None where it cannot be cached (a folder, unhashable
    parameters, a path that is not a regular file)."""
    try:
        frozen = tuple(sorted((k, repr(v)) for k, v in params.items()))
    except TypeError:
        return None
    if key in builtin_workloads():
        return ("builtin", key, frozen)
    try:
        st = Path(key).stat()
    except (OSError, ValueError):
        return None
    try:
        if not Path(key).is_file():
            return None
    except (OSError, ValueError):
        return None
    return ("file", str(Path(key).resolve()), st.st_mtime_ns, st.st_size, frozen)


def with_params(workload: AnyWorkload, **params: Any) -> AnyWorkload:
    """``workload`` re-parameterised: rebuilt from what it was loaded from, with ``params``
    replacing the parameters it was loaded with (``None`` values are ignored).

    Without parameters the workload comes back as it is. A workload built in code (not by
    ``load_workload``) cannot be rebuilt: the error shows the call that works.

    Raises:
        WorkloadError: the workload has no source, or a parameter does not apply to it.
    """
    given = {k: v for k, v in params.items() if v is not None}
    if not given:
        return workload
    if workload.source is None:
        args = ", ".join(f"{k}={v!r}" for k, v in given.items())
        raise WorkloadError(
            f"{workload.name}: built in code, not by load_workload, so it cannot be rebuilt "
            f"with {args}; build it with those parameters and pass it without them, or "
            f"load it by name: load_workload(NAME_OR_PATH, {args})"
        )
    src = workload.source
    return load_workload(src.name, **{**src.params, **given})


def _build(name_or_path: str | Path, params: dict[str, Any]) -> AnyWorkload:
    entries = builtin_workloads()
    key = str(name_or_path)
    if key in entries:
        entry = entries[key]
        unknown = sorted(set(params) - set(entry.defaults))
        if unknown:
            raise WorkloadError(
                f"{key}: unknown parameter(s) {', '.join(unknown)}; it takes "
                f"{', '.join(sorted(entry.defaults))}"
            )
        return entry.builder(**_coerce(key, entry.defaults, params))
    try:
        loaded = load_model_file(Path(key), **params)
    except (OSError, ValueError) as exc:  # a name the OS refuses (too long, NUL bytes)
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise WorkloadError(f"workload {shorten(key)}: {reason}") from None
    if loaded is None:
        raise WorkloadError(
            f"unknown workload {shorten(key)}; built-in: {', '.join(entries)} (or a model file: "
            f"{formats()})"
        )
    return loaded
