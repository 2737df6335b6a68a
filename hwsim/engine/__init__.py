"""Engine: simpy schedule of op costs, and the simulate() entry point."""

from hwsim.engine.parallel import simulate_parallel
from hwsim.engine.result import LayerResult, SimulationResult
from hwsim.engine.schedule import Event, Schedule, schedule
from hwsim.engine.simulate import memory_placement, simulate
from hwsim.engine.totals import RunTotals, simulate_totals

__all__ = [
    "Event",
    "LayerResult",
    "RunTotals",
    "Schedule",
    "SimulationResult",
    "memory_placement",
    "schedule",
    "simulate",
    "simulate_parallel",
    "simulate_totals",
]
