"""Sweep figures: Figures without pyplot, PNGs from a sweep folder."""

from __future__ import annotations

import copy
import sys
from pathlib import Path
from typing import Any

import pytest

from hwsim.sweep import SweepError, plot_heatmap, plot_metric, plot_pareto, plot_sweep_dir, sweep

from .conftest import TINY


@pytest.fixture(scope="module")
def table() -> Any:
    data = copy.deepcopy(TINY)
    data["workloads"] = ["lenet5", "mlperf-tiny-ds-cnn"]
    return sweep(data, jobs=1)


def test_figures_have_labels_and_no_pyplot(table: Any) -> None:
    fig = plot_metric(table, "memory.dram.bandwidth", "latency_s")
    ax = fig.axes[0]
    assert ax.get_xlabel() == "memory.dram.bandwidth"
    assert ax.get_ylabel() == "latency (s)"
    assert [t.get_text() for t in ax.get_xticklabels()] == ["4 GB/s", "8 GB/s", "16 GB/s"]
    assert len(ax.get_lines()) == 2  # one per workload
    assert "pe_array.count = 1" in ax.get_title()
    heat = plot_heatmap(table, "memory.dram.bandwidth", "compute.pe_array.count", "energy_j")
    assert heat.axes[0].get_ylabel() == "compute.pe_array.count"
    assert len(heat.axes[0].texts) == 6  # every cell annotated
    pareto = plot_pareto(table, workload="mlperf-tiny-ds-cnn")
    assert "Pareto front" in pareto.axes[0].get_title()
    assert "matplotlib.pyplot" not in sys.modules


def test_plot_sweep_dir_writes_pngs(tiny: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    sweep(tiny, out=out, jobs=1)
    files = plot_sweep_dir(out)
    names = sorted(p.name for p in files)
    assert "pareto_lenet5.png" in names
    assert "heatmap_latency_s_lenet5.png" in names
    assert "latency_s_vs_memory_dram_bandwidth.png" in names
    for p in files:
        assert p.parent == out / "plots" and p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_plot_sweep_dir_rejects_other_folders(tmp_path: Path) -> None:
    with pytest.raises(SweepError, match="not a sweep output folder"):
        plot_sweep_dir(tmp_path)
