"""Every number of a result is finite (and a latency positive), or the run fails naming it.

Spec quantities are bounded at load time (docs/limits.md), but bounded inputs can still
combine into an overflow (a huge model on a slow chip) or a vanishing figure; such a result
must never be printed or written as ``inf``/``nan``/``0 s``.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from typing import Any

from hwsim.engine.result import SimulationResult
from hwsim.errors import SimulationError


def _numbers(prefix: str, value: Any) -> Iterator[tuple[str, float]]:
    if isinstance(value, bool):
        return
    if isinstance(value, int | float):
        yield prefix, float(value) if not isinstance(value, int) else _int_as_float(value)
    elif isinstance(value, Mapping):
        for k, v in value.items():
            yield from _numbers(f"{prefix}.{k}", v)


def _int_as_float(value: int) -> float:
    try:
        return float(value)
    except OverflowError:
        return math.inf


_WHOLE = (
    "latency_s",
    "throughput_per_s",
    "energy_j",
    "avg_power_w",
    "energy_breakdown_j",
    "macs",
    "flops",
    "params",
    "weight_bytes",
    "peak_activation_bytes",
)


def check_result(result: SimulationResult) -> SimulationResult:
    """Return ``result`` when all its figures are finite and its latency is positive.

    Raises:
        SimulationError: naming the first field (and layer) that is not.
    """
    where = f"{result.workload} on {result.hardware}"
    for name in _WHOLE:
        for field, v in _numbers(name, getattr(result, name)):
            if not math.isfinite(v) or v < 0:
                raise SimulationError(_message(where, field, v, result))
    for field, v in _numbers("", dict(result.llm)):
        if not math.isfinite(v) or v < 0:
            raise SimulationError(_message(where, field.lstrip("."), v, result))
    if not result.latency_s > 0:
        raise SimulationError(
            f"{where}: latency_s is {result.latency_s!r}: the run takes no time at all, so no "
            "rate or power can be given (is the model empty?)"
        )
    return result


def _message(where: str, field: str, value: float, result: SimulationResult) -> str:
    culprit = ""
    for layer in result.layers:
        for lf, lv in (("latency_s", layer.latency_s), ("energy_j", layer.energy_j)):
            if not math.isfinite(lv):
                culprit = f" (first at layer {layer.name!r} {layer.op_type}, {lf} = {lv!r})"
                break
        if culprit:
            break
    return (
        f"{where}: result field {field} = {value!r} is not a finite, non-negative number"
        f"{culprit}; the model's sizes and the spec's rates combine beyond float range "
        "(limits: docs/limits.md)"
    )
