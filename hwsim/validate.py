"""Public API for validation: ``hwsim.validate.validate(path_or_rows) -> ValidationReport``.

A thin facade over :mod:`hwsim.validation` (the implementation package).
"""

from hwsim.validation import (
    ERROR_DEFINITION,
    METRICS,
    CalibrationResult,
    ErrorStats,
    Measurement,
    MeasurementError,
    RowResult,
    ValidationReport,
    calibrate,
    read_measurements,
    validate,
)

__all__ = [
    "ERROR_DEFINITION",
    "METRICS",
    "CalibrationResult",
    "ErrorStats",
    "Measurement",
    "MeasurementError",
    "RowResult",
    "ValidationReport",
    "calibrate",
    "read_measurements",
    "validate",
]
