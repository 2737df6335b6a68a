"""Hypothesis fuzzing of the parsers a user's text reaches first: the unit parser, the sweep
constraint parser and the spec loader. Each must give a value or its own one-line error,
never another exception."""

from __future__ import annotations

import contextlib
import copy
import math
import tempfile
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hwsim.errors import SpecError
from hwsim.hardware import load_hardware
from hwsim.hardware.models import HardwareSpec
from hwsim.sweep.expr import ExpressionError, parse_constraint
from hwsim.units import Dimension, UnitError, parse_quantity

from .cases import TPU

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

NUMBERS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(-(10**30), 10**30).map(str),
    st.sampled_from(["1e400", "-0", ".5", "5.", "1e-400", "0x10", "1_000", "١٢"]),
)
UNITS = st.one_of(
    st.sampled_from(
        [
            "B",
            "b",
            "KiB",
            "kB",
            "mB",
            "MB",
            "mb",
            "Mb",
            "GB/s",
            "mB/s",
            "GiB/s",
            "Hz",
            "GHz",
            "pJ",
            "pJ/B",
            "pJ/MAC",
            "TOPS",
            "W",
            "mW",
            "s",
            "ns",
            "µs",
            "bit/s",
            "bps",
            "",
            " ",
        ]
    ),  # fmt: skip
    st.text(max_size=8),
)


@FAST
@given(
    number=NUMBERS,
    unit=UNITS,
    dim=st.sampled_from(list(Dimension)),
    sep=st.sampled_from(["", " ", "  "]),
)
def test_unit_parser_gives_a_finite_value_or_a_unit_error(
    number: str, unit: str, dim: Dimension, sep: str
) -> None:
    text = f"{number}{sep}{unit}"
    try:
        value = parse_quantity(text, dim)
    except UnitError as exc:
        message = str(exc)
        assert "\n" not in message and len(message) < 400
        return
    assert math.isfinite(value) and value > 0


@FAST
@given(text=st.text(max_size=300))
def test_unit_parser_on_arbitrary_text(text: str) -> None:
    try:
        parse_quantity(text, Dimension.BYTES)
    except UnitError as exc:
        assert "\n" not in str(exc) and len(str(exc)) < 400


ATOMS = st.sampled_from(
    ["memory.dram.bandwidth", "compute.pe_array.count", "1", "2.5", "4 GB/s", "1 MiB", "x-y.z"]
)
OPS = st.sampled_from(["+", "-", "*", "/", "<=", "<", ">=", ">", "==", "!=", "(", ")", " - "])


@FAST
@given(parts=st.lists(st.one_of(ATOMS, OPS), max_size=400))
def test_constraint_parser_parses_or_raises_expression_error(parts: list[str]) -> None:
    text = " ".join(parts)
    try:
        c = parse_constraint(text)
    except ExpressionError as exc:
        assert "\n" not in str(exc) and len(str(exc)) < 400
        return
    assert c.comparators


@FAST
@given(text=st.text(max_size=500))
def test_constraint_parser_on_arbitrary_text(text: str) -> None:
    with contextlib.suppress(ExpressionError):
        parse_constraint(text)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix] if prefix else []
    if isinstance(node, dict):
        for k, v in node.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += _paths(v, (*prefix, i))
    return out


PATHS = _paths(TPU)
REPLACEMENTS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**20), 10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.sampled_from(["1e-300 B/s", "8 mB/s", "2 mb", "0 Hz", "inf W", "1e30 TOPS", "-1 pJ/B"]),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=3),
)


@FAST
@given(edits=st.lists(st.tuples(st.sampled_from(PATHS), REPLACEMENTS), min_size=1, max_size=4))
def test_mutated_builtin_spec_is_valid_or_a_clean_spec_error(
    edits: list[tuple[tuple[Any, ...], Any]],
) -> None:
    data = copy.deepcopy(TPU)
    for path, value in edits:
        node: Any = data
        try:
            for key in path[:-1]:
                node = node[key]
            node[path[-1]] = value
        except (KeyError, IndexError, TypeError):
            continue  # an earlier edit replaced a parent
    text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    with tempfile.TemporaryDirectory(prefix="hwsim-fuzz-") as folder:
        tmp = Path(folder) / "fuzz.yaml"
        tmp.write_text(text, encoding="utf-8")
        try:
            spec = load_hardware(tmp)
        except SpecError as exc:
            assert "\n" not in str(exc) and len(str(exc)) < 2000
            return
    assert isinstance(spec, HardwareSpec)
    for m in spec.memory:
        assert math.isfinite(m.read_bw) and m.read_bw > 0 and math.isfinite(m.capacity)
