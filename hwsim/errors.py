"""Exceptions whose message is a complete one-line explanation for the user."""

from __future__ import annotations


class HwsimError(Exception):
    """Base of all user-facing errors: the CLI prints the message and exits non-zero."""


class SpecError(HwsimError):
    """A hardware spec, profile or override is invalid (message names file and field)."""


class WorkloadError(HwsimError):
    """A workload definition, model file or parameter is invalid (message names the op/field)."""


class SimulationError(HwsimError):
    """The simulation cannot be carried out (e.g. the model does not fit, with --strict-memory)."""
