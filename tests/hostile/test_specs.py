"""Hostile hardware specs: every one is a single ``error:`` line naming the field."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from hwsim.resources import builtin_dir

from .cases import deep_yaml, laughs, setter, spec_text
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


def _delete(path: str) -> Any:
    def change(data: dict[str, Any]) -> None:
        parts = path.split(".")
        node: Any = data
        for part in parts[:-1]:
            node = (
                next(e for e in node if e.get("name") == part)
                if isinstance(node, list)
                else node[part]
            )
        del node[parts[-1]]

    return change


BAD_VALUES: list[tuple[str, str, Any, tuple[str, ...]]] = [
    ("bw-1e-300", "memory.dram.bandwidth", "1e-300 B/s", ("memory.dram.bandwidth", "sane range")),
    ("bw-1e300", "memory.dram.bandwidth", "1e300 B/s", ("bandwidth", "sane range")),
    ("bw-inf", "memory.dram.bandwidth", "inf B/s", ("bandwidth",)),
    ("bw-nan", "memory.dram.bandwidth", "nan GB/s", ("bandwidth",)),
    ("bw-zero", "memory.dram.bandwidth", "0 GB/s", ("bandwidth", "positive")),
    ("bw-negative", "memory.dram.bandwidth", "-8 GB/s", ("bandwidth", "positive")),
    ("bw-millibytes", "memory.dram.bandwidth", "8 mB/s", ("bandwidth", "did you mean MB/s")),
    ("bw-millibits", "memory.dram.bandwidth", "8 mbps", ("did you mean", "case-sensitive")),
    ("bw-bare-number", "memory.dram.bandwidth", 8e9, ("bandwidth", "with a unit")),
    ("bw-iec-rate", "memory.dram.bandwidth", "8 GiB/s", ("binary prefixes",)),
    ("bw-capacity-unit", "memory.dram.bandwidth", "8 GB", ("bandwidth", "bytes/s")),
    ("bw-bool", "memory.dram.bandwidth", True, ("bandwidth",)),
    ("bw-list", "memory.dram.bandwidth", ["8 GB/s"], ("bandwidth",)),
    ("bw-huge-string", "memory.dram.bandwidth", "9" * 100_000 + " GB/s", ("bandwidth",)),
    ("cap-millibits", "memory.sram.capacity", "2 mb", ("capacity", "did you mean MB")),
    ("cap-microbytes", "memory.sram.capacity", "2 uB", ("capacity", "fraction")),
    ("cap-exabytes", "memory.sram.capacity", "1e30 B", ("capacity", "sane range")),
    ("cap-half-bit", "memory.sram.capacity", "0.01 bit", ("capacity", "sane range")),
    ("cap-unknown-unit", "memory.sram.capacity", "2 furlongs", ("capacity", "furlongs")),
    ("cap-empty", "memory.sram.capacity", "", ("capacity",)),
    ("count-10e400", "compute.pe_array.count", 10**400, ("count",)),
    ("count-zero", "compute.pe_array.count", 0, ("count",)),
    ("count-negative", "compute.pe_array.count", -3, ("count",)),
    ("count-float", "compute.pe_array.count", 1.5, ("count",)),
    ("count-text", "compute.pe_array.count", "two", ("count",)),
    ("count-huge", "compute.pe_array.count", 10**9, ("count",)),
    ("rows-huge", "compute.pe_array.array", {"rows": 10**7, "cols": 32}, ("rows",)),
    ("rows-zero", "compute.pe_array.array", {"rows": 0, "cols": 32}, ("rows",)),
    ("clock-empty", "compute.pe_array.clock", None, ("clock", "empty value")),
    ("clock-zero", "compute.pe_array.clock", "0 Hz", ("clock",)),
    ("clock-1e30", "compute.pe_array.clock", "1e30 Hz", ("clock", "sane range")),
    ("clock-nanohertz", "compute.pe_array.clock", "1 nHz", ("clock", "sane range")),
    ("peak-1e300", "compute.pe_array.peak", {"int8": "1e300 TOPS"}, ("peak", "finite")),
    ("peak-bad-dtype", "compute.pe_array.peak", {"int7": "1 TOPS"}, ("peak",)),
    ("energy-negative", "memory.dram.energy", "-87.5 pJ/B", ("energy",)),
    ("energy-joule-per-byte", "memory.dram.energy", "1 J/B", ("energy", "sane range")),
    ("energy-wrong-dim", "memory.dram.energy", "87.5 pJ", ("energy",)),
    (
        "mac-energy-huge",
        "compute.pe_array.energy_per_mac",
        {"int8": "5 J/MAC"},
        ("energy_per_mac",),
    ),
    ("latency-year", "memory.dram.latency", "1e9 s", ("latency", "sane range")),
    ("latency-negative", "memory.dram.latency", "-5 ns", ("latency",)),
    ("static-gigawatt", "power.static", "1 GW", ("static", "sane range")),
    ("instances-huge", "memory.sram.instances", 10**12, ("instances",)),
    ("accumulator-huge", "compute.pe_array.accumulator_bits", 10**6, ("accumulator_bits",)),
    ("kind-unknown", "kind", "quantum", ("kind",)),
    ("schema-v2", "schema_version", 2, ("schema_version",)),
    ("name-null", "name", None, ("name",)),
    ("efficiency-above-1", "profiles.ideal.efficiency", {"gemm": 3.0}, ("gemm",)),
    ("efficiency-nan", "profiles.ideal.efficiency", {"gemm": float("nan")}, ("gemm",)),
    ("unknown-field", "memory.dram.colour", "blue", ("colour", "unknown field")),
    ("holds-typo", "memory.dram.holds", ["weigths"], ("holds",)),
    ("memory-empty", "memory", [], ("memory",)),
    ("compute-not-list", "compute", "pe_array", ("compute",)),
]


@pytest.mark.parametrize(
    ("path", "value", "needles"),
    [pytest.param(p, v, n, id=i) for i, p, v, n in BAD_VALUES],
)
def test_bad_spec_value(
    cli: Any, tmp_path: Path, path: str, value: Any, needles: tuple[str, ...]
) -> None:
    spec = tmp_path / "chip.yaml"
    spec.write_text(spec_text(setter(path, value)), encoding="utf-8")
    line = assert_clean_error(cli(["show", "hardware", str(spec)]), "chip.yaml", *needles)
    assert len(line) < 400  # a huge value is never echoed whole


@pytest.mark.parametrize("field", ["memory.dram.bandwidth", "compute.pe_array.clock", "power"])
def test_missing_required_field(cli: Any, tmp_path: Path, field: str) -> None:
    spec = tmp_path / "chip.yaml"
    spec.write_text(spec_text(_delete(field)), encoding="utf-8")
    out = cli(["show", "hardware", str(spec)])
    if field == "compute.pe_array.clock":  # optional: accepted without a clock
        assert_clean_ok(out)
    else:
        assert_clean_error(out, field.split(".")[-1])


SPEC_FILES: list[tuple[str, FileSpec, tuple[str, ...]]] = [
    ("nested-20000", deep_yaml(20_000), ("invalid YAML",)),
    ("nested-100", deep_yaml(100), ("nested more than",)),
    ("billion-laughs", laughs(), ("through aliases",)),
    ("self-alias", "a: &x [*x]\n", ("refers to itself",)),
    ("duplicate-key", spec_text() + "name: again\n", ("duplicate key",)),
    ("python-tag", "!!python/object/apply:os.system ['true']\n", ("invalid YAML",)),
    ("top-level-list", "- 1\n- 2\n", ("mapping",)),
    ("top-level-scalar", "hello\n", ("mapping",)),
    ("empty-file", "", ("mapping",)),
    ("binary-garbage", bytes(range(256)) * 4, ("UTF-8",)),
    ("latin1", "name: caf\xe9\n".encode("latin-1"), ("UTF-8",)),
    ("tab-indent", "name: x\n\tkind: gpu\n", ("invalid YAML",)),
    ("unclosed-flow", "compute: [{name: a\n", ("invalid YAML",)),
    ("huge-sparse", Sparse(64 << 20), ("too large",)),
    ("fifo", Fifo(), ("not a regular file",)),
    ("directory", Directory(), ("directory",)),
    ("dev-zero", Link("/dev/zero"), ("not a regular file",)),
    ("dangling-link", Link("nowhere.yaml"), ("chip.yaml",)),
    ("huge-key", "a" * 2_000_000 + ": 1\n", ("chip.yaml",)),
]


@pytest.mark.parametrize(
    ("content", "needles"), [pytest.param(c, n, id=i) for i, c, n in SPEC_FILES]
)
def test_bad_spec_file(
    cli: Any, tmp_path: Path, content: FileSpec, needles: tuple[str, ...]
) -> None:
    make_files(tmp_path, {"chip.yaml": content})
    assert_clean_error(cli(["run", "lenet5", "-H", str(tmp_path / "chip.yaml")]), *needles)


def test_utf8_bom_spec_is_accepted(cli: Any, tmp_path: Path) -> None:
    spec = tmp_path / "chip.yaml"
    spec.write_bytes(b"\xef\xbb\xbf" + spec_text().encode("utf-8"))
    assert_clean_ok(cli(["show", "hardware", str(spec)]))


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("memory.dram.bandwidth", "1 kB/s"),  # the slowest sane bandwidth
        ("compute.pe_array.clock", "1 kHz"),
        ("power.static", "1 MW"),
        ("memory.dram.bandwidth", "100 PB/s"),
    ],
)
def test_extreme_but_sane_spec_gives_finite_results(
    cli: Any, tmp_path: Path, path: str, value: str
) -> None:
    import json
    import math

    spec = tmp_path / "chip.yaml"
    spec.write_text(spec_text(setter(path, value)), encoding="utf-8")
    out = cli(["run", "lenet5", "-H", str(spec), "--dtype", "int8", "--json", "-"])
    assert_clean_ok(out)
    d = json.loads(out.stdout)
    for k in ("latency_s", "energy_j", "throughput_per_s", "avg_power_w"):
        assert math.isfinite(d[k]) and d[k] > 0, (k, d[k])


PROFILE = """schema_version: 1
name: mine
efficiency: {gemm: 0.5}
overhead_per_op: 5 us
"""

PROFILE_CASES: list[tuple[str, FileSpec, tuple[str, ...]]] = [
    ("efficiency-above-one", PROFILE.replace("0.5", "5"), ("gemm",)),
    ("efficiency-negative", PROFILE.replace("0.5", "-0.5"), ("gemm",)),
    ("overhead-year", PROFILE.replace("5 us", "1e9 s"), ("overhead_per_op", "sane range")),
    ("overhead-bare-number", PROFILE.replace("5 us", "5"), ("overhead_per_op",)),
    ("overhead-empty", PROFILE.replace("5 us", ""), ("overhead_per_op", "empty value")),
    ("unknown-field", PROFILE + "turbo: true\n", ("turbo",)),
    ("nested-deep", deep_yaml(3000, "efficiency"), ("invalid YAML",)),
    ("laughs", laughs(), ("through aliases",)),
    ("fifo", Fifo(), ("not a regular file",)),
]


@pytest.mark.parametrize(
    ("content", "needles"), [pytest.param(c, n, id=i) for i, c, n in PROFILE_CASES]
)
def test_bad_profile_file(
    cli: Any, tmp_path: Path, content: FileSpec, needles: tuple[str, ...]
) -> None:
    make_files(tmp_path, {"prof.yaml": content})
    out = cli(
        [
            "run",
            "lenet5",
            "-H",
            "tpu-like",
            "--dtype",
            "int8",
            "--profile",
            str(tmp_path / "prof.yaml"),
        ]
    )
    assert_clean_error(out, *needles)


SYSTEM = (builtin_dir("hardware_specs") / "systems" / "dgx-a100.yaml").read_text(encoding="utf-8")

SYSTEM_CASES: list[tuple[str, str, tuple[str, ...]]] = [
    (
        "link-bw-1e-300",
        SYSTEM.replace("bandwidth: 300 GB/s", "bandwidth: 1e-300 B/s"),
        ("bandwidth",),
    ),
    (
        "link-bw-millibytes",
        SYSTEM.replace("bandwidth: 300 GB/s", "bandwidth: 300 mB/s"),
        ("did you mean",),
    ),
    ("count-10e400", SYSTEM.replace("count: 8", "count: 1" + "0" * 400), ("count",)),
    ("count-zero", SYSTEM.replace("count: 8", "count: 0"), ("count",)),
    ("device-unknown", SYSTEM.replace("device: a100-80gb-sxm", "device: quantum"), ("quantum",)),
    ("latency-empty", SYSTEM.replace("latency: 1 us", "latency:"), ("latency",)),
    (
        "energy-huge",
        SYSTEM.replace("energy_per_byte: 104 pJ/B", "energy_per_byte: 1 J/B"),
        ("energy_per_byte",),
    ),
]


@pytest.mark.parametrize(
    ("content", "needles"), [pytest.param(c, n, id=i) for i, c, n in SYSTEM_CASES]
)
def test_bad_system_file(cli: Any, tmp_path: Path, content: str, needles: tuple[str, ...]) -> None:
    make_files(tmp_path, {"sys.yaml": content})
    assert_clean_error(
        cli(["run", "gpt2", "-H", str(tmp_path / "sys.yaml"), "--tp", "2"]), *needles
    )
