"""Built-in Transformers: parameter counts against published figures, hand-derived MACs,
KV-cache sizes, GQA and sliding-window behaviour."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from hwsim.resources import builtin_dir
from hwsim.workload import DecoderWorkload, Workload, builtin_workloads, load_workload
from hwsim.workload.builder import ROPE_OPS_PER_ELEMENT, causal_scores
from hwsim.workload.frontends.hf_config import load_hf_config
from tests.unit.refdata import reference_file

REFERENCE = reference_file("models.csv")

ENCODERS = ("bert-base", "bert-large", "distilbert", "vit-b-16")
DECODERS = ("gpt2", "llama-2-7b", "llama-3-8b", "mistral-7b")


def _reference_rows() -> list[dict[str, str]]:
    with REFERENCE.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _reference(model: str, column: str) -> float:
    for row in _reference_rows():
        if row["model"] == model and row[column]:
            return float(row[column])
    pytest.fail(f"no {column} for {model} in {REFERENCE}")


def _params(name: str) -> int:
    w = load_workload(name)
    return w.prefill().params if isinstance(w, DecoderWorkload) else w.params


def _ops(w: Workload, op_type: str) -> list:
    return [op for op in w.ops if op.op_type == op_type]


# Published figures: tests/data/reference/models.csv (sources in its "source"/"locator" columns:
# Devlin et al. 2019 for BERT, GPT-2 release notes, torchvision model table for ViT-B/16,
# llama.cpp llama-bench for Llama-2-7B, Meta Llama 3 model card for Llama-3-8B).
PARAM_CASES = [
    ("bert-base", "BERT-base", 0.01),
    # The paper rounds to "340M"; HF BertModel (with pooler) has 335.1M, 1.4 % below. The
    # paper's figure is two significant digits (335M..345M), so 1.5 % is the honest bound.
    ("bert-large", "BERT-large", 0.015),
    ("gpt2", "GPT-2 small", 0.01),
    ("vit-b-16", "ViT-B/16", 0.01),
    ("llama-2-7b", "Llama-2-7B", 0.01),
    ("llama-3-8b", "Llama-3-8B", 0.01),
]


@pytest.mark.parametrize(("name", "model", "tol"), PARAM_CASES)
def test_params_match_published(name: str, model: str, tol: float) -> None:
    expected = _reference(model, "params")
    assert _params(name) == pytest.approx(expected, rel=tol)


def test_exact_param_counts_of_hf_models() -> None:
    # Counted by hand from the architectures (equal to HF's sum of parameter sizes).
    assert _params("bert-base") == 109_482_240
    assert _params("bert-large") == 335_141_888
    assert _params("distilbert") == 66_362_880
    assert _params("gpt2") == 124_439_808
    assert _params("vit-b-16") == 86_567_656  # torchvision vit_b_16: 86,567,656
    assert _params("llama-2-7b") == 6_738_415_616
    assert _params("llama-3-8b") == 8_030_261_248
    assert _params("mistral-7b") == 7_241_732_096


def test_vit_macs_match_torchvision_gflops() -> None:
    # torchvision's "GFLOPS" column (17.56 for vit_b_16) counts multiply-adds: compare MACs.
    expected = _reference("ViT-B/16", "compute")
    w = load_workload("vit-b-16")
    assert w.macs == pytest.approx(expected, rel=0.02)
    # and by hand: patch conv + 12 x (qkv, scores, AV, proj, MLP) + head, 197 tokens
    s, d, i = 197, 768, 3072
    layer = s * 3 * d * d + 2 * s * s * d + s * d * d + 2 * s * d * i
    assert w.macs == 196 * d * 3 * 16 * 16 + 12 * layer + d * 1000


def test_bert_base_macs_by_hand() -> None:
    s, d, i, layers = 128, 768, 3072, 12
    per_layer = s * (4 * d * d + 2 * d * i) + 2 * s * s * d
    w = load_workload("bert-base", seq_len=s)
    assert w.macs == layers * per_layer + d * d  # + pooler


def test_llama2_decode_step_macs_are_weights_plus_attention() -> None:
    d, inter, layers, heads, hd, vocab = 4096, 11008, 32, 32, 128, 32000
    kv_len = 1000
    w = load_workload("llama-2-7b")
    step = w.decode_step(kv_len)
    norm_params = (2 * layers + 1) * d
    embedding = vocab * d
    # one token: every weight but the embedding table and the norms is one MAC; the LM head
    # is its own matrix here (untied)
    weight_macs = step.params - embedding - norm_params
    attention = layers * 2 * heads * hd * (kv_len + 1)  # QK^T and AV over the cache + itself
    assert step.macs == weight_macs + attention
    assert weight_macs == layers * (4 * d * d + 3 * d * inter) + d * vocab


def test_decode_step_reads_the_kv_cache_and_writes_one_token() -> None:
    w = load_workload("llama-2-7b", batch=2)
    step = w.decode_step(300)
    attn = _ops(step, "attention")
    assert sum(op.state_read_bytes for op in attn) == 2 * 300 * w.kv_bytes_per_token
    assert sum(op.state_write_bytes for op in attn) == 2 * 1 * w.kv_bytes_per_token


def test_prefill_writes_the_prompt_into_the_kv_cache() -> None:
    w = load_workload("llama-3-8b", prompt_len=200)
    pre = w.prefill()
    attn = _ops(pre, "attention")
    assert sum(op.state_read_bytes for op in attn) == 0
    assert sum(op.state_write_bytes for op in attn) == 200 * w.kv_bytes_per_token
    # logits only for the last prompt token
    head = next(op for op in pre.ops if op.name == "lm_head")
    assert head.macs == 4096 * 128256


def test_llama2_kv_cache_at_4096_tokens_is_2_gib() -> None:
    w = load_workload("llama-2-7b", dtype="fp16")
    assert w.kv_bytes_per_token == 32 * 2 * 32 * 128 * 2
    assert w.kv_cache_bytes(4096) == 2 * 2**30
    step = w.decode_step(4096)
    assert step.state_bytes == 2 * 2**30


def test_int8_kv_cache_halves_kv_bytes() -> None:
    fp16 = load_workload("llama-2-7b")
    int8 = load_workload("llama-2-7b", kv_dtype="int8")
    assert int8.kv_bytes_per_token == fp16.kv_bytes_per_token / 2
    assert int8.act_dtype == "fp16" and int8.kv_dtype == "int8"
    assert int8.decode_step(512).state_bytes == fp16.decode_step(512).state_bytes / 2


def test_gqa_llama3_kv_is_4x_smaller_than_mha(tmp_path: Path) -> None:
    raw = json.loads((builtin_dir("workloads") / "llama-3-8b.json").read_text())
    assert raw["num_attention_heads"] == 4 * raw["num_key_value_heads"]
    mha_cfg = tmp_path / "llama-3-8b-mha.json"
    mha_cfg.write_text(json.dumps({**raw, "num_key_value_heads": raw["num_attention_heads"]}))
    gqa = load_workload("llama-3-8b")
    mha = load_hf_config(mha_cfg)
    assert isinstance(mha, DecoderWorkload)
    assert mha.kv_bytes_per_token == 4 * gqa.kv_bytes_per_token
    assert gqa.kv_bytes_per_token == 32 * 2 * 8 * 128 * 2
    # same attention MACs (queries unchanged), 4x fewer bytes read from the cache
    g_step, m_step = gqa.decode_step(2048), mha.decode_step(2048)
    g_attn, m_attn = _ops(g_step, "attention"), _ops(m_step, "attention")
    assert sum(op.macs for op in g_attn) == sum(op.macs for op in m_attn)
    assert m_step.state_bytes == 4 * g_step.state_bytes


def test_encoder_attention_grows_with_seq_len_squared() -> None:
    def attention_macs(seq: int) -> int:
        w = load_workload("bert-base", seq_len=seq)
        return sum(op.macs for op in _ops(w, "attention"))

    assert attention_macs(256) == 4 * attention_macs(128)
    # the linear layers grow only linearly
    small, big = load_workload("bert-base", seq_len=128), load_workload("bert-base", seq_len=256)
    lin = [sum(op.macs for op in _ops(w, "linear")) for w in (small, big)]
    assert lin[1] == pytest.approx(2 * lin[0], rel=0.01)


def test_causal_prefill_attention_grows_about_4x_when_prompt_doubles() -> None:
    def attention_macs(prompt: int) -> int:
        pre = load_workload("gpt2", prompt_len=prompt).prefill()
        return sum(op.macs for op in _ops(pre, "attention"))

    s = 256
    ratio = attention_macs(2 * s) / attention_macs(s)
    assert ratio == pytest.approx(4, rel=0.01)
    assert ratio == pytest.approx(2 * (2 * s + 1) / (s + 1))  # exact: S(S+1)/2 scores per head


def test_gpt2_tied_head_counts_params_once_but_reads_the_matrix() -> None:
    w = load_workload("gpt2")
    step = w.decode_step(10)
    head = next(op for op in step.ops if op.name == "lm_head")
    assert head.params == 0
    assert head.weights_read == 50257 * 768 * 4
    emb = next(op for op in step.ops if op.name == "embed_tokens")
    assert emb.params == 50257 * 768


def test_gpt2_context_is_limited_by_learned_positions() -> None:
    from hwsim.errors import WorkloadError

    with pytest.raises(WorkloadError, match="n_positions"):
        load_workload("gpt2", prompt_len=1000, gen_len=100)
    with pytest.raises(WorkloadError, match="learned positions"):
        load_workload("gpt2").decode_step(1024)


def test_rope_counts_three_ops_per_q_and_k_element() -> None:
    step = load_workload("llama-3-8b").decode_step(7)
    rope = _ops(step, "rope")
    assert len(rope) == 2 * 32
    per_layer = (32 + 8) * 128 * ROPE_OPS_PER_ELEMENT  # q (32 heads) and k (8 heads), 1 token
    assert sum(op.vector_ops for op in rope) == 32 * per_layer


def test_mistral_sliding_window_caps_attention() -> None:
    w = load_workload("mistral-7b")

    def attn(step: Workload) -> tuple[int, float]:
        ops = _ops(step, "attention")
        return sum(op.macs for op in ops), sum(op.state_read_bytes for op in ops)

    inside = attn(w.decode_step(1000))
    at_window = attn(w.decode_step(4095))
    beyond = attn(w.decode_step(10_000))
    assert at_window == beyond  # a query sees at most 4096 keys, itself included
    assert beyond[0] == 32 * 2 * 32 * 128 * 4096
    assert beyond[1] == 4095 * w.kv_bytes_per_token
    assert inside[0] == 32 * 2 * 32 * 128 * 1001
    # Llama-3-8B (same attention shape, no window) keeps growing
    llama = load_workload("llama-3-8b")
    assert attn(llama.decode_step(10_000))[0] > beyond[0]


def test_mistral_long_prefill_counts_banded_scores() -> None:
    pre = load_workload("mistral-7b", prompt_len=5000, gen_len=0).prefill()
    attn = _ops(pre, "attention")[0]
    assert attn.macs == 2 * 32 * 128 * causal_scores(0, 5000, 4096)
    assert causal_scores(0, 5000, 4096) == 4096 * 4097 // 2 + (5000 - 4096) * 4096


def test_batch_scales_compute_and_dtype_scales_bytes() -> None:
    one, four = load_workload("bert-base"), load_workload("bert-base", batch=4)
    assert four.macs == 4 * one.macs
    assert four.params == one.params
    half = load_workload("bert-base", dtype="fp16")
    assert half.weight_bytes == 2 * half.params
    assert one.weight_bytes == 4 * one.params
    w4 = load_workload("llama-2-7b", dtype="w4a16")
    assert w4.weight_dtype == "int4" and w4.kv_dtype == "fp16"
    assert w4.prefill().weight_bytes == w4.prefill().params / 2


def test_vit_resolution_changes_tokens_not_params() -> None:
    base, big = load_workload("vit-b-16"), load_workload("vit-b-16", resolution=384)
    assert big.params == base.params
    attn = _ops(big, "attention")[0]
    assert attn.gemm is not None and attn.gemm.m == 577  # (384/16)^2 + class token


def test_builtins_are_registered_with_contract_parameters() -> None:
    entries = builtin_workloads()
    for name in ENCODERS:
        assert entries[name].family == "encoder"
        extra = {"resolution"} if name == "vit-b-16" else {"seq_len", "unpadded_len"}
        assert set(entries[name].defaults) == {"batch", "dtype", *extra}
    for name in DECODERS:
        assert entries[name].family == "decoder"
        assert set(entries[name].defaults) == {
            "batch",
            "dtype",
            "prompt_len",
            "gen_len",
            "kv_dtype",
        }
    assert entries["bert-base"].defaults["seq_len"] == 128
    assert entries["gpt2"].defaults["prompt_len"] == 512
    assert entries["gpt2"].defaults["gen_len"] == 128


@pytest.mark.parametrize("name", ENCODERS)
def test_encoders_are_workloads(name: str) -> None:
    w = load_workload(name)
    assert isinstance(w, Workload)
    assert w.family == "encoder"
    assert w.peak_activation_bytes > 0


@pytest.mark.parametrize("name", DECODERS)
def test_decoders_have_prefill_and_decode(name: str) -> None:
    w = load_workload(name, prompt_len=64, gen_len=16)
    assert isinstance(w, DecoderWorkload)
    assert w.family == "decoder"
    pre, step = w.prefill(), w.decode_step(64)
    assert pre.params == step.params
    assert pre.macs > step.macs > 0
    assert w.kv_cache_bytes() == 80 * w.kv_bytes_per_token


def test_causal_scores_matches_brute_force() -> None:
    for cached in range(5):
        for new in range(1, 6):
            for window in (None, 1, 2, 4, 7):
                brute = sum(
                    cached + i + 1 if window is None else min(cached + i + 1, window)
                    for i in range(new)
                )
                assert causal_scores(cached, new, window) == brute
