"""Hostile command-line arguments and output paths."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from .conftest import Link, assert_clean_error, assert_clean_ok, expand, make_files

RUN = ["run", "lenet5", "-H", "tpu-like", "--dtype", "int8"]

CASES: list[tuple[str, list[str], tuple[str, ...]]] = [
    ("batch-zero", [*RUN, "--batch", "0"], ("batch",)),
    ("batch-negative", [*RUN, "--batch", "-4"], ("batch",)),
    ("batch-1e30", [*RUN, "--batch", "1" + "0" * 30], ("batch", "larger than")),
    ("batch-text", [*RUN, "--batch", "many"], ("--batch",)),
    ("dtype-unknown", ["run", "lenet5", "-H", "tpu-like", "--dtype", "int3"], ("int3",)),
    (
        "resolution-zero",
        ["run", "mobilenet_v1", "-H", "tpu-like", "--dtype", "int8", "--resolution", "0"],
        ("resolution",),
    ),
    (
        "resolution-huge",
        ["run", "mobilenet_v1", "-H", "tpu-like", "--dtype", "int8", "--resolution", "1000000000"],
        ("mobilenet_v1",),
    ),
    (
        "width-nan",
        ["run", "mobilenet_v1", "-H", "tpu-like", "--dtype", "int8", "--width", "nan"],
        ("width",),
    ),
    (
        "width-inf",
        ["run", "mobilenet_v1", "-H", "tpu-like", "--dtype", "int8", "--width", "inf"],
        ("width",),
    ),
    (
        "width-negative",
        ["run", "mobilenet_v1", "-H", "tpu-like", "--dtype", "int8", "--width", "-1"],
        ("width",),
    ),
    (
        "width-huge",
        ["run", "mobilenet_v1", "-H", "tpu-like", "--dtype", "int8", "--width", "1e300"],
        ("mobilenet_v1",),
    ),
    (
        "seq-len-huge",
        ["run", "bert-base", "-H", "a100-80gb-sxm", "--seq-len", "1000000000000"],
        ("bert-base",),
    ),
    (
        "unpadded-len-above-seq-len",
        ["run", "bert-base", "-H", "a100-80gb-sxm", "--seq-len", "128", "--unpadded-len", "129"],
        ("unpadded_len", "seq_len"),
    ),
    (
        "unpadded-len-nan",
        ["run", "bert-base", "-H", "a100-80gb-sxm", "--unpadded-len", "nan"],
        ("unpadded_len",),
    ),
    (
        "unpadded-len-on-a-cnn",
        ["run", "resnet50", "-H", "a100-80gb-sxm", "--unpadded-len", "100"],
        ("unpadded_len",),
    ),
    (
        "prompt-len-1e30",
        ["run", "gpt2", "-H", "a100-80gb-sxm", "--prompt-len", "1" + "0" * 30],
        ("gpt2",),
    ),
    ("gen-len-negative", ["run", "gpt2", "-H", "a100-80gb-sxm", "--gen-len", "-1"], ("gen_len",)),
    ("unknown-workload", ["run", "skynet", "-H", "tpu-like"], ("skynet",)),
    ("unknown-hardware", ["run", "lenet5", "-H", "quantum"], ("quantum",)),
    ("hardware-huge-name", ["run", "lenet5", "-H", "x" * 100_000], ("unknown hardware",)),
    ("unknown-option", [*RUN, "--turbo"], ("--turbo",)),
    ("workload-huge-name", ["run", "x" * 100_000, "-H", "tpu-like"], ("workload",)),
    (
        "workload-name-too-long-for-os",
        ["run", "x" * 300 + ".onnx", "-H", "tpu-like"],
        ("too long",),
    ),
    ("workload-nul-byte", ["run", "a\x00b.onnx", "-H", "tpu-like"], ("no such file",)),
    ("dtype-huge", ["profile", "lenet5", "--dtype", "x" * 100_000], ("unknown dtype",)),
    ("missing-hardware", ["run", "lenet5"], ("--hardware",)),
    ("profile-unknown", [*RUN, "--profile", "tensorrt"], ("tensorrt",)),
    ("clock-millihertz", [*RUN, "--clock", "1 mHz"], ("clock",)),
    ("clock-text", [*RUN, "--clock", "fast"], ("clock",)),
    ("power-cap-negative", [*RUN, "--power-cap", "-5 W"], ("power",)),
    ("json-into-missing-folder", [*RUN, "--json", "{d}/no/such/dir/r.json"], ("cannot write",)),
    ("json-onto-a-directory", [*RUN, "--json", "{d}"], ("cannot write",)),
    ("csv-into-missing-folder", [*RUN, "--csv", "{d}/no/r.csv"], ("cannot write",)),
    ("trace-into-missing-folder", [*RUN, "--trace", "{d}/no/t.json"], ("cannot write",)),
    ("show-unknown", ["show", "hardware", "quantum"], ("quantum",)),
    ("schema-unknown", ["schema", "toaster"], ("toaster",)),
    ("profile-dim-without-onnx", ["profile", "lenet5", "--dim", "N=3"], ("lenet5",)),
    ("profile-huge-head", ["profile", "mobilenet_v2", "--head", "x" * 10_000], ("head",)),
    ("plot-fifo-free-path", ["plot", "{d}/nope.json"], ("cannot read",)),
    ("serve-no-rate", ["serve", "lenet5", "-H", "tpu-like"], ("rate",)),
]


@pytest.mark.parametrize(("args", "needles"), [pytest.param(a, n, id=i) for i, a, n in CASES])
def test_bad_arguments(cli: Any, tmp_path: Path, args: list[str], needles: tuple[str, ...]) -> None:
    line = assert_clean_error(cli(expand(args, tmp_path)))
    assert any(n.lower() in line.lower() for n in needles), (needles, line)


@pytest.mark.parametrize("flag", ["--json", "--csv", "--trace", "--html"])
def test_outputs_replace_a_symlink_and_never_write_through_it(
    cli: Any, tmp_path: Path, flag: str
) -> None:
    make_files(tmp_path, {"victim.txt": "keep", "out.x": Link("victim.txt")})
    assert_clean_ok(cli([*RUN, flag, str(tmp_path / "out.x")]))
    assert (tmp_path / "victim.txt").read_text(encoding="utf-8") == "keep"
    assert not (tmp_path / "out.x").is_symlink() and (tmp_path / "out.x").stat().st_size > 0


def test_plots_replace_symlinks(cli: Any, tmp_path: Path) -> None:
    make_files(
        tmp_path, {"victim.txt": "keep", "plots/roofline.png": Link(str(tmp_path / "victim.txt"))}
    )
    assert_clean_ok(cli([*RUN, "--plots", str(tmp_path / "plots")]))
    assert (tmp_path / "victim.txt").read_text(encoding="utf-8") == "keep"
    assert (tmp_path / "plots" / "roofline.png").read_bytes()[:4] == b"\x89PNG"


def test_json_result_is_finite(cli: Any) -> None:
    out = cli([*RUN, "--json", "-"])
    assert_clean_ok(out)
    d = json.loads(out.stdout)
    assert d["latency_s"] > 0 and d["energy_j"] > 0
