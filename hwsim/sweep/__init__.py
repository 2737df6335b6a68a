"""Hardware sweeps: a grid or sample over dotted spec paths x workloads -> a tidy table.

``hwsim.sweep(...)`` runs a sweep (this module is callable: it forwards to
:func:`hwsim.sweep.run.sweep`), ``load_sweep_file`` reads a sweep YAML, ``pareto_front``
picks the non-dominated rows, and ``plot_*`` / ``plot_sweep_dir`` draw the results.
pandas is needed to run a sweep; dask only for ``scheduler=``; neither is imported here.
"""

from __future__ import annotations

import sys
import types
from typing import Any

from hwsim.sweep.pareto import MAC_AREA_BYTES, area_terms, pareto_front, pareto_mask
from hwsim.sweep.plan import Axis, SweepError, SweepPlan, WorkloadDef, load_sweep_file, parse_sweep
from hwsim.sweep.plots import (
    plot_bound,
    plot_heatmap,
    plot_metric,
    plot_pareto,
    plot_sweep_dir,
    read_sweep_table,
    sweep_figures,
)
from hwsim.sweep.run import SweepProgress, sweep

__all__ = [
    "MAC_AREA_BYTES",
    "Axis",
    "SweepError",
    "SweepPlan",
    "SweepProgress",
    "WorkloadDef",
    "area_terms",
    "load_sweep_file",
    "pareto_front",
    "pareto_mask",
    "parse_sweep",
    "plot_bound",
    "plot_heatmap",
    "plot_metric",
    "plot_pareto",
    "plot_sweep_dir",
    "read_sweep_table",
    "sweep",
    "sweep_figures",
]


class _CallableModule(types.ModuleType):
    """Lets ``hwsim.sweep(...)`` run a sweep while ``hwsim.sweep.pareto_front`` still works."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return sweep(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
