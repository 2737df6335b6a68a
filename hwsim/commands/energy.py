"""``hwsim energy WORKLOAD -H CHIP --kind dvfs|energy-chips|j-per-token``: run a set, draw it.

The runs behind each figure in one command (``hwsim plot --kind ...`` draws the same figures
from saved result files): every operating point of a chip, one run per chip, or one run per
batch size.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from hwsim.commands.base import (
    DtypeOpt,
    GenLenOpt,
    ProfileOpt,
    PromptLenOpt,
    app,
    fail,
    out,
)
from hwsim.errors import HwsimError

KINDS = ("dvfs", "energy-chips", "j-per-token")


def _ints(text: str, flag: str) -> list[int]:
    try:
        vals = [int(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise fail(f"{flag} expects integers separated by commas, got {text!r}") from None
    if not vals or min(vals) < 1:
        raise fail(f"{flag} expects positive integers, got {text!r}")
    return vals


@app.command("energy")
def energy_command(
    workload: Annotated[str, typer.Argument(help="built-in workload name or model file")],
    hardware: Annotated[
        list[str],
        typer.Option("--hardware", "-H", help="chip (repeat for energy-chips)"),
    ],
    kind: Annotated[
        str, typer.Option("--kind", "-k", help="dvfs, energy-chips or j-per-token")
    ] = "dvfs",
    dtype: DtypeOpt = None,
    profile: ProfileOpt = None,
    batch: Annotated[int | None, typer.Option(help="batch size (dvfs, energy-chips)")] = None,
    batches: Annotated[
        str, typer.Option(help="batch sizes for j-per-token, e.g. 1,2,4,8")
    ] = "1,2,4,8,16,32,64",
    clocks: Annotated[
        str | None,
        typer.Option(help="clocks for dvfs, e.g. '70MHz,140MHz,280MHz' (default: every point)"),
    ] = None,
    prompt_len: PromptLenOpt = None,
    gen_len: GenLenOpt = None,
    power_cap: Annotated[
        float | None, typer.Option(help="power cap in W (default: the chip's power.cap)")
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="image to write (default KIND.png)")
    ] = None,
    json_out: Annotated[
        Path | None, typer.Option("--json", help="also write the runs as a JSON list")
    ] = None,
) -> None:
    """Simulate the runs behind an energy figure and draw it (DVFS curve, chips, J/token)."""
    from hwsim import energy, report

    if kind not in KINDS:
        raise fail(f"unknown energy plot kind {kind!r}; choose {', '.join(KINDS)}")
    if kind != "energy-chips" and len(hardware) > 1:
        raise fail(f"--kind {kind} takes one --hardware; energy-chips compares several")
    common: dict[str, object] = {"dtype": dtype, "profile": profile}
    for key, val in (("prompt_len", prompt_len), ("gen_len", gen_len), ("power_cap", power_cap)):
        if val is not None:
            common[key] = val
    try:
        if kind == "dvfs":
            cl = [c.strip() for c in clocks.split(",") if c.strip()] if clocks else None
            runs = energy.dvfs_curve(workload, hardware[0], clocks=cl, batch=batch, **common)
        elif kind == "energy-chips":
            runs = energy.chips_compare(workload, hardware, batch=batch, **common)
        else:
            runs = energy.batch_curve(
                workload, hardware[0], batches=_ints(batches, "--batches"), **common
            )
        fig = report.plot(kind, runs)
    except HwsimError as exc:
        raise fail(exc) from None
    target = output or Path(f"{kind}.png")
    try:
        report.save_figure(fig, target)
        if json_out is not None:
            json_out.write_text(
                json.dumps([r.to_dict() for r in runs], indent=1, allow_nan=False) + "\n",
                encoding="utf-8",
            )
    except (OSError, ValueError) as exc:
        raise fail(f"cannot write {target}: {exc}") from None
    out.print(str(target), soft_wrap=True)
