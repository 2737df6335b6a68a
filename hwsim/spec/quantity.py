"""Pydantic field types for physical quantities (strings in YAML, SI floats inside)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator, PlainSerializer, ValidationInfo, WithJsonSchema

from hwsim.units import Dimension, parse_quantity

_SI_UNIT = {
    Dimension.BYTES: "B",
    Dimension.BYTES_PER_S: "B/s",
    Dimension.HERTZ: "Hz",
    Dimension.SECONDS: "s",
    Dimension.JOULES: "J",
    Dimension.WATTS: "W",
    Dimension.OPS_PER_S: "op/s",
    Dimension.JOULES_PER_OP: "J/op",
    Dimension.JOULES_PER_BYTE: "J/B",
}

_EXAMPLES = {
    Dimension.BYTES: ["320 KiB", "80 GB", "16 Mbit"],
    Dimension.BYTES_PER_S: ["68 GB/s", "2039 GB/s"],
    Dimension.HERTZ: ["1.41 GHz", "216 MHz"],
    Dimension.SECONDS: ["5 us", "100 ns"],
    Dimension.JOULES: ["1 mJ"],
    Dimension.WATTS: ["400 W", "50 mW"],
    Dimension.OPS_PER_S: ["312 TFLOPS", "4 TOPS", "432 MAC/s"],
    Dimension.JOULES_PER_OP: ["0.6 pJ/op", "0.04 pJ/MAC"],
    Dimension.JOULES_PER_BYTE: ["20 pJ/B", "2.5 pJ/bit"],
}


def _quantity(dim: Dimension, *, positive: bool) -> Any:
    def validate(value: Any, info: ValidationInfo) -> float:
        strict = bool(info.context and info.context.get("strict_units"))
        if not strict and isinstance(value, float):
            # An already-normalised SI float from Python code; files always need units.
            return parse_quantity(f"{value!r} {_SI_UNIT[dim]}", dim, positive=positive)
        return parse_quantity(value, dim, positive=positive)

    def serialize(value: float) -> str:
        # repr() is exact, so dump -> load round-trips bit for bit.
        return f"{value!r} {_SI_UNIT[dim]}"

    schema = {
        "type": "string",
        "description": f"a {dim.value} quantity with its unit",
        "examples": _EXAMPLES[dim],
    }
    return Annotated[
        float,
        BeforeValidator(validate),
        PlainSerializer(serialize, return_type=str, when_used="json"),
        WithJsonSchema(schema),
    ]


Bytes = _quantity(Dimension.BYTES, positive=True)
BytesPerSecond = _quantity(Dimension.BYTES_PER_S, positive=True)
Hertz = _quantity(Dimension.HERTZ, positive=True)
Seconds = _quantity(Dimension.SECONDS, positive=False)
Watts = _quantity(Dimension.WATTS, positive=False)
PositiveWatts = _quantity(Dimension.WATTS, positive=True)
OpsPerSecond = _quantity(Dimension.OPS_PER_S, positive=True)
JoulesPerOp = _quantity(Dimension.JOULES_PER_OP, positive=False)
JoulesPerByte = _quantity(Dimension.JOULES_PER_BYTE, positive=False)
