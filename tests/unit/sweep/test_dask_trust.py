"""Dask without blind trust: TLS to the scheduler, a clear failure when no worker is left,
and local pool workers that do not outlive a killed sweep."""

from __future__ import annotations

import concurrent.futures as cf
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
import warnings
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from hwsim.sweep import SweepError, sweep
from hwsim.sweep import run as sweep_run


def test_no_worker_for_too_long_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sweep_run, "NO_WORKERS_TIMEOUT_S", 0.2)
    monkeypatch.setattr(sweep_run, "_POLL_S", 0.05)
    never: cf.Future[Any] = cf.Future()
    with pytest.raises(SweepError, match="no worker for 0 s"):
        list(sweep_run._completed({never: None}, lambda: 0))


def test_a_worker_coming_back_resets_the_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sweep_run, "NO_WORKERS_TIMEOUT_S", 0.3)
    monkeypatch.setattr(sweep_run, "_POLL_S", 0.05)
    fut: cf.Future[Any] = cf.Future()
    polls = {"n": 0}

    def alive() -> int:
        polls["n"] += 1
        if polls["n"] == 10:
            fut.set_result("done")
        return 1  # a worker is there, only slow

    assert list(sweep_run._completed({fut: None}, alive)) == [fut]


def test_tls_options_without_a_tls_scheduler_are_refused() -> None:
    with pytest.raises(SweepError, match="need a Dask scheduler"):
        sweep_run._open_executor(None, 2, None, security=object())


def test_missing_tls_files_are_named(tmp_path: Path) -> None:
    pytest.importorskip("distributed")
    with pytest.raises(SweepError, match=r"CA file .*no such file"):
        sweep_run.dask_security(str(tmp_path / "ca.pem"))


def _self_signed(tmp_path: Path) -> tuple[str, str]:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key),
         "-out", str(cert), "-subj", "/CN=localhost", "-days", "1"],
        check=True, capture_output=True,
    )  # fmt: skip
    return str(cert), str(key)


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")
def test_sweep_over_tls_matches_the_local_run(tiny: Path, tmp_path: Path) -> None:
    distributed = pytest.importorskip("distributed")
    from distributed.security import Security

    cert, key = _self_signed(tmp_path)
    sec = Security(
        tls_ca_file=cert,
        tls_scheduler_cert=cert,
        tls_scheduler_key=key,
        tls_worker_cert=cert,
        tls_worker_key=key,
        tls_client_cert=cert,
        tls_client_key=key,
        require_encryption=True,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cluster = distributed.LocalCluster(
            n_workers=1,
            threads_per_worker=1,
            processes=False,
            protocol="tls://",
            host="127.0.0.1",
            security=sec,
            dashboard_address=None,
        )
    try:
        assert cluster.scheduler_address.startswith("tls://")
        with pytest.raises(SweepError, match="cannot reach"):
            sweep(tiny, scheduler=cluster.scheduler_address.replace("tls://", "tcp://"))
        on_tls = sweep(
            tiny,
            scheduler=cluster.scheduler_address,
            security=sweep_run.dask_security(cert, cert, key),
        )
    finally:
        cluster.close()
    pd.testing.assert_frame_equal(on_tls, sweep(tiny, jobs=1))


@pytest.mark.skipif(sys.platform != "linux", reason="uses /proc to find the workers")
def test_pool_workers_exit_when_the_sweep_process_is_killed(tmp_path: Path) -> None:
    script = tmp_path / "pool.py"
    script.write_text(
        textwrap.dedent(
            """
            import os, sys, time
            from hwsim.sweep import run
            if __name__ == "__main__":
                ex, close, n, _ = run._open_executor(None, 2, None)
                pids = set(ex.submit(os.getpid).result() for _ in range(8))
                print(" ".join(map(str, sorted(pids))), flush=True)
                time.sleep(60)
            """
        ),
        encoding="utf-8",
    )
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[3])}
    proc = subprocess.Popen(
        [sys.executable, str(script)], stdout=subprocess.PIPE, env=env, text=True
    )
    try:
        assert proc.stdout is not None
        workers = [int(p) for p in proc.stdout.readline().split()]
        assert workers
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        deadline = time.monotonic() + 10 * sweep_run.PARENT_POLL_S + 5
        while time.monotonic() < deadline and any(Path(f"/proc/{p}").exists() for p in workers):
            time.sleep(0.1)
        alive = [p for p in workers if Path(f"/proc/{p}").exists() and "Z" not in _state(p)]
        assert not alive
    finally:
        if proc.poll() is None:
            proc.kill()


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2]
    except OSError:
        return "Z"
