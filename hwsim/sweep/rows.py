"""The shape of one sweep row, checked wherever a row comes from outside this process.

Rows come back from worker processes (possibly on other machines, through Dask) and from
``points.jsonl`` when a sweep resumes; neither is trusted. A row is a flat mapping of short
names to plain values: a successful row has every result field as a finite, non-negative
number; a failed row has an ``error`` message.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

from hwsim.engine.result import ROW_FIELDS
from hwsim.textio import shorten

RESULT_NUMBERS = tuple(f for f in ROW_FIELDS if f != "fits")  # fits: checked as a bool
"""Whole-run numbers a successful row must carry."""

_TEXT = ("hardware", "profile", "dtype")
_OPTIONAL_TEXT = ("bound", "bound_level")  # what limits the point (empty when undecided)
_NULLABLE = ("compute_utilization", "peak_power_w")  # null when the result cannot say
_AREA = ("onchip_bytes", "mac_units", "area_proxy")
_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]{0,99}$")
_GOOD_KEYS: set[str] = set()
"""Field names already seen to match _KEY (rows repeat the same few dozen names)."""
_MAX_GOOD_KEYS = 10_000
_MAX_TEXT = 10_000
_MAX_FIELDS = 200


def _number_problem(name: str, v: Any) -> str | None:
    if isinstance(v, bool) or not isinstance(v, int | float):
        return f"{name} is not a number ({shorten(v)})"
    if isinstance(v, float) and not math.isfinite(v):
        return f"{name} is not finite ({v!r})"
    if v < 0:
        return f"{name} is negative ({shorten(v)})"
    return None


def row_problem(row: Any) -> str | None:
    """Why ``row`` is not a well-formed sweep row, or None when it is.

    Checks: a mapping of at most 200 short identifier-like keys to plain values (text,
    numbers, booleans, null); an ``error`` that is null or text; without an error, the
    chip/profile/dtype names, a batch >= 1, ``fits`` as a boolean, ``bound``/``bound_level``
    as text, and every number finite and non-negative (the result fields, ``energy_*_j``,
    LLM fields, area terms, ``time_share_*``; ``time_share_*``, ``compute_utilization`` and
    ``peak_power_w`` may be null).
    """
    if not isinstance(row, Mapping):
        return f"a row must be a mapping, got {type(row).__name__}"
    if len(row) > _MAX_FIELDS:
        return f"a row has {len(row)} fields (at most {_MAX_FIELDS})"
    for k, v in row.items():
        if k not in _GOOD_KEYS:
            if not isinstance(k, str) or not _KEY.match(k):
                return f"bad field name {shorten(k)}"
            if len(_GOOD_KEYS) < _MAX_GOOD_KEYS:
                _GOOD_KEYS.add(k)
        if type(v) is float:  # most values (exactly float: plain)
            continue
        if isinstance(v, str):
            if len(v) > _MAX_TEXT:
                return f"{k} is longer than {_MAX_TEXT:,} characters"
        elif v is not None and not isinstance(v, bool | int | float):
            return f"{k} is not a plain value ({type(v).__name__})"
    if "error" not in row:
        return "no 'error' field"
    err = row["error"]
    if err is not None:
        if not isinstance(err, str) or not err:
            return "error must be a message or null"
        for k in _AREA:
            if k in row and (p := _number_problem(k, row[k])):
                return p
        return None
    for k in _TEXT:
        if not isinstance(row.get(k), str) or not row[k]:
            return f"{k} is missing or not text"
    batch = row.get("batch")
    if isinstance(batch, bool) or not isinstance(batch, int) or batch < 1:
        return f"batch is not an integer >= 1 ({shorten(batch)})"
    if not isinstance(row.get("fits"), bool):
        return "fits is missing or not true/false"
    for k in RESULT_NUMBERS:
        if k not in row:
            return f"{k} is missing"
    for k, v in row.items():
        if type(v) is float and 0.0 <= v < math.inf and k not in _OPTIONAL_TEXT:
            continue  # most values: a finite, non-negative number (NaN fails the comparison)
        if k in _TEXT or k in ("batch", "fits", "error"):
            continue
        if k in _OPTIONAL_TEXT:
            if not isinstance(v, str):
                return f"{k} is not text"
            continue
        if v is None and (k in _NULLABLE or k.startswith("time_share_")):
            continue
        if p := _number_problem(k, v):
            return p
    if not row["latency_s"] > 0:
        return "latency_s is not positive"
    return None


def batch_problem(pairs: Any, keys: Sequence[str]) -> str | None:
    """Why a worker's answer to a batch of ``keys`` is unusable, or None.

    The answer must be a list of ``(key, row)`` pairs for exactly the keys asked, each row
    well-formed: a worker cannot add, drop or rename points.
    """
    if not isinstance(pairs, list | tuple):
        return f"expected a list of (key, row) pairs, got {type(pairs).__name__}"
    if len(pairs) != len(keys):
        return f"expected {len(keys)} rows, got {len(pairs)}"
    for pair, key in zip(pairs, keys):
        if not isinstance(pair, list | tuple) or len(pair) != 2:
            return "a result is not a (key, row) pair"
        if pair[0] != key:
            return f"a row for {shorten(pair[0])} where {key!r} was asked"
        if p := row_problem(pair[1]):
            return f"row {key}: {p}"
    return None
