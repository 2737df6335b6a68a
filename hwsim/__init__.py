"""hwsim: hardware cost simulator for neural networks.

Public API (contract): ``load_hardware``, ``load_workload``, ``simulate``, ``override``,
``SimulationResult``, ``sweep``. The names are loaded on first use (PEP 562), so
``import hwsim`` and ``hwsim --help`` do not pay for numpy, pydantic models or simpy.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from hwsim.version import __version__

if TYPE_CHECKING:
    from hwsim import sweep
    from hwsim.api import simulate
    from hwsim.engine import SimulationResult
    from hwsim.hardware import HardwareSpec, SoftwareProfile, load_hardware, override
    from hwsim.workload import load_workload

__all__ = [
    "HardwareSpec",
    "SimulationResult",
    "SoftwareProfile",
    "__version__",
    "load_hardware",
    "load_workload",
    "override",
    "simulate",
    "sweep",
]

# public name -> module that defines it (``sweep`` is a callable module: hwsim.sweep(...)).
_LAZY = {
    "simulate": "hwsim.api",
    "SimulationResult": "hwsim.engine",
    "HardwareSpec": "hwsim.hardware",
    "SoftwareProfile": "hwsim.hardware",
    "load_hardware": "hwsim.hardware",
    "override": "hwsim.hardware",
    "load_workload": "hwsim.workload",
}


def __getattr__(name: str) -> Any:
    if name == "sweep":
        return importlib.import_module("hwsim.sweep")
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'hwsim' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
