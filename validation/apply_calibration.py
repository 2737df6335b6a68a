"""Copy calibrated profile numbers from validation/calibrated/*.yaml into hardware_specs/.

Run from the repository root after ``sh validation/calibrate_all.sh``:

    python validation/apply_calibration.py [CHIP--PROFILE ...]

Only these lines inside that profile's block change: ``efficiency: {...}``,
``bandwidth_efficiency:``, ``overhead_per_op:``, ``overhead_per_run:`` (each when the
calibrated value differs; an ``overhead_per_run:`` line is added after ``overhead_per_op:``
when the profile has none) and the ``reasoning:`` line of the profile's ``estimated`` entry.
Every other line is left byte for byte; the script checks that the spec reloads with exactly
the calibrated numbers and that no other profile changed.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from hwsim.hardware import load_hardware, load_profile
from hwsim.units import Dimension, format_quantity

ROOT = Path(__file__).resolve().parent.parent


def _g(v: float) -> str:
    return f"{v:.4g}"


# Boards with no rows of their own that run a stack on the same core at the same clock as a
# fitted chip: they carry that chip's calibrated profile (the same generated code or kernels
# on the same core), so every refit keeps them in step instead of leaving a stale copy.
CARRIED: dict[str, tuple[str, str]] = {
    "stm32h747i-disco": (
        "stm32h743",
        "Carried over from stm32h743 (this board has no rows; its Cortex-M7 runs at 480 MHz "
        "like the STM32H743's, with the same L1 caches and flash accelerator, so a stack's "
        "generated code or kernels take the same cycles): ",
    ),
}


def apply(chip: str, name: str, calibrated: Path, note: str = "") -> list[int]:
    """Edit hardware_specs/CHIP.yaml in place; returns the 1-based line numbers changed.

    ``note`` prefixes the reasoning (a profile carried over from another chip's fit).
    """
    path = ROOT / "hardware_specs" / f"{chip}.yaml"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    spec = load_hardware(path)
    old, new = spec.profiles[name], load_profile(calibrated)
    if note and new.estimated:
        est = new.estimated[0].model_copy(update={"reasoning": note + new.estimated[0].reasoning})
        new = new.model_copy(update={"estimated": [est, *new.estimated[1:]]})
    top = next(i for i, line in enumerate(lines) if line.rstrip() == "profiles:")
    start = next(i for i in range(top, len(lines)) if lines[i].rstrip() == f"  {name}:")
    end = next(
        (i for i in range(start + 1, len(lines)) if re.match(r"^(  \S|\S)", lines[i])), len(lines)
    )
    changed = []
    for i in range(start, end):
        line = lines[i]
        if line.startswith("    efficiency: {") and old.efficiency != new.efficiency:
            keys = re.findall(r"(\w+):", line[len("    efficiency: ") :])
            eff = new.efficiency.model_dump()
            assert set(keys) == set(eff), f"{path.name}:{i + 1}: unexpected keys {keys}"
            lines[i] = "    efficiency: {" + ", ".join(f"{k}: {_g(eff[k])}" for k in keys) + "}\n"
        elif (
            line.startswith("    bandwidth_efficiency:")
            and old.bandwidth_efficiency != new.bandwidth_efficiency
        ):
            lines[i] = f"    bandwidth_efficiency: {_g(new.bandwidth_efficiency)}\n"
        elif (
            line.startswith("    overhead_per_op:")
            and abs(old.overhead_per_op - new.overhead_per_op) > 1e-15
        ):
            q = format_quantity(new.overhead_per_op, Dimension.SECONDS, digits=4)
            lines[i] = f"    overhead_per_op: {q}\n"
        elif (
            line.startswith("    overhead_per_run:")
            and abs(old.overhead_per_run - new.overhead_per_run) > 1e-15
        ):
            q = format_quantity(new.overhead_per_run, Dimension.SECONDS, digits=4)
            lines[i] = f"    overhead_per_run: {q}\n"
        elif (
            line.startswith("        reasoning:")
            and lines[i - 1].strip() == f"- field: profiles.{name}"
            and new.estimated
        ):
            text = new.estimated[0].reasoning.replace("\\", "\\\\").replace('"', '\\"')
            lines[i] = f'        reasoning: "{text}"\n'
        else:
            continue
        changed.append(i + 1)
    has_run = any(lines[i].startswith("    overhead_per_run:") for i in range(start, end))
    if not has_run and abs(old.overhead_per_run - new.overhead_per_run) > 1e-15:
        at = next(i for i in range(start, end) if lines[i].startswith("    overhead_per_op:"))
        q = format_quantity(new.overhead_per_run, Dimension.SECONDS, digits=4)
        lines.insert(at + 1, f"    overhead_per_run: {q}\n")
        changed = [n + (n > at + 1) for n in changed] + [at + 2]
    path.write_text("".join(lines), encoding="utf-8")
    after = load_hardware(path)
    got = after.profiles[name]
    assert got.efficiency == new.efficiency
    assert abs(got.bandwidth_efficiency - new.bandwidth_efficiency) < 1e-12
    assert abs(got.overhead_per_op - new.overhead_per_op) <= 1e-9 * new.overhead_per_op + 1e-15
    assert abs(got.overhead_per_run - new.overhead_per_run) <= 1e-9 * new.overhead_per_run + 1e-15
    for key, prof in after.profiles.items():
        assert key == name or prof == spec.profiles[key], f"{chip}: profile {key} changed"
    return changed


def main(argv: list[str]) -> None:
    """Write the fitted profiles of validation/calibrated/ into the shipped hardware specs."""
    files = sorted((ROOT / "validation" / "calibrated").glob("*.yaml"))
    if argv:
        files = [f for f in files if f.stem in argv]
    for f in files:
        chip, name = f.stem.split("--")
        print(f"{chip} / {name}: lines {apply(chip, name, f)}")
        for board, (source, note) in CARRIED.items():
            if source == chip and name in load_hardware(board).profiles:
                print(f"{board} / {name} (from {chip}): lines {apply(board, name, f, note)}")


if __name__ == "__main__":
    main(sys.argv[1:])
