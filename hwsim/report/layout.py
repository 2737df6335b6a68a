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

from rich.cells import cell_len
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

    def width(cell: Any) -> int:
        # A one-line string without markup is as wide as its cells (what rich measures, at a
        # fraction of the cost: a profile table has thousands of cells).
        if isinstance(cell, str) and cell.isprintable() and "[" not in cell:
            return cell_len(cell)
        return Measurement.get(c, opts, cell).maximum

    out: dict[str, Any] = {}
    for column in table.columns:
        cells = list(column.cells)
        if cells:
            out[str(column.header)] = max(cells, key=width)
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
    build: Callable[[frozenset[str], bool], Table],
    drop_order: Sequence[str],
    width: int,
) -> Table:
    """The table ``build(dropped, True)`` with as few columns dropped (in ``drop_order``) as
    fit in ``width`` columns; with every optional column dropped it is returned as it is
    (rich then shortens its ellipsis columns).

    ``build(dropped, False)`` is the same table without its rows: a narrower table is tried
    as its columns with one row of the widest cells, so the rows are built twice at most
    (all columns, then the columns that fit)."""
    full = build(frozenset(), True)
    widest = _widest_cells(full)  # measured once; every narrower table has the same cells
    dropped: set[str] = set()
    shape = full
    for col in drop_order:
        if natural_width(_probe(shape, widest)) <= width:
            break
        dropped.add(col)
        shape = build(frozenset(dropped), False)
    return full if not dropped else build(frozenset(dropped), True)
