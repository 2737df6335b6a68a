"""hwsim: hardware cost simulator for neural networks.

Public API (contract): ``load_hardware``, ``load_workload``, ``simulate``, ``override``,
``SimulationResult``; ``sweep`` (loaded on first use, so ``import hwsim`` stays light).
"""

from typing import TYPE_CHECKING, Any

from hwsim.api import simulate
from hwsim.engine import SimulationResult
from hwsim.hardware import HardwareSpec, SoftwareProfile, load_hardware, override
from hwsim.version import __version__
from hwsim.workload import load_workload

__all__ = [
    "__version__",
    "HardwareSpec",
    "SimulationResult",
    "SoftwareProfile",
    "load_hardware",
    "load_workload",
    "override",
    "simulate",
    "sweep",
]

if TYPE_CHECKING:
    from hwsim.sweep import sweep


def __getattr__(name: str) -> Any:
    # hwsim.sweep is a callable module: hwsim.sweep(...) runs a sweep (pandas/dask load lazily).
    if name == "sweep":
        import importlib

        return importlib.import_module("hwsim.sweep")
    raise AttributeError(f"module 'hwsim' has no attribute {name!r}")
