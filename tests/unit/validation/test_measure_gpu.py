"""validation/measure_gpu.py: the row format, energy integration and GEMM models, on CPU.

The measuring half needs PyTorch and a GPU; everything that turns numbers into rows is plain
Python and is checked here (the module imports without torch).
"""

from __future__ import annotations

import importlib.util
import sys
from datetime import date
from pathlib import Path
from types import ModuleType

import pytest

import hwsim
from hwsim.validation import read_measurements
from hwsim.validation.measurements import CONTRACT_COLUMNS

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def mg() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "measure_gpu", ROOT / "validation" / "measure_gpu.py"
    )
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    sys.modules["measure_gpu"] = mod
    spec.loader.exec_module(mod)
    return mod


def test_columns_match_the_measurements_file(mg: ModuleType) -> None:
    header = (ROOT / "validation" / "measurements.csv").read_text().splitlines()[0].split(",")
    assert list(mg.COLUMNS) == header
    assert set(CONTRACT_COLUMNS) <= set(mg.COLUMNS)


def test_rows_read_back_as_measurements(mg: ModuleType, tmp_path: Path) -> None:
    prov = mg.provenance("NVIDIA H100 80GB HBM3", 132, "550.54.15", "2.3.0", date(2026, 12, 6))
    assert (
        prov
        == "measured: NVIDIA H100 80GB HBM3, 132 SMs, driver 550.54.15, torch 2.3.0, 2026-12-06"
    )
    rows = [
        mg.Row(
            "G-fp16-64",
            "models/gemm-64x8192x8192.yaml",
            "h100-sxm",
            "latency_ms",
            0.0123456789,
            dtype="fp16",
            batch=1,
        ),
        mg.Row("resnet50-b8", "resnet50", "h100-sxm", "energy_uj", 15000.0, dtype="fp16", batch=8),
        mg.Row(
            "llama-decode-b8",
            "llama-2-7b",
            "h100-sxm",
            "decode_tokens_per_s",
            400.0,
            dtype="fp16",
            batch=8,
            prompt_len=512,
            gen_len=33,
        ),
    ]
    path = tmp_path / "m.csv"
    path.write_text(mg.rows_csv(rows, prov))
    back = read_measurements(path)
    assert [m.id for m in back] == ["G-fp16-64", "resnet50-b8", "llama-decode-b8"]
    assert back[0].value == pytest.approx(0.0123457)  # 6 significant digits
    assert back[2].prompt_len == 512 and back[2].gen_len == 33 and back[2].batch == 8
    assert all(m.source == prov and m.extra["quote"] for m in back)
    assert back[1].metric == "energy_uj" and back[1].profile == "pytorch"


def test_bad_rows_are_refused(mg: ModuleType) -> None:
    with pytest.raises(ValueError, match="positive"):
        mg.rows_csv([mg.Row("a", "resnet50", "h100-sxm", "latency_ms", 0.0)], "measured: x")
    r = mg.Row("a", "resnet50", "h100-sxm", "latency_ms", 1.0)
    with pytest.raises(ValueError, match="twice"):
        mg.rows_csv([r, r], "measured: x")


def test_energy_is_power_integrated_by_hand(mg: ModuleType) -> None:
    samples = [(0.0, 100.0), (1.0, 200.0), (2.0, 200.0)]
    assert mg.integrate_energy_j(samples, 0.0, 1.0) == pytest.approx(150.0)
    # 0.5..1 s: (150 + 200) / 2 x 0.5 = 87.5 J; 1..2 s: 200 J
    assert mg.integrate_energy_j(samples, 0.5, 2.0) == pytest.approx(287.5)
    # outside the samples the power is held: 3 s at 200 W after the last sample
    assert mg.integrate_energy_j(samples, 2.0, 5.0) == pytest.approx(600.0)
    with pytest.raises(ValueError):
        mg.integrate_energy_j([], 0.0, 1.0)


def test_gemm_model_has_the_counted_macs(mg: ModuleType, tmp_path: Path) -> None:
    assert mg.gemm_flops(2, 3, 4) == 48.0
    p = tmp_path / "g.yaml"
    p.write_text(mg.gemm_model_yaml(64, 256, 512, "fp16"))
    w = hwsim.load_workload(p)
    assert w.macs == 64 * 256 * 512
