"""Printing the multi-device part of a ``hwsim run`` result (tp, pp, links, per device)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from hwsim.units import format_bytes_iec

if TYPE_CHECKING:
    from rich.console import Console

    from hwsim.engine.result import SimulationResult


def print_parallel(result: SimulationResult, console: Console) -> None:
    """One table: devices, communication time/bytes/energy, bubble, memory per device."""
    from rich.table import Table

    p = result.parallel
    t = Table(title=f"{p.get('system', result.hardware)}: tp {p['tp']} x pp {p['pp']}")
    t.add_column("metric")
    t.add_column("value", justify="right")
    t.add_row("devices", str(p.get("devices", p["tp"] * p["pp"])))
    if p.get("ep"):
        t.add_row("experts", f"spread over the {p['tp']} devices (expert parallel)")
    if "comm_time_s" in p:
        t.add_row(f"communication time ({p['link']})", f"{p['comm_time_s'] * 1e3:.4g} ms")
        t.add_row("sent per device", format_bytes_iec(p["comm_bytes_per_device"]))
        t.add_row("link energy", f"{p['link_energy_j']:.4g} J")
    if p["pp"] > 1:
        t.add_row("micro-batches", str(p["microbatches"]))
        t.add_row("pipeline bubble", f"{p['bubble_fraction']:.1%}")
    for k, dev in enumerate(p.get("per_device", [])):
        who = "per device" if p["pp"] == 1 else f"stage {k} device"
        t.add_row(
            f"{who}: weights + KV + act.",
            f"{format_bytes_iec(dev['weight_bytes'])} + {format_bytes_iec(dev['kv_cache_bytes'])}"
            f" + {format_bytes_iec(dev['activation_bytes'])} of "
            f"{format_bytes_iec(dev['capacity_bytes'])}",
        )
    console.print(t)
