"""``simulate(workload, spec, profile) -> SimulationResult``: cost model + schedule.

The engine is a pure function of typed objects (a :class:`Workload` or
:class:`DecoderWorkload`, a :class:`HardwareSpec`, a :class:`SoftwareProfile`): it reads no
files and resolves no names. :mod:`hwsim.api` turns names and paths into those objects.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import partial
from typing import Any, NamedTuple

from hwsim.costmodel.graph import GraphCost, cached_weight_ops, cost_graph, memory_profile
from hwsim.costmodel.opcost import OpCost, peak_ops
from hwsim.costmodel.placement import Placement, place, placements
from hwsim.engine.finite import check_result
from hwsim.engine.layers import PendingLayer, RunLayers, run_layers
from hwsim.engine.power import PowerSettings, run_phase
from hwsim.engine.result import SimulationResult
from hwsim.engine.schedule import Schedule, schedule
from hwsim.errors import SimulationError, SpecError
from hwsim.hardware.models import HardwareSpec, SoftwareProfile
from hwsim.hardware.operating import (
    Point,
    at_point,
    find_point,
    host_io_time,
    idle_power,
    run_overhead,
)
from hwsim.units import Dimension, UnitError, check_sane, parse_quantity
from hwsim.vocabulary import DTYPE_BYTES, WEIGHT_ONLY_FORMATS, dtype_label
from hwsim.workload.ir import DecoderWorkload, Workload

DECODE_SAMPLES = 3
"""KV lengths at which a decode step is simulated (first, middle, last); steps in between
are interpolated linearly. Decode cost is piecewise affine in KV length."""


@dataclass(frozen=True)
class _Phase:
    graph: GraphCost
    sched: Schedule
    points: tuple[Point, ...] = ()  # operating point of each op (empty: the run's point)
    throttled: tuple[bool, ...] = ()
    over_cap: tuple[bool, ...] = ()

    def cost(self, i: int) -> OpCost:
        return self.graph.options[i][self.sched.chosen[i]]

    @property
    def workload_macs(self) -> int:
        return sum(opts[0].macs for opts in self.graph.options)

    @property
    def workload_flops(self) -> int:
        return sum(opts[0].flops for opts in self.graph.options)


OBJECTIVES = ("latency", "energy")
"""What the per-op mapping search minimises (``simulate(optimize=...)``)."""


def _run_phase(
    w: Workload,
    spec: HardwareSpec,
    prof: SoftwareProfile,
    pl: Placement,
    start: float = 0.0,
    *,
    power: PowerSettings | None = None,
    objective: str = "latency",
) -> _Phase:
    if power is None:
        gc = cost_graph(w, spec, prof, pl, objective)
        units = [c.name for c in spec.compute]
        levels = [m.name for m in spec.memory]
        sched = schedule(
            gc.deps, gc.options, units, levels, names=[op.name for op in w.ops], start_s=start
        )
        return _Phase(gc, sched)
    ph = run_phase(w, spec, prof, pl, power, start, objective)
    return _Phase(ph.graph, ph.sched, ph.points, ph.throttled, ph.over_cap)


def _op_points(ph: _Phase, power: PowerSettings) -> tuple[Point, ...]:
    """Operating point of each op of a phase (the run's point where the runner set none)."""
    return ph.points or (power.point,) * len(ph.graph.options)


def _roofline(spec: HardwareSpec, prof: SoftwareProfile, dtype: str) -> dict[str, Any]:
    peak = peak_ops(spec, dtype, prof)
    bws = {m.name: m.read_bw for m in spec.memory}
    off = [m for m in spec.memory if m.off_chip]
    outer = off[-1] if off else spec.memory[-1]
    return {
        "dtype": dtype,
        "peak_ops_per_s": peak,
        "bandwidth_bytes_per_s": bws,
        "ridge_flops_per_byte": peak / outer.read_bw,
        "ridge_level": outer.name,
        "efficiency": prof.efficiency.model_dump(),
        "bandwidth_efficiency": prof.bandwidth_efficiency,
    }


def _fit_dict(pl: Placement) -> dict[str, dict[str, Any]]:
    return {
        k: {"required_bytes": f.required_bytes, "capacity_bytes": f.capacity_bytes, "fits": f.fits}
        for k, f in pl.fit.items()
    }


def _fit_warnings(spec: HardwareSpec, pl: Placement, strict: bool) -> list[str]:
    from hwsim.units import format_bytes_iec

    msgs = []
    for name in pl.misfits():
        f = pl.fit[name]
        msgs.append(
            f"does not fit: {name} needs {format_bytes_iec(f.required_bytes)} "
            f"but has {format_bytes_iec(f.capacity_bytes)} on {spec.name}"
        )
    if strict and msgs:
        raise SimulationError("; ".join(msgs) + " (`strict_memory`)", params=("strict_memory",))
    return pl.notes(spec) + msgs


def _cache_notes(
    w: Workload, spec: HardwareSpec, prof: SoftwareProfile, pl: Placement, peak_act: float
) -> list[str]:
    """One line when a ``partial_weight_cache`` profile keeps part of the weights on chip."""
    from hwsim.units import format_bytes_iec

    near, cached = cached_weight_ops(w, spec, prof, pl, peak_act)
    if near is None:
        return []
    kept = math.fsum(w.ops[i].weight_bytes for i in cached)
    return [
        f"{prof.name} keeps the first {format_bytes_iec(kept)} of the weights cached on "
        f"{spec.memory[near].name} (partial_weight_cache); the other "
        f"{format_bytes_iec(w.weight_bytes - kept)} stream from "
        f"{spec.memory[pl.weight_level].name}"
    ]


def memory_placement(
    workload: Workload, spec: HardwareSpec, profile: SoftwareProfile, state_bytes: float = 0.0
) -> Placement:
    """Where the weights, the peak activations (as ``profile`` plans them) and
    ``state_bytes`` of persistent state (KV cache) live on ``spec``, and whether they fit."""
    peak_act = memory_profile(workload, profile).peak_bytes
    return place(spec, workload.weight_bytes, peak_act, state_bytes)


def simulate(
    workload: Workload | DecoderWorkload,
    spec: HardwareSpec,
    profile: SoftwareProfile | None = None,
    *,
    strict_memory: bool = False,
    clock: float | str | None = None,
    operating_point: str | None = None,
    power_cap: float | str | None = None,
    optimize: str = "latency",
) -> SimulationResult:
    """Simulate one inference (or one LLM request) of ``workload`` on ``spec``.

    Args:
        workload: the op graph, at its batch size and dtypes.
        spec: the chip.
        profile: the software stack; None is the chip's default profile.
        strict_memory: raise SimulationError when the model does not fit.
        clock: run at this clock (Hz, or a string such as "140 MHz"); the voltage is the
            operating point's that supports it.
        operating_point: run at the spec's operating point of this name.
        power_cap: power cap in W (or "200 W") replacing the spec's power.cap; ops that
            would draw more run at the highest operating point that fits.
        optimize: what each op's mapping search minimises, ``latency`` (default) or
            ``energy``.

    Returns:
        The SimulationResult; latency in s, energy in J, FLOPs = 2 x MACs + non-MAC ops.
    """
    run = _simulate(
        workload,
        spec,
        profile,
        strict_memory=strict_memory,
        clock=clock,
        operating_point=operating_point,
        power_cap=power_cap,
        optimize=optimize,
    )
    return check_result(run.result)


class Run(NamedTuple):
    """A simulated run: its result and its layers (whose records the result holds only
    when they were asked for)."""

    result: SimulationResult
    layers: RunLayers


def _simulate(
    workload: Workload | DecoderWorkload,
    spec: HardwareSpec,
    profile: SoftwareProfile | None = None,
    *,
    strict_memory: bool = False,
    clock: float | str | None = None,
    operating_point: str | None = None,
    power_cap: float | str | None = None,
    optimize: str = "latency",
    records: bool = True,
) -> Run:
    """:func:`simulate` before the finiteness check; ``records=False`` leaves the result's
    ``layers`` empty (every whole-run figure is the same)."""
    prof = spec.profile(None) if profile is None else profile
    power = power_settings(spec, clock=clock, operating_point=operating_point, power_cap=power_cap)
    if optimize not in OBJECTIVES:
        raise SimulationError(
            f"`optimize`: {optimize!r} is not one of {', '.join(OBJECTIVES)}",
            params=("optimize",),
        )
    runner = partial(_run_phase, power=power, objective=optimize)
    if isinstance(workload, DecoderWorkload):
        run = _simulate_decoder(
            workload, spec, prof, strict_memory, runner=runner, power=power, records=records
        )
        r = run.result
        if not r.fits:
            from hwsim.engine.parallel import smallest_fitting_tp

            need = smallest_fitting_tp(workload, spec, prof)
            if need is not None and need > 1:
                hint = f"split it with tensor parallelism: tp {need} or more on a system"
                run = Run(replace(r, warnings=(*r.warnings, hint)), run.layers)
        return run
    return _simulate_graph(
        workload, spec, prof, strict_memory, runner=runner, power=power, records=records
    )


def _quantity(value: float | str | None, dim: Dimension, field: str) -> float | None:
    if value is None:
        return None
    try:
        if isinstance(value, str):
            return check_sane(parse_quantity(value, dim), dim)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
            raise SimulationError(
                f"`{field}`: expected a positive number, got {repr(value)[:40]}", params=(field,)
            )
        return check_sane(float(value), dim)
    except UnitError as exc:
        raise SimulationError(f"`{field}`: {exc}", params=(field,)) from None


def power_settings(
    spec: HardwareSpec,
    *,
    clock: float | str | None = None,
    operating_point: str | None = None,
    power_cap: float | str | None = None,
) -> PowerSettings:
    """The operating point asked for (nominal by default) and the power cap in force."""
    f = _quantity(clock, Dimension.HERTZ, "clock")
    if f is None and operating_point is None:
        f = spec.power.clock  # the spec's own running clock (a sweep axis: power.clock)
    cap = _quantity(power_cap, Dimension.WATTS, "power_cap")
    if cap is None:
        cap = spec.power.cap
    if f is None and operating_point is None and spec.nominal_clock is None:
        # A chip without clocks runs as specified (no operating points to move between).
        return PowerSettings(Point("nominal", 0.0, spec.power.voltage, 1.0, 1.0), None)
    try:
        point = find_point(spec, clock=f, name=operating_point)
    except SpecError as exc:
        raise SimulationError(str(exc), params=exc.params) from None
    return PowerSettings(point, cap)


def _phase_layers(
    w: Workload,
    ph: _Phase,
    prof: SoftwareProfile,
    power: PowerSettings,
    phase: str | None = None,
) -> list[PendingLayer]:
    """One pending layer record per op of a scheduled graph (names prefixed by the phase)."""
    live = memory_profile(w, prof).live_bytes
    points = _op_points(ph, power)
    prefix = f"{phase}/" if phase else ""
    throttled = ph.throttled or (False,) * len(w.ops)
    options, chosen = ph.graph.options, ph.sched.chosen  # ph.cost(i), spelled out per op
    new = partial(tuple.__new__, PendingLayer)  # PendingLayer(...) without __new__'s binding
    return [
        new(
            (
                options[i][chosen[i]],
                op.op_type,
                ev.start_s,
                ev.end_s,
                ev.end_s - ev.start_s,
                ev.transfers,
                prefix + op.name,
                live[i],
                points[i],
                throttled[i],
                phase,
                1.0,  # scale
                None,  # dyn
            )
        )
        for i, (op, ev) in enumerate(zip(w.ops, ph.sched.events))
    ]


def _mac_dtype(w: Workload, ph: _Phase) -> str:
    """The dtype the MAC ops actually ran in (after fallback), for the roofline."""
    mac_dtypes = {ph.cost(i).dtype for i, op in enumerate(w.ops) if op.macs}
    return sorted(mac_dtypes)[0] if mac_dtypes else w.act_dtype


def _assemble(
    w: Workload | DecoderWorkload,
    spec: HardwareSpec,
    prof: SoftwareProfile,
    pending: list[PendingLayer],
    latency: float,
    *,
    counts: Workload,
    macs: int,
    flops: int,
    peak_act: float,
    pl: Placement,
    warnings: list[str],
    mac_dtype: str,
    power: PowerSettings,
    points: Sequence[Point],
    over_cap: int = 0,
    llm: dict[str, Any] | None = None,
    records: bool = True,
) -> Run:
    """The run: idle energy shared over layers, totals, fit, roofline, power (the layer
    records only with ``records``)."""
    wanted = counts.ops[0].compute_dtype if counts.ops else mac_dtype
    wanted = next((op.compute_dtype for op in counts.ops if op.macs), wanted)
    if wanted != mac_dtype:
        warnings = [
            *warnings,
            f"{spec.name} ({prof.name}) has no {wanted} MACs: they run in {mac_dtype}",
        ]
    if counts.weight_dtype in WEIGHT_ONLY_FORMATS:
        bits = DTYPE_BYTES[counts.weight_dtype] * 8
        warnings = [
            *warnings,
            f"weights stored as {counts.weight_dtype} ({bits:.3g} bits/weight with scales) are "
            f"dequantised inside the GEMM kernels; the MACs run in {mac_dtype}",
        ]
    if points and points.count(points[0]) == len(points):  # most runs: one point
        idle_w = [idle_power(spec, points[0])] * len(points)
    else:
        idle_w = [idle_power(spec, p) for p in points]
    lay = run_layers(spec, pending, idle_w, latency)
    energy = lay.energy_j()
    summary = _power_summary(spec, power, lay, over_cap)
    if over_cap:
        warnings = [
            *warnings,
            f"{over_cap} op(s) draw more than the {summary['power_cap_w']:g} W power cap even "
            f"at the lowest operating point of {spec.name}",
        ]
    if any(p.phase for p in pending):
        for ph in ("prefill", "decode"):
            summary[f"{ph}_energy_j"] = lay.energy_j(ph)
    result = SimulationResult(
        hardware=spec.name,
        workload=w.name,
        batch=w.batch,
        dtype=dtype_label(w.weight_dtype, w.act_dtype),
        profile=prof.name,
        latency_s=latency,
        throughput_per_s=w.batch / latency if latency > 0 else 0.0,
        energy_j=energy,
        avg_power_w=energy / latency if latency > 0 else 0.0,
        energy_breakdown_j=lay.breakdown([m.name for m in spec.memory]),
        macs=macs,
        flops=flops,
        params=counts.params,
        weight_bytes=counts.weight_bytes,
        peak_activation_bytes=peak_act,
        memory_fit=_fit_dict(pl),
        bound_counts=lay.bound_counts(),
        layers=tuple(lay.records()) if records else (),
        roofline=_roofline(
            at_point(spec, power.point) if power.point.clock_hz > 0 else spec, prof, mac_dtype
        ),
        warnings=tuple(warnings),
        llm=llm or {},
        power=summary,
    )
    return Run(result, lay)


def _time_weighted(timed: Sequence[tuple[float, float]], default: float) -> float:
    """Latency-weighted mean clock (exactly the clock when every layer ran at one)."""
    clocks = {c for c, _ in timed}
    if len(clocks) <= 1:
        return next(iter(clocks), default)
    busy = sum(t for _, t in timed)
    if busy <= 0:
        return next(iter(clocks), default)
    return math.fsum(c * t for c, t in timed) / busy


def _power_summary(
    spec: HardwareSpec,
    power: PowerSettings,
    layers: RunLayers,
    over_cap: int,
) -> dict[str, Any]:
    """Run-level power fields: the point asked for, the cap, whether and how far it throttled."""
    pt = power.point
    out: dict[str, Any] = {"power_cap_w": power.cap_w}
    if pt.clock_hz <= 0:
        return out
    timed = layers.clocks(pt.clock_hz)
    powers = layers.powers()
    throttled = layers.throttled()
    out.update(
        {
            "operating_point": pt.name,
            "clock_hz": pt.clock_hz,
            "voltage_v": pt.voltage_v,
            "idle_power_w": idle_power(spec, pt),
            "throttled": throttled > 0,
            "throttled_layers": throttled,
            "min_clock_hz": min((c for c, _ in timed), default=pt.clock_hz),
            "avg_clock_hz": _time_weighted(timed, pt.clock_hz),
            "peak_layer_power_w": max(powers, default=0.0),
            "over_cap_layers": over_cap,
        }
    )
    return out


PhaseRunner = Callable[..., _Phase]
"""``(workload, spec, profile, placement, start=) -> _Phase``: costs and schedules one graph
(hwsim.engine.parallel passes one that times collectives on the system's links)."""


def _run_fixed_s(
    w: Workload, spec: HardwareSpec, prof: SoftwareProfile, power: PowerSettings
) -> float:
    """Time in s paid once per run before the first op: the profile's per-run overhead at the
    operating point, plus moving the inputs in and the outputs out over ``spec.host_io``."""
    t = run_overhead(spec, prof, power.point)
    if spec.host_io is not None:
        in_b = math.fsum(w.tensors[n].nbytes for n in w.inputs)
        out_b = math.fsum(w.tensors[n].nbytes for n in w.outputs)
        t += host_io_time(spec, prof, in_b, out_b)
    return t


def _simulate_graph(
    w: Workload,
    spec: HardwareSpec,
    prof: SoftwareProfile,
    strict: bool,
    runner: PhaseRunner | None = None,
    power: PowerSettings | None = None,
    records: bool = True,
) -> Run:
    power = power or power_settings(spec)
    if runner is None:
        runner = partial(_run_phase, power=power)
    peak_act = memory_profile(w, prof).peak_bytes
    run_s = _run_fixed_s(w, spec, prof, power)
    # Weights first or activations first on the near levels: keep the faster (a bigger
    # SRAM that takes the weights must not push the activations off chip and slow down).
    ph: _Phase | None = None
    pl = place(spec, w.weight_bytes, peak_act, w.state_bytes)
    for cand in placements(spec, w.weight_bytes, peak_act, w.state_bytes):
        got = runner(w, spec, prof, cand, start=run_s)
        if ph is None or got.sched.makespan_s < ph.sched.makespan_s * (1 - 1e-12):
            ph, pl = got, cand
    assert ph is not None
    warnings = _fit_warnings(spec, pl, strict) + _cache_notes(w, spec, prof, pl, peak_act)
    if w.unsupported:
        warnings.append(f"unsupported ops counted as zero work: {', '.join(w.unsupported)}")
    return _assemble(
        w,
        spec,
        prof,
        _phase_layers(w, ph, prof, power),
        run_s + ph.sched.makespan_s,
        counts=w,
        macs=w.macs,
        flops=w.flops,
        peak_act=peak_act,
        pl=pl,
        warnings=warnings,
        mac_dtype=_mac_dtype(w, ph),
        power=power,
        points=_op_points(ph, power),
        over_cap=sum(ph.over_cap),
        records=records,
    )


def _decode_samples(first: int, last: int) -> list[int]:
    import numpy as np  # (decoders only: a CNN's run does not load numpy)

    if last - first + 1 <= DECODE_SAMPLES:
        return list(range(first, last + 1))
    pts = np.linspace(first, last, DECODE_SAMPLES)
    return sorted({int(round(p)) for p in pts})


def _simulate_decoder(
    w: DecoderWorkload,
    spec: HardwareSpec,
    prof: SoftwareProfile,
    strict: bool,
    runner: PhaseRunner | None = None,
    power: PowerSettings | None = None,
    records: bool = True,
) -> Run:
    import numpy as np

    power = power or power_settings(spec)
    if runner is None:
        runner = partial(_run_phase, power=power)
    prefill = w.prefill()
    kv_total = w.kv_cache_bytes()
    peak_act = memory_profile(prefill, prof).peak_bytes
    pl = place(spec, prefill.weight_bytes, peak_act, kv_total)
    warnings = _fit_warnings(spec, pl, strict)
    run_s = _run_fixed_s(prefill, spec, prof, power)
    ph = runner(prefill, spec, prof, pl, start=run_s)
    ttft = run_s + ph.sched.makespan_s
    layers = _phase_layers(prefill, ph, prof, power, phase="prefill")
    points = list(_op_points(ph, power))
    over_cap = sum(ph.over_cap)
    macs = prefill.macs
    flops = prefill.flops
    steps = max(0, w.gen_len - 1)
    decode_s = 0.0
    if steps:
        # Step j (0-based) attends over prompt_len + j cached tokens.
        kv_lens = np.arange(w.prompt_len, w.prompt_len + steps, dtype=np.float64)
        samples = _decode_samples(w.prompt_len, w.prompt_len + steps - 1)
        graphs = [w.decode_step(L) for L in samples]
        phases = [runner(g, spec, prof, pl) for g in graphs]
        # Summing a piecewise-linear interpolant over all steps is a weighted sum of the
        # sampled values: weight_s = sum over steps of the hat function of sample s.
        xs = np.asarray(samples, dtype=np.float64)
        weights = np.array(
            [np.interp(kv_lens, xs, np.eye(len(xs))[k]).sum() for k in range(len(xs))]
        )

        def total(values: Sequence[float]) -> float:
            return float(weights @ np.asarray(values, dtype=np.float64))

        decode_s = total([p.sched.makespan_s for p in phases])
        mid = len(phases) // 2
        ref = phases[mid]
        ref_points = _op_points(ref, power)
        step_graph = graphs[mid]
        step_live = memory_profile(step_graph, prof).live_bytes
        n_ops = len(step_graph.ops)
        # Per-op series over samples, as arrays: (samples, ops[, levels]).
        costs = [[p.cost(i) for i in range(n_ops)] for p in phases]
        lat = weights @ np.array([[e.latency_s for e in p.sched.events] for p in phases])
        cj = weights @ np.array([[c.compute_j for c in row] for row in costs])
        mj = np.einsum("s,sol->ol", weights, np.array([[c.mem_j for c in row] for row in costs]))
        by = np.einsum(
            "s,sol->ol", weights, np.array([[c.bytes_by_level for c in row] for row in costs])
        )
        mac_tot = weights @ np.array([[c.macs for c in row] for row in costs], dtype=np.float64)
        series = zip(lat.tolist(), cj.tolist(), mj.tolist(), by.tolist(), mac_tot.tolist())
        throttled = ref.throttled or (False,) * n_ops
        t = ttft
        for i, (op, (lat_i, cj_i, mj_i, by_i, macs_i)) in enumerate(zip(step_graph.ops, series)):
            rc = ref.cost(i)
            ev = ref.sched.events[i]
            layers.append(
                PendingLayer(
                    rc,
                    op.op_type,
                    t + ev.start_s * steps,
                    t + ev.end_s * steps,
                    lat_i,
                    (),
                    f"decode/{op.name}",
                    step_live[i],
                    ref_points[i],
                    throttled[i],
                    "decode",
                    macs_i / rc.macs if rc.macs else float(steps),
                    (cj_i, tuple(mj_i), tuple(by_i)),
                )
            )
            points.append(ref_points[i])
        over_cap += sum(ref.over_cap)
        macs += int(round(total([float(p.workload_macs) for p in phases])))
        flops += int(round(total([float(p.workload_flops) for p in phases])))
    latency = ttft + decode_s
    llm = {
        "prompt_len": w.prompt_len,
        "gen_len": w.gen_len,
        "ttft_s": ttft,
        "tpot_s": decode_s / steps if steps else 0.0,
        "decode_tokens_per_s": w.batch * steps / decode_s if decode_s > 0 else 0.0,
        "kv_cache_bytes": kv_total,
    }
    return _assemble(
        w,
        spec,
        prof,
        layers,
        latency,
        counts=prefill,
        macs=macs,
        flops=flops,
        peak_act=peak_act,
        pl=pl,
        warnings=warnings,
        mac_dtype=_mac_dtype(prefill, ph),
        power=power,
        points=points,
        over_cap=over_cap,
        llm=llm,
        records=records,
    )
