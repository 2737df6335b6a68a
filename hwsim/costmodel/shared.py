"""Op costs shared between chips that differ only in their memory levels' timing and energy.

A sweep builds a new chip object per point, so the per-context memo of
:func:`hwsim.costmodel.graph.cost_graph` (chip and profile by identity) starts empty at every
point. This cache keeps, by content, the part of each op's cost that no level's bandwidth,
latency or energy enters (:class:`~hwsim.costmodel.opcost.Traffic`: the mapping, bytes per
level, compute time and energy); :func:`~hwsim.costmodel.opcost.finish_cost` derives the
levels' times and energies per point. The key is:

- every field of the chip except the memory levels' timing and energy fields (``_TIMING``),
  every field of the profile, the placement's levels and the objective;
- and every level's timing and energy fields too when a unit's mapper reads them (the GPU
  mapper ranks mappings by time and energy: :func:`hwsim.costmodel.mappers.levels_key`);
- the op's key (its signature, fused/folded, and the level its activations live in).

So a hit needs every field the cached part was computed from to be equal: a DRAM-bandwidth
sweep maps, tiles and counts bytes once per op, and only the per-level arithmetic runs per
point. Bounded: the oldest entries go first; the content tables are cleared together.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar, cast

from pydantic import BaseModel

from hwsim.costmodel.opcost import CostContext, OpCost, Traffic
from hwsim.hardware.models import MemoryLevel

_TIMING = frozenset({"bandwidth", "write_bandwidth", "energy", "write_energy", "latency"})
"""Memory-level fields only :func:`finish_cost` reads (and the GPU mapper: see the key)."""
_MAX_KEYS = 4096
"""Op parts kept (the oldest goes first)."""

_Fields = tuple[tuple[str, object], ...]
_FROZEN: dict[int, tuple[object, _Fields, int]] = {}
"""id(model) -> (model kept alive, its fields' content as hashable tuples, the model's
content id)."""
_LEVELS: dict[int, tuple[MemoryLevel, int, int]] = {}
"""id(level) -> (level kept alive, structure id, full-content id)."""
_IDS: dict[object, int] = {}
"""Interned content tuples -> small ints (cheap to hash in per-op keys)."""
_CONTEXTS: dict[int, tuple[CostContext, int, tuple[int, ...], bool]] = {}
"""id(context) -> (context kept alive, structure id, level content ids, every level read)."""
_PARTS: dict[tuple[int, tuple[int, ...], object], object] = {}
"""(structure id, level content ids when every level is read, op key) -> per-unit
:class:`Traffic` (or whole costs where no level's timing enters them: folded ops, views)."""
_P = TypeVar("_P", tuple[Traffic, ...], tuple[OpCost, ...])


def clear() -> None:
    """Forget every shared cost and interned content (all together: ids are reused after)."""
    _FROZEN.clear()
    _LEVELS.clear()
    _IDS.clear()
    _CONTEXTS.clear()
    _PARTS.clear()


def _content(model: BaseModel) -> tuple[_Fields, int]:
    """Hashable copies of ``model``'s fields, ``(name, content)`` each (a model inside it
    stands as its content id, so a new chip that shares most parts with an old one hashes
    only the new parts), and the model's content id: equal ids, equal content."""
    got = _FROZEN.get(id(model))
    if got is not None and got[0] is model:
        return got[1], got[2]
    fields = tuple((n, _freeze(getattr(model, n))) for n in type(model).model_fields)
    cid = _intern((type(model).__name__, fields))
    _FROZEN[id(model)] = (model, fields, cid)
    return fields, cid


def _freeze(value: object) -> object:
    """A hashable stand-in for ``value``'s content (models by their content's id, lists as
    tuples): equal stand-ins, equal content."""
    if isinstance(value, BaseModel):
        return ("model", _content(value)[1])
    if isinstance(value, list | tuple):
        return tuple(_freeze(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((repr(k), _freeze(v)) for k, v in value.items()))
    if isinstance(value, set | frozenset):
        return tuple(sorted(repr(v) for v in value))
    if isinstance(value, float):
        return ("float", repr(value))  # -0.0 and 0.0 apart
    return (type(value).__name__, value)


def _intern(content: object) -> int:
    return _IDS.setdefault(content, len(_IDS))


def _level(m: MemoryLevel) -> tuple[int, int]:
    """(structure id, full-content id) of a memory level."""
    got = _LEVELS.get(id(m))
    if got is not None and got[0] is m:
        return got[1], got[2]
    fields, full_id = _content(m)
    structure = tuple(f for f in fields if f[0] not in _TIMING)
    ids = _intern(("level", *structure)), full_id
    _LEVELS[id(m)] = (m, ids[0], ids[1])
    return ids


def _context(ctx: CostContext) -> tuple[int, tuple[int, ...], bool]:
    """(structure id, full-content id per level, whether every level is read) of ``ctx``."""
    got = _CONTEXTS.get(id(ctx))
    if got is not None and got[0] is ctx:
        return got[1], got[2], got[3]
    if len(_IDS) > 1 << 16 or len(_FROZEN) > 1 << 14:
        clear()
    spec, pl = ctx.spec, ctx.placement
    levels = [_level(m) for m in spec.memory]
    rest = tuple(
        (name, _freeze(getattr(spec, name))) for name in type(spec).model_fields if name != "memory"
    )
    structure = (
        rest,
        tuple(s for s, _ in levels),
        _freeze(ctx.profile),
        (pl.weight_level, pl.act_level, pl.state_level),
        ctx.objective,
    )
    all_read = any(u.mapper_kind == "gpu" for u in spec.compute)
    out = (_intern(structure), tuple(f for _, f in levels), all_read)
    if len(_CONTEXTS) >= 64:
        del _CONTEXTS[next(iter(_CONTEXTS))]
    _CONTEXTS[id(ctx)] = (ctx, *out)
    return out


ContextKey = tuple[int, tuple[int, ...]]
"""A context's share of the key: structure id, level content ids (or ``()``)."""


def context_key(ctx: CostContext) -> ContextKey:
    """The part of the shared-parts key that comes from the context: the context's structure
    (everything but the levels' timing and energy fields) and, when a mapper reads those
    fields, the levels' full content (else ``()``). Equal keys: equal :class:`Traffic`."""
    structure, full, all_read = _context(ctx)
    return structure, full if all_read else ()


def shared_parts(ctx_key: ContextKey, op_key: object, compute: Callable[[], _P]) -> _P:
    """What ``compute()`` returns in the context keyed ``ctx_key`` (:func:`context_key`) for
    the op keyed ``op_key`` (op signature and activation level): reused from any context
    equal in everything it reads."""
    key = (*ctx_key, op_key)
    got = _PARTS.get(key)
    if got is None:
        got = compute()
        if len(_PARTS) >= _MAX_KEYS:
            del _PARTS[next(iter(_PARTS))]
        _PARTS[key] = got
    return cast(_P, got)
