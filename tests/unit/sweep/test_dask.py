"""A sweep on a real Dask cluster (loopback only) gives the same table as the local pool."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from hwsim.sweep import SweepError, sweep

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def dask_address() -> Iterator[str]:
    """One local scheduler + one worker process on 127.0.0.1, closed afterwards."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "port 8787 in use" when another cluster runs
        cluster = distributed.LocalCluster(
            n_workers=1,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
        )
    try:
        assert cluster.scheduler_address.startswith("tcp://127.0.0.1:")
        yield cluster.scheduler_address
    finally:
        cluster.close()


def test_dask_matches_local_pool_and_sequential(tiny: Path, dask_address: str) -> None:
    seq = sweep(tiny, jobs=1)
    pool = sweep(tiny, jobs=2)
    on_dask = sweep(tiny, scheduler=dask_address, chunk_size=2)
    pd.testing.assert_frame_equal(pool, seq)
    pd.testing.assert_frame_equal(on_dask, seq)


def test_dask_resume(tiny: Path, dask_address: str, tmp_path: Path) -> None:
    first = sweep(tiny, scheduler=dask_address, out=tmp_path)
    again = sweep(tiny, scheduler=dask_address, out=tmp_path)
    assert first.attrs["computed"] == 6 and again.attrs["computed"] == 0


def test_unreachable_scheduler_is_a_one_line_error(
    tiny: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A closed port on loopback: nothing listens there.
    import socket

    monkeypatch.setattr("hwsim.sweep.run.DASK_CONNECT_TIMEOUT", "1s")

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(SweepError, match="cannot reach the Dask scheduler"):
        sweep(tiny, scheduler=f"tcp://127.0.0.1:{port}", chunk_size=1)
