"""The three energy figures: their data checked against the runs, and the CLI that draws them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

import hwsim
from hwsim import energy
from hwsim.cli import app
from hwsim.errors import HwsimError
from hwsim.report import energy_plots as ep


@pytest.fixture(scope="module")
def dvfs_runs() -> list[hwsim.SimulationResult]:
    # The A100 lists 8 operating points below 1410 MHz; no cap, to see the bare V/f law.
    return energy.dvfs_curve("resnet50", "a100-80gb-sxm", dtype="fp16", batch=32, power_cap=10000.0)


def test_dvfs_points_follow_the_runs(dvfs_runs: list[hwsim.SimulationResult]) -> None:
    pts = ep.dvfs_points(dvfs_runs)
    assert [p["clock_hz"] for p in pts] == sorted(r.clock_hz for r in dvfs_runs)
    assert len(pts) == 9 and pts[-1]["clock_hz"] == 1410e6
    for p in pts:
        r = next(r for r in dvfs_runs if r.clock_hz == p["clock_hz"])
        assert p["energy_per_inference_j"] == pytest.approx(r.energy_j / 32)
        assert p["latency_s"] == r.latency_s
    # A lower clock is never faster.
    lat = [p["latency_s"] for p in pts]
    assert lat == sorted(lat, reverse=True)
    # Exactly one energy-optimal point, and it is the minimum.
    best = [p for p in pts if p["optimal"]]
    assert len(best) == 1
    assert best[0]["energy_per_inference_j"] == min(p["energy_per_inference_j"] for p in pts)
    # Leakage paid over a longer run makes the lowest clock dearer than the optimum, and
    # V^2 makes the nominal point dearer too: the optimum lies strictly inside.
    assert pts[0]["clock_hz"] < best[0]["clock_hz"] < pts[-1]["clock_hz"]


def test_dvfs_on_a_chip_without_listed_points_uses_fractions() -> None:
    spec = hwsim.load_hardware("stm32h7a3")
    assert energy.dvfs_clocks(spec) == pytest.approx([280e6 * f for f in energy.DVFS_FRACTIONS])


def test_chip_breakdown_per_inference() -> None:
    runs = energy.chips_compare(
        "mlperf-tiny-resnet8", ["stm32h7a3", "stm32h743", "a100-80gb-sxm"], dtype="int8"
    )
    rows = ep.chip_breakdown(runs)
    assert [r["hardware"] for r in rows] == ["stm32h7a3", "stm32h743", "a100-80gb-sxm"]
    for r, run in zip(rows, runs):
        assert r["energy_per_inference_j"] == pytest.approx(run.energy_j / run.batch)
        assert sum(r["shares"].values()) == pytest.approx(1.0)
        assert set(r["parts_j"]) == set(run.energy_breakdown_j)
    assert "hbm" in rows[2]["parts_j"] and "flash" in rows[0]["parts_j"]


def test_token_energy_falls_with_batch() -> None:
    runs = energy.batch_curve(
        "llama-2-7b", "a100-80gb-sxm", batches=(1, 4, 16), dtype="fp16", prompt_len=64,
        gen_len=17,
    )  # fmt: skip
    pts = ep.token_energy_points(runs)
    assert [p["batch"] for p in pts] == [1, 4, 16]
    for p, r in zip(pts, runs):
        assert p["decode_j_per_token"] == pytest.approx(r.decode_energy_j / (r.batch * 16))
        assert p["prefill_j_per_token"] == pytest.approx(r.prefill_energy_j / (r.batch * 64))
    # Decode re-reads the weights per step whatever the batch: J/token falls with batch.
    dec = [p["decode_j_per_token"] for p in pts]
    assert dec[0] > dec[1] > dec[2]
    with pytest.raises(HwsimError, match="not an LLM run"):
        ep.token_energy_points(hwsim.simulate("lenet5", "stm32h7a3", dtype="int8"))


def test_plots_build_and_the_cli_writes_pngs(
    tmp_path: Path, dvfs_runs: list[hwsim.SimulationResult]
) -> None:
    fig = hwsim.report.plot("dvfs", dvfs_runs)
    ax = fig.axes[0]
    assert ax.get_xlabel() == "clock (MHz)" and "J" in ax.get_ylabel()
    assert any("a100-80gb-sxm, fp16" in t.get_text() for t in ax.get_legend().get_texts())
    files = []
    for i, r in enumerate(dvfs_runs[:3]):
        p = tmp_path / f"r{i}.json"
        p.write_text(json.dumps(r.to_dict()))
        files.append(str(p))
    out = tmp_path / "dvfs.png"
    res = CliRunner().invoke(app, ["plot", *files, "--kind", "dvfs", "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert out.read_bytes()[:4] == b"\x89PNG"
    res = CliRunner().invoke(app, ["plot", files[0], "--kind", "j-per-token", "-o", str(out)])
    assert res.exit_code == 2 and "not an LLM run" in res.output


def test_energy_command_runs_the_set_and_draws(tmp_path: Path) -> None:
    out = tmp_path / "chips.png"
    runs = tmp_path / "runs.json"
    res = CliRunner().invoke(
        app,
        [
            "energy",
            "mlperf-tiny-resnet8",
            "-H",
            "stm32h7a3",
            "-H",
            "stm32h743",
            "--kind",
            "energy-chips",
            "--dtype",
            "int8",
            "-o",
            str(out),
            "--json",
            str(runs),
        ],  # fmt: skip
    )
    assert res.exit_code == 0, res.output
    assert out.read_bytes()[:4] == b"\x89PNG"
    assert [r["hardware"] for r in json.loads(runs.read_text())] == ["stm32h7a3", "stm32h743"]
    bad = CliRunner().invoke(app, ["energy", "lenet5", "-H", "stm32h7a3", "--kind", "nope"])
    assert bad.exit_code == 2 and "unknown energy plot kind" in bad.output


def test_flat_dvfs_curve_marks_the_fastest_point() -> None:
    # STM32H7A3: fixed uA/MHz and no leakage outside it, so energy is flat in the clock
    # when all time is clock cycles. A fitted per-run overhead is fixed seconds (it does
    # not scale with the clock), so the profile's is set to 0 here.
    spec = hwsim.load_hardware("stm32h7a3")
    prof = spec.profile(None).model_copy(update={"overhead_per_run": 0.0})
    runs = energy.dvfs_curve("mlperf-tiny-resnet8", spec, dtype="int8", profile=prof)
    pts = ep.dvfs_points(runs)
    assert [p["optimal"] for p in pts] == [False] * (len(pts) - 1) + [True]
