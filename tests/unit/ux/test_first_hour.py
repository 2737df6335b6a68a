"""Issue 16, a user's first hour: each numbered problem reproduced as the user met it."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

import hwsim
from hwsim.cli import app

ROOT = Path(__file__).resolve().parents[3]
runner = CliRunner()


# 1. Install hints keep their extra (the terminal renderer used to eat "[sweep]").


def test_sweep_without_pandas_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pandas", None)  # import pandas -> ImportError
    res = runner.invoke(app, ["sweep", str(ROOT / "examples" / "tpu-like-sweep.yaml")])
    assert res.exit_code == 2
    assert "pip install 'hwsim[sweep]'" in res.output


def test_onnx_without_onnx_names_the_extra(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    model = tmp_path / "model.onnx"
    model.write_bytes(b"\x08\x07")
    monkeypatch.setitem(sys.modules, "onnx", None)
    res = runner.invoke(app, ["profile", str(model)])
    assert res.exit_code == 2
    assert "pip install 'hwsim[onnx]'" in res.output


def test_readme_names_the_extras_of_sweep_and_onnx() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    sweep_lines = [ln for ln in text.splitlines() if ln.startswith("hwsim sweep")]
    assert sweep_lines and all('".[sweep]"' in ln for ln in sweep_lines)
    onnx = text[text.index("hwsim run model.onnx") :][:120]
    assert '".[onnx]"' in onnx


# 4. The default dtype is the chip's native dtype.


def test_int8_chip_runs_int8_by_default() -> None:
    # tpu-like is a 32 x 32 int8 MAC array with no float unit (design.md, ZigZag tpu_like).
    res = runner.invoke(app, ["run", "resnet18", "-H", "tpu-like", "--json", "-"])
    assert res.exit_code == 0, res.output
    d = json.loads(res.stdout[res.stdout.index("{") :])
    assert d["dtype"] == "int8"


def test_native_dtype_of_builtin_chips() -> None:
    assert hwsim.load_hardware("tpu-like").native_dtype() == "int8"
    # The A100 has fp32 CUDA cores: the default stays fp32 (a model's own precision).
    assert hwsim.load_hardware("a100-80gb-sxm").native_dtype() == "fp32"


def test_native_dtype_counts_only_the_units_the_stack_runs_on() -> None:
    # The Snapdragon spec lists fp32 CPU cores, but its default stack (qnn) runs on the
    # Hexagon tensor unit and HVX only (int8 and fp16): fp16 is the widest it runs there.
    chip = hwsim.load_hardware("snapdragon-8-gen-3")
    assert chip.native_dtype() == "fp32"
    assert chip.native_dtype(chip.profile("qnn")) == "fp16"
    assert chip.native_dtype(chip.profile("tflite-cpu")) == "fp32"


def test_a_default_run_on_an_npu_stack_uses_its_widest_format() -> None:
    # gpt2 is an fp32 model; with no --dtype the qnn stack must run it (in fp16), not fail
    # with "runs fp32: pass --dtype fp32" while fp32 is what it cannot run.
    res = runner.invoke(app, ["run", "gpt2", "-H", "snapdragon-8-gen-3", "--json", "-"])
    assert res.exit_code == 0, res.output
    d = json.loads(res.stdout[res.stdout.index("{") :])
    assert (d["profile"], d["dtype"]) == ("qnn", "fp16")
    res = runner.invoke(app, ["run", "gpt2", "-H", "snapdragon-8-gen-3", "--dtype", "fp32"])
    assert res.exit_code == 2
    assert "--dtype fp16" in res.output


def test_help_shows_the_dtype_default() -> None:
    res = runner.invoke(app, ["run", "--help"], env={"COLUMNS": "200"})
    assert "native dtype" in res.output


def test_forcing_a_dtype_the_chip_lacks_names_what_it_runs() -> None:
    res = runner.invoke(app, ["run", "resnet18", "-H", "tpu-like", "--dtype", "fp32"])
    assert res.exit_code == 2
    assert "--dtype int8" in res.output
    assert "Traceback" not in res.output


# 9. Comparing chips: one command, one table, labelled plots.


def test_compare_runs_every_model_on_every_chip(tmp_path: Path) -> None:
    res = runner.invoke(
        app,
        ["compare", "lenet5", "resnet18", "-H", "tpu-like", "-H", "a100-80gb-sxm", "--json", "-"],
    )
    assert res.exit_code == 0, res.output
    runs = json.loads(res.stdout[res.stdout.index("[") :])
    pairs = {(r["workload"], r["hardware"]) for r in runs}
    assert len(runs) == 4 and len(pairs) == 4
    # Each cell is the run the user would get from `hwsim run` with the same options.
    one = hwsim.simulate("resnet18", "tpu-like")
    same = next(r for r in runs if r["workload"] == one.workload and r["hardware"] == "tpu-like")
    assert same["latency_s"] == one.latency_s
    assert same["dtype"] == "int8"


def test_compare_table_shows_dtype_profile_and_bound() -> None:
    res = runner.invoke(app, ["compare", "lenet5", "-H", "tpu-like", "-H", "stm32f746"])
    assert res.exit_code == 0, res.output
    for text in ("int8, ideal", "fp32", "latency", "energy", "power", "fits", "bound"):
        assert text in res.output


def test_compare_plots_label_dtype_and_profile(tmp_path: Path) -> None:
    from hwsim.report.compare import plot_compare

    a = hwsim.simulate("lenet5", "tpu-like")
    b = hwsim.simulate("lenet5", "a100-80gb-sxm", dtype="fp16")
    fig = plot_compare([a, b])
    left, right = fig.axes
    labels = [t.get_text() for t in left.get_yticklabels()]
    assert "int8" in labels[0] and a.profile in labels[0]
    assert "fp16" in labels[1] and b.profile in labels[1]
    assert "latency" in left.get_xlabel() and "energy" in right.get_xlabel()
    res = runner.invoke(
        app,
        ["compare", "lenet5", "-H", "tpu-like", "-H", "a100-80gb-sxm", "--plots", str(tmp_path)],
    )
    assert res.exit_code == 0, res.output
    for name in ("compare.png", "energy.png"):
        assert (tmp_path / name).stat().st_size > 0
        assert str(tmp_path / name) in res.output


def test_compare_with_a_failing_pair_reports_it_and_exits_2() -> None:
    res = runner.invoke(app, ["compare", "lenet5", "-H", "tpu-like", "-H", "no-such-chip"])
    assert res.exit_code == 2
    assert "no-such-chip" in res.output
    assert "tpu-like" in res.output  # the pair that ran is still shown


# 10. Small things.


def test_version() -> None:
    res = runner.invoke(app, ["--version"])
    assert res.exit_code == 0
    assert res.output.strip() == f"hwsim {hwsim.__version__}"


def test_run_prints_the_paths_it_wrote(tmp_path: Path) -> None:
    paths = {
        "--json": tmp_path / "r.json",
        "--csv": tmp_path / "r.csv",
        "--trace": tmp_path / "t.json",
    }
    args = ["run", "lenet5", "-H", "tpu-like", "--plots", str(tmp_path / "plots")]
    for flag, p in paths.items():
        args += [flag, str(p)]
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output
    expected = [*paths.values()]
    expected += [tmp_path / "plots" / f"{k}.png" for k in ("roofline", "energy", "memory")]
    for p in expected:
        assert p.is_file()
        assert f"wrote {p}" in res.output


def test_profile_shows_tensor_shapes_and_top_n(tmp_path: Path) -> None:
    out = tmp_path / "p.json"
    res = runner.invoke(
        app, ["profile", "resnet18", "--top", "3", "--json", str(out)], env={"COLUMNS": "120"}
    )
    assert res.exit_code == 0, res.output
    d = json.loads(out.read_text())
    conv1 = d["layers"][0]
    # 7x7 stride-2 conv, padding 3: (224 + 2*3 - 7) // 2 + 1 = 112 rows and columns.
    assert conv1["input_shapes"] == [[1, 3, 224, 224]]
    assert conv1["output_shapes"] == [[1, 64, 112, 112]]
    # The three heaviest: conv1 (64*112*112*3*7*7 = 118.0 M MACs) and the two first 3x3
    # convs of layer1 (64*56*56*64*9 = 115.6 M each), shown in execution order.
    assert f"top 3 of {len(d['layers'])} layers" in res.output
    shown = [ln.split()[1] for ln in res.output.splitlines() if ln.strip()[:2].strip().isdigit()]
    assert shown[:3] == ["conv1", "layer1.0.conv1", "layer1.0.conv2"]
    assert "1x64x112x112" in res.output


def test_profile_of_a_large_model_is_short_by_default() -> None:
    res = runner.invoke(app, ["profile", "llama-2-7b"], env={"COLUMNS": "80"})
    assert res.exit_code == 0, res.output
    assert len(res.output.splitlines()) < 60  # it printed 1,052 lines
    assert "--top 0 shows all" in res.output


def test_print_result_is_one_short_line() -> None:
    r = hwsim.simulate("lenet5", "tpu-like")
    text = str(r)
    assert "\n" not in text and len(text) < 200
    for part in ("lenet5", "tpu-like", "int8", "latency", "energy", "fits"):
        assert part in text
    assert len(repr(r)) < 220  # not the whole layer list


def test_chip_names_keep_their_case(tmp_path: Path) -> None:
    spec = (ROOT / "hardware_specs" / "tpu-like.yaml").read_text(encoding="utf-8")
    path = tmp_path / "MyNPU.yaml"
    path.write_text(spec.replace("name: tpu-like", "name: My-NPU", 1), encoding="utf-8")
    res = runner.invoke(app, ["show", "hardware", str(path)])
    assert res.exit_code == 0, res.output
    assert res.output.startswith("My-NPU")
    res = runner.invoke(app, ["show", "hardware", "A100-80GB-SXM"])  # built-ins: any case
    assert res.exit_code == 0, res.output
    assert "a100-80gb-sxm" in res.output


def test_readme_python_example_uses_every_variable() -> None:
    import ast
    import re

    text = (ROOT / "README.md").read_text(encoding="utf-8")
    (code,) = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    tree = ast.parse(code)
    stored = {
        n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)
    }
    loaded = {
        n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)
    }
    assert stored and stored <= loaded, stored - loaded
    assert "print(result)" in code


# 6. Output fits 80 columns; units stay readable.


def test_readable_units() -> None:
    from hwsim.report import fmt

    assert fmt.duration(24_740) == "6.9 h"  # 24,740 s / 3,600 s/h = 6.87 h
    assert fmt.duration(90) == "1.5 min"
    assert fmt.duration(2.597e-3) == "2.597 ms"
    assert fmt.size(80 * 2**30) == "80 GiB"  # as `hwsim show hardware` quotes the A100


NARROW_COMMANDS = [
    ["--help"],
    ["run", "--help"],
    ["compare", "--help"],
    ["profile", "--help"],
    ["sweep", "--help"],
    ["list", "hardware"],
    ["list", "workloads"],
    ["show", "hardware", "a100-80gb-sxm"],
    ["profile", "resnet18", "--top", "0"],
    ["run", "resnet18", "-H", "tpu-like"],
    ["run", "gpt2", "-H", "a100-80gb-sxm", "--prompt-len", "128", "--gen-len", "4"],
    ["compare", "lenet5", "mobilenet_v2", "-H", "tpu-like", "-H", "stm32f746"],
    ["serve", "lenet5", "-H", "tpu-like", "--rate", "1000", "--requests", "200"],  # int8 default
]


@pytest.mark.parametrize("args", NARROW_COMMANDS, ids=[" ".join(a) for a in NARROW_COMMANDS])
def test_output_fits_80_columns(args: list[str]) -> None:
    res = runner.invoke(app, args, env={"COLUMNS": "80"})
    assert res.exit_code == 0, res.output
    long = [ln for ln in res.stdout.splitlines() if len(ln) > 80]
    assert not long, "\n".join(long)
    # No number split over two lines: a cell never ends in a bare prefix or unit.
    assert not re.search(r"\d \|?\s*$\n\s*\|?\s*[kMGTµumn]?(B|s|J|W|iB)\b", res.stdout)


# 5. A chip of one's own in minutes.


def test_init_chip_then_run_with_no_edits(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    res = runner.invoke(app, ["init", "chip", "my-npu"])
    assert res.exit_code == 0, res.output
    assert "wrote my-npu.yaml" in res.output
    text = (tmp_path / "my-npu.yaml").read_text(encoding="utf-8")
    assert text.count("#") > 20  # commented
    res = runner.invoke(app, ["run", "mobilenet_v2", "-H", "my-npu.yaml", "--json", "-"])
    assert res.exit_code == 0, res.output
    d = json.loads(res.stdout[res.stdout.index("{") :])
    assert (d["hardware"], d["dtype"], d["profile"]) == ("my-npu", "int8", "default")
    spec = hwsim.load_hardware(tmp_path / "my-npu.yaml")
    assert spec.hypothetical and spec.sources == []
    # 32 x 32 MACs at 1 GHz = 1.024e12 MAC/s = 2.048e12 op/s (1 MAC = 2 ops).
    assert spec.compute[0].count * spec.compute[0].peak[next(iter(spec.compute[0].peak))] == (
        pytest.approx(2.048e12)
    )
    # Not overwritten by a second init.
    res = runner.invoke(app, ["init", "chip", "my-npu"])
    assert res.exit_code == 2 and "--force" in res.output


def test_init_chip_like_a_builtin_keeps_its_numbers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    res = runner.invoke(app, ["init", "chip", "my-gpu", "--like", "a100-80gb-sxm"])
    assert res.exit_code == 0, res.output
    mine = hwsim.load_hardware(tmp_path / "my-gpu.yaml")
    base = hwsim.load_hardware("a100-80gb-sxm")
    assert mine.name == "my-gpu"
    assert mine.model_dump(exclude={"name"}) == base.model_dump(exclude={"name"})


def _toy_spec() -> dict[str, object]:
    import yaml

    text = (ROOT / "hardware_specs" / "tpu-like.yaml").read_text(encoding="utf-8")
    data: dict[str, object] = yaml.safe_load(text)
    return data


def test_hypothetical_spec_needs_no_sources_and_no_profiles(tmp_path: Path) -> None:
    import yaml

    data = _toy_spec()
    for key in ("sources", "estimated", "profiles", "default_profile"):
        data.pop(key)
    path = tmp_path / "made-up.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    res = runner.invoke(app, ["show", "hardware", str(path)])
    assert res.exit_code == 2
    assert "hypothetical: true" in res.output  # the error says what to do
    data["hypothetical"] = True
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    spec = hwsim.load_hardware(path)
    assert list(spec.profiles) == ["default"] and spec.default_profile == "default"
    assert hwsim.simulate("lenet5", spec).profile == "default"


def test_all_spec_problems_at_once_with_dotted_paths(tmp_path: Path) -> None:
    import yaml

    data = _toy_spec()
    compute = data["compute"]
    memory = data["memory"]
    assert isinstance(compute, list) and isinstance(memory, list)
    compute[0]["colour"] = "red"  # unknown field
    memory[1]["bandwidth"] = "256 GB"  # a size where a rate belongs
    del memory[2]["capacity"]  # missing
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    res = runner.invoke(app, ["show", "hardware", str(path)])
    assert res.exit_code == 2
    lines = res.output.strip().splitlines()
    assert len(lines) == 1  # one line, every problem in it
    assert "3 problems" in lines[0]
    assert "compute.pe_array.colour: unknown field" in lines[0]
    assert "memory.sram.bandwidth: expected bytes/s" in lines[0]
    assert "memory.dram.capacity: required field is missing" in lines[0]
    assert "more problem" not in lines[0]


# 3. A sweep says where a model becomes compute-bound.


def test_sweep_rows_say_what_bounds_each_point() -> None:
    import math

    pytest.importorskip("pandas")
    df = hwsim.sweep(
        hardware="tpu-like",
        workloads=["lenet5"],
        dtype="int8",
        axes={"memory.dram.bandwidth": ["0.1 GB/s", "8 GB/s", "10 TB/s"]},
        jobs=1,
    )
    for c in ("time_share_compute", "time_share_overhead", "time_share_sram", "time_share_dram"):
        assert c in df.columns
    shares = df[[c for c in df.columns if c.startswith("time_share_")]].sum(axis=1)
    assert shares.to_numpy() == pytest.approx(1.0)
    # LeNet-5 streams its ~61.7 k int8 weights (61.7 kB) from DRAM: at 0.1 GB/s that is
    # ~0.6 ms against ~0.4 us of MACs (0.43 M MACs at 1.024 TMAC/s), so DRAM bounds it.
    slow = df.iloc[0]
    assert (slow["bound"], slow["bound_level"]) == ("memory", "dram")
    assert slow["time_share_dram"] > 0.9
    assert list(df["time_share_dram"]) == sorted(df["time_share_dram"], reverse=True)
    assert df.iloc[-1]["time_share_dram"] < 0.5
    # Utilisation is achieved MAC op/s over the int8 peak (2.048 TOPS for 32 x 32 at 1 GHz).
    for _, row in df.iterrows():
        expected = 2 * row["macs"] / row["latency_s"] / 2.048e12
        assert row["compute_utilization"] == pytest.approx(expected)
        assert 0 < row["compute_utilization"] <= 1
        assert math.isfinite(row["peak_power_w"]) and row["peak_power_w"] >= row["avg_power_w"]


def test_sweep_plot_colours_points_by_bound(tmp_path: Path) -> None:
    pytest.importorskip("pandas")
    from hwsim.sweep.plots import plot_bound

    df = hwsim.sweep(
        hardware="tpu-like",
        workloads=["lenet5"],
        dtype="int8",
        axes={"memory.dram.bandwidth": ["0.1 GB/s", "10 TB/s"]},
        jobs=1,
    )
    fig = plot_bound(df, "memory.dram.bandwidth")
    legend = fig.axes[0].get_legend()
    labels = [t.get_text() for t in legend.get_texts()]
    assert "memory: dram" in labels
    assert legend.get_title().get_text() == "bound"


# 7. Sweep results that looked like bugs.


def test_log_axis_endpoints_are_exact_and_labelled_in_the_axis_unit() -> None:
    from hwsim.sweep import parse_sweep

    plan = parse_sweep(
        {
            "hardware": "tpu-like",
            "workloads": ["lenet5"],
            "axes": {"memory.sram.capacity": {"log": ["512 KiB", "16 MiB"], "count": 6}},
        }
    )
    (axis,) = plan.axes
    # 512 KiB x 2^k for k = 0..5: every value a power of two, the last one 16 MiB exactly.
    assert axis.values == ("512 KiB", "1 MiB", "2 MiB", "4 MiB", "8 MiB", "16 MiB")
    sizes = [p["memory.sram.capacity"] for p in plan.points()]
    assert sizes[-1] == "16 MiB"
    assert hwsim.override(hwsim.load_hardware("tpu-like"), {"memory.sram.capacity": sizes[-1]})
    plan = parse_sweep(
        {
            "hardware": "tpu-like",
            "workloads": ["lenet5"],
            "axes": {"memory.dram.bandwidth": {"log": ["500 MB/s", "2 TB/s"], "count": 5}},
        }
    )
    values = plan.axes[0].values
    assert values[0] == "500 MB/s" and values[-1] == "2 TB/s"
    assert not any("e+" in v for v in values)


def test_pareto_cost_axis_is_explicit() -> None:
    pytest.importorskip("pandas")
    from hwsim.sweep.pareto import cost_blind_axes

    sweep_file = str(ROOT / "examples" / "tpu-like-sweep.yaml")
    res = runner.invoke(app, ["sweep", sweep_file, "--jobs", "1", "--no-progress"])
    assert res.exit_code == 0, res.output
    # The area proxy counts on-chip bytes and MAC units, never DRAM bandwidth: the output
    # names the cost axis and says which swept axis it cannot see.
    assert "x energy x area proxy" in res.output
    assert "does not change with" in res.output and "memory.dram.bandwidth" in res.output
    res = runner.invoke(app, ["sweep", sweep_file, "-j", "1", "--no-progress", "--cost", "power"])
    assert res.exit_code == 0, res.output
    assert "x energy x average power" in res.output
    df = hwsim.sweep(sweep_file, jobs=1)
    axes = ["memory.dram.bandwidth", "memory.sram.capacity", "compute.pe_array.count"]
    assert cost_blind_axes(df, "area_proxy", axes) == ["memory.dram.bandwidth"]
    res = runner.invoke(app, ["sweep", sweep_file, "-j", "1", "--no-progress", "--cost", "nope"])
    assert res.exit_code == 2 and "choose area, power" in res.output


# 8. The README stays right: two quick-start commands, extras named, validate cross-validated.


def test_readme_quick_start_has_exactly_two_commands() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    quick = text[
        text.index("## Quick start") : text.index("\n## ", text.index("## Quick start") + 5)
    ]
    blocks = re.findall(r"```bash\n(.*?)```", quick, flags=re.S)
    commands = [ln for b in blocks for ln in b.splitlines() if ln.strip()]
    assert commands == [
        "pip install . && hwsim run resnet50 --hardware a100-80gb-sxm --dtype fp16",
        'pip install -e ".[test]" && python -m pytest',
    ]
    assert '".[sweep]"' in quick and '".[onnx]"' in quick


def test_readme_validate_example_is_not_in_sample() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    line = next(ln for ln in text.splitlines() if ln.startswith("hwsim validate"))
    assert "cross-validated" in line
    para = text[text.index("`hwsim validate` fits") :][:600]
    assert "leave-one-out" in para and "in-sample" in para  # in-sample is named as such
    assert "0.0%" not in para


def test_compare_warnings_name_their_run() -> None:
    """ResNet-50's activations overflow the Orin's 4 MiB L2 (and fit the A100's 40 MiB): the
    warning must say it is about the Orin run."""
    res = runner.invoke(
        app, ["compare", "resnet50", "-H", "a100-80gb-sxm", "-H", "jetson-agx-orin"]
    )
    assert res.exit_code == 0, res.output
    warnings = [ln for ln in res.output.splitlines() if ln.startswith("warning:")]
    assert warnings and all(ln.startswith("warning: resnet50 on ") for ln in warnings)
    assert any("jetson-agx-orin" in ln for ln in warnings)
