"""Hardware spec data model (pydantic v2, frozen, ``extra="forbid"``).

Quantities are unit strings in files and SI floats here (see :mod:`hwsim.units`).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, model_validator

from hwsim.hardware.quantity import (
    AmperesPerHertz,
    Bytes,
    BytesPerSecond,
    Hertz,
    JoulesPerByte,
    JoulesPerMac,
    JoulesPerOp,
    OpsPerSecond,
    PositiveWatts,
    Seconds,
    Volts,
    Watts,
)
from hwsim.vocabulary import DTYPE_BYTES, OP_CLASSES, DType, Fusion, OpClass

SCHEMA_VERSION = 1

MAX_INSTANCES = 1_000_000
"""Most identical compute instances or memory copies (a GPU has ~100 SMs; docs/limits.md)."""
MAX_ARRAY_DIM = 65_536
"""Largest MAC-array side (real arrays are 8..256)."""


def empty_list() -> list[Any]:
    """A new empty list: the default of the list fields.

    (Not ``default_factory=list``: pydantic reads a default factory's signature, and that of
    the builtin ``list`` is parsed from its text with ``tokenize``, ~4 ms of every ``hwsim
    run``'s start for these fields.)
    """
    return []


class Frozen(BaseModel):
    """Base: immutable, no unknown keys."""

    model_config = ConfigDict(frozen=True, extra="forbid", use_enum_values=False)

    @model_validator(mode="before")
    @classmethod
    def _no_empty_fields(cls, data: Any, info: ValidationInfo) -> Any:
        """In a file, ``clock:`` with nothing after it is a mistake, not "no clock"."""
        if isinstance(data, dict) and info.context and info.context.get("strict_units"):
            empty = [str(k) for k, v in data.items() if v is None]
            if empty:
                raise ValueError(f"{empty[0]}: empty value (give a value or leave the field out)")
        return data


MemoryKind = Literal["register", "sram", "cache", "dram", "hbm", "flash"]
Residency = Literal["weights", "activations"]
ChipKind = Literal["mcu", "mobile_soc", "npu", "gpu", "cpu", "accelerator"]
OFF_CHIP_KINDS = ("dram", "hbm", "flash")
_BOTH: tuple[Residency, ...] = ("weights", "activations")


LoopDim = Literal["C", "FX", "FY", "K", "OX", "OY", "B"]
"""Loop dims of a conv/GEMM that an array axis may unroll: C input channels, FX/FY kernel
width/height, K output channels, OX/OY output pixels, B batch (a GEMM is C = reduction,
K = output features, OX = rows)."""


class ArrayShape(Frozen):
    """Spatial MAC array: which loop dims each axis unrolls (spatial utilisation follows)."""

    rows: int = Field(ge=1, le=MAX_ARRAY_DIM, description="PE rows")
    cols: int = Field(ge=1, le=MAX_ARRAY_DIM, description="PE columns")
    row_dims: list[LoopDim] = Field(
        default_factory=lambda: list[LoopDim](["C", "FX", "FY"]),
        description="loop dims unrolled over the rows (their product, like im2col); default "
        "the whole reduction C x FX x FY; ZigZag's tpu_like unrolls C only",
    )
    col_dims: list[LoopDim] = Field(
        default_factory=lambda: list[LoopDim](["K"]),
        description="loop dims unrolled over the columns (default K, the output channels)",
    )

    @model_validator(mode="after")
    def _check_dims(self) -> ArrayShape:
        both = sorted(set(self.row_dims) & set(self.col_dims))
        if both:
            raise ValueError(f"row_dims and col_dims share {', '.join(both)}")
        if not self.row_dims or not self.col_dims:
            raise ValueError("row_dims and col_dims need at least one loop dim each")
        return self


class ComputeUnit(Frozen):
    """A group of identical compute engines (MAC array, tensor cores, vector unit, CPU core)."""

    name: str = Field(description="unique name, used in dotted paths (compute.NAME.count)")
    kind: Literal["mac_array", "tensor_core", "vector", "cpu_core", "npu_core", "dsp"] = Field(
        description="engine type"
    )
    count: int = Field(
        default=1, ge=1, le=MAX_INSTANCES, description="number of identical instances"
    )
    clock: Hertz | None = Field(default=None, description="clock frequency (Hz)")
    peak: dict[DType, OpsPerSecond] = Field(
        default_factory=dict,
        description="peak MAC-op throughput of ONE instance per dtype, in op/s (1 MAC = 2 op)",
    )
    array: ArrayShape | None = Field(
        default=None, description="rows x cols of one instance's MAC array, for spatial utilisation"
    )
    fp16_accumulate_peak: OpsPerSecond | None = Field(
        default=None,
        description="peak of ONE instance for fp16 MACs accumulated in fp16, op/s, where it "
        "differs from peak.fp16 (which accumulates in fp32): GeForce tensor cores run fp16 "
        "accumulation at twice the rate; used by profiles with fp16_accumulate",
    )
    vector_peak: OpsPerSecond | None = Field(
        default=None,
        description="throughput of ONE instance for non-MAC element ops (activations, norms), op/s",
    )
    energy_per_mac: dict[DType, JoulesPerMac] = Field(
        default_factory=dict,
        description="energy of one MAC (multiply + add) per dtype, J/MAC ('pJ/op' counts 2 op "
        "per MAC)",
    )
    energy_per_vector_op: JoulesPerOp | None = Field(
        default=None, description="energy of one non-MAC element op"
    )
    accumulator_bits: int = Field(
        default=32,
        ge=8,
        le=128,
        description="width of partial sums (int32 / fp32 by default); partial-sum tiles "
        "and spills move at this width",
    )
    register_file: Bytes | None = Field(
        default=None,
        description="operand storage inside ONE instance (registers / PE scratchpads), bytes; "
        "on a unit with 'cores' (a GPU), the register file of one core (SM)",
    )
    cores: int = Field(
        default=1,
        ge=1,
        le=MAX_INSTANCES,
        description="independent cores one instance is made of (a GPU's SMs), sharing its "
        "peak evenly: output tiles are spread over them in waves",
    )
    simd_bits: int | None = Field(
        default=None,
        ge=8,
        le=65_536,
        description="SIMD register width in bits of a CPU core (lanes = bits / dtype bits): "
        "the innermost output dim is padded to whole lanes",
    )
    mapper: Literal["array", "gpu", "cpu"] | None = Field(
        default=None,
        description="how ops are mapped onto the unit (default from kind: mac_array and "
        "npu_core -> array, tensor_core -> gpu, cpu_core, dsp and vector -> cpu)",
    )
    description: str = Field(default="", description="free text")

    @model_validator(mode="after")
    def _check(self) -> ComputeUnit:
        if not self.peak and self.vector_peak is None:
            raise ValueError("a compute unit needs 'peak' (MAC work) or 'vector_peak' or both")
        missing = [d.value for d in self.peak if d not in self.energy_per_mac]
        if self.peak and missing:
            raise ValueError(f"energy_per_mac missing for dtype(s) {', '.join(missing)}")
        if self.vector_peak is not None and self.energy_per_vector_op is None:
            raise ValueError("energy_per_vector_op is required when vector_peak is given")
        return self

    @property
    def mapper_kind(self) -> str:
        """The mapper this unit uses: array, gpu or cpu."""
        if self.mapper is not None:
            return self.mapper
        if self.kind == "tensor_core":
            return "gpu"
        if self.kind in ("mac_array", "npu_core") and self.array is not None:
            return "array"
        return "cpu"

    def with_fp16_accumulate(self) -> ComputeUnit:
        """This unit as a stack that accumulates fp16 GEMMs in fp16 sees it (its fp16 peak)."""
        if self.fp16_accumulate_peak is None or DType.fp16 not in self.peak:
            return self
        peak = {**self.peak, DType.fp16: self.fp16_accumulate_peak}
        return self.model_copy(update={"peak": peak})

    def total_peak(self, dtype: str) -> float:
        """Peak op/s (2 op per MAC) of all instances for ``dtype``; 0 when unsupported."""
        return self.count * self.peak.get(DType(dtype), 0.0)

    def mac_energy(self, dtype: str) -> float:
        """Energy of one MAC in joules for ``dtype``."""
        return self.energy_per_mac[DType(dtype)]


RESERVED_LEVEL_NAMES = frozenset({"compute", "fused", "link", "memory", "overhead", "static"})
"""Names a memory level can't take: a run's energy breakdown has one entry per level beside
``compute``, ``static`` and ``link``, and its bound times one per level beside ``compute``,
``overhead``, ``fused`` and ``memory`` (a memory-bound layer with no level)."""


class MemoryLevel(Frozen):
    """One level of the memory hierarchy."""

    name: str = Field(description="unique name, used in dotted paths (memory.NAME.bandwidth)")
    kind: MemoryKind = Field(description="technology of the level")
    capacity: Bytes = Field(description="total capacity, bytes")
    bandwidth: BytesPerSecond = Field(description="read bandwidth, B/s (also write unless given)")
    write_bandwidth: BytesPerSecond | None = Field(
        default=None, description="write bandwidth, B/s (defaults to bandwidth)"
    )
    energy: JoulesPerByte = Field(description="read energy per byte (also write unless given)")
    write_energy: JoulesPerByte | None = Field(
        default=None, description="write energy per byte (defaults to energy)"
    )
    latency: Seconds = Field(default=0.0, description="access latency, s")
    duplex: bool | None = Field(
        default=None,
        description="reads and writes use separate ports, so a level's busy time is the "
        "larger of the two instead of their sum (default: true for registers only)",
    )
    instances: int = Field(
        default=1,
        ge=1,
        le=MAX_INSTANCES,
        description="private copies the capacity is split into (one per SM or core): a tile "
        "must fit one instance",
    )
    holds: list[Residency] = Field(
        default_factory=empty_list,
        description="tensors that may live here between ops (weights, activations)",
    )
    serves: list[Residency] = Field(
        default_factory=lambda: list(_BOTH),
        description="operands that pass through this level on their way to the compute units",
    )
    description: str = Field(default="", description="free text")

    @property
    def read_bw(self) -> float:
        """Read bandwidth, B/s."""
        return self.bandwidth

    @property
    def write_bw(self) -> float:
        """Write bandwidth, B/s."""
        return self.write_bandwidth if self.write_bandwidth is not None else self.bandwidth

    @property
    def read_j_per_byte(self) -> float:
        """Read energy, J/B."""
        return self.energy

    @property
    def write_j_per_byte(self) -> float:
        """Write energy, J/B."""
        return self.write_energy if self.write_energy is not None else self.energy

    @property
    def separate_ports(self) -> bool:
        """True when reads and writes do not share a port (see ``duplex``)."""
        return self.duplex if self.duplex is not None else self.kind == "register"

    @property
    def off_chip(self) -> bool:
        """True for DRAM, HBM and flash."""
        return self.kind in OFF_CHIP_KINDS


class OperatingPoint(Frozen):
    """One DVFS state: a clock and the core voltage it needs (datasheet or V/f table)."""

    name: str = Field(description="short name, e.g. 'base' or 'vos1' (--operating-point NAME)")
    clock: Hertz = Field(description="clock of every compute unit at this point, Hz")
    voltage: Volts = Field(description="core supply voltage at this clock, V")
    run_current: AmperesPerHertz | None = Field(
        default=None,
        description="MCUs: datasheet run-mode current per MHz at this point (A/Hz; write "
        "'uA/MHz'), replacing power.run_current",
    )
    idle_power: Watts | None = Field(
        default=None,
        description="measured power with the chip awake at this point but idle, W; replaces "
        "the V-scaled power.static",
    )


class Power(Frozen):
    """Chip-level power: leakage, operating points (DVFS), power cap, MCU run current, sleep.

    Per-op energies and ``static`` are stated at the nominal point: the highest compute clock
    at ``voltage``. At another point dynamic energy per action scales with (V/V0)^2 and
    leakage power with V/V0 (docs/hardware.md, "Operating points").
    """

    static: Watts = Field(
        description="leakage / idle power at the nominal voltage, drawn whenever the chip is on, W"
    )
    cap: PositiveWatts | None = Field(
        default=None,
        description="power cap / TDP, W: an op whose power would exceed it runs at the highest "
        "operating point that fits",
    )
    cap_window: Seconds = Field(
        default=0.0,
        description="time the power limiter averages over, s: consecutive ops are throttled "
        "together when their average power exceeds the cap (0: each op on its own)",
    )
    voltage: Volts | None = Field(
        default=None,
        description="nominal core voltage, V (where per-op energies and static are stated); "
        "required with operating_points",
    )
    clock: Hertz | None = Field(
        default=None,
        description="clock the chip runs at, Hz (default: the nominal, highest clock); the "
        "voltage is that of the operating point that supports it. Sweeps vary it as "
        "power.clock",
    )
    operating_points: list[OperatingPoint] = Field(
        default_factory=empty_list,
        description="DVFS states below the nominal clock (the nominal point is implicit)",
    )
    run_current: AmperesPerHertz | None = Field(
        default=None,
        description="MCUs: datasheet run-mode supply current per MHz at supply_voltage (A/Hz; "
        "write 'uA/MHz'): power while running = supply_voltage x run_current x clock",
    )
    supply_voltage: Volts | None = Field(
        default=None, description="supply voltage that run_current and sleep are quoted at, V"
    )
    sleep: Watts | None = Field(
        default=None,
        description="power between inferences in the lowest state that keeps the model in "
        "memory (Stop mode on MCUs, idle on GPUs), W; used by duty-cycle results",
    )

    @model_validator(mode="after")
    def _check(self) -> Power:
        if self.operating_points and self.voltage is None:
            raise ValueError("operating_points need 'voltage' (the nominal core voltage)")
        if self.run_current is not None and self.supply_voltage is None:
            raise ValueError("run_current needs 'supply_voltage' (the voltage it is quoted at)")
        names = [p.name for p in self.operating_points]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ValueError(f"operating_points: duplicate name(s) {', '.join(dup)}")
        if "nominal" in names:
            raise ValueError("operating_points: 'nominal' is the implicit top point; rename it")
        return self


class Source(Frozen):
    """Where numbers came from."""

    id: str = Field(description="short key")
    title: str = Field(description="document title")
    url: str | None = Field(default=None, description="link, if public")
    fields: list[str] = Field(
        default_factory=empty_list, description="dotted fields this source backs"
    )
    quote: str | None = Field(default=None, description="short excerpt as found")


class Estimate(Frozen):
    """A number with no published source, and how it was derived."""

    field: str = Field(description="dotted field path(s) that are estimated")
    reasoning: str = Field(description="the derivation")


class ProfileEfficiency(Frozen):
    """Achievable fraction of peak per op class (0 < e <= 1)."""

    gemm: float = Field(default=0.8, gt=0, le=1, description="linear / matmul")
    conv: float = Field(default=0.7, gt=0, le=1, description="dense and grouped convolution")
    depthwise: float = Field(default=0.3, gt=0, le=1, description="depthwise convolution")
    elementwise: float = Field(
        default=0.5, gt=0, le=1, description="activations, norms, softmax, pooling, residual adds"
    )
    attention: float = Field(default=0.6, gt=0, le=1, description="QK^T, softmax, AV")
    data: float = Field(default=1.0, gt=0, le=1, description="reshape/concat/transpose copies")

    def of(self, op_class: OpClass) -> float:
        """Achievable fraction of peak (0..1] for ops of ``op_class``."""
        value: float = getattr(self, op_class)
        return value


assert tuple(ProfileEfficiency.model_fields) == OP_CLASSES, "one efficiency field per op class"


class SoftwareProfile(Frozen):
    """A software stack on a chip: achievable efficiency, overheads, fusions, memory planning."""

    schema_version: Literal[1] = Field(default=1, description="profile format version")
    name: str = Field(description="profile name, e.g. tensorrt, tflm")
    description: str = Field(default="", description="what stack this models")
    efficiency: ProfileEfficiency = Field(
        default_factory=ProfileEfficiency, description="fraction of peak compute per op class"
    )
    bandwidth_efficiency: float = Field(
        default=0.85, gt=0, le=1, description="achievable fraction of every memory bandwidth"
    )
    overhead_per_op: Seconds = Field(
        default=0.0, description="fixed cost per executed op (kernel launch, interpreter dispatch)"
    )
    overhead_per_quantized_gemm: Seconds = Field(
        default=0.0,
        description="extra fixed cost per GEMM whose weights are in a block-quantised format "
        "(q4_0, int4_g128, ...): the kernel that prepares its activations (llama.cpp's CUDA "
        "backend quantises them to q8_1 before each quantised mat-vec)",
    )
    overhead_per_run: Seconds = Field(
        default=0.0,
        description="fixed cost once per inference / request before the first op (host "
        "launch, input upload, synchronisation, runtime setup)",
    )
    prefetch_weights: bool | None = Field(
        default=None,
        description="the next op's weights are fetched while the current op computes when "
        "the level they are staged in can hold them twice (double buffering across ops); "
        "default: on for chips with DMA engines (npu, accelerator, mobile_soc), off for "
        "gpu, cpu and mcu (a kernel or loop starts its loads when it starts)",
    )
    partial_weight_cache: bool = Field(
        default=False,
        description="when the weights do not all fit in the nearest level that holds weights, "
        "the stack keeps there what fits (the first ops' weights, in execution order, beside "
        "the activations placed there) and streams only the rest from the level the weights "
        "are placed in, as the Edge TPU compiler caches parameters on chip; false: all of "
        "them are read from that level",
    )
    fold_batchnorm: bool = Field(
        default=True,
        description="batch norm right after a conv/linear is folded into its weights at "
        "deployment (costs nothing); false for stacks that execute it",
    )
    fusions: list[Fusion] = Field(
        default_factory=empty_list,
        description="ops folded into their producer: activation, norm, elementwise, attention",
    )
    fp16_accumulate: bool = Field(
        default=False,
        description="the stack's fp16 GEMMs accumulate in fp16 (cuBLAS CUBLAS_COMPUTE_16F, as "
        "llama.cpp's CUDA backend): units with fp16_accumulate_peak run them at that rate",
    )
    compute_units: list[str] = Field(
        default_factory=empty_list,
        description="names of the compute units this stack runs on (e.g. only the CPU cores "
        "for tflite-cpu on a chip with an NPU); empty = every unit",
    )
    memory_planning: Literal["liveness", "inplace", "naive"] = Field(
        default="liveness",
        description="activation arena: liveness (reuse dead tensors), inplace (also reuse "
        "inputs of in-place ops), naive (every tensor has its own buffer)",
    )
    comm_overlap: float = Field(
        default=0.0,
        ge=0,
        le=1,
        description="fraction of each collective (tensor-parallel all-reduce) hidden behind "
        "compute; 0 = on the critical path, as in vLLM and TensorRT-LLM's default kernels",
    )
    sources: list[Source] = Field(
        default_factory=empty_list, description="where the factors came from"
    )
    estimated: list[Estimate] = Field(default_factory=empty_list, description="derived factors")


IMPLIED_PROFILE = "default"
"""Name of the profile a spec without ``profiles`` gets (SoftwareProfile defaults)."""


class HardwareSpec(Frozen):
    """A chip: compute units, memory hierarchy (nearest first), power, sources, profiles."""

    schema_version: Literal[1] = Field(description="spec format version (1)")
    name: str = Field(description="unique chip name, e.g. a100-80gb-sxm")
    kind: ChipKind = Field(description="chip class")
    description: str = Field(default="", description="one-line summary")
    process_node: str | None = Field(default=None, description="e.g. 'TSMC 7 nm'")
    compute: list[ComputeUnit] = Field(min_length=1, description="compute units")
    memory: list[MemoryLevel] = Field(min_length=1, description="memory levels, nearest first")
    power: Power = Field(description="leakage, operating points, power cap, MCU run current")
    hypothetical: bool = Field(
        default=False,
        description="a made-up or what-if chip: 'sources' may be empty (say how the numbers "
        "were chosen in 'estimated' or in comments)",
    )
    default_profile: str = Field(
        default=IMPLIED_PROFILE,
        description="name of the profile used when none is asked for (optional with a "
        "single profile, or none: then the implied 'default' profile)",
    )
    profiles: dict[str, SoftwareProfile] = Field(
        default_factory=lambda: {IMPLIED_PROFILE: SoftwareProfile(name=IMPLIED_PROFILE)},
        min_length=1,
        description="software stacks on this chip, by name (default: one profile 'default' "
        "with the SoftwareProfile defaults, a well-tuned vendor stack)",
    )
    host_io: str | None = Field(
        default=None,
        description="name of the memory level a run's input tensors arrive over and its "
        "outputs leave over, once per inference, before the first op and after the last "
        "(the USB 3 / PCIe host link of an accelerator card); empty: they are already in "
        "the chip's memory",
    )
    sources: list[Source] = Field(
        default_factory=empty_list,
        description="citations for the numbers (required unless hypothetical: true)",
    )
    estimated: list[Estimate] = Field(
        default_factory=empty_list, description="numbers without a published source, with reasoning"
    )

    @model_validator(mode="before")
    @classmethod
    def _implied_default_profile(cls, data: Any) -> Any:
        # With a single profile, default_profile may be left out: it is that profile.
        if isinstance(data, dict) and "default_profile" not in data:
            profiles = data.get("profiles")
            if isinstance(profiles, dict) and len(profiles) == 1:
                data = {**data, "default_profile": next(iter(profiles))}
        return data

    @model_validator(mode="after")
    def _check(self) -> HardwareSpec:
        """Every cross-field problem at once (joined by '; '), each led by its field path."""
        problems: list[str] = []
        if not self.sources and not self.hypothetical:
            problems.append(
                "sources: cite where the numbers came from (id, title, url, fields), or mark "
                "a made-up chip 'hypothetical: true'"
            )
        if self.power.clock is not None:
            top = self.nominal_clock
            if top is None or self.power.clock > top * (1 + 1e-9):
                raise ValueError(
                    f"power.clock: {self.power.clock / 1e6:g} MHz is above the nominal clock "
                    f"({(top or 0) / 1e6:g} MHz, the highest compute-unit clock)"
                )
        if self.power.operating_points:
            top = self.nominal_clock
            if top is None:
                problems.append(
                    "power.operating_points: no compute unit has a 'clock' to scale from"
                )
            high = [p.name for p in self.power.operating_points if top and p.clock >= top]
            if high and top:
                problems.append(
                    f"power.operating_points: {', '.join(high)} at or above the nominal clock "
                    f"({top / 1e6:g} MHz, where the peaks are stated); list lower points only"
                )
        for what, names in (
            ("compute", [c.name for c in self.compute]),
            ("memory", [m.name for m in self.memory]),
        ):
            dup = sorted({n for n in names if names.count(n) > 1})
            if dup:
                problems.append(f"{what}: duplicate name(s) {', '.join(dup)}")
        taken = sorted({m.name for m in self.memory} & RESERVED_LEVEL_NAMES)
        if taken:
            problems.append(
                f"memory: level name(s) {', '.join(taken)} reserved for the parts of a run's "
                f"time and energy breakdown ({', '.join(sorted(RESERVED_LEVEL_NAMES))}): "
                "rename the level"
            )
        kinds = [m.kind for m in self.memory]
        first_off = next((i for i, k in enumerate(kinds) if k in OFF_CHIP_KINDS), len(kinds))
        late = [
            self.memory[i].name
            for i in range(first_off, len(kinds))
            if kinds[i] not in OFF_CHIP_KINDS
        ]
        if late:
            problems.append(
                f"memory: levels are nearest first, but on-chip level(s) {', '.join(late)} "
                f"come after off-chip {self.memory[first_off].name}"
            )
        if not any("weights" in m.holds for m in self.memory):
            problems.append("memory: no level 'holds' weights")
        if not any("activations" in m.holds for m in self.memory):
            problems.append("memory: no level 'holds' activations")
        if not any(c.peak for c in self.compute):
            problems.append("compute: no unit has a MAC 'peak'")
        if not any(c.vector_peak is not None for c in self.compute):
            problems.append("compute: no unit has a 'vector_peak' for element-wise work")
        if self.default_profile not in self.profiles:
            problems.append(
                f"default_profile: {self.default_profile!r} is not one of the profiles "
                f"({', '.join(self.profiles)})"
            )
        if self.host_io is not None and self.host_io not in [m.name for m in self.memory]:
            problems.append(
                f"host_io: no memory level named {self.host_io!r} "
                f"(has: {', '.join(m.name for m in self.memory)})"
            )
        units = [c.name for c in self.compute]
        for key, prof in self.profiles.items():
            if prof.name != key:
                problems.append(f"profiles.{key}.name: must equal its key, got {prof.name!r}")
            unknown = [u for u in prof.compute_units if u not in units]
            if unknown:
                problems.append(
                    f"profiles.{key}.compute_units: no compute unit named {', '.join(unknown)} "
                    f"(has: {', '.join(units)})"
                )
            chosen = [c for c in self.compute if c.name in prof.compute_units]
            if chosen and not (
                any(c.peak for c in chosen) and any(c.vector_peak is not None for c in chosen)
            ):
                problems.append(
                    f"profiles.{key}.compute_units: needs a unit with 'peak' and one with "
                    "'vector_peak'"
                )
        if problems:
            raise ValueError("; ".join(problems))
        return self

    @property
    def nominal_clock(self) -> float | None:
        """Highest compute-unit clock, Hz: the point the peaks and energies are stated at."""
        clocks = [c.clock for c in self.compute if c.clock is not None]
        return max(clocks) if clocks else None

    def level(self, name: str) -> MemoryLevel:
        """The memory level called ``name``."""
        for m in self.memory:
            if m.name == name:
                return m
        raise KeyError(f"{self.name}: no memory level {name!r}")

    def unit(self, name: str) -> ComputeUnit:
        """The compute unit called ``name``."""
        for c in self.compute:
            if c.name == name:
                return c
        raise KeyError(f"{self.name}: no compute unit {name!r}")

    def profile(self, name: str | None = None) -> SoftwareProfile:
        """The named software profile (default profile when ``name`` is None)."""
        key = name or self.default_profile
        if key not in self.profiles:
            raise KeyError(
                f"{self.name}: no profile {key!r} (has: {', '.join(sorted(self.profiles))})"
            )
        return self.profiles[key]

    def units_of(self, profile: SoftwareProfile | None) -> list[ComputeUnit]:
        """The compute units ``profile`` runs on (all of them when it names none)."""
        if profile is None or not profile.compute_units:
            return list(self.compute)
        return [c for c in self.compute if c.name in profile.compute_units]

    def native_dtype(self, profile: SoftwareProfile | None = None) -> str:
        """The dtype a run uses when none is given: ``fp32`` when some unit runs fp32
        (directly or as tf32), else the widest format the chip runs (``int8`` on an
        int8-only accelerator), a float format before an integer one of the same width
        (a model's own precision is float: fp16, not int16, on an NPU that runs both), then
        the higher peak.

        With ``profile``, only the units that software stack runs on count (a phone's NPU
        stack that never touches the fp32 CPU cores runs fp16, its widest format).
        """
        units = self.units_of(profile)
        if any(c.peak.get(DType.fp32) or c.peak.get(DType.tf32) for c in units):
            return "fp32"
        runs = {d.value for c in units for d, v in c.peak.items() if v}
        if not runs:
            return "fp32"
        return max(
            sorted(runs),
            key=lambda d: (
                DTYPE_BYTES[d],
                d.startswith(("fp", "bf", "tf")),
                max(c.total_peak(d) for c in units),
            ),
        )

    def summary(self) -> str:
        """One-line summary: best int8/fp16 peak, on-chip memory, off-chip bandwidth."""
        from hwsim.units import Dimension, format_quantity

        peaks: list[str] = []
        for dt in ("fp16", "int8", "fp32", "int16", "bf16"):
            p = max((c.total_peak(dt) for c in self.compute), default=0.0)
            if p and len(peaks) < 3:
                peaks.append(f"{format_quantity(p, Dimension.OPS_PER_S, digits=3)} {dt}")
        outer = self.memory[-1]
        onchip = sum(m.capacity for m in self.memory if not m.off_chip)
        return (
            f"{', '.join(peaks)}; on-chip {format_quantity(onchip, Dimension.BYTES, digits=3)}; "
            f"{outer.name} {format_quantity(outer.capacity, Dimension.BYTES, digits=3)} @ "
            f"{format_quantity(outer.read_bw, Dimension.BYTES_PER_S, digits=3)}"
        )
