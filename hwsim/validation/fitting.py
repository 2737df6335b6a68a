"""Fit a software profile's efficiency factors and overheads to measurements.

The fit is least squares on the log error ``ln(predicted / measured)`` over the rows of one
chip + profile, bounded to physical ranges (0 < efficiency <= 1, 0 < bandwidth_efficiency
<= 1, overheads >= 0). Every parameter is a multiplier in log space, except the per-run
overhead, which is additive (its prior is usually 0 s). Only the parameters the rows can
identify are fitted: candidates are picked by column-pivoted selection on the sensitivity
matrix ``d ln(pred) / d param`` (a parameter the rows do not respond to, or one whose effect
another fitted parameter already explains, is left at its prior), and never more parameters
than rows. With one latency row that is one global scale on the compute efficiencies; such a
row is reproduced by construction, which is no validation of it.

A fixed per-run cost (``overhead_per_run``) is only a candidate when the rows can tell it
apart from costs that scale with the work: at least two rows that pay it (latency,
throughput, TTFT, end-to-end) whose predicted run times differ by :data:`RUN_SPREAD` or more
(e.g. one model at several prompt lengths or batch sizes).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from hwsim.errors import HwsimError
from hwsim.hardware.models import Estimate, HardwareSpec, ProfileEfficiency, SoftwareProfile
from hwsim.units import Dimension, format_quantity
from hwsim.validation.compare import PROFILE_SUFFIXES, Predictor, RowSkipped, ValidationReport
from hwsim.validation.measurements import METRICS, Measurement, read_measurements

COMPUTE_CLASSES = ("gemm", "conv", "depthwise", "elementwise", "attention")
"""Efficiency classes the common compute scale multiplies (``data`` moves no arithmetic)."""

PARAMETERS: dict[str, str] = {
    "compute_scale": "common factor on the gemm, conv, depthwise, elementwise and attention "
    "efficiencies (each capped at 1)",
    "bandwidth_efficiency": "achievable fraction of every memory bandwidth",
    "overhead_per_op": "fixed cost per executed op (s)",
    "efficiency.depthwise": "depthwise efficiency relative to the common scale",
    "efficiency.elementwise": "element-wise efficiency relative to the common scale",
    "efficiency.attention": "attention efficiency relative to the common scale",
    "efficiency.gemm": "gemm efficiency relative to the common scale",
    "efficiency.conv": "conv efficiency relative to the common scale",
    "overhead_per_run": "fixed cost once per inference / LLM request, part of TTFT (s)",
}
"""Fittable parameters, in order of preference when the rows identify several equally."""

ADDITIVE = frozenset({"overhead_per_run"})
"""Parameters fitted as an added amount (in units of the shortest run), not a multiplier."""

MIN_SENSITIVITY = 0.05
"""A parameter whose 1% change moves no row by 0.05% is not identified by the rows."""
MIN_INDEPENDENT = 0.25
"""Fraction of a parameter's sensitivity that must be independent of the fitted ones."""
FD_STEP = 1e-3
"""Finite-difference step in ln(multiplier)."""
OVERHEAD_FLOOR_S = 1e-12
"""Overhead bound from below (0 within rounding), to keep the log parameterisation finite."""
RUN_SPREAD = 1.5
"""Longest / shortest predicted run time the rows must span to identify a per-run cost."""
RUN_PROBE_S = 1e-6
"""Per-run overhead added to find which rows pay it and how long each run is."""
RUN_MAX_UNITS = 1e3
"""Upper bound of the per-run overhead, in units of the shortest run."""
RUN_EXPLAINED = 0.01
"""Worst |ln(pred / meas)| below which the rows need no per-run overhead."""
RUN_GAIN = 0.5
"""A per-run overhead must at least halve the squared log error to be kept."""


class CalibrationError(HwsimError):
    """Calibration cannot run (no usable rows, unknown parameter, ...)."""


@dataclass(frozen=True)
class FittedParameter:
    """One fitted parameter: its multiplier and the physical values it moved."""

    name: str
    multiplier: float | None
    """Calibrated / prior value; None for an additive parameter (``overhead_per_run``)."""
    at_bound: bool
    description: str
    prior_value: float | None = None
    """Prior value of an additive parameter, SI (s)."""
    value: float | None = None
    """Calibrated value of an additive parameter, SI (s)."""

    def label(self) -> str:
        """``compute_scale x0.75``, or ``overhead_per_run 0 s -> 5.2 ms``."""
        if self.multiplier is not None:
            return f"{self.name} x{self.multiplier:.4g}"
        before = format_quantity(self.prior_value or 0.0, Dimension.SECONDS, digits=4)
        after = format_quantity(self.value or 0.0, Dimension.SECONDS, digits=4)
        return f"{self.name} {before} -> {after}"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        d: dict[str, Any] = {
            "name": self.name,
            "multiplier": self.multiplier,
            "at_bound": self.at_bound,
            "description": self.description,
        }
        if self.multiplier is None:
            d.update(prior_value=self.prior_value, value=self.value)
        return d


@dataclass(frozen=True)
class CalibrationResult:
    """The fitted profile, what was fitted and why, and the rows before and after."""

    hardware: str
    profile_name: str
    prior: SoftwareProfile
    profile: SoftwareProfile
    fitted: tuple[FittedParameter, ...]
    not_fitted: tuple[tuple[str, str], ...]
    rows_used: tuple[str, ...]
    rows_ignored: tuple[tuple[str, str], ...]
    before: ValidationReport
    after: ValidationReport
    notes: tuple[str, ...] = ()
    sensitivity: dict[str, list[float]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary (profiles as their field values, SI units)."""
        return {
            "hardware": self.hardware,
            "profile": self.profile_name,
            "rows_used": list(self.rows_used),
            "rows_ignored": [{"id": i, "reason": r} for i, r in self.rows_ignored],
            "fitted": [p.to_dict() for p in self.fitted],
            "not_fitted": [{"name": n, "reason": r} for n, r in self.not_fitted],
            "sensitivity": self.sensitivity,
            "prior": _profile_numbers(self.prior),
            "calibrated": _profile_numbers(self.profile),
            "before": self.before.to_dict(),
            "after": self.after.to_dict(),
            "notes": list(self.notes),
        }

    def to_yaml(self) -> str:
        """The calibrated profile as a standalone profile YAML (quantities as unit strings)."""
        return profile_yaml(self.profile)


def _profile_numbers(p: SoftwareProfile) -> dict[str, Any]:
    return {
        "efficiency": p.efficiency.model_dump(),
        "bandwidth_efficiency": p.bandwidth_efficiency,
        "overhead_per_op_s": p.overhead_per_op,
        "overhead_per_run_s": p.overhead_per_run,
    }


def _round(v: float, digits: int = 4) -> float:
    if v == 0 or not math.isfinite(v):
        return v
    return float(f"{v:.{digits}g}")


def apply_parameters(
    base: SoftwareProfile, x: Mapping[str, float], *, run_unit_s: float = 1.0
) -> SoftwareProfile:
    """``base`` with the parameters ``x`` applied (every factor capped to its range).

    Args:
        base: the prior profile.
        x: parameter name -> ln(multiplier); see :data:`PARAMETERS`. For the additive
            ``overhead_per_run``: the amount added to the prior, in units of ``run_unit_s``
            (the sum is floored at 0 s).
        run_unit_s: seconds per unit of ``x["overhead_per_run"]``.
    """
    eff = base.efficiency.model_dump()
    common = math.exp(x.get("compute_scale", 0.0))
    for cls in COMPUTE_CLASSES:
        rel = math.exp(x.get(f"efficiency.{cls}", 0.0))
        eff[cls] = min(1.0, eff[cls] * common * rel)
    bw = min(1.0, base.bandwidth_efficiency * math.exp(x.get("bandwidth_efficiency", 0.0)))
    ov = base.overhead_per_op * math.exp(x.get("overhead_per_op", 0.0))
    run = max(0.0, base.overhead_per_run + x.get("overhead_per_run", 0.0) * run_unit_s)
    return base.model_copy(
        update={
            "efficiency": ProfileEfficiency(**eff),
            "bandwidth_efficiency": bw,
            "overhead_per_op": ov,
            "overhead_per_run": run,
        }
    )


def _bounds(base: SoftwareProfile, name: str, run_unit_s: float = 1.0) -> tuple[float, float]:
    """(lower, upper) of ln(multiplier) (of the added units for an additive parameter)."""
    eff = base.efficiency
    if name == "compute_scale":
        top = max(getattr(eff, c) for c in COMPUTE_CLASSES)
        return (math.log(1e-4), math.log(1.0 / top))
    if name.startswith("efficiency."):
        v = getattr(eff, name.split(".", 1)[1])
        return (math.log(1e-3), math.log(1e3 / v))  # the factor itself is capped at 1
    if name == "bandwidth_efficiency":
        return (
            math.log(1e-3 / base.bandwidth_efficiency),
            math.log(1.0 / base.bandwidth_efficiency),
        )
    if name == "overhead_per_op":
        return (math.log(OVERHEAD_FLOOR_S / base.overhead_per_op), math.log(1e3))
    if name == "overhead_per_run":
        return (-base.overhead_per_run / run_unit_s, RUN_MAX_UNITS)
    raise CalibrationError(f"unknown parameter {name!r}; choose from {', '.join(PARAMETERS)}")


def _select(
    J: np.ndarray, names: Sequence[str], max_params: int, first: Sequence[int] = ()
) -> tuple[list[int], list[tuple[str, str]]]:
    """Column-pivoted choice of identifiable parameters; the rest with the reason.

    ``first``: columns chosen before the pivoting starts (if the rows respond to them).
    """
    reasons: dict[int, str] = {}
    norms = np.linalg.norm(J, axis=0)
    chosen = [j for j in first if np.max(np.abs(J[:, j])) >= MIN_SENSITIVITY][:max_params]
    for j in range(J.shape[1]):
        if j not in chosen and np.max(np.abs(J[:, j])) < MIN_SENSITIVITY:
            reasons[j] = "the rows do not respond to it (insensitive)"
    while len(chosen) < max_params:
        best, best_val = -1, 0.0
        q = np.linalg.qr(J[:, chosen])[0] if chosen else np.zeros((J.shape[0], 0))
        for j in range(J.shape[1]):
            if j in chosen or j in reasons:
                continue
            resid = J[:, j] - q @ (q.T @ J[:, j])
            ind = float(np.linalg.norm(resid))
            if ind < max(MIN_SENSITIVITY, MIN_INDEPENDENT * norms[j]):
                continue
            if ind > best_val * (1 + 1e-9):
                best, best_val = j, ind
        if best < 0:
            break
        chosen.append(best)
    for j in range(J.shape[1]):
        if j in chosen or j in reasons:
            continue
        if len(chosen) >= max_params:
            reasons[j] = f"no more parameters than usable rows ({max_params})"
        else:
            others = ", ".join(names[c] for c in chosen)
            reasons[j] = f"its effect on these rows is not separable from {others}"
    return sorted(chosen), [(names[j], reasons[j]) for j in range(J.shape[1]) if j in reasons]


def _least_squares(
    resid: Callable[[np.ndarray], np.ndarray],
    x0: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
    max_iter: int = 50,
) -> np.ndarray:
    """Bounded Levenberg-Marquardt (projected steps, forward-difference Jacobian)."""
    x = np.clip(x0, lo, hi)
    r = resid(x)
    cost = float(r @ r)
    lam = 1e-3
    for _ in range(max_iter):
        if cost < 1e-20:
            break
        J = np.empty((r.size, x.size))
        for j in range(x.size):
            h = FD_STEP if x[j] + FD_STEP <= hi[j] else -FD_STEP
            xp = x.copy()
            xp[j] += h
            J[:, j] = (resid(xp) - r) / h
        g = J.T @ r
        # Active set: a parameter on a bound that the gradient pushes outward stays there.
        free = ~(((x <= lo + 1e-12) & (g > 0)) | ((x >= hi - 1e-12) & (g < 0)))
        if not free.any():
            break
        Jf = J[:, free]
        A = Jf.T @ Jf
        improved = done = False
        while lam < 1e12:
            step = np.zeros_like(x)
            step[free] = np.linalg.solve(A + lam * np.diag(np.diag(A) + 1e-12), -g[free])
            xn = np.clip(x + step, lo, hi)
            rn = resid(xn)
            cn = float(rn @ rn)
            if cn < cost:
                improved = True
                done = cost - cn < 1e-14 * max(1.0, cost) or float(np.abs(xn - x).max()) < 1e-10
                x, r, cost = xn, rn, cn
                lam = max(lam / 10, 1e-12)
                break
            lam *= 10
        if not improved or done:
            break
    return np.asarray(x, dtype=np.float64)


def _rows_for(
    rows: Iterable[Measurement], pred: Predictor, hardware: str, spec: HardwareSpec, profile: str
) -> list[Measurement]:
    """Rows on this chip (by name or by the chip their spec file names) with this profile."""
    out = []
    for m in rows:
        if m.hardware not in (hardware, spec.name):
            try:
                if pred.hardware(m).name != spec.name:
                    continue
            except RowSkipped:
                continue
        if (m.profile or spec.default_profile) == profile:
            out.append(m)
    return out


def _setup(
    rows: Sequence[Measurement],
    hardware: str,
    profile: str | None,
    fit: Sequence[str] | None,
    start: SoftwareProfile | None,
) -> tuple[Predictor, HardwareSpec, str, SoftwareProfile, list[str], bool]:
    """Resolve the chip, the profile and its prior, and the candidate parameters.

    Returns:
        The predictor, the chip's spec, the profile name, the prior, the candidates and
        whether ``overhead_per_op`` was dropped because the prior has none.

    Raises:
        CalibrationError: unknown chip, profile or parameter, or a misnamed start profile.
    """
    pred = Predictor()
    probe = Measurement(
        id="-",
        workload="-",
        hardware=hardware,
        metric="latency_ms",
        value=1.0,
        base_dir=rows[0].base_dir if rows else None,
    )
    try:
        spec = pred.hardware(probe)
    except RowSkipped as exc:
        raise CalibrationError(str(exc)) from None
    name = profile or spec.default_profile
    if name.endswith(PROFILE_SUFFIXES) or name not in spec.profiles:
        raise CalibrationError(
            f"{spec.name} has no profile {name!r} (has: {', '.join(sorted(spec.profiles))})"
        )
    prior = spec.profiles[name]
    if start is not None:
        if start.name != name:
            raise CalibrationError(f"the start profile is {start.name!r}, not {name!r}")
        prior = start
    candidates = list(fit) if fit else list(PARAMETERS)
    for c in candidates:
        if c not in PARAMETERS:
            raise CalibrationError(f"unknown parameter {c!r}; choose from {', '.join(PARAMETERS)}")
    if "overhead_per_op" in candidates and prior.overhead_per_op <= 0:
        candidates.remove("overhead_per_op")
        zero_overhead = True
    else:
        zero_overhead = False
    return pred, spec, name, prior, candidates, zero_overhead


def _usable_rows(
    rows: Sequence[Measurement],
    pred: Predictor,
    hardware: str,
    spec: HardwareSpec,
    name: str,
    exclude: Iterable[str],
) -> tuple[list[Measurement], list[tuple[str, str]]]:
    """The rows the fit uses, and the ignored ones of this chip + profile with the reason.

    Raises:
        CalibrationError: no usable row.
    """
    excluded = set(exclude)
    mine = _rows_for(rows, pred, hardware, spec, name)
    ignored: list[tuple[str, str]] = []
    usable: list[Measurement] = []
    for m in mine:
        if m.id in excluded:
            ignored.append((m.id, "excluded (parameter exclude)"))
        elif not METRICS[m.metric].time_like:
            ignored.append((m.id, f"{m.metric} is not governed by execution speed"))
        else:
            row = pred.predict(m)
            if row.ok:
                usable.append(m)
            else:
                ignored.append((m.id, f"skipped: {row.reason}"))
    if not usable:
        raise CalibrationError(
            f"no usable rows for {spec.name} / {name} (time-like metrics: "
            f"{', '.join(k for k, v in METRICS.items() if v.time_like)}; ignored: "
            f"{'; '.join(f'{i}: {r}' for i, r in ignored) or 'none matched'})"
        )
    return usable, ignored


_Attempt = tuple[float, list[str], dict[str, float], list[tuple[str, str]]]
"""(squared log error, fitted names, their ln multipliers, the others with the reason)."""


class _Fit:
    """The rows of one chip + profile and the prior, to evaluate and fit parameters on."""

    def __init__(
        self,
        pred: Predictor,
        spec: HardwareSpec,
        name: str,
        prior: SoftwareProfile,
        usable: Sequence[Measurement],
    ) -> None:
        self.pred = pred
        self.spec = spec
        self.name = name
        self.prior = prior
        self.usable = usable
        self.run_unit = 1.0
        self.candidates: list[str] = []
        self.J0 = np.zeros((len(usable), 0))
        self.r0 = self.log_errors(prior)

    def report(self, p: SoftwareProfile) -> ValidationReport:
        """The usable rows predicted with ``p`` in place of the prior."""
        pr = self.pred.with_overrides({(self.spec.name, self.name): p})
        return ValidationReport(tuple(pr.predict(m) for m in self.usable))

    def log_errors(self, p: SoftwareProfile) -> np.ndarray:
        """ln(pred / meas) of every usable row with ``p``.

        Raises:
            CalibrationError: a row fails to predict.
        """
        rep = self.report(p)
        bad = [r for r in rep.rows if not r.ok]
        if bad:
            raise CalibrationError(
                f"row {bad[0].measurement.id} failed during the fit: {bad[0].reason}"
            )
        return np.array([r.log_error for r in rep.rows])

    def per_run_note(self, candidates: list[str]) -> str:
        """Set the run unit, or drop ``overhead_per_run`` from ``candidates`` and say why.

        Which rows pay a per-run cost, and how long each run is: a probe overhead d moves
        ln(pred) by ln(1 + d / t) (latency) or -ln(1 + d / t) (throughput), so t = d / expm1.
        """
        if "overhead_per_run" not in candidates:
            return ""
        prior = self.prior
        probe_p = prior.model_copy(
            update={"overhead_per_run": prior.overhead_per_run + RUN_PROBE_S}
        )
        shift = np.abs(self.log_errors(probe_p) - self.r0)
        runs = sorted(
            RUN_PROBE_S / math.expm1(float(d)) for d in shift if d > 1e-12 and math.isfinite(d)
        )
        if len(runs) < 2 or runs[-1] < RUN_SPREAD * runs[0]:
            candidates.remove("overhead_per_run")
            spread = f", run times {runs[-1] / runs[0]:.2f}x apart" if len(runs) >= 2 else ""
            return (
                "a fixed per-run cost cannot be told apart from costs that scale with the work "
                f"with these rows: it needs 2 or more rows that pay it (latency, throughput, "
                f"TTFT, end-to-end) with predicted run times at least {RUN_SPREAD:g}x apart, e.g. "
                f"several prompt lengths or batch sizes (here: {len(runs)} row(s){spread})"
            )
        self.run_unit = runs[0]
        return ""

    def applied(self, x: Mapping[str, float]) -> SoftwareProfile:
        """The prior with the parameters ``x`` applied."""
        return apply_parameters(self.prior, x, run_unit_s=self.run_unit)

    def bounds(self, n: str) -> tuple[float, float]:
        """Bounds of parameter ``n`` around the prior."""
        return _bounds(self.prior, n, self.run_unit)

    def jacobian(self, x_all: Mapping[str, float], cands: Sequence[str]) -> np.ndarray:
        """d ln(pred / meas) / d param of every usable row at ``x_all``."""
        base = self.log_errors(self.applied(x_all))
        J = np.empty((len(self.usable), len(cands)))
        for j, c in enumerate(cands):
            v = x_all.get(c, 0.0)
            # Step down (always allowed; an efficiency at its cap of 1 cannot step up).
            h = -FD_STEP if v - FD_STEP >= self.bounds(c)[0] else FD_STEP
            J[:, j] = (self.log_errors(self.applied({**x_all, c: v + h})) - base) / h
        return J

    def set_candidates(self, candidates: list[str]) -> None:
        """Fix the candidates and their sensitivity at the prior."""
        self.candidates = candidates
        self.J0 = self.jacobian({}, candidates)

    def search(self, cands: list[str], forced: str | None = None) -> _Attempt:
        """Best bounded fit over ``cands`` (``forced`` is always among the fitted)."""
        # Attempt 1 fits the parameters the rows identify best. A parameter that ends on a
        # physical bound cannot explain the rows on its own: it is banned and the next-best
        # identifiable set is tried. The lowest-cost attempt wins (the first on a tie).
        candidates, r0, bounds, applied = self.candidates, self.r0, self.bounds, self.applied
        attempts: list[_Attempt] = []
        banned: set[str] = set()
        for _ in range(len(cands)):
            if forced in banned:
                break
            pool = [c for c in cands if c not in banned]
            cols = [candidates.index(c) for c in pool]
            first = [pool.index(forced)] if forced else []
            sel, why = _select(self.J0[:, cols], pool, len(self.usable), first)
            names = [pool[j] for j in sel]
            why += [(c, "fitted alone it ends on a physical bound or stops mattering; another set fits better")
                    for c in cands if c in banned]  # fmt: skip
            if not names:
                attempts.append((float(r0 @ r0), [], {}, why))
                break
            lo = np.array([bounds(n)[0] for n in names])
            hi = np.array([bounds(n)[1] for n in names])

            def resid(x: np.ndarray, names: list[str] = names) -> np.ndarray:
                return self.log_errors(applied(dict(zip(names, x.tolist()))))

            x = _least_squares(resid, np.zeros(len(names)), lo, hi)
            res_x = resid(x)
            cost = float(res_x @ res_x)
            attempts.append((cost, names, dict(zip(names, x.tolist())), why))
            raw = applied(dict(zip(names, x.tolist())))
            hit = [
                n
                for i, n in enumerate(names)
                if x[i] <= lo[i] + 1e-9 or x[i] >= hi[i] - 1e-9 or _saturated(raw, n)
            ]
            if cost < 1e-10:
                break
            # A parameter whose effect has run out (the rows no longer respond to it at the
            # solution) cannot explain the rest either.
            Jx = self.jacobian(dict(zip(names, x.tolist())), names)
            hit += [
                n
                for j, n in enumerate(names)
                if n not in hit and np.abs(Jx[:, j]).max() < MIN_SENSITIVITY
            ]
            if not hit:
                break
            banned.update(hit)
        return attempts[min(range(len(attempts)), key=lambda i: (attempts[i][0], i))]

    def best(self, run_note: str) -> tuple[_Attempt, str]:
        """The fit without the per-run overhead, or with it when that explains the rows better.

        The per-run overhead is tried only when the other parameters leave the rows
        unexplained (a nested comparison: the simpler explanation is kept when it suffices).

        Returns:
            The chosen attempt and the note on ``overhead_per_run`` (empty when it is fitted
            or was not a candidate).
        """
        candidates, r0 = self.candidates, self.r0
        base_cands = [c for c in candidates if c not in ADDITIVE]
        chosen: _Attempt = self.search(base_cands) if base_cands else (float(r0 @ r0), [], {}, [])
        if "overhead_per_run" in candidates:
            worst = float(np.abs(self.log_errors(self.applied(chosen[2]))).max())
            if worst <= RUN_EXPLAINED:
                run_note = (
                    f"the rows are explained without it (worst row within {RUN_EXPLAINED:.0%} "
                    "after the fit of the other parameters)"
                )
            else:
                alt = self.search(candidates, forced="overhead_per_run")
                run_value = self.applied(alt[2]).overhead_per_run
                if alt[0] < RUN_GAIN * chosen[0] and "overhead_per_run" in alt[1] and run_value > 0:
                    chosen = alt
                else:
                    run_note = (
                        "adding it does not explain the rows better (it ends at 0 s or lowers "
                        f"the squared log error by less than {1 - RUN_GAIN:.0%})"
                    )
        return chosen, run_note


def calibrate(
    path_or_rows: str | Path | Iterable[Mapping[str, str]] | Iterable[Measurement],
    hardware: str,
    profile: str | None = None,
    *,
    fit: Sequence[str] | None = None,
    exclude: Iterable[str] = (),
    start: SoftwareProfile | None = None,
) -> CalibrationResult:
    """Fit one chip + profile's efficiency factors and overheads to the matching rows.

    Args:
        path_or_rows: measurements CSV (contract columns) or rows.
        hardware: built-in chip name (or spec path) as it appears in the rows.
        profile: profile name on that chip (default: the chip's default profile).
        fit: parameters to consider (default: all of :data:`PARAMETERS`); only those the
            rows identify are fitted.
        exclude: row ids to leave out of the fit (for leave-one-out checks).
        start: the profile to start from instead of the chip's (e.g. the spec author's
            uncalibrated prior); it must carry the same name.

    Returns:
        The CalibrationResult; ``result.to_yaml()`` is the standalone profile file.

    Raises:
        CalibrationError: unknown chip/profile/parameter, or no usable time-like rows.
    """
    rows = read_measurements(path_or_rows)
    source = str(path_or_rows) if isinstance(path_or_rows, (str, Path)) else "the given rows"
    pred, spec, name, prior, candidates, zero_overhead = _setup(rows, hardware, profile, fit, start)
    usable, ignored = _usable_rows(rows, pred, hardware, spec, name, exclude)
    fitter = _Fit(pred, spec, name, prior, usable)
    run_note = fitter.per_run_note(candidates)
    fitter.set_candidates(candidates)
    (_, names, x_all, not_fitted), run_note = fitter.best(run_note)
    if zero_overhead:
        not_fitted.append(("overhead_per_op", "the prior has no per-op overhead (0 s)"))
    if run_note:
        not_fitted.append(("overhead_per_run", run_note))
    for c in PARAMETERS:
        if c not in candidates and not any(n == c for n, _ in not_fitted):
            not_fitted.append((c, "not asked for (parameter fit)"))
    return _result(fitter, source, names, x_all, not_fitted, ignored, fit)


def _result(
    fitter: _Fit,
    source: str,
    names: Sequence[str],
    x_all: Mapping[str, float],
    not_fitted: list[tuple[str, str]],
    ignored: list[tuple[str, str]],
    fit: Sequence[str] | None,
) -> CalibrationResult:
    """Round the fit, predict the rows before and after, and record the reasoning."""
    prior, usable, name, bounds = fitter.prior, fitter.usable, fitter.name, fitter.bounds
    order = list(names)
    fitted_raw = fitter.applied(x_all)
    calibrated = _rounded(fitted_raw, prior, order)
    fitted = tuple(
        FittedParameter(
            n,
            None if n in ADDITIVE else math.exp(x_all[n]),
            _saturated(fitted_raw, n) or not (bounds(n)[0] + 1e-9 < x_all[n] < bounds(n)[1] - 1e-9),
            PARAMETERS[n],
            prior_value=prior.overhead_per_run if n in ADDITIVE else None,
            value=calibrated.overhead_per_run if n in ADDITIVE else None,
        )
        for n in order
    )
    before = fitter.report(prior)
    after = fitter.report(calibrated)
    notes = _notes(usable, fitted, not_fitted, after)
    calibrated = calibrated.model_copy(
        update={
            "estimated": [
                _estimate(
                    source,
                    name,
                    usable,
                    fitted,
                    not_fitted,
                    prior,
                    [i for i, why in ignored if why.startswith("excluded")],
                    after,
                    list(fit) if fit else [],
                )
            ]
        }
    )
    return CalibrationResult(
        hardware=fitter.spec.name,
        profile_name=name,
        prior=prior,
        profile=calibrated,
        fitted=fitted,
        not_fitted=tuple(not_fitted),
        rows_used=tuple(m.id for m in usable),
        rows_ignored=tuple(ignored),
        before=before,
        after=after,
        notes=tuple(notes),
        sensitivity={c: fitter.J0[:, j].tolist() for j, c in enumerate(fitter.candidates)},
    )


def _saturated(p: SoftwareProfile, name: str) -> bool:
    """True when a fitted efficiency reached its cap of 1."""
    if name == "compute_scale":
        return any(getattr(p.efficiency, c) >= 1.0 for c in COMPUTE_CLASSES)
    if name.startswith("efficiency."):
        return bool(getattr(p.efficiency, name.split(".", 1)[1]) >= 1.0)
    if name == "bandwidth_efficiency":
        return p.bandwidth_efficiency >= 1.0
    return False


def _rounded(p: SoftwareProfile, prior: SoftwareProfile, names: Sequence[str]) -> SoftwareProfile:
    """Round the fitted numbers to 4 significant digits (untouched numbers stay as they were)."""
    eff = p.efficiency.model_dump()
    peff = prior.efficiency.model_dump()
    for k in eff:
        if eff[k] != peff[k]:
            eff[k] = min(1.0, _round(eff[k]))
    upd: dict[str, Any] = {"efficiency": ProfileEfficiency(**eff)}
    if "bandwidth_efficiency" in names:
        upd["bandwidth_efficiency"] = min(1.0, _round(p.bandwidth_efficiency))
    if "overhead_per_op" in names:
        ov = p.overhead_per_op
        upd["overhead_per_op"] = 0.0 if ov < 1e-10 else _round(ov)
    if "overhead_per_run" in names:
        run = p.overhead_per_run
        upd["overhead_per_run"] = 0.0 if run < 1e-10 else _round(run)
    return p.model_copy(update=upd)


def _notes(
    usable: Sequence[Measurement],
    fitted: Sequence[FittedParameter],
    not_fitted: Sequence[tuple[str, str]],
    after: ValidationReport,
) -> list[str]:
    notes = []
    n, k = len(usable), len(fitted)
    worst = max((r.factor for r in after.rows if r.ok), default=1.0)
    if k == 0:
        notes.append("nothing fitted: the rows identify no parameter; the profile is unchanged")
    elif n == k and worst <= 1.01:
        notes.append(
            f"{n} row(s), {k} parameter(s): the fit reproduces these rows by construction; "
            "this is calibration, not validation - check other rows or chips predicted "
            "without refitting"
        )
    elif n == k:
        notes.append(
            f"{n} row(s), {k} parameter(s): an exact fit was possible in principle, but the "
            "physical bounds stop it"
        )
    else:
        notes.append(f"{n} rows, {k} parameter(s): {n - k} degree(s) of freedom left")
    if k == 1 and fitted[0].name == "compute_scale":
        notes.append(
            "one global scale on the compute efficiencies was fitted, not the classes one by one"
        )
    for p in fitted:
        if p.at_bound:
            notes.append(
                f"{p.name} hit its physical bound: the prior's other numbers (peak, bandwidth, "
                "workload) cannot explain the rows with this parameter alone"
            )
    if worst > 1.05:
        notes.append(f"worst row after the fit is still {worst:.2f}x off")
    return notes


def _estimate(
    source: str,
    name: str,
    usable: Sequence[Measurement],
    fitted: Sequence[FittedParameter],
    not_fitted: Sequence[tuple[str, str]],
    prior: SoftwareProfile,
    excluded: Sequence[str],
    after: ValidationReport,
    asked: Sequence[str] = (),
) -> Estimate:
    rows = ", ".join(f"{m.id} ({m.workload}, {m.metric} {m.value:g})" for m in usable)
    what = "; ".join(p.label() + (" (at its bound)" if p.at_bound else "") for p in fitted)
    what = what or "nothing"
    kept = ", ".join(n for n, _ in not_fitted) or "none"
    # A re-calibration keeps the original prior's reasoning, not a chain of calibrations.
    prior_text = " ".join(e.reasoning.split(" Prior: ", 1)[-1] for e in prior.estimated)
    reasoning = (
        f"Calibrated on {source}{(' (' + ', '.join(excluded) + ' left out)') if excluded else ''}"
        f" with `hwsim calibrate` (least squares on ln(pred/meas), bounded), on {len(usable)} "
        f"row(s): {rows}."
        + (f" Candidates restricted to {', '.join(asked)} (parameter fit)." if asked else "")
        + f" Fitted: {what}; kept at the prior: {kept}."
    )
    worst = max((r.factor for r in after.rows if r.ok), default=1.0)
    if len(usable) == len(fitted) and fitted and worst <= 1.01:
        reasoning += " As many parameters as rows: these rows are reproduced by construction."
    elif worst > 1.01:
        reasoning += f" After the fit the worst of these rows is still {worst:.2f}x off."
    if prior_text:
        reasoning += f" Prior: {prior_text}"
    return Estimate(field=f"profiles.{name}", reasoning=reasoning)


def profile_yaml(p: SoftwareProfile) -> str:
    """A SoftwareProfile as standalone profile YAML (loadable with ``load_profile``)."""
    d: dict[str, Any] = {
        "schema_version": 1,
        "name": p.name,
        "description": p.description,
        "efficiency": {k: _round(v) for k, v in p.efficiency.model_dump().items()},
        "bandwidth_efficiency": _round(p.bandwidth_efficiency),
        "overhead_per_op": format_quantity(p.overhead_per_op, Dimension.SECONDS, digits=4),
        "overhead_per_run": format_quantity(p.overhead_per_run, Dimension.SECONDS, digits=4),
    }
    if p.overhead_per_quantized_gemm:
        d["overhead_per_quantized_gemm"] = format_quantity(
            p.overhead_per_quantized_gemm, Dimension.SECONDS, digits=4
        )
    d |= {
        "fold_batchnorm": p.fold_batchnorm,
        "fusions": list(p.fusions),
    }
    if p.fp16_accumulate:
        d["fp16_accumulate"] = True
    if p.compute_units:
        d["compute_units"] = list(p.compute_units)
    d["memory_planning"] = p.memory_planning
    if p.sources:
        d["sources"] = [s.model_dump(exclude_none=True, exclude_defaults=True) for s in p.sources]
    if p.estimated:
        d["estimated"] = [e.model_dump() for e in p.estimated]
    return yaml.safe_dump(d, sort_keys=False, allow_unicode=True, width=100)
