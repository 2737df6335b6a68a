"""MCU boards with external memory: weights that overflow the internal flash go to the board's
SDRAM or Quad-SPI flash, the run says so, and the slower memory costs time and energy."""

from __future__ import annotations

import hwsim
from hwsim import engine
from hwsim.api import load
from hwsim.hardware import load_hardware


def test_mobilenet_v2_weights_overflow_to_sdram() -> None:
    """MobileNetV2 int8: 3.5 MB of weights > 2 MiB internal flash; 32 MiB SDRAM holds them."""
    w, spec, prof = load("mobilenet_v2", "stm32h747i-disco", dtype="int8")
    r = engine.simulate(w, spec, prof)
    assert r.fits
    assert any(
        x.startswith("weights do not fit flash (2 MiB): placed in sdram") for x in r.warnings
    )
    assert r.memory_fit["sdram"]["required_bytes"] >= w.weight_bytes


def test_small_model_stays_on_chip() -> None:
    w, spec, prof = load("mcunet-in3", "stm32h747i-disco", dtype="int8")
    r = engine.simulate(w, spec, prof)
    assert not any("placed in" in x for x in r.warnings)
    assert "sdram" not in r.memory_fit


def test_qspi_is_slower_than_sdram() -> None:
    """Without room in SDRAM the weights run in place from QSPI flash (133 MB/s against
    SDRAM's 400 MB/s and 1000 against 500 pJ/B): never faster, more memory energy."""
    w, spec, prof = load("mobilenet_v2", "stm32h747i-disco", dtype="int8")
    small = hwsim.override(load_hardware("stm32h747i-disco"), {"memory.sdram.capacity": "2 MiB"})
    a = engine.simulate(w, spec, prof)
    b = engine.simulate(w, small, small.profile(None))
    assert any("placed in qspi-flash" in x for x in b.warnings)
    assert b.latency_s >= a.latency_s
    assert b.energy_breakdown_j["qspi-flash"] > a.energy_breakdown_j["sdram"] > 0
