"""Issue 18 (speed): ``hwsim run`` command lines read without Typer are read as Typer reads them.

:func:`hwsim.commands.run_core.parse_run_args` reads the plain command lines (the ones
scripts send by the thousand) and hands every other one to Typer. Whatever it accepts,
the Typer command must accept and turn into the same arguments of ``run_command``; the
option tables must name every option of the Typer command with its parameter and type.
"""

from __future__ import annotations

import inspect
import subprocess
import sys
import types
import typing
from pathlib import Path
from typing import Any

import pytest
import typer
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from hwsim.cli import app
from hwsim.commands import run as run_cli
from hwsim.commands import run_core
from hwsim.commands.run_core import _FLAG_OPTIONS, _VALUE_OPTIONS, parse_run_args

runner = CliRunner()

TYPER_ONLY = {"--dim", "--patches", "--help"}
"""Options parse_run_args leaves to Typer (they load the rest of the CLI anyway)."""


def _run_click_command() -> Any:
    group = typer.main.get_command(app)
    return group.commands["run"]  # type: ignore[attr-defined]


def _base_type(annotation: Any) -> Any:
    """int for ``Annotated[int | None, ...]``."""
    if typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    if isinstance(annotation, types.UnionType):
        annotation = next(a for a in typing.get_args(annotation) if a is not type(None))
    return annotation


def test_the_option_tables_name_every_option_of_the_typer_command() -> None:
    hints = typing.get_type_hints(run_cli.run, include_extras=True)
    seen: set[str] = set()
    for param in _run_click_command().params:
        if param.param_type_name == "argument":
            assert param.name == "workload"
            continue
        kind = _base_type(hints[param.name])
        for opt in param.opts:
            seen.add(opt)
            if opt in TYPER_ONLY:
                continue
            if param.is_flag:
                assert _FLAG_OPTIONS[opt] == (param.name, True), opt
            else:
                assert _VALUE_OPTIONS[opt] == (param.name, kind), opt
        for opt in param.secondary_opts:
            seen.add(opt)
            assert _FLAG_OPTIONS[opt] == (param.name, False), opt
    assert set(_VALUE_OPTIONS) | set(_FLAG_OPTIONS) == seen - TYPER_ONLY


_LAYOUT_ONLY = {"default", "help", "param_decls", "hidden", "show_default", "rich_help_panel"}
"""typer.Option settings that do not change how a command line is read (help text, names;
defaults are compared with run_command's below)."""


def test_every_run_option_is_read_as_plainly_as_the_fast_path_reads_it() -> None:
    # parse_run_args reads a value by its type alone. A callback, parser, range (min/max),
    # counter, prompt, environment variable, ... given to a run option in Typer would be
    # skipped by it: such an option belongs in TYPER_ONLY (or parse_run_args learns it).
    plain = {
        typer.models.OptionInfo: vars(typer.Option()),
        typer.models.ArgumentInfo: vars(typer.Argument()),
    }
    hints = typing.get_type_hints(run_cli.run, include_extras=True)
    checked = []
    for name, hint in hints.items():
        if name == "return":
            continue
        assert typing.get_origin(hint) is typing.Annotated, name
        (info,) = [m for m in typing.get_args(hint)[1:] if type(m) in plain]
        opts = info.param_decls or ("--" + name.replace("_", "-"),)
        if set(opts) & TYPER_ONLY:
            continue
        settings_ = {k: v for k, v in vars(info).items() if k not in _LAYOUT_ONLY}
        default = {k: v for k, v in plain[type(info)].items() if k not in _LAYOUT_ONLY}
        assert settings_ == default, name
        checked.append(name)
    read_fast = {param for param, _ in [*_VALUE_OPTIONS.values(), *_FLAG_OPTIONS.values()]}
    assert set(checked) == {"workload", *read_fast}


def test_the_command_and_the_app_read_argv_as_click_does_by_default() -> None:
    # No settings that change the reading of tokens (an env-var prefix, token normalising,
    # unknown options passed through, other help names): the fast path knows none of them.
    group = typer.main.get_command(app)
    command = _run_click_command()
    assert group.context_settings == {} and command.context_settings == {}
    assert command.allow_interspersed_args and not command.ignore_unknown_options
    # hwsim.cli.main skips the root callback on a plain run: it may only hold --version
    # (eager; exits before any command). A new root option needs the fast path's attention.
    assert [p.name for p in group.params] == ["version"]


def test_run_command_takes_the_typer_commands_parameters_with_its_defaults() -> None:
    typer_sig = inspect.signature(run_cli.run).parameters
    plain_sig = inspect.signature(run_core.run_command).parameters
    assert list(typer_sig) == list(plain_sig)
    for name, p in typer_sig.items():
        assert plain_sig[name].default == p.default, name


def _typer_reads(argv: list[str]) -> tuple[int, dict[str, Any] | None]:
    """Exit status of ``hwsim run ARGV`` through Typer and the arguments run_command got."""
    got: list[dict[str, Any]] = []
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(run_core, "run_command", lambda **kw: got.append(kw))
        res = runner.invoke(app, ["run", *argv])
    return res.exit_code, got[0] if got else None


def _with_defaults(args: dict[str, Any]) -> dict[str, Any]:
    sig = inspect.signature(run_core.run_command).parameters
    full = {n: p.default for n, p in sig.items() if p.default is not inspect.Parameter.empty}
    return {**full, **args}


_NUMBERS = st.one_of(
    st.integers(-5, 10**20).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.sampled_from(["007", "+3", " 4", "4 ", "1_000", "1e3", "1.5", ".5", "5.", "0x10", ""]),
    st.sampled_from(["1E5", "2.5e-3", "1e400", "٣", "3.0", "0", "00", "99999999999999999999"]),
)
_TEXT = st.one_of(
    st.sampled_from(["lenet5", "stm32f746", "int8", "-", "--", "-x", "a=b", "", "x y", "é"]),
    st.text(max_size=6),
)
_OPTIONS = sorted({*_VALUE_OPTIONS, *_FLAG_OPTIONS, *TYPER_ONLY, "--nope", "-x", "-Hx"})


@st.composite
def _command_lines(draw: st.DrawFn) -> list[str]:
    argv: list[str] = []
    for _ in range(draw(st.integers(0, 6))):
        opt = draw(st.sampled_from(_OPTIONS))
        value = draw(st.one_of(_NUMBERS, _TEXT))
        form = draw(st.integers(0, 3))
        if form == 0:
            argv += [opt, value]
        elif form == 1:
            argv.append(f"{opt}={value}")
        elif form == 2:
            argv.append(opt)
        else:
            argv.append(value)
    # mostly the two things every run needs, somewhere
    if draw(st.booleans()):
        argv.insert(draw(st.integers(0, len(argv))), "lenet5")
    if draw(st.booleans()):
        at = draw(st.integers(0, len(argv)))
        argv[at:at] = [draw(st.sampled_from(["-H", "--hardware"])), "stm32f746"]
    return argv


_PLAIN_VALUES = {
    int: st.integers(0, 10**18 - 1).map(str),
    float: st.from_regex(run_core._FLOAT, fullmatch=True),
    str: st.one_of(st.just("-"), st.text(max_size=8).filter(lambda t: not t.startswith("-"))),
}


@st.composite
def _plain_command_lines(draw: st.DrawFn) -> list[str]:
    """WORKLOAD and options each given once, with values of their type, in any order."""
    spellings = _group_options()
    chosen = draw(st.lists(st.sampled_from(sorted(spellings)), unique=True, max_size=8))
    workload = draw(st.text(min_size=1, max_size=8).filter(lambda t: not t.startswith("-")))
    units = [[workload]]
    for param in dict.fromkeys(["hardware", *chosen]):
        opt = draw(st.sampled_from(spellings[param]))
        if opt in _FLAG_OPTIONS:
            units.append([opt])
            continue
        value = draw(_PLAIN_VALUES[_VALUE_OPTIONS[opt][1]])
        use_eq = opt.startswith("--") and draw(st.booleans())
        units.append([f"{opt}={value}"] if use_eq else [opt, value])
    return [token for unit in draw(st.permutations(units)) for token in unit]


def _group_options() -> dict[str, list[str]]:
    """Each parameter's spellings (value options and flags)."""
    out: dict[str, list[str]] = {}
    for opt, (param, _) in [*_VALUE_OPTIONS.items(), *_FLAG_OPTIONS.items()]:
        out.setdefault(param, []).append(opt)
    return out


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(_command_lines(), _plain_command_lines()))
@example(["lenet5", "-H", "stm32f746", "--dtype", "int8"])
@example(["lenet5", "--hardware=stm32f746", "--json", "-", "--batch", "4", "--width", "0.35"])
@example(["lenet5", "-H", "x", "--ep", "--no-strict-memory", "--rate", "1e-3"])
@example(["-H", "x", "lenet5", "--rate", "2.5E+02", "--tp", "0"])
def test_what_runs_without_typer_typer_reads_alike(argv: list[str]) -> None:
    args = parse_run_args(argv)
    if args is None:
        return  # Typer's to read (and to complain about)
    status, got = _typer_reads(argv)
    assert status == 0
    assert got == _with_defaults(args)
    assert {k: type(v) for k, v in got.items()} == {
        k: type(v) for k, v in _with_defaults(args).items()
    }


def test_plain_command_lines_are_read_without_typer() -> None:
    assert parse_run_args(["lenet5", "-H", "stm32f746", "--dtype", "int8"]) == {
        "workload": "lenet5",
        "hardware": "stm32f746",
        "dtype": "int8",
    }
    assert parse_run_args(["m.onnx", "--hardware=a100", "--json", "-", "--no-ep"]) == {
        "workload": "m.onnx",
        "hardware": "a100",
        "json_out": "-",
        "ep": False,
    }
    for argv in (
        ["lenet5", "-H", "x", "--help"],  # help
        ["lenet5"],  # no chip: Typer says which option is missing
        ["-H", "x"],  # no workload
        ["lenet5", "-H", "x", "--batch", "x"],  # Typer's message for a bad number
        ["lenet5", "-H", "x", "--batch", "-3"],  # a value that looks like an option
        ["lenet5", "-H", "x", "--batch", "2", "--batch", "3"],  # given twice
        ["lenet5", "-Hx"],  # short option with its value attached
        ["lenet5", "-H=x"],  # (click reads the value '=x')
        ["lenet5", "-H", "x", "--dim", "n=1"],
        ["lenet5", "-H", "x", "--patches", "4x4"],
        ["lenet5", "-H", "x", "--ep=1"],
        ["lenet5", "-H", "x", "extra"],
        ["lenet5", "-H", "x", "--rate", "nan"],
        ["lenet5", "-H", "x", "--"],
    ):
        assert parse_run_args(argv) is None, argv


def _hwsim(*args: str) -> subprocess.CompletedProcess[str]:
    code = "import sys\nsys.argv = ['hwsim', *sys.argv[1:]]\nfrom hwsim.cli import main\nmain()\n"
    return subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=60
    )


def test_a_failing_run_without_typer_exits_like_typer() -> None:
    # No such chip: the library's message, one line, status 2, as through Typer.
    fast = _hwsim("run", "lenet5", "-H", "no-such-chip")
    assert fast.returncode == 2
    assert fast.stderr.startswith("error: ") and "no-such-chip" in fast.stderr
    via_typer = runner.invoke(app, ["run", "lenet5", "-H", "no-such-chip"])
    assert via_typer.exit_code == 2
    assert " ".join(via_typer.output.split()) == " ".join(fast.stderr.split())


@pytest.mark.parametrize(
    ("extra", "during"),
    [((), False), (("--plots", "{tmp}"), True), (("--html", "{tmp}/r.html"), True)],
)
def test_a_run_without_typer_collects_no_garbage_while_it_runs_and_then_does(
    tmp_path: Path, extra: tuple[str, ...], during: bool
) -> None:
    # (plots and HTML draw with matplotlib, whose figures are cycles: those runs collect)
    argv = ["hwsim", "run", "lenet5", "-H", "stm32f746", *(e.format(tmp=tmp_path) for e in extra)]
    code = (
        "import gc, sys\n"
        f"sys.argv = {argv!r}\n"
        "import hwsim.commands.run_core as rc\n"
        "real = rc.run_command\n"
        "def spy(**kw):\n"
        "    sys.stderr.write(f'DURING {gc.isenabled()}\\n')\n"
        "    real(**kw)\n"
        "rc.run_command = spy\n"
        "from hwsim.cli import main\n"
        "main()\n"
        "sys.stderr.write(f'AFTER {gc.isenabled()}\\n')\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert "lenet5" in proc.stdout
    assert f"DURING {during}" in proc.stderr and "AFTER True" in proc.stderr


@pytest.mark.parametrize("vendored", [True, False])
def test_a_run_without_typer_exits_quietly_on_a_closed_pipe(vendored: bool) -> None:
    # `hwsim run ... | head`: status 1 and no traceback, as through Typer; also with a typer
    # older than 0.26 (pyproject allows 0.12), which has no typer._click but click itself.
    if not vendored:
        pytest.importorskip("click")
    code = (
        "import sys\n"
        f"if not {vendored}: sys.modules['typer._click'] = None\n"
        "sys.argv = ['hwsim', 'run', 'lenet5', '-H', 'stm32f746']\n"
        "import hwsim.commands.run_core as rc\n"
        "def closed(**kw):\n"
        "    raise BrokenPipeError(32, 'Broken pipe')\n"
        "rc.run_command = closed\n"
        "from hwsim.cli import main\n"
        "main()\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert (proc.returncode, proc.stderr) == (1, "")
