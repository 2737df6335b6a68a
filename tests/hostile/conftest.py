"""Hostile-input suite: the CLI is called in-process on inputs a careless or hostile user
might give. Every case must end with exit code 2 and exactly one ``error:`` line on stderr
(or be a sane accepted result), with no traceback and no warning, within a time limit (a
hang guard, not a speed test) and a memory limit (an address-space cap during the call).
"""

from __future__ import annotations

import os
import resource
import signal
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from hwsim.cli import app

TIME_LIMIT_S = 30
"""A case still running after this long is hung (each takes well under a second)."""
MEMORY_HEADROOM = 3 << 30
"""Address space a case may add to the test process (3 GiB) before allocations fail."""


@dataclass
class Outcome:
    """What one CLI call did."""

    code: int | None
    stdout: str
    stderr: str
    exception: BaseException | None
    warnings: list[str] = field(default_factory=list)

    @property
    def error_lines(self) -> list[str]:
        return [ln for ln in self.stderr.splitlines() if ln.strip()]


class _Hung(Exception):
    pass


def _on_alarm(signum: int, frame: Any) -> None:
    raise _Hung(f"the call ran longer than {TIME_LIMIT_S} s")


def _address_space() -> int:
    try:
        with open("/proc/self/statm", encoding="ascii") as fh:
            return int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:  # pragma: no cover - not Linux
        return 0


@pytest.fixture
def cli() -> Iterator[Callable[..., Outcome]]:
    """cli(args, input=None) -> Outcome, under the time and memory limits."""
    runner = CliRunner()

    def call(args: Sequence[str], input: str | bytes | None = None) -> Outcome:
        old_handler = signal.signal(signal.SIGALRM, _on_alarm)
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        used = _address_space()
        if used:
            cap = used + MEMORY_HEADROOM
            if hard != resource.RLIM_INFINITY:
                cap = min(cap, hard)
            resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
        signal.alarm(TIME_LIMIT_S)
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                res = runner.invoke(app, [str(a) for a in args], input=input)
        finally:
            signal.alarm(0)
            resource.setrlimit(resource.RLIMIT_AS, (soft, hard))
            signal.signal(signal.SIGALRM, old_handler)
        noise = [
            f"{w.category.__name__}: {w.message}"
            for w in caught
            if not issubclass(w.category, DeprecationWarning | PendingDeprecationWarning)
        ]
        return Outcome(res.exit_code, res.stdout, res.stderr, res.exception, noise)

    yield call


def assert_clean_error(out: Outcome, *needles: str) -> str:
    """Exit 2, one ``error:`` line on stderr naming ``needles``, no traceback, no warning."""
    assert not isinstance(out.exception, _Hung), out.exception
    if out.exception is not None and not isinstance(out.exception, SystemExit):
        raise AssertionError(f"uncaught {type(out.exception).__name__}: {out.exception}")
    assert out.code == 2, (out.code, out.stderr[-2000:], out.stdout[-1000:])
    lines = out.error_lines
    assert len(lines) == 1, lines[:10]
    line = lines[0]
    assert line.startswith("error: "), line
    assert len(line) < 1000, f"message of {len(line)} characters"
    assert "Traceback" not in out.stderr + out.stdout
    assert not out.warnings, out.warnings
    for n in needles:
        assert n.lower() in line.lower(), (n, line)
    return line


def assert_clean_ok(out: Outcome) -> None:
    """Exit 0, no traceback, no warning noise."""
    if out.exception is not None and not isinstance(out.exception, SystemExit):
        raise AssertionError(f"uncaught {type(out.exception).__name__}: {out.exception}")
    assert out.code == 0, (out.code, out.stderr[-2000:])
    assert "Traceback" not in out.stderr + out.stdout
    assert not out.warnings, out.warnings


# ---------------------------------------------------------------------------- files


class Fifo:
    """A named pipe with no writer (reading it would block forever)."""


class Directory:
    """A directory where a file is expected."""


@dataclass
class Sparse:
    """A file of ``size`` bytes that takes no disk space (tests size limits)."""

    size: int


@dataclass
class Link:
    """A symlink to ``target`` (an absolute path or a name in the same folder)."""

    target: str


FileSpec = str | bytes | Fifo | Directory | Sparse | Link


def make_files(folder: Path, files: dict[str, FileSpec]) -> None:
    """Create the case's files in ``folder``."""
    for name, spec in files.items():
        p = folder / name
        p.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(spec, str):
            p.write_text(spec, encoding="utf-8")
        elif isinstance(spec, bytes):
            p.write_bytes(spec)
        elif isinstance(spec, Fifo):
            os.mkfifo(p)
        elif isinstance(spec, Directory):
            p.mkdir()
        elif isinstance(spec, Sparse):
            with open(p, "wb") as fh:
                fh.truncate(spec.size)
        else:
            target = spec.target if spec.target.startswith("/") else str(folder / spec.target)
            p.symlink_to(target)


def expand(args: Sequence[str], folder: Path) -> list[str]:
    """``{d}`` in an argument is the case's folder."""
    return [a.replace("{d}", str(folder)) for a in args]
