"""Terminal summaries: top layers as rich tables and a one-line verdict (the CLI prints them)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from rich import box
from rich.markup import escape
from rich.table import Table

from hwsim.report import fmt
from hwsim.report.data import ResultLike, as_result_dict, bound_key
from hwsim.units import Dimension, format_quantity

_SORT_KEYS = {"latency": "latency_s", "energy": "energy_j"}


def top_layers(
    result: ResultLike, by: Literal["latency", "energy"] = "latency", n: int = 10
) -> list[dict[str, Any]]:
    """The ``n`` layers with the largest latency (s) or energy (J), largest first."""
    if by not in _SORT_KEYS:
        raise ValueError(f"by must be 'latency' or 'energy', not {by!r}")
    return _top(as_result_dict(result), _SORT_KEYS[by], n)


def _top(d: Mapping[str, Any], key: str, n: int) -> list[dict[str, Any]]:
    """The ``n`` layers of a checked result dict with the largest ``key``, largest first."""
    order = sorted(range(len(d["layers"])), key=lambda i: (-d["layers"][i][key], i))
    return [d["layers"][i] for i in order[:n]]


def _share(x: float, total: float) -> str:
    return f"{x / total:.1%}" if total > 0 else "-"


def _bound_label(layer: Mapping[str, Any]) -> str:
    k = bound_key(layer)
    return k.replace("memory:", "mem: ") if k.startswith("memory:") else k


TOP_LAYERS_DROP_ORDER = ("unit", "op", "other %", "other", "util")
"""Columns of the top-layers table left out, in this order, when the terminal is narrow:
the compute unit, the op type, then the share and the value of the quantity the table is
not sorted by (energy in the latency table, latency in the energy table), then the
utilisation."""


def _util(u: Any) -> str:
    """Achieved / peak compute of a layer as a percentage ('-' when it has none)."""
    if u is None:
        return "-"
    v = float(u)
    return f"{v:.0%}" if v >= 0.01 else f"{v:.1%}" if v >= 0.001 else "<0.1%"


def top_layers_table(
    result: ResultLike,
    by: Literal["latency", "energy"] = "latency",
    n: int = 10,
    width: int | None = None,
) -> Table:
    """A rich Table of the top ``n`` layers by latency or energy, with their shares.

    Shares are of the summed layer latency (layers on different units may overlap, so
    this can exceed the end-to-end latency) and of the total energy. Pass the console
    ``width``: columns are left out in :data:`TOP_LAYERS_DROP_ORDER` until the table fits.
    """
    from hwsim.report.layout import fit_columns

    if by not in _SORT_KEYS:
        raise ValueError(f"by must be 'latency' or 'energy', not {by!r}")
    d = as_result_dict(result)
    total_t = sum(layer["latency_s"] for layer in d["layers"])
    total_e = sum(layer["energy_j"] for layer in d["layers"])
    rows = _top(d, _SORT_KEYS[by], n)  # (d is checked: top_layers(d) would check it again)
    index = {id(layer): i for i, layer in enumerate(d["layers"])}
    other = "energy" if by == "latency" else "latency"

    def build(dropped: frozenset[str], with_rows: bool) -> Table:
        t = Table(
            title=f"top {len(rows)} layers by {by}",
            box=box.SIMPLE_HEAD,
            pad_edge=False,
            collapse_padding=True,
        )
        cols: list[tuple[str, str]] = [("#", "#"), ("layer", "layer"), ("op", "op")]
        cols += [("unit", "unit")]
        for q in ("latency", "energy"):
            key = "other" if q == other else q
            cols += [(key, q), (f"{key} %", "time %" if q == "latency" else "energy %")]
        cols += [("util", "util"), ("bound", "bound")]
        keep = [c for c in cols if c[0] not in dropped]
        for key, head in keep:
            if key == "layer":
                t.add_column(head, overflow="ellipsis", no_wrap=True, min_width=10, max_width=32)
            elif key in ("op", "unit"):
                t.add_column(head, overflow="ellipsis", no_wrap=True, max_width=14)
            elif key == "bound":
                t.add_column(head, no_wrap=True)
            else:
                t.add_column(head, justify="right", no_wrap=True)
        for layer in rows if with_rows else ():
            values = {
                "#": str(index[id(layer)]),
                "layer": str(layer["name"]),
                "op": str(layer["op_type"]),
                "unit": str(layer["unit"]),
                "latency": fmt.duration(layer["latency_s"]),
                "latency %": _share(layer["latency_s"], total_t),
                "energy": format_quantity(layer["energy_j"], Dimension.JOULES),
                "energy %": _share(layer["energy_j"], total_e),
                "util": _util(layer.get("utilization")),
                "bound": _bound_label(layer),
            }
            values["other"] = values[other]
            values["other %"] = values[f"{other} %"]
            t.add_row(*(escape(values[key]) for key, _ in keep))
        return t

    return fit_columns(build, TOP_LAYERS_DROP_ORDER, width if width is not None else 10_000)


def time_shares(result: ResultLike) -> dict[str, float]:
    """Share (0..1) of the summed layer latency per limiter, largest first.

    Keys are ``compute``, ``overhead``, ``fused`` and ``memory:<level>``.
    """
    d = as_result_dict(result)
    acc: dict[str, float] = {}
    for layer in d["layers"]:
        k = bound_key(layer)
        acc[k] = acc.get(k, 0.0) + float(layer["latency_s"])
    total = sum(acc.values())
    if total <= 0:
        return {}
    return dict(sorted(((k, v / total) for k, v in acc.items()), key=lambda kv: -kv[1]))


def verdict(result: ResultLike) -> str:
    """One line saying what limits the run, e.g. ``memory-bound: 91% of layer time waits on hbm``."""
    shares = time_shares(result)
    if not shares:
        return "no layer time to classify"
    mem = {k.split(":", 1)[1]: v for k, v in shares.items() if k.startswith("memory")}
    mem_total = sum(mem.values())
    groups = {
        "compute": shares.get("compute", 0.0),
        "memory": mem_total,
        "overhead": shares.get("overhead", 0.0),
        "fused": shares.get("fused", 0.0),
    }
    main = max(groups, key=lambda g: groups[g])
    if main == "memory":
        levels = sorted(mem, key=lambda k: -mem[k])
        if len(levels) == 1 or mem[levels[0]] >= 0.9 * mem_total:
            head = f"memory-bound: {mem_total:.0%} of layer time waits on {levels[0]}"
        else:
            parts = ", ".join(f"{lv} {mem[lv]:.0%}" for lv in levels if mem[lv] >= 0.005)
            head = f"memory-bound: {mem_total:.0%} of layer time waits on memory ({parts})"
    elif main == "compute":
        head = f"compute-bound: {groups['compute']:.0%} of layer time is limited by compute"
    elif main == "overhead":
        head = f"overhead-bound: {groups['overhead']:.0%} of layer time is fixed per-op overhead"
    else:
        head = f"fused: {groups['fused']:.0%} of layer time runs in producers' epilogues"
    rest = [f"{groups[g]:.0%} {g}-bound" for g in groups if g != main and groups[g] >= 0.005]
    return head + (f"; {', '.join(rest)}" if rest else "")
