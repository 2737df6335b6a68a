"""Toy chips whose roofline numbers are easy to work out by hand (shared by the tests).

``toy``: one MAC unit (1 TFLOPS fp16, 2 TOPS int8), a 100 GOPS vector unit, 64 MiB SRAM at
1000 GB/s holding activations, DRAM at 100 GB/s holding everything, 2 W static, an ideal
profile (efficiency 1, no overhead). ``duo`` adds a second identical MAC unit.
"""

from __future__ import annotations

from pathlib import Path

TOY = """
schema_version: 1
name: toy
kind: accelerator
description: hand-checkable chip
compute:
  - name: mac0
    kind: mac_array
    peak: {fp16: 1 TFLOPS, int8: 2 TOPS}
    energy_per_mac: {fp16: 1 pJ/MAC, int8: 0.5 pJ/MAC}
  - name: vec
    kind: vector
    vector_peak: 100 GOPS
    energy_per_vector_op: 0.5 pJ/op
memory:
  - name: sram
    kind: sram
    capacity: 64 MiB
    bandwidth: 1000 GB/s
    energy: 1 pJ/B
    holds: [activations]
  - name: dram
    kind: dram
    capacity: 8 GiB
    bandwidth: 100 GB/s
    energy: 100 pJ/B
    holds: [weights, activations]
power:
  static: 2 W
default_profile: ideal
profiles:
  ideal:
    name: ideal
    efficiency: {gemm: 1.0, conv: 1.0, depthwise: 1.0, elementwise: 1.0, attention: 1.0, data: 1.0}
    bandwidth_efficiency: 1.0
    overhead_per_op: 0 s
sources:
  - {id: hand, title: made up for tests}
"""

DUO = TOY.replace("name: toy\n", "name: duo\n").replace(
    "  - name: vec\n",
    "  - name: mac1\n    kind: mac_array\n    peak: {fp16: 1 TFLOPS, int8: 2 TOPS}\n"
    "    energy_per_mac: {fp16: 1 pJ/MAC, int8: 0.5 pJ/MAC}\n  - name: vec\n",
)


def write_chip(folder: Path, text: str = TOY, name: str = "toy.yaml") -> Path:
    """Write a toy chip YAML into ``folder`` and return its path."""
    path = folder / name
    path.write_text(text)
    return path
