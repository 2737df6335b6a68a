"""Serving on a system of chips: step costs of a tensor-parallel shard, pipeline hops.

The continuous-batching server runs one batch at a time through the whole model. With
``tp`` the step graphs are one device's shard (collectives timed on the links by
:func:`hwsim.engine.simulate_parallel`, energy x tp). With ``pp`` stages a batch crosses the
stages one after the other (a single micro-batch in flight, as vLLM with one virtual engine):
its step time is the whole model's (the stages' times add up) plus ``pp - 1`` hops of the
hidden state, and the other stages' devices idle meanwhile (static power x tp x pp). The
KV-cache budget is the one of the fullest device: its stage's weights against its memory.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from hwsim.engine import simulate_parallel
from hwsim.engine.parallel import p2p_time
from hwsim.engine.result import SimulationResult
from hwsim.hardware.models import HardwareSpec, SoftwareProfile
from hwsim.hardware.operating import nominal_idle_power
from hwsim.hardware.system import SystemSpec
from hwsim.vocabulary import DTYPE_BYTES
from hwsim.workload.ir import DecoderWorkload, Workload


@dataclass(frozen=True)
class SystemRunner:
    """Simulates a step graph of a ``tp`` shard on ``sys_spec``, adding ``pp`` stage hops."""

    sys_spec: SystemSpec
    spec: HardwareSpec
    prof: SoftwareProfile
    tp: int
    pp: int

    @property
    def devices(self) -> int:
        """Devices serving one replica: tp x pp."""
        return self.tp * self.pp

    def __call__(self, graph: Workload) -> SimulationResult:
        """One step (prefill or decode) of the whole batch through every stage."""
        r = simulate_parallel(graph, self.sys_spec, self.spec, self.prof)
        if self.pp == 1:
            return r
        ids = graph.tensors[graph.inputs[0]].shape  # (batch, new tokens)
        width = max(t.shape[-1] for t in graph.tensors.values() if len(t.shape) == 3)
        hop = float(ids[0] * ids[1] * width * DTYPE_BYTES[graph.act_dtype])
        link = self.sys_spec.group_link(self.devices)
        extra_t = (self.pp - 1) * p2p_time(hop, link)
        extra_j = (self.pp - 1) * hop * link.energy_per_byte
        # the other stages' devices idle while one stage computes
        idle_j = (self.pp - 1) * self.tp * nominal_idle_power(self.spec) * (r.latency_s + extra_t)
        idle_j += self.tp * nominal_idle_power(self.spec) * extra_t
        return replace(
            r,
            latency_s=r.latency_s + extra_t,
            energy_j=r.energy_j + extra_j + idle_j,
        )


def fullest_stage(w: DecoderWorkload, tp: int, pp: int, ep: bool = False) -> DecoderWorkload:
    """The stage shard with the most weight bytes (its device has the least room for KV)."""
    stages = [w.shard(tp, pp, s, ep) for s in range(pp)]
    return max(stages, key=lambda s: s.prefill().weight_bytes)
