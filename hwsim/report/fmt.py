"""Readable numbers for people: durations past a minute in min/h/d, sizes in binary units.

Quantities stay SI floats everywhere else; only what a person reads goes through here.
Sizes use the binary units (KiB, MiB, GiB) of ``hwsim show hardware``, so an 80 GiB card
reads 80 GiB in every table.
"""

from __future__ import annotations

from hwsim.units import Dimension, format_bytes_iec, format_quantity

_LONG = ((86_400.0, "d"), (3_600.0, "h"), (60.0, "min"))


def duration(seconds: float, digits: int = 4) -> str:
    """A time in s as text: SI prefixes below a minute (``2.597 ms``), else min, h or d
    with two significant digits or more (``6.9 h`` for 24,740 s)."""
    for size, unit in _LONG:
        if abs(seconds) >= size:
            v = seconds / size
            return f"{v:.1f} {unit}" if v < 100 else f"{v:,.0f} {unit}"
    return format_quantity(seconds, Dimension.SECONDS, digits=digits)


def size(n_bytes: float, digits: int = 4) -> str:
    """A size in bytes in binary units, as ``hwsim show hardware`` prints capacities."""
    return format_bytes_iec(n_bytes, digits=digits)


def count(n: float) -> str:
    """1234567 -> ``1.235 M`` (decimal prefixes, for MACs, FLOPs and params)."""
    for div, unit in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(n) >= div:
            return f"{n / div:.4g} {unit}"
    return f"{n:.4g}"


def energy(joules: float) -> str:
    """An energy in J with an SI prefix."""
    return format_quantity(joules, Dimension.JOULES)


def power(watts: float) -> str:
    """A power in W with an SI prefix."""
    return format_quantity(watts, Dimension.WATTS)


def rate(per_s: float) -> str:
    """A rate per second (inferences/s, tokens/s)."""
    return f"{per_s:,.4g} /s"
