"""Results for report tests: LeNet-5 on tpu-like and two parallel branches on a two-unit chip."""

from __future__ import annotations

from pathlib import Path

import pytest

import hwsim
from hwsim.engine.result import SimulationResult
from hwsim.workload import GraphBuilder

TWO_UNITS = """
schema_version: 1
name: duo
kind: accelerator
description: two MAC arrays and a vector unit, for reports
compute:
  - name: mac0
    kind: mac_array
    peak: {fp16: 1 TFLOPS}
    energy_per_mac: {fp16: 1 pJ/MAC}
  - name: mac1
    kind: mac_array
    peak: {fp16: 1 TFLOPS}
    energy_per_mac: {fp16: 1 pJ/MAC}
  - name: vec
    kind: vector
    vector_peak: 100 GOPS
    energy_per_vector_op: 0.5 pJ/op
memory:
  - name: sram
    kind: sram
    capacity: 256 KiB
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


@pytest.fixture(scope="session")
def lenet() -> SimulationResult:
    return hwsim.simulate("lenet5", "tpu-like", dtype="int8")


@pytest.fixture(scope="session")
def branches(tmp_path_factory: pytest.TempPathFactory) -> SimulationResult:
    """Two independent linears (they run at the same time on mac0 and mac1), add, relu."""
    spec: Path = tmp_path_factory.mktemp("spec") / "duo.yaml"
    spec.write_text(TWO_UNITS)
    g = GraphBuilder("branches", weight_dtype="fp16", act_dtype="fp16")
    x = g.input("x", (64, 256))
    a = g.linear(x, 512, name="left")
    b = g.linear(x, 512, name="right")
    y = g.activation(g.add(a, b), "relu")
    return hwsim.simulate(g.build([y]), spec)


@pytest.fixture(scope="session")
def resnet18() -> SimulationResult:
    """69 layers: more than the energy plot shows one by one."""
    return hwsim.simulate("resnet18", "tpu-like", dtype="int8")


@pytest.fixture(scope="session")
def gpt2() -> SimulationResult:
    """An LLM run: prefill and decode layers (decode layers carry no transfers)."""
    return hwsim.simulate("gpt2", "tpu-like", dtype="int8", prompt_len=8, gen_len=3)
