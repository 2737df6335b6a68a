"""Joint fits: one software stack's factors fitted across every chip it runs on.

A *stack* is a software library that several chips share (one X-CUBE-AI code generator on
every STM32, one TensorRT on A100, H100 and Orin). Its fitted parameters are log-multipliers
applied to every member's prior profile (``apply_parameters``), so a fit moves the factors of
all its chips together and keeps the per-chip differences the priors cite. A chip-specific
term (``compute_scale@CHIP``) is a candidate only for a chip with
:data:`CHIP_TERM_MIN_ROWS` or more time-like rows in a stack that spans several chips, and is
kept only when the rows identify it apart from the shared parameters.

The fit is bounded least squares on ``ln(predicted / measured)`` over the stack's time-like
rows. It never fits more than :func:`max_parameters` parameters: a fit with as many
parameters as rows reproduces them by construction and is marked ``exactly_determined``.

Speed: the Jacobian is taken by finite differences once, at the start, and then updated
with Broyden's rank-one rule on every evaluated step (each step costs one simulation per row).
Refits for cross-validation start from the full fit and its Jacobian.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from hwsim.errors import HwsimError
from hwsim.hardware.loader import load_profile
from hwsim.hardware.models import SoftwareProfile
from hwsim.hardware.operating import CYCLE_OVERHEAD_KINDS
from hwsim.textio import read_yaml
from hwsim.validation.compare import PROFILE_SUFFIXES, Predictor, ProfileKey, RowSkipped
from hwsim.validation.fitting import (
    ADDITIVE,
    COMPUTE_CLASSES,
    FD_STEP,
    PARAMETERS,
    RUN_PROBE_S,
    RUN_SPREAD,
    _bounds,
    _select,
    apply_parameters,
)
from hwsim.validation.measurements import METRICS, Measurement

SHARED_CANDIDATES = (
    "compute_scale",
    "bandwidth_efficiency",
    "overhead_per_op",
    "efficiency.depthwise",
    "efficiency.attention",
    "efficiency.elementwise",
    "overhead_per_run",
)
"""Parameters a stack may share across its chips, in order of preference."""

CHIP_TERMS = "compute_scale@CHIP"
"""Marks a candidate list that allows chip-specific scales (``chip_terms`` in stacks.yaml)."""

CHIP_TERM_MIN_ROWS = 3
"""Time-like rows a chip needs in a multi-chip stack before it may get its own scale."""
MAX_PARAMETERS = 4
"""No stack fits more parameters than this, however many rows it has."""
ROWS_PER_PARAMETER = 3
"""A stack fits at most one parameter per this many time-like rows (and at least one)."""


TRUST = math.log(2.0)
"""A linearised cross-validation refit moves no parameter by more than this (a factor 2)."""


class StackError(HwsimError):
    """A stack definition or prior that cannot be used (message names the file and field)."""


def max_parameters(n_rows: int) -> int:
    """How many parameters a stack with ``n_rows`` time-like rows may fit (>= 1 when n >= 1)."""
    if n_rows <= 0:
        return 0
    return max(1, min(MAX_PARAMETERS, n_rows // ROWS_PER_PARAMETER))


@dataclass(frozen=True)
class StackSpec:
    """Which chip + profile pairs share one software stack, and what may be fitted."""

    name: str
    members: tuple[ProfileKey, ...] = ()
    candidates: tuple[str, ...] = (*SHARED_CANDIDATES, CHIP_TERMS)
    reason: str = ""


def read_stacks(path: str | Path) -> dict[str, StackSpec]:
    """Stack definitions from a YAML file (``stacks: {NAME: {members, fit, reason}}``).

    ``members`` are ``CHIP/PROFILE`` strings; ``fit`` restricts the candidate parameters;
    ``chip_terms: false`` fits no chip-specific scale (what differs between the chips is
    not their compute efficiency). A chip + profile pair not listed belongs to the stack
    named after its profile.
    """
    data = read_yaml(Path(path), StackError)
    where = str(path)
    if not isinstance(data, dict) or not isinstance(data.get("stacks"), dict):
        raise StackError(f"{where}: expected a mapping with a 'stacks' mapping")
    out: dict[str, StackSpec] = {}
    for name, body in data["stacks"].items():
        if not isinstance(body, dict):
            raise StackError(f"{where}: stacks.{name}: expected a mapping")
        unknown = set(body) - {"members", "fit", "chip_terms", "reason"}
        if unknown:
            raise StackError(
                f"{where}: stacks.{name}: unknown field(s) {', '.join(sorted(unknown))}"
            )
        members: list[ProfileKey] = []
        for item in body.get("members") or []:
            chip, sep, prof = str(item).partition("/")
            if not sep or not chip or not prof:
                raise StackError(
                    f"{where}: stacks.{name}.members: expected CHIP/PROFILE, got {item!r}"
                )
            members.append((chip, prof))
        fit = tuple(str(p) for p in (body.get("fit") or SHARED_CANDIDATES))
        for p in fit:
            if p not in PARAMETERS:
                raise StackError(
                    f"{where}: stacks.{name}.fit: unknown parameter {p!r}; choose from "
                    f"{', '.join(PARAMETERS)}"
                )
        chip_terms = body.get("chip_terms", True)
        if not isinstance(chip_terms, bool):
            raise StackError(f"{where}: stacks.{name}.chip_terms: expected true or false")
        fit = (*fit, CHIP_TERMS) if chip_terms else fit
        out[str(name)] = StackSpec(str(name), tuple(members), fit, str(body.get("reason", "")))
    return out


def read_priors(folder: str | Path) -> dict[ProfileKey, SoftwareProfile]:
    """Priors from ``FOLDER/CHIP--PROFILE.yaml`` files (standalone profile YAML)."""
    out: dict[ProfileKey, SoftwareProfile] = {}
    if not Path(folder).is_dir():
        raise StackError(f"priors: no such folder {str(folder)!r}")
    for p in sorted(Path(folder).glob("*--*.yaml")):
        chip, _, name = p.stem.partition("--")
        out[(chip, name)] = load_profile(p)
    return out


@dataclass(frozen=True)
class StackFit:
    """A fitted stack: its parameters, degrees of freedom and one profile per member."""

    stack: str
    members: tuple[ProfileKey, ...]
    rows: tuple[str, ...]
    """Ids of the time-like rows the fit used."""
    names: tuple[str, ...]
    """Fitted parameters (``compute_scale@CHIP`` for a chip-specific term)."""
    x: tuple[float, ...]
    """ln(multiplier) per fitted parameter (run units for ``overhead_per_run``)."""
    profiles: dict[ProfileKey, SoftwareProfile]
    not_fitted: tuple[tuple[str, str], ...] = ()
    run_unit_s: float = 1.0
    at_bound: tuple[str, ...] = ()
    jacobian: Any = None
    """d ln(pred)/d x at the solution (rows x names); used to start refits."""
    residuals: Any = None
    """ln(pred / meas) of each row at the solution."""
    run_clock_hz: float | None = None
    """Clock the shared ``overhead_per_run`` is stated at when the members' per-run cost is
    core cycles (MCUs, CPUs: each member pays it x this clock / its own); None: seconds."""

    @property
    def dof(self) -> int:
        """Degrees of freedom: rows minus fitted parameters."""
        return len(self.rows) - len(self.names)

    @property
    def exactly_determined(self) -> bool:
        """True when the fit has as many parameters as rows (it reproduces them by design)."""
        return bool(self.rows) and len(self.names) >= len(self.rows)

    def multipliers(self) -> dict[str, float]:
        """Parameter -> multiplier (additive ones: added seconds)."""
        out: dict[str, float] = {}
        for n, v in zip(self.names, self.x):
            out[n] = math.expm1(v) * self.run_unit_s if n in ADDITIVE else math.exp(v)
        return out

    def label(self) -> str:
        """One line: the parameters and what they came to."""
        parts = []
        for n, v in self.multipliers().items():
            mark = " (at bound)" if n in self.at_bound else ""
            if n not in ADDITIVE:
                parts.append(f"{n} x{v:.4g}{mark}")
            elif self.run_clock_hz:
                cycles = v * self.run_clock_hz
                parts.append(
                    f"{n} +{v * 1e3:.4g} ms at {self.run_clock_hz / 1e6:g} MHz "
                    f"({cycles:,.0f} core cycles){mark}"
                )
            else:
                parts.append(f"{n} +{v * 1e3:.4g} ms{mark}")
        return ", ".join(parts) or "nothing fitted"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary."""
        return {
            "stack": self.stack,
            "members": [f"{c}/{p}" for c, p in self.members],
            "rows": list(self.rows),
            "parameters": self.multipliers(),
            "run_clock_hz": self.run_clock_hz,
            "at_bound": list(self.at_bound),
            "dof": self.dof,
            "exactly_determined": self.exactly_determined,
            "not_fitted": [{"name": n, "reason": r} for n, r in self.not_fitted],
        }


def _member_x(x: Mapping[str, float], chip: str) -> dict[str, float]:
    """The shared parameters plus this chip's own terms, as ``apply_parameters`` takes them."""
    out: dict[str, float] = {}
    for n, v in x.items():
        base, _, who = n.partition("@")
        if who and who != chip:
            continue
        out[base] = out.get(base, 0.0) + v
    return out


@dataclass
class _Problem:
    """One stack's rows and priors, evaluated through a shared Predictor."""

    stack: str
    members: tuple[ProfileKey, ...]
    priors: dict[ProfileKey, SoftwareProfile]
    rows: list[Measurement]
    keys: list[ProfileKey]
    pred: Predictor
    run_unit_s: float = 1.0
    clocks: dict[ProfileKey, float] = field(default_factory=dict)
    """Nominal clock of each member whose per-run cost is core cycles (MCU, CPU)."""

    @property
    def run_clock_hz(self) -> float | None:
        """Clock the shared per-run overhead is stated at (the fastest cycle-counted member)."""
        return max(self.clocks.values()) if self.clocks else None

    def run_unit(self, key: ProfileKey) -> float:
        """Seconds one unit of the per-run parameter costs on member ``key``: the same number
        of core cycles on every MCU/CPU member (longer on a slower clock), the same seconds on
        the others (host time)."""
        ref, own = self.run_clock_hz, self.clocks.get(key)
        return self.run_unit_s * (ref / own if ref and own else 1.0)

    def profiles(self, x: Mapping[str, float]) -> dict[ProfileKey, SoftwareProfile]:
        out = {}
        for k, p in self.priors.items():
            if k not in self.members:
                continue
            xm = _member_x(x, k[0])
            if "overhead_per_run" in xm:
                # Fitted as u = ln(1 + added / run unit): linear in ln(t) for the shortest run.
                xm["overhead_per_run"] = math.expm1(xm["overhead_per_run"])
            out[k] = apply_parameters(p, xm, run_unit_s=self.run_unit(k))
        return out

    def residuals(self, x: Mapping[str, float], idx: Sequence[int]) -> np.ndarray:
        pr = self.pred.with_overrides(self.profiles(x))
        out = np.empty(len(idx))
        for j, i in enumerate(idx):
            r = pr.predict(self.rows[i])
            if not r.ok:
                raise StackError(f"row {self.rows[i].id} failed during the fit: {r.reason}")
            out[j] = r.log_error
        return out


def _bounds_for(prob: _Problem, name: str) -> tuple[float, float]:
    base, _, who = name.partition("@")
    lows, highs = [], []
    for k, p in prob.priors.items():
        if k not in prob.members or (who and k[0] != who):
            continue
        lo, hi = _bounds(p, base, prob.run_unit(k))
        lows.append(lo)
        highs.append(hi)
    if not lows:
        return (-1.0, 1.0)
    if who:
        return (math.log(1e-3), math.log(1e3))  # the sum with the shared term is capped
    if base == "compute_scale" or base.startswith("efficiency."):
        # Up to where the last member's factor reaches its cap of 1: beyond, nothing moves.
        classes = COMPUTE_CLASSES if base == "compute_scale" else (base.split(".", 1)[1],)
        tops = [
            max(getattr(p.efficiency, c) for c in classes)
            for k, p in prob.priors.items()
            if k in prob.members and (not who or k[0] == who)
        ]
        return (min(lows), math.log(1.0 / min(tops)))
    if base in ADDITIVE:
        return (math.log1p(max(-0.999, max(lows))), math.log1p(min(highs)))
    # A shared multiplier may push some members' factors to their cap of 1 (apply caps them);
    # the widest range keeps it useful for the others.
    return (min(lows), max(highs))


def _solve(
    resid: Callable[[np.ndarray], np.ndarray],
    x0: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
    J0: np.ndarray,
    max_iter: int = 20,
) -> tuple[np.ndarray, np.ndarray]:
    """Bounded Levenberg-Marquardt with Broyden updates of the Jacobian; (x, J)."""
    x = np.clip(x0, lo, hi)
    r = resid(x)
    J = J0.copy()
    cost = float(r @ r)
    lam = 1e-3
    for _ in range(max_iter):
        if cost < 1e-20 or x.size == 0:
            break
        g = J.T @ r
        free = ~(((x <= lo + 1e-12) & (g > 0)) | ((x >= hi - 1e-12) & (g < 0)))
        if not free.any():
            break
        Jf = J[:, free]
        A = Jf.T @ Jf
        improved = done = False
        for _try in range(8):
            step = np.zeros_like(x)
            step[free] = np.linalg.solve(A + lam * np.diag(np.diag(A) + 1e-12), -g[free])
            xn = np.clip(x + step, lo, hi)
            dx = xn - x
            if float(np.abs(dx).max()) < 1e-6:
                break
            rn = resid(xn)
            # Broyden rank-one update with what this step showed.
            J = J + np.outer(rn - r - J @ dx, dx) / float(dx @ dx)
            cn = float(rn @ rn)
            if cn < cost:
                done = cost - cn < 1e-6 * max(1e-3, cost) or float(np.abs(dx).max()) < 1e-4
                x, r, cost = xn, rn, cn
                lam = max(lam / 10, 1e-9)
                improved = True
                break
            lam *= 10
        if not improved or done:
            break
    return x, J


def _fd_jacobian(
    prob: _Problem, x: Mapping[str, float], names: Sequence[str], idx: Sequence[int]
) -> np.ndarray:
    base = prob.residuals(x, idx)
    J = np.empty((len(idx), len(names)))
    for j, n in enumerate(names):
        v = x.get(n, 0.0)
        h = -FD_STEP if v - FD_STEP >= _bounds_for(prob, n)[0] else FD_STEP
        J[:, j] = (prob.residuals({**x, n: v + h}, idx) - base) / h
    return J


def build_problem(
    stack: str,
    members: Sequence[ProfileKey],
    priors: Mapping[ProfileKey, SoftwareProfile],
    rows: Sequence[Measurement],
    keys: Sequence[ProfileKey],
    pred: Predictor,
    clocks: Mapping[ProfileKey, float] | None = None,
) -> _Problem:
    """The fitting problem of one stack (its time-like rows, each with its chip + profile;
    ``clocks``: nominal clock of each member whose per-run cost is core cycles)."""
    return _Problem(
        stack, tuple(members), dict(priors), list(rows), list(keys), pred, clocks=dict(clocks or {})
    )


def fit_stack(
    prob: _Problem,
    candidates: Sequence[str],
    idx: Sequence[int] | None = None,
    *,
    start: StackFit | None = None,
    exact: bool = False,
) -> StackFit:
    """Fit one stack on its rows ``idx`` (default: all), optionally starting from ``start``.

    With ``start`` (a fit on a superset of the rows), its parameters are refitted on these
    rows from its solution: the fold keeps the full fit's choice of parameters, except those
    the remaining rows cannot carry (a chip term of a chip with no rows left; parameters
    beyond one fewer than the rows), which go back to the prior.
    The refit minimises the residuals of these rows linearised around ``start`` (its
    Jacobian; no simulation), or, with ``exact``, the simulated residuals.
    """
    all_idx = list(range(len(prob.rows))) if idx is None else list(idx)
    prior_profiles = prob.profiles({})
    if not all_idx:
        return StackFit(
            prob.stack,
            prob.members,
            (),
            (),
            (),
            prior_profiles,
            (("*", "no rows to fit: every member keeps its prior"),),
        )
    chips_with_rows = {prob.keys[i][0] for i in all_idx}
    if start is not None:
        prob.run_unit_s = start.run_unit_s
        keep = [
            j
            for j, n in enumerate(start.names)
            if "@" not in n or n.split("@", 1)[1] in chips_with_rows
        ]
        pos = {rid: i for i, rid in enumerate(start.rows)}
        rows_in_start = [pos[prob.rows[i].id] for i in all_idx]
        # Only what the fold's rows identify is refitted (a chip term whose chip is the only
        # one left is the shared scale over again); the rest goes back to the prior, so no
        # value learnt from the left-out rows survives in the fold.
        Jk = np.asarray(start.jacobian)[np.ix_(rows_in_start, keep)]
        sel, _ = _select(Jk, [start.names[j] for j in keep], max(1, len(all_idx) - 1))
        keep = [keep[j] for j in sel]
        names = [start.names[j] for j in keep]
        x0 = np.array([start.x[j] for j in keep])
        J0 = np.asarray(start.jacobian)[np.ix_(rows_in_start, keep)]
        not_fitted = list(start.not_fitted)
    else:
        return _fit_from_prior(prob, candidates, all_idx, chips_with_rows)
    lo = np.array([_bounds_for(prob, n)[0] for n in names])
    hi = np.array([_bounds_for(prob, n)[1] for n in names])

    def resid(v: np.ndarray) -> np.ndarray:
        return prob.residuals(dict(zip(names, v.tolist())), all_idx)

    if start is not None and not exact:
        # Linearised refit around the start: r(x) ~ r* + J* (x - x*), over these rows. A
        # parameter dropped from the start (back to its prior) moves r by -J*_k x*_k.
        Jall = np.asarray(start.jacobian)[rows_in_start]
        r_lin = np.asarray(start.residuals)[rows_in_start] - Jall @ np.asarray(start.x)
        r_lin = r_lin + J0 @ x0

        def resid_lin(v: np.ndarray) -> np.ndarray:
            return np.asarray(r_lin + J0 @ (v - x0), dtype=np.float64)

        # Trust region: a linearised refit moves no parameter by more than TRUST (ln 2).
        lo_t, hi_t = np.maximum(lo, x0 - TRUST), np.minimum(hi, x0 + TRUST)
        x, J = _solve(resid_lin, x0, lo_t, hi_t, J0) if names else (x0, J0)
        r_end = resid_lin(x) if names else r_lin
    else:
        x, J = _solve(resid, x0, lo, hi, J0) if names else (x0, J0)
        r_end = resid(x)
    sol = dict(zip(names, x.tolist()))
    at_bound = tuple(n for i, n in enumerate(names) if x[i] <= lo[i] + 1e-9 or x[i] >= hi[i] - 1e-9)
    return StackFit(
        prob.stack,
        prob.members,
        tuple(prob.rows[i].id for i in all_idx),
        tuple(names),
        tuple(float(v) for v in x),
        prob.profiles(sol),
        tuple(not_fitted),
        prob.run_unit_s,
        at_bound,
        J,
        r_end,
        prob.run_clock_hz,
    )


def _fit_from_prior(
    prob: _Problem, candidates: Sequence[str], idx: list[int], chips_with_rows: set[str]
) -> StackFit:
    """Select identifiable parameters and fit them; a parameter that stays on a bound at its
    prior value explains nothing and is swapped for the next candidate (up to 3 tries)."""
    cands, Jc, not_fitted = _choose(prob, candidates, idx, chips_with_rows)
    banned: list[str] = []
    for _attempt in range(3):
        cols = [j for j, c in enumerate(cands) if c not in banned]
        sel, why = _select(Jc[:, cols], [cands[j] for j in cols], max_parameters(len(idx)))
        names = [cands[cols[j]] for j in sel]
        lo = np.array([_bounds_for(prob, n)[0] for n in names])
        hi = np.array([_bounds_for(prob, n)[1] for n in names])

        def resid(v: np.ndarray, names: list[str] = names) -> np.ndarray:
            return prob.residuals(dict(zip(names, v.tolist())), idx)

        J0 = Jc[:, [cols[j] for j in sel]]
        x, _ = _solve(resid, np.zeros(len(names)), lo, hi, J0) if names else (np.zeros(0), J0)
        stuck = [
            n
            for i, n in enumerate(names)
            if abs(x[i]) < 1e-6 and (x[i] <= lo[i] + 1e-9 or x[i] >= hi[i] - 1e-9)
        ]
        if not stuck:
            break
        banned += stuck
    why += [(n, "fitted, it stayed on its bound at the prior value; another set was tried")
            for n in banned]  # fmt: skip
    sol = dict(zip(names, x.tolist()))
    # The Jacobian at the solution by finite differences: cross-validation refits
    # linearise around it.
    J = _fd_jacobian(prob, sol, names, idx) if names else J0
    at_bound = tuple(n for i, n in enumerate(names) if x[i] <= lo[i] + 1e-9 or x[i] >= hi[i] - 1e-9)
    return StackFit(
        prob.stack,
        prob.members,
        tuple(prob.rows[i].id for i in idx),
        tuple(names),
        tuple(float(v) for v in x),
        prob.profiles(sol),
        tuple(not_fitted + why),
        prob.run_unit_s,
        at_bound,
        J,
        prob.residuals(sol, idx),
        prob.run_clock_hz,
    )


def _choose(
    prob: _Problem, candidates: Sequence[str], idx: list[int], chips_with_rows: set[str]
) -> tuple[list[str], np.ndarray, list[tuple[str, str]]]:
    """The candidate parameters, their Jacobian at the prior, and those left out (why)."""
    cands = [c for c in candidates if c in PARAMETERS]
    not_fitted: list[tuple[str, str]] = []
    priors = [p for k, p in prob.priors.items() if k in prob.members]
    if "overhead_per_op" in cands and all(p.overhead_per_op <= 0 for p in priors):
        cands.remove("overhead_per_op")
        not_fitted.append(("overhead_per_op", "the priors have no per-op overhead (0 s)"))
    if "overhead_per_run" in cands:
        r0 = prob.residuals({}, idx)
        probe = {k: p.model_copy(update={"overhead_per_run": p.overhead_per_run + RUN_PROBE_S})
                 for k, p in prob.profiles({}).items()}  # fmt: skip
        pr = prob.pred.with_overrides(probe)
        shift = np.abs(np.array([pr.predict(prob.rows[i]).log_error for i in idx]) - r0)
        runs = sorted(RUN_PROBE_S / math.expm1(float(d)) for d in shift if d > 1e-12)
        if len(runs) < 2 or runs[-1] < RUN_SPREAD * runs[0]:
            cands.remove("overhead_per_run")
            not_fitted.append(
                (
                    "overhead_per_run",
                    f"needs 2+ rows that pay it with run times {RUN_SPREAD:g}x apart",
                )
            )
        else:
            prob.run_unit_s = runs[0]
    per_chip: dict[str, int] = {}
    for i in idx:
        per_chip[prob.keys[i][0]] = per_chip.get(prob.keys[i][0], 0) + 1
    if (
        len({k[0] for k in prob.members if k[0] in chips_with_rows}) > 1
        and "compute_scale" in cands
        and CHIP_TERMS in candidates
    ):
        cands += [
            f"compute_scale@{c}" for c, n in sorted(per_chip.items()) if n >= CHIP_TERM_MIN_ROWS
        ]
    J = _fd_jacobian(prob, {}, cands, idx)
    return cands, J, not_fitted


@dataclass
class StackAssignment:
    """Rows grouped by stack, with each stack's members and candidates."""

    problems: dict[str, _Problem] = field(default_factory=dict)
    candidates: dict[str, tuple[str, ...]] = field(default_factory=dict)
    fixed: list[int] = field(default_factory=list)
    """Indices of rows not in any stack (a profile file, skipped, ...)."""
    row_stack: dict[str, tuple[str, int]] = field(default_factory=dict)
    """Row id -> (stack, index in that stack's rows) for time-like fitted rows."""
    row_key: dict[str, ProfileKey] = field(default_factory=dict)
    """Row id -> (chip, profile) for every row that simulates with a chip profile."""


def fitted(m: Measurement) -> bool:
    """False for a row marked ``fit = no`` (validated, never fitted: its mapping is unsure)."""
    return m.extra.get("fit", "").strip().lower() not in ("no", "false", "0")


def assign(
    rows: Sequence[Measurement],
    pred: Predictor,
    priors: Mapping[ProfileKey, SoftwareProfile],
    stacks: Mapping[str, StackSpec],
) -> StackAssignment:
    """Group rows by stack. A missing prior falls back to the chip's profile as it is.

    Time-like rows are fitted unless their ``fit`` column says ``no``; every other row is
    only predicted.
    """
    by_member: dict[ProfileKey, str] = {}
    for s in stacks.values():
        for k in s.members:
            by_member[k] = s.name
    out = StackAssignment()
    members: dict[str, list[ProfileKey]] = {}
    stack_rows: dict[str, list[Measurement]] = {}
    stack_keys: dict[str, list[ProfileKey]] = {}
    all_priors: dict[ProfileKey, SoftwareProfile] = dict(priors)
    clocks: dict[ProfileKey, float] = {}
    for m in rows:
        if m.profile is not None and m.profile.endswith(PROFILE_SUFFIXES):
            continue
        try:
            spec = pred.hardware(m)
        except RowSkipped:
            continue
        key = (spec.name, m.profile or spec.default_profile)
        if key[1] not in spec.profiles:
            continue
        out.row_key[m.id] = key
        if spec.kind in CYCLE_OVERHEAD_KINDS and spec.nominal_clock:
            clocks[key] = spec.nominal_clock
        name = by_member.get(key, key[1])
        if key not in all_priors:
            all_priors[key] = spec.profiles[key[1]]
        members.setdefault(name, [])
        if key not in members[name]:
            members[name].append(key)
        if METRICS[m.metric].time_like and fitted(m) and pred.predict(m).ok:
            stack_rows.setdefault(name, []).append(m)
            stack_keys.setdefault(name, []).append(key)
    for name, mem in members.items():
        prob = build_problem(
            name,
            mem,
            {k: all_priors[k] for k in mem},
            stack_rows.get(name, []),
            stack_keys.get(name, []),
            pred,
            {k: clocks[k] for k in mem if k in clocks},
        )
        out.problems[name] = prob
        spec_ = stacks.get(name)
        out.candidates[name] = spec_.candidates if spec_ else (*SHARED_CANDIDATES, CHIP_TERMS)
        for i, m in enumerate(prob.rows):
            out.row_stack[m.id] = (name, i)
    return out


def fit_all(
    assignment: StackAssignment,
    exclude: Iterable[str] = (),
    start: Mapping[str, StackFit] | None = None,
    *,
    exact: bool = False,
) -> dict[str, StackFit]:
    """Fit every stack without the rows in ``exclude`` (refits start from ``start``)."""
    skip = set(exclude)
    fits: dict[str, StackFit] = {}
    for name, prob in assignment.problems.items():
        idx = [i for i, m in enumerate(prob.rows) if m.id not in skip]
        base = (start or {}).get(name)
        if base is not None and len(idx) == len(prob.rows):
            fits[name] = base
            continue
        fits[name] = fit_stack(prob, assignment.candidates[name], idx, start=base, exact=exact)
    return fits
