"""The library names parameters and fields in its errors; only the CLI speaks in flags."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import hwsim
from hwsim.errors import HwsimError

PACKAGE = Path(hwsim.__file__).parent
FLAG = re.compile(r"(?<![\w-])--[a-z][a-z0-9-]*")


def _raised_texts(tree: ast.AST) -> list[tuple[int, str]]:
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Raise) and node.exc is not None:
            for c in ast.walk(node.exc):
                if isinstance(c, ast.Constant) and isinstance(c.value, str):
                    out.append((c.lineno, c.value))
    return out


def test_no_cli_flag_in_library_errors() -> None:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).as_posix()
        if rel == "cli.py" or rel.startswith("commands/"):
            continue
        for line, text in _raised_texts(ast.parse(path.read_text(encoding="utf-8"))):
            if FLAG.search(text):
                found.append(f"hwsim/{rel}:{line}: {text[:80]!r}")
    assert not found, "library errors mention CLI flags:\n" + "\n".join(found)


def test_the_cli_spells_cited_parameters_as_flags() -> None:
    exc = HwsimError("give `requests` or `duration`, not both", params=("requests", "duration"))
    assert exc.spelled() == "give --requests or --duration, not both"
    assert HwsimError("x `dims` y", params=("dims",)).spelled({"dims": "--dim"}) == "x --dim y"
    # a name that is not cited stays as it is
    assert HwsimError("`rate` too low").spelled() == "`rate` too low"
