"""What the process that runs a sweep does besides waiting: pandas after the work is handed out."""

from __future__ import annotations

import concurrent.futures as cf
import importlib.util
from typing import Any

import pytest

from hwsim.sweep import SweepError, sweep
from hwsim.sweep import run as sweep_run

from .conftest import TINY


class _Recording(cf.ThreadPoolExecutor):
    """A one-thread executor that counts the batches handed to it."""

    def __init__(self) -> None:
        super().__init__(max_workers=1)
        self.submitted = 0

    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> cf.Future[Any]:
        self.submitted += 1
        return super().submit(fn, *args, **kwargs)


def test_pandas_is_imported_once_every_batch_is_handed_out(monkeypatch: Any) -> None:
    seen: list[int] = []
    ex = _Recording()
    real = sweep_run._pandas

    def pandas() -> Any:
        seen.append(ex.submitted)
        return real()

    monkeypatch.setattr(sweep_run, "_pandas", pandas)
    with ex:
        # 6 points, 1 run first in this process (preflight), 5 in batches of 1
        df = sweep(TINY, executor=ex, chunk_size=1)
    assert len(df) == 6 and df["error"].isna().all()
    assert ex.submitted == 5
    assert seen[0] == 5  # first call: after the last batch was submitted (then for the table)


def test_missing_pandas_is_one_clear_error_before_any_point(monkeypatch: Any) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "pandas" else real(name, *a)
    )
    ran: list[object] = []
    monkeypatch.setattr(sweep_run, "run_batch", lambda task: ran.append(task))
    with pytest.raises(SweepError, match=r"sweeps need pandas: pip install 'hwsim\[sweep\]'"):
        sweep(TINY, jobs=1)
    assert ran == []


def test_columns_of_rows_with_different_fields_in_order_of_first_appearance() -> None:
    # An LLM's rows add its fields after the energy parts. Columns: fixed head, energy parts
    # and extra fields in the order a row first brings them, then the fixed tail.
    df = sweep(
        {
            "hardware": "tpu-like",
            "dtype": "int8",
            "workloads": ["lenet5", {"name": "gpt2", "prompt_len": 8, "gen_len": 2}],
            "axes": {"memory.sram.capacity": ["1 MiB", "2 MiB"]},
        },
        jobs=1,
    )
    assert df["error"].isna().all() and len(df) == 4
    cols = list(df.columns)
    energy = [c for c in cols if c.startswith("energy_") and c != "energy_j"]
    assert energy == ["energy_compute_j", "energy_static_j"] + [
        f"energy_{m}_j" for m in ("weight_regs", "sram", "dram")
    ]
    llm = ["prompt_len", "gen_len", "ttft_s", "tpot_s", "decode_tokens_per_s", "kv_cache_bytes"]
    assert [c for c in cols if c in llm] == llm
    assert cols.index(energy[-1]) < cols.index("prompt_len")
    assert cols[-4:] == ["onchip_bytes", "mac_units", "area_proxy", "error"]
