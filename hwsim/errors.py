"""Exceptions whose message is a complete one-line explanation for the user."""

from __future__ import annotations


class HwsimError(Exception):
    """Base of all user-facing errors: the CLI prints the message and exits non-zero.

    A library message names parameters as the Python API spells them, in backticks
    (`` `strict_memory` ``); ``params`` lists the names it cites so that a front end can show
    them in its own spelling (the CLI writes ``--strict-memory``).
    """

    def __init__(self, message: str, *, params: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.params = params

    def spelled(self, spell: dict[str, str] | None = None) -> str:
        """The message with each cited parameter written as ``spell`` maps it
        (default: a command-line flag, ``strict_memory`` -> ``--strict-memory``)."""
        text = str(self)
        for p in self.params:
            text = text.replace(f"`{p}`", (spell or {}).get(p, "--" + p.replace("_", "-")))
        return text


class SpecError(HwsimError):
    """A hardware spec, profile or override is invalid (message names file and field)."""


class WorkloadError(HwsimError):
    """A workload definition, model file or parameter is invalid (message names the op/field)."""


class SimulationError(HwsimError):
    """The simulation cannot be carried out (e.g. the model does not fit, with strict_memory)."""
