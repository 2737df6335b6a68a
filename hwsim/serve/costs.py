"""Step costs for serving, from ``simulate()``: time, energy and busy time per unit/channel.

A *step* is one batch of a CNN/encoder (``BatchCosts``, one simulation per distinct batch
size, cached) or one iteration of a decoder LLM (``DecoderCosts``: a decode step of ``b``
sequences with ``K`` cached tokens in total, plus the prefill of new prompts). Every step
cost is a vector ``[time_s, energy_j, busy_s per compute unit..., busy_s per memory level...]``
so that sums and interpolations treat all of them alike.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from hwsim.engine.result import SimulationResult
from hwsim.engine.simulate import memory_placement, simulate
from hwsim.hardware.models import HardwareSpec, SoftwareProfile
from hwsim.serve.requests import ServingError
from hwsim.workload.ir import DecoderWorkload, Workload
from hwsim.workload.registry import load_workload

AnyWorkload = Workload | DecoderWorkload
Builder = Callable[..., AnyWorkload]

DECODE_BATCH_FACTOR = 4
"""Decode steps are simulated at batch sizes 1, 4, 16, ... and the largest reachable one."""

PREFILL_SAMPLES = 6
"""At most this many prompt lengths get a prefill simulation; others are interpolated."""


class ModelSource:
    """Builds the workload at a batch size (and, for decoders, prompt/output lengths).

    ``workload`` is a built-in name or model file (rebuilt with ``load_workload``), a
    workload object loaded by ``load_workload`` (rebuilt from its source likewise), a
    callable ``(batch=, [prompt_len=, gen_len=]) -> Workload | DecoderWorkload``, or a
    workload built in code (usable only at its own batch size and prompt length).
    """

    def __init__(
        self,
        workload: str | Path | AnyWorkload | Builder,
        dtype: str | None,
        params: dict[str, Any],
    ) -> None:
        self.workload = workload
        self.dtype = dtype
        self.params = {k: v for k, v in params.items() if v is not None}
        loaded = isinstance(workload, (Workload, DecoderWorkload)) and workload.source is not None
        self.is_object = isinstance(workload, (Workload, DecoderWorkload)) and not loaded
        self.is_callable = not self.is_object and not loaded and callable(workload)
        if (self.is_object or self.is_callable) and (dtype is not None or self.params):
            raise ServingError(
                "pass dtype and model parameters to the workload builder, not to serve()"
            )
        self.tp = 1  # tensor-parallel shards are built when > 1 (serving on a system)
        self.ep = False  # with tp: MoE experts spread whole over the devices
        self.first = self.build(1)
        self.name = self.first.name

    @property
    def is_decoder(self) -> bool:
        """True for decoder LLMs (continuous batching)."""
        return isinstance(self.first, DecoderWorkload)

    def build(self, batch: int, **lens: int) -> AnyWorkload:
        """The workload with ``batch`` requests (sequences) in one pass (one device's
        tensor-parallel shard when ``tp`` > 1)."""
        w = self.build_full(batch, **lens)
        if self.tp > 1 and isinstance(w, DecoderWorkload):
            return w.shard(self.tp, ep=self.ep)
        return w

    def build_full(self, batch: int, **lens: int) -> AnyWorkload:
        """The whole model with ``batch`` requests (sequences) in one pass."""
        if self.is_object:
            w = self.workload
            assert isinstance(w, (Workload, DecoderWorkload))
            if batch != w.batch:
                raise ServingError(
                    f"{w.name}: a workload object has a fixed batch of {w.batch}; pass a built-in "
                    "name, a model file or a builder callable (batch=...) to serve batches of "
                    f"{batch}"
                )
            if isinstance(w, DecoderWorkload) and lens.get("prompt_len", w.prompt_len) != (
                w.prompt_len
            ):
                raise ServingError(
                    f"{w.name}: a DecoderWorkload object has a fixed prompt of {w.prompt_len} "
                    "tokens; pass a name or a builder callable for other prompt lengths"
                )
            return w
        if self.is_callable:
            fn = self.workload
            assert callable(fn)
            w = fn(batch=batch, **lens)
            if not isinstance(w, (Workload, DecoderWorkload)):
                raise ServingError(
                    f"the workload builder returned {type(w).__name__}, not a Workload"
                )
            return w
        assert isinstance(self.workload, (str, Path, Workload, DecoderWorkload))
        return load_workload(self.workload, batch=batch, dtype=self.dtype, **self.params, **lens)


@dataclass(frozen=True)
class StepLayout:
    """Names behind the columns of a step-cost vector."""

    units: tuple[str, ...]
    levels: tuple[str, ...]

    @classmethod
    def of(cls, spec: HardwareSpec) -> StepLayout:
        """Columns for every compute unit and memory level of ``spec``."""
        return cls(tuple(c.name for c in spec.compute), tuple(m.name for m in spec.memory))

    @property
    def width(self) -> int:
        """Length of a step-cost vector."""
        return 2 + len(self.units) + len(self.levels)

    def vector(self, r: SimulationResult) -> np.ndarray:
        """``[latency_s, energy_j, busy_s per unit..., busy_s per level...]`` of one run.

        A unit is busy while an op holds it (compute and waiting on its transfers); a memory
        level is busy while a transfer streams through its channel.
        """
        v = np.zeros(self.width)
        v[0] = r.latency_s
        v[1] = r.energy_j
        ui = {u: 2 + i for i, u in enumerate(self.units)}
        li = {lv: 2 + len(self.units) + i for i, lv in enumerate(self.levels)}
        for layer in r.layers:
            if layer.unit in ui:
                v[ui[layer.unit]] += layer.latency_s
            for lv, s, e in layer.transfers:
                v[li[lv]] += e - s
        return v


class BatchCosts:
    """Service cost of a batch of ``b`` requests of a CNN/encoder (one simulation per ``b``)."""

    def __init__(self, source: ModelSource, spec: HardwareSpec, prof: SoftwareProfile) -> None:
        self.source = source
        self.spec = spec
        self.prof = prof
        self.layout = StepLayout.of(spec)
        self._vec: dict[int, np.ndarray] = {}
        self._time: dict[int, float] = {}
        self.warnings: list[str] = []
        self.dtype = ""

    def vector(self, b: int) -> np.ndarray:
        """Step-cost vector of a batch of ``b`` (simulated on first use, then cached)."""
        v = self._vec.get(b)
        if v is None:
            w = self.source.build(b)
            r = simulate(w, self.spec, profile=self.prof)
            v = self.layout.vector(r)
            self._vec[b] = v
            self._time[b] = float(v[0])
            self.dtype = self.dtype or r.dtype
            for msg in r.warnings:
                if msg not in self.warnings:
                    self.warnings.append(msg)
            if not v[0] > 0:
                raise ServingError(f"{w.name}: a batch of {b} takes no time on {self.spec.name}")
        return v

    def time(self, b: int) -> float:
        """Service time of a batch of ``b`` requests, s."""
        t = self._time.get(b)
        if t is None:
            self.vector(b)
            t = self._time[b]
        return t

    def total(self, counts: dict[int, int]) -> np.ndarray:
        """Summed step-cost vector of ``counts[b]`` batches of each size ``b``."""
        out = np.zeros(self.layout.width)
        for b in sorted(counts):
            out += counts[b] * self._vec[b]
        return out


@dataclass(frozen=True)
class KVMemory:
    """Where the KV cache lives and how much of it there is room for."""

    level: str
    capacity_bytes: float
    used_bytes: float
    budget_bytes: float
    bytes_per_token: float
    given: bool

    def describe(self) -> str:
        """One line: the budget and where it comes from."""
        b = format_bytes(self.budget_bytes)
        if self.given:
            return f"KV budget {b} (given)"
        cap = format_bytes(self.capacity_bytes)
        used = format_bytes(self.used_bytes)
        return f"KV budget {b} = {self.level} {cap} - {used} weights/activations"


def format_bytes(n: float) -> str:
    """Bytes with a binary prefix (KiB, MiB, GiB), as capacities are written in specs."""
    for unit, scale in (("TiB", 2.0**40), ("GiB", 2.0**30), ("MiB", 2.0**20), ("KiB", 2.0**10)):
        if abs(n) >= scale:
            return f"{n / scale:.4g} {unit}"
    return f"{n:.4g} B"


def kv_memory(
    w: DecoderWorkload, spec: HardwareSpec, prof: SoftwareProfile, budget: float | None
) -> KVMemory:
    """KV-cache budget: capacity of the weights' level minus what placement puts there.

    ``w`` is the decoder at batch 1 with the longest prompt; its prefill's peak activations
    count against the level when they are placed on it too.
    """
    pl = memory_placement(w.prefill(), spec, prof)
    level = spec.memory[pl.weight_level]
    used = pl.fit[level.name].required_bytes
    if budget is not None:
        if not (math.isfinite(budget) and budget > 0):
            raise ServingError(f"the KV budget must be > 0 bytes, got {budget!r}")
        return KVMemory(level.name, level.capacity, used, float(budget), w.kv_bytes_per_token, True)
    free = level.capacity - used
    if free <= 0:
        raise ServingError(
            f"{w.name} does not leave room for a KV cache on {spec.name}: {level.name} holds "
            f"{format_bytes(level.capacity)} and the weights/activations need {format_bytes(used)}"
        )
    return KVMemory(level.name, level.capacity, used, free, w.kv_bytes_per_token, False)


def batch_grid(b_max: int, factor: int = DECODE_BATCH_FACTOR) -> list[int]:
    """Batch sizes 1, factor, factor^2, ... below ``b_max``, then ``b_max``."""
    out = []
    b = 1
    while b < b_max:
        out.append(b)
        b *= factor
    out.append(b_max)
    return out


class DecoderCosts:
    """Iteration cost of continuous batching for a decoder LLM.

    Decode of ``b`` sequences holding ``K`` cached tokens in total costs
    ``a[b] + s[b] * K`` (affine in KV length for a fixed batch; the weights are read once
    for the whole batch). ``a`` and ``s`` come from two decode-step simulations (KV lengths
    ``kv_lo`` and ``kv_hi`` per sequence) at each batch size of :func:`batch_grid`, linearly
    interpolated in ``b`` in between. Prefill of one prompt of ``P`` tokens is simulated at
    up to :data:`PREFILL_SAMPLES` prompt lengths and interpolated.

    ``max_context`` is the longest prompt + output of any request; ``prompt_at_max`` and
    ``gen_max`` are that request's lengths (the decoder is built with them, so models with
    learned positions accept every KV length simulated).
    """

    def __init__(
        self,
        source: ModelSource,
        spec: HardwareSpec,
        prof: SoftwareProfile,
        *,
        b_max: int,
        prompt_lens: np.ndarray,
        max_context: int,
        gen_max: int,
        prompt_at_max: int,
        runner: Callable[[Workload], SimulationResult] | None = None,
        prefill_points: np.ndarray | None = None,
    ) -> None:
        self.layout = StepLayout.of(spec)
        self.warnings: list[str] = []
        self.dtype = ""
        self.b_max = b_max
        self.grid = batch_grid(b_max)
        p_min, p_max = int(prompt_lens.min()), int(prompt_lens.max())
        # Decode of token t+1 attends over prompt + t - 1 cached tokens (t = 1 .. gen - 1).
        self.kv_lo = max(0, p_min - 1)
        self.kv_hi = max(max_context - 2, self.kv_lo + 1)

        # The stack's per-run overhead is paid once per request, with its prefill (as in
        # simulate's TTFT), not again by every decode step.
        step_prof = prof.model_copy(update={"overhead_per_run": 0.0})

        def run(w: Workload, step: bool = False) -> np.ndarray:
            p = step_prof if step else prof
            r = runner(w) if runner is not None else simulate(w, spec, profile=p)
            self.dtype = self.dtype or r.dtype
            for msg in r.warnings:
                if msg not in self.warnings:
                    self.warnings.append(msg)
            return self.layout.vector(r)

        a_rows, s_rows = [], []
        for b in self.grid:
            w = source.build(b, prompt_len=prompt_at_max, gen_len=gen_max)
            assert isinstance(w, DecoderWorkload)
            lo = run(w.decode_step(self.kv_lo), step=True)
            hi = run(w.decode_step(self.kv_hi), step=True)
            slope = (hi - lo) / (b * (self.kv_hi - self.kv_lo))
            s_rows.append(slope)
            a_rows.append(lo - slope * b * self.kv_lo)
        bs = np.arange(b_max + 1, dtype=np.float64)
        grid = np.asarray(self.grid, dtype=np.float64)
        a = np.asarray(a_rows)
        s = np.asarray(s_rows)
        self.dec_a = np.stack([np.interp(bs, grid, a[:, j]) for j in range(a.shape[1])], axis=1)
        self.dec_s = np.stack([np.interp(bs, grid, s[:, j]) for j in range(s.shape[1])], axis=1)
        self.dec_a[0] = 0.0
        self.dec_s[0] = 0.0
        distinct = np.unique(prompt_lens)
        if prefill_points is not None:
            points = np.unique(np.asarray(prefill_points, dtype=np.int64))
        elif distinct.size <= PREFILL_SAMPLES:
            points = distinct
        else:
            points = np.unique(np.rint(np.linspace(p_min, p_max, PREFILL_SAMPLES)).astype(np.int64))
        rows = []
        for p in points:
            w = source.build(1, prompt_len=int(p), gen_len=1)
            assert isinstance(w, DecoderWorkload)
            rows.append(run(w.prefill()))
        self.prefill_points = points.astype(np.int64)
        self.prefill_table = np.asarray(rows)

    @property
    def time_a(self) -> list[float]:
        """Decode time at zero KV per batch size (index b), s."""
        return [float(x) for x in self.dec_a[:, 0]]

    @property
    def time_s(self) -> list[float]:
        """Decode time per cached token per batch size (index b), s/token."""
        return [float(x) for x in self.dec_s[:, 0]]

    def prefill_time(self, tokens: float) -> float:
        """Whole-prompt prefill time of a ``tokens``-token prompt, s (interpolated; 0 at 0)."""
        if tokens <= 0:
            return 0.0
        xp = self.prefill_points.astype(np.float64)
        return float(np.interp(tokens, xp, self.prefill_table[:, 0]))

    def decode_time(self, b: int, kv_tokens: float) -> float:
        """Time of one decode step of ``b`` sequences with ``kv_tokens`` cached in total, s."""
        return float(self.dec_a[b, 0] + self.dec_s[b, 0] * kv_tokens)

    def prefill(self, prompt_lens: np.ndarray, column: int | None = None) -> np.ndarray:
        """Step-cost vectors (one row per prompt) of whole-prompt prefill.

        With ``column``, only that entry of each vector (0: time, s), as a 1-D array.
        """
        x = np.asarray(prompt_lens, dtype=np.float64)
        xp = self.prefill_points.astype(np.float64)
        if column is not None:
            return np.asarray(np.interp(x, xp, self.prefill_table[:, column]))
        cols = [np.interp(x, xp, self.prefill_table[:, j]) for j in range(self.layout.width)]
        return np.stack(cols, axis=1)

    def prefill_total(self, prompt_lens: np.ndarray) -> np.ndarray:
        """Summed step-cost vector of the whole-prompt prefills of ``prompt_lens``.

        One row per distinct length, weighted by its count: memory grows with the distinct
        lengths, not with the requests.
        """
        lens, counts = np.unique(np.asarray(prompt_lens), return_counts=True)
        return np.asarray(counts.astype(np.float64) @ self.prefill(lens))

    def decode_total(self, counts: np.ndarray, kv_sums: np.ndarray) -> np.ndarray:
        """Summed step-cost vector of ``counts[b]`` decode steps with ``kv_sums[b]`` KV tokens."""
        return np.asarray(counts @ self.dec_a + kv_sums @ self.dec_s)
