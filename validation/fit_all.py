"""Fit every software stack jointly on validation/measurements.csv and write its profiles.

Run from the repository root (``sh validation/calibrate_all.sh`` does):

    python validation/fit_all.py

Every fit starts from ``validation/priors/`` (the spec authors' uncalibrated profiles), with
the stacks of ``validation/stacks.yaml``, exactly as ``hwsim validate`` fits them. Writes

* ``validation/calibrated/CHIP--PROFILE.yaml``: each member's profile after its stack's fit
  (the reasoning names the stack, the rows, the fitted parameters and the degrees of
  freedom, and keeps the prior's reasoning);
* ``validation/calibrated/fits.json``: every fit (parameters, rows, dof, exactly determined)
  and every row's in-sample prediction, which a test compares with the shipped profiles.

Then ``python validation/apply_calibration.py`` copies the numbers into hardware_specs/.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from hwsim.hardware.models import Estimate
from hwsim.validation import profile_yaml, read_measurements
from hwsim.validation.compare import Predictor
from hwsim.validation.crossval import _predict
from hwsim.validation.joint import assign, fit_all, read_priors, read_stacks

ROOT = Path(__file__).resolve().parent.parent
VAL = ROOT / "validation"


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
    in_sample = _predict(pred, fits, rows)
    data = {
        "fits": summary,
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


if __name__ == "__main__":
    main(sys.argv[1:])
