"""Shared helpers for the sweep tests: tiny sweep files on tpu-like."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

pytest.importorskip("pandas")

TINY: dict[str, Any] = {
    "hardware": "tpu-like",
    "dtype": "int8",
    "workloads": ["lenet5"],
    "axes": {
        "memory.dram.bandwidth": ["4 GB/s", "8 GB/s", "16 GB/s"],
        "compute.pe_array.count": [1, 2],
    },
}


@pytest.fixture
def write_sweep(tmp_path: Path) -> Any:
    """write_sweep(data or text, name=...) -> path of a sweep YAML in tmp_path."""

    def write(data: dict[str, Any] | str, name: str = "sweep.yaml") -> Path:
        path = tmp_path / name
        path.write_text(
            data if isinstance(data, str) else yaml.safe_dump(data, sort_keys=False),
            encoding="utf-8",
        )
        return path

    return write


@pytest.fixture
def tiny(write_sweep: Any) -> Path:
    """A 3 x 2 grid of lenet5 on tpu-like."""
    return write_sweep(TINY)  # type: ignore[no-any-return]
