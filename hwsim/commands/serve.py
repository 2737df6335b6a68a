"""``hwsim serve``: requests arriving over time, batched, with latency percentiles."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from hwsim.commands.base import (
    DtypeOpt,
    KvDtypeOpt,
    ProfileOpt,
    ResolutionOpt,
    SeqLenOpt,
    UnpaddedLenOpt,
    WidthOpt,
    app,
    err,
    escape,
    fail,
    out,
    write_json,
)
from hwsim.errors import HwsimError

if TYPE_CHECKING:
    from rich.console import Console


def _rates(text: str) -> list[float]:
    vals = []
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        try:
            vals.append(float(part))
        except ValueError:
            raise fail(f"--rates expects numbers separated by commas, got {text!r}") from None
    if not vals:
        raise fail(f"--rates expects numbers separated by commas, got {text!r}")
    return vals


def _fmt_s(v: float | None) -> str:
    from hwsim.units import Dimension, format_quantity

    return "-" if v is None else format_quantity(v, Dimension.SECONDS)


def _summary_table(res: Any, console: Console) -> None:
    from rich.table import Table

    from hwsim.units import Dimension, format_quantity

    d = res.to_dict(max_points=0)  # headline fields only
    where = res.hardware
    if res.parallel:
        p = res.parallel
        reps = f"{p['replicas']} x " if p.get("replicas", 1) > 1 else ""
        where = f"{p['system'] or p['device']} ({reps}tp {p['tp']} x pp {p['pp']} of {p['device']})"
    t = Table(
        title=f"serving {res.workload} on {where} ({res.profile}, {res.dtype}): "
        f"{res.batching} batching, max batch {res.max_batch}, {res.arrival} at {res.rate:.4g} req/s"
    )
    t.add_column("metric")
    t.add_column("value", justify="right")
    t.add_row("requests", f"{res.requests:,}")
    t.add_row("throughput", f"{res.requests_per_s:,.4g} req/s")
    for k in ("latency_mean_s", "latency_p50_s", "latency_p90_s", "latency_p99_s"):
        t.add_row(k[:-2].replace("_", " "), _fmt_s(d[k]))
    if res.batching == "continuous":
        for k in ("ttft_p50_s", "ttft_p99_s", "tpot_p50_s", "tpot_p99_s"):
            what, pct = k[:-2].split("_")
            t.add_row(f"{what.upper()} {pct}", _fmt_s(d[k]))
        t.add_row("output tokens/s", f"{d['tokens_per_s']:,.0f}")
        t.add_row(
            "KV budget",
            d["kv_budget_source"].removeprefix("KV budget ")
            + (" per device" if res.parallel else ""),
        )
        t.add_row(
            "KV-limited batch",
            f"{d['kv_batch_limit']:,} sequences of the mean context (the batch is limited "
            f"by {d['batch_limit']}; full cache: new requests {d['kv_policy']}, none preempted)",
        )
        if d["prefill"] == "whole":
            t.add_row("prefill", f"whole prompts, <= {d['max_prefill_tokens']} tokens/iter")
        else:
            t.add_row("prefill", f"{d['prefill']} (decode tokens count in the budget)")
    t.add_row("mean batch", f"{res.mean_batch:.3g}")
    t.add_row("server busy", f"{res.server_busy_fraction:.1%}")
    for u, f in res.utilisation.items():
        t.add_row(f"unit {u} busy", f"{f:.1%}")
    t.add_row("energy / request", format_quantity(res.energy_per_request_j, Dimension.JOULES))
    t.add_row("average power", format_quantity(res.avg_power_w, Dimension.WATTS))
    console.print(t)


def _sweep_table(results: list[Any], console: Console) -> None:
    from rich.table import Table

    llm = results[0].batching == "continuous"
    t = Table(title="rate sweep")
    cols = ["offered req/s", "served req/s", "p50", "p99"]
    if llm:
        cols += ["TTFT p99", "TPOT p99", "tokens/s"]
    for c in cols:
        t.add_column(c, justify="right")
    for r in sorted(results, key=lambda r: r.rate):
        s = r.summary()
        row = [
            f"{r.rate:.4g}",
            f"{r.requests_per_s:.4g}",
            _fmt_s(s["latency_p50_s"]),
            _fmt_s(s["latency_p99_s"]),
        ]
        if llm:
            row += [_fmt_s(s["ttft_p99_s"]), _fmt_s(s["tpot_p99_s"]), f"{s['tokens_per_s']:,.0f}"]
        t.add_row(*row)
    console.print(t)


@app.command("serve")
def serve_cmd(
    workload: Annotated[str, typer.Argument(help="built-in workload name or model file")],
    hardware: Annotated[
        str, typer.Option("--hardware", "-H", help="built-in chip or system, or a spec YAML")
    ],
    rate: Annotated[
        float | None, typer.Option(help="offered load, requests/s (trace: rescale to it)")
    ] = None,
    arrival: Annotated[
        str, typer.Option(help="poisson, constant, trace (with --trace FILE) or trace:FILE")
    ] = "poisson",
    trace: Annotated[
        str | None, typer.Option(help="CSV/JSON file: arrival_s, optionally prompt_len and gen_len")
    ] = None,
    requests: Annotated[int | None, typer.Option(help="number of requests (default 1000)")] = None,
    duration: Annotated[
        float | None, typer.Option(help="simulate arrivals during this many seconds")
    ] = None,
    seed: Annotated[int, typer.Option(help="random seed (arrivals and lengths)")] = 0,
    max_batch: Annotated[
        int | None, typer.Option(help="largest batch (CNN default 8; LLM sequences, default 256)")
    ] = None,
    max_wait: Annotated[
        float | None,
        typer.Option(help="seconds the oldest request waits for a batch to fill (CNN; 0)"),
    ] = None,
    prompt_len: Annotated[int | None, typer.Option(help="prompt tokens (LLM)")] = None,
    gen_len: Annotated[int | None, typer.Option(help="output tokens (LLM)")] = None,
    prompt_dist: Annotated[
        str | None,
        typer.Option(
            help="prompt tokens: uniform:LO,HI | normal:MEAN,STD | lognormal:MEDIAN,SIGMA"
        ),
    ] = None,
    gen_dist: Annotated[str | None, typer.Option(help="output tokens, same forms")] = None,
    kv_budget: Annotated[
        str | None, typer.Option(help="KV-cache bytes, e.g. '40 GiB' (default: free memory)")
    ] = None,
    max_prefill_tokens: Annotated[
        int, typer.Option(help="most new prompt tokens per iteration (LLM)")
    ] = 4096,
    dtype: DtypeOpt = None,
    profile: ProfileOpt = None,
    resolution: ResolutionOpt = None,
    width: WidthOpt = None,
    seq_len: SeqLenOpt = None,
    unpadded_len: UnpaddedLenOpt = None,
    kv_dtype: KvDtypeOpt = None,
    tp: Annotated[int, typer.Option(help="tensor-parallel devices (on a system)")] = 1,
    pp: Annotated[int, typer.Option(help="pipeline-parallel stages (on a system)")] = 1,
    chunk_size: Annotated[
        int | None, typer.Option(help="chunked prefill: tokens per iteration (LLM)")
    ] = None,
    replicas: Annotated[
        int, typer.Option(help="data-parallel copies of the model, round robin (LLM)")
    ] = 1,
    ep: Annotated[
        bool, typer.Option(help="expert parallelism: MoE experts spread over the --tp devices")
    ] = False,
    rates: Annotated[
        str | None, typer.Option(help="also run these rates, e.g. 10,20,40,80 (for the plots)")
    ] = None,
    json_out: Annotated[
        str | None, typer.Option("--json", help="write the result JSON to PATH or -")
    ] = None,
    plots: Annotated[
        str | None, typer.Option(help="write latency/throughput, CDF and queue PNGs to DIR")
    ] = None,
) -> None:
    """Serve WORKLOAD under load: latency percentiles, throughput, energy per request."""
    from hwsim.serve import serve_rates

    if arrival.startswith("trace:"):
        if trace is not None:
            raise fail("give the trace as --arrival trace:FILE or --trace FILE, not both")
        trace = arrival[len("trace:") :]
        arrival = "trace"
    elif trace is not None and arrival == "poisson":
        arrival = "trace"
    sweep = _rates(rates) if rates else []
    if rate is None and not sweep and arrival != "trace":
        raise fail("give --rate R (requests/s) or --rates R1,R2,...")
    run_rates: list[float | None] = [rate] if (rate is not None or not sweep) else []
    run_rates += [r for r in sweep if r not in run_rates]
    params = {
        "resolution": resolution,
        "width": width,
        "seq_len": seq_len,
        "unpadded_len": unpadded_len,
        "kv_dtype": kv_dtype,
    }
    try:
        results = serve_rates(
            workload,
            hardware,
            run_rates,
            arrival=arrival,
            trace=trace,
            requests=requests,
            duration=duration,
            seed=seed,
            max_batch=max_batch,
            max_wait=max_wait,
            prompt_len=prompt_len,
            gen_len=gen_len,
            prompt_dist=prompt_dist,
            gen_dist=gen_dist,
            kv_budget=kv_budget,
            max_prefill_tokens=max_prefill_tokens,
            dtype=dtype,
            profile=profile,
            tp=tp,
            pp=pp,
            chunk_size=chunk_size,
            replicas=replicas,
            ep=ep,
            **params,
        )
    except HwsimError as exc:
        raise fail(exc) from None
    main = results[0]
    console = err if json_out == "-" else out
    for w in main.warnings:
        err.print(f"[bold yellow]warning:[/] {escape(w)}", soft_wrap=True)
    _summary_table(main, console)
    if len(results) > 1:
        _sweep_table(results, console)
    try:
        if json_out:
            data = main.to_dict()
            if len(results) > 1:
                data["rate_sweep"] = [r.summary() for r in results]
            write_json(data, json_out)
        if plots:
            from hwsim.serve.plots import write_serving_plots

            paths = write_serving_plots(results, plots, main)
            console.print(f"plots: {', '.join(str(p) for p in paths.values())}")
    except OSError as exc:
        raise fail(f"cannot write output: {exc}") from None
