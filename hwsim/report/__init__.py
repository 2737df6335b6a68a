"""Reports of a SimulationResult: CSV, Chrome trace, matplotlib figures, terminal tables.

Every function accepts a SimulationResult or its JSON dict (``hwsim run --json``).
Nothing here prints; the CLI prints what these functions return. Plot functions load
matplotlib on first use, so importing this package stays cheap.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from hwsim.report.compare import compare_rows, plot_compare
from hwsim.report.csvout import csv_header, csv_rows, write_csv
from hwsim.report.data import ResultFormatError, ResultLike, as_result_dict, load_result
from hwsim.report.html import html_report, write_html
from hwsim.report.tables import time_shares, top_layers, top_layers_table, verdict
from hwsim.report.trace import to_chrome_trace, write_chrome_trace

if TYPE_CHECKING:
    from hwsim.report.plots import (
        MAX_LAYER_BARS,
        PLOT_KINDS,
        TOP_LAYER_BARS,
        energy_bars,
        plot,
        plot_energy,
        plot_memory,
        plot_roofline,
        plot_timeline,
        roofline_points,
        save_figure,
        timeline_rows,
        write_plots,
    )

_LAZY = {
    "MAX_LAYER_BARS",
    "PLOT_KINDS",
    "TOP_LAYER_BARS",
    "energy_bars",
    "plot",
    "plot_energy",
    "plot_memory",
    "plot_roofline",
    "plot_timeline",
    "roofline_points",
    "save_figure",
    "timeline_rows",
    "write_plots",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module("hwsim.report.plots"), name)
    raise AttributeError(f"module 'hwsim.report' has no attribute {name!r}")


__all__ = [
    "MAX_LAYER_BARS",
    "PLOT_KINDS",
    "TOP_LAYER_BARS",
    "ResultFormatError",
    "ResultLike",
    "as_result_dict",
    "compare_rows",
    "csv_header",
    "csv_rows",
    "energy_bars",
    "html_report",
    "load_result",
    "plot",
    "plot_compare",
    "plot_energy",
    "plot_memory",
    "plot_roofline",
    "plot_timeline",
    "roofline_points",
    "save_figure",
    "time_shares",
    "timeline_rows",
    "to_chrome_trace",
    "top_layers",
    "top_layers_table",
    "verdict",
    "write_chrome_trace",
    "write_csv",
    "write_html",
    "write_plots",
]
