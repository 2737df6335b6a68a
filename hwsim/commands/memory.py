"""Memory options shared by ``hwsim profile`` and ``hwsim run``: deployment planning,
patch-based execution (``--patches``) and memory-aware op order (``--memory-schedule``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:  # the workload modules and rich load when a command runs, not at --help
    from rich.console import Console

    from hwsim.workload.ir import Workload
    from hwsim.workload.memory import Deployment
    from hwsim.workload.patches import PatchSummary

PatchesOpt = Annotated[
    str | None,
    typer.Option(
        "--patches",
        help="run the first ops patch by patch (MCUNetV2), a ROWSxCOLS grid like 4x4",
    ),
]
PatchStagesOpt = Annotated[
    str,
    typer.Option(
        "--patch-stages",
        help="ops run per patch: a count, the stage's last op name, or auto (lowest peak)",
    ),
]
PlanningOpt = Annotated[
    str | None,
    typer.Option(
        "--planning",
        help="activation memory planning: liveness, inplace (in-place depthwise and "
        "element-wise, as TinyEngine) or naive; default liveness",
    ),
]
ScheduleOpt = Annotated[
    str,
    typer.Option(
        "--memory-schedule",
        help="op order: given (as listed) or best (lowest peak; shows both)",
    ),
]


def apply_patch_option(
    w: Workload, patches: str | None, stages: str, deployment: Deployment
) -> tuple[Workload, PatchSummary | None]:
    """The workload as run with ``--patches`` (unchanged without)."""
    from hwsim.workload.patches import parse_grid, patch

    if patches is None:
        return w, None
    grid = parse_grid(patches)
    return patch(w, grid, stages, deployment)


def print_patches(
    s: PatchSummary,
    console: Console,
    latency: tuple[float, float] | None = None,
    *,
    inplace: bool = False,
) -> None:
    """Peak and cost with and without patches, and the op that sets each peak."""
    from rich.table import Table

    from hwsim.units import Dimension, format_quantity

    def size(v: float) -> str:
        return format_quantity(v, Dimension.BYTES)

    t = Table(
        title=f"patch-based execution: {s.grid[0]}x{s.grid[1]} patches, first {s.stage_ops} ops"
    )
    t.add_column("")
    t.add_column("without", justify="right")
    t.add_column("with patches", justify="right")
    t.add_row("peak activations", size(s.peak_bytes_without), size(s.peak_bytes))
    t.add_row("peak set by", s.peak_op_without, s.peak_op)
    t.add_row(
        "MACs",
        f"{s.macs_without / 1e6:,.1f} M",
        f"{s.macs / 1e6:,.1f} M (+{100 * s.extra_macs_ratio:.1f}%)",
    )
    t.add_row("weight reads", size(s.weight_reads_without), size(s.weight_reads))
    if latency is not None:
        before, after = latency
        t.add_row(
            "latency",
            format_quantity(before, Dimension.SECONDS),
            f"{format_quantity(after, Dimension.SECONDS)} (+{100 * (after / before - 1):.1f}%)",
        )
    console.print(t)
    console.print(
        f"stage output (held in full): {s.last_stage_op}; the halo each patch recomputes "
        "follows from the kernels and strides of the stage's ops.",
    )
    if s.peak_after_stage:
        console.print(
            f"the peak is now after the patch stage, at {s.peak_op}: patches cannot lower it"
            + (
                ""
                if inplace
                else " (in-place depthwise and element-wise ops can: --planning inplace, or a "
                "profile that plans in place such as tinyengine)"
            ),
        )


def schedule_dict(w: Workload, deployment: Deployment) -> dict[str, Any]:
    """Peak in the given op order and in the best one found (JSON-ready)."""
    from hwsim.workload.memory import deployed_profile
    from hwsim.workload.schedule import best_schedule

    given = deployed_profile(w, deployment)
    best = best_schedule(w, deployment)
    return {
        "given": {
            "peak_activation_bytes": given.peak_bytes,
            "peak_op": w.ops[given.peak_index].name,
        },
        "best": {
            "peak_activation_bytes": best.peak_bytes,
            "peak_op": best.peak_op,
            "exact": best.exact,
            "order": [w.ops[i].name for i in best.order],
        },
        "ops_moved": sum(1 for k, i in enumerate(best.order) if k != i),
    }


def print_schedule(d: dict[str, Any], console: Console) -> None:
    """Given vs best op order."""
    from rich.table import Table

    from hwsim.units import Dimension, format_quantity

    t = Table(title="memory-aware op order")
    t.add_column("order")
    t.add_column("peak activations", justify="right")
    t.add_column("peak set by")
    for key in ("given", "best"):
        row = d[key]
        label = key if key == "given" or row["exact"] else "best (beam, not proven)"
        t.add_row(
            label, format_quantity(row["peak_activation_bytes"], Dimension.BYTES), row["peak_op"]
        )
    console.print(t)
    moved = d["ops_moved"]
    console.print(
        "the given order is already the best one"
        if moved == 0
        else f"{moved} ops run in another order",
        soft_wrap=True,
    )


def planning_or_fail(planning: str | None) -> str:
    """The ``--planning`` value, checked."""
    from hwsim.commands.base import fail
    from hwsim.workload.memory import PLANNINGS

    value = planning or "liveness"
    if value not in PLANNINGS:
        raise fail(f"--planning: expected one of {', '.join(PLANNINGS)}, got {value!r}")
    return value


def patch_runtime() -> Deployment:
    """How the runtime that executes patches deploys a graph when no chip profile says
    otherwise: MCUNetV2's patch-based inference is generated by TinyEngine, which runs
    depthwise convs in place and fuses residual adds into the projection conv."""
    from hwsim.workload.memory import Deployment

    return Deployment(fusions=("activation", "elementwise"), planning="inplace")


def profile_deployment(planning: str | None, patches: str | None) -> Deployment:
    """``hwsim profile``'s deployment: ``--planning`` if given; with ``--patches`` and no
    ``--planning``, the patch runtime's (:func:`patch_runtime`); else the default."""
    from hwsim.workload.memory import Deployment

    if planning is None and patches is not None:
        return patch_runtime()
    return Deployment(planning=planning_or_fail(planning))


def schedule_or_fail(schedule: str) -> str:
    """The ``--memory-schedule`` value, checked."""
    from hwsim.commands.base import fail

    if schedule not in ("given", "best"):
        raise fail(f"--memory-schedule: expected given or best, got {schedule!r}")
    return schedule


def patched_run(
    workload: str,
    hardware: str,
    batch: int | None,
    dtype: str | None,
    profile: str | None,
    strict_memory: bool,
    params: dict[str, object],
    patches: str,
    patch_stages: str,
    console: Console,
    plots: str | None = None,
    options: dict[str, Any] | None = None,
) -> tuple[Any, dict[str, object]]:
    """``hwsim run --patches``: simulate the patched graph (and, for the overhead, the plain
    one), print the comparison and return the patched result with the comparison (JSON-ready).
    With ``plots``, also write ``memory_patches.png`` there (both memory curves). ``options``:
    tp, pp (must be 1: patches run on one chip), clock, operating_point, power_cap."""
    from hwsim import engine
    from hwsim.api import load
    from hwsim.costmodel.graph import deployment
    from hwsim.errors import WorkloadError
    from hwsim.workload.ir import Workload

    w, spec, prof = load(workload, hardware, profile=profile, batch=batch, dtype=dtype, **params)
    if not isinstance(w, Workload):
        raise WorkloadError(
            "`patches` needs a graph workload (not a decoder LLM)", params=("patches",)
        )
    opts = dict(options or {})
    if opts.pop("tp", 1) != 1 or opts.pop("pp", 1) != 1:
        raise WorkloadError(
            "`patches` runs on one chip; drop `tp`/`pp`", params=("patches", "tp", "pp")
        )
    patched, summary = apply_patch_option(w, patches, patch_stages, deployment(prof))
    plain = engine.simulate(w, spec, prof, **opts)
    result = engine.simulate(patched, spec, prof, strict_memory=strict_memory, **opts)
    assert summary is not None
    print_patches(
        summary, console, (plain.latency_s, result.latency_s),
        inplace=prof.memory_planning == "inplace",
    )  # fmt: skip
    if plots:
        from pathlib import Path

        from hwsim.report.memory import plot_memory_patches
        from hwsim.report.plots import save_figure

        levels = [m.name for m in spec.memory if "activations" in m.holds]
        fig = plot_memory_patches(
            plain, result, stage_ops=summary.stage_ops, grid=summary.grid,
            activation_levels=levels,
        )  # fmt: skip
        Path(plots).mkdir(parents=True, exist_ok=True)
        save_figure(fig, Path(plots) / "memory_patches.png")
    info = summary.to_dict()
    info["latency_s_without"] = plain.latency_s
    info["latency_s"] = result.latency_s
    return result, info
