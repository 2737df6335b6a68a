"""Cross-validated error: every row predicted by a fit that has not seen it.

``cross_validate(csv)`` fits every software stack jointly on the rows (from the priors, see
:mod:`hwsim.validation.joint`), then predicts

* **in-sample**: each row with the fit on all rows (this is calibration, not validation);
* **leave-one-out**: each row with its stack refitted without that row;
* **leave-one-chip-out**: each chip's rows with every stack refitted without that chip's rows
  (the chip is then predicted from the other chips' data and its own prior);
* **k-fold** (optional): rows dealt into k folds in file order (row i in fold i mod k).

A row the fit does not use (energy, peak SRAM, a row naming a profile file) is predicted with
the fit of the other rows in every scheme, so its three predictions can coincide.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hwsim.hardware.models import SoftwareProfile
from hwsim.validation.compare import (
    ERROR_DEFINITION,
    REPORT_SCHEMA_VERSION,
    Predictor,
    ProfileKey,
    RowResult,
    ValidationReport,
)
from hwsim.validation.joint import (
    StackFit,
    StackSpec,
    assign,
    fit_all,
    read_priors,
    read_stacks,
)
from hwsim.validation.measurements import Measurement, read_measurements

SCHEMES = ("in_sample", "leave_one_out", "leave_one_chip_out")
LABELS = {
    "in_sample": "in-sample (fitted on every row: calibration, not validation)",
    "leave_one_out": "leave-one-out (each row's stack refitted without it)",
    "leave_one_chip_out": "leave-one-chip-out (each chip predicted from the other chips)",
    "k_fold": "k-fold",
}


@dataclass(frozen=True)
class CrossValidation:
    """Predictions of every row under each scheme, and the fits behind them."""

    reports: dict[str, ValidationReport]
    """Scheme name (:data:`SCHEMES`, plus ``k_fold``) -> report."""
    fits: dict[str, StackFit]
    """Stack name -> the fit on every row."""
    folds: int | None = None
    source: str = ""

    @property
    def headline(self) -> ValidationReport:
        """The leave-one-out report: the figure to quote."""
        return self.reports["leave_one_out"]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: per-scheme summaries and rows, the fits, the error definition."""
        return {
            "schema_version": REPORT_SCHEMA_VERSION,
            "source": self.source,
            "error_definition": ERROR_DEFINITION,
            "folds": self.folds,
            "schemes": {k: {"label": LABELS[k], **v.to_dict()} for k, v in self.reports.items()},
            "fits": [f.to_dict() for f in self.fits.values()],
        }


def _predict(
    pred: Predictor, fits: Mapping[str, StackFit], rows: Iterable[Measurement]
) -> dict[str, RowResult]:
    overrides: dict[ProfileKey, SoftwareProfile] = {}
    for f in fits.values():
        overrides.update(f.profiles)
    pr = pred.with_overrides(overrides)
    return {m.id: pr.predict(m) for m in rows}


def cross_validate(
    path_or_rows: str | Path | Iterable[Mapping[str, str]] | Iterable[Measurement],
    *,
    priors: str | Path | Mapping[ProfileKey, SoftwareProfile] | None = None,
    stacks: str | Path | Mapping[str, StackSpec] | None = None,
    folds: int | None = None,
    exact: bool = False,
) -> CrossValidation:
    """Fit every stack jointly and predict each row in-sample, leave-one-out, leave-one-chip-out.

    Args:
        path_or_rows: measurements CSV or rows.
        priors: folder of ``CHIP--PROFILE.yaml`` priors (or a mapping); a chip + profile
            without one starts from the chip's profile as shipped.
        stacks: stack definitions (YAML path or mapping); by default a stack is a profile
            name, shared by every chip that has rows with it.
        folds: also run k-fold cross-validation with this many folds (>= 2).
        exact: refit each fold on simulated residuals (slow) instead of the residuals
            linearised around the fit on every row (one simulation per predicted row).

    Raises:
        MeasurementError: the CSV is malformed. StackError: a bad stacks file or prior.
        ValueError: ``folds`` below 2.
    """
    rows = read_measurements(path_or_rows)
    if folds is not None and folds < 2:
        raise ValueError(f"folds must be at least 2, got {folds}")
    pri = read_priors(priors) if isinstance(priors, (str, Path)) else dict(priors or {})
    stk = read_stacks(stacks) if isinstance(stacks, (str, Path)) else dict(stacks or {})
    pred = Predictor()
    a = assign(rows, pred, pri, stk)
    full = fit_all(a)
    in_sample = _predict(pred, full, rows)

    def refit_predict(leave: Sequence[Measurement]) -> dict[str, RowResult]:
        fits = fit_all(a, exclude={m.id for m in leave}, start=full, exact=exact)
        return _predict(pred, fits, leave)

    loo: dict[str, RowResult] = {}
    for m in rows:
        loo[m.id] = refit_predict([m])[m.id] if m.id in a.row_stack else in_sample[m.id]
    loco: dict[str, RowResult] = {}
    chips: dict[str, list[Measurement]] = {}
    for m in rows:
        key = a.row_key.get(m.id)
        if key is None:
            loco[m.id] = in_sample[m.id]
        else:
            chips.setdefault(key[0], []).append(m)
    for group in chips.values():
        loco.update(refit_predict(group))
    reports = {
        "in_sample": in_sample,
        "leave_one_out": loo,
        "leave_one_chip_out": loco,
    }
    if folds:
        kf: dict[str, RowResult] = {}
        for f in range(folds):
            kf.update(refit_predict([m for i, m in enumerate(rows) if i % folds == f]))
        reports["k_fold"] = kf
    source = str(path_or_rows) if isinstance(path_or_rows, (str, Path)) else ""
    return CrossValidation(
        {
            k: ValidationReport(tuple(v[m.id] for m in rows), source=source)
            for k, v in reports.items()
        },
        full,
        folds,
        source,
    )
