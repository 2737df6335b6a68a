"""Fixtures: the toy chips of tests/unit/toychips.py as spec files."""

from __future__ import annotations

from pathlib import Path

import pytest
from toychips import DUO, write_chip


@pytest.fixture()
def toy_path(tmp_path: Path) -> Path:
    return write_chip(tmp_path)


@pytest.fixture()
def two_unit_path(tmp_path: Path) -> Path:
    return write_chip(tmp_path, DUO, "duo.yaml")
