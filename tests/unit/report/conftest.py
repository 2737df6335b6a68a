"""Results for report tests: LeNet-5 on tpu-like and two parallel branches on a two-unit chip."""

from __future__ import annotations

from pathlib import Path

import pytest
from toychips import DUO, write_chip

import hwsim
from hwsim.engine.result import SimulationResult
from hwsim.workload import GraphBuilder


@pytest.fixture(scope="session")
def lenet() -> SimulationResult:
    return hwsim.simulate("lenet5", "tpu-like", dtype="int8")


@pytest.fixture(scope="session")
def branches(tmp_path_factory: pytest.TempPathFactory) -> SimulationResult:
    """Two independent linears (they run at the same time on mac0 and mac1), add, relu."""
    small_sram = DUO.replace("capacity: 64 MiB", "capacity: 256 KiB")
    spec: Path = write_chip(tmp_path_factory.mktemp("spec"), small_sram, "duo.yaml")
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
