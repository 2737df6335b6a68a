"""Model coverage: new LLM families, MoE, quantised formats, tensor-parallel shards.

Published figures (sources in the comments) are the expected values; structural checks
derive theirs by hand from the config.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from hwsim.errors import WorkloadError
from hwsim.workload import DecoderWorkload, load_workload
from hwsim.workload.frontends.hf_config import load_hf_config

# Published configs (values from each model's Hugging Face config.json).
QWEN2_7B: dict[str, Any] = {  # huggingface.co/Qwen/Qwen2-7B/blob/main/config.json
    "architectures": ["Qwen2ForCausalLM"],
    "hidden_act": "silu",
    "hidden_size": 3584,
    "intermediate_size": 18944,
    "max_position_embeddings": 131072,
    "max_window_layers": 28,
    "model_type": "qwen2",
    "num_attention_heads": 28,
    "num_hidden_layers": 28,
    "num_key_value_heads": 4,
    "rms_norm_eps": 1e-06,
    "rope_theta": 1000000.0,
    "sliding_window": 131072,
    "tie_word_embeddings": False,
    "torch_dtype": "bfloat16",
    "use_sliding_window": False,
    "vocab_size": 152064,
}
PHI3_MINI: dict[str, Any] = {  # huggingface.co/microsoft/Phi-3-mini-4k-instruct config.json
    "architectures": ["Phi3ForCausalLM"],
    "hidden_act": "silu",
    "hidden_size": 3072,
    "intermediate_size": 8192,
    "max_position_embeddings": 4096,
    "model_type": "phi3",
    "num_attention_heads": 32,
    "num_hidden_layers": 32,
    "num_key_value_heads": 32,
    "rms_norm_eps": 1e-05,
    "sliding_window": 2047,
    "tie_word_embeddings": False,
    "torch_dtype": "bfloat16",
    "vocab_size": 32064,
}
QWEN15_MOE: dict[str, Any] = {  # huggingface.co/Qwen/Qwen1.5-MoE-A2.7B config.json
    "model_type": "qwen2_moe",
    "hidden_size": 2048,
    "intermediate_size": 5632,
    "moe_intermediate_size": 1408,
    "shared_expert_intermediate_size": 5632,
    "num_experts": 60,
    "num_experts_per_tok": 4,
    "num_hidden_layers": 24,
    "num_attention_heads": 16,
    "num_key_value_heads": 16,
    "vocab_size": 151936,
    "max_position_embeddings": 8192,
    "tie_word_embeddings": False,
    "torch_dtype": "bfloat16",
}


def _write(tmp_path: Path, cfg: dict[str, Any], name: str = "config.json") -> Path:
    p = tmp_path / name
    p.write_text(json.dumps(cfg))
    return p


def _decoder(w: object) -> DecoderWorkload:
    assert isinstance(w, DecoderWorkload)
    return w


# ---- published parameter counts ---------------------------------------------------------
@pytest.mark.parametrize(
    ("cfg", "published", "tol"),
    [
        (QWEN2_7B, 7.62e9, 0.005),  # Qwen2-7B model card: 7.62B
        (PHI3_MINI, 3.8e9, 0.01),  # Phi-3 technical report (arXiv 2404.14219): 3.8B
        (PHI3_MINI, 3.82e9, 0.005),  # Hugging Face model page: 3.82B
    ],
)
def test_config_params_match_published(
    tmp_path: Path, cfg: dict[str, Any], published: float, tol: float
) -> None:
    w = _decoder(load_hf_config(_write(tmp_path, cfg), gen_len=1))
    assert w.prefill().params == pytest.approx(published, rel=tol)


@pytest.mark.parametrize(
    ("name", "published_total", "published_active"),
    [
        # mistral.ai/news/mixtral-of-experts: 46.7B total, 12.9B used per token
        ("mixtral-8x7b", 46.7e9, 12.9e9),
        ("llama-2-13b", 13.0e9, 13.0e9),  # HF model page: 13B (13.0B)
        ("llama-2-70b", 69.0e9, 69.0e9),  # HF model page: 69B
        ("llama-3-70b", 70.6e9, 70.6e9),  # HF model page: 70.6B
        ("qwen2-7b", 7.62e9, 7.62e9),
        ("phi-3-mini", 3.82e9, 3.82e9),
        ("gemma-2-9b", 9.24e9, 9.24e9),  # HF model page: 9.24B
    ],
)
def test_builtin_params_match_published(
    name: str, published_total: float, published_active: float
) -> None:
    g = _decoder(load_workload(name, gen_len=1)).prefill()
    assert g.params == pytest.approx(published_total, rel=0.01)
    assert g.active_params == pytest.approx(published_active, rel=0.01)


def test_qwen_moe_total_and_active_match_published(tmp_path: Path) -> None:
    # Qwen1.5-MoE-A2.7B model card: 14.3B total, 2.7B activated.
    g = _decoder(load_hf_config(_write(tmp_path, QWEN15_MOE), gen_len=1)).prefill()
    assert g.params == pytest.approx(14.3e9, rel=0.01)
    assert g.active_params == pytest.approx(2.7e9, rel=0.01)


# ---- MoE ---------------------------------------------------------------------------------
def _expert_read(w: Any) -> float:
    return sum(op.weights_read for op in w.ops if dict(op.attrs).get("experts"))


def _expert_bytes(w: Any) -> float:
    return sum(op.weight_bytes for op in w.ops if dict(op.attrs).get("experts"))


def test_mixtral_decode_batch1_reads_only_the_two_routed_experts() -> None:
    w = _decoder(load_workload("mixtral-8x7b", prompt_len=16, gen_len=2))
    step = w.decode_step(16)
    # top-2 of 8 experts: a quarter of the expert weights are read per token.
    assert _expert_read(step) == pytest.approx(_expert_bytes(step) * 2 / 8)
    # per layer: 2 experts x 3 matrices x 4096 x 14336 MACs for one token
    experts_macs = sum(op.macs for op in step.ops if dict(op.attrs).get("experts"))
    assert experts_macs == 32 * 2 * 3 * 4096 * 14336


def test_moe_batch_touches_more_experts_by_the_uniform_routing_formula() -> None:
    w = _decoder(load_workload("mixtral-8x7b", batch=4, prompt_len=16, gen_len=2))
    step = w.decode_step(16)
    # 4 tokens, top-2 of 8: expected distinct experts = 8 (1 - (6/8)^4)
    expected = 8 * (1 - (6 / 8) ** 4)
    assert _expert_read(step) == pytest.approx(_expert_bytes(step) * expected / 8)


# ---- family structure ---------------------------------------------------------------------
def test_qwen2_has_qkv_biases_but_no_output_bias(tmp_path: Path) -> None:
    cfg = {**QWEN2_7B, "num_hidden_layers": 1, "vocab_size": 10}
    g = _decoder(load_hf_config(_write(tmp_path, cfg), gen_len=1)).prefill()
    p = {op.name: op.params for op in g.ops}
    assert p["layers.0.q_proj"] == 3584 * 3584 + 3584
    assert p["layers.0.k_proj"] == 3584 * 512 + 512
    assert p["layers.0.o_proj"] == 3584 * 3584


def test_gemma2_windows_every_other_layer_and_has_four_norms(tmp_path: Path) -> None:
    cfg = json.loads(Path("workloads/gemma-2-9b.json").read_text())
    cfg.update(num_hidden_layers=2, vocab_size=16, max_position_embeddings=8192)
    w = _decoder(load_hf_config(_write(tmp_path, cfg), prompt_len=6000, gen_len=1))
    g = w.prefill()
    attn = {op.name: dict(op.attrs) for op in g.ops if op.op_type == "attention"}
    assert attn["layers.0.attn"].get("window") == 4096
    assert "window" not in attn["layers.1.attn"]
    norms = [op for op in g.ops if op.op_type == "rmsnorm" and op.name.startswith("layers.0.")]
    assert len(norms) == 4
    assert any(op.name == "embed_scale" for op in g.ops)  # x sqrt(D)


def test_falcon_parallel_block_counts_by_hand(tmp_path: Path) -> None:
    # Falcon-7B shape, 1 layer: MQA (1 KV head of 64), parallel attention + MLP, no biases,
    # one shared LayerNorm (weight + bias), tied embeddings.
    cfg = {
        "model_type": "falcon",
        "hidden_size": 4544,
        "num_attention_heads": 71,
        "num_hidden_layers": 1,
        "vocab_size": 65024,
        "multi_query": True,
        "parallel_attn": True,
        "bias": False,
    }
    g = _decoder(load_hf_config(_write(tmp_path, cfg), gen_len=1)).prefill()
    d = 4544
    layer = d * d + 2 * d * 64 + d * d + 2 * d * 4 * d + 2 * d
    assert g.params == 65024 * d + layer + 2 * d
    # Falcon-7B (32 layers): 6.92B (HF model page "7B"; safetensors 6.92B)
    cfg["num_hidden_layers"] = 32
    g32 = _decoder(load_hf_config(_write(tmp_path, cfg), gen_len=1)).prefill()
    assert g32.params == pytest.approx(6.92e9, rel=0.005)


def test_unknown_model_type_lists_the_supported_ones(tmp_path: Path) -> None:
    p = _write(tmp_path, {"model_type": "mamba"})
    with pytest.raises(WorkloadError) as exc:
        load_hf_config(p)
    msg = str(exc.value)
    assert "\n" not in msg and "'mamba'" in msg
    for family in ("qwen2", "phi3", "gemma2", "mixtral", "qwen2_moe", "falcon", "llama"):
        assert family in msg


def test_a_snapshot_folder_loads_its_config(tmp_path: Path) -> None:
    folder = tmp_path / "Qwen2-7B"
    folder.mkdir()
    _write(folder, QWEN2_7B)
    w = _decoder(load_workload(str(folder), gen_len=1))
    assert w.name == "Qwen2-7B"
    assert w.prefill().params == pytest.approx(7.62e9, rel=0.005)


# ---- quantised formats ---------------------------------------------------------------------
@pytest.mark.parametrize(
    ("dtype", "bits"),
    [
        ("q4_0", 4.5),  # 32 x 4 bit + fp16 scale
        ("q4_k", 4.5),  # 256-weight super-block: 144 bytes
        ("q8_0", 8.5),  # 32 x 8 bit + fp16 scale
        ("int4-g128", 4 + 20 / 128),  # 4 bit + fp16 scale and 4-bit zero per 128
        ("nvfp4", 4.5),  # E2M1 + FP8 scale per 16
        ("mxfp4", 4.25),  # E2M1 + E8M0 scale per 32
    ],
)
def test_block_formats_count_their_scales(dtype: str, bits: float) -> None:
    g = _decoder(load_workload("llama-2-7b", dtype=dtype, gen_len=1)).prefill()
    # every weight (embeddings and LM head included) stored in the format
    assert g.weight_bytes == pytest.approx(g.params * bits / 8, rel=0.01)
    mac_ops = [op for op in g.ops if op.macs]
    assert {op.compute_dtype for op in mac_ops} == {"fp16"}  # dequantised for the MACs


def test_q4_0_llama2_7b_bytes_are_params_times_4_5_bits() -> None:
    g = _decoder(load_workload("llama-2-7b", dtype="q4_0", gen_len=1)).prefill()
    assert g.weight_bytes == pytest.approx(6.74e9 * 4.5 / 8, rel=0.01)


def test_fp8_kv_cache_halves_the_fp16_cache() -> None:
    a = _decoder(load_workload("llama-2-7b", gen_len=1))
    b = _decoder(load_workload("llama-2-7b", gen_len=1, kv_dtype="fp8"))
    assert b.kv_cache_bytes() == pytest.approx(a.kv_cache_bytes() / 2)


# ---- tensor-parallel shards ---------------------------------------------------------------
SHARDED = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")


@pytest.mark.parametrize("tp", [2, 4, 8])
def test_tp_shard_holds_one_tp_th_of_the_sharded_weights(tp: int) -> None:
    w = _decoder(load_workload("llama-2-70b", prompt_len=8, gen_len=1))
    full = w.prefill()
    shard = w.shard(tp).prefill()

    def sharded(g: Any) -> float:
        return sum(op.weight_bytes for op in g.ops if op.name.endswith(SHARDED))

    assert sharded(shard) == pytest.approx(sharded(full) / tp)
    # two all-reduces per layer + the embedding's, one all-gather of the logits
    kinds = [op.op_type for op in shard.ops if op.op_type in ("all_reduce", "all_gather")]
    assert kinds.count("all_reduce") == 2 * 80 + 1 and kinds.count("all_gather") == 1
    # KV cache per device: 8 KV heads over tp devices
    assert w.shard(tp).kv_bytes_per_token == pytest.approx(w.kv_bytes_per_token / tp)


def test_tp_beyond_kv_heads_replicates_them_and_bad_tp_names_the_parameter() -> None:
    w = _decoder(load_workload("llama-3-70b", prompt_len=8, gen_len=1))
    assert w.shard(16).kv_bytes_per_token == pytest.approx(w.kv_bytes_per_token / 8)
    with pytest.raises(WorkloadError, match="tp 3 must divide the 64 attention heads"):
        w.shard(3)


def test_pipeline_stages_split_layers_and_params() -> None:
    w = _decoder(load_workload("llama-2-13b", prompt_len=8, gen_len=1))
    stages = [w.shard(1, 4, s).prefill() for s in range(4)]
    assert sum(g.params for g in stages) == w.prefill().params
    layers = [
        {op.name.split(".")[1] for op in g.ops if op.name.startswith("layers.")} for g in stages
    ]
    assert [len(x) for x in layers] == [10, 10, 10, 10]


def test_a_run_says_where_block_formats_are_dequantised() -> None:
    import hwsim

    r = hwsim.simulate("llama-2-7b", "h100-sxm", dtype="q4_0", prompt_len=16, gen_len=2)
    assert any("dequantised" in w and "fp16" in w and "4.5 bits" in w for w in r.warnings)
    assert r.weight_bytes == pytest.approx(r.params * 4.5 / 8)


T5_SMALL: dict[str, Any] = {  # huggingface.co/google-t5/t5-small config.json
    "model_type": "t5",
    "d_model": 512,
    "d_kv": 64,
    "d_ff": 2048,
    "num_layers": 6,
    "num_heads": 8,
    "vocab_size": 32128,
    "relative_attention_num_buckets": 32,
    "feed_forward_proj": "relu",
    "is_encoder_decoder": True,
}


@pytest.mark.parametrize(
    ("changes", "published"),
    [
        ({}, 60.5e6),  # t5-small model page: 60.5M
        ({"d_model": 768, "d_ff": 3072, "num_layers": 12, "num_heads": 12}, 223e6),  # t5-base
    ],
)
def test_t5_params_match_published(
    tmp_path: Path, changes: dict[str, Any], published: float
) -> None:
    w = _decoder(load_hf_config(_write(tmp_path, {**T5_SMALL, **changes}), gen_len=2))
    assert w.prefill().params == pytest.approx(published, rel=0.005)


def test_t5_decode_reads_the_encoder_cache_and_its_own_tokens(tmp_path: Path) -> None:
    w = _decoder(load_hf_config(_write(tmp_path, T5_SMALL), prompt_len=100, gen_len=10))
    step = w.decode_step(100 + 4)  # fifth output token: 4 generated + the start token
    per_token = 2 * 8 * 64 * 4  # k and v, 8 heads x 64, fp32
    self_attn = [op for op in step.ops if op.name.endswith("self.attn")]
    cross = [op for op in step.ops if op.name.endswith("cross.attn")]
    assert len(self_attn) == len(cross) == 6
    assert self_attn[0].state_read_bytes == 5 * per_token
    assert cross[0].state_read_bytes == 100 * per_token
    assert w.kv_bytes_per_token == 6 * per_token
    # the prefill writes the encoder's k/v into every decoder layer's cross cache
    pre = w.prefill()
    writes = [op.state_write_bytes for op in pre.ops if op.name.endswith("cross.attn")]
    assert writes == [100 * per_token] * 6


# ---- expert parallelism ------------------------------------------------------------------
def test_busiest_device_load_by_hand() -> None:
    from hwsim.workload.frontends.hf_config import busiest_device_rows

    # one token, top-2 of 8 experts, one expert per device: the busiest device has 1 row
    assert busiest_device_rows(1, 8, 2, 8) == 1
    # two experts per device: both picks land on one device with probability
    # 4 x C(2,2) / C(8,2) = 1/7, so the expected maximum is 1 + 1/7 -> 1 row
    assert busiest_device_rows(1, 8, 2, 4) == 1
    # many tokens: the maximum approaches the mean T k / devices from above
    rows = busiest_device_rows(4096, 8, 2, 8)
    assert 1024 <= rows <= 1024 * 1.1


def test_ep_shard_holds_whole_experts_and_the_busiest_rows() -> None:
    w = _decoder(load_workload("mixtral-8x7b", batch=4, prompt_len=64, gen_len=2))
    tp_shard = w.shard(8).prefill()
    ep_shard = w.shard(8, ep=True).prefill()
    gate_tp = next(op for op in tp_shard.ops if op.name == "layers.0.experts.gate_proj")
    gate_ep = next(op for op in ep_shard.ops if op.name == "layers.0.experts.gate_proj")
    # TP: 8 experts of 14336/8 columns; EP: 1 expert of 14336 columns: same bytes
    assert gate_tp.params == 8 * 4096 * (14336 // 8)
    assert gate_ep.params == 1 * 4096 * 14336
    # EP rows: the busiest device's routed tokens (256 tokens x 2 / 8 devices = 64 on average)
    rows = ep_shard.tensors[gate_ep.inputs[0]].shape[0]
    assert 64 <= rows <= 64 * 1.5
    assert gate_ep.macs == rows * 4096 * 14336


def test_ep_needs_a_moe_model() -> None:
    w = _decoder(load_workload("llama-2-7b", gen_len=2))
    with pytest.raises(WorkloadError, match="`ep`"):
        w.shard(2, ep=True)
