"""Print the error tables of docs/validation.md (Markdown) from the current model and files.

Run from the repository root after ``sh validation/calibrate_all.sh`` and
``python validation/apply_calibration.py``:

    python validation/tables.py > /tmp/tables.md

Blocks: "prior" (every profile as in validation/priors/, the spec authors' factors),
"first calibration" (the profiles of commit ceedb16, fitted before batch-norm folding and
the per-run overhead, run with the current model), "calibrated" (hardware_specs/ now) and
"hold-out" (validation/holdout.csv).
"""

from __future__ import annotations

import math
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from hwsim.hardware import SoftwareProfile, load_hardware, load_profile
from hwsim.validation import ValidationReport, read_measurements, validate

ROOT = Path(__file__).resolve().parent.parent
VAL = ROOT / "validation"
FIRST_CALIBRATION = "ceedb16"


def _num(v: float) -> str:
    if v >= 1e4:
        return f"{v:.0f}"
    return f"{v:.4g}"


def _priors() -> dict[tuple[str, str], SoftwareProfile]:
    out = {}
    for f in sorted((VAL / "priors").glob("*.yaml")):
        chip, name = f.stem.split("--")
        out[(chip, name)] = load_profile(f)
    return out


def _at_rev(rev: str, pairs: set[tuple[str, str]]) -> dict[tuple[str, str], SoftwareProfile]:
    """Profiles as of ``rev`` (pairs missing there fall back to the prior)."""
    out = _priors()
    with tempfile.TemporaryDirectory() as tmp:
        for chip in sorted({c for c, _ in pairs}):
            res = subprocess.run(
                ["git", "show", f"{rev}:hardware_specs/{chip}.yaml"],
                cwd=ROOT,
                capture_output=True,
                text=True,
                check=False,
            )
            if res.returncode:
                continue
            path = Path(tmp) / f"{chip}.yaml"
            path.write_text(res.stdout, encoding="utf-8")
            for name, prof in load_hardware(path).profiles.items():
                if (chip, name) in pairs:
                    out[(chip, name)] = prof
    return out


def _fit_info() -> dict[tuple[str, str], tuple[list[str], str, bool, str]]:
    """(chip, profile) -> (rows fitted, what was fitted, by construction, worst note)."""
    info = {}
    for f in sorted((VAL / "calibrated").glob("*.yaml")):
        chip, name = f.stem.split("--")
        text = load_profile(f).estimated[0].reasoning
        rows = re.findall(r"(?:: |, )([A-Z]\d\d(?:-\d+)?) \(", text.split(". Fitted:")[0])
        fitted = text.split("Fitted: ", 1)[1].split("; kept at the prior", 1)[0]
        worst = re.search(r"still (\d+\.\d+)x off", text)
        info[(chip, name)] = (
            rows,
            fitted,
            "by construction" in text,
            worst.group(1) if worst else "",
        )
    return info


def _stats_rows(label: str, rep: ValidationReport) -> list[str]:
    out = []
    groups = list(rep.by_class().items()) + [("**overall**", rep.overall())]
    for i, (cls, s) in enumerate(groups):
        med = f"{s.median_abs_error:.1%}"
        out.append(
            f"| {f'**{label}**' if i == 0 else ''} | {cls} | {s.n} | "
            + (f"**{med}**" if cls.startswith("**") else med)
            + f" | {s.max_abs_error:.1%} | {s.worst_id} {s.worst_factor:.2f}x | "
            f"{s.within_2x}/{s.n} | {s.geomean_ratio:.3f} |"
        )
    return out


def main() -> None:
    csv = VAL / "measurements.csv"
    rows = read_measurements(csv)
    pairs = {(m.hardware, m.profile or "") for m in rows}
    prior = validate(csv, overrides=_priors())
    first = validate(csv, overrides=_at_rev(FIRST_CALIBRATION, pairs))
    cal = validate(csv)
    hold = validate(VAL / "holdout.csv")
    info = _fit_info()

    print("## Row by row\n")
    print(
        "| id | class | workload | chip / profile | metric | measured | prior pred. | ratio "
        "| first cal. ratio | calibrated pred. | ratio | in the fit? |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for p, f, c in zip(prior.rows, first.rows, cal.rows):
        m = c.measurement
        if not c.ok:
            continue
        wl = Path(m.workload).stem if m.workload.endswith(".yaml") else m.workload
        fit_rows, _, by_constr, _ = info.get((m.hardware, m.profile or ""), ([], "", False, ""))
        if m.id not in fit_rows:
            why = "no (energy is never fitted)" if m.metric == "energy_uj" else "no"
        elif len(fit_rows) == 1:
            why = "alone" + (": by construction" if by_constr else "")
        else:
            others = ", ".join(r for r in fit_rows if r != m.id)
            why = f"with {others}" + (": by construction" if by_constr else "")
        print(
            f"| {m.id} | {c.device_class} | {wl} | {m.hardware} / {m.profile} | {m.metric} | "
            f"{_num(m.value)} | {_num(p.predicted or 0)} | {p.ratio:.3f} | {f.ratio:.3f} | "
            f"{_num(c.predicted or 0)} | {c.ratio:.3f} | {why} |"
        )
    print("\nSkipped:", "; ".join(f"{r.measurement.id} `{r.reason}`" for r in cal.skipped))

    print("\n## Per class\n")
    print("| | class | rows | median \\|error\\| | max \\|error\\| | worst | within 2x | bias |")
    print("|---|---|---|---|---|---|---|---|")
    for label, rep in (
        ("prior", prior),
        (f"first calibration ({FIRST_CALIBRATION}), current model", first),
        ("calibrated (in-sample)", cal),
        ("hold-out", hold),
    ):
        print("\n".join(_stats_rows(label, rep)))
    for label, rep in (("prior", prior), ("calibrated", cal), ("hold-out", hold)):
        s = rep.overall()
        met = s.median_abs_error <= 0.25 and s.worst_factor <= 2.0
        print(f"\ngoal on {label}: {'met' if met else 'not met'}")

    print("\n## Calibration\n")
    print("| chip / profile | rows fitted | fitted (multiplier) | prior -> calibrated | worst |")
    print("|---|---|---|---|---|")
    priors = _priors()
    for (chip, name), (fit_rows, fitted, by_constr, worst) in info.items():
        new = load_hardware(chip).profiles[name]
        old = priors[(chip, name)]
        moved = []
        for k, v in new.efficiency.model_dump().items():
            v0 = getattr(old.efficiency, k)
            if not math.isclose(v, v0, rel_tol=1e-6):
                moved.append(f"{k} {v0:.4g} -> {v:.4g}")
        if not math.isclose(new.bandwidth_efficiency, old.bandwidth_efficiency, rel_tol=1e-6):
            moved.append(f"bw {old.bandwidth_efficiency:.4g} -> {new.bandwidth_efficiency:.4g}")
        if not math.isclose(new.overhead_per_op, old.overhead_per_op, rel_tol=1e-6):
            moved.append(
                f"per op {old.overhead_per_op * 1e6:.4g} -> {new.overhead_per_op * 1e6:.4g} us"
            )
        if not math.isclose(new.overhead_per_run, old.overhead_per_run, rel_tol=1e-6):
            moved.append(
                f"per run {old.overhead_per_run * 1e3:.4g} -> {new.overhead_per_run * 1e3:.4g} ms"
            )
        result = "by construction" if by_constr else (f"still {worst}x" if worst else "")
        print(
            f"| {chip} / {name} | {', '.join(fit_rows)} | {fitted} | {'; '.join(moved)} | "
            f"{result} |"
        )

    print("\n## Hold-out\n")
    print("| id | check | profile file | measured | predicted | ratio | error |")
    print("|---|---|---|---|---|---|---|")
    for r in hold.rows:
        m = r.measurement
        kind = m.notes.split(":", 1)[0]
        print(
            f"| {m.id} | {kind} | {Path(m.profile or '').stem} | {_num(m.value)} | "
            f"{_num(r.predicted or 0)} | {r.ratio:.3f} | {r.error:+.1%} |"
        )


if __name__ == "__main__":
    sys.exit(main())
