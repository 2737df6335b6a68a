"""``hwsim init chip NAME [--like CHIP]``: a commented spec file to start a chip of one's own."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated

import typer

from hwsim.commands.base import app, command_group, escape, fail, out
from hwsim.errors import HwsimError

init_app = command_group("Write a starting file to edit (a chip spec).")
app.add_typer(init_app, name="init")

NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")

TEMPLATE = """\
# {name}: a hypothetical chip written by `hwsim init chip {name}`.
# It runs as it is (`hwsim run mobilenet_v2 -H {file}`); edit the numbers to your chip's.
# Every quantity is a string with its unit (GB/s is 1e9 B/s; KiB/MiB/GiB for capacities).
# The starting numbers are those of the built-in `tpu-like` chip (hwsim's design.md section 3,
# after the public ZigZag `tpu_like` example), plus one vector unit; see
# `hwsim show hardware tpu-like`. `hwsim schema` prints every field with its description.
schema_version: 1
name: {name}
kind: npu                         # mcu | mobile_soc | npu | gpu | cpu | accelerator
description: hypothetical NPU (edit me)
# A made-up chip may leave out `sources:`. A real one cites where each number came from:
#   sources: [{{id: datasheet, title: "...", url: "https://...", fields: [compute.mac_array]}}]
hypothetical: true
compute:
  - name: mac_array
    kind: mac_array               # mac_array | gpu_sm | cpu_core | vector | ...
    count: 1                      # identical instances
    clock: 1 GHz
    array: {{rows: 32, cols: 32}}   # 1024 MACs per cycle; the mapper fills rows x cols
    peak: {{int8: 1.024 TMAC/s}}     # 1024 MACs x 1 GHz; add fp16: ... if it runs fp16
    energy_per_mac: {{int8: 0.04 pJ/MAC}}   # one entry per dtype in `peak`
    description: 32 x 32 int8 MAC array
  - name: vector
    kind: vector
    count: 1
    clock: 1 GHz
    vector_peak: 32 GOPS          # 32 lanes x 1 op per cycle: activations, pooling, adds
    energy_per_vector_op: 0.03 pJ/op   # an 8-bit add at 45 nm (Horowitz, ISSCC 2014)
    description: element-wise unit
memory:                           # nearest first: on-chip levels, then off-chip
  - name: sram
    kind: sram                    # register | sram | cache | dram | hbm | flash
    capacity: 2 MiB
    bandwidth: 256 GB/s           # 256 B per cycle at 1 GHz
    energy: 1.63 pJ/B             # read; `write_energy:` if writes differ
    write_energy: 1.48 pJ/B
    serves: [activations]         # what the compute units read from this level
    holds: [activations]          # what may live here (the memory-fit check)
    description: on-chip buffer for activations
  - name: dram
    kind: dram
    capacity: 4 GiB
    bandwidth: 8 GB/s             # 8 B per cycle at 1 GHz
    energy: 87.5 pJ/B
    write_energy: 93.75 pJ/B
    latency: 100 ns               # per-access floor
    serves: [weights, activations]
    holds: [weights, activations]
    description: off-chip DRAM
power:
  static: 0 W                     # leakage and always-on power, charged for the run's time
# Without `profiles:` the chip gets one profile, `default`: a well-tuned vendor stack (80% of
# peak on GEMMs, 70% on convolutions, 85% of bandwidth; `hwsim schema profile` lists them).
# profiles:
#   vendor:
#     name: vendor
#     efficiency: {{gemm: 0.8, conv: 0.7, depthwise: 0.3, elementwise: 0.5}}
#     overhead_per_op: 2 us
"""


def _like(name: str, like: str) -> str:
    """The spec text of ``like`` (comments kept) renamed to ``name``."""
    from hwsim.errors import SpecError
    from hwsim.hardware.loader import resolve_hardware_path
    from hwsim.textio import read_text

    path = resolve_hardware_path(like)
    text = read_text(path, SpecError, what="hardware spec")
    renamed, n = re.subn(r"(?m)^name:.*$", f"name: {name}", text, count=1)
    if not n:
        raise fail(f"{like}: no top-level 'name:' line to rename")
    head = (
        f"# {name}: written by `hwsim init chip {name} --like {like}` from {path.name}.\n"
        "# Its numbers and sources are those of the original: change what differs and cite it.\n"
    )
    return head + renamed


@init_app.command("chip")
def init_chip(
    name: Annotated[str, typer.Argument(help="the new chip's name (also the file name)")],
    like: Annotated[
        str | None,
        typer.Option(help="start from this built-in chip or spec file (keeps its comments)"),
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="file to write (default: NAME.yaml)")
    ] = None,
    force: Annotated[bool, typer.Option(help="overwrite an existing file")] = False,
) -> None:
    """Write a commented chip spec NAME.yaml that runs as it is; then edit its numbers."""
    from hwsim.hardware import load_hardware
    from hwsim.textio import write_atomic

    if not NAME_RE.fullmatch(name):
        raise fail(
            f"chip name {name!r}: use letters, digits, '.', '_' or '-' (up to 64), "
            "starting with a letter or digit"
        )
    target = output or Path(f"{name}.yaml")
    if target.exists() and not force:
        raise fail(f"{target} exists; pass --force to overwrite it or -o to write elsewhere")
    try:
        text = _like(name, like) if like else TEMPLATE.format(name=name, file=target)
    except HwsimError as exc:
        raise fail(exc) from None
    try:
        write_atomic(target, text)
    except OSError as exc:
        raise fail(f"cannot write {target}: {exc.strerror or exc}") from None
    try:
        load_hardware(target)  # what we write must load
    except HwsimError as exc:  # pragma: no cover - the template is tested
        raise fail(f"{target} was written but does not load: {exc}") from None
    out.print(f"wrote {escape(str(target))}", soft_wrap=True)
    out.print(f"try: hwsim run mobilenet_v2 -H {escape(str(target))}", soft_wrap=True)
