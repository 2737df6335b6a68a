"""Arrival processes, traces and token-length distributions."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from hwsim.errors import HwsimError
from hwsim.serve import LengthDist, ServingError, load_trace, serve
from hwsim.serve.requests import arrival_times, streams

from .conftest import tiny_cnn, tiny_decoder


def test_poisson_and_constant_arrivals() -> None:
    rng = streams(0)[0]
    t = arrival_times("poisson", 100.0, rng, requests=20_000)
    assert np.all(np.diff(t) > 0)
    assert np.diff(t).mean() == pytest.approx(0.01, rel=0.03)
    c = arrival_times("constant", 4.0, rng, requests=5)
    np.testing.assert_allclose(c, [0, 0.25, 0.5, 0.75, 1.0])
    d = arrival_times("poisson", 1000.0, streams(1)[0], duration=2.0)
    assert d.max() < 2.0 and abs(d.size - 2000) < 200
    assert arrival_times("constant", 10.0, rng, duration=1.0).size == 10


@pytest.mark.parametrize(
    "text,label",
    [
        ("512", "fixed:512"),
        ("fixed:7", "fixed:7"),
        ("uniform:16,64", "uniform:16,64"),
        ("normal:100,20", "normal:100,20"),
        ("lognormal:50,0.5,1,400", "lognormal:50,0.5,1,400"),
    ],
)
def test_length_dist_parse(text: str, label: str) -> None:
    d = LengthDist.parse(text)
    assert d.label == label
    x = d.sample(np.random.default_rng(0), 5000)
    assert x.dtype == np.int64 and x.min() >= 1
    if d.hi is not None:
        assert x.max() <= d.hi


def test_length_dist_moments() -> None:
    rng = np.random.default_rng(1)
    assert LengthDist.parse("normal:1000,50").sample(rng, 20_000).mean() == pytest.approx(
        1000, 0.01
    )
    med = np.median(LengthDist.parse("lognormal:200,0.8").sample(rng, 20_000))
    assert med == pytest.approx(200, rel=0.03)
    u = LengthDist.parse("uniform:1,4").sample(rng, 10_000)
    assert set(np.unique(u)) == {1, 2, 3, 4}


@pytest.mark.parametrize(
    "text", ["0", "fixed:2.5", "uniform:5,2", "normal:10", "lognormal:-1,1", "gamma:1,2", "x"]
)
def test_bad_length_dist(text: str) -> None:
    with pytest.raises(ServingError):
        LengthDist.parse(text)


def test_trace_csv_and_json(tmp_path: Path) -> None:
    csv = tmp_path / "t.csv"
    csv.write_text("arrival_s,prompt_len,gen_len\n0.0,10,3\n0.5,20,4\n0.5,30,5\n")
    tr = load_trace(csv)
    np.testing.assert_allclose(tr.arrival_s, [0, 0.5, 0.5])
    assert list(tr.prompt_len) == [10, 20, 30] and list(tr.gen_len) == [3, 4, 5]
    bare = tmp_path / "bare.csv"
    bare.write_text("0.1\n0.2\n0.4\n")
    assert load_trace(bare).prompt_len is None
    js = tmp_path / "t.json"
    js.write_text(
        json.dumps(
            {"requests": [{"arrival_s": 1.0, "gen_len": 2}, {"arrival_s": 2.0, "gen_len": 3}]}
        )
    )
    tr = load_trace(js)
    assert tr.mean_rate == 1.0 and tr.prompt_len is None and list(tr.gen_len) == [2, 3]
    assert load_trace_list(tmp_path).arrival_s.size == 3


def load_trace_list(tmp_path: Path):
    p = tmp_path / "list.json"
    p.write_text("[0, 1.5, 2]")
    return load_trace(p)


@pytest.mark.parametrize(
    "body,match",
    [
        ("arrival_s\n0.2\n0.1\n", "must be sorted; request 1 at 0.1 s comes after 0.2 s"),
        ("arrival_s\n-1\n0.1\n", "request 0: arrival time -1 s is negative"),
        ("arrival_s\nabc\n", "is not a number"),
        ("arrival_s,prompt_len\n0,1.5\n", "prompt_len must be an integer from 1 to"),
        ("when\n0\n", "needs an arrival_s column"),
        ("", "no requests"),
    ],
)
def test_bad_trace(tmp_path: Path, body: str, match: str) -> None:
    p = tmp_path / "bad.csv"
    p.write_text(body)
    with pytest.raises(ServingError, match=match) as exc:
        load_trace(p)
    assert "\n" not in str(exc.value)


def test_trace_replay_and_rescale(tmp_path: Path) -> None:
    p = tmp_path / "t.csv"
    p.write_text(
        "arrival_s,prompt_len,gen_len\n"
        + "".join(f"{i * 0.01},{8 + i},{2 + i % 3}\n" for i in range(50))
    )
    r = serve(tiny_decoder, "a100-80gb-sxm", arrival="trace", trace=p)
    # 50 arrivals 10 ms apart: 49 gaps over 0.49 s = 100 requests/s
    assert r.arrival.startswith("trace:") and r.rate == pytest.approx(100.0)
    assert list(r.prompt_len) == [8 + i for i in range(50)]
    assert r.to_dict()["prompt_dist"] == "trace"
    fast = serve(tiny_decoder, "a100-80gb-sxm", rate=1000.0, arrival="trace", trace=p)
    np.testing.assert_allclose(fast.arrival_s, r.arrival_s * (r.rate / 1000.0))


@pytest.mark.parametrize(
    "kwargs,match",
    [
        (dict(rate=0), "rate must be > 0"),
        (dict(rate=-5), "rate must be > 0"),
        (dict(rate=None), "give an arrival rate"),
        (dict(rate=10, arrival="bursty"), "unknown arrival process"),
        (dict(rate=10, requests=10, duration=1.0), "not both"),
        (dict(rate=10, requests=0), "requests must be an integer >= 1"),
        (dict(rate=10, max_batch=0), "max_batch must be an integer >= 1"),
        (dict(rate=10, max_wait=-1.0), "max_wait must be >= 0"),
        (dict(rate=10, prompt_len=5), "not a decoder LLM"),
        (dict(rate=10, arrival="trace"), "`arrival` trace needs a `trace` file"),
        (dict(rate=10, seed=-1), "seed must be an integer >= 0"),
    ],
)
def test_bad_inputs_are_one_line_errors(kwargs: dict, match: str) -> None:
    with pytest.raises(HwsimError, match=match) as exc:
        serve(tiny_cnn, "tpu-like", **kwargs)
    assert "\n" not in str(exc.value)
    assert "--" not in str(exc.value)  # the library names parameters, not CLI flags


def test_workload_object_batches_only_its_own_size() -> None:
    serve(tiny_cnn(1), "tpu-like", rate=10.0, max_batch=1, requests=10)
    with pytest.raises(ServingError, match="fixed batch of 1"):
        serve(tiny_cnn(1), "tpu-like", rate=1e9, max_batch=4, requests=50)


def test_a_loaded_workload_object_is_rebuilt_at_each_batch() -> None:
    from hwsim.workload import load_workload

    w = load_workload("lenet5", dtype="int8")
    r = serve(w, "tpu-like", rate=1e9, max_batch=4, requests=50)
    by_name = serve("lenet5", "tpu-like", dtype="int8", rate=1e9, max_batch=4, requests=50)
    assert r.to_dict() == by_name.to_dict()
