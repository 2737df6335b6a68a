"""Sweep files: axes over dotted spec paths x workloads, constraints, sampling; checked once.

A sweep file (YAML) has these top-level keys (contract)::

    hardware: tpu-like                      # built-in chip or spec YAML (relative to this file)
    workloads: [resnet18, {name: mobilenet_v2, dtype: int8}]
    axes:
      memory.dram.bandwidth: [25 GB/s, 50 GB/s, 100 GB/s]
      compute.pe_array.count: {log: [1, 16], count: 5}
    constraints: ["memory.sram.capacity <= memory.dram.capacity"]
    sample: 100          # optional: N random points instead of the full grid
    seed: 0
    profile: ideal       # optional defaults for every workload
    batch: 1
    dtype: int8

Everything is validated before any point runs; errors are one line naming the axis.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import json
import math
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from hwsim.errors import HwsimError
from hwsim.hardware.loader import load_hardware, read_yaml
from hwsim.hardware.models import HardwareSpec
from hwsim.hardware.variants import SpecVariants
from hwsim.sweep.expr import Constraint, ExpressionError, parse_constraint
from hwsim.textio import shorten
from hwsim.units import Dimension, quantity_dimension

TOP_KEYS = (
    "hardware",
    "workloads",
    "axes",
    "constraints",
    "sample",
    "seed",
    "profile",
    "batch",
    "dtype",
    "description",
)
"""Keys a sweep file may have (``hardware`` and ``workloads`` are required)."""

MODEL_FILE_SUFFIXES = (".onnx", ".json", ".yaml", ".yml")

SI_SUFFIX: dict[Dimension, str] = {
    Dimension.BYTES: "bytes",
    Dimension.BYTES_PER_S: "bytes_per_s",
    Dimension.HERTZ: "hz",
    Dimension.SECONDS: "s",
    Dimension.JOULES: "j",
    Dimension.WATTS: "w",
    Dimension.OPS_PER_S: "ops_per_s",
    Dimension.JOULES_PER_OP: "j_per_op",
    Dimension.JOULES_PER_MAC: "j_per_mac",
    Dimension.JOULES_PER_BYTE: "j_per_byte",
}
"""Suffix of the numeric SI column added next to a quantity axis (``<path>_<suffix>``)."""

FULL_GRID_LIMIT = 2_000_000
"""Largest grid that is enumerated when sampling without replacement; bigger ones are
sampled by rejection."""

_QTY = re.compile(r"^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*(\S.*?)?\s*$")


MAX_AXIS_VALUES = 100_000
"""Most values one generated axis may have (a typo like count: 1e9 is an error, not a hang)."""

MAX_SWEEP_ROWS = 1_000_000
"""Most rows (grid points or samples, times workloads) of one sweep: at ~2.5 ms a row that
is about 40 CPU-minutes; a bigger sweep is split or sampled (docs/limits.md)."""


class SweepError(HwsimError):
    """A sweep file or sweep call is invalid (message names the axis, workload or key)."""


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _plain(v: Any) -> bool:
    """Axis values are plain data: scalars or lists of scalars (e.g. ``holds: [weights]``)."""
    if isinstance(v, list):
        return all(isinstance(x, (str, int, float, bool)) for x in v)
    return isinstance(v, (str, int, float, bool))


def _si(value: Any) -> tuple[float, Dimension | None] | None:
    """SI value and dimension of an axis value; None when it is not numeric (e.g. a name)."""
    if _is_number(value):
        return float(value), None
    if isinstance(value, str):
        return quantity_dimension(value)
    return None


def _fmt_number(x: float, digits: int) -> str:
    return f"{x:.{digits}g}"


_BINARY_BYTES = (("B", 1.0), ("KiB", 2.0**10), ("MiB", 2.0**20), ("GiB", 2.0**30), ("TiB", 2.0**40))
_SI_PREFIXES = ("p", "n", "u", "m", "", "k", "M", "G", "T", "P")


@functools.lru_cache(maxsize=64)
def _unit_family(unit: str, factor: float) -> tuple[tuple[str, float], ...]:
    """Units of the same kind as ``unit`` with other prefixes, smallest first: binary
    sizes for KiB/MiB/GiB, SI prefixes for the rest (GB/s -> kB/s, MB/s, GB/s, TB/s)."""
    if unit in {u for u, _ in _BINARY_BYTES}:
        return _BINARY_BYTES
    one = quantity_dimension(f"1 {unit}")
    base = unit
    if len(unit) > 1 and unit[0] in _SI_PREFIXES and one is not None:
        rest = quantity_dimension(f"1 {unit[1:]}")
        if rest is not None and rest[1] is one[1] and rest[0] != one[0]:
            base = unit[1:]
    family = []
    for p in _SI_PREFIXES:
        q = quantity_dimension(f"1 {p}{base}")
        if q is not None and one is not None and q[1] is one[1]:
            family.append((f"{p}{base}", q[0]))
    return tuple(sorted(family, key=lambda uf: uf[1])) or ((unit, factor),)


def _best_unit(unit: str, factor: float, x: float) -> tuple[str, float]:
    """The unit of ``unit``'s family in which ``x`` (SI) reads as 1 <= value < 1000 (1024)."""
    family = _unit_family(unit, factor)
    best = family[0]
    for u, f in family:
        if abs(x) >= f * (1 - 1e-12):
            best = (u, f)
    return best


GRID_DIGITS = (4, 12)
"""Generated grid values get the fewest significant digits in this range that keep them
distinct (``"4.979 GB/s"``, not ``"4.978770358 GB/s"``)."""

SAMPLE_DIGITS = 6
"""Significant digits of values drawn from continuous ranges."""


@dataclass(frozen=True)
class Axis:
    """One swept field: a dotted spec path and its values (as written, units kept).

    Discrete axes have ``values``; continuous ones (``{linear: [a, b]}`` or
    ``{log: [a, b]}`` without ``count``) have ``low``/``high`` and are only valid with
    ``sample``.
    """

    path: str
    values: tuple[Any, ...] = ()
    low: float | None = None
    high: float | None = None
    scale: str = "list"  # list | linear | log
    unit: str | None = None  # unit of generated values (from the range's start)
    unit_factor: float = 1.0  # SI value of one ``unit``
    dim: Dimension | None = None
    integer: bool = False

    @property
    def continuous(self) -> bool:
        """True for a range that is sampled uniformly (no fixed values)."""
        return not self.values

    @property
    def si_column(self) -> str | None:
        """Name of the numeric SI column for a quantity axis (None for plain numbers)."""
        return f"{self.path}_{SI_SUFFIX[self.dim]}" if self.dim is not None else None

    def from_si(self, x: float, digits: int = SAMPLE_DIGITS) -> Any:
        """A generated SI value written like the axis' own values (``"37.5 GB/s"``),
        rounded to ``digits`` significant digits, in the unit of the axis' family that
        reads best (``"8 MiB"``, not ``"8192 KiB"`` or ``"1.638e+04 KiB"``)."""
        if self.integer:
            return int(round(x))
        if self.unit is None:
            return float(_fmt_number(x, digits))
        unit, factor = _best_unit(self.unit, self.unit_factor, x)
        return f"{_fmt_number(x / factor, digits)} {unit}"

    def draw(self, rng: np.random.Generator, n: int) -> list[Any]:
        """``n`` values drawn uniformly (log-uniformly for ``log``) from a continuous range."""
        assert self.low is not None and self.high is not None
        if self.scale == "log":
            xs = np.exp(rng.uniform(math.log(self.low), math.log(self.high), n))
        elif self.integer:
            xs = rng.integers(int(self.low), int(self.high) + 1, n).astype(float)
        else:
            xs = rng.uniform(self.low, self.high, n)
        return [self.from_si(float(x)) for x in xs]


@dataclass(frozen=True)
class WorkloadDef:
    """A workload of the sweep: built-in name or model file, its parameters, its label."""

    label: str
    name: str
    params: dict[str, Any] = field(default_factory=dict)
    profile: str | None = None
    content_hash: str | None = None  # sha256 of a model file, so edits invalidate results

    def as_payload(self) -> dict[str, Any]:
        """Plain data sent to workers (and hashed into result keys)."""
        return {
            "name": self.name,
            "params": dict(self.params),
            "profile": self.profile,
            "content": self.content_hash,
        }


@dataclass(frozen=True)
class SweepPlan:
    """A validated sweep: base spec, workloads, axes, constraints and sampling."""

    hardware: str
    base: dict[str, Any]
    workloads: tuple[WorkloadDef, ...]
    axes: tuple[Axis, ...]
    constraints: tuple[Constraint, ...] = ()
    sample: int | None = None
    seed: int | None = None
    source: str = "sweep"
    description: str = ""

    @property
    def spec_name(self) -> str:
        """Name of the base chip."""
        return str(self.base.get("name", self.hardware))

    @property
    def base_hash(self) -> str:
        """sha256 of the base spec's normalised content."""
        return _hash(self.base)

    def base_spec(self) -> HardwareSpec:
        """The base chip as a validated HardwareSpec."""
        return HardwareSpec.model_validate(self.base, context={"strict_units": True})

    def points(self) -> list[dict[str, Any]]:
        """Every point of the sweep (axis path -> value as written), in a fixed order.

        The full grid in row-major order (first axis outermost), filtered by the
        constraints; with ``sample``, ``sample`` points drawn with ``seed``.
        """
        if self.sample is None:
            if any(a.continuous for a in self.axes):
                raise SweepError(f"{self.source}: continuous axes need 'sample'")
            return [p for p in self._grid() if self._ok(p)]
        return self._sampled(self.sample, 0 if self.seed is None else self.seed)

    def grid_size(self) -> int:
        """Number of grid points before constraints (0 when an axis is continuous)."""
        if any(a.continuous for a in self.axes):
            return 0
        return math.prod(len(a.values) for a in self.axes)

    def _grid(self) -> Iterator[dict[str, Any]]:
        paths = [a.path for a in self.axes]
        for combo in itertools.product(*(a.values for a in self.axes)):
            yield dict(zip(paths, combo))

    def _ok(self, point: Mapping[str, Any]) -> bool:
        if not self.constraints:
            return True
        lookup = self._lookup(point)
        return all(c.holds(lookup) for c in self.constraints)

    def _lookup(self, point: Mapping[str, Any]) -> Any:
        def lookup(path: str) -> tuple[float, Dimension | None]:
            if path in point:
                v = _si(point[path])
                if v is None:
                    raise ExpressionError(f"{path} = {shorten(point[path])} is not a number")
                return v
            return _base_value(self.base, path)

        return lookup

    def _sampled(self, n: int, seed: int) -> list[dict[str, Any]]:
        rng = np.random.default_rng(seed)
        if not self.axes:
            return [{}]
        size = self.grid_size()
        if size and size <= FULL_GRID_LIMIT:
            grid = [p for p in self._grid() if self._ok(p)]
            if n >= len(grid):
                return grid
            idx = np.sort(rng.choice(len(grid), size=n, replace=False))
            return [grid[i] for i in idx]
        # Continuous axes (or a huge grid): draw, drop repeats and rejected points.
        out: list[dict[str, Any]] = []
        seen: set[str] = set()
        for _ in range(100):
            want = max(16, 2 * (n - len(out)))
            cols = []
            for a in self.axes:
                if a.continuous:
                    cols.append(a.draw(rng, want))
                else:
                    cols.append([a.values[i] for i in rng.integers(0, len(a.values), want)])
            for combo in zip(*cols):
                p = dict(zip((a.path for a in self.axes), combo))
                key = json.dumps(p, sort_keys=True)
                if key in seen or not self._ok(p):
                    continue
                seen.add(key)
                out.append(p)
                if len(out) == n:
                    return out
        raise SweepError(
            f"{self.source}: found only {len(out)} distinct points that meet the constraints "
            f"(sample: {n})"
        )


def _hash(data: Any) -> str:
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _walk(data: Any, path: str) -> Any:
    """Value at a dotted path of a spec dict (list entries by name); KeyError if absent."""
    node = data
    for part in path.split("."):
        if isinstance(node, list):
            match = [e for e in node if isinstance(e, dict) and e.get("name") == part]
            if not match and part.isdigit() and int(part) < len(node):
                match = [node[int(part)]]
            if not match:
                raise KeyError(part)
            node = match[0]
        elif isinstance(node, dict):
            node = node[part]
        else:
            raise KeyError(part)
    return node


def _base_value(base: Mapping[str, Any], path: str) -> tuple[float, Dimension | None]:
    try:
        v = _walk(base, path)
    except KeyError:
        raise ExpressionError(f"{path} is neither an axis nor a field of the chip") from None
    si = _si(v)
    if si is None:
        raise ExpressionError(f"{path} = {shorten(v)} is not a number")
    return si


# ---------------------------------------------------------------------------- parsing


def _where(source: str, path: str) -> str:
    return f"{source}: axis {shorten(path)}"


def _strip_override_prefix(msg: str, spec_name: str) -> str:
    prefix = f"{spec_name} override: "
    return msg[len(prefix) :] if msg.startswith(prefix) else msg


def _check_value(variants: SpecVariants, path: str, value: Any, source: str) -> None:
    try:
        variants({path: value})
    except HwsimError as exc:
        reason = _strip_override_prefix(str(exc), variants.base.name)
        raise SweepError(f"{_where(source, path)}: value {shorten(value)}: {reason}") from None


def _range_end(v: Any, where: str) -> tuple[float, str | None, float, Dimension | None]:
    """(SI value, unit text, SI factor of one unit, dimension) of a range endpoint."""
    if _is_number(v):
        return float(v), None, 1.0, None
    if isinstance(v, str):
        m = _QTY.match(v)
        q = quantity_dimension(v)
        if m and m.group(2) and q is not None:
            unit = m.group(2)
            one = quantity_dimension(f"1 {unit}")
            assert one is not None
            return q[0], unit, one[0], q[1]
    raise SweepError(
        f"{where}: range end {shorten(v)} is neither a number nor a quantity like '25 GB/s'"
    )


def _parse_axis(path: Any, raw: Any, source: str) -> Axis:
    if not isinstance(path, str) or not path.strip():
        raise SweepError(f"{source}: axes: keys must be dotted spec paths, got {shorten(path)}")
    where = _where(source, path)
    if isinstance(raw, (list, tuple)):
        if not raw:
            raise SweepError(f"{where}: no values (empty list)")
        for v in raw:
            if not _plain(v):
                raise SweepError(
                    f"{where}: value {shorten(v)} must be a number, a string (e.g. '25 GB/s'), "
                    "a boolean or a list of those"
                )
        if len({json.dumps(v) for v in raw}) != len(raw):
            raise SweepError(f"{where}: repeated values")
        dims = {si[1] for v in raw if (si := _si(v)) is not None}
        if len(dims) > 1:
            got = ", ".join(sorted(d.value if d else "plain number" for d in dims))
            raise SweepError(f"{where}: values mix units of different kinds ({got})")
        dim = dims.pop() if dims else None
        return Axis(path, tuple(raw), dim=dim)
    if isinstance(raw, Mapping):
        kinds = [k for k in ("linear", "log") if k in raw]
        extra = sorted(set(raw) - {"linear", "log", "count"})
        if len(kinds) != 1 or extra:
            raise SweepError(
                f"{where}: expected a list of values, {{linear: [start, stop], count: n}} or "
                f"{{log: [start, stop], count: n}}, got keys {', '.join(map(str, raw))}"
            )
        scale = kinds[0]
        ends = raw[scale]
        if not isinstance(ends, (list, tuple)) or len(ends) != 2:
            raise SweepError(f"{where}: {scale} needs [start, stop]")
        lo, unit, factor, dim = _range_end(ends[0], where)
        hi, _, _, dim_hi = _range_end(ends[1], where)
        if dim is not dim_hi:
            raise SweepError(
                f"{where}: start {shorten(ends[0])} and stop {shorten(ends[1])} differ in kind"
            )
        if scale == "log" and (lo <= 0 or hi <= 0):
            raise SweepError(f"{where}: log range needs positive start and stop")
        integer = all(isinstance(e, int) and not isinstance(e, bool) for e in ends)
        axis = Axis(
            path,
            low=min(lo, hi),
            high=max(lo, hi),
            scale=scale,
            unit=unit,
            unit_factor=factor,
            dim=dim,
            integer=integer,
        )
        if "count" not in raw:
            return axis
        count = raw["count"]
        if not isinstance(count, int) or isinstance(count, bool) or count < 1:
            raise SweepError(f"{where}: count must be a positive integer, got {shorten(count)}")
        if count > MAX_AXIS_VALUES:
            raise SweepError(f"{where}: count {count:,} is more than {MAX_AXIS_VALUES:,} values")
        xs = np.geomspace(lo, hi, count) if scale == "log" else np.linspace(lo, hi, count)
        values: list[Any] = []
        for digits in range(GRID_DIGITS[0], GRID_DIGITS[1] + 1):
            values = list(dict.fromkeys(axis.from_si(float(x), digits) for x in xs))
            if axis.integer or len(values) == len(xs):
                break
        # The endpoints are the values as written: exact, never rounded
        # ({log: [512 KiB, 16 MiB]} ends at 16 MiB, not 16,773,120 B).
        if values and len(values) == len(xs):
            values[0] = ends[0]
            if len(values) > 1:
                values[-1] = ends[1]
        return Axis(
            path,
            tuple(values),
            scale=scale,
            unit=unit,
            unit_factor=factor,
            dim=dim,
            integer=integer,
        )
    if raw is None:
        raise SweepError(f"{where}: no values")
    raise SweepError(
        f"{where}: expected a list of values or a linear/log range, got {shorten(raw)}"
    )


def _validate_axis(variants: SpecVariants, axis: Axis, source: str) -> None:
    """Apply values of the axis to the base spec: unknown paths and wrong units fail here."""
    if axis.continuous:
        assert axis.low is not None and axis.high is not None
        probe = [axis.from_si(axis.low), axis.from_si(axis.high)]
    else:
        probe = list(axis.values)
    for v in dict.fromkeys(json.dumps(p) for p in probe):
        _check_value(variants, axis.path, json.loads(v), source)


def _workload_defs(
    raw: Any, defaults: Mapping[str, Any], base_dir: Path | None, source: str
) -> tuple[WorkloadDef, ...]:
    from hwsim.workload.registry import load_workload

    if isinstance(raw, (str, Mapping)):
        raw = [raw]
    if not isinstance(raw, (list, tuple)) or not raw:
        raise SweepError(f"{source}: workloads: expected a non-empty list of names")
    defs: list[WorkloadDef] = []
    for i, entry in enumerate(raw):
        if isinstance(entry, str):
            entry = {"name": entry}
        if not isinstance(entry, Mapping) or not isinstance(entry.get("name"), str):
            raise SweepError(
                f"{source}: workloads[{i}]: expected a name or {{name: ..., <param>: ...}}"
            )
        params = {
            k: v
            for k, v in entry.items()
            if k not in ("name", "label", "profile") and v is not None
        }
        for k in ("batch", "dtype"):
            if k not in params and defaults.get(k) is not None:
                params[k] = defaults[k]
        name = entry["name"]
        content = None
        if Path(name).suffix.lower() in MODEL_FILE_SUFFIXES:
            p = Path(name)
            if not p.is_absolute() and base_dir is not None and (base_dir / p).is_file():
                p = base_dir / p
            if p.is_file():
                name = str(p.resolve())
                content = hashlib.sha256(p.read_bytes()).hexdigest()
        profile = entry.get("profile", defaults.get("profile"))
        try:
            load_workload(name, **params)
        except HwsimError as exc:
            raise SweepError(f"{source}: workload {shorten(entry['name'])}: {exc}") from None
        label = str(entry.get("label") or entry["name"])
        defs.append(WorkloadDef(label, name, params, profile, content))
    labels = [d.label for d in defs]
    if len(set(labels)) != len(labels):
        # Same model twice with different parameters: spell the parameters out.
        renamed = []
        for d in defs:
            if labels.count(d.label) > 1 and d.params:
                extra = ",".join(f"{k}={v}" for k, v in sorted(d.params.items()))
                d = WorkloadDef(f"{d.label}({extra})", d.name, d.params, d.profile, d.content_hash)
            renamed.append(d)
        defs = renamed
        labels = [d.label for d in defs]
        dup = sorted({x for x in labels if labels.count(x) > 1})
        if dup:
            raise SweepError(f"{source}: workloads: {', '.join(dup)} listed twice")
    return tuple(defs)


def _check_profiles(spec: HardwareSpec, workloads: Sequence[WorkloadDef], source: str) -> None:
    for w in workloads:
        p = w.profile
        if p is None or str(p).endswith((".yaml", ".yml")):
            continue
        if p not in spec.profiles:
            raise SweepError(
                f"{source}: workload {w.label!r}: {spec.name} has no software profile {p!r} "
                f"(has: {', '.join(sorted(spec.profiles))})"
            )


def _int_option(data: Mapping[str, Any], key: str, source: str, minimum: int) -> int | None:
    v = data.get(key)
    if v is None:
        return None
    if not isinstance(v, int) or isinstance(v, bool) or v < minimum:
        raise SweepError(f"{source}: {key}: expected an integer >= {minimum}, got {shorten(v)}")
    return v


def parse_sweep(data: Any, *, source: str = "sweep", base_dir: Path | None = None) -> SweepPlan:
    """Validate a sweep definition (the sweep file's mapping) into a SweepPlan.

    Args:
        data: mapping with the keys of :data:`TOP_KEYS`.
        source: name used at the start of error messages (the file name).
        base_dir: folder that relative spec/model file paths are resolved against.

    Raises:
        SweepError: one line naming the key, axis or workload at fault.
    """
    if not isinstance(data, Mapping):
        raise SweepError(f"{source}: expected a mapping with hardware, workloads and axes")
    unknown = [str(k) for k in data if k not in TOP_KEYS]
    if unknown:
        raise SweepError(
            f"{source}: unknown key(s) {', '.join(unknown)}; allowed: {', '.join(TOP_KEYS)}"
        )
    hw = data.get("hardware")
    if hw is None:
        raise SweepError(f"{source}: hardware: required (a built-in chip name or spec YAML)")
    if isinstance(hw, HardwareSpec):
        spec, hw_name = hw, hw.name
    else:
        hw_name = str(hw)
        p = Path(hw_name)
        if base_dir is not None and not p.is_absolute() and (base_dir / p).is_file():
            hw_name = str((base_dir / p).resolve())
        try:
            spec = load_hardware(hw_name)
        except HwsimError as exc:
            raise SweepError(f"{source}: hardware: {exc}") from None
    if "workloads" not in data:
        raise SweepError(f"{source}: workloads: required (a list of workload names)")
    for k in ("profile", "dtype"):
        if data.get(k) is not None and not isinstance(data[k], str):
            raise SweepError(f"{source}: {k}: expected a string, got {shorten(data[k])}")
    _int_option(data, "batch", source, 1)
    sample = _int_option(data, "sample", source, 1)
    seed = _int_option(data, "seed", source, 0)
    workloads = _workload_defs(data["workloads"], data, base_dir, source)
    _check_profiles(spec, workloads, source)

    raw_axes = data.get("axes") or {}
    if not isinstance(raw_axes, Mapping):
        raise SweepError(f"{source}: axes: expected a mapping of dotted path -> values")
    axes = tuple(_parse_axis(path, raw, source) for path, raw in raw_axes.items())
    variants = SpecVariants(spec)
    for axis in axes:
        _validate_axis(variants, axis, source)
    _check_size(axes, sample, len(workloads), source)

    raw_c = data.get("constraints") or []
    if isinstance(raw_c, (str, Mapping)):
        raw_c = [raw_c]
    if not isinstance(raw_c, (list, tuple)):
        raise SweepError(f"{source}: constraints: expected a list of expressions")
    base = spec.model_dump(mode="json", exclude_none=True)
    constraints = []
    for i, c in enumerate(raw_c):
        if isinstance(c, Mapping):
            if set(c) != {"path", "op", "value"}:
                raise SweepError(f"{source}: constraints[{i}]: expected {{path, op, value}}")
            c = f"{c['path']} {c['op']} {c['value']}"
        try:
            parsed = parse_constraint(c)
        except ExpressionError as exc:
            raise SweepError(f"{source}: constraint {shorten(c)}: {exc}") from None
        constraints.append(parsed)
    plan = SweepPlan(
        hardware=hw_name,
        base=base,
        workloads=workloads,
        axes=axes,
        constraints=tuple(constraints),
        sample=sample,
        seed=seed,
        source=source,
        description=_description(data.get("description"), source),
    )
    _check_constraints(plan)
    return plan


def _check_size(axes: Sequence[Axis], sample: int | None, n_workloads: int, source: str) -> None:
    """The whole sweep is bounded, not only each axis (6 axes x 100 values is 1e12 points)."""
    if sample is not None:
        rows, what = sample * n_workloads, f"sample {sample:,}"
    elif any(a.continuous for a in axes):
        return  # points() refuses continuous axes without a sample
    else:
        points = math.prod(len(a.values) for a in axes)
        rows = points * n_workloads
        what = " x ".join(str(len(a.values)) for a in axes) or "1"
        what = f"a grid of {what} = {points:,} points"
    if rows > MAX_SWEEP_ROWS:
        raise SweepError(
            f"{source}: {what} x {n_workloads} workload(s) is {rows:,} rows, more than the "
            f"limit of {MAX_SWEEP_ROWS:,}; use 'sample' or fewer values"
        )


def _description(value: Any, source: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise SweepError(f"{source}: description: expected text, got a {type(value).__name__}")
    if len(value) > 10_000:
        raise SweepError(f"{source}: description: longer than 10,000 characters")
    return value


def _check_constraints(plan: SweepPlan) -> None:
    """Evaluate each constraint on a probe point: unknown names and mixed units fail now."""
    if not plan.constraints:
        return
    probe: dict[str, Any] = {}
    for a in plan.axes:
        if a.continuous:
            assert a.low is not None
            probe[a.path] = a.from_si(a.low)
        else:
            probe[a.path] = a.values[0]
    lookup = plan._lookup(probe)
    for c in plan.constraints:
        try:
            c.holds(lookup)
        except ExpressionError as exc:
            raise SweepError(f"{plan.source}: constraint {shorten(c.text)}: {exc}") from None


def load_sweep_file(path: str | Path) -> SweepPlan:
    """Read and validate a sweep YAML file (see the module docstring for the format).

    Raises:
        SweepError: the file cannot be read, or a key, axis or workload is invalid.
    """
    p = Path(path)
    try:
        data = read_yaml(p)
    except HwsimError as exc:
        raise SweepError(str(exc)) from None
    return parse_sweep(data, source=p.name, base_dir=p.resolve().parent)
