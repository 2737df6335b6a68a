"""`hwsim plot` and the report options of `hwsim run`, end to end."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

import hwsim
import hwsim.report.plots as plots
from hwsim.cli import app
from hwsim.engine.result import SimulationResult

runner = CliRunner()


def _save(r: SimulationResult, path: Path) -> Path:
    path.write_text(json.dumps(r.to_dict()))
    return path


def test_plot_several_results_energy(
    lenet: SimulationResult,
    branches: SimulationResult,
    resnet18: SimulationResult,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    runs = (lenet, branches, resnet18)
    files = [str(_save(r, tmp_path / f"r{i}.json")) for i, r in enumerate(runs)]
    drawn: list[Any] = []
    save = plots.save_figure

    def keep(fig: Any, path: Any, dpi: int = 150) -> Path:
        drawn.append(fig)
        return save(fig, path, dpi=40)

    monkeypatch.setattr(plots, "save_figure", keep)
    out = tmp_path / "cmp.png"
    res = runner.invoke(app, ["plot", *files, "--kind", "energy", "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert out.read_bytes()[:4] == b"\x89PNG"
    (fig,) = drawn
    bars = {c.get_label(): [p.get_height() for p in c] for c in fig.axes[0].containers}
    totals = np.sum(list(bars.values()), axis=0)
    assert np.allclose(totals, [r.energy_j for r in runs], rtol=1e-12)
    # Every bar names the dtype and the software profile too (issue 16.9).
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == [
        f"{r.workload}\n{r.hardware}\n{r.dtype}, {r.profile}" for r in runs
    ]
    assert fig.axes[0].get_xticklabels()[0].get_text() == "lenet5\ntpu-like\nint8, ideal"


@pytest.mark.parametrize("kind", ["roofline", "memory", "timeline"])
def test_plot_one_result_each_kind(
    kind: str, lenet: SimulationResult, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(plots, "save_figure", lambda fig, path, dpi=150: fig.savefig(path, dpi=30))
    f = _save(lenet, tmp_path / "lenet.json")
    res = runner.invoke(app, ["plot", str(f), "-k", kind])
    assert res.exit_code == 0, res.output
    assert (tmp_path / f"{kind}.png").read_bytes()[:4] == b"\x89PNG"  # default name KIND.png


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "not a result file (invalid JSON at line 1"),
        ('{"layers": []}', "not a hwsim result (missing hardware"),
        ("[1, 2]", "not a hwsim result (expected a JSON object)"),
    ],
)
def test_plot_bad_file_is_one_line_exit_2(content: str, message: str, tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(content)
    res = runner.invoke(app, ["plot", str(bad), "--kind", "energy", "-o", str(tmp_path / "x.png")])
    assert res.exit_code == 2
    lines = res.output.strip().splitlines()
    assert len(lines) == 1 and message in lines[0] and "bad.json" in lines[0]
    assert not (tmp_path / "x.png").exists()


def test_plot_missing_file_and_bad_kind(lenet: SimulationResult, tmp_path: Path) -> None:
    res = runner.invoke(app, ["plot", str(tmp_path / "nope.json")])
    assert res.exit_code == 2 and "result file" in res.output and "cannot read" in res.output
    f = _save(lenet, tmp_path / "lenet.json")
    res = runner.invoke(app, ["plot", str(f), "--kind", "pie"])
    assert res.exit_code == 2 and "unknown plot kind 'pie'" in res.output


def test_plot_folder_goes_to_sweep_plots(tmp_path: Path) -> None:
    res = runner.invoke(app, ["plot", str(tmp_path)])
    assert res.exit_code == 2
    assert len(res.output.strip().splitlines()) == 1
    res = runner.invoke(app, ["plot", str(tmp_path), "--kind", "energy"])
    assert res.exit_code == 2 and "--kind applies to result files" in res.output


def test_run_writes_csv_and_trace_and_prints_verdict(tmp_path: Path) -> None:
    c, t = tmp_path / "layers.csv", tmp_path / "trace.json"
    res = runner.invoke(
        app,
        ["run", "lenet5", "-H", "tpu-like", "--dtype", "int8", "--csv", str(c), "--trace", str(t)],
    )
    assert res.exit_code == 0, res.output
    assert "top 10 layers by latency" in res.output
    r = hwsim.simulate("lenet5", "tpu-like", dtype="int8")
    total = sum(layer.latency_s for layer in r.layers)
    comp = sum(x.latency_s for x in r.layers if x.bound == "compute") / total
    assert f"verdict: compute-bound: {comp:.0%} of layer time is limited by compute" in res.output
    with c.open(newline="") as f:
        assert len(list(csv.DictReader(f))) == 12
    events = json.loads(t.read_text())["traceEvents"]
    assert sum(1 for e in events if e["ph"] == "X" and e["cat"] != "transfer") == 12
