"""Constraint expressions over axis values: a tiny, safe parser and evaluator (no ``eval``).

Grammar (quantities compare in SI units; ``-`` needs spaces around it, because names may
contain hyphens)::

    constraint := sum (CMP sum)+            CMP: <= < >= > == !=
    sum        := product (("+" | "-") product)*
    product    := unary (("*" | "/") unary)*
    unary      := "-" unary | atom
    atom       := NUMBER [UNIT] | DOTTED.PATH | "(" sum ")"

Examples: ``memory.sram.capacity <= memory.dram.capacity``,
``compute.pe_array.count * memory.sram.capacity <= 8 MiB``,
``1 MiB < memory.sram.capacity < 64 MiB``.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable
from dataclasses import dataclass

from hwsim.errors import HwsimError
from hwsim.units import Dimension, quantity_dimension


class ExpressionError(HwsimError):
    """A constraint expression that cannot be parsed or evaluated."""


MAX_EXPR_CHARS = 1000
"""Longest constraint expression (docs/limits.md)."""
MAX_EXPR_TOKENS = 200
"""Most tokens (numbers, names, operators) in one constraint."""
MAX_EXPR_DEPTH = 32
"""Deepest nesting of parentheses and unary minus signs."""


_TOKEN = re.compile(
    r"""\s*(?:
    (?P<num>(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)(?:[ \t]*(?P<unit>[A-Za-zµ]+(?:/[A-Za-z]+)?)(?![\w.]))?
  | (?P<op><=|>=|==|!=|<|>|\+|-|\*|/|\(|\))
  | (?P<name>[A-Za-z_][\w-]*(?:\.[\w-]+)*)
    )""",
    re.VERBOSE,
)

_CMP: dict[str, Callable[[float, float], bool]] = {
    "<=": operator.le,
    "<": operator.lt,
    ">=": operator.ge,
    ">": operator.gt,
    "==": operator.eq,
    "!=": operator.ne,
}
_ARITH: dict[str, Callable[[float, float], float]] = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": operator.truediv,
}


@dataclass(frozen=True)
class _Num:
    value: float
    dim: Dimension | None


@dataclass(frozen=True)
class _Name:
    path: str


@dataclass(frozen=True)
class _Neg:
    arg: Node


@dataclass(frozen=True)
class _Bin:
    op: str
    left: Node
    right: Node


Node = _Num | _Name | _Neg | _Bin

Lookup = Callable[[str], tuple[float, Dimension | None]]
"""Resolves a dotted path to (SI value, dimension or None for plain numbers)."""


def _tokenize(text: str) -> list[tuple[str, str, str | None]]:
    toks: list[tuple[str, str, str | None]] = []
    pos = 0
    text = text.rstrip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            rest = text[pos:].strip()
            raise ExpressionError(f"cannot read {rest if len(rest) <= 40 else rest[:37] + '...'!r}")
        pos = m.end()
        if m.group("num") is not None:
            toks.append(("num", m.group("num"), m.group("unit")))
        elif m.group("op") is not None:
            toks.append(("op", m.group("op"), None))
        else:
            toks.append(("name", m.group("name"), None))
        if len(toks) > MAX_EXPR_TOKENS:
            raise ExpressionError(f"more than {MAX_EXPR_TOKENS} terms and operators")
    return toks


@dataclass
class Constraint:
    """A parsed comparison chain such as ``a <= b < 4 MiB``."""

    text: str
    operands: list[Node]
    comparators: list[str]

    def names(self) -> list[str]:
        """Dotted paths the constraint reads."""
        out: list[str] = []

        def walk(n: Node) -> None:
            if isinstance(n, _Name):
                out.append(n.path)
            elif isinstance(n, _Neg):
                walk(n.arg)
            elif isinstance(n, _Bin):
                walk(n.left)
                walk(n.right)

        for n in self.operands:
            walk(n)
        return out

    def holds(self, lookup: Lookup) -> bool:
        """True when every comparison in the chain holds (values in SI units)."""
        vals = [_eval(n, lookup) for n in self.operands]
        for (lv, ld), cmp, (rv, rd) in zip(vals, self.comparators, vals[1:]):
            if ld is not None and rd is not None and ld is not rd:
                raise ExpressionError(f"compares {ld.value} with {rd.value}")
            if not _CMP[cmp](lv, rv):
                return False
        return True


def _eval(n: Node, lookup: Lookup) -> tuple[float, Dimension | None]:
    if isinstance(n, _Num):
        return n.value, n.dim
    if isinstance(n, _Name):
        return lookup(n.path)
    if isinstance(n, _Neg):
        v, d = _eval(n.arg, lookup)
        return -v, d
    lv, ld = _eval(n.left, lookup)
    rv, rd = _eval(n.right, lookup)
    if n.op in "+-":
        if ld is not None and rd is not None and ld is not rd:
            raise ExpressionError(f"adds {ld.value} to {rd.value}")
        dim = ld if ld is not None else rd
    else:
        # Scaling by a plain number keeps the dimension; other products/ratios drop it.
        if n.op == "*":
            dim = ld if rd is None else (rd if ld is None else None)
        else:
            dim = ld if rd is None else None
        if n.op == "/" and rv == 0:
            return math.inf if lv > 0 else (-math.inf if lv < 0 else math.nan), dim
    return _ARITH[n.op](lv, rv), dim


def parse_constraint(text: str) -> Constraint:
    """Parse ``"memory.sram.capacity <= memory.dram.capacity"`` into a Constraint.

    Raises:
        ExpressionError: a syntax error, an unknown unit, or no comparison.
    """
    if not isinstance(text, str) or not text.strip():
        raise ExpressionError("a constraint must be a non-empty string")
    if len(text) > MAX_EXPR_CHARS:
        raise ExpressionError(f"longer than {MAX_EXPR_CHARS} characters")
    toks = _tokenize(text)
    pos = 0
    depth = 0

    def peek() -> tuple[str, str, str | None] | None:
        return toks[pos] if pos < len(toks) else None

    def take() -> tuple[str, str, str | None]:
        nonlocal pos
        if pos >= len(toks):
            raise ExpressionError("unexpected end of expression")
        pos += 1
        return toks[pos - 1]

    def atom() -> Node:
        nonlocal depth
        kind, val, unit = take()
        if kind == "num":
            if unit is None:
                return _Num(float(val), None)
            q = quantity_dimension(f"{val} {unit}")
            if q is None:
                raise ExpressionError(f"unknown unit {unit!r} in {val} {unit}")
            return _Num(q[0], q[1])
        if kind == "name":
            return _Name(val)
        if val in ("(", "-"):
            depth += 1
            if depth > MAX_EXPR_DEPTH:
                raise ExpressionError(
                    f"nested more than {MAX_EXPR_DEPTH} levels deep (parentheses, unary minus)"
                )
            if val == "(":
                inner = sum_()
                if take()[1] != ")":
                    raise ExpressionError("missing ')'")
            else:
                inner = _Neg(atom())
            depth -= 1
            return inner
        raise ExpressionError(f"unexpected {val!r}")

    def product() -> Node:
        node = atom()
        while (t := peek()) is not None and t[0] == "op" and t[1] in ("*", "/"):
            take()
            node = _Bin(t[1], node, atom())
        return node

    def sum_() -> Node:
        node = product()
        while (t := peek()) is not None and t[0] == "op" and t[1] in ("+", "-"):
            take()
            node = _Bin(t[1], node, product())
        return node

    operands = [sum_()]
    comparators: list[str] = []
    while (t := peek()) is not None and t[0] == "op" and t[1] in _CMP:
        take()
        comparators.append(t[1])
        operands.append(sum_())
    if pos != len(toks):
        raise ExpressionError(f"unexpected {toks[pos][1]!r}")
    if not comparators:
        raise ExpressionError("needs a comparison (<=, <, >=, >, ==, !=)")
    return Constraint(text.strip(), operands, comparators)
