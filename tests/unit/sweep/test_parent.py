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
