"""Terminal tables that fit the terminal: columns are left out in a stated order until the
table's natural width fits, so no number wraps over two lines.

Each table names its columns and the order in which they go when space runs out
(``drop_order``); the first columns (name, the headline figure) always stay. The drop
orders are documented in docs/reports.md ("Terminal width").
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from rich.console import Console
from rich.measure import Measurement
from rich.table import Table


def natural_width(table: Table, console: Console | None = None) -> int:
    """Columns of terminal the table takes when no cell is cut or wrapped."""
    c = console or Console(width=10_000)
    return Measurement.get(c, c.options.update_width(10_000), table).maximum


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
    for col in drop_order:
        if natural_width(table) <= width:
            return table
        dropped.add(col)
        table = build(frozenset(dropped))
    return table
