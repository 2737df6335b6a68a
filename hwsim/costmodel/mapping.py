"""The mapping of an op onto a compute unit, as a value, and the traffic that follows from it.

A mapper (:mod:`hwsim.costmodel.mappers`) proposes candidate mappings for an op and keeps
the best; :func:`level_traffic` turns a mapping into bytes read and written at every memory
level. Both are pure functions and can be checked by hand.

Operands: **A** = activation input(s), **B** = weights (or the second activation of a
matmul, or the KV cache of an attention op), **C** = output. A factor ``f`` of an operand at
a level means the operand's bytes are read ``f`` times there (for C: ``f = 2 r - 1``, the
final write plus ``r - 1`` partial-sum spills, each a write and a read back).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

A, B, C = 0, 1, 2
OPERAND_NAMES = ("input", "weights", "output")


@dataclass(frozen=True, slots=True)
class Operands:
    """What an op moves: bytes and home of each operand, and the levels it crosses.

    Attributes:
        sizes: bytes of A, B, C (C at the output dtype).
        el: bytes per GEMM element of A, B and of a C partial sum (accumulator width).
        acc_ratio: accumulator bytes / output bytes per element (partial sums are wider).
        paths: for A, B, C the memory level indices crossed from home to compute, inner
            first (empty when the operand moves nothing).
    """

    sizes: tuple[float, float, float]
    el: tuple[float, float, float]
    acc_ratio: float
    paths: tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]]


@dataclass(frozen=True, slots=True)
class Mapping:
    """How one op runs on one unit.

    Attributes:
        mapper: which mapper made it (array, gpu, cpu, stream).
        dataflow: loop order / stationarity in words (weight-stationary, output-stationary,
            streaming).
        spatial: (hardware axis, loop dims, useful extent, axis size) per spatially unrolled
            axis, e.g. ``("rows", "C", 3, 32)``.
        utilization: fraction of the unit's MAC slots doing useful work (spatial unrolling,
            tile and wave quantisation); 1 when nothing is wasted.
        waves: rounds of output tiles over the unit's cores (GPU SMs); 1 otherwise.
        extra_s: seconds of compute-side time on top of the MACs (array fill/drain).
        tiles: (level name, (m, n, k) tile held there) per buffering level.
        order: loop order of the tile loops, outermost first (over m, n, k).
        factors: per memory level, the traffic factor of A, B, C (0: does not pass).
        paths: levels each operand crosses, inner first (may bypass levels, e.g. GPU
            accumulators in registers skip shared memory).
        accumulators: where partial sums live (registers, a level name).
        fill_free: per level, True when it is a cache whose fills do not take port time.
    """

    mapper: str
    dataflow: str
    spatial: tuple[tuple[str, str, int, int], ...] = ()
    utilization: float = 1.0
    waves: int = 1
    extra_s: float = 0.0
    tiles: tuple[tuple[str, tuple[int, int, int]], ...] = ()
    order: str = ""
    factors: tuple[tuple[float, float, float], ...] = ()
    paths: tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]] = ((), (), ())
    accumulators: str = ""
    fill_free: tuple[bool, ...] = ()
    notes: tuple[str, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready record (the per-layer ``mapping`` of the output contract)."""
        return {
            "mapper": self.mapper,
            "dataflow": self.dataflow,
            "spatial": [
                {"axis": ax, "dims": dims, "used": used, "size": size}
                for ax, dims, used, size in self.spatial
            ],
            "utilization": self.utilization,
            "waves": self.waves,
            "tiles": {lv: {"m": t[0], "n": t[1], "k": t[2]} for lv, t in self.tiles},
            "order": self.order,
            "accumulators": self.accumulators,
        }


def level_traffic(
    nlev: int,
    sizes: tuple[Any, Any, Any],
    paths: tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]],
    factors: tuple[tuple[Any, Any, Any], ...],
    acc_ratio: float,
) -> tuple[list[Any], list[Any], list[Any]]:
    """Bytes (reads, writes, fills) at every level for operand factors along their paths.

    Works on floats or numpy arrays (a mapper evaluates many candidates at once).

    Every byte read from level j into the next inner level i of its path is written into
    i (a *fill*); outputs drain outward the same way. ``fills`` is the part of ``writes``
    that fills a level from farther out (a cache need not spend port time on it).

    Args:
        nlev: number of memory levels.
        sizes: bytes of A, B, C.
        paths: levels crossed per operand, inner first.
        factors: per level, factor of A, B, C.
        acc_ratio: accumulator bytes / output bytes per element.
    """
    reads: list[Any] = [0.0] * nlev
    writes: list[Any] = [0.0] * nlev
    fills: list[Any] = [0.0] * nlev
    for x in range(3):
        path = paths[x]
        for pos, j in enumerate(path):
            f = factors[j][x]
            if x == C:
                # final write + (r - 1) partial-sum spills at accumulator width, each a
                # write and a read back
                spill = sizes[x] * acc_ratio * ((f + 1.0) / 2.0 - 1.0)
                writes[j] = writes[j] + sizes[x] + spill
                reads[j] = reads[j] + spill
                if pos > 0:
                    inner = path[pos - 1]
                    reads[inner] = reads[inner] + sizes[x] + spill  # drained from inner
                    writes[inner] = writes[inner] + spill  # spilled partial sums come back
                    fills[inner] = fills[inner] + spill
            else:
                reads[j] = reads[j] + sizes[x] * f
                if pos > 0:
                    inner = path[pos - 1]
                    writes[inner] = writes[inner] + sizes[x] * f
                    fills[inner] = fills[inner] + sizes[x] * f
    return reads, writes, fills
