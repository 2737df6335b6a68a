"""``hwsim fit``: configurations of a family that fit an MCU, checked against published
MCUNet figures and against ``hwsim run --strict-memory``."""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hwsim.api import load
from hwsim.cli import app
from hwsim.errors import WorkloadError
from hwsim.sweep.fit import family_axes, fit_search, pareto_rows, plot_fit
from hwsim.workload import load_workload

runner = CliRunner()

MIB = 1024 * 1024


def test_mcunet_mbv2_baseline_counts() -> None:
    """MCUNet model zoo (mit-han-lab/mcunet README): mbv2-320kB, MobileNetV2 w0.35 at 144x144,
    23.5 M MACs and 0.75 M parameters; with the 1280-channel head it has 1.66 M (TF-slim
    mobilenet_v2_0.35 checkpoints), too big for a 1 MiB flash in int8."""
    w = load_workload("mobilenet_v2", dtype="int8", width=0.35, resolution=144, head="scaled")
    assert w.macs == pytest.approx(23.5e6, rel=0.01)
    assert w.params == pytest.approx(0.75e6, rel=0.01)
    full = load_workload("mobilenet_v2", dtype="int8", width=0.35, resolution=144)
    assert full.params == pytest.approx(1.66e6, rel=0.02)
    assert full.weight_bytes > MIB


def test_search_fits_flash_and_sram() -> None:
    _w, spec, prof = load("mobilenet_v2", "stm32f746")
    axes = {"width": (0.35,), "resolution": (96, 144, 224), "head": ("full", "scaled")}
    rows = fit_search("mobilenet_v2", spec, prof, axes=axes)
    # the full head never fits 1 MiB of flash; 96 and 144 fit as defined, 224 only patched
    assert [(r.params["resolution"], r.patches is not None) for r in rows] == [
        (224, True),
        (144, False),
        (96, False),
    ]
    for r in rows:
        assert r.params["head"] == "scaled"
        assert r.memory_fit["flash"]["required_bytes"] <= MIB
        assert r.peak_bytes <= 320 * 1024
    assert [r.macs for r in rows] == sorted((r.macs for r in rows), reverse=True)
    no_patch = fit_search("mobilenet_v2", spec, prof, axes=axes, patch_grid=None)
    assert [r.params["resolution"] for r in no_patch] == [144, 96]
    fast = fit_search("mobilenet_v2", spec, prof, axes=axes, max_latency_s=rows[1].latency_s)
    assert all(r.latency_s <= rows[1].latency_s for r in fast) and len(fast) == 2
    assert pareto_rows(rows) == rows  # more MACs always cost more time here
    fig = plot_fit(rows, "t")
    assert fig.axes[0].get_xlabel() == "latency per inference"


def test_family_errors() -> None:
    with pytest.raises(WorkloadError, match="no resolution or width to search"):
        family_axes("gpt2")
    with pytest.raises(WorkloadError, match="unknown workload"):
        family_axes("nope")


def test_cli_fit_first_runs_strict(tmp_path: Path) -> None:
    plot = tmp_path / "fit.png"
    r = runner.invoke(
        app,
        ["fit", "mobilenet_v2", "-H", "stm32f746", "--dtype", "int8", "--widths", "0.35",
         "--resolutions", "144,224", "--plot", str(plot), "--json", "-"],
        env={"COLUMNS": "100"},
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    rows = json.loads(r.stdout)
    assert rows and rows[0]["fits"]
    assert plot.stat().st_size > 0
    line = next(x for x in r.stderr.splitlines() if x.startswith("run the first: "))
    cmd = shlex.split(line.removeprefix("run the first: "))
    assert cmd[:2] == ["hwsim", "run"] and "--strict-memory" in cmd
    run = runner.invoke(app, cmd[1:])
    assert run.exit_code == 0, run.output
    bad = runner.invoke(app, ["fit", "gpt2", "-H", "stm32f746"])
    assert bad.exit_code == 2 and "Traceback" not in bad.output
