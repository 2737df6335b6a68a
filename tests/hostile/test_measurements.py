"""Hostile measurement CSVs for ``hwsim validate``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from .conftest import (
    Directory,
    Fifo,
    FileSpec,
    Link,
    Sparse,
    assert_clean_error,
    assert_clean_ok,
    make_files,
)

HEAD = "id,workload,hardware,profile,dtype,batch,prompt_len,gen_len,metric,value,params\n"
GOOD = "r1,lenet5,tpu-like,,int8,1,,,latency_ms,1.0,\n"


def row(**cells: str) -> str:
    base = {
        "id": "r1",
        "workload": "lenet5",
        "hardware": "tpu-like",
        "profile": "",
        "dtype": "int8",
        "batch": "1",
        "prompt_len": "",
        "gen_len": "",
        "metric": "latency_ms",
        "value": "1.0",
        "params": "",
    }
    base.update(cells)
    return HEAD + ",".join(base.values()) + "\n"


CASES: list[tuple[str, FileSpec, tuple[str, ...]]] = [
    ("params-garbage", row(params="==="), ("params",)),
    ("params-twice", row(params="width=1;width=2"), ("twice",)),
    ("value-nan", row(value="nan"), ("value",)),
    ("value-inf", row(value="inf"), ("value",)),
    ("value-negative", row(value="-1"), ("value",)),
    ("value-zero", row(value="0"), ("value",)),
    ("value-text", row(value="fast"), ("value",)),
    ("value-huge-text", row(value="9" * 100_000), ("value",)),
    ("batch-zero", row(batch="0"), ("batch",)),
    ("metric-unknown", row(metric="vibes"), ("vibes",)),
    ("id-repeated", HEAD + GOOD + GOOD, ("r1",)),
    ("id-empty", row(id=""), ("id",)),
    ("missing-columns", "id,workload\nr1,lenet5\n", ("column",)),
    (
        "header-only",
        HEAD,
        ("r1", "no"),
    ),
    ("empty-file", "", ("empty",)),
    ("binary", bytes(range(256)) * 3, ("UTF-8",)),
    (
        "huge-field",
        HEAD + "r1,lenet5,tpu-like,,int8,1,,,latency_ms," + "1" * 200_000 + ",\n",
        ("m.csv",),
    ),
    ("fifo", Fifo(), ("not a regular file",)),
    ("dev-zero", Link("/dev/zero"), ("not a regular file",)),
    ("directory", Directory(), ("directory",)),
    ("huge-sparse", Sparse(300 << 20), ("too large",)),
]


@pytest.mark.parametrize(("content", "needles"), [pytest.param(c, n, id=i) for i, c, n in CASES])
def test_bad_measurements(
    cli: Any, tmp_path: Path, content: FileSpec, needles: tuple[str, ...]
) -> None:
    make_files(tmp_path, {"m.csv": content})
    line = assert_clean_error(cli(["validate", str(tmp_path / "m.csv")]))
    low = line.lower()
    assert any(n.lower() in low for n in needles), (needles, line)


def test_bom_measurements_are_accepted(cli: Any, tmp_path: Path) -> None:
    (tmp_path / "m.csv").write_bytes(b"\xef\xbb\xbf" + (HEAD + GOOD).encode())
    assert_clean_ok(cli(["validate", str(tmp_path / "m.csv")]))


SKIPPED: list[tuple[str, str, str]] = [
    ("params-name-or-path", row(params="name_or_path=foo"), "name_or_path"),
    ("params-huge-resolution", row(params="resolution=1e30"), "larger than"),
    ("params-nan", row(params="width=nan"), "width"),
    ("batch-1e30", row(batch="1e30"), "larger than"),
    ("batch-huge", row(batch="1" + "0" * 30), "larger than"),
    ("hardware-unknown", row(hardware="quantum"), "quantum"),
    ("workload-unknown", row(workload="skynet"), "skynet"),
    ("dtype-unknown", row(dtype="int3"), "int3"),
]


@pytest.mark.parametrize(("content", "needle"), [pytest.param(c, n, id=i) for i, c, n in SKIPPED])
def test_a_row_that_cannot_run_is_skipped_with_its_reason(
    cli: Any, tmp_path: Path, content: str, needle: str
) -> None:
    """A row whose workload or chip cannot be simulated is listed as skipped (exit 0)."""
    make_files(tmp_path, {"m.csv": content})
    out = cli(["validate", str(tmp_path / "m.csv")])
    assert_clean_ok(out)
    text = " ".join(out.stdout.replace("│", " ").split())
    assert "skipped rows" in text and needle in text, text[-2000:]
