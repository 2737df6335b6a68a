"""Simulate measurement rows and compare: predicted vs measured, errors, summary statistics.

Error definition (used everywhere in hwsim's validation):

* ``ratio = predicted / measured`` (of the metric as published: a throughput ratio above 1
  means the model is too optimistic, a latency ratio above 1 too pessimistic);
* ``error = ratio - 1``, the signed relative error (pred - meas) / meas;
* ``|error|`` is what the summary's median and max are taken over;
* ``factor = max(ratio, 1 / ratio)``: "no row worse than 2x" means every factor <= 2,
  i.e. 0.5 <= ratio <= 2.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

from hwsim.engine.result import SimulationResult
from hwsim.engine.simulate import simulate
from hwsim.errors import HwsimError
from hwsim.hardware.loader import builtin_hardware_names, load_hardware, load_profile
from hwsim.hardware.models import HardwareSpec, SoftwareProfile
from hwsim.validation.measurements import (
    METRICS,
    Measurement,
    MetricUnavailable,
    read_measurements,
)
from hwsim.workload.ir import DecoderWorkload, Workload
from hwsim.workload.registry import builtin_workloads, load_workload

REPORT_SCHEMA_VERSION = 1
ERROR_DEFINITION = (
    "ratio = predicted / measured; error = ratio - 1 = (pred - meas) / meas (signed); "
    "median and max are over |error|; factor = max(ratio, 1/ratio), 'within 2x' means "
    "0.5 <= ratio <= 2"
)
MODEL_SUFFIXES = (".yaml", ".yml", ".onnx", ".json")
PROFILE_SUFFIXES = (".yaml", ".yml")

ProfileKey = tuple[str, str]
"""(chip name, profile name) as in a HardwareSpec."""


class RowSkipped(Exception):
    """This row cannot be simulated; the message is the reason."""


@dataclass(frozen=True)
class RowResult:
    """One measurement with its prediction (or the reason it was skipped)."""

    measurement: Measurement
    status: Literal["ok", "skipped"]
    predicted: float | None = None
    reason: str = ""
    device_class: str = ""
    profile: str | None = None
    warnings: tuple[str, ...] = ()
    bound_counts: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when the row was simulated."""
        return self.status == "ok"

    @property
    def ratio(self) -> float:
        """predicted / measured (dimensionless)."""
        assert self.predicted is not None
        return self.predicted / self.measurement.value

    @property
    def error(self) -> float:
        """Signed relative error (pred - meas) / meas."""
        return self.ratio - 1.0

    @property
    def abs_error(self) -> float:
        """|pred - meas| / meas."""
        return abs(self.error)

    @property
    def factor(self) -> float:
        """max(ratio, 1/ratio) >= 1: how many times off, either way."""
        r = self.ratio
        return max(r, 1.0 / r) if r > 0 else math.inf

    @property
    def log_error(self) -> float:
        """ln(pred / meas): the residual that calibration minimises."""
        return math.log(self.ratio) if self.ratio > 0 else -math.inf

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready row: the measurement, prediction and errors."""
        m = self.measurement
        d: dict[str, Any] = {
            "id": m.id,
            "class": self.device_class,
            "workload": m.workload,
            "hardware": m.hardware,
            "profile": self.profile or m.profile,
            "dtype": m.dtype,
            "batch": m.batch,
            "metric": m.metric,
            "unit": METRICS[m.metric].unit,
            "measured": m.value,
            "status": self.status,
        }
        if self.ok:
            d.update(
                predicted=self.predicted,
                ratio=self.ratio,
                error=self.error,
                abs_error=self.abs_error,
                factor=self.factor,
                bound_counts=dict(self.bound_counts),
                warnings=list(self.warnings),
            )
        else:
            d["reason"] = self.reason
        d["source"] = m.source
        d["notes"] = m.notes
        return d


@dataclass(frozen=True)
class ErrorStats:
    """Summary of |error| over a group of rows."""

    n: int
    median_abs_error: float
    max_abs_error: float
    mean_abs_error: float
    worst_factor: float
    worst_id: str
    within_2x: int
    geomean_ratio: float
    """exp(mean ln ratio): > 1 means the group is predicted high on average."""
    within_125: int = 0
    """Rows with factor <= 1.25 (0.8 <= ratio <= 1.25)."""

    @property
    def share_within_2x(self) -> float:
        """Fraction of the rows within 2x (NaN for an empty group)."""
        return self.within_2x / self.n if self.n else math.nan

    @property
    def share_within_125(self) -> float:
        """Fraction of the rows within 1.25x (NaN for an empty group)."""
        return self.within_125 / self.n if self.n else math.nan

    @classmethod
    def of(cls, rows: Iterable[RowResult]) -> ErrorStats:
        """Statistics of the simulated rows among ``rows``."""
        ok = [r for r in rows if r.ok]
        if not ok:
            return cls(0, math.nan, math.nan, math.nan, math.nan, "", 0, math.nan)
        errs = np.array([r.abs_error for r in ok])
        worst = max(ok, key=lambda r: r.factor)
        return cls(
            n=len(ok),
            median_abs_error=float(np.median(errs)),
            max_abs_error=float(errs.max()),
            mean_abs_error=float(errs.mean()),
            worst_factor=worst.factor,
            worst_id=worst.measurement.id,
            within_2x=sum(1 for r in ok if r.factor <= 2.0 + 1e-12),
            geomean_ratio=float(np.exp(np.mean([r.log_error for r in ok]))),
            within_125=sum(1 for r in ok if r.factor <= 1.25 + 1e-12),
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (NaN for an empty group becomes null)."""

        def num(v: float) -> float | None:
            return None if math.isnan(v) else v

        return {
            "n": self.n,
            "median_abs_error": num(self.median_abs_error),
            "max_abs_error": num(self.max_abs_error),
            "mean_abs_error": num(self.mean_abs_error),
            "worst_factor": num(self.worst_factor),
            "worst_id": self.worst_id or None,
            "within_2x": self.within_2x,
            "within_1_25x": self.within_125,
            "geomean_ratio": num(self.geomean_ratio),
        }


@dataclass(frozen=True)
class ValidationReport:
    """Every row's prediction and the summary statistics (per device class and overall)."""

    rows: tuple[RowResult, ...]
    source: str = ""

    @property
    def simulated(self) -> list[RowResult]:
        """Rows that were simulated."""
        return [r for r in self.rows if r.ok]

    @property
    def skipped(self) -> list[RowResult]:
        """Rows that could not be simulated (each with its reason)."""
        return [r for r in self.rows if not r.ok]

    def overall(self) -> ErrorStats:
        """Statistics over all simulated rows."""
        return ErrorStats.of(self.rows)

    def by_class(self) -> dict[str, ErrorStats]:
        """Statistics per device class, in order of first appearance."""
        classes: dict[str, list[RowResult]] = {}
        for r in self.rows:
            if r.ok:
                classes.setdefault(r.device_class, []).append(r)
        return {k: ErrorStats.of(v) for k, v in classes.items()}

    def meets(self, median_abs_error: float = 0.25, max_factor: float = 2.0) -> bool:
        """True when the median |error| and the worst factor are within the goal."""
        s = self.overall()
        return s.n > 0 and s.median_abs_error <= median_abs_error and s.worst_factor <= max_factor

    def row(self, row_id: str) -> RowResult:
        """The result of the row with this id."""
        for r in self.rows:
            if r.measurement.id == row_id:
                return r
        raise KeyError(row_id)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready report: rows, skipped rows with reasons, summary, error definition."""
        return {
            "schema_version": REPORT_SCHEMA_VERSION,
            "source": self.source,
            "error_definition": ERROR_DEFINITION,
            "summary": {
                "overall": self.overall().to_dict(),
                "by_class": {k: v.to_dict() for k, v in self.by_class().items()},
                "skipped": len(self.skipped),
            },
            "rows": [r.to_dict() for r in self.rows if r.ok],
            "skipped": [r.to_dict() for r in self.rows if not r.ok],
        }


def _local_path(text: str, base_dir: Path | None) -> Path:
    p = Path(text).expanduser()
    if not p.is_absolute() and base_dir is not None and (base_dir / p).exists():
        return base_dir / p
    return p


@dataclass
class Predictor:
    """Simulates measurement rows with caching; profiles may be replaced per (chip, name).

    ``overrides[(chip, profile)]`` replaces that profile of that chip (calibration uses this
    to evaluate candidate profiles without writing files).
    """

    overrides: Mapping[ProfileKey, SoftwareProfile] = field(default_factory=dict)
    _specs: dict[str, HardwareSpec] = field(default_factory=dict)
    _workloads: dict[tuple[Any, ...], Workload | DecoderWorkload] = field(default_factory=dict)
    _results: dict[tuple[Any, ...], SimulationResult] = field(default_factory=dict)
    _notes: dict[str, str] = field(default_factory=dict)

    def with_overrides(self, overrides: Mapping[ProfileKey, SoftwareProfile]) -> Predictor:
        """A predictor with other profile overrides that shares this one's caches."""
        other = Predictor(overrides=dict(overrides))
        other._specs = self._specs
        other._workloads = self._workloads
        other._results = self._results
        other._notes = self._notes
        return other

    def hardware(self, m: Measurement) -> HardwareSpec:
        """The chip of a row (RowSkipped when unknown or invalid)."""
        key = m.hardware
        if key not in self._specs:
            if key.endswith(PROFILE_SUFFIXES):
                path = _local_path(key, m.base_dir)
                if not path.is_file():
                    raise RowSkipped(f"no such hardware spec file {key!r}")
                ref: str | Path = path
            elif key in builtin_hardware_names():
                ref = key
            else:
                raise RowSkipped(f"unknown hardware {key!r} (no built-in chip of that name)")
            try:
                self._specs[key] = load_hardware(ref)
            except HwsimError as exc:
                raise RowSkipped(f"hardware {key!r}: {exc}") from None
        return self._specs[key]

    def profile(self, m: Measurement, spec: HardwareSpec) -> SoftwareProfile:
        """The software profile of a row: override, chip profile by name, or a YAML file."""
        name = m.profile
        if name is not None and name.endswith(PROFILE_SUFFIXES):
            path = _local_path(name, m.base_dir)
            if not path.is_file():
                raise RowSkipped(f"no such profile file {name!r}")
            try:
                return load_profile(path)
            except HwsimError as exc:
                raise RowSkipped(f"profile {name!r}: {exc}") from None
        key = name or spec.default_profile
        if (spec.name, key) in self.overrides:
            return self.overrides[(spec.name, key)]
        if key not in spec.profiles:
            raise RowSkipped(
                f"{spec.name} has no profile {key!r} (has: {', '.join(sorted(spec.profiles))})"
            )
        return spec.profiles[key]

    def workload(self, m: Measurement) -> Workload | DecoderWorkload:
        """The workload of a row with its parameters (RowSkipped when unknown or invalid)."""
        kw = m.workload_params()
        name = m.workload
        if name.lower().endswith(MODEL_SUFFIXES):
            path = _local_path(name, m.base_dir)
            if not path.is_file():
                raise RowSkipped(f"no such model file {name!r}")
            ref: str | Path = path
        elif name in builtin_workloads():
            ref = name
        else:
            raise RowSkipped(
                f"unknown workload {name!r} (not a built-in model; no model file given)"
            )
        key = (str(ref), tuple(sorted((k, repr(v)) for k, v in kw.items())))
        if key not in self._workloads:
            try:
                self._workloads[key] = load_workload(ref, **kw)
            except HwsimError as exc:
                raise RowSkipped(f"workload {name!r}: {exc}") from None
        return self._workloads[key]

    def simulate(self, m: Measurement) -> tuple[SimulationResult, HardwareSpec]:
        """Simulate a row (cached on workload, chip, profile contents and parameters)."""
        spec = self.hardware(m)
        prof = self.profile(m, spec)
        w = self.workload(m)
        key = (
            m.workload,
            spec.name,
            prof.model_dump_json(),
            tuple(sorted((k, repr(v)) for k, v in m.workload_params().items())),
        )
        if key not in self._results:
            try:
                self._results[key] = simulate(w, spec, profile=prof)
            except HwsimError as exc:
                native = spec.native_dtype(prof)
                if exc.params != ("dtype",) or not m.dtype or m.dtype == native:
                    raise RowSkipped(f"simulation failed: {exc}") from None
                # The chip has no such format nor a wider one: run the row in the chip's
                # native dtype and say so (the row's own dtype is kept in the report).
                self._notes[m.id] = (
                    f"{spec.name} has no {m.dtype} (nor a wider format): simulated in its "
                    f"native {native}"
                )
                return self.simulate(dataclasses.replace(m, dtype=native))
        return self._results[key], spec

    def predict(self, m: Measurement) -> RowResult:
        """Predicted value of a row's metric, or a skipped row with the reason."""
        cls = m.row_class or ""
        try:
            result, spec = self.simulate(m)
            cls = m.row_class or spec.kind
            value = METRICS[m.metric].extract(result)
        except RowSkipped as exc:
            return RowResult(m, "skipped", reason=str(exc), device_class=cls or "?")
        except MetricUnavailable as exc:
            return RowResult(m, "skipped", reason=f"{m.metric}: {exc}", device_class=cls)
        if not (math.isfinite(value) and value > 0):
            return RowResult(
                m, "skipped", reason=f"{m.metric}: the simulation gives {value!r}", device_class=cls
            )
        return RowResult(
            m,
            "ok",
            predicted=value,
            device_class=cls,
            profile=result.profile,
            warnings=tuple(result.warnings) + ((self._notes[m.id],) if m.id in self._notes else ()),
            bound_counts=dict(result.bound_counts),
        )


def validate(
    path_or_rows: str | Path | Iterable[Mapping[str, str]] | Iterable[Measurement],
    *,
    overrides: Mapping[ProfileKey, SoftwareProfile] | None = None,
) -> ValidationReport:
    """Simulate every measurement row and compare with the measured value.

    Args:
        path_or_rows: a measurements CSV (contract columns), or rows as dicts/Measurements.
        overrides: replace profiles: ``{(chip, profile name): SoftwareProfile}``.

    Returns:
        The ValidationReport (errors are dimensionless; see ``ERROR_DEFINITION``). Rows
        naming an unknown workload, chip or profile are in ``report.skipped`` with a reason.

    Raises:
        MeasurementError: the CSV itself is malformed.
    """
    rows = read_measurements(path_or_rows)
    pred = Predictor(overrides=dict(overrides or {}))
    source = str(path_or_rows) if isinstance(path_or_rows, (str, Path)) else ""
    return ValidationReport(tuple(pred.predict(m) for m in rows), source=source)
