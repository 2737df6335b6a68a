"""Terminal tables that fit the terminal: columns are left out in a stated order until the
table's natural width fits, so no number wraps over two lines.

Each table names its columns and the order in which they go when space runs out
(``drop_order``); the first columns (name, the headline figure) always stay. The drop
orders are documented in docs/reports.md ("Terminal width").
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable, Sequence
from typing import Any

from rich.console import Console
from rich.measure import Measurement
from rich.table import Row, Table


def natural_width(table: Table, console: Console | None = None) -> int:
    """Columns of terminal the table takes when no cell is cut or wrapped."""
    c = console or Console(width=10_000, emoji=False)
    return Measurement.get(c, c.options.update_width(10_000), table).maximum


def _widest_cells(table: Table) -> dict[str, Any]:
    """Each column's widest cell (by its natural width), by column header."""
    c = Console(width=10_000, emoji=False)
    opts = c.options.update_width(10_000)
    out: dict[str, Any] = {}
    for column in table.columns:
        cells = list(column.cells)
        if cells:
            out[str(column.header)] = max(cells, key=lambda x: Measurement.get(c, opts, x).maximum)
    return out


def _probe(table: Table, widest: dict[str, Any]) -> Table:
    """``table`` with one row holding each column's widest cell: the same natural width,
    measured in one row instead of all of them."""
    probe = copy.copy(table)
    probe.columns = [
        dataclasses.replace(
            col, _cells=[widest[str(col.header)]] if str(col.header) in widest else []
        )
        for col in table.columns
    ]
    probe.rows = [Row()] if widest else []
    return probe


def fit_columns(
    build: Callable[[frozenset[str]], Table],
    drop_order: Sequence[str],
    width: int,
) -> Table:
    """The table ``build(dropped)`` with as few columns dropped (in ``drop_order``) as fit
    in ``width`` columns; with every optional column dropped it is returned as it is
    (rich then shortens its ellipsis columns)."""
    dropped: set[str] = set()
    table = build(frozenset(dropped))
    widest = _widest_cells(table)  # measured once; every narrower table has the same cells
    for col in drop_order:
        if natural_width(_probe(table, widest)) <= width:
            return table
        dropped.add(col)
        table = build(frozenset(dropped))
    return table
