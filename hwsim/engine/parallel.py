"""Multi-device runs: tensor and pipeline parallelism on a system of chips.

Each device runs its shard of the model (``DecoderWorkload.shard``): a tensor-parallel group
of ``tp`` devices runs the same shard in lock step, so one device's schedule is the group's.
Collectives in the shard (all-reduce after attention and MLP, all-gather of the logits) are
costed here on the system's link and scheduled in simpy on a link resource of the device,
alongside its compute units and memory channels. Pipeline stages (``pp``) run as simpy
processes over micro-batches, with point-to-point transfers of the hidden state between
stages. Formulas (docs/systems.md):

* ring all-reduce of S bytes over N devices: 2(N-1) steps, each sending S/N bytes:
  ``t = 2(N-1) (alpha + S / (N B))``; each device sends 2(N-1)/N x S bytes;
* ring all-gather of S-byte shards: ``t = (N-1) (alpha + S / B)``, (N-1) S bytes sent;
* point-to-point of S bytes: ``t = alpha + S / B``;
* pipeline bubble with m equal micro-batches on p equal stages: (p-1) / (m+p-1).
"""

from __future__ import annotations

from collections.abc import Generator, Sequence
from dataclasses import dataclass, replace
from functools import partial
from typing import Any

from hwsim.costmodel.graph import cost_graph, memory_profile
from hwsim.costmodel.opcost import OpCost
from hwsim.costmodel.placement import Placement
from hwsim.engine.result import LayerResult, SimulationResult
from hwsim.engine.schedule import schedule
from hwsim.engine.simulate import _Phase, _simulate_decoder, _simulate_graph
from hwsim.errors import SimulationError
from hwsim.hardware.models import HardwareSpec, SoftwareProfile
from hwsim.hardware.operating import nominal_idle_power
from hwsim.hardware.system import Link, SystemSpec
from hwsim.units import format_bytes_iec
from hwsim.workload.ir import DecoderWorkload, Op, Workload

LINK_UNIT = "link"
"""Name of the link resource in a device's schedule (and of the link energy)."""


# ---- formulas (pure) ---------------------------------------------------------------------
def all_reduce_time(size_bytes: float, n: int, link: Link) -> float:
    """Ring all-reduce of ``size_bytes`` over ``n`` devices, s: 2(n-1)(alpha + S/(n B))."""
    if n <= 1:
        return 0.0
    return 2 * (n - 1) * (link.latency + size_bytes / (n * link.bandwidth))


def all_gather_time(shard_bytes: float, n: int, link: Link) -> float:
    """Ring all-gather of ``shard_bytes`` per device over ``n`` devices, s."""
    if n <= 1:
        return 0.0
    return (n - 1) * (link.latency + shard_bytes / link.bandwidth)


def p2p_time(size_bytes: float, link: Link) -> float:
    """Point-to-point send of ``size_bytes`` (pipeline stage to stage), s."""
    return link.latency + size_bytes / link.bandwidth


def collective_bytes(kind: str, size_bytes: float, n: int) -> float:
    """Bytes one device sends in a ring collective (all-reduce: 2(n-1)/n S; all-gather:
    (n-1) S of its shard S)."""
    if n <= 1:
        return 0.0
    if kind == "all_reduce":
        return 2 * (n - 1) / n * size_bytes
    return (n - 1) * size_bytes


def bubble_fraction(p: int, m: int) -> float:
    """Idle fraction of p equal pipeline stages over m equal micro-batches: (p-1)/(m+p-1)."""
    return (p - 1) / (m + p - 1)


@dataclass(frozen=True)
class Pipeline:
    """A pipeline schedule: makespan and the stages' busy time."""

    makespan_s: float
    busy_s: tuple[float, ...]

    @property
    def bubble_fraction(self) -> float:
        """Fraction of device time idle: 1 - sum(busy) / (stages x makespan)."""
        if self.makespan_s <= 0:
            return 0.0
        return 1.0 - sum(self.busy_s) / (len(self.busy_s) * self.makespan_s)


def pipeline_schedule(
    stage_s: Sequence[float], transfer_s: Sequence[float], microbatches: int
) -> Pipeline:
    """Run ``microbatches`` through the stages in simpy (GPipe order, one at a time per stage).

    ``stage_s[k]`` is stage k's time per micro-batch; ``transfer_s[k]`` the send from stage k
    to k+1 (on the link, which is busy one transfer at a time per stage boundary).
    """
    import simpy  # here: single-chip runs never need it

    env = simpy.Environment()
    p = len(stage_s)
    stages = [simpy.Resource(env, capacity=1) for _ in range(p)]
    links = [simpy.Resource(env, capacity=1) for _ in range(max(0, p - 1))]
    busy = [0.0] * p
    done: list[float] = []

    def micro(i: int) -> Generator[Any, Any, None]:
        for k in range(p):
            with stages[k].request() as req:
                yield req
                yield env.timeout(stage_s[k])
                busy[k] += stage_s[k]
            if k < p - 1 and transfer_s[k] > 0:
                with links[k].request() as req:
                    yield req
                    yield env.timeout(transfer_s[k])
        done.append(env.now)

    for i in range(microbatches):
        env.process(micro(i))
    env.run()
    return Pipeline(max(done, default=0.0), tuple(busy))


# ---- costing collectives in a device's schedule --------------------------------------------
def _collective_cost(
    op: Op, attrs: dict[str, Any], sys_spec: SystemSpec, prof: SoftwareProfile, levels: int
) -> OpCost:
    kind, n = str(attrs["collective"]), int(attrs["group"])
    size = float(attrs["payload_bytes"])
    link = sys_spec.group_link(n)
    t = all_reduce_time(size, n, link) if kind == "all_reduce" else all_gather_time(size, n, link)
    sent = collective_bytes(kind, size, n)
    zeros = (0.0,) * levels
    return OpCost(
        name=op.name,
        op_type=op.op_type,
        op_class="data",
        unit=LINK_UNIT,
        dtype=op.compute_dtype,
        macs=0,
        flops=op.flops,
        compute_s=t * (1.0 - prof.comm_overlap),
        overhead_s=0.0,
        read_bytes=zeros,
        write_bytes=zeros,
        mem_s=zeros,
        compute_j=sent * link.energy_per_byte,
        mem_j=zeros,
        notes=(f"{kind} over {n} devices on {link.name}: {sent:.6g} B sent",),
    )


def run_graph(
    w: Workload,
    spec: HardwareSpec,
    prof: SoftwareProfile,
    pl: Placement,
    start: float = 0.0,
    *,
    system: SystemSpec,
) -> _Phase:
    """Cost and schedule one device's graph; collectives run on the link resource."""
    gc = cost_graph(w, spec, prof, pl)
    options = list(gc.options)
    n_levels = len(spec.memory)
    for i, op in enumerate(w.ops):
        attrs = dict(op.attrs)
        if "collective" in attrs:
            options[i] = (_collective_cost(op, attrs, system, prof, n_levels),)
    gc = replace(gc, options=tuple(options))
    units = [c.name for c in spec.compute] + [LINK_UNIT]
    levels = [m.name for m in spec.memory]
    sched = schedule(
        gc.deps, gc.options, units, levels, names=[o.name for o in w.ops], start_s=start
    )
    return _Phase(gc, sched)


# ---- memory fit ----------------------------------------------------------------------------
@dataclass(frozen=True)
class DeviceMemory:
    """What one device holds, bytes, against the capacity of its largest memory level."""

    weight_bytes: float
    kv_cache_bytes: float
    activation_bytes: float
    capacity_bytes: float
    level: str

    @property
    def required_bytes(self) -> float:
        """Weights + KV cache + peak activations."""
        return self.weight_bytes + self.kv_cache_bytes + self.activation_bytes

    @property
    def fits(self) -> bool:
        """True when the device holds all of it."""
        return self.required_bytes <= self.capacity_bytes

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields."""
        return {
            "weight_bytes": self.weight_bytes,
            "kv_cache_bytes": self.kv_cache_bytes,
            "activation_bytes": self.activation_bytes,
            "required_bytes": self.required_bytes,
            "capacity_bytes": self.capacity_bytes,
            "level": self.level,
            "fits": self.fits,
        }


def device_memory(w: DecoderWorkload, spec: HardwareSpec, prof: SoftwareProfile) -> DeviceMemory:
    """Per-device memory of a shard: weights, full-request KV cache, prefill activations."""
    pre = w.prefill()
    outer = max(spec.memory, key=lambda m: m.capacity)
    return DeviceMemory(
        pre.weight_bytes,
        w.kv_cache_bytes(),
        memory_profile(pre, prof).peak_bytes,
        outer.capacity,
        outer.name,
    )


def smallest_fitting_tp(
    w: DecoderWorkload, spec: HardwareSpec, prof: SoftwareProfile, limit: int = 64
) -> int | None:
    """Smallest tensor-parallel degree whose shard fits one device (None if none up to
    ``limit`` that divides the model)."""
    for tp in range(1, limit + 1):
        try:
            shard = w.shard(tp)
        except Exception:  # a degree the model cannot be split into
            continue
        if device_memory(shard, spec, prof).fits:
            return tp
    return None


# ---- whole runs ------------------------------------------------------------------------------
def _comm(layers: Sequence[LayerResult]) -> tuple[float, float]:
    """(time on the link, link energy) of a device's layers."""
    t = sum(x.latency_s for x in layers if x.unit == LINK_UNIT)
    e = sum(x.energy_j for x in layers if x.unit == LINK_UNIT)
    return t, e


def _relabel_link_energy(r: SimulationResult, scale: float) -> SimulationResult:
    """Move link layers' energy from 'compute' to 'link' and scale energies by ``scale``
    devices."""
    layers = []
    link_j = 0.0
    for x in r.layers:
        bd = {k: v * scale for k, v in x.energy_breakdown_j.items()}
        if x.unit == LINK_UNIT:
            link_j += x.energy_breakdown_j["compute"] * scale
            bd["link"] = bd.pop("compute")
            bd["compute"] = 0.0
        layers.append(replace(x, energy_j=x.energy_j * scale, energy_breakdown_j=bd))
    breakdown = {k: v * scale for k, v in r.energy_breakdown_j.items()}
    breakdown["compute"] -= link_j
    breakdown["link"] = link_j
    energy = r.energy_j * scale
    return replace(
        r,
        layers=tuple(layers),
        energy_breakdown_j=breakdown,
        energy_j=energy,
        avg_power_w=energy / r.latency_s if r.latency_s > 0 else 0.0,
    )


def _simulate_parallel(
    workload: Workload | DecoderWorkload,
    sys_spec: SystemSpec,
    spec: HardwareSpec,
    prof: SoftwareProfile,
    *,
    tp: int = 1,
    pp: int = 1,
    microbatches: int = 1,
    ep: bool = False,
    micro: DecoderWorkload | None = None,
    strict_memory: bool = False,
) -> SimulationResult:
    """The work of :func:`simulate_parallel` (which adds the ``ep`` flag to the result)."""
    for name, v in (("tp", tp), ("pp", pp), ("microbatches", microbatches)):
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            raise SimulationError(f"`{name}` must be an integer >= 1, got {v!r}", params=(name,))
    if tp * pp > sys_spec.count:
        raise SimulationError(
            f"`tp` x `pp` = {tp * pp} devices exceeds the {sys_spec.count} of {sys_spec.name}",
            params=("tp", "pp"),
        )
    runner = partial(run_graph, system=sys_spec)
    if isinstance(workload, Workload):
        if (tp, pp, microbatches) != (1, 1, 1):
            group = max((int(dict(o.attrs).get("group", 1)) for o in workload.ops), default=1)
            if group == 1:
                raise SimulationError(
                    f"{workload.name}: `tp` and `pp` split decoder LLMs; run it on one device",
                    params=("tp", "pp"),
                )
        group = max((int(dict(o.attrs).get("group", 1)) for o in workload.ops), default=1)
        r = _simulate_graph(workload, spec, prof, strict_memory, runner=runner).result
        r = _relabel_link_energy(r, group)
        return replace(
            r, hardware=sys_spec.name, parallel={"system": sys_spec.name, "tp": group, "pp": 1}
        )
    full = workload
    if full.batch % microbatches:
        raise SimulationError(
            f"`microbatches` {microbatches} must divide the batch {full.batch}",
            params=("microbatches",),
        )
    if microbatches > 1 and micro is None:
        raise SimulationError(
            "`microbatches` needs the workload by name (it is rebuilt per micro-batch)",
            params=("microbatches",),
        )
    micro = micro or full
    shards = [micro.shard(tp, pp, s, ep) for s in range(pp)]
    mems = [device_memory(full.shard(tp, pp, s, ep), spec, prof) for s in range(pp)]
    worst = max(mems, key=lambda m: m.required_bytes)
    if not worst.fits:
        need = smallest_fitting_tp(full, spec, prof, limit=sys_spec.count * 8)
        hint = (
            f"; use `tp` {need} or more" if need is not None and pp == 1 else "; raise `tp` or `pp`"
        )
        raise SimulationError(
            f"{full.name} does not fit: {format_bytes_iec(worst.required_bytes)} per device "
            f"(weights {format_bytes_iec(worst.weight_bytes)}, KV cache "
            f"{format_bytes_iec(worst.kv_cache_bytes)}) but {spec.name} has "
            f"{format_bytes_iec(worst.capacity_bytes)} {worst.level} with {tp} x {pp} "
            f"devices{hint}",
            params=("tp", "pp"),
        )
    results = [
        _simulate_decoder(s, spec, prof, strict_memory, runner=runner).result for s in shards
    ]
    full_pre = full.prefill()
    total_params = full_pre.params
    total_weights = full_pre.weight_bytes
    link = sys_spec.group_link(tp * pp)
    if pp == 1:
        r = _relabel_link_energy(results[0], tp)
        comm_t, _ = _comm(results[0].layers)
        return replace(
            r,
            hardware=sys_spec.name,
            params=total_params,
            weight_bytes=total_weights,
            parallel=_parallel_dict(
                sys_spec, tp, pp, 1, 0.0, comm_t, results, mems, r.energy_breakdown_j["link"], link
            ),
        )
    return _pipelined(
        full,
        micro,
        sys_spec,
        spec,
        tp,
        pp,
        microbatches,
        results,
        mems,
        total_params,
        total_weights,
        link,
    )


def _parallel_dict(
    sys_spec: SystemSpec,
    tp: int,
    pp: int,
    m: int,
    bubble: float,
    comm_t: float,
    results: Sequence[SimulationResult],
    mems: Sequence[DeviceMemory],
    link_j: float,
    link: Link,
) -> dict[str, Any]:
    sent = 0.0
    for r in results:
        for x in r.layers:
            if x.unit == LINK_UNIT:
                sent += x.energy_breakdown_j["compute"] / link.energy_per_byte
    return {
        "system": sys_spec.name,
        "tp": tp,
        "pp": pp,
        "devices": tp * pp,
        "microbatches": m,
        "bubble_fraction": bubble,
        "link": link.name,
        "comm_time_s": comm_t,
        "comm_bytes_per_device": sent / max(1, len(results)),
        "link_energy_j": link_j,
        "per_device": [mem.to_dict() for mem in mems],
    }


def _pipelined(
    full: DecoderWorkload,
    micro: DecoderWorkload,
    sys_spec: SystemSpec,
    spec: HardwareSpec,
    tp: int,
    pp: int,
    m: int,
    results: list[SimulationResult],
    mems: list[DeviceMemory],
    total_params: int,
    total_weights: float,
    link: Link,
) -> SimulationResult:
    """Combine per-stage runs into a pipeline over ``m`` micro-batches (prefill and decode)."""
    from hwsim.vocabulary import DTYPE_BYTES

    hidden = full.shard(1, pp, 0).prefill()
    d_model = next(t.shape[-1] for n, t in hidden.tensors.items() if n in hidden.outputs)
    act = DTYPE_BYTES[full.act_dtype]
    pre_x = [p2p_time(micro.batch * micro.prompt_len * d_model * act, link)] * (pp - 1)
    dec_x = [p2p_time(micro.batch * d_model * act, link)] * (pp - 1)
    pre = pipeline_schedule([r.llm["ttft_s"] for r in results], pre_x, m)
    steps = max(0, full.gen_len - 1)
    dec = pipeline_schedule([r.llm["tpot_s"] for r in results], dec_x, m)
    ttft = pre.makespan_s
    tpot = dec.makespan_s if steps else 0.0
    latency = ttft + steps * tpot
    scaled = [_relabel_link_energy(r, tp * m) for r in results]
    idle = max(0.0, pp * latency - sum(r.latency_s * m for r in results))
    static_j = nominal_idle_power(spec) * tp * idle  # devices idle in the bubbles still draw static
    breakdown: dict[str, float] = {}
    for r in scaled:
        for k, v in r.energy_breakdown_j.items():
            breakdown[k] = breakdown.get(k, 0.0) + v
    breakdown["static"] = breakdown.get("static", 0.0) + static_j
    energy = sum(breakdown.values())
    p2p_bytes = (pp - 1) * m * (micro.batch * d_model * act) * (micro.prompt_len + steps)
    link_j = breakdown["link"] + p2p_bytes * link.energy_per_byte
    breakdown["link"] = link_j
    energy += p2p_bytes * link.energy_per_byte
    layers = tuple(
        replace(x, name=f"stage{k}/{x.name}") for k, r in enumerate(scaled) for x in r.layers
    )
    comm_t = sum(_comm(r.layers)[0] for r in results) + sum(pre_x) + steps * sum(dec_x)
    bubble = 1.0 - (sum(pre.busy_s) + steps * sum(dec.busy_s)) / (
        pp * (pre.makespan_s + steps * dec.makespan_s)
    )
    base = results[-1]
    llm = {
        **base.llm,
        "ttft_s": ttft,
        "tpot_s": tpot,
        "decode_tokens_per_s": full.batch / tpot if tpot > 0 else 0.0,
        "kv_cache_bytes": full.kv_cache_bytes(),
    }
    return replace(
        base,
        hardware=sys_spec.name,
        batch=full.batch,
        latency_s=latency,
        throughput_per_s=full.batch / latency if latency > 0 else 0.0,
        energy_j=energy,
        avg_power_w=energy / latency if latency > 0 else 0.0,
        energy_breakdown_j=breakdown,
        macs=sum(r.macs for r in results) * m,
        flops=sum(r.flops for r in results) * m,
        params=total_params,
        weight_bytes=total_weights,
        layers=layers,
        llm=llm,
        parallel=_parallel_dict(sys_spec, tp, pp, m, bubble, comm_t, results, mems, link_j, link),
    )


def simulate_parallel(
    workload: Workload | DecoderWorkload,
    sys_spec: SystemSpec,
    spec: HardwareSpec,
    prof: SoftwareProfile,
    *,
    tp: int = 1,
    pp: int = 1,
    microbatches: int = 1,
    ep: bool = False,
    micro: DecoderWorkload | None = None,
    strict_memory: bool = False,
) -> SimulationResult:
    """One LLM request (or one graph shard) on ``tp`` x ``pp`` devices of ``sys_spec``.

    Args:
        workload: the whole model (a decoder is sharded here) or one shard's graph.
        sys_spec: the system.
        spec: its device chip.
        prof: the software profile.
        tp: tensor-parallel degree.
        pp: pipeline stages.
        microbatches: pipeline micro-batches.
        ep: expert parallelism: a MoE layer's experts spread whole over the tp devices.
        micro: the decoder at batch / microbatches (required when ``microbatches`` > 1).
        strict_memory: passed to each device's run.

    Raises:
        SimulationError: tp x pp exceeds the system, a bad tp/pp/microbatches, or the shard
            does not fit a device (the message names the smallest tp that fits).
    """
    r = _simulate_parallel(
        workload,
        sys_spec,
        spec,
        prof,
        tp=tp,
        pp=pp,
        microbatches=microbatches,
        ep=ep,
        micro=micro,
        strict_memory=strict_memory,
    )
    return replace(r, parallel={**r.parallel, "ep": ep}) if ep else r
