"""The loader: where names and paths become objects, above the engine.

``hwsim.simulate`` accepts built-in names, file paths or loaded objects; this module turns
them into a :class:`Workload`, a :class:`HardwareSpec` and a :class:`SoftwareProfile` and
hands those to the pure engine (:func:`hwsim.engine.simulate`).

Rule for workload parameters: ``batch``, ``dtype`` and model parameters given to
:func:`simulate` (re)parameterise the workload. With a name or path they are passed to
``load_workload``; with a loaded workload object it is rebuilt from what it was loaded from,
the given parameters replacing the ones it was loaded with, so
``simulate(load_workload("resnet50"), chip, dtype="fp16")`` equals
``simulate("resnet50", chip, dtype="fp16")``. A workload built in code cannot be rebuilt:
then the error shows the call that works.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hwsim import engine
from hwsim.engine.result import SimulationResult
from hwsim.hardware.loader import load_hardware, resolve_profile
from hwsim.hardware.models import HardwareSpec, SoftwareProfile
from hwsim.workload.ir import DecoderWorkload, Workload
from hwsim.workload.registry import load_workload

AnyWorkload = Workload | DecoderWorkload


def load(
    workload: str | Path | AnyWorkload,
    hardware: str | Path | HardwareSpec,
    *,
    profile: str | Path | SoftwareProfile | None = None,
    **params: Any,
) -> tuple[AnyWorkload, HardwareSpec, SoftwareProfile]:
    """The objects a simulation runs on: the workload (with ``params``), chip and profile.

    Args:
        workload: built-in name, model file path, or a loaded workload.
        hardware: built-in chip name, spec path, or a HardwareSpec.
        profile: software profile name on the chip, a profile YAML path, or None (default).
        **params: workload parameters (batch, dtype, resolution, seq_len, ...); None is ignored.
    """
    spec = load_hardware(hardware)
    prof = resolve_profile(spec, profile)
    if (
        params.get("dtype") is None
        and isinstance(workload, (str, Path))
        and spec.native_dtype() != "fp32"
    ):
        # No dtype given: the chip's native one (int8 on an int8-only accelerator); chips
        # that run fp32 keep the model's own dtype.
        params["dtype"] = spec.native_dtype()
    return load_workload(workload, **params), spec, prof


def simulate(
    workload: str | Path | AnyWorkload,
    hardware: str | Path | HardwareSpec,
    *,
    batch: int | None = None,
    dtype: str | None = None,
    profile: str | Path | SoftwareProfile | None = None,
    strict_memory: bool = False,
    **params: Any,
) -> SimulationResult:
    """Simulate one inference (or one LLM request) of ``workload`` on ``hardware``.

    Args:
        workload: built-in name, model file path, or a loaded workload.
        hardware: built-in chip name, spec path, or a HardwareSpec.
        batch: batch size (a tensor dimension; weights are read once per batch).
        dtype: fp32, fp16, bf16, fp8, int8, w8a8, w4a16, ...; None: the model's own dtype
            on a chip that runs fp32, else the chip's native dtype
            (``HardwareSpec.native_dtype()``, e.g. int8 on an int8-only accelerator).
        profile: software profile name on the chip, a profile YAML path, or None (default).
        strict_memory: raise SimulationError when the model does not fit.
        **params: model parameters (resolution, width, seq_len, prompt_len, gen_len, ...).

    Returns:
        The SimulationResult; latency in s, energy in J, FLOPs = 2 x MACs + non-MAC ops.
    """
    w, spec, prof = load(workload, hardware, profile=profile, batch=batch, dtype=dtype, **params)
    return engine.simulate(w, spec, prof, strict_memory=strict_memory)
