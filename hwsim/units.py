"""Physical quantities: unit strings at the edge, SI floats inside.

A quantity string is ``"<number> <unit>"`` (the space is optional), e.g.
``"68 GB/s"``, ``"320 KiB"``, ``"0.6 pJ"``, ``"1.2 GHz"``, ``"4 TOPS"``.
Each field declares a :class:`Dimension`; :func:`parse_quantity` returns the
value in SI base units of that dimension (bytes, bytes/s, Hz, s, J, W, op/s,
J/op, J/B). Bare numbers are rejected for physical quantities.

Conventions (contract): 1 MAC = 2 ops (:data:`OPS_PER_MAC`); ``b``/``bit`` is a
bit and ``B`` a byte; IEC prefixes (``KiB``) are only accepted for sizes; rates
are decimal (``GB/s`` = 1e9 B/s).
"""

from __future__ import annotations

import math
import re
from enum import Enum

OPS_PER_MAC = 2
"""One multiply-accumulate = one multiply + one add = 2 operations (FLOPs)."""

BITS_PER_BYTE = 8


class Dimension(str, Enum):
    """Physical dimension a quantity field declares."""

    BYTES = "bytes"
    BYTES_PER_S = "bytes/s"
    HERTZ = "Hz"
    SECONDS = "s"
    JOULES = "J"
    WATTS = "W"
    OPS_PER_S = "op/s"
    JOULES_PER_OP = "J/op"
    JOULES_PER_MAC = "J/MAC"
    JOULES_PER_BYTE = "J/B"
    VOLTS = "V"
    AMPERES = "A"
    AMPERES_PER_HZ = "A/Hz"


_SI = {
    "": 1.0,
    "f": 1e-15,
    "p": 1e-12,
    "n": 1e-9,
    "u": 1e-6,
    "µ": 1e-6,
    "m": 1e-3,
    "k": 1e3,
    "K": 1e3,
    "M": 1e6,
    "G": 1e9,
    "T": 1e12,
    "P": 1e15,
}
_IEC = {"Ki": 2.0**10, "Mi": 2.0**20, "Gi": 2.0**30, "Ti": 2.0**40}

# base unit symbol -> (dimension, factor to SI base of that dimension)
_BASE: dict[str, tuple[Dimension, float]] = {
    "B": (Dimension.BYTES, 1.0),
    "byte": (Dimension.BYTES, 1.0),
    "bytes": (Dimension.BYTES, 1.0),
    "b": (Dimension.BYTES, 1.0 / BITS_PER_BYTE),
    "bit": (Dimension.BYTES, 1.0 / BITS_PER_BYTE),
    "bits": (Dimension.BYTES, 1.0 / BITS_PER_BYTE),
    "B/s": (Dimension.BYTES_PER_S, 1.0),
    "Bps": (Dimension.BYTES_PER_S, 1.0),
    "b/s": (Dimension.BYTES_PER_S, 1.0 / BITS_PER_BYTE),
    "bit/s": (Dimension.BYTES_PER_S, 1.0 / BITS_PER_BYTE),
    "bps": (Dimension.BYTES_PER_S, 1.0 / BITS_PER_BYTE),
    "Hz": (Dimension.HERTZ, 1.0),
    "s": (Dimension.SECONDS, 1.0),
    "J": (Dimension.JOULES, 1.0),
    "W": (Dimension.WATTS, 1.0),
    "OPS": (Dimension.OPS_PER_S, 1.0),
    "op/s": (Dimension.OPS_PER_S, 1.0),
    "ops/s": (Dimension.OPS_PER_S, 1.0),
    "FLOPS": (Dimension.OPS_PER_S, 1.0),
    "FLOP/s": (Dimension.OPS_PER_S, 1.0),
    "MAC/s": (Dimension.OPS_PER_S, float(OPS_PER_MAC)),
    "MACS": (Dimension.OPS_PER_S, float(OPS_PER_MAC)),
    "J/op": (Dimension.JOULES_PER_OP, 1.0),
    "J/FLOP": (Dimension.JOULES_PER_OP, 1.0),
    "J/MAC": (Dimension.JOULES_PER_MAC, 1.0),
    "J/B": (Dimension.JOULES_PER_BYTE, 1.0),
    "J/byte": (Dimension.JOULES_PER_BYTE, 1.0),
    "J/b": (Dimension.JOULES_PER_BYTE, float(BITS_PER_BYTE)),
    "J/bit": (Dimension.JOULES_PER_BYTE, float(BITS_PER_BYTE)),
    "V": (Dimension.VOLTS, 1.0),
    "A": (Dimension.AMPERES, 1.0),
    "A/Hz": (Dimension.AMPERES_PER_HZ, 1.0),
    "A/MHz": (Dimension.AMPERES_PER_HZ, 1e-6),
}

_MAX_QUANTITY_CHARS = 100
"""Longest quantity string read (a longer one is refused without being formatted)."""


def _short(value: object) -> str:
    """repr of a user value for a message, cut short (never the whole of a huge value)."""
    if isinstance(value, str):
        return repr(value if len(value) <= 40 else value[:37] + "...")
    if value is None or isinstance(value, int | float):
        text = repr(value)
        return text if len(text) <= 40 else text[:37] + "..."
    return f"a {type(value).__name__}"


_QUANTITY = re.compile(r"^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*([^\s\d].*?)?\s*$")


class UnitError(ValueError):
    """A quantity string that cannot be read as the expected dimension."""


def _lookup(unit: str) -> tuple[Dimension, float, bool]:
    """Return (dimension, SI factor, used_iec_prefix) for a unit symbol."""
    if unit in _BASE:
        dim, f = _BASE[unit]
        return dim, f, False
    for prefix, scale in _IEC.items():
        if unit.startswith(prefix) and unit[len(prefix) :] in _BASE:
            dim, f = _BASE[unit[len(prefix) :]]
            return dim, f * scale, True
    # "pJ/MAC": prefix applies to the numerator unit.
    for prefix, scale in _SI.items():
        if prefix and unit.startswith(prefix) and unit[len(prefix) :] in _BASE:
            rest = unit[len(prefix) :]
            dim, f = _BASE[rest]
            if scale < 1 and dim in (Dimension.BYTES, Dimension.BYTES_PER_S):
                raise UnitError(_sub_unit_message(unit, prefix, rest))
            return dim, f * scale, False
    raise UnitError(f"unknown unit {unit!r}")


def _sub_unit_message(unit: str, prefix: str, rest: str) -> str:
    """Why ``mB``/``mb``/``uB/s`` is refused: a fraction of a byte or bit is no size."""
    hint = {"m": "M", "p": "P"}.get(prefix)
    guess = f"; did you mean {hint}{rest}?" if hint else ""
    if hint and rest[0] == "b":
        byte = "B/s" if "/" in rest or rest.endswith("ps") else "B"
        guess = f"; did you mean {hint}{byte} (bytes) or {hint}{rest} (bits)?"
    return (
        f"{unit!r} would be {prefix!r} (a fraction) of a {'bit' if rest[0] == 'b' else 'byte'}"
        f"{guess} (prefixes are case-sensitive: m = milli, M = mega)"
    )


def parse_quantity(text: str | int | float, dim: Dimension, *, positive: bool = True) -> float:
    """Parse a quantity string into an SI float of dimension ``dim``.

    Args:
        text: e.g. ``"68 GB/s"``. Bare numbers are rejected.
        dim: the dimension the field expects.
        positive: reject zero and negative values.

    Returns:
        The value in SI base units of ``dim`` (bytes, B/s, Hz, s, J, W, op/s, J/op, J/B).

    Raises:
        UnitError: naming the value and what was expected.
    """
    if isinstance(text, bool) or not isinstance(text, str) or len(text) > _MAX_QUANTITY_CHARS:
        raise UnitError(
            f"expected {dim.value} with a unit (e.g. {_example(dim)!r}), got {_short(text)}"
        )
    m = _QUANTITY.match(text)
    if not m:
        raise UnitError(
            f"expected {dim.value} with a unit (e.g. {_example(dim)!r}), got {_short(text)}"
        )
    number, unit = m.group(1), (m.group(2) or "").strip()
    if not unit:
        raise UnitError(
            f"expected {dim.value} with a unit (e.g. {_example(dim)!r}), got {_short(text)}"
        )
    try:
        got_dim, factor, iec = _lookup(unit)
    except UnitError as exc:
        reason = str(exc)
        raise UnitError(f"expected {dim.value}, got {_short(text)}: {reason}") from None
    if {got_dim, dim} == {Dimension.JOULES_PER_OP, Dimension.JOULES_PER_MAC}:
        # Energy per MAC and per op convert through OPS_PER_MAC (1 MAC = 2 op).
        factor *= OPS_PER_MAC if dim is Dimension.JOULES_PER_MAC else 1.0 / OPS_PER_MAC
    elif got_dim is not dim:
        raise UnitError(f"expected {dim.value}, got {_short(text)} ({got_dim.value})")
    if iec and dim is not Dimension.BYTES:
        raise UnitError(
            f"expected {dim.value}, got {_short(text)}: binary prefixes (KiB, MiB, GiB) are for sizes "
            "only; rates are decimal (GB/s)"
        )
    value = float(number) * factor
    if not math.isfinite(value):
        raise UnitError(f"expected a finite {dim.value}, got {_short(text)}")
    if positive and value <= 0:
        raise UnitError(f"expected a positive {dim.value}, got {_short(text)}")
    if not positive and value < 0:
        raise UnitError(f"expected a non-negative {dim.value}, got {_short(text)}")
    return value


def quantity_dimension(text: str) -> tuple[float, Dimension] | None:
    """``"25 GB/s"`` -> (25e9, BYTES_PER_S): the value in the dimension its unit names
    (``pJ/MAC`` stays J/MAC); None when ``text`` is not a quantity string."""
    m = _QUANTITY.match(text) if isinstance(text, str) else None
    if not m or not m.group(2):
        return None
    try:
        dim = _lookup(m.group(2).strip())[0]
        return parse_quantity(text, dim, positive=False), dim
    except UnitError:
        return None


SANE_BOUNDS: dict[Dimension, tuple[float, float]] = {
    Dimension.BYTES: (1 / BITS_PER_BYTE, 1e18),  # one bit .. 1 EB
    Dimension.BYTES_PER_S: (1e3, 1e17),  # a slow serial link .. 100 PB/s (wafer-scale SRAM)
    Dimension.HERTZ: (1e3, 1e11),  # 1 kHz .. 100 GHz
    Dimension.SECONDS: (0.0, 3600.0),  # a latency or per-op overhead of at most an hour
    Dimension.JOULES: (0.0, 1e6),
    Dimension.WATTS: (0.0, 1e6),  # up to a megawatt (a rack row)
    Dimension.OPS_PER_S: (1e3, 1e19),  # 1 kOPS .. 10 EOPS
    Dimension.JOULES_PER_OP: (0.0, 1e-6),  # at most 1 uJ per op
    Dimension.JOULES_PER_MAC: (0.0, 2e-6),
    Dimension.JOULES_PER_BYTE: (0.0, 1e-6),  # at most 1 uJ per byte
    Dimension.VOLTS: (0.05, 1e3),  # a near-threshold core .. a kilovolt
    Dimension.AMPERES: (0.0, 1e4),
    Dimension.AMPERES_PER_HZ: (1e-15, 1e-6),  # 1 nA/MHz .. 1 A/MHz
}
"""Physically sane range of each spec quantity (inclusive), documented in docs/limits.md.

Generous on purpose (a 1 kHz clock, a 100 PB/s SRAM): they exist to stop values that make
results overflow or vanish (``1e-300 B/s``), not to second-guess a real chip.
"""


def check_sane(value: float, dim: Dimension) -> float:
    """Return ``value`` if it lies in :data:`SANE_BOUNDS` of ``dim``.

    Raises:
        UnitError: naming the range.
    """
    lo, hi = SANE_BOUNDS[dim]
    if value == 0.0 and lo == 0.0:
        return value
    if not lo <= value <= hi:
        low = format_quantity(lo, dim) if lo > 0 else "0"
        shown = (
            format_quantity(value, dim)
            if 1e-15 <= abs(value) < 1e18
            else f"{value:.3g} {SI_UNIT[dim]}"
        )
        raise UnitError(
            f"{shown} is outside the physically sane range "
            f"{low} .. {format_quantity(hi, dim)} (see docs/limits.md)"
        )
    return value


SI_UNIT = {
    Dimension.BYTES: "B",
    Dimension.BYTES_PER_S: "B/s",
    Dimension.HERTZ: "Hz",
    Dimension.SECONDS: "s",
    Dimension.JOULES: "J",
    Dimension.WATTS: "W",
    Dimension.OPS_PER_S: "op/s",
    Dimension.JOULES_PER_OP: "J/op",
    Dimension.JOULES_PER_MAC: "J/MAC",
    Dimension.JOULES_PER_BYTE: "J/B",
    Dimension.VOLTS: "V",
    Dimension.AMPERES: "A",
    Dimension.AMPERES_PER_HZ: "A/Hz",
}
"""The SI unit of each dimension, as written in specs and printed (plain values are in it)."""


def format_quantity(value: float, dim: Dimension, *, digits: int = 4) -> str:
    """Format an SI float as a human string with an SI prefix, e.g. ``"2.039 TB/s"``."""
    unit = SI_UNIT[dim]
    if value == 0:
        return f"0 {unit}"
    exp = int(math.floor(math.log10(abs(value)) / 3) * 3)
    exp = max(-15, min(15, exp))
    if dim in (Dimension.BYTES, Dimension.BYTES_PER_S):
        exp = max(0, exp)  # no milli-bytes: a fraction of a byte is written as one
    prefixes = {-15: "f", -12: "p", -9: "n", -6: "u", -3: "m", 0: "", 3: "k", 6: "M", 9: "G"}
    prefixes.update({12: "T", 15: "P"})
    scaled = value / 10.0**exp
    if dim is Dimension.OPS_PER_S:
        return f"{scaled:.{digits}g} {prefixes[exp]}OPS"
    return f"{scaled:.{digits}g} {prefixes[exp]}{unit}"


def _example(dim: Dimension) -> str:
    return {
        Dimension.BYTES: "320 KiB",
        Dimension.BYTES_PER_S: "68 GB/s",
        Dimension.HERTZ: "1.2 GHz",
        Dimension.SECONDS: "100 ns",
        Dimension.JOULES: "1 mJ",
        Dimension.WATTS: "5 W",
        Dimension.OPS_PER_S: "4 TOPS",
        Dimension.JOULES_PER_OP: "0.6 pJ/op",
        Dimension.JOULES_PER_MAC: "0.04 pJ/MAC",
        Dimension.JOULES_PER_BYTE: "20 pJ/B",
        Dimension.VOLTS: "0.9 V",
        Dimension.AMPERES: "32 uA",
        Dimension.AMPERES_PER_HZ: "120 uA/MHz",
    }[dim]


def format_bytes_iec(value: float, *, digits: int = 4) -> str:
    """Format a size in binary units (B, KiB, MiB, GiB, TiB), as capacities are quoted."""
    units = ("B", "KiB", "MiB", "GiB", "TiB")
    v = float(value)
    i = 0
    while abs(v) >= 1024 and i < len(units) - 1:
        v /= 1024
        i += 1
    return f"{v:.{digits}g} {units[i]}"
