"""A toy chip and two one-layer models whose latencies are worked out by hand.

toy: 1 TFLOPS fp16 MAC array, 100 GB/s DRAM, 64 MiB SRAM; profile ``ideal`` runs at 100%
of every peak with no per-op overhead. On it (see tests/unit/core/test_roofline_exact.py):

* gemm.yaml (512x1024 @ 1024x1024, fp16) is compute bound: 2*512*1024*1024 / 1e12 s
  = 1.073741824 ms;
* gemv.yaml (1x4096 @ 4096x4096, fp16) streams its 32 MiB of weights from DRAM:
  4096*4096*2 / 100e9 s = 0.33554432 ms.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from toychips import TOY as BASE_TOY

# tests/unit/toychips.py's toy chip plus a second profile, ``slow``.
TOY = BASE_TOY.replace(
    "sources:\n",
    "  slow:\n"
    "    name: slow\n"
    "    efficiency: {gemm: 0.8, conv: 0.8, depthwise: 0.8, elementwise: 0.8, attention: 0.8, "
    "data: 1.0}\n"
    "    bandwidth_efficiency: 0.9\n"
    "    overhead_per_op: 1 us\n"
    "sources:\n",
)

GEMM = """
schema_version: 1
name: gemm
input: {shape: [512, 1024], dtype: fp16}
layers:
  - {op: linear, out_features: 1024, bias: false}
"""

GEMV = """
schema_version: 1
name: gemv
input: {shape: [1, 4096], dtype: fp16}
layers:
  - {op: linear, out_features: 4096, bias: false}
"""

GEMM_MS = 2 * 512 * 1024 * 1024 / 1e12 * 1e3
GEMV_MS = 4096 * 4096 * 2 / 100e9 * 1e3

HEADER = "id,class,workload,hardware,profile,dtype,batch,prompt_len,gen_len,metric,value,params,source,notes\n"


@pytest.fixture()
def toy_dir(tmp_path: Path) -> Path:
    """A folder with toy.yaml, gemm.yaml and gemv.yaml (CSV paths resolve against it)."""
    (tmp_path / "toy.yaml").write_text(TOY)
    (tmp_path / "gemm.yaml").write_text(GEMM)
    (tmp_path / "gemv.yaml").write_text(GEMV)
    return tmp_path


def write_csv(folder: Path, body: str, name: str = "m.csv") -> Path:
    """Write HEADER + body into folder/name."""
    p = folder / name
    p.write_text(HEADER + body)
    return p
