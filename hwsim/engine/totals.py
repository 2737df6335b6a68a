"""Totals-only runs: a run's whole-run figures without its per-layer records (sweep rows).

A sweep row carries the run's totals (:func:`hwsim.engine.result.result_row`) and the time
each bound took, never one record per layer; building those records is about a third of a
:func:`~hwsim.engine.simulate.simulate`. :func:`simulate_totals` runs the same engine and
sums the same per-layer figures in the same order (:class:`hwsim.engine.layers.RunLayers`
is the one place both paths take their sums from), so every whole-run figure is the same
float as ``simulate(...)``'s.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hwsim.engine.finite import check_result
from hwsim.engine.result import SimulationResult, result_row
from hwsim.engine.simulate import _simulate, simulate
from hwsim.errors import SimulationError
from hwsim.hardware.models import HardwareSpec, SoftwareProfile
from hwsim.workload.ir import DecoderWorkload, Workload


@dataclass(frozen=True)
class RunTotals:
    """A run's whole-run figures and the latency per bound, without layer records."""

    result: SimulationResult
    """Every field of ``simulate(...)``'s result but ``layers``, which is empty."""
    bound_time_s: dict[str, float]
    """Summed layer latency in s per bound (:func:`hwsim.engine.layers.bound_time_s`)."""

    def row(self) -> dict[str, Any]:
        """The run as one flat table row, :func:`hwsim.engine.result.result_row`."""
        return result_row(self.result)


def simulate_totals(
    workload: Workload | DecoderWorkload,
    spec: HardwareSpec,
    profile: SoftwareProfile | None = None,
    **options: Any,
) -> RunTotals:
    """Simulate as :func:`~hwsim.engine.simulate.simulate` (same arguments and errors) and
    keep the totals only: latency in s, energy in J, each the same float as simulate's.

    Raises:
        SimulationError: as simulate raises it (a non-finite figure is reported naming the
            first layer that overflowed, so that rare case runs again with the records).
    """
    run = _simulate(workload, spec, profile, records=False, **options)
    try:
        check_result(run.result)
    except SimulationError:
        simulate(workload, spec, profile, **options)  # raises, naming the layer
        raise
    return RunTotals(run.result, run.layers.bound_time_s())
