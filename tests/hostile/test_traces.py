"""Hostile serving traces and serving arguments."""

from __future__ import annotations

import json
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

SERVE = ["serve", "lenet5", "-H", "tpu-like", "--dtype", "int8"]
LLM = ["serve", "gpt2", "-H", "a100-80gb-sxm", "--requests", "4"]

TRACE_CASES: list[tuple[str, str, FileSpec, tuple[str, ...]]] = [
    ("json-booleans", "t.json", "[true, true, true]", ("not a number",)),
    ("json-null", "t.json", "[0.1, null]", ("not a number",)),
    ("json-nan", "t.json", "[0.1, NaN]", ("not finite",)),
    ("json-infinity", "t.json", "[0.1, Infinity]", ("not finite",)),
    ("json-1e300", "t.json", "[0.1, 1e300]", ("later than",)),
    ("json-negative", "t.json", "[-1, 0.1]", ("negative",)),
    ("json-unsorted", "t.json", "[1, 0.5]", ("sorted",)),
    ("json-empty", "t.json", "[]", ("no requests",)),
    ("json-object", "t.json", '{"a": 1}', ("list",)),
    ("json-scalar", "t.json", "42", ("list",)),
    ("json-deep", "t.json", "[" * 100_000 + "]" * 100_000, ("t.json",)),
    ("json-invalid", "t.json", "[0.1,", ("JSON",)),
    (
        "json-prompt-1e30",
        "t.json",
        json.dumps([{"arrival_s": 0, "prompt_len": 1e30}]),
        ("prompt_len",),
    ),
    (
        "json-prompt-bool",
        "t.json",
        json.dumps([{"arrival_s": 0, "prompt_len": True}]),
        ("prompt_len",),
    ),
    (
        "json-prompt-list",
        "t.json",
        json.dumps([{"arrival_s": 0, "prompt_len": [1]}]),
        ("prompt_len",),
    ),
    ("json-time-string-list", "t.json", json.dumps([{"arrival_s": [1]}]), ("not a number",)),
    ("csv-prompt-1e30", "t.csv", "arrival_s,prompt_len\n0,1e30\n", ("prompt_len",)),
    ("csv-gen-zero", "t.csv", "arrival_s,gen_len\n0,0\n", ("gen_len",)),
    ("csv-text-time", "t.csv", "arrival_s\nsoon\n", ("not a number",)),
    ("csv-no-time-column", "t.csv", "when\n0\n", ("arrival_s",)),
    ("csv-only-comments", "t.csv", "# nothing\n", ("no requests",)),
    ("csv-binary", "t.csv", bytes(range(256)), ("UTF-8",)),
    ("csv-huge-field", "t.csv", "arrival_s\n" + "1" * 1_000_000 + "\n", ("t.csv",)),
    ("fifo", "t.csv", Fifo(), ("not a regular file",)),
    ("dev-zero", "t.csv", Link("/dev/zero"), ("not a regular file",)),
    ("directory", "t.csv", Directory(), ("directory",)),
    ("huge-sparse", "t.csv", Sparse(300 << 20), ("too large",)),
    ("missing", "t.csv", Link("nowhere.csv"), ("t.csv",)),
]


@pytest.mark.parametrize(
    ("name", "content", "needles"), [pytest.param(n, c, e, id=i) for i, n, c, e in TRACE_CASES]
)
def test_bad_trace(
    cli: Any, tmp_path: Path, name: str, content: FileSpec, needles: tuple[str, ...]
) -> None:
    make_files(tmp_path, {name: content})
    assert_clean_error(cli([*SERVE, "--trace", str(tmp_path / name)]), *needles)


def test_trace_csv_with_bom_is_accepted(cli: Any, tmp_path: Path) -> None:
    (tmp_path / "t.csv").write_bytes(b"\xef\xbb\xbfarrival_s\n0\n0.5\n1.0\n")
    out = cli([*SERVE, "--trace", str(tmp_path / "t.csv"), "--json", "-"])
    assert_clean_ok(out)
    assert json.loads(out.stdout)["requests"] == 3


ARG_CASES: list[tuple[str, list[str], tuple[str, ...]]] = [
    ("rate-1e-300", [*SERVE, "--rate", "1e-300", "--requests", "10"], ("rate",)),
    ("rate-1e-12", [*SERVE, "--rate", "1e-12", "--requests", "10"], ("rate",)),
    ("rate-zero", [*SERVE, "--rate", "0", "--requests", "10"], ("rate",)),
    ("rate-negative", [*SERVE, "--rate", "-5", "--requests", "10"], ("rate",)),
    ("rate-nan", [*SERVE, "--rate", "nan", "--requests", "10"], ("rate",)),
    ("rate-inf", [*SERVE, "--rate", "inf", "--requests", "10"], ("rate",)),
    ("rate-1e300", [*SERVE, "--rate", "1e300", "--requests", "10"], ("rate",)),
    ("rate-text", [*SERVE, "--rate", "fast", "--requests", "10"], ("rate",)),
    ("requests-zero", [*SERVE, "--rate", "10", "--requests", "0"], ("requests",)),
    ("requests-1e12", [*SERVE, "--rate", "10", "--requests", "1000000000000"], ("requests",)),
    ("duration-negative", [*SERVE, "--rate", "10", "--duration", "-1"], ("duration",)),
    ("duration-huge", [*SERVE, "--rate", "1000", "--duration", "1e30"], ("requests",)),
    (
        "max-batch-zero",
        [*SERVE, "--rate", "10", "--requests", "5", "--max-batch", "0"],
        ("max_batch",),
    ),
    (
        "max-wait-negative",
        [*SERVE, "--rate", "10", "--requests", "5", "--max-wait", "-1"],
        ("max_wait",),
    ),
    ("lognormal-1e30", [*LLM, "--rate", "1", "--prompt-dist", "lognormal:1e30,0"], ("at most",)),
    (
        "lognormal-sigma-huge",
        [*LLM, "--rate", "1", "--prompt-dist", "lognormal:100,1e5"],
        ("sigma",),
    ),
    ("normal-1e30", [*LLM, "--rate", "1", "--prompt-dist", "normal:1e30,1"], ("at most",)),
    ("fixed-1e30", [*LLM, "--rate", "1", "--prompt-dist", "fixed:1e30"], ("at most",)),
    ("uniform-reversed", [*LLM, "--rate", "1", "--prompt-dist", "uniform:9,3"], ("uniform",)),
    ("dist-garbage", [*LLM, "--rate", "1", "--prompt-dist", "zipf:1"], ("distribution",)),
    (
        "dist-huge-text",
        [*LLM, "--rate", "1", "--prompt-dist", "normal:" + "9" * 5000],
        ("at most",),
    ),
    ("gen-dist-nan", [*LLM, "--rate", "1", "--gen-dist", "normal:nan,1"], ("distribution",)),
    ("kv-budget-millibytes", [*LLM, "--rate", "1", "--kv-budget", "2 mB"], ("did you mean",)),
    ("kv-budget-text", [*LLM, "--rate", "1", "--kv-budget", "lots"], ("KV budget",)),
    ("seed-negative", [*SERVE, "--rate", "10", "--requests", "5", "--seed", "-1"], ("seed",)),
    ("rates-list-bad", [*SERVE, "--rates", "1,x,3", "--requests", "5"], ("rates",)),
]


@pytest.mark.parametrize(("args", "needles"), [pytest.param(a, n, id=i) for i, a, n in ARG_CASES])
def test_bad_serve_arguments(cli: Any, args: list[str], needles: tuple[str, ...]) -> None:
    assert_clean_error(cli(args), *needles)


def test_slow_but_sane_rate_keeps_latency_positive(cli: Any) -> None:
    out = cli([*SERVE, "--rate", "1e-6", "--requests", "5", "--json", "-"])
    assert_clean_ok(out)
    d = json.loads(out.stdout)
    assert d["latency_p50_s"] > 0 and d["latency_p99_s"] > 0
