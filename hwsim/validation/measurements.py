"""Published measurements in the validation CSV format (contract) and how to read them.

Columns (contract): ``id, workload, hardware, profile, dtype, batch, prompt_len, gen_len,
metric, value``, optionally ``params`` (``width=0.25;resolution=96``). Only ``id``,
``workload``, ``hardware``, ``metric`` and ``value`` must be filled in; an empty ``profile``
means the chip's default profile, empty ``dtype``/``batch``/lengths the workload's defaults.
Other columns (``class``, ``source``, ``notes``, ...) are kept but not interpreted, except
``class`` which groups the summary statistics (default: the chip's kind).
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hwsim.engine.result import SimulationResult
from hwsim.errors import HwsimError
from hwsim.textio import read_text, shorten

REQUIRED_COLUMNS = ("id", "workload", "hardware", "metric", "value")
CONTRACT_COLUMNS = (
    "id",
    "workload",
    "hardware",
    "profile",
    "dtype",
    "batch",
    "prompt_len",
    "gen_len",
    "metric",
    "value",
    "params",
)


class MeasurementError(HwsimError):
    """A measurements CSV that cannot be read (message names the file, line and column)."""


class MetricUnavailable(Exception):
    """The simulation result has no such figure (e.g. TTFT of a CNN)."""


def _llm(result: SimulationResult, key: str) -> float:
    if key not in result.llm:
        raise MetricUnavailable(f"needs a decoder workload (LLM) for {key}")
    return float(result.llm[key])


@dataclass(frozen=True)
class Metric:
    """A measurable figure: its unit and how to read it off a SimulationResult."""

    name: str
    unit: str
    description: str
    extract: Callable[[SimulationResult], float]
    time_like: bool
    """True when the figure is governed by execution time (usable for calibration)."""


METRICS: dict[str, Metric] = {
    m.name: m
    for m in (
        Metric(
            "latency_ms",
            "ms",
            "end-to-end latency of one run (one batch; a whole LLM request)",
            lambda r: r.latency_s * 1e3,
            True,
        ),
        Metric(
            "throughput_per_s",
            "1/s",
            "inferences per second = batch / latency",
            lambda r: r.throughput_per_s,
            True,
        ),
        Metric(
            "energy_uj",
            "uJ",
            "energy of one run (one batch), including static power",
            lambda r: r.energy_j * 1e6,
            False,
        ),
        Metric(
            "ttft_ms",
            "ms",
            "time to first token (prefill) of an LLM request",
            lambda r: _llm(r, "ttft_s") * 1e3,
            True,
        ),
        Metric(
            "decode_tokens_per_s",
            "tok/s",
            "decode tokens per second = batch x (gen_len - 1) / decode time",
            lambda r: _llm(r, "decode_tokens_per_s"),
            True,
        ),
        Metric(
            "prefill_tokens_per_s",
            "tok/s",
            "prompt tokens processed per second = batch x prompt_len / TTFT",
            lambda r: r.batch * _llm(r, "prompt_len") / _llm(r, "ttft_s"),
            True,
        ),
        Metric(
            "output_tokens_per_s",
            "tok/s",
            "generated tokens per second over the whole request = batch x gen_len / latency",
            lambda r: r.batch * _llm(r, "gen_len") / r.latency_s,
            True,
        ),
        Metric(
            "end_to_end_ms",
            "ms",
            "TTFT + all decode steps of an LLM request",
            lambda r: _llm(r, "ttft_s") * 0.0 + r.latency_s * 1e3,
            True,
        ),
        Metric(
            "peak_sram_kb",
            "kB",
            "peak live activation bytes under the profile's memory planning, kB = 1000 B",
            lambda r: r.peak_activation_bytes / 1e3,
            False,
        ),
    )
}


@dataclass(frozen=True)
class Measurement:
    """One published figure and the simulation that should reproduce it."""

    id: str
    workload: str
    hardware: str
    metric: str
    value: float
    profile: str | None = None
    dtype: str | None = None
    batch: int | None = None
    prompt_len: int | None = None
    gen_len: int | None = None
    params: dict[str, Any] = field(default_factory=dict)
    row_class: str | None = None
    source: str = ""
    notes: str = ""
    line: int = 0
    base_dir: Path | None = None
    """Folder of the CSV: relative model / profile file paths are resolved against it."""
    extra: dict[str, str] = field(default_factory=dict)

    def workload_params(self) -> dict[str, Any]:
        """Keyword arguments for ``simulate`` (batch, dtype, lengths, model parameters)."""
        kw: dict[str, Any] = dict(self.params)
        for key in ("batch", "dtype", "prompt_len", "gen_len"):
            v = getattr(self, key)
            if v is not None:
                kw[key] = v
        return kw

    def to_dict(self) -> dict[str, Any]:
        """The row as read (contract columns first), JSON-ready."""
        d: dict[str, Any] = {
            "id": self.id,
            "class": self.row_class,
            "workload": self.workload,
            "hardware": self.hardware,
            "profile": self.profile,
            "dtype": self.dtype,
            "batch": self.batch,
            "prompt_len": self.prompt_len,
            "gen_len": self.gen_len,
            "metric": self.metric,
            "value": self.value,
            "params": dict(self.params),
            "source": self.source,
            "notes": self.notes,
        }
        return d


def parse_params(text: str, *, where: str = "params") -> dict[str, Any]:
    """``"width=0.25;resolution=96"`` -> ``{"width": 0.25, "resolution": 96}``.

    Values become int, float or bool (``true``/``false``) when they read as such, else str.
    Items are separated by ``;`` (or ``,``); blanks are ignored.
    """
    out: dict[str, Any] = {}
    for item in text.replace(",", ";").split(";"):
        item = item.strip()
        if not item:
            continue
        key, sep, raw = item.partition("=")
        key, raw = key.strip(), raw.strip()
        if not sep or not key or not raw:
            raise MeasurementError(
                f"{where}: expected NAME=VALUE items separated by ';', got {shorten(item)}"
            )
        if not key.replace("_", "").isalnum():
            raise MeasurementError(f"{where}: bad parameter name {shorten(key)}")
        if key in out:
            raise MeasurementError(f"{where}: parameter {shorten(key)} given twice")
        out[key] = _scalar(raw)
    return out


def _scalar(raw: str) -> Any:
    low = raw.lower()
    if low in ("true", "false"):
        return low == "true"
    try:
        return int(raw)
    except ValueError:
        pass
    try:
        v = float(raw)
    except ValueError:
        return raw
    return v if math.isfinite(v) else raw


def _int_field(row: Mapping[str, str], key: str, where: str) -> int | None:
    raw = (row.get(key) or "").strip()
    if not raw:
        return None
    try:
        v = float(raw)
    except ValueError:
        raise MeasurementError(
            f"{where}: column {shorten(key)}: expected an integer, got {shorten(raw)}"
        ) from None
    if not v.is_integer() or v < 1:
        raise MeasurementError(
            f"{where}: column {shorten(key)}: expected a positive integer, got {shorten(raw)}"
        )
    return int(v)


def _text(row: Mapping[str, str], key: str) -> str:
    v = row.get(key)
    return v.strip() if isinstance(v, str) else ""


def _row(row: Mapping[str, str], where: str, line: int, base_dir: Path | None) -> Measurement:
    for key in REQUIRED_COLUMNS:
        if not _text(row, key):
            raise MeasurementError(f"{where}: column {shorten(key)} is empty")
    metric = _text(row, "metric")
    if metric not in METRICS:
        raise MeasurementError(
            f"{where}: unknown metric {shorten(metric)}; choose from {', '.join(METRICS)}"
        )
    raw = _text(row, "value")
    try:
        value = float(raw)
    except ValueError:
        raise MeasurementError(
            f"{where}: column 'value': expected a number, got {shorten(raw)}"
        ) from None
    if not math.isfinite(value) or value <= 0:
        raise MeasurementError(
            f"{where}: column 'value': expected a positive number, got {shorten(raw)}"
        )
    params = parse_params(_text(row, "params"), where=f"{where}: column 'params'")
    m = Measurement(
        id=_text(row, "id"),
        workload=_text(row, "workload"),
        hardware=_text(row, "hardware"),
        metric=metric,
        value=value,
        profile=_text(row, "profile") or None,
        dtype=_text(row, "dtype") or None,
        batch=_int_field(row, "batch", where),
        prompt_len=_int_field(row, "prompt_len", where),
        gen_len=_int_field(row, "gen_len", where),
        params=params,
        row_class=_text(row, "class") or None,
        source=_text(row, "source"),
        notes=_text(row, "notes"),
        line=line,
        base_dir=base_dir,
        extra={
            k: v
            for k, v in row.items()
            if isinstance(k, str) and k not in CONTRACT_COLUMNS and isinstance(v, str)
        },
    )
    clash = sorted({"batch", "dtype", "prompt_len", "gen_len"} & set(params))
    if clash:
        raise MeasurementError(
            f"{where}: column 'params' repeats {', '.join(clash)}; use the column(s) instead"
        )
    return m


def read_measurements(
    source: str | Path | Iterable[Mapping[str, str]] | Iterable[Measurement],
) -> list[Measurement]:
    """Read measurement rows from a CSV path, or from dicts (one per row) / Measurements.

    Raises:
        MeasurementError: missing required columns, an empty or non-numeric value, an
            unknown metric, a malformed ``params`` cell, a repeated id; the message names the
            file and line.
    """
    if isinstance(source, (str, Path)):
        path = Path(source)
        text = read_text(path, MeasurementError, encoding="utf-8-sig")
        return _read_text(text, path.name, path.resolve().parent)
    items = list(source)
    if items and all(isinstance(r, Measurement) for r in items):
        return _check_ids([r for r in items if isinstance(r, Measurement)], "rows")
    rows: list[Measurement] = []
    for i, r in enumerate(items, start=1):
        if not isinstance(r, Mapping):
            raise MeasurementError(f"row {i}: expected a mapping of column -> text")
        missing = [k for k in REQUIRED_COLUMNS if k not in r]
        if missing:
            raise MeasurementError(f"row {i}: missing column(s) {', '.join(missing)}")
        rows.append(_row({k: str(v) for k, v in r.items() if v is not None}, f"row {i}", i, None))
    return _check_ids(rows, "rows")


def read_measurements_text(text: str, name: str = "<csv>") -> list[Measurement]:
    """Read measurement rows from CSV text (relative file paths resolve against the CWD)."""
    return _read_text(text, name, None)


def _read_text(text: str, name: str, base_dir: Path | None) -> list[Measurement]:
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in (reader.fieldnames or [])]
    if not header:
        raise MeasurementError(
            f"{name}: empty file (expected a header line with {', '.join(REQUIRED_COLUMNS)})"
        )
    reader.fieldnames = header
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise MeasurementError(
            f"{name}: missing column(s) {', '.join(missing)} (required: "
            f"{', '.join(REQUIRED_COLUMNS)}; header is: {', '.join(header)})"
        )
    dup = sorted({h for h in header if header.count(h) > 1})
    if dup:
        raise MeasurementError(f"{name}: column(s) {', '.join(dup)} appear twice in the header")
    rows: list[Measurement] = []
    try:
        for rec in reader:
            line = reader.line_num
            if None in rec:
                raise MeasurementError(
                    f"{name}:{line}: more cells than header columns ({len(header)})"
                )
            if not any((v or "").strip() for v in rec.values()):
                continue  # blank line
            if (rec.get("id") or "").lstrip().startswith("#"):
                continue  # commented-out row
            rows.append(_row(rec, f"{name}:{line}", line, base_dir))
    except csv.Error as exc:
        raise MeasurementError(f"{name}:{reader.line_num}: malformed CSV: {exc}") from None
    if not rows:
        raise MeasurementError(f"{name}: no measurement rows")
    return _check_ids(rows, name)


def _check_ids(rows: list[Measurement], name: str) -> list[Measurement]:
    seen: dict[str, int] = {}
    for r in rows:
        if r.id in seen:
            raise MeasurementError(
                f"{name}:{r.line}: id {shorten(r.id)} repeats the row at line {seen[r.id]}"
            )
        seen[r.id] = r.line
    return rows
