"""Validation against published measurements, and calibration of software profiles.

``validate(csv) -> ValidationReport`` simulates every row and compares; ``calibrate(csv,
hardware, profile) -> CalibrationResult`` fits a profile's factors to the rows of that chip
and stack. The CSV format is in :mod:`hwsim.validation.measurements`; the error definition
in :mod:`hwsim.validation.compare`.
"""

from hwsim.validation.compare import (
    ERROR_DEFINITION,
    ErrorStats,
    Predictor,
    RowResult,
    ValidationReport,
    validate,
)
from hwsim.validation.fitting import (
    PARAMETERS,
    CalibrationError,
    CalibrationResult,
    FittedParameter,
    apply_parameters,
    calibrate,
    profile_yaml,
)
from hwsim.validation.measurements import (
    METRICS,
    Measurement,
    MeasurementError,
    parse_params,
    read_measurements,
    read_measurements_text,
)

__all__ = [
    "ERROR_DEFINITION",
    "METRICS",
    "PARAMETERS",
    "CalibrationError",
    "CalibrationResult",
    "ErrorStats",
    "FittedParameter",
    "Measurement",
    "MeasurementError",
    "Predictor",
    "RowResult",
    "ValidationReport",
    "apply_parameters",
    "calibrate",
    "parse_params",
    "profile_yaml",
    "read_measurements",
    "read_measurements_text",
    "validate",
]
