"""Fit every software stack jointly on validation/measurements.csv and write its profiles.

Run from the repository root (``sh validation/calibrate_all.sh`` does):

    python validation/fit_all.py

Every fit starts from ``validation/priors/`` (the spec authors' uncalibrated profiles), with
the stacks of ``validation/stacks.yaml``, exactly as ``hwsim validate`` fits them. Writes

* ``validation/calibrated/CHIP--PROFILE.yaml``: each member's profile after its stack's fit
  (the reasoning names the stack, the rows, the fitted parameters and the degrees of
  freedom, and keeps the prior's reasoning);
* ``validation/calibrated/CHIP--PROFILE.yaml`` also for a built-in chip that ships a fitted
  stack's profile but has no rows: its prior (``validation/priors/``) with the stack's shared
  parameters, when a member on the same core (``cores`` in stacks.yaml) carries them alone
  (:func:`transfers`); the reasoning says "shared fit of STACK over CHIPS; no rows on this
  chip";
* ``validation/calibrated/fits.json``: every fit (parameters, rows, dof, exactly determined),
  which row-less chip + profile took which fit (``transferred``) and which kept its prior and
  why (``kept_prior``), and every row's in-sample prediction, which a test compares with the
  shipped profiles.

Then ``python validation/apply_calibration.py`` copies the numbers into hardware_specs/.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

from apply_calibration import CARRIED

from hwsim.hardware import load_hardware
from hwsim.hardware.models import Estimate, SoftwareProfile
from hwsim.hardware.operating import CYCLE_OVERHEAD_KINDS
from hwsim.textio import read_yaml
from hwsim.validation import profile_yaml, read_measurements
from hwsim.validation.compare import Predictor
from hwsim.validation.crossval import _predict
from hwsim.validation.fitting import apply_parameters
from hwsim.validation.joint import (
    StackError,
    StackFit,
    assign,
    fit_all,
    read_priors,
    read_stacks,
)

ROOT = Path(__file__).resolve().parent.parent
VAL = ROOT / "validation"


def shared_profile(
    fit: StackFit, prior: SoftwareProfile, clock_hz: float | None
) -> SoftwareProfile:
    """``prior`` with ``fit``'s shared parameters (no ``@CHIP`` term), as a member applies them.

    ``clock_hz``: the chip's nominal clock when its per-run cost is core cycles (MCU, CPU):
    the shared ``overhead_per_run`` is then the same cycles, stated at ``fit.run_clock_hz``.
    """
    x = {n: v for n, v in zip(fit.names, fit.x) if "@" not in n}
    if "overhead_per_run" in x:
        x["overhead_per_run"] = math.expm1(x["overhead_per_run"])
    ref = fit.run_clock_hz
    unit = fit.run_unit_s * (ref / clock_hz if ref and clock_hz else 1.0)
    return apply_parameters(prior, x, run_unit_s=unit)


def transfers(
    fits: dict[str, StackFit], stack_of: dict[tuple[str, str], str], cores: dict[str, str]
) -> tuple[dict[tuple[str, str], tuple[str, list[str]]], dict[tuple[str, str], str]]:
    """Which built-in row-less chip + profile takes which stack's shared fit, and which not.

    Returns (CHIP, PROFILE) -> (stack, same-core members that carry the shared level alone),
    and (CHIP, PROFILE) -> why it keeps its prior.
    """
    take: dict[tuple[str, str], tuple[str, list[str]]] = {}
    keep: dict[tuple[str, str], str] = {}
    for path in sorted((ROOT / "hardware_specs").glob("*.yaml")):
        spec = load_hardware(path)
        if spec.name in CARRIED:
            continue  # apply_calibration.py copies its source chip's profiles
        for name in spec.profiles:
            key = (spec.name, name)
            stack = stack_of.get(key, name)
            fit = fits.get(stack)
            if fit is None or key in fit.members:
                continue
            core = cores.get(spec.name)
            if core is None:
                sys.exit(f"validation/stacks.yaml: cores: no core for {spec.name} ({stack})")
            own = {n.partition("@")[2] for n in fit.names if "@" in n}
            same = [c for c, _ in fit.members if cores.get(c) == core]
            donors = [c for c in same if c not in own]
            if donors:
                take[key] = (stack, donors)
            elif same:
                keep[key] = (
                    f"its core's ({core}) members have their own scale ({', '.join(same)}): "
                    "the shared level is another core's"
                )
            else:
                cores_in = sorted({cores.get(c, "?") for c, _ in fit.members})
                keep[key] = f"no member on its core ({core}; the fit's: {', '.join(cores_in)})"
    return take, keep


def main(argv: list[str]) -> None:
    """Fit every stack jointly over its chips and write validation/calibrated/."""
    del argv
    rows = read_measurements(VAL / "measurements.csv")
    pred = Predictor()
    a = assign(rows, pred, read_priors(VAL / "priors"), read_stacks(VAL / "stacks.yaml"))
    fits = fit_all(a)
    out = VAL / "calibrated"
    out.mkdir(exist_ok=True)
    for old in out.glob("*.yaml"):
        old.unlink()
    summary = []
    for fit in fits.values():
        ids = ", ".join(fit.rows) or "none"
        dof = (
            "exactly determined (as many parameters as rows: reproduced by construction)"
            if (fit.exactly_determined)
            else f"{fit.dof} degree(s) of freedom"
        )
        for key, prof in fit.profiles.items():
            prior = a.problems[fit.stack].priors[key]
            prior_text = " ".join(e.reasoning.split(" Prior: ", 1)[-1] for e in prior.estimated)
            text = (
                f"Joint fit of stack {fit.stack} ({', '.join(f'{c}/{p}' for c, p in fit.members)}) "
                f"on validation/measurements.csv rows {ids} (validation/fit_all.py, least squares "
                f"on ln(pred/meas) from validation/priors/): {fit.label()}; {dof}."
                + (f" Prior: {prior_text}" if prior_text else "")
            )
            p = prof.model_copy(
                update={"estimated": [Estimate(field=f"profiles.{key[1]}", reasoning=text)]}
            )
            (out / f"{key[0]}--{key[1]}.yaml").write_text(profile_yaml(p), encoding="utf-8")
        summary.append(fit.to_dict())
    stacks = read_stacks(VAL / "stacks.yaml")
    stack_of = {k: s.name for s in stacks.values() for k in s.members}
    cores = {
        str(k): str(v)
        for k, v in read_yaml(VAL / "stacks.yaml", StackError).get("cores", {}).items()
    }
    take, keep = transfers(fits, stack_of, cores)
    transferred = []
    for (chip, name), (stack, donors) in sorted(take.items()):
        fit = fits[stack]
        prior_path = VAL / "priors" / f"{chip}--{name}.yaml"
        if not prior_path.is_file():
            sys.exit(f"{chip} / {name}: takes the {stack} fit but has no prior {prior_path}")
        prior = read_priors(VAL / "priors")[(chip, name)]
        spec = load_hardware(chip)
        clock = spec.nominal_clock if spec.kind in CYCLE_OVERHEAD_KINDS else None
        prof = shared_profile(fit, prior, clock)
        parts = []
        for n, v in fit.multipliers().items():
            if "@" in n:
                continue
            if n != "overhead_per_run":
                parts.append(f"{n} x{v:.4g}")
            elif clock and fit.run_clock_hz:
                parts.append(
                    f"{n} +{v * 1e3:.4g} ms at {fit.run_clock_hz / 1e6:g} MHz "
                    f"(the same {v * fit.run_clock_hz:,.0f} core cycles here)"
                )
            else:
                parts.append(f"{n} +{v * 1e3:.4g} ms")
        shared = ", ".join(parts)
        members = ", ".join(f"{c}/{p}" for c, p in fit.members)
        prior_text = " ".join(e.reasoning for e in prior.estimated)
        text = (
            f"Shared fit of {stack} over {members}; no rows on this chip "
            f"(validation/fit_all.py: its core, {cores[chip]}, is that of {', '.join(donors)}, "
            f"fitted with no chip-specific term; stacks.yaml cores): {shared}; "
            f"rows {', '.join(fit.rows)}. Prior: {prior_text}"
        )
        prof = prof.model_copy(
            update={"estimated": [Estimate(field=f"profiles.{name}", reasoning=text)]}
        )
        (out / f"{chip}--{name}.yaml").write_text(profile_yaml(prof), encoding="utf-8")
        transferred.append({"pair": f"{chip}/{name}", "stack": stack, "from": donors})
    in_sample = _predict(pred, fits, rows)
    data = {
        "fits": summary,
        "transferred": transferred,
        "kept_prior": [{"pair": f"{c}/{p}", "reason": r} for (c, p), r in sorted(keep.items())],
        "in_sample": {
            rid: r.predicted for rid, r in in_sample.items() if r.ok and r.predicted is not None
        },
    }
    (out / "fits.json").write_text(
        json.dumps(data, indent=1, sort_keys=True) + "\n", encoding="utf-8"
    )
    for f in summary:
        det = "exactly determined" if f["exactly_determined"] else f"dof {f['dof']}"
        print(f"{f['stack']}: {len(f['rows'])} rows, {det}: {f['parameters']}")
    for t in transferred:
        print(f"{t['pair']}: shared fit of {t['stack']} (same core as {', '.join(t['from'])})")
    for (c, p), r in sorted(keep.items()):
        print(f"{c}/{p}: prior kept ({r})")


if __name__ == "__main__":
    main(sys.argv[1:])
