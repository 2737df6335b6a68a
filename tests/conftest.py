"""Fixtures for the whole suite."""

from __future__ import annotations

import sys
from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True)
def _fresh_cli_consoles() -> Iterator[None]:
    """Forget the CLI's rich consoles after each test.

    rich reads ``COLUMNS`` when a Console is made, and ``hwsim``'s consoles are made on first
    use: without this, the width of whichever test printed first (a ``CliRunner`` env of
    ``COLUMNS=200``) would hold for every later test in the process.
    """
    yield
    console = sys.modules.get("hwsim.commands.console")
    if console is not None:
        for lazy in (console.out, console.err):
            lazy._console = None  # type: ignore[attr-defined]
