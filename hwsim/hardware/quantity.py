"""Pydantic field types for physical quantities (strings in YAML, SI floats inside)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator, PlainSerializer, ValidationInfo, WithJsonSchema

from hwsim.units import SI_UNIT, Dimension, check_sane, parse_quantity

_EXAMPLES = {
    Dimension.BYTES: ["320 KiB", "80 GB", "16 Mbit"],
    Dimension.BYTES_PER_S: ["68 GB/s", "2039 GB/s"],
    Dimension.HERTZ: ["1.41 GHz", "216 MHz"],
    Dimension.SECONDS: ["5 us", "100 ns"],
    Dimension.JOULES: ["1 mJ"],
    Dimension.WATTS: ["400 W", "50 mW"],
    Dimension.OPS_PER_S: ["312 TFLOPS", "4 TOPS", "432 MAC/s"],
    Dimension.JOULES_PER_OP: ["0.6 pJ/op", "0.3 pJ/FLOP"],
    Dimension.JOULES_PER_MAC: ["0.04 pJ/MAC", "4.6 pJ/MAC"],
    Dimension.JOULES_PER_BYTE: ["20 pJ/B", "2.5 pJ/bit"],
    Dimension.VOLTS: ["0.9 V", "3.3 V"],
    Dimension.AMPERES: ["32 uA", "1.2 mA"],
    Dimension.AMPERES_PER_HZ: ["120 uA/MHz"],
}


def _validator(dim: Dimension, positive: bool) -> BeforeValidator:
    def validate(value: Any, info: ValidationInfo) -> float:
        strict = bool(info.context and info.context.get("strict_units"))
        if not strict and isinstance(value, float):
            # An already-normalised SI float from Python code; files always need units.
            si = parse_quantity(f"{value!r} {SI_UNIT[dim]}", dim, positive=positive)
        else:
            si = parse_quantity(value, dim, positive=positive)
        return check_sane(si, dim)

    return BeforeValidator(validate)


def _serializer(dim: Dimension) -> PlainSerializer:
    def serialize(value: float) -> str:
        # repr() is exact, so dump -> load round-trips bit for bit.
        return f"{value!r} {SI_UNIT[dim]}"

    return PlainSerializer(serialize, return_type=str, when_used="json")


def _schema(dim: Dimension) -> WithJsonSchema:
    return WithJsonSchema(
        {
            "type": "string",
            "description": f"a {dim.value} quantity with its unit",
            "examples": _EXAMPLES[dim],
        }
    )


_B, _BPS, _HZ, _S = Dimension.BYTES, Dimension.BYTES_PER_S, Dimension.HERTZ, Dimension.SECONDS
_W, _OPS, _JOP, _JB = (
    Dimension.WATTS,
    Dimension.OPS_PER_S,
    Dimension.JOULES_PER_OP,
    Dimension.JOULES_PER_BYTE,
)
_JMAC = Dimension.JOULES_PER_MAC

Bytes = Annotated[float, _validator(_B, True), _serializer(_B), _schema(_B)]
BytesPerSecond = Annotated[float, _validator(_BPS, True), _serializer(_BPS), _schema(_BPS)]
Hertz = Annotated[float, _validator(_HZ, True), _serializer(_HZ), _schema(_HZ)]
Seconds = Annotated[float, _validator(_S, False), _serializer(_S), _schema(_S)]
Watts = Annotated[float, _validator(_W, False), _serializer(_W), _schema(_W)]
PositiveWatts = Annotated[float, _validator(_W, True), _serializer(_W), _schema(_W)]
OpsPerSecond = Annotated[float, _validator(_OPS, True), _serializer(_OPS), _schema(_OPS)]
JoulesPerOp = Annotated[float, _validator(_JOP, False), _serializer(_JOP), _schema(_JOP)]
JoulesPerMac = Annotated[float, _validator(_JMAC, False), _serializer(_JMAC), _schema(_JMAC)]
JoulesPerByte = Annotated[float, _validator(_JB, False), _serializer(_JB), _schema(_JB)]
Volts = Annotated[
    float,
    _validator(Dimension.VOLTS, True),
    _serializer(Dimension.VOLTS),
    _schema(Dimension.VOLTS),
]
Amperes = Annotated[
    float,
    _validator(Dimension.AMPERES, False),
    _serializer(Dimension.AMPERES),
    _schema(Dimension.AMPERES),
]
AmperesPerHertz = Annotated[
    float,
    _validator(Dimension.AMPERES_PER_HZ, True),
    _serializer(Dimension.AMPERES_PER_HZ),
    _schema(Dimension.AMPERES_PER_HZ),
]
