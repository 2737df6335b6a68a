"""Duty cycle, battery life, cost and carbon: arithmetic checked by hand."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

import hwsim
from hwsim.cli import app
from hwsim.engine.duty import parse_battery
from hwsim.errors import SimulationError


def test_battery_strings() -> None:
    assert parse_battery("1000 mAh@3.7V").energy_j == pytest.approx(1.0 * 3600 * 3.7)
    assert parse_battery("2 Ah @ 3 V").energy_j == pytest.approx(2 * 3600 * 3.0)
    assert parse_battery("3.7 Wh").energy_j == pytest.approx(3.7 * 3600)
    for bad in ("1000 mAh", "3.7V", "-1 Wh", "1000 mA@3.7V", ""):
        with pytest.raises(SimulationError, match=r"^`battery`"):
            parse_battery(bad)


def test_duty_cycle_and_battery_life_by_hand() -> None:
    base = hwsim.simulate("mlperf-tiny-resnet8", "stm32h7a3", dtype="int8")
    r = hwsim.simulate(
        "mlperf-tiny-resnet8", "stm32h7a3", dtype="int8", rate=1.0, battery="1000 mAh@3.7V"
    )
    d = r.duty_cycle
    sleep = 32e-6 * 3.3  # Stop mode 32 uA at 3.3 V (ST)
    expected = 1.0 * base.energy_j + (1 - base.latency_s) * sleep
    assert d["sleep_power_w"] == pytest.approx(sleep)
    assert d["avg_power_w"] == pytest.approx(expected, rel=1e-12)
    assert d["battery_life_s"] == pytest.approx(1.0 * 3600 * 3.7 / expected, rel=1e-12)
    assert d["busy_fraction"] == pytest.approx(base.latency_s)
    # The inference itself is unchanged.
    assert r.energy_j == base.energy_j and r.latency_s == base.latency_s


def test_rate_above_what_the_chip_can_do_is_refused() -> None:
    with pytest.raises(SimulationError, match=r"^`rate`: 100/s needs"):
        hwsim.simulate("mlperf-tiny-resnet8", "stm32h7a3", dtype="int8", rate=100.0)
    with pytest.raises(SimulationError, match="`battery` needs `rate`"):
        hwsim.simulate("mlperf-tiny-resnet8", "stm32h7a3", dtype="int8", battery="1 Wh")


def test_cost_and_carbon_per_million_inferences_by_hand() -> None:
    r = hwsim.simulate(
        "resnet50",
        "a100-80gb-sxm",
        dtype="fp16",
        batch=256,
        electricity_price=0.1,
        carbon_intensity=400.0,
        chip_price=15000.0,
        lifetime_years=5.0,
    )
    c = r.cost
    kwh = r.energy_j / 256 * 1e6 / 3.6e6
    assert c["kwh_per_1m_inferences"] == pytest.approx(kwh, rel=1e-12)
    assert c["usd_per_1m_inferences"] == pytest.approx(0.1 * kwh, rel=1e-12)
    assert c["gco2e_per_1m_inferences"] == pytest.approx(400 * kwh, rel=1e-12)
    busy = r.latency_s / 256 * 1e6  # seconds of chip time per million inferences
    hw = 15000 * busy / (5 * 365.25 * 86400)
    assert c["hardware_usd_per_1m_inferences"] == pytest.approx(hw, rel=1e-12)


def test_llm_prefill_and_decode_tokens_are_priced_separately() -> None:
    r = hwsim.simulate(
        "llama-2-7b",
        "a100-80gb-sxm",
        dtype="fp16",
        prompt_len=128,
        gen_len=65,
        electricity_price=0.2,
    )
    c = r.cost
    pre = r.prefill_energy_j / 128 * 1e6 / 3.6e6 * 0.2
    dec = r.decode_energy_j / 64 * 1e6 / 3.6e6 * 0.2
    assert c["usd_per_1m_prefill_tokens"] == pytest.approx(pre, rel=1e-12)
    assert c["usd_per_1m_decode_tokens"] == pytest.approx(dec, rel=1e-12)
    assert r.prefill_energy_j + r.decode_energy_j == pytest.approx(r.energy_j, rel=1e-9)
    # Batch-1 decode re-reads every weight per token: far dearer per token than prefill.
    assert dec > 10 * pre
    assert "gco2e_per_1m_decode_tokens" not in c  # no carbon intensity given


def test_defaults_are_off() -> None:
    d = hwsim.simulate("lenet5", "stm32h7a3", dtype="int8").to_dict()
    assert "duty_cycle" not in d and "cost" not in d


def test_cli_prints_and_writes_duty_and_cost(tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    res = CliRunner().invoke(
        app,
        [
            "run",
            "mlperf-tiny-resnet8",
            "-H",
            "stm32h7a3",
            "--dtype",
            "int8",
            "--rate",
            "1",
            "--battery",
            "1000 mAh@3.7V",
            "--electricity-price",
            "0.1",
            "--carbon-intensity",
            "400",
            "--json",
            str(out),
        ],  # fmt: skip
        env={"COLUMNS": "80"},
    )
    assert res.exit_code == 0, res.output
    assert "battery life" in res.output and "per 1M inferences" in res.output
    d = json.loads(out.read_text())
    assert d["duty_cycle"]["battery_life_days"] > 1
    assert d["cost"]["usd_per_1m_inferences"] > 0 and d["cost"]["gco2e_per_1m_inferences"] > 0
    bad = CliRunner().invoke(
        app, ["run", "lenet5", "-H", "stm32h7a3", "--battery", "lots"], env={"COLUMNS": "80"}
    )
    assert bad.exit_code == 2 and "Traceback" not in bad.output
