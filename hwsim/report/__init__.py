"""Reports of a SimulationResult: CSV, Chrome trace, matplotlib figures, terminal tables.

Every function accepts a SimulationResult or its JSON dict (``hwsim run --json``).
Nothing here prints; the CLI prints what these functions return. Each name loads its module
on first use (plots: matplotlib; the result reader: the engine and numpy), so importing this
package, or one module of it such as ``hwsim.report.fmt``, stays cheap.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hwsim.report.compare import compare_rows, plot_compare
    from hwsim.report.csvout import csv_header, csv_rows, write_csv
    from hwsim.report.data import ResultFormatError, ResultLike, as_result_dict, load_result
    from hwsim.report.html import html_report, write_html
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
    from hwsim.report.tables import time_shares, top_layers, top_layers_table, verdict
    from hwsim.report.trace import to_chrome_trace, write_chrome_trace

# public name -> the module that defines it, imported on first use (PEP 562): the terminal
# summary of `hwsim profile` needs the formatters, not the result reader (which imports the
# engine, the cost model and numpy), and nobody but --plots needs matplotlib.
_MODULES = {
    "compare": ("compare_rows", "plot_compare"),
    "csvout": ("csv_header", "csv_rows", "write_csv"),
    "data": ("ResultFormatError", "ResultLike", "as_result_dict", "load_result"),
    "html": ("html_report", "write_html"),
    "plots": (
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
    ),
    "tables": ("time_shares", "top_layers", "top_layers_table", "verdict"),
    "trace": ("to_chrome_trace", "write_chrome_trace"),
}
_LAZY = {name: module for module, names in _MODULES.items() for name in names}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'hwsim.report' has no attribute {name!r}")
    # Not cached here: a test (or user) that patches hwsim.report.plots.save_figure is seen.
    return getattr(importlib.import_module(f"hwsim.report.{module}"), name)


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


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
