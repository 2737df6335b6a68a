"""Pareto front: matches a brute-force definition, keeps ties, skips NaN, groups by workload."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import hwsim
from hwsim.sweep import MAC_AREA_BYTES, area_terms, pareto_front, pareto_mask


def _brute(costs: np.ndarray) -> np.ndarray:
    n = len(costs)
    out = np.ones(n, dtype=bool)
    for i in range(n):
        if np.isnan(costs[i]).any():
            out[i] = False
            continue
        for j in range(n):
            if (
                j != i
                and not np.isnan(costs[j]).any()
                and np.all(costs[j] <= costs[i])
                and np.any(costs[j] < costs[i])
            ):
                out[i] = False
                break
    return out


@pytest.mark.parametrize("m", [1, 2, 3, 4])
@pytest.mark.parametrize("seed", range(6))
def test_mask_matches_brute_force(m: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    # Few distinct values, so ties and duplicates are common.
    costs = rng.integers(0, 6, size=(120, m)).astype(float)
    if seed % 2:
        costs[rng.integers(0, 120, 5), rng.integers(0, m)] = np.nan
    assert np.array_equal(pareto_mask(costs), _brute(costs))


def test_continuous_values_and_big_tables() -> None:
    rng = np.random.default_rng(7)
    small = rng.random((300, 3))
    assert np.array_equal(pareto_mask(small), _brute(small))
    big = rng.random((200_000, 3))
    mask = pareto_mask(big)
    # Spot-check: no front point is dominated by any row.
    for i in np.flatnonzero(mask)[:50]:
        dom = np.all(big <= big[i], axis=1) & np.any(big < big[i], axis=1)
        assert not dom.any()
    # Every dropped row is dominated by some front row (checked on a sample).
    front = big[mask]
    for i in np.flatnonzero(~mask)[:50]:
        assert (np.all(front <= big[i], axis=1) & np.any(front < big[i], axis=1)).any()


def test_duplicates_are_all_kept() -> None:
    costs = np.array([[1.0, 1.0], [1.0, 1.0], [2.0, 0.5], [2.0, 2.0]])
    assert pareto_mask(costs).tolist() == [True, True, True, False]


def test_front_per_workload() -> None:
    df = pd.DataFrame(
        {
            "workload": ["a", "a", "a", "b", "b"],
            "latency_s": [1.0, 2.0, 3.0, 10.0, 20.0],
            "energy_j": [3.0, 2.0, 4.0, 1.0, 0.5],
            "area_proxy": [1.0, 1.0, 1.0, 1.0, 1.0],
        }
    )
    assert pareto_front(df).index.tolist() == [0, 1, 3, 4]
    # Across workloads nothing changes here: b is slower but uses less energy.
    assert pareto_front(df, by=None).index.tolist() == [0, 1, 3, 4]
    assert pareto_front(df, ["latency_s"]).index.tolist() == [0, 3]
    with pytest.raises(KeyError, match="nope"):
        pareto_front(df, ["nope"])


def test_area_proxy_formula_on_tpu_like() -> None:
    chip = hwsim.load_hardware("tpu-like")
    t = area_terms(chip)
    assert t["onchip_bytes"] == (128 + 2048) * 1024  # weight registers + SRAM, not DRAM
    assert t["mac_units"] == 32 * 32 + 1  # the PE array + the vector unit
    assert t["area_proxy"] == t["onchip_bytes"] + MAC_AREA_BYTES * t["mac_units"]
    bigger = area_terms(hwsim.override(chip, {"compute.pe_array.count": 4}))
    assert bigger["mac_units"] == 4 * 1024 + 1
