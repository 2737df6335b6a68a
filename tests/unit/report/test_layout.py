"""Terminal tables that fit: which columns go, and how often the rows are built."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from rich.console import Console
from rich.measure import Measurement
from rich.table import Table

from hwsim.report.layout import _widest_cells, fit_columns, natural_width

# Three columns 10, 20 and 30 characters wide. rich's default table pads each cell by one
# character on both sides and draws a border before, between and after the columns:
# all three take (10+2) + (20+2) + (30+2) + 4 = 70 columns; without "c" (12 + 22) + 3 = 37;
# "a" alone 12 + 2 = 14.
WIDE = {"a": "x" * 10, "b": "y" * 20, "c": "z" * 30}


def _builder(calls: list[tuple[frozenset[str], bool]]) -> Callable[[frozenset[str], bool], Table]:
    def build(dropped: frozenset[str], with_rows: bool) -> Table:
        calls.append((dropped, with_rows))
        t = Table()
        keep = [k for k in WIDE if k not in dropped]
        for k in keep:
            t.add_column(k, no_wrap=True)
        for n in range(50 if with_rows else 0):
            t.add_row(*(WIDE[k][: 1 + n % len(WIDE[k])] for k in keep))
        return t

    return build


@pytest.mark.parametrize(
    ("width", "columns"),
    [(200, ["a", "b", "c"]), (70, ["a", "b", "c"]), (69, ["a", "b"]), (37, ["a", "b"]),
     (36, ["a"]), (5, ["a"])],
)  # fmt: skip
def test_columns_go_in_order_until_the_table_fits(width: int, columns: list[str]) -> None:
    calls: list[tuple[frozenset[str], bool]] = []
    table = fit_columns(_builder(calls), ("c", "b"), width)
    assert [str(c.header) for c in table.columns] == columns
    assert table.row_count == 50
    if width >= 14:  # narrower than "a" alone: every optional column gone, as it is
        assert natural_width(table) <= width
    # The 50 rows are built for the full table and, when columns go, once more.
    assert sum(1 for _, rows in calls if rows) == (1 if len(columns) == 3 else 2)


def test_natural_widths_by_hand() -> None:
    calls: list[tuple[frozenset[str], bool]] = []
    build = _builder(calls)
    assert natural_width(build(frozenset(), True)) == 70
    assert natural_width(build(frozenset({"c"}), True)) == 37
    assert natural_width(build(frozenset({"b", "c"}), True)) == 14


def test_widest_cell_is_what_rich_measures() -> None:
    t = Table()
    t.add_column("plain")
    t.add_column("markup")
    # "漢字" is 2 characters but 4 columns wide; "µs" 2 columns. Markup takes no columns
    # ("[bold]abcdef[/]" shows 6), an escaped bracket does ("\\[abcd]" shows "[abcd]", 6).
    for plain, markup in [("µs", "[bold]abcdef[/]"), ("漢字", "abc"), ("abc", "\\[abcd]")]:
        t.add_row(plain, markup)
    widest = _widest_cells(t)
    assert widest["plain"] == "漢字"
    assert widest["markup"] == "[bold]abcdef[/]"  # the first of the two 6-column cells
    c = Console(width=10_000, emoji=False)
    widths = {cell: Measurement.get(c, c.options, cell).maximum for cell in ("µs", "漢字")}
    assert widths == {"µs": 2, "漢字": 4}
