"""Many variants of one chip, each equal to ``override(base, changes)``, built faster (sweeps).

:func:`~hwsim.hardware.loader.override` dumps the whole spec, edits the dump and validates
all of it again: about 0.2 ms for a small chip, as much as simulating a small model. A sweep
makes thousands of variants of one base that differ in a few fields, so
:class:`SpecVariants` validates only what changed:

- a change inside a list entry (``memory.dram.bandwidth``), a profile
  (``profiles.default.efficiency.gemm``) or a section (``power.static``) re-validates that
  entry, profile or section from the base's dump with the change applied, once per distinct
  set of changes to it (cached);
- the chip is then validated from its parts, the base's validated objects where nothing
  changed: its own cross-field checks run for every variant (the parts, already validated
  objects, are taken as they are);
- anything this does not cover (a whole new list, an unknown path) and every error goes
  through ``override`` itself, so messages are its messages.

The result is the same spec ``override`` builds (equal field by field; tests check it).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ValidationError

from hwsim.errors import HwsimError
from hwsim.hardware.loader import override
from hwsim.hardware.models import HardwareSpec

_STRICT = {"strict_units": True}
MAX_PARTS = 4096
"""Validated parts kept per base (a sweep axis has at most a few thousand values)."""

_Where = tuple[str, int | str | None]
"""Top-level field and, for a list or dict field, which entry (index or key)."""


def _hashable(value: Any) -> Any:
    if isinstance(value, list):
        return ("list", tuple(_hashable(v) for v in value))
    if isinstance(value, dict):
        return ("dict", tuple(sorted((k, _hashable(v)) for k, v in value.items())))
    return (type(value).__name__, value)


class _Fallback(Exception):
    """This change is left to ``override`` (it raises the error, or covers the case)."""


class SpecVariants:
    """``variants(changes)`` is ``override(base, changes)``: a validated variant of ``base``
    with dotted-path fields replaced, built by re-validating only the parts that change."""

    def __init__(self, base: HardwareSpec) -> None:
        self.base = base
        self._dump = base.model_dump(mode="json", exclude_none=True)
        self._parts: dict[tuple[_Where, Any], BaseModel] = {}

    def __call__(self, changes: Mapping[str, Any]) -> HardwareSpec:
        """The variant of the base with ``changes`` (dotted path -> value) applied.

        Raises:
            SpecError: a path or value that ``override`` refuses (its message).
        """
        try:
            return self._build(changes)
        except (_Fallback, ValidationError, HwsimError):
            return override(self.base, changes)

    def _where(self, path: str) -> tuple[_Where, str]:
        """Which part of the chip ``path`` changes, and the path inside that part."""
        top, _, rest = path.partition(".")
        node = self._dump.get(top)
        if isinstance(node, list):
            entry, _, inner = rest.partition(".")
            names = [e.get("name") if isinstance(e, dict) else None for e in node]
            if entry in names:
                return (top, names.index(entry)), inner
            if entry.isdigit() and int(entry) < len(node):
                return (top, int(entry)), inner
            raise _Fallback
        if isinstance(node, dict) and isinstance(getattr(self.base, top, None), dict):
            entry, _, inner = rest.partition(".")
            if entry not in node:
                raise _Fallback
            return (top, entry), inner
        if isinstance(node, dict):
            return (top, None), rest
        if rest:
            raise _Fallback  # inside a plain field: override says what is wrong
        return (top, None), ""

    def _part(self, where: _Where, edits: list[tuple[str, Any]]) -> BaseModel:
        """The validated part at ``where`` with ``edits`` applied (cached)."""
        key = (where, tuple((p, _hashable(v)) for p, v in edits))
        got = self._parts.get(key)
        if got is not None:
            return got
        top, entry = where
        node: Any = self._dump[top]
        current: Any = getattr(self.base, top)
        if entry is not None:
            node, current = node[entry], current[entry]
        if not isinstance(node, dict) or not isinstance(current, BaseModel):
            raise _Fallback
        data = copy.deepcopy(node)
        for inner, value in edits:
            _set(data, inner, value)
        got = type(current).model_validate(data, context=_STRICT)
        if len(self._parts) >= MAX_PARTS:
            self._parts.clear()
        self._parts[key] = got
        return got

    def _build(self, changes: Mapping[str, Any]) -> HardwareSpec:
        fields: dict[str, Any] = {k: getattr(self.base, k) for k in self._dump}
        edits: dict[_Where, list[tuple[str, Any]]] = {}
        for path, value in changes.items():
            where, inner = self._where(path)
            if not inner:
                if where[1] is not None or isinstance(self._dump.get(where[0]), (dict, list)):
                    raise _Fallback  # a whole entry, list or section replaced
                fields[where[0]] = value  # a plain top-level field: the chip validates it
                continue
            edits.setdefault(where, []).append((inner, value))
        for where, ed in edits.items():
            top, entry = where
            part = self._part(where, ed)
            if entry is None:
                fields[top] = part
            elif isinstance(entry, int):
                fields[top] = [*fields[top][:entry], part, *fields[top][entry + 1 :]]
            else:
                fields[top] = {**fields[top], entry: part}
        return HardwareSpec.model_validate(fields, context=_STRICT)


def _set(data: dict[str, Any], dotted: str, value: Any) -> None:
    """Set a dotted path inside one part's dump (list entries by name, as ``override``)."""
    node: Any = data
    parts = dotted.split(".")
    for part in parts[:-1]:
        if isinstance(node, list):
            match = [e for e in node if isinstance(e, dict) and e.get("name") == part]
            if not match:
                raise _Fallback
            node = match[0]
        elif isinstance(node, dict) and isinstance(node.get(part), (dict, list)):
            node = node[part]
        else:
            raise _Fallback
    if not isinstance(node, dict):
        raise _Fallback
    node[parts[-1]] = value
