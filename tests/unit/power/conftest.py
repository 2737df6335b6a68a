"""A clocked toy chip with two operating points, for hand-derived power checks."""

from __future__ import annotations

from pathlib import Path

import pytest
from toychips import TOY, write_chip

# toy.yaml at 1 GHz / 1.0 V with a 500 MHz / 0.8 V point; 10 pJ per fp16 MAC so that the
# arithmetic dominates an op's power.
DVFS = (
    TOY.replace("name: toy\n", "name: dvfs\n")
    .replace("    kind: mac_array\n", "    kind: mac_array\n    clock: 1 GHz\n")
    .replace("    kind: vector\n", "    kind: vector\n    clock: 1 GHz\n")
    .replace("fp16: 1 pJ/MAC", "fp16: 10 pJ/MAC")
    .replace(
        "power:\n  static: 2 W\n",
        "power:\n  static: 2 W\n  voltage: 1.0 V\n  operating_points:\n"
        "    - {name: half, clock: 500 MHz, voltage: 0.8 V}\n",
    )
)


@pytest.fixture()
def dvfs_path(tmp_path: Path) -> Path:
    return write_chip(tmp_path, DVFS, "dvfs.yaml")
