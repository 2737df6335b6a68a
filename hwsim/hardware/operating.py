"""Operating points (DVFS): a chip's clock/voltage states and the spec scaled to one of them.

The spec states peaks, bandwidths and per-action energies at the *nominal* point: the highest
compute clock, at ``power.voltage``. At a point with clock ``f`` and voltage ``V``
(``s = f / f0``, ``v = V / V0``):

- compute peaks and on-chip memory bandwidths (register, sram, cache) scale with ``s``, their
  access latencies with ``1 / s`` (they are so many cycles);
- dynamic energy per action (MAC, vector op, on-chip byte) scales with ``v**2``: switching
  energy is ``C V^2`` per transition (Rabaey, Chandrakasan and Nikolic, *Digital Integrated
  Circuits*, 2nd ed., sec. 5.5: ``P_dyn = alpha C V^2 f``);
- leakage power scales with ``v``: ``P_leak = V I_leak`` with the leakage current taken as
  constant over the range (the first-order model of the same section; it understates the drop
  at low voltage, where DIBL also lowers ``I_leak``);
- an MCU's run power is the datasheet's own model, ``P = V_supply x I_run(f)`` with ``I_run``
  the run-mode current per MHz times the clock;
- off-chip memories (DRAM, HBM, flash) keep their bandwidth and energy: they are on other
  clocks and supplies (embedded flash has a fixed access time in ns, so fewer wait states at a
  lower clock keep its bytes per second).

Pure functions of the spec: no workload, no simulation.
"""

from __future__ import annotations

from dataclasses import dataclass

from hwsim.errors import SpecError
from hwsim.hardware.models import HardwareSpec, MemoryLevel, SoftwareProfile

NOMINAL = "nominal"
"""Name of the implicit top operating point (the clock the spec's peaks are stated at)."""

_CLOCKED_KINDS = ("register", "sram", "cache")
CYCLE_OVERHEAD_KINDS = ("mcu", "cpu")
"""Chip kinds whose profile overheads (per op, per run) are core cycles, not host time."""


@dataclass(frozen=True)
class Point:
    """A resolved operating point: clock (Hz), core voltage (V), and ratios to the nominal."""

    name: str
    clock_hz: float
    voltage_v: float | None
    clock_ratio: float
    voltage_ratio: float
    run_current_a_per_hz: float | None = None
    idle_power_w: float | None = None

    @property
    def is_nominal(self) -> bool:
        """True at the nominal point (nothing is scaled)."""
        return self.clock_ratio == 1.0 and self.voltage_ratio == 1.0


def _nominal(spec: HardwareSpec) -> Point:
    f0 = spec.nominal_clock
    if f0 is None:
        raise SpecError(f"{spec.name}: no compute unit has a 'clock'; operating points need one")
    return Point(
        name=NOMINAL,
        clock_hz=f0,
        voltage_v=spec.power.voltage,
        clock_ratio=1.0,
        voltage_ratio=1.0,
        run_current_a_per_hz=spec.power.run_current,
    )


def operating_points(spec: HardwareSpec) -> list[Point]:
    """Every operating point of the chip, highest clock first (the nominal point first)."""
    top = _nominal(spec)
    pts = [top]
    v0 = spec.power.voltage
    for p in sorted(spec.power.operating_points, key=lambda p: -p.clock):
        assert v0 is not None  # the Power validator requires it with operating points
        pts.append(
            Point(
                name=p.name,
                clock_hz=p.clock,
                voltage_v=p.voltage,
                clock_ratio=p.clock / top.clock_hz,
                voltage_ratio=p.voltage / v0,
                run_current_a_per_hz=(
                    p.run_current if p.run_current is not None else spec.power.run_current
                ),
                idle_power_w=p.idle_power,
            )
        )
    return pts


def find_point(spec: HardwareSpec, *, clock: float | None = None, name: str | None = None) -> Point:
    """The operating point called ``name``, or the one that runs at ``clock`` (Hz).

    A clock between two listed points runs at the voltage of the next point up (the lowest
    voltage that supports it: DVFS tables are discrete). Without listed points, a lower clock
    keeps the nominal voltage (frequency scaling only).

    Raises:
        SpecError: unknown name, a clock above the nominal one, or both arguments.
    """
    if clock is not None and name is not None:
        raise SpecError(
            "give `clock` or `operating_point`, not both", params=("clock", "operating_point")
        )
    pts = operating_points(spec)
    if name is not None:
        for p in pts:
            if p.name == name:
                return p
        raise SpecError(
            f"`operating_point`: {spec.name} has no operating point {name!r} "
            f"(has: {', '.join(p.name for p in pts)})",
            params=("operating_point",),
        )
    if clock is None:
        return pts[0]
    top = pts[0]
    if not clock > 0:
        raise SpecError(f"`clock`: must be positive, got {clock!r}", params=("clock",))
    if clock > top.clock_hz * (1 + 1e-9):
        raise SpecError(
            f"`clock`: {clock / 1e6:g} MHz is above {spec.name}'s nominal "
            f"{top.clock_hz / 1e6:g} MHz (the highest it is specified at)",
            params=("clock",),
        )
    for p in pts:
        if abs(p.clock_hz - clock) <= 1e-9 * top.clock_hz:
            return p
    governing = min((p for p in pts if p.clock_hz >= clock), key=lambda p: p.clock_hz)
    return Point(
        name=f"{clock / 1e6:g} MHz",
        clock_hz=clock,
        voltage_v=governing.voltage_v,
        clock_ratio=clock / top.clock_hz,
        voltage_ratio=governing.voltage_ratio,
        run_current_a_per_hz=governing.run_current_a_per_hz,
        idle_power_w=None,
    )


def idle_power(spec: HardwareSpec, point: Point) -> float:
    """Power in W the chip draws at ``point`` while awake, before any per-op energy.

    ``idle_power`` of the point when the spec gives one; otherwise leakage
    ``power.static x V/V0`` plus, on MCUs, ``supply_voltage x run_current x clock``.
    """
    if point.idle_power_w is not None:
        return point.idle_power_w
    p = spec.power.static * point.voltage_ratio
    if point.run_current_a_per_hz is not None:
        assert spec.power.supply_voltage is not None
        p += spec.power.supply_voltage * point.run_current_a_per_hz * point.clock_hz
    return p


def nominal_idle_power(spec: HardwareSpec) -> float:
    """Power in W the chip draws awake and idle at its nominal point (``power.static`` on a
    chip without clocks; on an MCU with a run current, the datasheet run power)."""
    if spec.nominal_clock is None:
        return spec.power.static
    return idle_power(spec, _nominal(spec))


def _scale_level(m: MemoryLevel, s: float, v2: float) -> MemoryLevel:
    if m.kind not in _CLOCKED_KINDS:
        return m
    upd: dict[str, object] = {
        "bandwidth": m.bandwidth * s,
        "latency": m.latency / s,
        "energy": m.energy * v2,
    }
    if m.write_bandwidth is not None:
        upd["write_bandwidth"] = m.write_bandwidth * s
    if m.write_energy is not None:
        upd["write_energy"] = m.write_energy * v2
    return m.model_copy(update=upd)


def at_point(spec: HardwareSpec, point: Point) -> HardwareSpec:
    """``spec`` as it behaves at ``point``: clocks, peaks, on-chip bandwidths and energies scaled.

    Returns the spec itself at the nominal point.
    """
    if point.is_nominal:
        return spec
    s, v2 = point.clock_ratio, point.voltage_ratio**2
    units = []
    for c in spec.compute:
        upd: dict[str, object] = {
            "peak": {d: p * s for d, p in c.peak.items()},
            "energy_per_mac": {d: e * v2 for d, e in c.energy_per_mac.items()},
        }
        if c.clock is not None:
            upd["clock"] = c.clock * s
        if c.vector_peak is not None:
            upd["vector_peak"] = c.vector_peak * s
        if c.energy_per_vector_op is not None:
            upd["energy_per_vector_op"] = c.energy_per_vector_op * v2
        units.append(c.model_copy(update=upd))
    memory = [_scale_level(m, s, v2) for m in spec.memory]
    return spec.model_copy(update={"compute": units, "memory": memory})


def profile_at_point(spec: HardwareSpec, profile: SoftwareProfile, point: Point) -> SoftwareProfile:
    """The software profile at ``point``: on MCUs and CPUs the fixed costs are instructions the
    core executes (interpreter dispatch and call overhead per op; runtime setup, input copy and
    output read-back per run), so ``overhead_per_op`` and ``overhead_per_run`` scale with
    1 / clock; on GPUs, NPUs, mobile SoCs and accelerators they are host-side time (kernel
    launch, driver and transfer calls on a host CPU the chip's operating point does not move)
    and stay."""
    if point.is_nominal or spec.kind not in CYCLE_OVERHEAD_KINDS:
        return profile
    return profile.model_copy(
        update={
            "overhead_per_op": profile.overhead_per_op / point.clock_ratio,
            "overhead_per_run": profile.overhead_per_run / point.clock_ratio,
        }
    )


def run_overhead(spec: HardwareSpec, profile: SoftwareProfile, point: Point) -> float:
    """Fixed cost in s paid once per inference at ``point`` (``overhead_per_run``, in core
    cycles on MCUs and CPUs: see :func:`profile_at_point`)."""
    return profile_at_point(spec, profile, point).overhead_per_run


def host_io_time(
    spec: HardwareSpec, profile: SoftwareProfile, in_bytes: float, out_bytes: float
) -> float:
    """Time in s to move a run's inputs in and its outputs out over ``spec.host_io``.

    One transfer each way: ``latency + bytes / (bandwidth x bandwidth_efficiency)`` (write
    bandwidth for the inputs written into the chip, read bandwidth for the outputs read
    back); 0 on a chip without ``host_io``. The link is off chip, so no operating point
    scales it.
    """
    if spec.host_io is None:
        return 0.0
    lv = spec.level(spec.host_io)
    eff = profile.bandwidth_efficiency
    t = 0.0
    if in_bytes > 0:
        t += lv.latency + in_bytes / (lv.write_bw * eff)
    if out_bytes > 0:
        t += lv.latency + out_bytes / (lv.read_bw * eff)
    return t
