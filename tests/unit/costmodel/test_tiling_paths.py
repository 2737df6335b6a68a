"""Issue 18 (speed): the two searches of ``gemm_refetch`` pick the same tiling, bit for bit.

Small grids are searched with plain floats (an MCU run then never imports numpy), larger ones
with numpy. Both must return the same Refetch for any GEMM, element sizes, buffer
assignment and capacities: ties (equal traffic after rounding) included, as numpy's argmin
keeps the first minimum in (m, n, k) order and each loop order only replaces the best when
it is cheaper by more than 1e-12.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from hwsim.costmodel import tiling
from hwsim.costmodel.tiling import _candidates, _search_numpy, _search_scalar, gemm_refetch


def _numpy_candidates(dim: int) -> list[int]:
    """The tile sizes as first written: thinned with numpy's round(linspace(...))."""
    vals = [1 << i for i in range(max(1, dim.bit_length())) if (1 << i) < dim] + [dim]
    if len(vals) > 12:
        idx = np.unique(np.round(np.linspace(0, len(vals) - 1, 12)).astype(int))
        vals = [vals[i] for i in idx]
    return sorted(set(vals))


@given(st.integers(1, 2**62))
@example(2**11)  # 12 candidates: no thinning
@example(2**11 + 1)  # 13: the first thinned grid
def test_tile_candidates_are_numpys(dim: int) -> None:
    assert _candidates(dim) == _numpy_candidates(dim)


def test_tile_candidates_of_a_small_dim_by_hand() -> None:
    # powers of two below the dim, then the dim itself
    assert _candidates(1) == [1]
    assert _candidates(25) == [1, 2, 4, 8, 16, 25]
    assert _candidates(32) == [1, 2, 4, 8, 16, 32]


# Dims with many equal trip counts (ties) and the shapes of real layers.
_DIMS = st.one_of(
    st.integers(1, 70),
    st.sampled_from([96, 100, 196, 256, 576, 784, 1000, 3136, 4096, 12544, 50176]),
    st.integers(1, 60_000),
)
_EL = st.sampled_from([0.5, 0.5625, 1.0, 2.0, 4.0])
_CAP = st.one_of(
    st.sampled_from([0.5, 1.0, 2.0, 3.0, 48.0, 64.0, 128.0, 4096.0, 65536.0, 3.2e5, 1e9]),
    st.floats(1.0, 1e7),
)


@st.composite
def _problems(draw: st.DrawFn) -> tuple[Any, ...]:
    dims = (draw(_DIMS), draw(_DIMS), draw(_DIMS))
    el = (draw(_EL), draw(_EL), draw(_EL))
    nbuf = draw(st.integers(1, 3))
    buffers = tuple(draw(st.integers(-1, nbuf - 1)) for _ in range(3))
    caps = tuple(draw(_CAP) for _ in range(nbuf))
    return dims, el, buffers, caps


@settings(max_examples=400, deadline=None)
@given(_problems())
@example(((2, 2, 1), (1.0, 1.0, 1.0), (0, 0, -1), (2.0,)))  # room for two elements
@example(((8, 8, 8), (1.0, 1.0, 4.0), (0, 0, 0), (0.5,)))  # nothing fits
@example(((784, 6, 25), (1.0, 1.0, 4.0), (0, 0, 0), (1e9,)))  # everything fits
@example(((3, 3, 3), (1.0, 1.0, 1.0), (-1, -1, -1), (1.0,)))  # no operand crosses
# Traffic of two k tiles differs by less than the rounding of the sum: a tie numpy breaks
# to the first k tile.
@example(((80, 72, 81), (1.0, 1e6, 1e-13), (0, 0, 1), (1e7, 4096.0)))
def test_scalar_and_numpy_searches_agree(problem: tuple[Any, ...]) -> None:
    dims, el, buffers, caps = problem
    cands = (_candidates(dims[0]), _candidates(dims[1]), _candidates(dims[2]))
    scalar = _search_scalar(dims, cands, el, buffers, caps)
    vector = _search_numpy(dims, cands, el, buffers, caps)
    assert scalar == vector
    assert repr(scalar) == repr(vector)  # same floats, same ints
    assert all(type(f) is float for f in (scalar.a, scalar.b, scalar.c))
    assert all(type(t) is int for t in scalar.tile)


def test_small_grids_take_the_scalar_search(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []

    def scalar(*args: Any) -> tiling.Refetch:
        calls.append("scalar")
        return _search_scalar(*args)

    def vector(*args: Any) -> tiling.Refetch:
        calls.append("numpy")
        return _search_numpy(*args)

    monkeypatch.setattr(tiling, "_search_scalar", scalar)
    monkeypatch.setattr(tiling, "_search_numpy", vector)
    gemm_refetch.cache_clear()
    # LeNet-5's first conv as a GEMM (784 x 6 x 25): 11 x 4 x 6 = 264 candidates
    gemm_refetch(784, 6, 25, (1.0, 1.0, 4.0), (0, 0, 0), (16384.0,))
    gemm_refetch(4096, 4096, 4096, (1.0, 1.0, 4.0), (0, 0, 0), (16384.0,))  # 12^3 candidates
    gemm_refetch.cache_clear()
    assert calls == ["scalar", "numpy"]
