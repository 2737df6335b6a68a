"""Write validation/priors/CHIP--PROFILE.yaml: the spec authors' uncalibrated profiles.

Run from the repository root:

    python validation/extract_priors.py

For every chip + profile with rows in validation/measurements.csv, the profile is read from
``hardware_specs/CHIP.yaml`` as of the first of ``REVS`` that has it: 7ee0b92 (the specs
before any calibration) and, for the tensorrt-llm profiles added later, 67a176d (their prior,
before their fit) and, for the chip + profile pairs that first got rows with the joint fit
(issue #14), 7949681 (never calibrated before it). ``validation/calibrate_all.sh`` starts every fit from these files, so a
re-run gives the same profiles whatever state ``hardware_specs/`` is in. A prior whose first
line says "revised prior" was edited by hand with cited physics (its ``sources`` and
``estimated`` say what changed and why) and is left as it is. The priors of row-less chip +
stack pairs that take a stack's shared fit (validation/fit_all.py) are not written here: they
are the profiles as shipped before their first transfer (the commit is in their header).
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from hwsim.hardware import load_hardware
from hwsim.validation import profile_yaml, read_measurements

ROOT = Path(__file__).resolve().parent.parent
REVS = ("7ee0b92", "67a176d", "7949681")


def _spec_at(rev: str, chip: str) -> str | None:
    res = subprocess.run(
        ["git", "show", f"{rev}:hardware_specs/{chip}.yaml"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    return res.stdout if res.returncode == 0 else None


def main(argv: list[str]) -> None:
    """Write each measured (chip, stack)'s uncalibrated profile (from the specs' history) to validation/priors/."""
    rows = read_measurements(ROOT / "validation" / "measurements.csv")
    pairs = sorted({(m.hardware, m.profile or "") for m in rows})
    out = ROOT / "validation" / "priors"
    out.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        for chip, name in pairs:
            if not (ROOT / "hardware_specs" / f"{chip}.yaml").is_file():
                continue  # rows on chips hwsim does not have are skipped by validate
            for rev in REVS:
                text = _spec_at(rev, chip)
                if text is None:
                    continue
                path = Path(tmp) / f"{rev}-{chip}.yaml"
                path.write_text(text, encoding="utf-8")
                spec = load_hardware(path)
                key = name or spec.default_profile
                if key in spec.profiles:
                    dest = out / f"{chip}--{key}.yaml"
                    if dest.is_file() and "revised prior" in dest.read_text().split("\n", 1)[0]:
                        print(f"{dest.relative_to(ROOT)}: revised prior, kept")
                        break
                    header = f"# {chip} / {key} as of commit {rev} (uncalibrated prior)\n"
                    dest.write_text(header + profile_yaml(spec.profiles[key]), encoding="utf-8")
                    print(f"{dest.relative_to(ROOT)}: {rev}")
                    break
            else:
                sys.exit(f"{chip} / {name}: in none of {', '.join(REVS)}")


if __name__ == "__main__":
    main(sys.argv[1:])
