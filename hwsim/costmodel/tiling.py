"""Loop-tiling model of a GEMM's data movement across one buffer boundary.

Given a GEMM (M x K) @ (K x N) -> (M x N) and the capacity of the buffer(s) between a
memory level and the compute units, search tile sizes (Tm, Tn, Tk) and the six loop
orders and return the refetch factor of each operand at the minimum total traffic.

Rule for an operand X with relevant dims R(X) (A: m,k; B: k,n; C: m,n) under a loop order
(outermost first): X is re-read once for every iteration of each irrelevant loop that sits
*outside* the innermost relevant loop of X (inner irrelevant loops reuse the resident tile).
For the output C a refetch means a partial-sum spill: it costs a read and a write, so C's
traffic factor is ``2 r - 1``.

All candidates are evaluated at once with numpy (no Python loops over tiles); results are
cached by shape and capacities, so repeated shapes (ResNet blocks, transformer layers) cost
one solve.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

_ORDERS = tuple(itertools.permutations((0, 1, 2)))  # dims: 0=m, 1=n, 2=k
_RELEVANT = ((0, 2), (2, 1), (0, 1))  # A, B, C
_MAX_CANDIDATES = 12


@dataclass(frozen=True, slots=True)
class Refetch:
    """Traffic multipliers (>= 1) of A (input), B (weights / second operand), C (output)."""

    a: float
    b: float
    c: float
    tile: tuple[int, int, int]
    order: str


def _candidates(dim: int) -> np.ndarray:
    """Tile sizes: powers of two below ``dim`` plus ``dim`` itself (geometrically thinned)."""
    vals = [1 << i for i in range(max(1, dim.bit_length())) if (1 << i) < dim] + [dim]
    if len(vals) > _MAX_CANDIDATES:
        idx = np.unique(np.round(np.linspace(0, len(vals) - 1, _MAX_CANDIDATES)).astype(int))
        vals = [vals[i] for i in idx]
    return np.asarray(sorted(set(vals)), dtype=np.float64)


@lru_cache(maxsize=65536)
def gemm_refetch(
    m: int,
    n: int,
    k: int,
    el_bytes: tuple[float, float, float],
    buffers: tuple[int, int, int],
    capacities: tuple[float, ...],
) -> Refetch:
    """Refetch factors of a GEMM's operands across one buffer boundary.

    Args:
        m: rows of A and C (GEMM dims of one group).
        n: columns of B and C.
        k: the reduction dim (columns of A, rows of B).
        el_bytes: bytes per element of A, B, C.
        buffers: for A, B, C the index into ``capacities`` of the buffer that holds its
            tile, or -1 when the operand does not cross this boundary (no constraint, factor 1).
        capacities: buffer capacities in bytes.

    Returns:
        The refetch factors at the minimum-traffic tiling; factors are 1 when every operand
        fits (compulsory traffic only).
    """
    dims = (m, n, k)
    cands = [_candidates(d) for d in dims]
    tm, tn, tk = np.meshgrid(*cands, indexing="ij")
    tiles = (tm, tn, tk)
    trips = tuple(np.ceil(d / t) for d, t in zip(dims, tiles))
    tile_bytes = (
        tm * tk * el_bytes[0],
        tk * tn * el_bytes[1],
        tm * tn * el_bytes[2],
    )
    fits = np.ones(tm.shape, dtype=bool)
    for buf, cap in enumerate(capacities):
        use = sum((tile_bytes[x] for x in range(3) if buffers[x] == buf), np.zeros(tm.shape))
        fits &= use <= cap
    if not fits.any():
        # Not even a 1x1x1 tile fits: every MAC fetches its operands.
        fits = (tm == 1) & (tn == 1) & (tk == 1)
    sizes = (m * k * el_bytes[0], k * n * el_bytes[1], m * n * el_bytes[2])
    best_cost = math.inf
    best: Refetch | None = None
    for order in _ORDERS:
        factors = []
        for x in range(3):
            if buffers[x] < 0:
                factors.append(np.ones(tm.shape))
                continue
            rel = _RELEVANT[x]
            innermost = max(order.index(d) for d in rel)
            r = np.ones(tm.shape)
            for pos in range(innermost):
                d = order[pos]
                if d not in rel:
                    r = r * trips[d]
            factors.append(2.0 * r - 1.0 if x == 2 else r)
        cost = sum(sizes[x] * factors[x] for x in range(3))
        cost = np.where(fits, cost, np.inf)
        idx = int(np.argmin(cost))
        c = float(cost.flat[idx])
        if c < best_cost * (1 - 1e-12):
            best_cost = c
            best = Refetch(
                a=float(factors[0].flat[idx]),
                b=float(factors[1].flat[idx]),
                c=float(factors[2].flat[idx]),
                tile=(int(tm.flat[idx]), int(tn.flat[idx]), int(tk.flat[idx])),
                order="".join("mnk"[d] for d in order),
            )
    assert best is not None
    return best


@lru_cache(maxsize=65536)
def reuse_refetch(
    m: int,
    n: int,
    k: int,
    el_bytes: tuple[float, float, float],
    tile: tuple[int, int, int],
    order: str,
    capacity: float,
) -> tuple[float, float, float]:
    """Traffic factors of A, B, C behind a cache read by a tiled loop nest.

    The loop nest iterates tiles ``tile`` (m, n, k) in ``order`` (outermost first, over
    ``m``, ``n``, ``k``). An operand's tile is reused across the iterations of a loop that
    does not index it when everything the loop body touches in between (its *reuse
    distance*: the footprint of all operands inside that loop) fits the cache; otherwise
    each iteration misses and refetches it. LRU-like behaviour is assumed (a footprint up
    to the capacity hits, beyond it everything misses).

    Returns:
        Factors of A, B and C (C as ``2 r - 1``: spills of partial sums are a write and a
        read).
    """
    dims = (m, n, k)
    idx = ["mnk".index(ch) for ch in order]
    trips = [math.ceil(d / max(1, t)) for d, t in zip(dims, tile)]
    out = []
    for x in range(3):
        rel = _RELEVANT[x]
        innermost = max(idx.index(d) for d in rel)
        r = 1.0
        for pos in range(innermost):
            d = idx[pos]
            if d in rel:
                continue
            # footprint of the body of the loop at depth pos (deeper loops run fully)
            foot = 0.0
            for y in range(3):
                size = 1.0
                for dd in _RELEVANT[y]:
                    size *= tile[dd] * (trips[dd] if idx.index(dd) > pos else 1)
                foot += size * el_bytes[y]
            if foot > capacity:
                r *= trips[d]
        out.append(2.0 * r - 1.0 if x == 2 else r)
    return out[0], out[1], out[2]
