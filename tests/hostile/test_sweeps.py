"""Hostile sweep files and sweep output folders."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from .cases import deep_yaml, laughs
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

pytest.importorskip("pandas")

BASE: dict[str, Any] = {
    "hardware": "tpu-like",
    "dtype": "int8",
    "workloads": ["lenet5"],
    "axes": {"memory.dram.bandwidth": ["4 GB/s", "8 GB/s"]},
}


def sweep_text(**changes: Any) -> str:
    data = {**BASE, **changes}
    return yaml.safe_dump({k: v for k, v in data.items() if v is not ...}, sort_keys=False)


def _constraint(text: str) -> str:
    return sweep_text(constraints=[text])


SIX_AXES = {
    "memory.dram.bandwidth": [f"{i} GB/s" for i in range(1, 101)],
    "memory.sram.bandwidth": [f"{i} GB/s" for i in range(1, 101)],
    "memory.sram.capacity": [f"{i} MiB" for i in range(1, 101)],
    "memory.dram.energy": [f"{i} pJ/B" for i in range(1, 101)],
    "memory.sram.energy": [f"{i / 10} pJ/B" for i in range(1, 101)],
    "compute.pe_array.count": list(range(1, 101)),
}

SWEEP_CASES: list[tuple[str, FileSpec, tuple[str, ...]]] = [
    (
        "parens-400",
        _constraint("(" * 400 + "memory.dram.bandwidth" + ")" * 400 + " > 1 GB/s"),
        ("constraint",),
    ),
    (
        "parens-40",
        _constraint("(" * 40 + "memory.dram.bandwidth" + ")" * 40 + " > 1 GB/s"),
        ("nested more than",),
    ),
    (
        "unary-minus-2000",
        _constraint("- " * 2000 + "memory.dram.bandwidth < 1 GB/s"),
        ("constraint",),
    ),
    (
        "unary-minus-40",
        _constraint("- " * 40 + "memory.dram.bandwidth < 1 GB/s"),
        ("nested more than",),
    ),
    ("sum-chain-500", _constraint(" + ".join(["1"] * 150) + " > 1"), ("terms",)),
    ("constraint-no-compare", _constraint("memory.dram.bandwidth"), ("comparison",)),
    ("constraint-unknown-path", _constraint("memory.hbm.bandwidth > 1 GB/s"), ("hbm",)),
    ("constraint-mixed-units", _constraint("memory.dram.bandwidth > 1 MiB"), ("constraint",)),
    ("constraint-garbage", _constraint("import os; os.system('x')"), ("constraint",)),
    ("constraint-not-text", sweep_text(constraints=[[1, 2]]), ("constraint",)),
    ("constraint-huge", _constraint("x" * 100_000), ("longer than",)),
    ("grid-6x100", sweep_text(axes=SIX_AXES), ("more than the limit", "sample")),
    ("sample-huge", sweep_text(sample=10**9), ("limit",)),
    ("sample-zero", sweep_text(sample=0), ("sample",)),
    ("seed-negative", sweep_text(seed=-1, sample=1), ("seed",)),
    (
        "axis-count-1e9",
        sweep_text(
            axes={"memory.dram.bandwidth": {"start": "1 GB/s", "stop": "2 GB/s", "count": 10**9}}
        ),
        ("count",),
    ),
    ("axis-unknown-path", sweep_text(axes={"memory.hbm.bandwidth": ["1 GB/s"]}), ("hbm",)),
    ("axis-bad-value", sweep_text(axes={"memory.dram.bandwidth": ["8 mB/s"]}), ("did you mean",)),
    ("axis-1e-300", sweep_text(axes={"memory.dram.bandwidth": ["1e-300 B/s"]}), ("sane range",)),
    ("axes-not-mapping", sweep_text(axes=["memory.dram.bandwidth"]), ("axes",)),
    ("description-laughs", laughs(prefix=sweep_text()), ("through aliases",)),
    ("description-list", sweep_text(description=["a", "b"]), ("description",)),
    (
        "workload-name-or-path",
        sweep_text(workloads=[{"name": "lenet5", "name_or_path": "x"}]),
        ("name_or_path",),
    ),
    (
        "workload-param-laughs",
        laughs(prefix=sweep_text(workloads=...), key="x")
        + "workloads:\n  - name: lenet5\n    width: *l8\n",
        ("through aliases",),
    ),
    ("workload-unknown", sweep_text(workloads=["skynet"]), ("skynet",)),
    ("workload-empty", sweep_text(workloads=[]), ("workloads",)),
    (
        "workload-bad-param",
        sweep_text(workloads=[{"name": "lenet5", "resolution": 1e30}]),
        ("lenet5",),
    ),
    ("hardware-missing", sweep_text(hardware=...), ("hardware",)),
    ("hardware-unknown", sweep_text(hardware="quantum-chip"), ("quantum-chip",)),
    ("unknown-key", sweep_text(colour="blue"), ("colour",)),
    ("nested-deep", deep_yaml(10_000, "axes"), ("invalid YAML",)),
    ("duplicate-key", sweep_text() + "dtype: fp16\n", ("duplicate key",)),
    ("fifo", Fifo(), ("not a regular file",)),
    ("directory", Directory(), ("directory",)),
    ("dev-zero", Link("/dev/zero"), ("not a regular file",)),
    ("huge-sparse", Sparse(64 << 20), ("too large",)),
]


@pytest.mark.parametrize(
    ("content", "needles"), [pytest.param(c, n, id=i) for i, c, n in SWEEP_CASES]
)
def test_bad_sweep_file(
    cli: Any, tmp_path: Path, content: FileSpec, needles: tuple[str, ...]
) -> None:
    make_files(tmp_path, {"sweep.yaml": content})
    assert_clean_error(
        cli(["sweep", str(tmp_path / "sweep.yaml"), "--jobs", "1", "--no-progress"]), *needles
    )


def _finished(cli: Any, tmp_path: Path) -> Path:
    make_files(tmp_path, {"sweep.yaml": sweep_text()})
    out = tmp_path / "out"
    assert_clean_ok(
        cli(
            [
                "sweep",
                str(tmp_path / "sweep.yaml"),
                "--out",
                str(out),
                "--jobs",
                "1",
                "--no-progress",
            ]
        )
    )
    return out


@pytest.mark.parametrize(
    "garbage",
    [
        "null",
        "[]",
        '{"key": 5, "row": {}}',
        '{"key": "k", "row": null}',
        "\x00\x01\x02",
        '{"key": "k"',
    ],
)
def test_resume_with_garbage_rows_recomputes_and_tells(
    cli: Any, tmp_path: Path, garbage: str
) -> None:
    out = _finished(cli, tmp_path)
    pts = out / "points.jsonl"
    lines = pts.read_text(encoding="utf-8").splitlines()
    rec = json.loads(lines[0])
    rec["row"]["latency_s"] = float("inf") if garbage == "null" else -1.0
    pts.write_text(
        json.dumps(rec) + "\n" + garbage + "\n" + "\n".join(lines[1:]) + "\n", encoding="utf-8"
    )
    res = cli(
        ["sweep", str(tmp_path / "sweep.yaml"), "--out", str(out), "--jobs", "1", "--no-progress"]
    )
    assert_clean_ok(res)
    assert "recomputed" in res.stderr and "1 computed" in res.stdout


def test_points_file_that_is_a_fifo(cli: Any, tmp_path: Path) -> None:
    make_files(tmp_path, {"sweep.yaml": sweep_text(), "out/points.jsonl": Fifo()})
    res = cli(
        [
            "sweep",
            str(tmp_path / "sweep.yaml"),
            "--out",
            str(tmp_path / "out"),
            "--jobs",
            "1",
            "--no-progress",
        ]
    )
    assert_clean_error(res, "not a regular file")


def test_results_csv_symlink_is_replaced(cli: Any, tmp_path: Path) -> None:
    make_files(
        tmp_path,
        {"sweep.yaml": sweep_text(), "victim.txt": "keep", "out/results.csv": Link("victim.txt")},
    )
    res = cli(
        [
            "sweep",
            str(tmp_path / "sweep.yaml"),
            "--out",
            str(tmp_path / "out"),
            "--jobs",
            "1",
            "--no-progress",
        ]
    )
    assert_clean_ok(res)
    assert (tmp_path / "victim.txt").read_text(encoding="utf-8") == "keep"
    assert not (tmp_path / "out" / "results.csv").is_symlink()


def test_out_is_a_file(cli: Any, tmp_path: Path) -> None:
    make_files(tmp_path, {"sweep.yaml": sweep_text(), "out": "I am a file"})
    res = cli(
        [
            "sweep",
            str(tmp_path / "sweep.yaml"),
            "--out",
            str(tmp_path / "out"),
            "--jobs",
            "1",
            "--no-progress",
        ]
    )
    assert_clean_error(res, "out")
