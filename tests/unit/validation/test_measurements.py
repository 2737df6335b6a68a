"""Reading the measurements CSV: contract columns, params, malformed files."""

from __future__ import annotations

from pathlib import Path

import pytest

from hwsim.validation import MeasurementError, parse_params, read_measurements
from tests.unit.validation.conftest import HEADER, write_csv


def test_contract_columns_are_parsed(tmp_path: Path) -> None:
    p = write_csv(
        tmp_path,
        "A1,mcu,mobilenet_v1,stm32h743,tflm,int8,1,,,latency_ms,54.5,width=0.25;resolution=96,"
        "https://x,some note\n"
        "L1,datacenter,llama-2-7b,a100-80gb-sxm,,fp16,2,128,64,ttft_ms,16,,,\n",
    )
    a, b = read_measurements(p)
    assert (a.id, a.workload, a.hardware, a.profile, a.dtype, a.batch) == (
        "A1",
        "mobilenet_v1",
        "stm32h743",
        "tflm",
        "int8",
        1,
    )
    assert a.metric == "latency_ms" and a.value == 54.5
    assert a.params == {"width": 0.25, "resolution": 96}
    assert a.row_class == "mcu" and a.source == "https://x" and a.notes == "some note"
    assert a.line == 2 and a.base_dir == tmp_path.resolve()
    assert a.workload_params() == {"width": 0.25, "resolution": 96, "batch": 1, "dtype": "int8"}
    assert b.profile is None and (b.prompt_len, b.gen_len, b.batch) == (128, 64, 2)
    assert b.params == {}


def test_only_required_columns_and_extra_columns(tmp_path: Path) -> None:
    p = tmp_path / "m.csv"
    p.write_text("id,workload,hardware,metric,value,whatever\nX,lenet5,tpu-like,latency_ms,1,abc\n")
    (m,) = read_measurements(p)
    assert m.profile is None and m.batch is None and m.extra == {"whatever": "abc"}


def test_rows_from_dicts() -> None:
    (m,) = read_measurements(
        [
            {
                "id": "r",
                "workload": "lenet5",
                "hardware": "tpu-like",
                "metric": "energy_uj",
                "value": "3",
            }
        ]
    )
    assert m.value == 3.0 and m.metric == "energy_uj"


def test_params_values_are_typed() -> None:
    assert parse_params("width=0.25; resolution=96;flag=true;name=abc;") == {
        "width": 0.25,
        "resolution": 96,
        "flag": True,
        "name": "abc",
    }
    assert parse_params("") == {}
    with pytest.raises(MeasurementError, match="NAME=VALUE"):
        parse_params("width")
    with pytest.raises(MeasurementError, match="twice"):
        parse_params("a=1;a=2")


@pytest.mark.parametrize(
    ("body", "match"),
    [
        (
            "A,c,lenet5,tpu-like,,,,,,latency_ms,fast,,,\n",
            r"m.csv:2: column 'value': expected a number",
        ),
        ("A,c,lenet5,tpu-like,,,,,,latency_ms,-1,,,\n", "expected a positive number"),
        ("A,c,lenet5,tpu-like,,,,,,speed,1,,,\n", "unknown metric 'speed'"),
        ("A,c,lenet5,tpu-like,,,1.5,,,latency_ms,1,,,\n", "column 'batch'"),
        ("A,c,lenet5,,,,,,,latency_ms,1,,,\n", "column 'hardware' is empty"),
        ("A,c,lenet5,tpu-like,,,,,,latency_ms,1,width,,\n", "column 'params'"),
        ("A,c,lenet5,tpu-like,,,,,,latency_ms,1,batch=2,,\n", "repeats batch"),
        ("A,c,lenet5,tpu-like,,,,,,latency_ms,1,,,,extra\n", "more cells than header"),
        (
            "A,c,lenet5,tpu-like,,,,,,latency_ms,1,,,\nA,c,lenet5,tpu-like,,,,,,latency_ms,2,,,\n",
            "id 'A' repeats the row at line 2",
        ),
    ],
)
def test_malformed_rows_name_file_line_and_column(tmp_path: Path, body: str, match: str) -> None:
    with pytest.raises(MeasurementError, match=match):
        read_measurements(write_csv(tmp_path, body))


def test_missing_columns_and_empty_file(tmp_path: Path) -> None:
    p = tmp_path / "m.csv"
    p.write_text("id,workload,hardware\nA,lenet5,tpu-like\n")
    with pytest.raises(MeasurementError, match=r"missing column.*metric, value"):
        read_measurements(p)
    p.write_text("")
    with pytest.raises(MeasurementError, match="empty file"):
        read_measurements(p)
    p.write_text(HEADER)
    with pytest.raises(MeasurementError, match="no measurement rows"):
        read_measurements(p)
    with pytest.raises(MeasurementError, match="cannot read"):
        read_measurements(tmp_path / "nope.csv")


def test_blank_and_commented_rows_are_ignored(tmp_path: Path) -> None:
    p = write_csv(
        tmp_path,
        "\n#X,c,lenet5,tpu-like,,,,,,latency_ms,1,,,\nA,c,lenet5,tpu-like,,,,,,latency_ms,1,,,\n",
    )
    assert [m.id for m in read_measurements(p)] == ["A"]


def test_shipped_measurements_file_reads() -> None:
    rows = read_measurements(Path(__file__).parents[3] / "validation" / "measurements.csv")
    # issue #14: >= 80 sourced rows over >= 15 chips, every class, metric kind and regime
    assert len(rows) >= 80
    for r in rows:
        assert r.source.startswith("https://"), r.id
        assert r.extra.get("quote"), r.id
        assert r.extra.get("conditions"), r.id
    assert len({r.hardware for r in rows}) >= 15
    assert {"mcu", "mobile_edge", "datacenter", "accelerator"} <= {r.row_class for r in rows}
    metrics = {r.metric for r in rows}
    assert {"latency_ms", "throughput_per_s", "energy_uj", "ttft_ms"} <= metrics
    assert {"decode_tokens_per_s", "prefill_tokens_per_s", "output_tokens_per_s"} <= metrics
    assert {r.batch for r in rows} >= {1} and max(r.batch or 1 for r in rows) >= 256
    cnn = {"resnet50", "mobilenet_v2", "mlperf-tiny-resnet8"}
    transformer = {"bert-base", "bert-large", "vit-b-16", "llama-2-7b"}
    assert cnn <= {r.workload for r in rows} and transformer <= {r.workload for r in rows}


def test_new_rows_are_the_ones_their_script_lays_out() -> None:
    # validation/sources/build_rows.py holds the figures read in each source; the CSV rows
    # it lays out are in measurements.csv unchanged.
    import csv
    import importlib.util
    import io
    import sys

    root = Path(__file__).parents[3] / "validation"
    spec = importlib.util.spec_from_file_location("build_rows", root / "sources" / "build_rows.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    sys.modules["build_rows"] = mod
    spec.loader.exec_module(mod)
    built = mod.rows()
    assert len(built) >= 60
    shipped = {
        r["id"]: r for r in csv.DictReader(io.StringIO((root / "measurements.csv").read_text()))
    }
    for r in built:
        assert {c: r.get(c, "") for c in mod.COLS} == shipped[r["id"]], r["id"]
