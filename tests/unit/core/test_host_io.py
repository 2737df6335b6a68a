"""A run's input and output crossing a host link (``host_io``), checked by hand on the toy chip.

toy (tests/unit/toychips.py): 1 TFLOPS fp16, DRAM at 100 GB/s, ideal profile (efficiency 1,
no overheads). A 512x1024 @ 1024x1024 fp16 GEMM computes for 2*512*1024*1024 / 1e12 s; its
input and its output are 512 x 1024 x 2 B = 1 MiB each.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from toychips import TOY, write_chip

import hwsim
from hwsim.errors import HwsimError
from hwsim.workload import GraphBuilder, Workload

COMPUTE_S = 2 * 512 * 1024 * 1024 / 1e12
MIB = 1024 * 1024


def gemm() -> Workload:
    g = GraphBuilder("gemm", weight_dtype="fp16", act_dtype="fp16")
    return g.build([g.linear(g.input("x", (512, 1024)), 1024, bias=False)])


def _chip(tmp_path: Path, extra: str) -> Path:
    text = TOY.replace("power:\n  static: 2 W\n", f"{extra}power:\n  static: 2 W\n")
    text = text.replace("energy: 100 pJ/B\n", "energy: 100 pJ/B\n    latency: 20 us\n")
    return write_chip(tmp_path, text, "io.yaml")


def test_inputs_and_outputs_cross_the_host_link_once_per_run(tmp_path: Path) -> None:
    chip = _chip(tmp_path, "host_io: dram\n")
    res = hwsim.simulate(gemm(), chip)
    # in: 20 us + 1 MiB / 100 GB/s; out: the same (the link's latency once per direction)
    io_s = 2 * (20e-6 + MIB / 100e9)
    assert res.latency_s == pytest.approx(io_s + COMPUTE_S, rel=1e-12)
    assert res.layers[0].start_s == pytest.approx(io_s, rel=1e-12)
    # Without host_io the tensors are already in place: compute only.
    plain = hwsim.simulate(gemm(), _chip(tmp_path, ""))
    assert plain.latency_s == pytest.approx(COMPUTE_S, rel=1e-12)


def test_host_io_follows_the_bandwidth_efficiency(tmp_path: Path) -> None:
    text = _chip(tmp_path, "host_io: dram\n").read_text()
    chip = write_chip(
        tmp_path, text.replace("bandwidth_efficiency: 1.0", "bandwidth_efficiency: 0.5"), "io2.yaml"
    )
    res = hwsim.simulate(gemm(), chip)
    io_s = 2 * (20e-6 + MIB / (100e9 * 0.5))
    assert res.layers[0].start_s == pytest.approx(io_s, rel=1e-12)


def test_host_io_must_name_a_level(tmp_path: Path) -> None:
    with pytest.raises(HwsimError, match="host_io: no memory level named 'usb'"):
        hwsim.load_hardware(_chip(tmp_path, "host_io: usb\n"))
