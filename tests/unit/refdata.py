"""Published reference figures the tests check against, shipped with the tests.

``tests/data/reference/`` holds copies of the project's reference tables (see the README
there): every row or field carries its source. A test that cannot find them fails.
"""

from __future__ import annotations

from pathlib import Path

import pytest

REFERENCE_DIR = Path(__file__).resolve().parents[1] / "data" / "reference"


def reference_file(name: str) -> Path:
    """Path of one reference table; the calling test fails when it is missing."""
    path = REFERENCE_DIR / name
    if not path.is_file():
        pytest.fail(f"reference data {path} is missing (it ships in tests/data/reference)")
    return path
