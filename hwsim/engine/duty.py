"""Duty cycle, battery life, electricity cost and carbon of a simulated inference.

Pure arithmetic on a :class:`SimulationResult` (energy and latency of one inference or one
LLM request) and the chip's sleep power:

- **Duty cycle.** At ``rate`` inferences per second the chip is busy ``rate x latency`` of the
  time and sleeps the rest: ``P_avg = rate x E_inference + (1 - rate x latency) x P_sleep``.
  Battery life = battery energy / ``P_avg`` (an ideal battery: capacity x nominal voltage, no
  converter loss or self-discharge).
- **Cost and carbon.** Energy per million inferences (or tokens) in kWh, times the price per
  kWh and the grid's carbon intensity (gCO2e/kWh). A chip price spread over its lifetime at
  full utilisation adds the hardware cost per million. LLM requests are split into prefill
  (per prompt token) and decode (per generated token).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any

from hwsim.engine.result import SimulationResult
from hwsim.errors import SimulationError
from hwsim.hardware.models import HardwareSpec

J_PER_KWH = 3.6e6
SECONDS_PER_YEAR = 365.25 * 24 * 3600
PER_MILLION = 1e6

_BATTERY = re.compile(
    r"^\s*(?P<q>\d+(?:\.\d*)?(?:[eE][-+]?\d+)?)\s*(?P<qu>mAh|Ah)\s*@\s*"
    r"(?P<v>\d+(?:\.\d*)?(?:[eE][-+]?\d+)?)\s*V\s*$"
    r"|^\s*(?P<e>\d+(?:\.\d*)?(?:[eE][-+]?\d+)?)\s*(?P<eu>mWh|Wh|kWh|J|kJ)\s*$"
)


@dataclass(frozen=True)
class Battery:
    """A battery as its stored energy in J (capacity x nominal voltage)."""

    energy_j: float
    label: str


def parse_battery(text: str) -> Battery:
    """``"1000 mAh@3.7V"`` (capacity at a nominal voltage) or ``"3.7 Wh"`` -> Battery.

    Raises:
        SimulationError: naming the parameter ``battery``.
    """
    m = _BATTERY.match(text) if isinstance(text, str) else None
    if m is None:
        raise SimulationError(
            f"`battery`: expected a capacity at a voltage like '1000 mAh@3.7V' or an energy "
            f"like '3.7 Wh', got {text!r}",
            params=("battery",),
        )
    if m.group("q") is not None:
        charge_c = float(m.group("q")) * (3.6 if m.group("qu") == "mAh" else 3600.0)
        energy = charge_c * float(m.group("v"))
    else:
        scale = {"mWh": 3.6, "Wh": 3600.0, "kWh": 3.6e6, "J": 1.0, "kJ": 1e3}[m.group("eu")]
        energy = float(m.group("e")) * scale
    if not energy > 0:
        raise SimulationError(f"`battery`: must store a positive energy, got {text!r}",
                              params=("battery",))  # fmt: skip
    return Battery(energy, text.strip())


def _positive(value: float | None, name: str, *, zero_ok: bool = False) -> float | None:
    if value is None:
        return None
    ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    if not ok or value != value or value in (float("inf"), float("-inf")):
        raise SimulationError(f"`{name}`: expected a number, got {value!r}", params=(name,))
    if value < 0 or (value == 0 and not zero_ok):
        raise SimulationError(
            f"`{name}`: must be {'non-negative' if zero_ok else 'positive'}, got {value!r}",
            params=(name,),
        )
    return float(value)


def duty_cycle(
    result: SimulationResult,
    spec: HardwareSpec,
    rate_per_s: float,
    battery: Battery | None = None,
) -> dict[str, Any]:
    """Average power at ``rate_per_s`` inferences per second, and battery life if given.

    Sleep power is ``spec.power.sleep``; a chip without one is taken to idle at its idle power
    between inferences (stated in the returned ``sleep_source``).
    """
    rate = _positive(rate_per_s, "rate")
    assert rate is not None
    busy = rate * result.latency_s
    if busy > 1.0:
        raise SimulationError(
            f"`rate`: {rate:g}/s needs {busy:.3g} s of work per second; one inference takes "
            f"{result.latency_s:.3g} s, so at most {1 / result.latency_s:.4g}/s",
            params=("rate",),
        )
    if spec.power.sleep is not None:
        sleep_w, source = spec.power.sleep, "power.sleep"
    else:
        sleep_w = float(result.power.get("idle_power_w", spec.power.static))
        source = "idle power (the spec gives no power.sleep)"
    avg = rate * result.energy_j + (1.0 - busy) * sleep_w
    out: dict[str, Any] = {
        "rate_per_s": rate,
        "busy_fraction": busy,
        "sleep_power_w": sleep_w,
        "sleep_source": source,
        "avg_power_w": avg,
        "energy_per_day_j": avg * 86400.0,
    }
    if battery is not None:
        life = battery.energy_j / avg if avg > 0 else float("inf")
        out.update(
            {
                "battery": battery.label,
                "battery_energy_j": battery.energy_j,
                "battery_life_s": life,
                "battery_life_days": life / 86400.0,
            }
        )
    return out


def cost_and_carbon(
    result: SimulationResult,
    *,
    electricity_price: float | None = None,
    carbon_intensity: float | None = None,
    chip_price: float | None = None,
    lifetime_years: float = 3.0,
) -> dict[str, Any]:
    """Energy, $ and gCO2e per million inferences (LLMs: per million prefill and decode tokens).

    Args:
        result: one simulated inference or LLM request.
        electricity_price: USD per kWh.
        carbon_intensity: gCO2e per kWh of the grid.
        chip_price: USD for the chip, spread over ``lifetime_years`` at full utilisation.
        lifetime_years: service life of the chip.
    """
    price = _positive(electricity_price, "electricity_price", zero_ok=True)
    grid = _positive(carbon_intensity, "carbon_intensity", zero_ok=True)
    chip = _positive(chip_price, "chip_price", zero_ok=True)
    life = _positive(lifetime_years, "lifetime_years")
    assert life is not None
    out: dict[str, Any] = {}
    if price is not None:
        out["electricity_usd_per_kwh"] = price
    if grid is not None:
        out["carbon_gco2e_per_kwh"] = grid
    if chip is not None:
        out["chip_usd"] = chip
        out["lifetime_years"] = life

    def per_million(prefix: str, energy_j: float, units: float, seconds: float) -> None:
        if units <= 0:
            return
        kwh = energy_j / units * PER_MILLION / J_PER_KWH
        out[f"kwh_per_1m_{prefix}"] = kwh
        if price is not None:
            out[f"usd_per_1m_{prefix}"] = kwh * price
        if grid is not None:
            out[f"gco2e_per_1m_{prefix}"] = kwh * grid
        if chip is not None:
            busy_s = seconds / units * PER_MILLION
            out[f"hardware_usd_per_1m_{prefix}"] = chip * busy_s / (life * SECONDS_PER_YEAR)

    llm = result.llm
    if llm:
        batch = result.batch
        prompt = batch * int(llm.get("prompt_len", 0))
        gen = batch * max(0, int(llm.get("gen_len", 0)) - 1)
        pre_j = float(result.power.get("prefill_energy_j", 0.0))
        dec_j = float(result.power.get("decode_energy_j", 0.0))
        ttft = float(llm.get("ttft_s", 0.0))
        per_million("prefill_tokens", pre_j, prompt, ttft)
        per_million("decode_tokens", dec_j, gen, result.latency_s - ttft)
        per_million("requests", result.energy_j, batch, result.latency_s)
    else:
        per_million("inferences", result.energy_j, result.batch, result.latency_s)
    return out


def with_duty_and_cost(
    result: SimulationResult,
    spec: HardwareSpec,
    *,
    rate: float | None = None,
    battery: str | Battery | None = None,
    electricity_price: float | None = None,
    carbon_intensity: float | None = None,
    chip_price: float | None = None,
    lifetime_years: float | None = None,
) -> SimulationResult:
    """``result`` with ``duty_cycle`` and/or ``cost`` added to its power fields (defaults off)."""
    extra: dict[str, Any] = {}
    if battery is not None and rate is None:
        raise SimulationError(
            "`battery` needs `rate` (inferences per second) to give a battery life",
            params=("battery", "rate"),
        )
    if rate is not None:
        bat = parse_battery(battery) if isinstance(battery, str) else battery
        extra["duty_cycle"] = duty_cycle(result, spec, rate, bat)
    if lifetime_years is not None and chip_price is None:
        raise SimulationError(
            "`lifetime_years` spreads a `chip_price`; give the chip price too",
            params=("lifetime_years", "chip_price"),
        )
    if electricity_price is not None or carbon_intensity is not None or chip_price is not None:
        extra["cost"] = cost_and_carbon(
            result,
            electricity_price=electricity_price,
            carbon_intensity=carbon_intensity,
            chip_price=chip_price,
            lifetime_years=3.0 if lifetime_years is None else lifetime_years,
        )
    if not extra:
        return result
    return replace(result, power={**result.power, **extra})
