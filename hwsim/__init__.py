"""hwsim: hardware cost simulator for neural networks.

Public API (contract): ``load_hardware``, ``load_workload``, ``simulate``, ``override``,
``SimulationResult``.
"""

from hwsim.engine import SimulationResult, simulate
from hwsim.spec import HardwareSpec, SoftwareProfile, load_hardware, override
from hwsim.workload import load_workload

__all__ = [
    "HardwareSpec",
    "SimulationResult",
    "SoftwareProfile",
    "load_hardware",
    "load_workload",
    "override",
    "simulate",
]
__version__ = "0.1.0"
