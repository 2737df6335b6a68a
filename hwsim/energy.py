"""Energy studies over several runs: the DVFS curve, chips side by side, J per token vs batch.

Each function simulates a set of runs through :func:`hwsim.api.simulate` and returns the
results; :mod:`hwsim.report.energy_plots` draws them (``hwsim plot ... --kind dvfs``,
``energy-chips``, ``j-per-token``)::

    runs = hwsim.energy.dvfs_curve("mlperf-tiny-resnet8", "stm32h7a3", dtype="int8")
    fig = hwsim.report.plot("dvfs", runs)
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from hwsim.api import simulate
from hwsim.engine.result import SimulationResult
from hwsim.errors import SimulationError
from hwsim.hardware.loader import load_hardware
from hwsim.hardware.models import HardwareSpec
from hwsim.hardware.operating import operating_points

DVFS_FRACTIONS = (1.0, 0.75, 0.5, 0.375, 0.25)
"""Clocks (fractions of the nominal) tried on a chip whose spec lists no operating points."""

DEFAULT_BATCHES = (1, 2, 4, 8, 16, 32, 64)
"""Batch sizes of :func:`batch_curve` when none are given."""


def dvfs_clocks(spec: HardwareSpec) -> list[float]:
    """The clocks (Hz) of the DVFS curve: every operating point, or fractions of the nominal
    clock at the nominal voltage when the spec lists none."""
    pts = operating_points(spec)
    if len(pts) > 1:
        return [p.clock_hz for p in pts]
    return [pts[0].clock_hz * f for f in DVFS_FRACTIONS]


def dvfs_curve(
    workload: str | Path,
    hardware: str | Path | HardwareSpec,
    *,
    clocks: Sequence[float | str] | None = None,
    **kwargs: Any,
) -> list[SimulationResult]:
    """One run per clock (default: every operating point of the chip), highest first.

    ``kwargs`` go to :func:`hwsim.api.simulate` (dtype, batch, profile, power_cap, ...). A
    power cap still applies: pass ``power_cap`` high to see the uncapped curve.
    """
    spec = load_hardware(hardware)
    if spec.nominal_clock is None:
        raise SimulationError(f"{spec.name}: no compute unit has a clock; no DVFS curve")
    todo: Sequence[float | str] = dvfs_clocks(spec) if clocks is None else clocks
    if not todo:
        raise SimulationError("`clocks`: give at least one clock", params=("clocks",))
    return [simulate(workload, spec, clock=c, **kwargs) for c in todo]


def chips_compare(
    workload: str | Path, hardware: Sequence[str | Path | HardwareSpec], **kwargs: Any
) -> list[SimulationResult]:
    """One run of ``workload`` per chip (same dtype, batch and parameters)."""
    if not hardware:
        raise SimulationError("`hardware`: give at least one chip", params=("hardware",))
    return [simulate(workload, hw, **kwargs) for hw in hardware]


def batch_curve(
    workload: str | Path,
    hardware: str | Path | HardwareSpec,
    *,
    batches: Sequence[int] = DEFAULT_BATCHES,
    **kwargs: Any,
) -> list[SimulationResult]:
    """One run per batch size (LLMs: prompt_len and gen_len in ``kwargs``)."""
    if not batches:
        raise SimulationError("`batches`: give at least one batch size", params=("batches",))
    spec = load_hardware(hardware)
    return [simulate(workload, spec, batch=b, **kwargs) for b in batches]
