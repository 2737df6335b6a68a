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
from hwsim.engine.duty import with_duty_and_cost
from hwsim.engine.result import SimulationResult
from hwsim.errors import SimulationError
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
        and spec.native_dtype(prof) != "fp32"
    ):
        # No dtype given: the native one of the chip as the stack uses it (int8 on an
        # int8-only accelerator); chips that run fp32 keep the model's own dtype.
        params["dtype"] = spec.native_dtype(prof)
    return load_workload(workload, **params), spec, prof


def simulate(
    workload: str | Path | AnyWorkload,
    hardware: str | Path | HardwareSpec,
    /,
    *,
    batch: int | None = None,
    dtype: str | None = None,
    profile: str | Path | SoftwareProfile | None = None,
    strict_memory: bool = False,
    tp: int = 1,
    pp: int = 1,
    microbatches: int = 1,
    ep: bool = False,
    clock: float | str | None = None,
    operating_point: str | None = None,
    power_cap: float | str | None = None,
    rate: float | None = None,
    battery: str | None = None,
    electricity_price: float | None = None,
    carbon_intensity: float | None = None,
    chip_price: float | None = None,
    lifetime_years: float | None = None,
    optimize: str = "latency",
    **params: Any,
) -> SimulationResult:
    """Simulate one inference (or one LLM request) of ``workload`` on ``hardware``.

    Args:
        workload: built-in name, model file path, or a loaded workload.
        hardware: built-in chip name, spec path, or a HardwareSpec.
        batch: batch size (a tensor dimension; weights are read once per batch).
        dtype: fp32, fp16, bf16, fp8, int8, w8a8, w4a16, ...; None: the model's own dtype
            on a chip that runs fp32, else the chip's native dtype
            (``HardwareSpec.native_dtype(profile)``, e.g. int8 on an int8-only accelerator).
        profile: software profile name on the chip, a profile YAML path, or None (default).
        strict_memory: raise SimulationError when the model does not fit.
        tp: tensor-parallel devices (needs a system: dgx-a100, dgx-h100, ...).
        pp: pipeline-parallel stages (consecutive layer ranges on successive devices).
        microbatches: micro-batches the batch is split into for the pipeline.
        ep: expert parallelism for MoE models: experts spread whole over the tp devices.
        clock: run at this clock (Hz, or "140 MHz"), at the voltage of the operating point
            that supports it; None: the nominal (highest) clock.
        operating_point: run at the spec's operating point of this name.
        power_cap: power cap in W (or "200 W") replacing the spec's ``power.cap``.
        rate: inferences per second for a duty-cycle result (sleep power in between).
        battery: "1000 mAh@3.7V" or "3.7 Wh": battery life at ``rate``.
        electricity_price: USD per kWh -> USD per million inferences / tokens.
        carbon_intensity: gCO2e per kWh -> gCO2e per million inferences / tokens.
        chip_price: USD, spread over ``lifetime_years`` (default 3) at full utilisation.
        lifetime_years: service life of the chip for ``chip_price``.
        optimize: what each op's mapping search minimises, ``latency`` or ``energy``.
        **params: model parameters (resolution, width, seq_len, prompt_len, gen_len, ...).

    Returns:
        The SimulationResult; latency in s, energy in J, FLOPs = 2 x MACs + non-MAC ops.
        On a system, ``result.parallel`` adds tp, pp, communication time and bytes, link
        energy, the pipeline bubble and memory per device (docs/systems.md).
    """
    from hwsim.hardware.loader import find_system, load_system
    from hwsim.hardware.system import SystemSpec

    is_system = isinstance(hardware, SystemSpec) or (
        not isinstance(hardware, HardwareSpec) and find_system(hardware) is not None
    )
    if is_system or (tp, pp, microbatches) != (1, 1, 1) or ep:
        if not is_system:
            name = hardware.name if isinstance(hardware, HardwareSpec) else str(hardware)
            raise SimulationError(
                f"{name} is one chip; `tp` and `pp` need a system (e.g. dgx-a100, dgx-h100, "
                "rtx4090-x8-pcie)",
                params=("tp", "pp"),
            )
        assert not isinstance(hardware, HardwareSpec)
        if clock is not None or operating_point is not None or power_cap is not None:
            raise SimulationError(
                "`clock`, `operating_point` and `power_cap` apply to one chip; systems run "
                "their devices at the nominal point",
                params=("clock", "operating_point", "power_cap"),
            )
        sys_spec, chip = load_system(hardware)
        prof = resolve_profile(chip, profile)
        w = load_workload(workload, batch=batch, dtype=dtype, **params)
        micro = None
        if microbatches > 1 and isinstance(w, DecoderWorkload) and w.batch % microbatches == 0:
            m = load_workload(workload, batch=w.batch // microbatches, dtype=dtype, **params)
            micro = m if isinstance(m, DecoderWorkload) else None
        if rate is not None or battery is not None:
            raise SimulationError(
                "`rate` and `battery` model one chip sleeping between inferences; a system "
                "has no sleep power",
                params=("rate", "battery"),
            )
        result = engine.simulate_parallel(
            w,
            sys_spec,
            chip,
            prof,
            tp=tp,
            pp=pp,
            microbatches=microbatches,
            ep=ep,
            micro=micro,
            strict_memory=strict_memory,
        )
        return with_duty_and_cost(
            result,
            chip,
            electricity_price=electricity_price,
            carbon_intensity=carbon_intensity,
            chip_price=chip_price,
            lifetime_years=lifetime_years,
        )
    w, spec, prof = load(workload, hardware, profile=profile, batch=batch, dtype=dtype, **params)
    result = engine.simulate(
        w,
        spec,
        prof,
        strict_memory=strict_memory,
        clock=clock,
        operating_point=operating_point,
        power_cap=power_cap,
        optimize=optimize,
    )
    return with_duty_and_cost(
        result,
        spec,
        rate=rate,
        battery=battery,
        electricity_price=electricity_price,
        carbon_intensity=carbon_intensity,
        chip_price=chip_price,
        lifetime_years=lifetime_years,
    )
