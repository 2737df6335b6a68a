"""The op-cost memo of ``cost_graph``: a cost computed once is the cost computed again.

Op costs are kept per op signature and cost context (chip, profile, placement and objective
objects) across graphs and runs; a run on warm caches must equal the run from scratch bit for
bit, and a different chip object must never be served another chip's costs.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import hwsim
from hwsim.costmodel.graph import clear_caches, cost_graph
from hwsim.hardware.loader import override
from hwsim.hardware.models import HardwareSpec
from hwsim.workload.ir import DecoderWorkload
from tests.unit.toychips import write_chip

DRAM = 1


@pytest.fixture(scope="module")
def toy(tmp_path_factory: pytest.TempPathFactory) -> HardwareSpec:
    return hwsim.load_hardware(write_chip(Path(tmp_path_factory.mktemp("toy"))))


def test_a_run_on_warm_caches_equals_the_run_from_scratch(toy: HardwareSpec) -> None:
    clear_caches()
    cold = hwsim.simulate("gpt2", toy, dtype="fp16", prompt_len=16, gen_len=8).to_dict()
    warm = hwsim.simulate("gpt2", toy, dtype="fp16", prompt_len=16, gen_len=8).to_dict()
    # A different request on the same chip shares most op costs (every block but attention).
    other = hwsim.simulate("gpt2", toy, dtype="fp16", prompt_len=32, gen_len=8).to_dict()
    clear_caches()
    assert warm == cold
    assert other == hwsim.simulate("gpt2", toy, dtype="fp16", prompt_len=32, gen_len=8).to_dict()


def test_identical_ops_in_different_graphs_keep_their_own_names(toy: HardwareSpec) -> None:
    w = hwsim.load_workload("gpt2", dtype="fp16", prompt_len=16, gen_len=8)
    assert isinstance(w, DecoderWorkload)
    r = hwsim.simulate(w, toy)
    names = [layer.name for layer in r.layers]
    prefill = w.prefill()
    step = w.decode_step(16)
    assert names == [f"prefill/{op.name}" for op in prefill.ops] + [
        f"decode/{op.name}" for op in step.ops
    ]


def test_another_chip_object_is_costed_on_its_own_numbers(toy: HardwareSpec) -> None:
    w = hwsim.load_workload("gpt2", dtype="fp16", prompt_len=16, gen_len=8)
    assert isinstance(w, DecoderWorkload)
    g = w.decode_step(16)
    slow = cost_graph(g, toy, toy.profile(None))
    fast_chip = override(toy, {"memory.dram.bandwidth": "200 GB/s"})
    fast = cost_graph(g, fast_chip, fast_chip.profile(None))
    dram_ops = 0
    for a, b in zip(slow.options, fast.options):
        ca, cb = a[0], b[0]
        if ca.read_bytes[DRAM] + ca.write_bytes[DRAM] > 0:
            dram_ops += 1
            # time = bytes / bandwidth on each chip (the toy DRAM has no access latency)
            assert ca.mem_s[DRAM] == pytest.approx(ca.bytes_by_level[DRAM] / 100e9)
            assert cb.mem_s[DRAM] == pytest.approx(cb.bytes_by_level[DRAM] / 200e9)
    assert dram_ops > 0
