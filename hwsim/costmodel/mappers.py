"""Mappers: propose candidate mappings of an op onto a unit and keep the best.

One mapper per unit kind, chosen by the spec (:attr:`ComputeUnit.mapper_kind`):

* ``array`` — a spatial MAC array whose axes unroll the loop dims the spec allows
  (``array.row_dims`` / ``array.col_dims``); weight stationary; fill/drain.
* ``gpu`` — CTA output tiles over the unit's cores (SMs) in waves ``ceil(tiles / SMs)``,
  tensor-core tile granularity, accumulators in registers, operand panels staged in the
  per-SM shared memory, one shared L2 cache (reuse distance against its capacity).
* ``cpu`` — register blocking against the core's register file, SIMD lanes, scratchpads
  tiled against their capacity and caches by reuse distance.

Ops without MACs stream their operands once (compulsory traffic). Candidate search is
bounded and deterministic (ties keep the first candidate); the GPU mapper's is vectorised
with numpy, imported when a GPU op is first mapped (a run on an MCU or an array does not
load it).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from hwsim.costmodel.mapping import A, B, C, Mapping, Operands, level_traffic
from hwsim.costmodel.tiling import gemm_refetch, reuse_refetch
from hwsim.hardware.models import ComputeUnit, MemoryLevel
from hwsim.vocabulary import DTYPE_BYTES
from hwsim.workload.ir import GemmShape

if TYPE_CHECKING:
    import numpy as np

Objective = str  # "latency" | "energy"


@dataclass(frozen=True, slots=True)
class MapRequest:
    """Everything a mapper needs, hashable so mappings can be cached.

    ``levels`` are the chip's memory levels (nearest first); ``eff`` the software's
    achievable fraction of peak for the op class; ``bw_eff`` of every bandwidth.
    """

    gemm: GemmShape | None
    kernel: tuple[int, int]
    macs: int
    operands: Operands
    unit: ComputeUnit
    dtype: str
    levels: tuple[MemoryLevel, ...]
    eff: float
    bw_eff: float
    objective: Objective


def _fill_free(levels: tuple[MemoryLevel, ...]) -> tuple[bool, ...]:
    return tuple(m.kind == "cache" for m in levels)


def stream_mapping(req: MapRequest) -> Mapping:
    """Compulsory traffic: every operand moves once along its path (no MAC tiling)."""
    nlev = len(req.levels)
    return Mapping(
        mapper="stream",
        dataflow="streaming",
        factors=tuple((1.0, 1.0, 1.0) for _ in range(nlev)),
        paths=req.operands.paths,
        fill_free=_fill_free(req.levels),
    )


def _mem_time(req: MapRequest, reads: list[Any], writes: list[Any], fills: list[Any]) -> Any:
    """Slowest level's busy time (s) for per-level bytes (floats or arrays)."""
    import numpy as np

    worst: Any = 0.0
    for j, m in enumerate(req.levels):
        rd, wr = reads[j], writes[j]
        if m.kind == "cache":
            wr = wr - fills[j]  # fills forward data to the requester: no extra port time
        if m.separate_ports:
            busy = np.maximum(rd / m.read_bw, wr / m.write_bw)
        else:
            busy = rd / m.read_bw + wr / m.write_bw
        t = np.where(np.asarray(rd + wr) > 0, m.latency + busy / req.bw_eff, 0.0)
        worst = np.maximum(worst, t)
    return worst


def _mem_energy(req: MapRequest, reads: list[Any], writes: list[Any]) -> Any:
    e: Any = 0.0
    for j, m in enumerate(req.levels):
        e = e + reads[j] * m.read_j_per_byte + writes[j] * m.write_j_per_byte
    return e


def _pick(req: MapRequest, latency: np.ndarray, energy: np.ndarray) -> int:
    """Index of the best candidate: objective first, the other as tie-break, then order."""
    import numpy as np

    lat = np.round(latency, 15)
    en = np.round(energy, 18)
    keys = (
        (np.arange(lat.size), en, lat)
        if req.objective == "latency"
        else (np.arange(lat.size), lat, en)
    )
    return int(np.lexsort(keys)[0])


# --------------------------------------------------------------------------- GPU


_GPU_TILES = (16.0, 32.0, 64.0, 128.0, 256.0)
_GPU_SPLITK = (1.0, 2.0, 4.0, 8.0, 16.0)
_WARP_TILE = 64.0
_STAGES = 3  # cp.async pipeline stages of the shared-memory operand panels
_TK = 32.0  # k depth of one staged panel
_MMA_K = {"fp16": 16, "bf16": 16, "tf32": 8, "fp32": 8, "int8": 32, "fp8": 32, "int4": 64}


def gpu_tile_counts(
    g: GemmShape, tm: Any, tn: Any, split: Any, cores: int
) -> tuple[Any, Any, Any, Any]:
    """(tiles along m, tiles along n, CTAs, waves) for CTA tiles tm x tn and split-K."""
    import numpy as np

    tiles_m = np.ceil(g.m / tm)
    tiles_n = np.ceil(g.n / tn)
    ctas = g.groups * tiles_m * tiles_n * split
    waves = np.ceil(ctas / cores)
    return tiles_m, tiles_n, ctas, waves


def gpu_mapping_for(req: MapRequest, tm: float, tn: float, split: float, raster: int) -> Mapping:
    """The GPU mapping for one CTA tile choice (used by the search and by seam tests)."""
    import numpy as np

    return _gpu(req, np.array([tm]), np.array([tn]), np.array([split]), np.array([raster]), 0)


def _gpu_search(req: MapRequest) -> Mapping:
    import numpy as np

    tm, tn, sk, ra = np.meshgrid(_GPU_TILES, _GPU_TILES, _GPU_SPLITK, [0.0, 1.0], indexing="ij")
    return _gpu(req, tm.ravel(), tn.ravel(), sk.ravel(), ra.ravel(), None)


def _gpu(req: MapRequest, tm: Any, tn: Any, split: Any, raster: Any, force: int | None) -> Mapping:
    import numpy as np

    g = req.gemm
    assert g is not None
    unit, ops = req.unit, req.operands
    levels = req.levels
    cores = unit.cores
    kgran = _MMA_K.get(req.dtype, 16)
    tiles_m, tiles_n, ctas, waves = gpu_tile_counts(g, tm, tn, split, cores)
    k_cta = np.ceil(np.ceil(g.k / split) / kgran) * kgran
    slots = waves * cores * tm * tn * k_cta
    util = g.macs / slots
    per_core = unit.total_peak(req.dtype) / cores
    compute = 2.0 * slots / (per_core * cores * req.eff) if per_core > 0 else np.inf * slots
    ok = np.ones(tm.shape, dtype=bool)
    if force is None:
        ok &= (split == 1) | (g.groups * tiles_m * tiles_n < cores)  # split-K only if idle SMs
        ok &= split <= np.maximum(1, np.ceil(g.k / (2 * kgran)))
    acc_bytes = unit.accumulator_bits / 8
    if unit.register_file is not None and force is None:
        ok &= tm * tn * acc_bytes <= 0.5 * unit.register_file  # half the RF for accumulators
    # Levels: the staging buffer (shared memory) is the first level of the weights' /
    # input's path; the next one out is the shared L2.
    pa, pb, pc = ops.paths
    first = pb[0] if pb else (pa[0] if pa else None)
    stage = first if first is not None and levels[first].kind in ("sram", "register") else None
    if stage is not None and force is None:
        cap = levels[stage].capacity / levels[stage].instances
        ok &= _STAGES * (tm + tn) * _TK * max(ops.el[A], ops.el[B], 1e-9) <= cap
    if not ok.any():
        ok = tm == tm.min()
        ok &= tn == tn.min()
        ok &= split == 1
        ok &= raster == 0
    # Accumulators live in registers: the output skips the staging buffer.
    pc2 = pc[1:] if (stage is not None and len(pc) > 1 and pc[0] == stage) else pc
    paths = (pa, pb, pc2)
    nlev = len(levels)
    one = np.ones(tm.shape)
    warp_a = tiles_n * np.ceil(np.minimum(tn, g.n) / _WARP_TILE)  # A read per warp column
    warp_b = tiles_m * np.ceil(np.minimum(tm, g.m) / _WARP_TILE)
    ga = ops.sizes[A] / g.groups
    gb = ops.sizes[B] / g.groups
    rows_per_wave = np.maximum(1.0, np.floor(cores / tiles_n))
    cols_per_wave = np.maximum(1.0, np.floor(cores / tiles_m))
    factors: list[list[Any]] = [[one, one, one] for _ in range(nlev)]
    for x, path in ((A, pa), (B, pb)):
        for pos, j in enumerate(path):
            if pos == 0 and j == stage:
                f = warp_a if x == A else warp_b
            elif pos <= (1 if stage is not None else 0):
                f = tiles_n if x == A else tiles_m  # CTA panel loads
            else:
                # Behind the shared cache: a panel re-read hits when everything touched
                # between two uses fits (raster 0: n inner, so A panels are reused by the
                # next CTA and B by the next row of tiles; raster 1 the other way round).
                inner = path[pos - 1]
                cap = levels[inner].capacity if levels[inner].kind == "cache" else 0.0
                if x == A:
                    dist = np.where(
                        raster == 0,
                        tm * g.k * ops.el[A] + tn * g.k * ops.el[B],
                        ga + tn * g.k * ops.el[B],
                    )
                    miss = np.where(raster == 0, 1.0, np.ceil(tiles_n / cols_per_wave))
                else:
                    dist = np.where(
                        raster == 0,
                        gb + tm * g.k * ops.el[A],
                        tn * g.k * ops.el[B] + tm * g.k * ops.el[A],
                    )
                    miss = np.where(raster == 0, np.ceil(tiles_m / rows_per_wave), 1.0)
                f = np.where(dist <= cap, 1.0, miss)
            factors[j][x] = f
    for pos, j in enumerate(pc2):
        factors[j][C] = 2.0 * split - 1.0 if pos == 0 else one
    fac = tuple((f[0], f[1], f[2]) for f in factors)
    reads, writes, fills = level_traffic(nlev, ops.sizes, paths, fac, ops.acc_ratio)
    mem = _mem_time(req, reads, writes, fills)
    latency = np.where(ok, np.maximum(compute, mem), np.inf)
    energy = np.where(ok, _mem_energy(req, reads, writes), np.inf)
    i = force if force is not None else _pick(req, latency, energy)
    t = (int(tm[i]), int(tn[i]), int(k_cta[i]))
    stage_name = levels[stage].name if stage is not None else "registers"
    return Mapping(
        mapper="gpu",
        dataflow="output-stationary" + (f", split-K {int(split[i])}" if split[i] > 1 else ""),
        spatial=(("cores", "m x n tiles", int(ctas[i]), int(waves[i]) * cores),),
        utilization=float(util[i]),
        waves=int(waves[i]),
        tiles=((stage_name, t),),
        order="mnk" if raster[i] == 0 else "nmk",
        factors=tuple(_pick3(lv, tm.shape, i) for lv in fac),
        paths=paths,
        accumulators="registers",
        fill_free=_fill_free(levels),
    )


def _pick3(lv: tuple[Any, Any, Any], shape: tuple[int, ...], i: int) -> tuple[float, float, float]:
    import numpy as np

    a, b, c = (float(np.broadcast_to(f, shape)[i]) for f in lv)
    return a, b, c


# --------------------------------------------------------------------------- array


def _loop_dims(req: MapRequest) -> dict[str, int]:
    g = req.gemm
    assert g is not None
    kh, kw = req.kernel
    area = kh * kw
    c = g.k // area if area > 0 and g.k % area == 0 else g.k
    fy, fx = (kh, kw) if c * area == g.k else (1, 1)
    return {"C": c, "FX": fx, "FY": fy, "K": g.n, "OX": g.m, "OY": 1, "B": 1}


def _array(req: MapRequest) -> Mapping:
    g = req.gemm
    assert g is not None and req.unit.array is not None
    arr = req.unit.array
    unit, ops = req.unit, req.operands
    dims = _loop_dims(req)
    used_r = math.prod(dims[d] for d in arr.row_dims)
    used_c = math.prod(dims[d] for d in arr.col_dims)
    row_tiles = math.ceil(used_r / arr.rows)
    col_tiles = math.ceil(used_c / arr.cols)
    util = (used_r / (row_tiles * arr.rows)) * (used_c / (col_tiles * arr.cols))
    # Reduction dims left to time: partial sums of one output accumulate over them.
    temporal_red = math.prod(dims[d] for d in ("C", "FX", "FY") if d not in arr.row_dims)
    # Per-PE weight registers hold the weights of the temporal reduction of one PE: the
    # outputs then accumulate in the array over it and leave once per row tile.
    regs = unit.register_file
    if regs is not None and temporal_red * ops.el[B] <= regs:
        red_passes = row_tiles
        dataflow = "weight-stationary, kernel window in PE registers"
    else:
        red_passes = row_tiles * temporal_red
        dataflow = "weight-stationary"
    clock = unit.clock or unit.total_peak(req.dtype) / (2.0 * arr.rows * arr.cols * unit.count)
    fill_drain = (arr.rows + arr.cols - 2) / clock if clock else 0.0
    innermost = {A: float(col_tiles), B: 1.0, C: 2.0 * red_passes - 1.0}
    mp = _tiled(req, innermost, util, dataflow, "array", fill_drain)
    spatial = (
        ("rows", "x".join(arr.row_dims), int(used_r), row_tiles * arr.rows),
        ("cols", "x".join(arr.col_dims), int(used_c), col_tiles * arr.cols),
    )
    return Mapping(
        mapper=mp.mapper,
        dataflow=mp.dataflow,
        spatial=spatial,
        utilization=mp.utilization,
        extra_s=mp.extra_s,
        tiles=mp.tiles,
        order=mp.order,
        factors=mp.factors,
        paths=mp.paths,
        accumulators="array output registers" if red_passes == row_tiles else mp.accumulators,
        fill_free=mp.fill_free,
    )


# --------------------------------------------------------------------------- CPU


def _cpu(req: MapRequest) -> Mapping:
    g = req.gemm
    assert g is not None
    unit = req.unit
    util = 1.0
    spatial: tuple[tuple[str, str, int, int], ...] = ()
    if unit.simd_bits:
        lanes = max(1, int(unit.simd_bits // (8 * DTYPE_BYTES.get(req.dtype, 4))))
        padded = math.ceil(g.n / lanes) * lanes
        util = g.n / padded
        spatial = (("simd lanes", "n", g.n, padded),)
    mp = _tiled(req, None, util, "register-blocked", "cpu", 0.0)
    return replace(mp, spatial=spatial) if spatial else mp


def _tiled(
    req: MapRequest,
    innermost: dict[int, float] | None,
    util: float,
    dataflow: str,
    mapper: str,
    extra_s: float,
) -> Mapping:
    """Tile every buffer boundary; caches by reuse distance of the loop nest inside them.

    ``innermost``: factors at the level feeding the unit (an array's dataflow); None tiles
    the unit's register file (or counts compulsory traffic without one).
    """
    g = req.gemm
    assert g is not None
    unit, ops, levels = req.unit, req.operands, req.levels
    nlev = len(levels)
    paths = ops.paths
    el = ops.el
    active = tuple(x for x in range(3) if ops.sizes[x] > 0)
    factor: list[dict[int, float]] = [{}, {}, {}]
    # the loop nest (tile, order) that reads each level, for caches farther out
    nest: dict[int, tuple[tuple[int, int, int], str]] = {}
    tiles: list[tuple[str, tuple[int, int, int]]] = []
    order = ""
    for j in range(nlev):
        present = [x for x in range(3) if j in paths[x]]
        if not present:
            continue
        special = [x for x in present if paths[x].index(j) == 0]
        inner_of = {x: paths[x][paths[x].index(j) - 1] for x in present if x not in special}
        if special:
            mem = levels[j]
            if mem.kind == "register":
                full = {A: float(g.n), B: float(g.m), C: 2.0 * g.k - 1.0}
                for x in special:
                    factor[x][j] = full[x]
                nest[j] = ((1, 1, 1), "mnk")
            elif innermost is not None:
                for x in special:
                    factor[x][j] = innermost[x]
            elif unit.register_file is not None:
                bufs = tuple(0 if x in active else -1 for x in (A, B, C))
                rf = gemm_refetch(g.m, g.n, g.k, el, bufs, (unit.register_file,))
                for x in special:
                    factor[x][j] = (rf.a, rf.b, rf.c)[x]
                nest[j] = (rf.tile, rf.order)
                if not tiles:
                    tiles.append(("registers", rf.tile))
                    order = rf.order
            else:
                for x in special:
                    factor[x][j] = 1.0
        if inner_of:
            inner_levels = sorted(set(inner_of.values()))
            caches = [i for i in inner_levels if levels[i].kind == "cache" and i in nest]
            if caches and len(inner_levels) == 1:
                # A cache is not tiled by software: its misses follow the reuse distance of
                # the loop nest that reads it, against its capacity.
                i = caches[0]
                tile, nest_order = nest[i]
                cap = levels[i].capacity / levels[i].instances
                rr = reuse_refetch(g.m, g.n, g.k, el, tile, nest_order, cap)
                for x in inner_of:
                    factor[x][j] = (rr[0], rr[1], rr[2])[x]
                nest[j] = nest[i]
            else:
                caps = tuple(levels[i].capacity / levels[i].instances for i in inner_levels)
                bufs = tuple(
                    inner_levels.index(inner_of[x]) if x in inner_of else -1 for x in (A, B, C)
                )
                rf = gemm_refetch(g.m, g.n, g.k, el, bufs, caps)
                for x in inner_of:
                    factor[x][j] = (rf.a, rf.b, rf.c)[x]
                nest[j] = (rf.tile, rf.order)
                for i in inner_levels:
                    tiles.append((levels[i].name, rf.tile))
                if not order:
                    order = rf.order
    facs = tuple(
        (factor[A].get(j, 1.0), factor[B].get(j, 1.0), factor[C].get(j, 1.0)) for j in range(nlev)
    )
    return Mapping(
        mapper=mapper,
        dataflow=dataflow,
        utilization=util,
        extra_s=extra_s,
        tiles=tuple(tiles),
        order=order,
        factors=facs,
        paths=paths,
        accumulators=tiles[0][0] if tiles else "registers",
        fill_free=_fill_free(levels),
    )


# --------------------------------------------------------------------------- entry


def levels_key(unit: ComputeUnit, levels: Sequence[MemoryLevel]) -> tuple[object, ...]:
    """What the mapper of ``unit`` reads of the memory levels (part of the mapping cache key).

    The array and CPU mappers tile against capacities only (name, kind, capacity,
    instances): their mapping does not change with a level's bandwidth, latency or energy,
    so a sweep over those reuses it. The GPU mapper ranks its candidates by time and energy
    and reads every timing and energy field as well.
    """
    if unit.mapper_kind != "gpu":
        return tuple((m.name, m.kind, m.capacity, m.instances) for m in levels)
    return tuple(
        (
            m.name,
            m.kind,
            m.capacity,
            m.instances,
            m.read_bw,
            m.write_bw,
            m.separate_ports,
            m.latency,
            m.read_j_per_byte,
            m.write_j_per_byte,
        )
        for m in levels
    )


def map_op(req: MapRequest) -> Mapping:
    """The best mapping of a request (callers cache it: see ``opcost.mapping_for``)."""
    if req.gemm is None or req.macs == 0:
        return stream_mapping(req)
    kind = req.unit.mapper_kind
    if kind == "gpu":
        return _gpu_search(req)
    if kind == "array" and req.unit.array is not None:
        return _array(req)
    return _cpu(req)
