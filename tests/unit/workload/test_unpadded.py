"""Unpadded (variable-length) encoder batches: token-wise work on the sum of the samples'
tokens, attention on the sum of their squared lengths. Expected values derived by hand."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hwsim.errors import WorkloadError
from hwsim.workload import Workload, load_workload

D, INTER, HEADS, LAYERS = 1024, 4096, 16, 24  # BERT-large
LINEAR_MACS_PER_TOKEN = 4 * D * D + 2 * D * INTER  # q, k, v, o + fc1, fc2


def _bert_large(**params: float) -> Workload:
    w = load_workload("bert-large", seq_len=384, **params)
    assert isinstance(w, Workload)
    return w


def _macs(w: Workload, op_type: str) -> int:
    return sum(op.macs for op in w.ops if op.op_type == op_type)


def test_mlperf_squad_batch_by_hand() -> None:
    # 4 samples averaging 176.64 tokens: round(4 x 176.64) = 707 tokens = 3 x 177 + 176.
    w = _bert_large(batch=4, unpadded_len=176.64)
    tokens, sum_sq = 3 * 177 + 176, 3 * 177**2 + 176**2
    assert tokens == 707 and sum_sq == 124_963
    # every layer's six linears run on the 707 real tokens; the pooler on the 4 [CLS] tokens
    assert _macs(w, "linear") == LAYERS * tokens * LINEAR_MACS_PER_TOKEN + 4 * D * D
    # QK^T and AV: 2 x head_dim x heads x sum(L^2) per layer (not 707^2, not 4 x 384^2)
    assert _macs(w, "attention") == LAYERS * 2 * (D // HEADS) * HEADS * sum_sq
    attn = next(op for op in w.ops if op.op_type == "attention")
    assert attn.macs == 255_924_224
    assert attn.intermediate_bytes == HEADS * sum_sq * 4  # fp32 scores, one per visible pair
    assert w.batch == 4  # throughput still counts samples


def test_full_length_samples_equal_the_padded_batch() -> None:
    padded, unpadded = _bert_large(batch=3), _bert_large(batch=3, unpadded_len=384)
    assert unpadded.macs == padded.macs
    assert unpadded.vector_ops == padded.vector_ops
    assert unpadded.weight_bytes == padded.weight_bytes


def test_unpadded_work_is_the_real_tokens_share() -> None:
    # Half-length samples: linears halve, attention quarters.
    padded, half = _bert_large(batch=2), _bert_large(batch=2, unpadded_len=192)
    pooler = 2 * D * D
    assert _macs(half, "linear") - pooler == (_macs(padded, "linear") - pooler) // 2
    assert _macs(half, "attention") * 4 == _macs(padded, "attention")


@settings(max_examples=25, deadline=None)
@given(batch=st.integers(1, 40), mean=st.floats(1.0, 128.0))
def test_attention_is_at_least_the_equal_split(batch: int, mean: float) -> None:
    w = load_workload("bert-base", batch=batch, seq_len=128, unpadded_len=mean)
    assert isinstance(w, Workload)
    tokens = round(batch * mean)
    attn = next(op for op in w.ops if op.op_type == "attention")
    scores = attn.macs // (2 * 64 * 12)
    # sum(L^2) over an even split: within one token of T^2 / B, never below it
    assert tokens * tokens / batch <= scores <= tokens * tokens / batch + batch / 4
    q = next(op for op in w.ops if op.name == "layers.0.q_proj")
    assert q.macs == tokens * 768 * 768


@pytest.mark.parametrize("bad", [0, 0.5, 385, float("nan"), "long", True])
def test_bad_unpadded_len_names_the_parameter(bad: object) -> None:
    with pytest.raises(WorkloadError, match="unpadded_len"):
        load_workload("bert-large", seq_len=384, unpadded_len=bad)


def test_distilbert_takes_it_too() -> None:
    w = load_workload("distilbert", seq_len=384, batch=2, unpadded_len=100)
    assert isinstance(w, Workload)
    q = next(op for op in w.ops if op.name == "layers.0.q_proj")
    assert q.macs == 200 * 768 * 768


def test_cli_profile_and_run_take_unpadded_len() -> None:
    import json

    from typer.testing import CliRunner

    from hwsim.cli import app

    runner = CliRunner()
    args = ["bert-large", "--batch", "4", "--seq-len", "384", "--json", "-"]
    res = runner.invoke(app, ["profile", *args, "--unpadded-len", "176.64"])
    assert res.exit_code == 0, res.output
    macs = json.loads(res.stdout)["macs"]
    assert macs == _bert_large(batch=4, unpadded_len=176.64).macs
    assert macs < _bert_large(batch=4).macs
    run = ["run", "bert-large", "-H", "a100-80gb-sxm", "--batch", "4", "--seq-len", "384"]
    res = runner.invoke(app, [*run, "--unpadded-len", "176.64", "--json", "-"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["macs"] == macs
    res = runner.invoke(app, [*run, "--unpadded-len", "400"])
    assert res.exit_code == 2
    assert "unpadded_len" in res.output and "Traceback" not in res.output


def test_one_sample_runs_its_rounded_length() -> None:
    # batch 1, mean 100.4: one sample of round(100.4) = 100 tokens; attention 100^2 per head
    w = load_workload("bert-base", batch=1, seq_len=128, unpadded_len=100.4)
    assert isinstance(w, Workload)
    attn = next(op for op in w.ops if op.op_type == "attention")
    assert attn.macs == 2 * 64 * 12 * 100 * 100
    q = next(op for op in w.ops if op.name == "layers.0.q_proj")
    assert q.macs == 100 * 768 * 768


@pytest.mark.parametrize("chip", ["tpu-like", "a100-80gb-sxm", "raspberry-pi-4"])
def test_packing_full_length_samples_changes_no_result(chip: str) -> None:
    # Samples that fill seq_len leave no padding to drop: the packed (1, B x S) tokens and the
    # B blocks of S x S scores are the padded batch's GEMMs, so the simulation is the same to
    # the bit (array, GPU and CPU mappers).
    from hwsim import simulate

    padded = simulate("distilbert", chip, batch=3, seq_len=64).to_dict()
    packed = simulate("distilbert", chip, batch=3, seq_len=64, unpadded_len=64).to_dict()
    assert packed == padded


@pytest.mark.parametrize(
    ("name", "params", "needle"),
    [
        ("bert-large", {"unpadded_len": 200}, "unpadded_len must be between 1 and seq_len 128"),
        ("bert-base", {"seq_len": 1000}, "seq_len 1000 exceeds max_position_embeddings 512"),
        ("gpt2", {"prompt_len": 2000, "gen_len": 1}, "exceeds the 1024 learned positions"),
    ],
)
def test_a_builtins_error_names_it_not_its_shipped_config_file(
    name: str, params: dict[str, int], needle: str
) -> None:
    with pytest.raises(WorkloadError) as err:
        load_workload(name, **params)
    assert str(err.value).startswith(f"{name}: ") and needle in str(err.value)
    assert ".json" not in str(err.value)


def test_serve_takes_unpadded_len() -> None:
    # Dynamic batches of encoder requests run packed: samples filling seq_len change nothing
    # (to the bit); half-length samples are served faster and for less energy.
    import json

    from typer.testing import CliRunner

    from hwsim.cli import app

    base = ["serve", "distilbert", "-H", "tpu-like", "--dtype", "int8", "--seq-len", "64"]
    base += ["--rate", "200", "--requests", "200", "--json", "-"]

    def served(*extra: str) -> dict[str, float]:
        res = CliRunner().invoke(app, [*base, *extra])
        assert res.exit_code == 0, res.output
        doc: dict[str, float] = json.loads(res.stdout)
        return doc

    padded, full, half = served(), served("--unpadded-len", "64"), served("--unpadded-len", "32")
    assert full == padded
    assert half["latency_p50_s"] < padded["latency_p50_s"]
    assert half["energy_per_request_j"] < padded["energy_per_request_j"]
