"""The memory plot with and without patches names both peaks and the SRAM capacity."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from hwsim import engine
from hwsim.api import load
from hwsim.cli import app
from hwsim.report.memory import plot_memory_patches
from hwsim.workload.memory import deployed_profile
from hwsim.workload.patches import patch


def test_both_curves_and_capacity() -> None:
    w, spec, prof = load("mlperf-tiny-vww", "stm32f746", dtype="int8")
    from hwsim.costmodel.graph import deployment

    patched, s = patch(w, (2, 2), "auto", deployment(prof))
    plain_r = engine.simulate(w, spec, prof)
    patched_r = engine.simulate(patched, spec, prof)
    fig = plot_memory_patches(plain_r, patched_r, stage_ops=s.stage_ops, grid=(2, 2))
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels[0] == f"as defined: peak at {s.peak_op_without}"
    assert labels[1] == f"2x2 patches: peak at {s.peak_op}"
    assert labels[2] == "sram capacity 320 KiB"
    curves = [ln for ln in ax.get_lines() if len(ln.get_xdata()) == len(w.ops)]
    assert max(curves[0].get_ydata()) == deployed_profile(w, deployment(prof)).peak_bytes
    assert max(curves[1].get_ydata()) == s.peak_bytes


def test_run_writes_memory_patches_png(tmp_path: Path) -> None:
    r = CliRunner().invoke(
        app,
        ["run", "mlperf-tiny-vww", "-H", "stm32f746", "--dtype", "int8", "--patches", "2x2",
         "--plots", str(tmp_path)],
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    assert (tmp_path / "memory_patches.png").stat().st_size > 0
