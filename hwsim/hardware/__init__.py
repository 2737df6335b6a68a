"""Hardware specs: pydantic models, YAML loading, overrides."""

from hwsim.hardware.loader import builtin_hardware_names, load_hardware, load_profile, override
from hwsim.hardware.models import (
    ArrayShape,
    ComputeUnit,
    DType,
    HardwareSpec,
    MemoryLevel,
    Power,
    SoftwareProfile,
)
from hwsim.units import DTYPE_BYTES

__all__ = [
    "DTYPE_BYTES",
    "ArrayShape",
    "ComputeUnit",
    "DType",
    "HardwareSpec",
    "MemoryLevel",
    "Power",
    "SoftwareProfile",
    "builtin_hardware_names",
    "load_hardware",
    "load_profile",
    "override",
]
