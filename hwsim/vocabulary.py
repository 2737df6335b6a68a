"""The words hardware and workload share: numeric formats, op classes, fusion kinds.

This module sits on the ground floor beside :mod:`hwsim.units`: a chip spec and a model
graph both import it and never each other. Each word is defined once here.

* A **dtype** is one numeric format (``int8``, ``fp16``): its byte width is
  :data:`DTYPE_BYTES`, and when a compute unit lacks it an op runs in the first format of
  :data:`DTYPE_FALLBACK` the unit has.
* A **precision** is what a user asks a model to run in: a dtype (``fp16``: weights and
  activations alike) or a mixed name (``w4a16``: int4 weights, fp16 activations;
  ``w4a16-int``: int4 weights, 16-bit integer activations, Qualcomm QNN's "w4a16").
  :func:`parse_dtype` reads it and :func:`dtype_label` writes it back, so ``w4a16`` is
  reported as ``w4a16``.
* An **op class** picks the software stack's achievable fraction of peak for an op.
* A **fusion** kind names which producer-consumer pairs a software stack folds into one kernel.
"""

from __future__ import annotations

from enum import Enum
from typing import Literal, get_args

from hwsim.errors import WorkloadError


class DType(str, Enum):
    """A numeric format a compute unit may run MACs in. Byte widths are in :data:`DTYPE_BYTES`."""

    int4 = "int4"
    int8 = "int8"
    int16 = "int16"
    fp8 = "fp8"
    fp16 = "fp16"
    bf16 = "bf16"
    tf32 = "tf32"
    fp32 = "fp32"


DTYPE_BYTES: dict[str, float] = {
    "int4": 0.5,
    "int8": 1.0,
    "int16": 2.0,
    "int32": 4.0,
    "fp8": 1.0,
    "fp16": 2.0,
    "bf16": 2.0,
    "tf32": 4.0,
    "fp32": 4.0,
    # Block-quantised weight formats: bits per weight including their scales / zero points.
    "q4_0": 4.5 / 8,  # llama.cpp: 32 x 4-bit + one fp16 scale = 18 B / 32
    "q4_k": 4.5 / 8,  # llama.cpp k-quant: 256-weight super-block = 144 B / 256
    "q8_0": 8.5 / 8,  # llama.cpp: 32 x int8 + one fp16 scale = 34 B / 32
    "int4_g128": (4 + (16 + 4) / 128) / 8,  # AWQ/GPTQ: fp16 scale + 4-bit zero per 128
    "nvfp4": (4 + 8 / 16) / 8,  # NVIDIA FP4 (E2M1) + one FP8 E4M3 scale per 16
    "mxfp4": (4 + 8 / 32) / 8,  # OCP MX FP4 (E2M1) + one E8M0 scale per 32
}
"""Bytes per element of each numeric format (int4 packs two per byte; block formats include
their scales: docs/assumptions.md "More families, MoE and quantised formats")."""

WEIGHT_ONLY_FORMATS = frozenset({"q4_0", "q4_k", "q8_0", "int4_g128", "nvfp4", "mxfp4"})
"""Weight storage formats dequantised before the MACs: they run in the activation dtype."""

DTYPE_FALLBACK: dict[str, tuple[str, ...]] = {
    "int4": ("int8", "int16", "fp16", "bf16", "fp32"),
    "int8": ("int16", "fp16", "bf16", "fp32"),
    "int16": ("fp32",),
    "fp8": ("fp16", "bf16", "fp32"),
    "fp16": ("bf16", "fp32"),
    "bf16": ("fp16", "fp32"),
    "tf32": ("fp32",),
    "fp32": ("tf32",),
}
"""When a unit lacks a dtype, the op runs on the nearest wider format it has, in this order."""

PRECISIONS: dict[str, tuple[str, str]] = {
    "fp32": ("fp32", "fp32"),
    "fp16": ("fp16", "fp16"),
    "bf16": ("bf16", "bf16"),
    "fp8": ("fp8", "fp8"),
    "int8": ("int8", "int8"),
    "int16": ("int16", "int16"),
    "int4": ("int4", "int4"),
    "w8a8": ("int8", "int8"),
    "w8a16": ("int8", "fp16"),
    "w4a16": ("int4", "fp16"),
    "w4a8": ("int4", "int8"),
    # Integer 16-bit activations: Qualcomm's QNN / AIMET "w8a16" and "w4a16" quantise
    # activations to 16-bit fixed point (uint16), not to fp16 as the GPU names above mean.
    "w8a16-int": ("int8", "int16"),
    "w4a16-int": ("int4", "int16"),
    # Block-quantised weights, dequantised to fp16 for the MACs (weight-only formats).
    "q4_0": ("q4_0", "fp16"),
    "q4_k": ("q4_k", "fp16"),
    "q8_0": ("q8_0", "fp16"),
    "int4-g128": ("int4_g128", "fp16"),
    "nvfp4": ("nvfp4", "fp16"),
    "mxfp4": ("mxfp4", "fp16"),
}
"""Precision names a model accepts -> (weight dtype, activation dtype). The first name of a
pair is its canonical label (``w8a8`` is reported as ``int8``)."""


def parse_dtype(dtype: str) -> tuple[str, str]:
    """Read a precision name: ``"w4a16"`` -> (weight dtype, activation dtype) = ("int4", "fp16").

    Raises:
        WorkloadError: naming the unknown dtype and the accepted names.
    """
    key = dtype.lower().strip()
    if key not in PRECISIONS:
        raise WorkloadError(
            f"unknown dtype {str(dtype)[:40]!r}; choose from {', '.join(PRECISIONS)}"
        )
    return PRECISIONS[key]


def dtype_label(weight_dtype: str, act_dtype: str) -> str:
    """The canonical precision name of a (weight, activation) pair: ``("int4", "fp16")`` ->
    ``"w4a16"``, ``("int8", "int8")`` -> ``"int8"``; an unnamed pair reads ``"int8/fp32"``."""
    if weight_dtype == act_dtype:
        return weight_dtype
    for name, pair in PRECISIONS.items():
        if pair == (weight_dtype, act_dtype):
            return name
    return f"{weight_dtype}/{act_dtype}"


OpClass = Literal["gemm", "conv", "depthwise", "elementwise", "attention", "data"]
"""Cost class of an op: selects the software profile's efficiency field of the same name."""
OP_CLASSES: tuple[OpClass, ...] = get_args(OpClass)

Fusion = Literal["activation", "norm", "elementwise", "attention"]
"""What a software stack may fold into its producer's kernel (an op's ``fusable`` kind;
``attention``: the score matrix stays on chip, flash-attention style)."""
FUSIONS: tuple[Fusion, ...] = get_args(Fusion)
