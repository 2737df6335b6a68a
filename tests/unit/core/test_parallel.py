"""Systems of chips: spec validation, collective and pipeline formulas by hand, TP/PP runs."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

import hwsim
from hwsim.cli import app
from hwsim.engine.parallel import (
    all_gather_time,
    all_reduce_time,
    bubble_fraction,
    collective_bytes,
    pipeline_schedule,
)
from hwsim.errors import SimulationError, SpecError
from hwsim.hardware.loader import builtin_system_names, load_system
from hwsim.hardware.system import Link

LINK = Link.model_validate(
    {
        "name": "l",
        "kind": "nvlink",
        "bandwidth": "100 GB/s",
        "latency": "2 us",
        "energy_per_byte": "10 pJ/B",
    },
    context={"strict_units": True},
)


# ---- formulas by hand ------------------------------------------------------------------------
def test_ring_all_reduce_time_by_hand() -> None:
    # 64 MiB over 4 devices at 100 GB/s, 2 us per step: 6 steps of 16 MiB.
    size = 64 * 2**20
    steps = 2 * (4 - 1)
    expected = steps * (2e-6 + (size / 4) / 100e9)
    assert all_reduce_time(size, 4, LINK) == pytest.approx(expected)
    assert expected == pytest.approx(0.0010186, rel=1e-4)
    # each device sends 2 (N-1)/N of the data
    assert collective_bytes("all_reduce", size, 4) == pytest.approx(1.5 * size)
    assert all_reduce_time(size, 1, LINK) == 0.0


def test_all_gather_time_by_hand() -> None:
    # 8 devices, 1 MB shards: 7 steps of 1 MB
    assert all_gather_time(1e6, 8, LINK) == pytest.approx(7 * (2e-6 + 1e6 / 100e9))
    assert collective_bytes("all_gather", 1e6, 8) == pytest.approx(7e6)


@pytest.mark.parametrize(("p", "m"), [(2, 1), (4, 4), (4, 16), (8, 3)])
def test_pipeline_bubble_matches_the_formula(p: int, m: int) -> None:
    pl = pipeline_schedule([1.0] * p, [0.0] * (p - 1), m)
    assert pl.makespan_s == pytest.approx(m + p - 1)
    assert pl.bubble_fraction == pytest.approx((p - 1) / (m + p - 1))
    assert bubble_fraction(p, m) == pytest.approx((p - 1) / (m + p - 1))


def test_pipeline_slowest_stage_sets_the_pace() -> None:
    # stages 1, 3, 1 s; 5 micro-batches: fill (1) + 5 x 3 + drain (1) = 17 s
    assert pipeline_schedule([1.0, 3.0, 1.0], [0.0, 0.0], 5).makespan_s == pytest.approx(17.0)


# ---- specs --------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["dgx-a100", "dgx-h100", "rtx4090-x8-pcie"])
def test_builtin_systems_load_with_sources(name: str) -> None:
    assert name in builtin_system_names()
    sys_spec, chip = load_system(name)
    assert sys_spec.count == 8 and chip.name == sys_spec.device
    cited = {f for s in sys_spec.sources for f in s.fields}
    cited |= {e.field for e in sys_spec.estimated}
    for field in ("link.bandwidth", "link.latency", "link.energy_per_byte"):
        assert field in cited


def test_system_spec_errors_name_the_field(tmp_path: Path) -> None:
    p = tmp_path / "bad.yaml"
    p.write_text(
        "schema_version: 1\nname: bad\nkind: system\ndevice: h100-sxm\ncount: 8\n"
        "topology: switch\nlink: {name: x, kind: nvlink, bandwidth: 450, latency: 1 us, "
        "energy_per_byte: 1 pJ/B}\n"
    )
    with pytest.raises(SpecError, match=r"bad.yaml: link.bandwidth"):
        load_system(p)


# ---- runs ---------------------------------------------------------------------------------------
def test_tp2_tpot_is_lower_than_tp1_but_above_half() -> None:
    r1 = hwsim.simulate("llama-2-7b", "dgx-a100", gen_len=8)
    r2 = hwsim.simulate("llama-2-7b", "dgx-a100", tp=2, gen_len=8)
    assert r1.tpot_s / 2 < r2.tpot_s < r1.tpot_s
    assert r2.parallel["comm_time_s"] > 0
    assert r2.energy_breakdown_j["link"] > 0
    # per-device weights: about half (norms are replicated)
    per_dev = r2.parallel["per_device"][0]["weight_bytes"]
    assert per_dev == pytest.approx(r1.weight_bytes / 2, rel=0.01)
    assert r2.params == r1.params  # the model's params, not one shard's


def test_llama2_70b_fp16_does_not_fit_one_a100_and_suggests_tp2() -> None:
    r = hwsim.simulate("llama-2-70b", "a100-80gb-sxm", gen_len=2)
    assert not r.fits
    assert any("tp 2 or more" in w for w in r.warnings)
    with pytest.raises(SimulationError, match="use `tp` 2 or more"):
        hwsim.simulate("llama-2-70b", "dgx-a100", gen_len=2)


def test_cli_maps_the_hint_to_the_flag() -> None:
    res = CliRunner().invoke(app, ["run", "llama-2-70b", "-H", "dgx-a100", "--gen-len", "2"])
    assert res.exit_code == 2
    assert "--tp 2 or more" in res.output
    res = CliRunner().invoke(app, ["run", "llama-2-7b", "-H", "dgx-a100", "--tp", "3"])
    assert res.exit_code == 2 and "tp 3 must divide the 32 attention heads" in res.output


def test_pp_splits_layers_and_reports_a_bubble() -> None:
    r = hwsim.simulate("llama-2-7b", "dgx-a100", pp=2, batch=4, microbatches=4, gen_len=4)
    p = r.parallel
    assert p["pp"] == 2 and p["devices"] == 2
    # equal stages, small transfers: close to (p-1)/(m+p-1) = 1/5
    assert p["bubble_fraction"] == pytest.approx(0.2, abs=0.05)
    assert len(p["per_device"]) == 2


def test_tp_pp_beyond_the_system_is_an_error() -> None:
    with pytest.raises(SimulationError, match="exceeds the 8 of dgx-a100"):
        hwsim.simulate("llama-2-7b", "dgx-a100", tp=8, pp=2, gen_len=2)
    with pytest.raises(SimulationError, match="need a system"):
        hwsim.simulate("llama-2-7b", "a100-80gb-sxm", tp=2, gen_len=2)
