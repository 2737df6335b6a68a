"""Dynamic energy of an op: arithmetic and memory accesses (joules).

Kept apart from the timing model so the energy model (operating points, activity power)
can change without touching mappings: the cost model only passes counts in.
"""

from __future__ import annotations

from hwsim.hardware.models import ComputeUnit, MemoryLevel


def arithmetic_energy(
    macs: int, vector_ops: int, unit: ComputeUnit, dtype: str, vector_unit: ComputeUnit | None
) -> float:
    """Joules of arithmetic: MACs x E_mac(dtype) + element ops x E_vec."""
    e = 0.0
    if macs:
        e += macs * unit.mac_energy(dtype)
    if vector_ops:
        assert vector_unit is not None and vector_unit.energy_per_vector_op is not None
        e += vector_ops * vector_unit.energy_per_vector_op
    return e


def access_energy(level: MemoryLevel, read_bytes: float, write_bytes: float) -> float:
    """Joules of reading and writing ``level``: bytes x energy per byte."""
    return read_bytes * level.read_j_per_byte + write_bytes * level.write_j_per_byte
