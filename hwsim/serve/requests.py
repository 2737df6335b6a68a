"""Request streams for serving: arrival times (poisson, constant, trace) and token lengths.

Everything random comes from one seed split into independent numpy streams (arrivals,
prompt lengths, output lengths), so changing the length distribution does not move the
arrival times and the same seed gives the same numbers bit for bit.
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from hwsim.errors import SimulationError
from hwsim.textio import read_text, shorten

ARRIVALS = ("poisson", "constant", "trace")
"""Arrival processes understood by :func:`arrival_times`."""

DISTRIBUTIONS = ("fixed", "uniform", "normal", "lognormal")
"""Token-length distributions understood by :class:`LengthDist`."""


class ServingError(SimulationError):
    """A serving run cannot be set up: bad rate, trace, distribution or KV budget."""


@dataclass(frozen=True)
class LengthDist:
    """A distribution of token counts, drawn as integers clipped to ``[lo, hi]``.

    ``fixed:N``; ``uniform:LO,HI`` (integers, both inclusive); ``normal:MEAN,STD[,LO,HI]``;
    ``lognormal:MEDIAN,SIGMA[,LO,HI]`` (``SIGMA`` of the underlying normal). Draws are
    rounded to the nearest integer and clipped to ``[lo, hi]`` (``lo`` >= 1).
    """

    kind: str
    a: float
    b: float = 0.0
    lo: int = 1
    hi: int | None = None

    @classmethod
    def fixed(cls, n: int) -> LengthDist:
        """Always ``n`` tokens."""
        if isinstance(n, bool) or int(n) != n or not 1 <= n <= MAX_TOKENS:
            raise ServingError(
                f"a token length must be an integer from 1 to {MAX_TOKENS:,}, got {shorten(n)}"
            )
        return cls("fixed", float(n), lo=int(n), hi=int(n))

    @classmethod
    def parse(cls, text: str | int | LengthDist) -> LengthDist:
        """Read ``"uniform:128,2048"``, ``"normal:1024,256"``, ``"512"``, ... (see class doc)."""
        if isinstance(text, LengthDist):
            return text
        if isinstance(text, (int, np.integer)):
            return cls.fixed(int(text))
        s = str(text).strip()[:200]
        kind, sep, rest = s.partition(":")
        kind = kind.strip().lower()
        if not sep:
            try:
                return cls.fixed(int(kind))
            except ValueError:
                pass
        usage = (
            f"bad length distribution {s!r}; use N, fixed:N, uniform:LO,HI, "
            "normal:MEAN,STD[,LO,HI] or lognormal:MEDIAN,SIGMA[,LO,HI]"
        )
        if kind not in DISTRIBUTIONS:
            raise ServingError(usage)
        try:
            nums = [float(x) for x in rest.split(",")] if rest.strip() else []
        except ValueError:
            raise ServingError(usage) from None
        if any(not math.isfinite(x) for x in nums):
            raise ServingError(usage)
        if any(abs(x) > MAX_TOKENS for x in nums):
            raise ServingError(f"{shorten(s)}: token counts are at most {MAX_TOKENS:,}")
        if kind == "fixed":
            if len(nums) != 1 or nums[0] != int(nums[0]):
                raise ServingError(usage)
            return cls.fixed(int(nums[0]))
        if kind == "uniform":
            if len(nums) != 2 or nums[0] != int(nums[0]) or nums[1] != int(nums[1]):
                raise ServingError(usage)
            lo, hi = int(nums[0]), int(nums[1])
            if lo < 1 or hi < lo:
                raise ServingError(f"{s!r}: uniform needs 1 <= LO <= HI")
            return cls("uniform", lo, hi, lo=lo, hi=hi)
        if len(nums) not in (2, 4):
            raise ServingError(usage)
        lo = 1
        hi_clip: int | None = None
        if len(nums) == 4:
            if nums[2] != int(nums[2]) or nums[3] != int(nums[3]):
                raise ServingError(usage)
            lo, hi_clip = int(nums[2]), int(nums[3])
            if lo < 1 or hi_clip < lo:
                raise ServingError(f"{s!r}: the clip bounds need 1 <= LO <= HI")
        if kind == "normal" and nums[1] < 0:
            raise ServingError(f"{s!r}: the standard deviation must be >= 0")
        if kind == "lognormal" and (nums[0] <= 0 or nums[1] < 0):
            raise ServingError(f"{s!r}: lognormal needs MEDIAN > 0 and SIGMA >= 0")
        if kind == "lognormal" and nums[1] > 10:
            raise ServingError(f"{shorten(s)}: lognormal SIGMA above 10 is not a length spread")
        return cls(kind, nums[0], nums[1], lo=lo, hi=hi_clip)

    @property
    def label(self) -> str:
        """The distribution as the string :meth:`parse` reads."""
        if self.kind == "trace":
            return "trace"
        if self.kind == "fixed":
            return f"fixed:{int(self.a)}"
        if self.kind == "uniform":
            return f"uniform:{self.lo},{self.hi}"
        clip = f",{self.lo},{self.hi}" if self.hi is not None else ""
        return f"{self.kind}:{self.a:g},{self.b:g}{clip}"

    @property
    def max_tokens(self) -> int | None:
        """Largest value a draw can take (None when unbounded)."""
        return self.hi

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """``n`` token counts (int64) drawn from ``rng``."""
        if self.kind == "fixed":
            return np.full(n, int(self.a), dtype=np.int64)
        if self.kind == "uniform":
            return rng.integers(self.lo, int(self.b) + 1, size=n, dtype=np.int64)
        if self.kind == "normal":
            x = rng.normal(self.a, self.b, size=n)
        else:
            x = rng.lognormal(math.log(self.a), self.b, size=n)
        x = np.rint(x)
        x = np.clip(x, self.lo, self.hi if self.hi is not None else MAX_TOKENS)
        return x.astype(np.int64)


@dataclass(frozen=True)
class Trace:
    """Arrival times (s, sorted) read from a file, with optional per-request token lengths."""

    source: str
    arrival_s: np.ndarray
    prompt_len: np.ndarray | None = None
    gen_len: np.ndarray | None = None

    @property
    def mean_rate(self) -> float:
        """Requests per second over the trace: (count - 1) / (last - first arrival): the mean
        inter-arrival rate (inf when all arrive at once or there is one request)."""
        span = float(self.arrival_s[-1] - self.arrival_s[0])
        return (len(self.arrival_s) - 1) / span if span > 0 else math.inf


def streams(seed: int) -> tuple[np.random.Generator, np.random.Generator, np.random.Generator]:
    """Independent generators for (arrivals, prompt lengths, output lengths) from one seed."""
    if isinstance(seed, bool) or int(seed) != seed or seed < 0:
        raise ServingError(f"seed must be an integer >= 0, got {seed!r}")
    children = np.random.SeedSequence(int(seed)).spawn(3)
    return (
        np.random.Generator(np.random.PCG64(children[0])),
        np.random.Generator(np.random.PCG64(children[1])),
        np.random.Generator(np.random.PCG64(children[2])),
    )


def check_rate(rate: float | None) -> float:
    """The offered rate in requests/s, validated (> 0 and finite)."""
    if rate is None:
        raise ServingError("give an arrival rate in requests/s (`rate`)", params=("rate",))
    try:
        r = float(rate)
    except (TypeError, ValueError):
        raise ServingError(f"rate must be a number of requests/s, got {rate!r}") from None
    if not math.isfinite(r) or r <= 0:
        raise ServingError(f"rate must be > 0 requests/s, got {rate!r}")
    if not MIN_RATE <= r <= MAX_RATE:
        raise ServingError(
            f"rate must be between {MIN_RATE:g} and {MAX_RATE:g} requests/s, got {r:g} "
            "(slower arrivals lose the service time in float rounding; docs/limits.md)"
        )
    return r


MIN_RATE = 1e-6
"""Slowest offered rate, requests/s (one request in about 12 days; docs/limits.md)."""
MAX_RATE = 1e9
"""Fastest offered rate, requests/s."""
MAX_TIME_S = 1e7
"""Latest arrival time, s (about 116 days). Beyond it a float's resolution (ulp) grows past
a few ns, so short service times would vanish against the arrival time (latency 0.0)."""
MAX_TOKENS = 10_000_000
"""Largest prompt or output length, tokens (far beyond any model's context window)."""

MAX_REQUESTS = 10_000_000
"""Largest run simulated (memory and time grow with requests); bigger asks are an error."""


def arrival_times(
    kind: str,
    rate: float,
    rng: np.random.Generator,
    *,
    requests: int | None = None,
    duration: float | None = None,
) -> np.ndarray:
    """Arrival times in s for ``requests`` requests, or for those arriving before ``duration``.

    ``poisson``: exponential gaps of mean 1/rate (the first one after t=0). ``constant``:
    one request every 1/rate s starting at t=0.
    """
    rate = check_rate(rate)
    if kind not in ("poisson", "constant"):
        raise ServingError(f"unknown arrival process {kind!r}; choose {', '.join(ARRIVALS)}")
    expected = requests if requests is not None else rate * float(duration or 0.0)
    if expected > MAX_REQUESTS:
        raise ServingError(
            f"that is about {expected:,.0f} requests; at most {MAX_REQUESTS:,} are simulated "
            "(lower `duration` or `rate`, or give `requests`)",
            params=("duration", "rate", "requests"),
        )
    if requests is not None:
        if kind == "constant":
            return np.arange(requests, dtype=np.float64) / rate
        return np.cumsum(rng.exponential(1.0 / rate, size=requests))
    assert duration is not None
    if kind == "constant":
        n = int(math.ceil(duration * rate))
        t = np.arange(n, dtype=np.float64) / rate
        return t[t < duration]
    mean = rate * duration
    parts: list[np.ndarray] = []
    t0 = 0.0
    while True:
        chunk = int(mean + 6.0 * math.sqrt(mean) + 16)
        t = t0 + np.cumsum(rng.exponential(1.0 / rate, size=chunk))
        if t[-1] >= duration:
            parts.append(t[t < duration])
            break
        parts.append(t)
        t0 = float(t[-1])
    return np.concatenate(parts)


_TIME_KEYS = ("arrival_s", "arrival", "time_s", "time", "timestamp", "t")
_PROMPT_KEYS = ("prompt_len", "prompt_tokens", "input_len", "input_tokens")
_GEN_KEYS = ("gen_len", "output_len", "output_tokens", "gen_tokens", "max_tokens")


def _pick(row: dict[str, Any], keys: Sequence[str]) -> Any:
    for k in keys:
        if k in row:
            return row[k]
    return None


def load_trace(path: str | Path) -> Trace:
    """Read a trace file: arrival times in s, optionally per-request prompt/output tokens.

    CSV: a header naming ``arrival_s`` (or ``time``/``timestamp``) and optionally
    ``prompt_len`` and ``gen_len`` (or ``output_len``); or one number per line, no header.
    JSON: a list of times, a list of objects with those keys, or ``{"requests": [...]}``.

    Raises:
        ServingError: missing or unreadable file, a negative, non-finite or unsorted time, a
            non-integer or < 1 token length, or an empty trace.
    """
    p = Path(path)
    text = read_text(p, ServingError, what="trace")
    rows: list[dict[str, Any]]
    if p.suffix.lower() == ".json":
        try:
            data = json.loads(text)
        except RecursionError:
            raise ServingError(f"trace {p}: JSON nested too deeply") from None
        except json.JSONDecodeError as exc:
            raise ServingError(
                f"trace {p}: not valid JSON ({exc.msg}, line {exc.lineno})"
            ) from None
        if isinstance(data, dict):
            data = data.get("requests", data.get("arrivals"))
        if not isinstance(data, list):
            raise ServingError(f"trace {p}: expected a list of times or of request objects")
        rows = [x if isinstance(x, dict) else {"arrival_s": x} for x in data]
    else:
        lines = [ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
        try:
            reader = list(csv.reader(lines))
        except csv.Error as exc:
            raise ServingError(f"trace {p}: not a readable CSV ({exc})") from None
        if not reader:
            raise ServingError(f"trace {p}: no requests")
        head = [c.strip().lower() for c in reader[0]]
        try:
            float(head[0])
            header = None
        except ValueError:
            header = head
        if header is None:
            rows = [{"arrival_s": r[0] if r else ""} for r in reader]
        else:
            if not any(k in header for k in _TIME_KEYS):
                raise ServingError(
                    f"trace {p}: the header needs an arrival_s column, got {', '.join(header)}"
                )
            rows = [dict(zip(header, (c.strip() for c in r))) for r in reader[1:]]
    if not rows:
        raise ServingError(f"trace {p}: no requests")
    n = len(rows)
    times = np.empty(n)
    prompts: list[Any] = []
    gens: list[Any] = []
    for i, row in enumerate(rows):
        raw = _pick(row, _TIME_KEYS)
        try:
            if isinstance(raw, bool):
                raise TypeError  # JSON true is no time (float(True) would be 1.0 s)
            t = float(raw)
        except (TypeError, ValueError):
            raise ServingError(
                f"trace {p}: request {i}: arrival time {shorten(raw)} is not a number"
            ) from None
        if not math.isfinite(t):
            raise ServingError(f"trace {p}: request {i}: arrival time {shorten(raw)} is not finite")
        if t < 0:
            raise ServingError(f"trace {p}: request {i}: arrival time {t:g} s is negative")
        if t > MAX_TIME_S:
            raise ServingError(
                f"trace {p}: request {i}: arrival time {t:g} s is later than {MAX_TIME_S:g} s "
                "(about 116 days; docs/limits.md)"
            )
        if i and t < times[i - 1]:
            raise ServingError(
                f"trace {p}: arrival times must be sorted; request {i} at {t:g} s comes after "
                f"{times[i - 1]:g} s"
            )
        times[i] = t
        prompts.append(_pick(row, _PROMPT_KEYS))
        gens.append(_pick(row, _GEN_KEYS))
    return Trace(
        str(p),
        times,
        _lengths(p, "prompt_len", prompts),
        _lengths(p, "gen_len", gens),
    )


def trace_from_times(times: Sequence[float] | np.ndarray) -> Trace:
    """A :class:`Trace` from arrival times given in memory (same checks as a file)."""
    t = np.asarray(times, dtype=np.float64).ravel()
    if t.size == 0:
        raise ServingError("trace: no requests")
    if not np.all(np.isfinite(t)):
        raise ServingError("trace: arrival times must be finite")
    if np.any(t < 0):
        i = int(np.argmax(t < 0))
        raise ServingError(f"trace: request {i}: arrival time {t[i]:g} s is negative")
    if np.any(t > MAX_TIME_S):
        i = int(np.argmax(t > MAX_TIME_S))
        raise ServingError(
            f"trace: request {i}: arrival time {t[i]:g} s is later than {MAX_TIME_S:g} s"
        )
    bad = np.nonzero(np.diff(t) < 0)[0]
    if bad.size:
        i = int(bad[0]) + 1
        raise ServingError(
            f"trace: arrival times must be sorted; request {i} at {t[i]:g} s comes after "
            f"{t[i - 1]:g} s"
        )
    return Trace("<array>", t)


def _lengths(p: Path, name: str, values: list[Any]) -> np.ndarray | None:
    present = [v not in (None, "") for v in values]
    if not any(present):
        return None
    out = np.empty(len(values), dtype=np.int64)
    for i, v in enumerate(values):
        try:
            if isinstance(v, bool):
                raise TypeError
            f = float(v)
        except (TypeError, ValueError):
            raise ServingError(
                f"trace {p}: request {i}: {name} {shorten(v)} is not a number"
            ) from None
        if not math.isfinite(f) or f != int(f) or not 1 <= f <= MAX_TOKENS:
            raise ServingError(
                f"trace {p}: request {i}: {name} must be an integer from 1 to {MAX_TOKENS:,}, "
                f"got {shorten(v)}"
            )
        out[i] = int(f)
    return out
