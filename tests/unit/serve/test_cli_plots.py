"""`hwsim serve` end to end (JSON contract, rate sweep, plots, one-line errors) and figures."""

from __future__ import annotations

import json
from pathlib import Path

from matplotlib.figure import Figure
from typer.testing import CliRunner

from hwsim.cli import app
from hwsim.serve import serve
from hwsim.serve.plots import plot_latency_cdf, plot_latency_throughput, plot_queue

from .conftest import tiny_decoder

runner = CliRunner()

CONTRACT = {
    "schema_version",
    "hardware",
    "workload",
    "profile",
    "dtype",
    "rate",
    "arrival",
    "seed",
    "max_batch",
    "requests_per_s",
    "latency_mean_s",
    "latency_p50_s",
    "latency_p90_s",
    "latency_p99_s",
    "energy_per_request_j",
    "utilisation",
    "queue_length",
}
LLM = {"ttft_p50_s", "ttft_p99_s", "tpot_p50_s", "tpot_p99_s", "tokens_per_s"}

CNN_ARGS = ["serve", "lenet5", "-H", "tpu-like", "--dtype", "int8", "--requests", "500"]


def test_cnn_json_contract() -> None:
    res = runner.invoke(app, [*CNN_ARGS, "--rate", "20000", "--max-batch", "4", "--json", "-"])
    assert res.exit_code == 0, res.output
    d = json.loads(res.stdout)
    assert CONTRACT <= set(d)
    assert not (LLM & set(d))
    assert d["batching"] == "dynamic" and d["max_batch"] == 4 and d["arrival"] == "poisson"
    assert d["latency_p50_s"] <= d["latency_p90_s"] <= d["latency_p99_s"]
    assert set(d["utilisation"]) == {"pe_array", "vector"}
    q = d["queue_length"]
    assert len(q["time_s"]) == len(q["waiting"]) == len(q["running"]) > 0
    api = serve("lenet5", "tpu-like", rate=20000, dtype="int8", requests=500, max_batch=4)
    assert api.to_dict() == d


def test_llm_rate_sweep_and_plots(tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    res = runner.invoke(
        app,
        [
            "serve",
            "gpt2",
            "-H",
            "a100-80gb-sxm",
            "--dtype",
            "fp16",
            "--rates",
            "20,80",
            "--prompt-dist",
            "uniform:32,256",
            "--gen-len",
            "16",
            "--requests",
            "300",
            "--json",
            str(out),
            "--plots",
            str(tmp_path / "plots"),
        ],
    )
    assert res.exit_code == 0, res.output
    d = json.loads(out.read_text())
    assert (CONTRACT | LLM) <= set(d)
    assert d["rate"] == 20 and [row["rate"] for row in d["rate_sweep"]] == [20, 80]
    assert d["prefill"] == "whole" and d["batching"] == "continuous"
    assert sorted(p.name for p in (tmp_path / "plots").iterdir()) == [
        "serve_latency_cdf.png",
        "serve_latency_throughput.png",
        "serve_queue.png",
    ]


def test_trace_option(tmp_path: Path) -> None:
    p = tmp_path / "t.csv"
    p.write_text("arrival_s\n0\n0.001\n0.002\n")
    res = runner.invoke(app, [*CNN_ARGS, "--arrival", f"trace:{p}", "--json", "-"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["requests"] == 3
    res = runner.invoke(app, [*CNN_ARGS, "--trace", str(p), "--json", "-"])
    assert json.loads(res.stdout)["arrival"] == f"trace:{p}"


def _one_line_error(res) -> str:  # type: ignore[no-untyped-def]
    assert res.exit_code == 2, res.output
    text = res.output.strip()
    assert "Traceback" not in text and text.startswith("error:") and "\n" not in text
    return text


def test_errors_are_one_line(tmp_path: Path) -> None:
    assert "rate must be > 0" in _one_line_error(runner.invoke(app, [*CNN_ARGS, "--rate", "0"]))
    assert "give --rate" in _one_line_error(runner.invoke(app, CNN_ARGS))
    bad = tmp_path / "bad.csv"
    bad.write_text("arrival_s\n1\n0.5\n")
    assert "must be sorted" in _one_line_error(
        runner.invoke(app, [*CNN_ARGS, "--arrival", f"trace:{bad}"])
    )
    neg = tmp_path / "neg.csv"
    neg.write_text("arrival_s\n-0.5\n")
    assert "negative" in _one_line_error(runner.invoke(app, [*CNN_ARGS, "--trace", str(neg)]))
    assert "--rates expects numbers" in _one_line_error(
        runner.invoke(app, [*CNN_ARGS, "--rates", "10,fast"])
    )
    long_prompt = [
        "serve",
        "gpt2",
        "-H",
        "a100-80gb-sxm",
        "--rate",
        "5",
        "--prompt-len",
        "512",
        "--kv-budget",
        "10 MiB",
    ]
    assert "could never be admitted" in _one_line_error(runner.invoke(app, long_prompt))
    assert "bad length distribution" in _one_line_error(
        runner.invoke(
            app, ["serve", "gpt2", "-H", "a100-80gb-sxm", "--rate", "5", "--gen-dist", "zipf:2"]
        )
    )


def test_figures_are_figures() -> None:
    rs = [
        serve(tiny_decoder, "a100-80gb-sxm", rate=r, prompt_len=32, gen_len=8, requests=200)
        for r in (100.0, 2000.0)
    ]
    for fig, panels in (
        (plot_latency_throughput(rs), 3),
        (plot_latency_cdf(rs), 2),
        (plot_queue(rs[0]), 2),
    ):
        assert isinstance(fig, Figure)
        axes = fig.get_axes()
        assert len(axes) == panels
        assert all(ax.get_xlabel() for ax in axes if ax.get_subplotspec().is_last_row())
        assert all(ax.get_ylabel() for ax in axes)
