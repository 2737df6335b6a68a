"""SimulationResult: the output contract (design.md section 7), as typed records.

:class:`LayerResult` (one op) and :class:`SimulationResult` (one run) are frozen, typed
dataclasses that pydantic validates: ``to_dict()`` writes the documented JSON
(docs/reports.md), ``from_dict()`` reads it back through a pydantic ``TypeAdapter`` of
these classes (reports read result files through it; errors name the field path), and
:func:`result_row` is the one flattener of a run into a table row (sweeps).

Why dataclasses and not ``BaseModel`` subclasses: the engine builds two to three records per
op on every run from values it computed itself; as ``BaseModel`` that measured 15-20 %
slower on benchmarks/bench_simulate.py (ResNet-50 on A100: 6.2 -> 7.3 ms) with 3.6x the
memory per op. Validation is where data comes in untrusted (files, other processes), and
``dataclasses.replace`` keeps deriving results cheap.

To add a per-layer field: declare it on :class:`LayerResult` with a default, and write it
in ``LayerResult.to_dict`` (optional fields only when set, so older files still read).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from pydantic import ConfigDict, TypeAdapter

RESULT_SCHEMA_VERSION = 2

LLM_FIELDS = ("prompt_len", "gen_len", "ttft_s", "tpot_s", "decode_tokens_per_s", "kv_cache_bytes")
"""Decoder-LLM fields of a run, written at the top level of the JSON."""

ROW_FIELDS = (
    "latency_s",
    "throughput_per_s",
    "energy_j",
    "avg_power_w",
    "macs",
    "flops",
    "params",
    "weight_bytes",
    "peak_activation_bytes",
    "fits",
)
"""Whole-run figures every result row carries (contract names of SimulationResult)."""


_CONFIG = ConfigDict(extra="forbid", allow_inf_nan=False)
"""How pydantic validates the records: no unknown fields, finite numbers only."""


@dataclass(frozen=True)
class LayerResult:
    """One op as simulated. Bytes per memory level; times in s; energy in J."""

    __pydantic_config__ = _CONFIG

    name: str
    op_type: str
    unit: str
    macs: int
    flops: int
    bytes: dict[str, float]
    start_s: float
    end_s: float
    latency_s: float
    energy_j: float
    energy_breakdown_j: dict[str, float]
    arithmetic_intensity: float | None
    bound: str
    bound_level: str | None
    transfers: tuple[tuple[str, float, float], ...] = ()
    phase: str | None = None
    live_bytes: float = 0.0
    clock_hz: float | None = None
    throttled: bool = False
    mapping: dict[str, Any] | None = None
    utilization: float | None = None
    resource_s: dict[str, float] = field(default_factory=dict)

    @classmethod
    def of(cls, **values: Any) -> LayerResult:
        """A record from the value of every field, built without the generated ``__init__``.

        The engine builds one record per op on every run, and a frozen dataclass's
        ``__init__`` sets each field through ``object.__setattr__`` (about 5 us for these 22
        fields, 4x this). Nothing is checked or defaulted: for the engine's own values.
        """
        layer: LayerResult = object.__new__(cls)
        layer.__dict__.update(values)
        return layer

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> LayerResult:
        """Read one entry of a result JSON's ``layers`` (validated; unknown keys ignored).

        Raises:
            pydantic.ValidationError: a missing field or a value of the wrong type.
        """
        layer: LayerResult = _adapter(cls).validate_python(_layer_data(d))
        return layer

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (contract fields first)."""
        d: dict[str, Any] = {
            "name": self.name,
            "op_type": self.op_type,
            "macs": self.macs,
            "flops": self.flops,
            "bytes": dict(self.bytes),
            "start_s": self.start_s,
            "end_s": self.end_s,
            "latency_s": self.latency_s,
            "energy_j": self.energy_j,
            "arithmetic_intensity": self.arithmetic_intensity,
            "bound": self.bound,
            "unit": self.unit,
            "bound_level": self.bound_level,
            "energy_breakdown_j": dict(self.energy_breakdown_j),
            "transfers": [{"level": lv, "start_s": s, "end_s": e} for lv, s, e in self.transfers],
            "live_bytes": self.live_bytes,
            "mapping": self.mapping,
            "utilization": self.utilization,
            "resource_s": dict(self.resource_s),
        }
        if self.phase is not None:
            d["phase"] = self.phase
        if self.clock_hz is not None:
            d["clock_hz"] = self.clock_hz
            d["throttled"] = self.throttled
        return d


def _layer_data(d: Mapping[str, Any]) -> dict[str, Any]:
    """A JSON layer entry as LayerResult fields (transfers back to tuples), unvalidated."""
    known = {k: v for k, v in d.items() if k in _names(LayerResult)}
    for k, default in (("macs", 0), ("energy_breakdown_j", {})):
        known.setdefault(k, default)
    for k in ("arithmetic_intensity", "bound_level"):
        known.setdefault(k, None)
    transfers = d.get("transfers", [])
    if isinstance(transfers, list):
        known["transfers"] = [
            (t.get("level"), t.get("start_s"), t.get("end_s")) if isinstance(t, Mapping) else t
            for t in transfers
        ]
    return known


@dataclass(frozen=True)
class SimulationResult:
    """Whole-run figures (contract field names; SI units in the suffix).

    FLOPs convention: ``flops = 2 x macs + non-MAC ops``.
    """

    __pydantic_config__ = _CONFIG

    hardware: str
    workload: str
    batch: int
    dtype: str
    profile: str
    latency_s: float
    throughput_per_s: float
    energy_j: float
    avg_power_w: float
    energy_breakdown_j: dict[str, float]
    macs: int
    flops: int
    params: int
    weight_bytes: float
    peak_activation_bytes: float
    memory_fit: dict[str, dict[str, Any]]
    bound_counts: dict[str, int]
    layers: tuple[LayerResult, ...]
    roofline: dict[str, Any]
    warnings: tuple[str, ...] = ()
    llm: dict[str, Any] = field(default_factory=dict)
    parallel: dict[str, Any] = field(default_factory=dict)
    power: dict[str, Any] = field(default_factory=dict)
    schema_version: int = RESULT_SCHEMA_VERSION

    def __str__(self) -> str:
        return summary_line(self)

    def __repr__(self) -> str:
        return f"<SimulationResult {summary_line(self)}>"

    @property
    def fits(self) -> bool:
        """True when every memory level holds what must live there."""
        return all(v["fits"] for v in self.memory_fit.values())

    def __getattr__(self, name: str) -> Any:
        # LLM fields (ttft_s, tpot_s, decode_tokens_per_s, kv_cache_bytes) as attributes.
        # Power fields (clock_hz, throttled, ...) likewise.
        for group in ("llm", "power"):
            values = self.__dict__.get(group) or {}
            if name in values:
                return values[name]
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def to_dict(self) -> dict[str, Any]:
        """Exactly the JSON of design.md section 7 (plus roofline, warnings, LLM fields)."""
        d: dict[str, Any] = {
            "schema_version": self.schema_version,
            "hardware": self.hardware,
            "workload": self.workload,
            "batch": self.batch,
            "dtype": self.dtype,
            "profile": self.profile,
            "latency_s": self.latency_s,
            "throughput_per_s": self.throughput_per_s,
            "energy_j": self.energy_j,
            "avg_power_w": self.avg_power_w,
            "energy_breakdown_j": dict(self.energy_breakdown_j),
            "macs": self.macs,
            "flops": self.flops,
            "params": self.params,
            "weight_bytes": self.weight_bytes,
            "peak_activation_bytes": self.peak_activation_bytes,
            "memory_fit": {k: dict(v) for k, v in self.memory_fit.items()},
            "bound_counts": dict(self.bound_counts),
        }
        d.update(self.llm)
        if self.parallel:
            d["parallel"] = self.parallel
        d.update(self.power)
        d["roofline"] = self.roofline
        d["warnings"] = list(self.warnings)
        d["layers"] = [layer.to_dict() for layer in self.layers]
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> SimulationResult:
        """Read a result JSON dict (``to_dict()``, ``hwsim run --json``), validated.

        The LLM fields go back to ``llm``, ``parallel`` to ``parallel``; other top-level
        fields beyond the contract (operating point, clock, throttling) go to ``power``.

        Raises:
            pydantic.ValidationError: a missing field or a value of the wrong type.
        """
        own = _names(cls) - {"layers", "llm", "parallel", "power"}
        top = {k: v for k, v in d.items() if k in own}
        top.setdefault("roofline", {})
        top["llm"] = {k: d[k] for k in LLM_FIELDS if k in d}
        top["parallel"] = d.get("parallel") or {}
        extra = set(d) - own - set(LLM_FIELDS) - {"layers", "parallel"}
        top["power"] = {k: d[k] for k in d if k in extra}
        layers = d.get("layers")
        top["layers"] = (
            [_layer_data(x) if isinstance(x, Mapping) else x for x in layers]
            if isinstance(layers, list)
            else layers
        )
        result: SimulationResult = _adapter(cls).validate_python(top)
        return result

    def row(self) -> dict[str, Any]:
        """This run as one flat table row (see :func:`result_row`)."""
        return result_row(self)


_ADAPTERS: dict[type, TypeAdapter[Any]] = {}


def _adapter(cls: type) -> TypeAdapter[Any]:
    """The pydantic validator of a record class (built on first use)."""
    adapter = _ADAPTERS.get(cls)
    if adapter is None:
        adapter = _ADAPTERS[cls] = TypeAdapter(cls)
    return adapter


def _names(cls: type) -> frozenset[str]:
    return frozenset(f.name for f in fields(cls))


def result_row(result: SimulationResult) -> dict[str, Any]:
    """One run as a flat row: names, :data:`ROW_FIELDS`, ``energy_<part>_j`` per energy
    part and the LLM fields.

    The one flattener of a whole run; sweeps and comparison tables use it.
    """
    row: dict[str, Any] = {
        "hardware": result.hardware,
        "profile": result.profile,
        "batch": result.batch,
        "dtype": result.dtype,
    }
    for f in ROW_FIELDS:
        row[f] = getattr(result, f)
    for part, joules in result.energy_breakdown_j.items():
        row[f"energy_{part}_j"] = joules
    row.update(result.llm)
    return row


def summary_line(r: SimulationResult) -> str:
    """``print(result)``: one line with the run and its headline figures (full data:
    ``result.to_dict()``)."""
    from hwsim.units import Dimension, format_quantity

    fits = "fits" if r.fits else "does NOT fit"
    tput = r.throughput_per_s
    rate = f"{tput:,.0f}/s" if tput >= 100 else f"{tput:.3g}/s"
    return (
        f"{r.workload} on {r.hardware} ({r.dtype}, batch {r.batch}, {r.profile}): "
        f"latency {format_quantity(r.latency_s, Dimension.SECONDS)}, "
        f"throughput {rate}, energy {format_quantity(r.energy_j, Dimension.JOULES)}, "
        f"avg power {format_quantity(r.avg_power_w, Dimension.WATTS)}, "
        f"{len(r.layers)} layers, memory {fits}"
    )
