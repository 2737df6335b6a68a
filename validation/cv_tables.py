"""Print the cross-validation tables of docs/validation.md (Markdown) from a validate JSON.

Run from the repository root:

    hwsim validate validation/measurements.csv --folds 5 --json /tmp/cv.json
    python validation/cv_tables.py /tmp/cv.json > /tmp/cv_tables.md

Blocks: the per-class summary of every scheme (median |error|, share within 1.25x and 2x,
bias = geometric mean of predicted/measured), the joint fits (parameters, rows, degrees of
freedom) and every row's ratio under each scheme.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

SHORT = {
    "in_sample": "in-sample",
    "leave_one_out": "leave-one-out",
    "leave_one_chip_out": "leave-one-chip-out",
    "k_fold": "k-fold",
}


def _pct(v: float | None) -> str:
    return "-" if v is None else f"{v:.1%}"


def summary(d: dict[str, Any]) -> str:
    """Markdown table: each scheme's median |error|, shares within 1.25x/2x and bias, by class."""
    out = [
        "| scheme | class | rows | median \\|error\\| | within 1.25x | within 2x | bias | worst |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for k, rep in d["schemes"].items():
        name = SHORT[k] if k != "k_fold" else f"{d['folds']}-fold"
        groups = [*rep["summary"]["by_class"].items(), ("overall", rep["summary"]["overall"])]
        for i, (cls, st) in enumerate(groups):
            n = st["n"]
            bold = "**" if cls == "overall" else ""
            label = f"{bold}{name}{bold}" if i == 0 or cls == "overall" else ""
            out.append(
                f"| {label} | {bold}{cls}{bold} | {n} | {bold}{_pct(st['median_abs_error'])}{bold} "
                f"| {st['within_1_25x'] / n:.0%} | {st['within_2x'] / n:.0%} "
                f"| {st['geomean_ratio']:.3f} | {st['worst_id']} {st['worst_factor']:.2f}x |"
            )
    return "\n".join(out)


def _param(n: str, v: float, run_clock_hz: float | None) -> str:
    if n != "overhead_per_run":
        return f"{n} x{v:.3g}"
    if run_clock_hz:  # core cycles on MCU/CPU members: stated at the fastest member's clock
        return (
            f"{n} +{v * 1e3:.3g} ms at {run_clock_hz / 1e6:g} MHz ({v * run_clock_hz:,.0f} cycles)"
        )
    return f"{n} +{v * 1e3:.3g} ms"


def fits(d: dict[str, Any]) -> str:
    """Markdown table: each stack's chips, rows, fitted parameters and degrees of freedom."""
    out = ["| stack | chips | rows | fitted parameters | dof |", "|---|---|---|---|---|"]
    for f in d["fits"]:
        chips = ", ".join(sorted({m.split("/")[0] for m in f["members"]}))
        params = (
            ", ".join(
                _param(n, v, f.get("run_clock_hz")) + (" (bound)" if n in f["at_bound"] else "")
                for n, v in f["parameters"].items()
            )
            or "none (prior kept)"
        )
        dof = "**exactly determined**" if f["exactly_determined"] else str(f["dof"])
        out.append(f"| {f['stack']} | {chips} | {len(f['rows'])} | {params} | {dof} |")
    return "\n".join(out)


def rows(d: dict[str, Any]) -> str:
    """Markdown table: every row's predicted/measured ratio under each scheme."""
    schemes = list(d["schemes"])
    head = (
        "| id | class | workload | chip / profile | metric | measured | "
        + " | ".join(SHORT.get(k, k) if k != "k_fold" else f"{d['folds']}-fold" for k in schemes)
        + " |"
    )
    out = [head, "|" + "---|" * (6 + len(schemes))]
    per = {k: {r["id"]: r for r in d["schemes"][k]["rows"]} for k in schemes}
    for r in d["schemes"]["in_sample"]["rows"]:
        cells = [f"{per[k][r['id']]['ratio']:.3f}" if r["id"] in per[k] else "-" for k in schemes]
        out.append(
            f"| {r['id']} | {r['class']} | {r['workload'].split('/')[-1]} | {r['hardware']} / "
            f"{r['profile']} | {r['metric']} | {r['measured']:.4g} | " + " | ".join(cells) + " |"
        )
    return "\n".join(out)


START = "<!-- cv-tables:start (python validation/cv_tables.py JSON --splice docs/validation.md) -->"
END = "<!-- cv-tables:end -->"


def render(d: dict[str, Any]) -> str:
    """Every block as one Markdown text."""
    return (
        "### Summary per scheme and class\n\n"
        + summary(d)
        + "\n\n### Joint fits\n\n"
        + fits(d)
        + "\n\n### Row by row (ratio = predicted / measured)\n\n"
        + rows(d)
        + "\n"
    )


def main(argv: list[str]) -> None:
    """Print the tables for a `hwsim validate --json` file, or splice them into a Markdown file."""
    d = json.loads(Path(argv[0]).read_text(encoding="utf-8"))
    text = render(d)
    if len(argv) == 3 and argv[1] == "--splice":
        doc = Path(argv[2]).read_text(encoding="utf-8")
        a, b = doc.index(START) + len(START), doc.index(END)
        with open(argv[2], "w", encoding="utf-8") as f:
            f.write(doc[:a] + "\n" + text + doc[b:])
    else:
        print(text)


if __name__ == "__main__":
    main(sys.argv[1:])
