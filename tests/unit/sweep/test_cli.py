"""``hwsim sweep`` and ``hwsim plot SWEEP_DIR`` from the command line."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from hwsim.cli import app

from .conftest import TINY

runner = CliRunner()


def test_sweep_command_writes_and_resumes(tiny: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    res = runner.invoke(app, ["sweep", str(tiny), "--out", str(out), "--jobs", "1"])
    assert res.exit_code == 0, res.output
    assert "6 computed, 0 reused" in res.output
    assert "Pareto front" in res.output
    assert (out / "results.csv").is_file()
    res = runner.invoke(app, ["sweep", str(tiny), "--out", str(out), "--jobs", "1"])
    assert res.exit_code == 0 and "0 computed, 6 reused" in res.output
    # hwsim plot (commands/plot.py) hands a sweep folder to hwsim.sweep.plot_sweep_dir.
    res = runner.invoke(app, ["plot", str(out)])
    assert res.exit_code == 0, res.output
    assert "pareto_lenet5.png" in res.output


def test_sweep_command_sample(tiny: Path) -> None:
    res = runner.invoke(app, ["sweep", str(tiny), "--sample", "2", "--seed", "1", "-j", "1"])
    assert res.exit_code == 0, res.output
    assert "2 rows" in res.output


def test_bad_sweep_file_exits_2_naming_the_axis(write_sweep: Any, tmp_path: Path) -> None:
    data = copy.deepcopy(TINY)
    data["axes"]["memory.dram.bandwidth"] = ["8 GB"]
    out = tmp_path / "out"
    res = runner.invoke(app, ["sweep", str(write_sweep(data)), "--out", str(out)])
    assert res.exit_code == 2
    assert "axis 'memory.dram.bandwidth'" in res.output and "expected bytes/s" in res.output
    assert not out.exists()
    data["axes"] = {"compute.pe_array.count": []}
    res = runner.invoke(app, ["sweep", str(write_sweep(data))])
    assert res.exit_code == 2 and "axis 'compute.pe_array.count': no values" in res.output


def test_missing_file_exits_2(tmp_path: Path) -> None:
    res = runner.invoke(app, ["sweep", str(tmp_path / "nope.yaml")])
    assert res.exit_code == 2 and "cannot read" in res.output


def test_progress_bar_adds_no_thread_so_the_pool_can_fork(
    tiny: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A thread in this process (a self-refreshing bar) would make the pool start its
    # workers through a fork server, cold, instead of forking this warm process.
    import threading

    from hwsim.sweep import run

    before = threading.active_count()
    seen: list[int] = []
    real = run._mp_context

    def spy() -> Any:
        seen.append(threading.active_count())
        return real()

    monkeypatch.setattr(run, "_mp_context", spy)
    res = runner.invoke(app, ["sweep", str(tiny), "--jobs", "2", "--progress"])
    assert res.exit_code == 0, res.output
    assert len(seen) == 1 and seen[0] <= before  # (a thread of an earlier test may end)
