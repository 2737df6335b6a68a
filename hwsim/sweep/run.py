"""Running a sweep: (point x workload) items in batches on any Executor, kept for resume.

Workers receive plain data only (the base spec dict, the overrides of each point, the
workload name and parameters) and rebuild everything themselves; each worker process
caches the base spec and the loaded workloads.
"""

from __future__ import annotations

import concurrent.futures as cf
import json
import math
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from hwsim.engine.result import ROW_FIELDS
from hwsim.errors import HwsimError
from hwsim.sweep.columns import bound_columns
from hwsim.sweep.pareto import area_terms
from hwsim.sweep.plan import SweepError, SweepPlan, WorkloadDef, _hash, _si, parse_sweep
from hwsim.sweep.rows import batch_problem, row_problem
from hwsim.textio import MiB, atomic_path, check_input_file, shorten, write_atomic

if TYPE_CHECKING:
    import pandas as pd

    from hwsim.hardware.variants import SpecVariants

RESULT_FIELDS = ROW_FIELDS
"""Whole-run result fields copied into every row (contract names of SimulationResult)."""

KEY_VERSION = 2
"""Bumped when the meaning of a stored row changes, so old stores are recomputed."""

POINTS_FILE = "points.jsonl"
RESULTS_CSV = "results.csv"
RESULTS_PARQUET = "results.parquet"
SWEEP_JSON = "sweep.json"

DASK_CONNECT_TIMEOUT = "10s"
"""How long to wait for a Dask scheduler before giving up."""

MAX_POINTS_BYTES = 4096 * MiB
"""Largest points.jsonl read back when resuming (about 8 million rows)."""

MIN_CHUNK = 1
MAX_CHUNK = 64


@dataclass(frozen=True)
class SweepProgress:
    """Where a running sweep stands; passed to the ``progress`` callback.

    Attributes:
        total: rows of the sweep (points x workloads).
        cached: rows found finished in the output folder (not recomputed).
        computed: rows simulated so far in this call.
        failed: of ``computed``, rows whose simulation raised an error (see ``error``).
    """

    total: int
    cached: int
    computed: int
    failed: int = 0

    @property
    def done(self) -> int:
        """Rows finished, cached or computed."""
        return self.cached + self.computed


ProgressCallback = Callable[[SweepProgress], None]


# ------------------------------------------------------------------------ worker side

_SPEC_CACHE: dict[str, SpecVariants] = {}
_WORKLOAD_CACHE: dict[str, Any] = {}


def _variants(base_key: str, base: Mapping[str, Any]) -> SpecVariants:
    """The base chip of a task and its variants (validated parts are shared between points)."""
    got = _SPEC_CACHE.get(base_key)
    if got is None:
        from hwsim.hardware.models import HardwareSpec
        from hwsim.hardware.variants import SpecVariants

        spec = HardwareSpec.model_validate(base, context={"strict_units": True})
        if len(_SPEC_CACHE) > 16:
            _SPEC_CACHE.clear()
        got = _SPEC_CACHE[base_key] = SpecVariants(spec)
    return got


def _workload(wl: Mapping[str, Any]) -> Any:
    key = _hash(wl)
    w = _WORKLOAD_CACHE.get(key)
    if w is None:
        from hwsim.workload.registry import load_workload

        w = load_workload(wl["name"], **wl["params"])
        if len(_WORKLOAD_CACHE) > 64:
            _WORKLOAD_CACHE.clear()
        _WORKLOAD_CACHE[key] = w
    return w


def run_batch(task: Mapping[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """Simulate one batch of items on a worker: ``[(key, row), ...]`` (plain data only).

    ``task`` holds ``base`` (the chip as a JSON dict), ``base_key``, ``workloads`` (plain
    dicts) and ``items`` as ``(key, point overrides, workload index)``. Simulation errors
    (HwsimError) become a row with an ``error`` message; other exceptions propagate.
    """
    from hwsim.engine.totals import simulate_totals
    from hwsim.hardware.loader import resolve_profile

    variants = _variants(task["base_key"], task["base"])
    base = variants.base
    out: list[tuple[str, dict[str, Any]]] = []
    last_point: str | None = None
    spec: Any = None
    spec_error: str | None = None
    area: dict[str, float] = {}
    loaded: dict[int, Any] = {}  # workload index -> workload (its key is hashed once a task)
    for key, point, wi in task["items"]:
        pkey = json.dumps(point, sort_keys=True)
        if pkey != last_point:
            last_point = pkey
            try:
                spec = variants(point) if point else base
                spec_error = None
                area = area_terms(spec)
            except HwsimError as exc:
                spec, spec_error, area = None, str(exc), {}
        wl = task["workloads"][wi]
        row: dict[str, Any]
        if spec_error is not None:
            row = {"error": spec_error}
        else:
            try:
                # totals only: the same row as result_row(simulate(...)), no layer records
                w = loaded.get(wi)
                if w is None:
                    w = loaded[wi] = _workload(wl)
                run = simulate_totals(w, spec, resolve_profile(spec, wl["profile"]))
                row = run.row()
                row.update(
                    bound_columns(run.result, [m.name for m in spec.memory], run.bound_time_s)
                )
                row["error"] = None
            except HwsimError as exc:
                row = {"error": str(exc)}
        row.update(area)
        out.append((key, row))
    return out


# ------------------------------------------------------------------------- main side


@dataclass(frozen=True)
class _Item:
    index: int  # position in the table
    point_index: int
    point: dict[str, Any]
    workload_index: int
    key: str


def item_key(plan: SweepPlan, point: Mapping[str, Any], wl: WorkloadDef) -> str:
    """Stable id of one (point, workload) on the plan's base chip (sha256 hex, 24 chars)."""
    from hwsim.version import __version__

    return _hash(
        {
            "v": KEY_VERSION,
            "hwsim": __version__,
            "base": plan.base,
            "point": dict(point),
            "workload": wl.as_payload(),
        }
    )[:24]


def _json(data: Any) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)


def item_keys(plan: SweepPlan, points: Sequence[Mapping[str, Any]]) -> list[list[str]]:
    """:func:`item_key` of every (point, workload), ``[point][workload]``, the same strings
    computed faster: the JSON text hashed is ``{"base":..,"hwsim":..,"point":..,"v":..,
    "workload":..}`` (sorted keys), so the sha256 state after the base spec is computed
    once and only the point and the workload are hashed per item."""
    import hashlib

    from hwsim.version import __version__

    head = hashlib.sha256(
        f'{{"base":{_json(plan.base)},"hwsim":{_json(__version__)},"point":'.encode()
    )
    tails = [
        f',"v":{_json(KEY_VERSION)},"workload":{_json(w.as_payload())}}}'.encode()
        for w in plan.workloads
    ]
    out = []
    for point in points:
        h = head.copy()
        h.update(_json(dict(point)).encode())
        keys = []
        for tail in tails:
            hw = h.copy()
            hw.update(tail)
            keys.append(hw.hexdigest()[:24])
        out.append(keys)
    return out


class PointStore:
    """Finished rows, keyed by item key; append-only JSON lines in ``DIR/points.jsonl``."""

    def __init__(self, folder: Path | None) -> None:
        self.rows: dict[str, dict[str, Any]] = {}
        self.discarded = 0
        """Lines of the file that were not well-formed rows (they are recomputed)."""
        self.path = folder / POINTS_FILE if folder is not None else None
        if self.path is not None and self.path.exists():
            check_input_file(self.path, SweepError, max_bytes=MAX_POINTS_BYTES)
            try:
                with self.path.open(encoding="utf-8", errors="replace") as fh:
                    for line in fh:
                        self._load_line(line)
            except OSError as exc:
                raise SweepError(f"{self.path}: cannot read: {exc.strerror or exc}") from None
        self._fh: TextIO | None = None

    def _load_line(self, line: str) -> None:
        """Keep one stored row if it is well-formed; a bad line (cut short by an interrupted
        run, edited, or written by something else) is counted and its point recomputed."""
        if not line.strip():
            return
        try:
            rec = json.loads(line)
        except (ValueError, RecursionError):
            rec = None
        if (
            not isinstance(rec, dict)
            or not isinstance(rec.get("key"), str)
            or row_problem(rec.get("row")) is not None
        ):
            self.discarded += 1
            return
        self.rows[rec["key"]] = rec["row"]

    def add(self, pairs: Iterable[tuple[str, dict[str, Any]]]) -> None:
        """Keep finished rows (and append them to the file, flushed, when there is one)."""
        pairs = list(pairs)
        self.rows.update(pairs)
        if self.path is not None and pairs:
            lines = [
                json.dumps({"key": key, "row": row}, separators=(",", ":")) + "\n"
                for key, row in pairs
            ]
            if self._fh is None:
                # O_NOFOLLOW: a symlink planted at points.jsonl is refused, not written through.
                flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0)
                try:
                    fd = os.open(self.path, flags, 0o666)
                except OSError as exc:
                    raise SweepError(
                        f"{self.path}: cannot append finished points: {exc.strerror or exc}"
                    ) from None
                self._fh = os.fdopen(fd, "a", encoding="utf-8")
            self._fh.write("".join(lines))
            self._fh.flush()

    def close(self) -> None:
        """Close the file handle, if any."""
        if self._fh is not None:
            self._fh.close()
            self._fh = None


def _chunk_size(n_items: int, workers: int) -> int:
    """Items per task: about four tasks per worker, within [MIN_CHUNK, MAX_CHUNK]."""
    return max(MIN_CHUNK, min(MAX_CHUNK, math.ceil(n_items / max(1, 4 * workers))))


def _batches(items: Sequence[_Item], size: int) -> list[list[_Item]]:
    return [list(items[i : i + size]) for i in range(0, len(items), size)]


def _task(plan: SweepPlan, base_key: str, items: Sequence[_Item]) -> dict[str, Any]:
    return {
        "base": plan.base,
        "base_key": base_key,
        "workloads": [w.as_payload() for w in plan.workloads],
        "items": [(it.key, it.point, it.workload_index) for it in items],
    }


_Opened = tuple[cf.Executor | None, Callable[[], None], int, Callable[[], int] | None]


def _open_executor(
    executor: cf.Executor | None,
    jobs: int | None,
    scheduler: str | None,
    security: Any = None,
) -> _Opened:
    """(executor or None for in-process, closer, worker count, live-worker counter or None)."""
    if executor is not None:
        if scheduler is not None:
            raise SweepError("pass either an executor or a scheduler address, not both")
        workers = getattr(executor, "_max_workers", None) or jobs or os.cpu_count() or 1
        return executor, lambda: None, int(workers), None
    if scheduler is not None:
        return _dask_executor(scheduler, security)
    if security is not None:
        raise SweepError("security (TLS) settings need a Dask scheduler address")
    n = jobs if jobs is not None else (os.cpu_count() or 1)
    if n < 1:
        raise SweepError(f"jobs must be >= 1, got {n}")
    if n == 1:
        return None, lambda: None, 1, None
    pool = cf.ProcessPoolExecutor(
        max_workers=n,
        mp_context=_mp_context(),
        initializer=_worker_init,
        initargs=(os.getpid(),),
    )
    return pool, lambda: pool.shutdown(wait=True, cancel_futures=True), n, None


PARENT_POLL_S = 1.0
"""How often a local pool worker checks that the process that started the sweep lives."""


def _worker_init(parent_pid: int) -> None:
    """Workers leave Ctrl-C to the main process, which cancels the rest and keeps the
    finished points (no traceback from every worker); and they exit on their own when that
    process is gone (killed with SIGKILL, it cannot shut its pool down). What a worker
    starts with (modules, caches, the parent's objects after a fork) is moved out of the
    cyclic garbage collector's way: it stays alive, and full collections no longer walk it
    (a few % of the time per point)."""
    import gc
    import signal
    import threading

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    gc.freeze()

    def watch() -> None:
        import time

        while True:
            time.sleep(PARENT_POLL_S)
            try:
                os.kill(parent_pid, 0)
            except ProcessLookupError:
                os._exit(1)
            except OSError:  # pragma: no cover - exists but not ours (EPERM): alive
                pass

    threading.Thread(target=watch, name="hwsim-parent-watch", daemon=True).start()


def _mp_context() -> Any:
    """The start method of the local pool's workers.

    fork on Linux while this process runs a single thread: the workers start from a copy
    of this process and never re-run the caller's script, so ``hwsim.sweep(jobs=2)`` works
    in a plain script without ``if __name__ == "__main__":``. Otherwise (threads running,
    e.g. in notebooks or after a Dask client, where fork is unsafe; macOS) forkserver where
    available; its server imports the simulator once (:data:`FORKSERVER_PRELOAD`), so new
    workers start with it imported. forkserver and spawn workers import the caller's
    ``__main__`` module: see :func:`_check_not_bootstrapping`.
    """
    import multiprocessing as mp
    import sys
    import threading

    methods = mp.get_all_start_methods()
    if sys.platform.startswith("linux") and "fork" in methods and threading.active_count() == 1:
        return mp.get_context("fork")
    if "forkserver" not in methods:
        return mp.get_context()
    ctx = mp.get_context("forkserver")
    ctx.set_forkserver_preload(list(FORKSERVER_PRELOAD))
    return ctx


FORKSERVER_PRELOAD = ("hwsim.sweep.run", "hwsim.engine.simulate", "hwsim.workload.registry")
"""Modules a fork server imports once for all its workers (the simulator, numpy, simpy)."""


MAIN_GUARD_HINT = (
    "put the code that runs the sweep under 'if __name__ == \"__main__\":' (worker processes "
    "import the script that starts them), or pass jobs=1"
)


def _check_not_bootstrapping() -> None:
    """Refuse to start a sweep inside a worker that is still importing the caller's script
    (forkserver/spawn workers re-run an unguarded ``__main__``)."""
    import multiprocessing as mp

    if getattr(mp.current_process(), "_inheriting", False):
        raise SweepError(
            f"hwsim.sweep() was called while a worker process started; {MAIN_GUARD_HINT}"
        )


def dask_security(
    ca_file: str | None = None, cert: str | None = None, key: str | None = None
) -> Any:
    """A ``distributed.Security`` for TLS with the given CA, client certificate and key
    (the Dask config's ``distributed.comm.tls`` settings fill what is not given).

    Raises:
        SweepError: a file is missing, or dask[distributed] is not installed.
    """
    try:
        from distributed.security import Security
    except ImportError:
        raise SweepError("TLS to a Dask scheduler needs dask[distributed]") from None
    for what, f in (("CA file", ca_file), ("certificate", cert), ("key", key)):
        if f is not None and not Path(f).is_file():
            raise SweepError(f"TLS {what} {shorten(f)}: no such file")
    kw = {"tls_ca_file": ca_file, "tls_client_cert": cert, "tls_client_key": key}
    return Security(require_encryption=True, **{k: v for k, v in kw.items() if v is not None})  # type: ignore[no-untyped-call]


def _dask_executor(address: str, security: Any = None) -> _Opened:
    try:
        from distributed import Client
    except ImportError:
        raise SweepError(
            "a Dask scheduler needs dask[distributed]: pip install 'hwsim[dask]'"
        ) from None
    if address.startswith("tls://") and security is None:
        security = dask_security()  # from the Dask config (distributed.comm.tls.*)
    try:
        client = Client(  # type: ignore[no-untyped-call]
            address, timeout=DASK_CONNECT_TIMEOUT, set_as_default=False, security=security
        )
    except (OSError, TimeoutError, ValueError) as exc:
        raise SweepError(
            f"cannot reach the Dask scheduler at {address}: {_first_line(exc)}"
        ) from None
    workers = sum(w.get("nthreads", 1) for w in client.scheduler_info()["workers"].values())
    executor = client.get_executor(pure=False)  # type: ignore[no-untyped-call]

    def alive() -> int:
        try:
            return len(client.nthreads())  # type: ignore[no-untyped-call]
        except Exception:  # the scheduler itself is gone: no workers either
            return 0

    return executor, client.close, max(1, workers), alive


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return (lines[0] if lines else type(exc).__name__)[:300]


NO_WORKERS_TIMEOUT_S = 60.0
"""How long a Dask sweep waits with no worker before it fails (finished points are kept)."""
_POLL_S = 2.0
PROGRESS_TICK_S = 0.5
"""While workers run, ``progress`` is called at least this often (with unchanged counts when
no batch finished): a progress bar's clock needs no thread of its own, and a process without
threads starts its local pool by fork (workers inherit its loaded workloads and caches)."""


def _build_plan(plan: Any, kwargs: Mapping[str, Any]) -> SweepPlan:
    from hwsim.sweep.plan import load_sweep_file

    fields = {k: v for k, v in kwargs.items() if v is not None}
    if plan is None:
        return parse_sweep(fields, source="sweep()")
    if isinstance(plan, SweepPlan):
        if set(fields) - {"sample", "seed"}:
            raise SweepError("pass sweep options either in the plan or as keywords, not both")
        if fields:
            from dataclasses import replace

            return replace(plan, **fields)
        return plan
    if isinstance(plan, Mapping):
        return parse_sweep({**plan, **fields}, source="sweep()")
    loaded = load_sweep_file(plan)
    if fields:
        return _build_plan(loaded, fields)
    return loaded


PANDAS_HINT = "sweeps need pandas: pip install 'hwsim[sweep]'"


def _pandas() -> Any:
    """The pandas module. sweep() imports it for the table only once its workers are busy
    (about 0.3 s that would otherwise come before the first point; nothing else runs in this
    process while they compute)."""
    try:
        import pandas as pd
    except ImportError:
        raise SweepError(PANDAS_HINT) from None
    return pd


def _table(plan: SweepPlan, items: Sequence[_Item], rows: Mapping[str, dict[str, Any]]) -> Any:
    pd = _pandas()
    records = []
    energy_cols: dict[str, None] = {}
    extra_cols: dict[str, None] = {}
    si_of: dict[tuple[type, Any], float] = {}  # an axis has few distinct values
    si_axes = [(a.path, a.si_column) for a in plan.axes if a.si_column is not None]
    paths = [a.path for a in plan.axes]
    labels = [w.label for w in plan.workloads]
    layouts: set[tuple[str, ...]] = set()  # rows' key sequences seen (most rows share one)
    for it in items:
        row = rows[it.key]
        rec: dict[str, Any] = {"point": it.point_index}
        for path in paths:
            rec[path] = it.point[path]
        for path, column in si_axes:
            v = it.point[path]
            vkey = (type(v), v if not isinstance(v, list) else tuple(v))
            got = si_of.get(vkey)
            if got is None:
                si = _si(v)
                got = si_of[vkey] = si[0] if si is not None else math.nan
            rec[column] = got
        rec["workload"] = labels[it.workload_index]
        rec.update(row)
        layout = tuple(row)
        if layout not in layouts:  # new keys, in order of first appearance
            layouts.add(layout)
            for k in layout:
                if k.startswith("energy_") and k.endswith("_j") and k != "energy_j":
                    energy_cols[k] = None
                elif k not in _FIXED:
                    extra_cols[k] = None
        records.append(rec)
    head = ["point", *(a.path for a in plan.axes)]
    head += [a.si_column for a in plan.axes if a.si_column is not None]
    head += ["workload", "hardware", "profile", "batch", "dtype", *RESULT_FIELDS]
    tail = ["onchip_bytes", "mac_units", "area_proxy", "error"]
    middle = [c for c in (*energy_cols, *extra_cols) if c not in head and c not in tail]
    columns = head + middle + tail
    df = pd.DataFrame.from_records(records, columns=columns)
    return df


_FIXED = frozenset(
    ("hardware", "profile", "batch", "dtype", "onchip_bytes", "mac_units", "area_proxy", "error")
) | frozenset(RESULT_FIELDS)


def _write_outputs(folder: Path, plan: SweepPlan, df: pd.DataFrame) -> list[Path]:
    written = [folder / RESULTS_CSV]
    write_atomic(written[0], df.to_csv(index=False, lineterminator="\n"))
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        pass
    else:
        pq = folder / RESULTS_PARQUET
        with atomic_path(pq) as tmp:
            df.to_parquet(tmp, index=False)
        written.append(pq)
    meta = {
        "hardware": plan.spec_name,
        "source": plan.source,
        "description": plan.description,
        "axes": [{"path": a.path, "si_column": a.si_column, "scale": a.scale} for a in plan.axes],
        "workloads": [w.label for w in plan.workloads],
        "sample": plan.sample,
        "seed": plan.seed,
        "rows": len(df),
    }
    write_atomic(folder / SWEEP_JSON, json.dumps(meta, indent=2) + "\n")
    written.append(folder / SWEEP_JSON)
    return written


def sweep(
    plan: str | Path | Mapping[str, Any] | SweepPlan | None = None,
    *,
    hardware: Any = None,
    workloads: Any = None,
    axes: Mapping[str, Any] | None = None,
    constraints: Sequence[Any] | None = None,
    sample: int | None = None,
    seed: int | None = None,
    profile: str | None = None,
    batch: int | None = None,
    dtype: str | None = None,
    out: str | Path | None = None,
    executor: cf.Executor | None = None,
    jobs: int | None = None,
    scheduler: str | None = None,
    chunk_size: int | None = None,
    progress: ProgressCallback | None = None,
    security: Any = None,
) -> pd.DataFrame:
    """Simulate every (point x workload) of a sweep; one tidy row each (latency in s, energy in J).

    Args:
        plan: a sweep YAML path, its contents as a dict, a SweepPlan, or None to use the
            keyword arguments ``hardware``, ``workloads``, ``axes``, ... (same keys as the
            file). ``sample``/``seed`` given here override the file's.
        hardware: the base chip (name, path or spec), without a plan.
        workloads: workloads to run at every point, without a plan.
        axes: dotted spec path -> values (a list, a range or a distribution).
        constraints: expressions a point must satisfy to be simulated.
        sample: simulate this many random points of the grid instead of all.
        seed: seed of the random sample.
        profile: software profile for every workload.
        batch: batch size for every workload.
        dtype: dtype for every workload.
        out: folder for ``results.csv`` (+ ``results.parquet`` with pyarrow),
            ``sweep.json`` and ``points.jsonl``; finished rows found there are reused, so
            an interrupted sweep resumes and a finished one computes nothing.
        executor: any ``concurrent.futures.Executor``; it is not shut down here.
        jobs: worker processes of the default local pool (default ``os.cpu_count()``;
            1 runs in this process).
        scheduler: ``tcp://HOST:PORT`` or ``tls://HOST:PORT`` of a Dask distributed
            scheduler (needs ``hwsim[dask]``; workers must have hwsim installed). Workers
            are trusted as much as this process (docs/sweeps.md, "Trust"); every row they
            return is checked.
        security: TLS settings for the scheduler: a ``distributed.Security`` (see
            :func:`dask_security`); default for ``tls://`` the Dask config's.
        chunk_size: items per task (default: about four tasks per worker, 1 to 64).
        progress: called with a :class:`SweepProgress` at the start, after each batch and,
            while workers run, at least every :data:`PROGRESS_TICK_S` seconds.

    Returns:
        A pandas DataFrame ordered by point then workload: ``point``, one column per axis
        (values as written) and ``<axis>_<si unit>`` for quantity axes, ``workload``,
        ``hardware``, ``profile``, ``batch``, ``dtype``, the result fields (``latency_s``,
        ``throughput_per_s``, ``energy_j``, ``avg_power_w``, ``macs``, ``flops``, ``params``,
        ``weight_bytes``, ``peak_activation_bytes``, ``fits``), ``energy_<part>_j`` per
        breakdown part, LLM fields when present, ``onchip_bytes``, ``mac_units``,
        ``area_proxy`` and ``error`` (None unless that simulation failed).
        ``df.attrs`` holds ``computed``, ``cached``, ``failed`` and ``written`` (paths).

    Raises:
        SweepError: the sweep is invalid (before any point runs), or the first point of
            a workload fails (e.g. a dtype the chip cannot run).
    """
    _check_not_bootstrapping()
    import importlib.util

    if importlib.util.find_spec("pandas") is None:  # imported once the workers are busy
        raise SweepError(PANDAS_HINT)
    the_plan = _build_plan(
        plan,
        {
            "hardware": hardware,
            "workloads": workloads,
            "axes": axes,
            "constraints": constraints,
            "sample": sample,
            "seed": seed,
            "profile": profile,
            "batch": batch,
            "dtype": dtype,
        },
    )
    if chunk_size is not None and chunk_size < 1:
        raise SweepError(f"chunk_size must be >= 1, got {chunk_size}")
    if jobs is not None and jobs < 1:
        raise SweepError(f"jobs must be >= 1, got {jobs}")
    points = the_plan.points()
    if not points:
        raise SweepError(f"{the_plan.source}: no point meets the constraints")
    items: list[_Item] = []
    for pi, (point, keys) in enumerate(zip(points, item_keys(the_plan, points), strict=True)):
        for wi, key in enumerate(keys):
            items.append(_Item(len(items), pi, point, wi, key))

    folder = Path(out) if out is not None else None
    if folder is not None:
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise SweepError(f"cannot create {folder}: {exc.strerror or exc}") from None
    store = PointStore(folder)
    base_key = the_plan.base_hash
    todo = [it for it in items if it.key not in store.rows]
    state = {"computed": 0, "failed": 0}
    cached = len(items) - len(todo)

    def tick() -> None:
        if progress is not None:
            progress(SweepProgress(len(items), cached, state["computed"], state["failed"]))

    def report(pairs: list[tuple[str, dict[str, Any]]]) -> None:
        store.add(pairs)
        state["computed"] += len(pairs)
        state["failed"] += sum(1 for _, r in pairs if r.get("error"))
        tick()

    if progress is not None:
        progress(SweepProgress(len(items), cached, 0))
    try:
        _preflight(the_plan, base_key, todo, report)
        todo = [it for it in todo if it.key not in store.rows]
        if todo:
            _run(
                the_plan,
                base_key,
                todo,
                executor,
                jobs,
                scheduler,
                chunk_size,
                report,
                security,
                tick,
                busy=_pandas,
            )
    finally:
        store.close()
    missing = [it for it in items if it.key not in store.rows]
    if missing:  # pragma: no cover - every batch reports or raises
        raise SweepError(f"{len(missing)} sweep points produced no result")
    df = _table(the_plan, items, store.rows)
    df.attrs["computed"] = state["computed"]
    df.attrs["cached"] = cached
    df.attrs["discarded"] = store.discarded
    df.attrs["failed"] = int(df["error"].notna().sum())
    written: list[Path] = []
    if folder is not None:
        try:
            written = _write_outputs(folder, the_plan, df)
        except OSError as exc:
            raise SweepError(f"cannot write results to {folder}: {exc}") from None
    df.attrs["written"] = [str(p) for p in written]
    return df


PREFLIGHT_TRIES = 16


def _preflight(
    plan: SweepPlan,
    base_key: str,
    todo: Sequence[_Item],
    report: Callable[[list[tuple[str, dict[str, Any]]]], None],
) -> None:
    """Run the first open item of each workload here, so that a sweep which cannot run at
    all (a dtype the chip lacks, a model that does not lower) fails at once.

    A point whose axis values do not go together (the spec itself is invalid) is only a
    failed row: the next point of that workload is tried instead.
    """
    from hwsim.hardware.loader import override

    by_workload: dict[int, list[_Item]] = {}
    for it in todo:
        by_workload.setdefault(it.workload_index, []).append(it)
    base = plan.base_spec()
    for items in by_workload.values():
        for it in items[:PREFLIGHT_TRIES]:
            pairs = run_batch(_task(plan, base_key, [it]))
            err = pairs[0][1].get("error")
            report(pairs)
            if not err:
                break
            try:
                override(base, it.point)
            except HwsimError:
                continue  # an invalid combination of values: a failed row, not a stop
            label = plan.workloads[it.workload_index].label
            raise SweepError(f"{plan.source}: workload {label!r} at {it.point or 'base'}: {err}")


def _completed(
    futures: Mapping[cf.Future[Any], Any],
    alive: Callable[[], int] | None,
    tick: Callable[[], None] | None = None,
) -> Iterable[cf.Future[Any]]:
    """Futures as they finish (those finishing together in submission order); ``tick`` is
    called every :data:`PROGRESS_TICK_S` without one; with ``alive`` (Dask), fail when no
    worker has been there for :data:`NO_WORKERS_TIMEOUT_S` instead of waiting forever."""
    import time

    order = {f: i for i, f in enumerate(futures)}
    pending = set(futures)
    alone_since: float | None = None
    checked = time.monotonic()
    while pending:
        done, pending = cf.wait(pending, timeout=PROGRESS_TICK_S, return_when=cf.FIRST_COMPLETED)
        yield from sorted(done, key=order.__getitem__)
        if done:
            alone_since = None
            continue
        if tick is not None:
            tick()
        if alive is None or time.monotonic() - checked < _POLL_S:
            continue
        checked = time.monotonic()
        if alive() > 0:
            alone_since = None
        elif alone_since is None:
            alone_since = time.monotonic()
        elif time.monotonic() - alone_since > NO_WORKERS_TIMEOUT_S:
            raise SweepError(
                f"the Dask cluster has had no worker for {NO_WORKERS_TIMEOUT_S:.0f} s "
                f"({len(pending)} batch(es) left); finished points are kept when `out` is "
                "given: start workers and rerun to resume",
                params=("out",),
            )


def _run(
    plan: SweepPlan,
    base_key: str,
    todo: Sequence[_Item],
    executor: cf.Executor | None,
    jobs: int | None,
    scheduler: str | None,
    chunk_size: int | None,
    report: Callable[[list[tuple[str, dict[str, Any]]]], None],
    security: Any = None,
    tick: Callable[[], None] | None = None,
    *,
    busy: Callable[[], object] | None = None,
) -> None:
    """Run the batches of ``todo`` (in this process without an executor), reporting each
    batch's rows; ``busy`` is called once every batch has been handed to the workers."""
    ex, close, workers, alive = _open_executor(executor, jobs, scheduler, security)
    size = chunk_size or _chunk_size(len(todo), workers)
    batches = _batches(todo, size)
    try:
        if ex is None:
            for b in batches:
                report(run_batch(_task(plan, base_key, b)))
            return
        futures = {ex.submit(run_batch, _task(plan, base_key, b)): b for b in batches}
        if busy is not None:
            busy()
        try:
            for fut in _completed(futures, alive, tick):
                pairs = fut.result()
                problem = batch_problem(pairs, [it.key for it in futures[fut]])
                if problem is not None:
                    raise SweepError(
                        f"a worker returned a malformed result ({problem}); nothing of it was "
                        "kept (see 'trust' in docs/sweeps.md)"
                    )
                report(pairs)
        except BrokenProcessPool:
            for f in futures:
                f.cancel()
            raise SweepError(
                f"a worker process of the local pool died; {MAIN_GUARD_HINT}"
            ) from None
        except BaseException:
            for f in futures:
                f.cancel()
            raise
    finally:
        close()
