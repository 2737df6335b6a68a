"""hwsim: hardware cost simulator for neural networks."""

from hwsim.spec import HardwareSpec, load_hardware, override

__all__ = ["HardwareSpec", "load_hardware", "override"]
__version__ = "0.1.0"
