"""A shared stack's fit reaches the built-in chips that ship its profile but have no rows.

validation/fit_all.py gives such a chip + profile its stack's shared (non-chip-specific)
fitted parameters when a member on the same core (``cores`` in validation/stacks.yaml) was
fitted with no chip-specific term; elsewhere the prior stays. These tests recompute the
shipped profiles from the priors (validation/priors/) and the fitted multipliers
(validation/calibrated/fits.json) with the multipliers' definition written out here.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import hwsim
from hwsim.hardware import load_profile
from hwsim.hardware.models import SoftwareProfile
from hwsim.validation.joint import read_stacks

ROOT = Path(__file__).parents[3]
VAL = ROOT / "validation"
CLASSES = ("gemm", "conv", "depthwise", "elementwise", "attention")


def _fits() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((VAL / "calibrated" / "fits.json").read_text())
    return data


def _stack_fit(stack: str) -> dict[str, Any]:
    return next(f for f in _fits()["fits"] if f["stack"] == stack)


def _expected(prior: SoftwareProfile, fit: dict[str, Any], clock_hz: float) -> dict[str, float]:
    # Multipliers (overhead_per_run: seconds added at the fit's run clock, the same core
    # cycles on an MCU at its own clock); efficiencies and the bandwidth capped at 1.
    par = {k: v for k, v in fit["parameters"].items() if "@" not in k}
    scale = par.get("compute_scale", 1.0)
    out = {c: min(1.0, getattr(prior.efficiency, c) * scale * par.get(f"efficiency.{c}", 1.0))
           for c in CLASSES}  # fmt: skip
    out["bandwidth"] = min(1.0, prior.bandwidth_efficiency * par.get("bandwidth_efficiency", 1.0))
    out["per_op"] = prior.overhead_per_op * par.get("overhead_per_op", 1.0)
    added = par.get("overhead_per_run", 0.0)
    if fit["run_clock_hz"]:
        added *= fit["run_clock_hz"] / clock_hz
    out["per_run"] = prior.overhead_per_run + added
    return out


def test_rowless_chips_ship_their_stacks_shared_fit() -> None:
    fits = _fits()
    assert fits["transferred"], "no row-less chip took a fit"
    for t in fits["transferred"]:
        chip, name = t["pair"].split("/")
        fit = _stack_fit(t["stack"])
        spec = hwsim.load_hardware(chip)
        prior = load_profile(VAL / "priors" / f"{chip}--{name}.yaml")
        want = _expected(prior, fit, spec.nominal_clock or 1.0)
        got = spec.profile(name)
        for c in CLASSES:  # the spec keeps 4 significant digits
            assert getattr(got.efficiency, c) == pytest.approx(want[c], rel=1e-3), (t, c)
        assert got.bandwidth_efficiency == pytest.approx(want["bandwidth"], rel=1e-3), t
        assert got.overhead_per_op == pytest.approx(want["per_op"], rel=1e-3), t
        assert got.overhead_per_run == pytest.approx(want["per_run"], rel=1e-3, abs=1e-9), t
        members = ", ".join(fit["members"])
        assert got.estimated[0].reasoning.startswith(
            f"Shared fit of {t['stack']} over {members}; no rows on this chip"
        ), t
        # each donor is a member fitted with no term of its own
        for donor in t["from"]:
            assert any(m.startswith(donor + "/") for m in fit["members"]), t
            assert f"compute_scale@{donor}" not in fit["parameters"], t


def test_xcubeai_on_the_f746_is_the_h743_level_at_its_own_clock() -> None:
    # Both are Cortex-M7s with the same X-CUBE-AI prior (conv 0.4, no per-run cost) and the
    # H743 has no chip-specific term: the F746 must ship the H743's shipped efficiencies, and
    # the per-run cost must be the same core cycles, 480 / 216 times longer at 216 MHz.
    f7, h7 = hwsim.load_hardware("stm32f746"), hwsim.load_hardware("stm32h743")
    for chip in ("stm32f746", "stm32h743"):
        prior = load_profile(VAL / "priors" / f"{chip}--x-cube-ai.yaml")
        assert prior.efficiency.conv == 0.4 and prior.overhead_per_run == 0.0
    a, b = f7.profile("x-cube-ai"), h7.profile("x-cube-ai")
    assert f7.default_profile == "x-cube-ai"
    assert a.efficiency == b.efficiency
    assert a.efficiency.conv < 0.4  # the fitted level, not the uncalibrated prior
    assert f7.unit("cpu").clock == pytest.approx(216e6)
    assert h7.unit("cpu").clock == pytest.approx(480e6)
    assert a.overhead_per_run * 216e6 == pytest.approx(b.overhead_per_run * 480e6, rel=1e-3)


@pytest.mark.parametrize(
    ("pair", "transferred"),
    [
        ("stm32f746/x-cube-ai", True),  # Cortex-M7, as the H743 and H7A3 members
        ("stm32h7a3/cmsis-nn", True),  # Cortex-M7, as the H743 member
        ("stm32l4r5/tinyengine", False),  # Cortex-M4: no TinyEngine member on an M4
        ("stm32u575/tflm", False),  # Cortex-M33: the tflm members are an M7 and an LX7
        ("stm32h743/plumerai", False),  # the only M7 member (F746) has its own scale
        ("h100-pcie/tensorrt", True),  # Hopper sm_90, as the H100 SXM member
        ("rtx-4090/tensorrt", False),  # Ada: no TensorRT member of that generation
        ("jetson-agx-orin/llama.cpp", False),  # sm_87: the A100 member is sm_80
    ],
)
def test_a_shared_fit_transfers_only_to_the_same_core(pair: str, transferred: bool) -> None:
    fits = _fits()
    moved = {t["pair"] for t in fits["transferred"]}
    kept = {k["pair"] for k in fits["kept_prior"]}
    assert (pair in moved, pair in kept) == (transferred, not transferred)
    chip, name = pair.split("/")
    text = hwsim.load_hardware(chip).profile(name).estimated[0].reasoning
    assert text.startswith("Shared fit of") == transferred


def test_every_shipped_profile_of_a_fitted_stack_is_accounted_for() -> None:
    fits = _fits()
    stacks = read_stacks(VAL / "stacks.yaml")
    stack_of = {f"{c}/{p}": s.name for s in stacks.values() for c, p in s.members}
    fitted = {f["stack"]: f for f in fits["fits"]}
    moved = {t["pair"] for t in fits["transferred"]}
    kept = {k["pair"] for k in fits["kept_prior"]}
    for path in sorted((ROOT / "hardware_specs").glob("*.yaml")):
        spec = hwsim.load_hardware(path)
        for name in spec.profiles:
            pair = f"{spec.name}/{name}"
            stack = stack_of.get(pair, name)
            if stack not in fitted or spec.name == "stm32h747i-disco":  # carried: test_priors
                continue
            states = [pair in fitted[stack]["members"], pair in moved, pair in kept]
            assert states.count(True) == 1, (pair, states)
