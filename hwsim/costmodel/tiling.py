"""Loop-tiling model of a GEMM's data movement across one buffer boundary.

Given a GEMM (M x K) @ (K x N) -> (M x N) and the capacity of the buffer(s) between a
memory level and the compute units, search tile sizes (Tm, Tn, Tk) and the six loop
orders and return the refetch factor of each operand at the minimum total traffic.

Rule for an operand X with relevant dims R(X) (A: m,k; B: k,n; C: m,n) under a loop order
(outermost first): X is re-read once for every iteration of each irrelevant loop that sits
*outside* the innermost relevant loop of X (inner irrelevant loops reuse the resident tile).
For the output C a refetch means a partial-sum spill: it costs a read and a write, so C's
traffic factor is ``2 r - 1``.

Small grids (an MCU's layers: up to a few hundred tile candidates) are searched with plain
floats; larger ones are evaluated at once with numpy (imported then: a ``hwsim run`` of a
small model does not pay for it). Both compute every candidate's traffic with the same
float64 operations in the same order and keep the first minimum, so they return the same
tiling bit for bit. Results are cached by shape and capacities, so repeated shapes (ResNet
blocks, transformer layers) cost one solve.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

_ORDERS = tuple(itertools.permutations((0, 1, 2)))  # dims: 0=m, 1=n, 2=k
_RELEVANT = ((0, 2), (2, 1), (0, 1))  # A, B, C
_MAX_CANDIDATES = 12
_SCALAR_MAX_TILES = 1000
"""Largest grid (tile candidates over the three dims) searched with plain floats: up to it
the loop is as fast as numpy (~0.1 ms a search; 2x faster on small grids), beyond it numpy
is up to 30 % faster."""


@dataclass(frozen=True, slots=True)
class Refetch:
    """Traffic multipliers (>= 1) of A (input), B (weights / second operand), C (output)."""

    a: float
    b: float
    c: float
    tile: tuple[int, int, int]
    order: str


def _candidates(dim: int) -> list[int]:
    """Tile sizes: powers of two below ``dim`` plus ``dim`` itself (geometrically thinned).

    Thinning keeps ``_MAX_CANDIDATES`` evenly spaced entries, the first and the last
    (``round(i * step)``, halves to even, as numpy's ``round(linspace(...))``).
    """
    vals = [1 << i for i in range(max(1, dim.bit_length())) if (1 << i) < dim] + [dim]
    if len(vals) > _MAX_CANDIDATES:
        last = len(vals) - 1
        step = last / (_MAX_CANDIDATES - 1)
        idx = {round(i * step) for i in range(_MAX_CANDIDATES - 1)} | {last}
        vals = [vals[i] for i in idx]
    return sorted(set(vals))


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
    cands = (_candidates(m), _candidates(n), _candidates(k))
    small = math.prod(map(len, cands)) <= _SCALAR_MAX_TILES
    if small and min(m, n, k) >= 1 and all(0.0 <= e < math.inf for e in el_bytes):
        return _search_scalar((m, n, k), cands, el_bytes, buffers, capacities)
    return _search_numpy((m, n, k), cands, el_bytes, buffers, capacities)


def _sizes(dims: tuple[int, int, int], el: tuple[float, float, float]) -> tuple[float, ...]:
    m, n, k = dims
    return (m * k * el[0], k * n * el[1], m * n * el[2])


def _search_scalar(
    dims: tuple[int, int, int],
    cands: tuple[list[int], list[int], list[int]],
    el: tuple[float, float, float],
    buffers: tuple[int, int, int],
    capacities: tuple[float, ...],
) -> Refetch:
    """:func:`gemm_refetch` over a small grid with plain floats (same result as numpy's).

    Every candidate's traffic is computed as in :func:`_search_numpy`; what is skipped is
    only what cannot win:

    * a tile's bytes grow with its sizes, so the fitting k tiles of an (m, n) tile are a
      prefix of the candidates, no longer than for a smaller m or n tile;
    * an operand's factor depends on one loop only, the one that does not index it (A: n,
      B: m, C: k), so a candidate's traffic is ``(0 + a[j] + b[i]) + c[l]`` and ``c`` does
      not grow with the k tile: the cheapest fitting k tile is the last of the prefix, or
      the first one before it that rounds to the same traffic (numpy's argmin keeps the
      first minimum).
    """
    cm, cn, ck = ([float(v) for v in c] for c in cands)
    trips = [[float(math.ceil(d / t)) for t in c] for d, c in zip(dims, (cm, cn, ck))]
    groups = [[x for x in range(3) if buffers[x] == buf] for buf in range(len(capacities))]

    def fits(tm: float, tn: float, tk: float) -> bool:
        tile = (tm * tk * el[0], tk * tn * el[1], tm * tn * el[2])
        for members, cap in zip(groups, capacities):
            use = 0.0
            for x in members:
                use = use + tile[x]
            if not use <= cap:
                return False
        return True

    # nfit[i][j]: how many k tiles (a prefix of ck) fit with the m tile i and n tile j;
    # no more than with a smaller m or n tile.
    nfit: list[list[int]] = []
    above = [len(ck)] * len(cn)
    for tm in cm:
        row: list[int] = []
        count = len(ck)
        for j, tn in enumerate(cn):
            count = min(count, above[j])
            while count and not fits(tm, tn, ck[count - 1]):
                count -= 1
            row.append(count)
        nfit.append(row)
        above = row
    if not any(map(any, nfit)):
        # Not even a 1x1x1 tile fits: every MAC fetches its operands (1 is each dim's
        # first candidate).
        nfit = [[int(i == j == 0) for j in range(len(cn))] for i in range(len(cm))]
    sizes = _sizes(dims, el)
    best_cost = math.inf
    best: Refetch | None = None
    for order in _ORDERS:
        fac: list[list[float]] = []  # factors of A (over n), B (over m), C (over k)
        for x, d in ((0, 1), (1, 0), (2, 2)):
            outside = order.index(d) < max(order.index(r) for r in _RELEVANT[x])
            if buffers[x] < 0 or not outside:
                fac.append([1.0] * len(trips[d]))
            else:
                fac.append([2.0 * t - 1.0 for t in trips[d]] if x == 2 else trips[d])
        ta = [sizes[0] * f for f in fac[0]]
        tb = [sizes[1] * f for f in fac[1]]
        tc = [sizes[2] * f for f in fac[2]]
        # first[l]: the first k tile with the same c term as tile l (equal terms are adjacent)
        first = list(range(len(tc)))
        for lk in range(1, len(tc)):
            if tc[lk] == tc[lk - 1]:
                first[lk] = first[lk - 1]
        c = math.inf
        at = (0, 0, 0)
        for i, row in enumerate(nfit):
            for j, count in enumerate(row):
                if not count:
                    continue
                ab = 0 + ta[j] + tb[i]
                lk = first[count - 1]
                cost = ab + tc[lk]
                while lk and ab + tc[lk - 1] == cost:
                    lk = first[lk - 1]
                if cost < c:
                    c, at = cost, (i, j, lk)
        if c < best_cost * (1 - 1e-12):
            i, j, lk = at
            best_cost = c
            best = Refetch(
                a=fac[0][j],
                b=fac[1][i],
                c=fac[2][lk],
                tile=(cands[0][i], cands[1][j], cands[2][lk]),
                order="".join("mnk"[d] for d in order),
            )
    assert best is not None
    return best


def _search_numpy(
    dims: tuple[int, int, int],
    cands: tuple[list[int], list[int], list[int]],
    el_bytes: tuple[float, float, float],
    buffers: tuple[int, int, int],
    capacities: tuple[float, ...],
) -> Refetch:
    """:func:`gemm_refetch` with every candidate of the grid evaluated at once (numpy)."""
    import numpy as np

    tm, tn, tk = np.meshgrid(*(np.asarray(c, dtype=np.float64) for c in cands), indexing="ij")
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
    sizes = _sizes(dims, el_bytes)
    best_cost = math.inf
    best: Refetch | None = None
    for order in _ORDERS:
        factors: list[np.ndarray] = []
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
