"""Issue 18 (speed), the CLI's start: what ``hwsim --help`` and ``hwsim run`` load and build.

Times are measured by benchmarks/bench_startup.py, never asserted here; these tests pin the
structure that makes the CLI start fast (what is imported, which commands Typer builds) and
that the fast help stays complete.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import typer
from typer.testing import CliRunner

from hwsim.cli import app
from hwsim.commands.base import app_for

runner = CliRunner()

# Every command of `hwsim --help`, with its summary as written in its docstring.
SUMMARIES = {
    "compare": "Run every WORKLOAD on every chip: latency, throughput, energy, power, fit, bound.",
    "energy": "Simulate the runs behind an energy figure and draw it (DVFS curve, chips, J/token).",
    "fit": "Search a model family's width x resolution for what fits the chip's memories.",
    "plot": "Draw a roofline, energy breakdown, memory profile or timeline from saved results.",
    "serve": "Serve WORKLOAD under load: latency percentiles, throughput, energy per request.",
    "sweep": "Simulate every point of a hardware sweep x its workloads; a tidy table + Pareto "
    "front.",
    "profile": "Count a workload without hardware: MACs, FLOPs, params, weight and activation "
    "bytes.",
    "schema": "Print the JSON Schema of the hardware spec (or software profile) format.",
    "run": "Simulate WORKLOAD on a chip or a system (--tp, --pp): latency, energy, memory fit.",
    "list": "List built-in hardware or workloads.",
    "show": "Show a hardware spec with SI values.",
    "init": "Write a starting file to edit (a chip spec).",
    "validate": "Fit every software stack jointly; print in-sample, leave-one-out and "
    "leave-one-chip-out.",
    "calibrate": "Fit a profile's efficiency factors and overheads to the rows of one chip + "
    "stack.",
}


def _flat(text: str) -> str:
    return " ".join(text.split())


def test_root_help_lists_every_command_with_its_whole_summary() -> None:
    res = runner.invoke(app, ["--help"], env={"COLUMNS": "80"})
    assert res.exit_code == 0, res.output
    assert "Usage:" in res.output
    assert "--version" in res.output
    commands = res.output.split("Commands:")[1]
    listed = [ln.split()[0] for ln in commands.splitlines() if ln.startswith("  ") and ln[2] != " "]
    assert sorted(listed) == sorted(SUMMARIES)
    for summary in SUMMARIES.values():
        assert _flat(summary) in _flat(commands)  # whole, wrapped, never cut with "..."
    assert "..." not in commands
    assert all(len(ln) <= 80 for ln in res.output.splitlines())


def test_group_help_lists_its_commands() -> None:
    res = runner.invoke(app, ["list", "--help"], env={"COLUMNS": "80"})
    assert res.exit_code == 0, res.output
    assert "hardware" in res.output and "workloads" in res.output
    assert "Built-in chips: name, kind, one-line summary." in _flat(res.output)


def test_run_help_names_every_option() -> None:
    res = runner.invoke(app, ["run", "--help"], env={"COLUMNS": "80"})
    assert res.exit_code == 0, res.output
    text = _flat(res.output)
    for flag in ("-H, --hardware", "--batch", "--dtype", "--profile", "--prompt-len",
                 "--gen-len", "--tp", "--pp", "--clock", "--power-cap", "--rate",
                 "--json", "--csv", "--trace", "--plots", "--html", "--strict-memory"):  # fmt: skip
        assert flag in text, flag
    assert "[required]" in text  # --hardware and WORKLOAD
    assert "native dtype" in text


def test_help_markup_is_printed_as_written() -> None:
    # Plain help does not read [brackets] as rich markup: nothing of a help text is eaten.
    res = runner.invoke(app, ["run", "--help"], env={"COLUMNS": "200"})
    assert "[default: latency]" in res.output


def test_a_command_name_first_builds_only_that_command() -> None:
    one = app_for(["run", "lenet5", "-H", "stm32f746"])
    assert [c.name for c in one.registered_commands] == ["run"]
    assert one.registered_groups == []
    group = app_for(["list", "hardware"])
    assert group.registered_commands == []
    assert [g.name for g in group.registered_groups] == ["list"]
    # the app itself is untouched
    assert len(app.registered_commands) >= 10


def test_help_options_and_unknown_names_get_the_whole_app() -> None:
    for argv in ([], ["--help"], ["--version"], ["--help", "run"], ["runn"], ["-x", "run"]):
        assert app_for(argv) is app, argv


def test_root_options_are_flags() -> None:
    # app_for reads argv[0] as the command: true while no root option takes a value.
    root = typer.main.get_command(app)
    assert all(getattr(p, "is_flag", False) for p in root.params), root.params


def test_one_command_app_answers_like_the_whole_app() -> None:
    args = ["run", "lenet5", "-H", "stm32f746", "--dtype", "int8", "--json", "-"]
    whole = runner.invoke(app, args, env={"COLUMNS": "80"})
    one = runner.invoke(app_for(args), args, env={"COLUMNS": "80"})
    assert whole.exit_code == one.exit_code == 0
    assert whole.stdout == one.stdout
    bad = ["run", "lenet5", "-H", "stm32f746", "--batch", "x"]
    assert runner.invoke(app_for(bad), bad).output == runner.invoke(app, bad).output


def _modules_after(argv: list[str]) -> set[str]:
    code = (
        "import json, sys\n"
        f"sys.argv = ['hwsim', *{argv!r}]\n"
        "from hwsim.cli import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "sys.stderr.write('\\nMODULES ' + json.dumps(sorted(sys.modules)))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    return set(json.loads(proc.stderr.rsplit("MODULES ", 1)[1]))


def test_help_loads_no_rich_numpy_pydantic_yaml_or_simpy() -> None:
    loaded = _modules_after(["--help"])
    for heavy in ("rich", "numpy", "pydantic", "yaml", "simpy", "pandas", "matplotlib"):
        assert heavy not in loaded, heavy


def test_run_loads_only_what_it_uses() -> None:
    loaded = _modules_after(["run", "lenet5", "-H", "stm32f746", "--dtype", "int8"])
    assert "hwsim.engine" in loaded  # it did simulate
    # Transformer configs, ONNX, plots, sweeps and data frames are not part of a CNN run.
    for unused in (
        "hwsim.workload.frontends.hf_config",
        "onnx",
        "matplotlib",
        "pandas",
        "hwsim.sweep",
        "rich.markdown",
        "rich.traceback",
        "simpy",  # one MCU core serves every op: the in-order schedule needs no event queue
        "numpy",  # an MCU layer's tiling search is small: plain floats (costmodel/tiling.py)
        "typer",  # a plain `run` command line is read without it (commands/run_core.py)
        "hwsim.commands.base",
    ):
        assert unused not in loaded, unused


def test_terminal_tables_check_a_result_once(monkeypatch: pytest.MonkeyPatch) -> None:
    import hwsim
    from hwsim import report
    from hwsim.engine.result import SimulationResult

    result = hwsim.simulate("lenet5", "stm32f746", dtype="int8")

    def no_check(d: object) -> None:
        raise AssertionError("a dict made from the result was validated again")

    monkeypatch.setattr(SimulationResult, "from_dict", no_check)
    for by in ("latency", "energy"):
        table = report.top_layers_table(result, by, width=80)
        assert table.row_count == 10  # lenet5 has 12 layers
    assert report.verdict(result)  # reads the result itself, not a re-checked dict


def test_names_with_colons_print_as_written() -> None:
    # rich would turn ":fire:" into an emoji; a name is data.
    res = runner.invoke(app, ["run", "lenet5", "-H", "no:fire:chip"])
    assert res.exit_code == 2
    assert "no:fire:chip" in res.output


def test_profile_counts_without_the_cost_model() -> None:
    # `hwsim profile` needs no hardware: no engine, cost model, numpy or simpy.
    loaded = _modules_after(["profile", "lenet5"])
    assert "hwsim.workload.profile" in loaded
    for unused in ("hwsim.engine", "hwsim.costmodel", "numpy", "simpy", "matplotlib"):
        assert unused not in loaded, unused


def test_report_names_load_on_first_use() -> None:
    import hwsim.report as report
    from hwsim.report.tables import verdict

    assert report.verdict is verdict
    assert "write_plots" in dir(report)
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        _ = report.nope


def test_the_cli_leaves_its_objects_out_of_the_exit_collections() -> None:
    # main() freezes what the process holds before it exits (gc.freeze), so that the
    # interpreter's collections at exit do not walk every object again.
    code = (
        "import gc, sys\n"
        "sys.argv = ['hwsim', 'profile', 'lenet5']\n"
        "from hwsim.cli import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "sys.stderr.write(f'FROZEN {gc.get_freeze_count()}')\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert "lenet5" in proc.stdout  # the command ran and printed
    assert int(proc.stderr.rsplit("FROZEN ", 1)[1]) > 1000


def test_lazy_consoles_act_as_rich_consoles() -> None:
    import copy

    from rich.console import Console

    from hwsim.commands.base import LazyConsole, real_console

    lazy = LazyConsole(width=33, highlight=False)
    assert lazy.width == 33  # made on first use, with the options given
    assert isinstance(real_console(lazy), Console)  # type: ignore[arg-type]
    lazy.width = 40  # set on the Console
    assert real_console(lazy).width == 40  # type: ignore[arg-type]
    copy.copy(lazy)  # no recursion through __getattr__ before __init__ ran
