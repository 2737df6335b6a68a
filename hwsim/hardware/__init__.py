"""Hardware specs: pydantic models, YAML loading, overrides."""

from hwsim.hardware.loader import (
    builtin_hardware_names,
    load_hardware,
    load_profile,
    override,
    resolve_profile,
)
from hwsim.hardware.models import (
    ArrayShape,
    ComputeUnit,
    HardwareSpec,
    MemoryLevel,
    OperatingPoint,
    Power,
    SoftwareProfile,
)

__all__ = [
    "ArrayShape",
    "ComputeUnit",
    "HardwareSpec",
    "MemoryLevel",
    "OperatingPoint",
    "Power",
    "SoftwareProfile",
    "builtin_hardware_names",
    "load_hardware",
    "load_profile",
    "override",
    "resolve_profile",
]
