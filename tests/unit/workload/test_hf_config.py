"""Hugging Face config.json frontend: schema validation, errors, parameters, family shapes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from hwsim.errors import WorkloadError
from hwsim.workload import DecoderWorkload, Workload, load_workload
from hwsim.workload.frontends.hf_config import load_hf_config

TINY_LLAMA: dict[str, Any] = {
    "model_type": "llama",
    "hidden_size": 64,
    "intermediate_size": 160,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "num_key_value_heads": 2,
    "vocab_size": 100,
    "rms_norm_eps": 1e-5,
    "tie_word_embeddings": False,
    "rope_scaling": {"type": "linear", "factor": 2.0},  # ignored
    "architectures": ["LlamaForCausalLM"],
}
TINY_BERT: dict[str, Any] = {
    "model_type": "bert",
    "hidden_size": 32,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "intermediate_size": 64,
    "vocab_size": 50,
    "max_position_embeddings": 200,
    "type_vocab_size": 2,
}


def _write(tmp_path: Path, cfg: Any, name: str = "config.json") -> Path:
    p = tmp_path / name
    p.write_text(json.dumps(cfg) if not isinstance(cfg, str) else cfg)
    return p


def _error(path: Path, **params: Any) -> str:
    with pytest.raises(WorkloadError) as exc:
        load_hf_config(path, **params)
    msg = str(exc.value)
    assert "\n" not in msg
    return msg


# ---- errors --------------------------------------------------------------------------
def test_malformed_json_names_file_and_position(tmp_path: Path) -> None:
    p = _write(tmp_path, '{"model_type": "bert", "hidden_size": 7', "broken.json")
    msg = _error(p)
    assert "broken.json" in msg and "malformed JSON" in msg and "line 1" in msg


def test_non_object_json(tmp_path: Path) -> None:
    assert "JSON object" in _error(_write(tmp_path, [1, 2]))


def test_missing_model_type(tmp_path: Path) -> None:
    cfg = {k: v for k, v in TINY_BERT.items() if k != "model_type"}
    msg = _error(_write(tmp_path, cfg))
    assert "config.json" in msg and "model_type" in msg


def test_unknown_model_type_lists_supported(tmp_path: Path) -> None:
    msg = _error(_write(tmp_path, {**TINY_BERT, "model_type": "mamba"}))
    assert "'mamba'" in msg and "model_type" in msg and "llama" in msg


@pytest.mark.parametrize(
    ("cfg", "field"),
    [
        ({k: v for k, v in TINY_BERT.items() if k != "hidden_size"}, "hidden_size"),
        ({k: v for k, v in TINY_LLAMA.items() if k != "vocab_size"}, "vocab_size"),
        ({**TINY_LLAMA, "num_hidden_layers": 0}, "num_hidden_layers"),
        ({**TINY_LLAMA, "hidden_size": "wide"}, "hidden_size"),
        ({**TINY_LLAMA, "num_key_value_heads": 3}, "num_key_value_heads"),
        ({**TINY_LLAMA, "hidden_act": "mish"}, "hidden_act"),
        ({**TINY_BERT, "num_attention_heads": 5}, "num_attention_heads"),
        ({"model_type": "gpt2", "n_embd": 8, "n_layer": 1, "n_head": 2}, "n_positions"),
        ({"model_type": "distilbert", "dim": 8, "n_layers": 1, "n_heads": 2}, "hidden_dim"),
        ({"model_type": "vit", "hidden_size": 8, "num_hidden_layers": 1}, "num_attention_heads"),
    ],
)
def test_invalid_field_is_named(tmp_path: Path, cfg: dict[str, Any], field: str) -> None:
    msg = _error(_write(tmp_path, cfg, "model.json"))
    assert "model.json" in msg and f"'{field}'" in msg


def test_unknown_parameter_lists_the_accepted_ones(tmp_path: Path) -> None:
    msg = _error(_write(tmp_path, TINY_BERT), prompt_len=5)
    assert "prompt_len" in msg and "seq_len" in msg
    msg = _error(_write(tmp_path, TINY_LLAMA), seq_len=5)
    assert "seq_len" in msg and "prompt_len" in msg


@pytest.mark.parametrize(
    ("params", "needle"),
    [
        ({"seq_len": 0}, "seq_len"),
        ({"seq_len": 201}, "max_position_embeddings"),
        ({"seq_len": "long"}, "integer"),
        ({"batch": 0}, "batch"),
        ({"dtype": "fp13"}, "fp13"),
    ],
)
def test_invalid_encoder_parameters(tmp_path: Path, params: dict[str, Any], needle: str) -> None:
    assert needle in _error(_write(tmp_path, TINY_BERT), **params)


def test_invalid_kv_dtype(tmp_path: Path) -> None:
    assert "kv_dtype" in _error(_write(tmp_path, TINY_LLAMA), kv_dtype="int3")


def test_missing_file(tmp_path: Path) -> None:
    assert "cannot read" in _error(tmp_path / "nope.json")


# ---- parameters and defaults -------------------------------------------------------
def test_name_from_model_folder_or_stem(tmp_path: Path) -> None:
    folder = tmp_path / "tiny-llama"
    folder.mkdir()
    assert load_hf_config(_write(folder, TINY_LLAMA)).name == "tiny-llama"
    assert load_hf_config(_write(tmp_path, TINY_BERT, "bert-tiny.json")).name == "bert-tiny"


def test_load_workload_dispatches_json_files(tmp_path: Path) -> None:
    w = load_workload(str(_write(tmp_path, TINY_BERT, "b.json")), seq_len=16, batch=None)
    assert isinstance(w, Workload)
    assert w.params_used == {"seq_len": 16, "batch": 1, "dtype": "fp32"}


def test_dtype_defaults_to_torch_dtype(tmp_path: Path) -> None:
    w = load_hf_config(_write(tmp_path, {**TINY_LLAMA, "torch_dtype": "bfloat16"}))
    assert isinstance(w, DecoderWorkload)
    assert (w.weight_dtype, w.act_dtype, w.kv_dtype) == ("bf16", "bf16", "bf16")
    w = load_hf_config(_write(tmp_path, TINY_LLAMA), dtype="w8a16")
    assert isinstance(w, DecoderWorkload)
    assert (w.weight_dtype, w.act_dtype, w.kv_dtype) == ("int8", "fp16", "fp16")
    b = load_hf_config(_write(tmp_path, TINY_BERT))
    assert isinstance(b, Workload) and b.act_dtype == "fp32"


def test_kv_heads_default_to_heads_and_head_dim_override(tmp_path: Path) -> None:
    mha = {k: v for k, v in TINY_LLAMA.items() if k != "num_key_value_heads"}
    w = load_hf_config(_write(tmp_path, mha), dtype="fp16")
    assert isinstance(w, DecoderWorkload)
    assert w.kv_bytes_per_token == 2 * 2 * 4 * 16 * 2  # layers, K+V, heads, head_dim, bytes
    wide = load_hf_config(_write(tmp_path, {**TINY_LLAMA, "head_dim": 32}), dtype="fp16")
    assert isinstance(wide, DecoderWorkload)
    assert wide.kv_bytes_per_token == 2 * 2 * 2 * 32 * 2
    q_proj = next(op for op in wide.prefill().ops if op.name == "layers.0.q_proj")
    assert q_proj.params == 64 * 4 * 32


def test_llama_param_count_by_hand(tmp_path: Path) -> None:
    d, i, layers, v, kv = 64, 160, 2, 100, 2 * 16
    per_layer = d * d + 2 * d * kv + d * d + 3 * d * i + 2 * d
    untied = load_hf_config(_write(tmp_path, TINY_LLAMA))
    assert isinstance(untied, DecoderWorkload)
    assert untied.prefill().params == layers * per_layer + d + 2 * v * d
    tied = load_hf_config(_write(tmp_path, {**TINY_LLAMA, "tie_word_embeddings": True}))
    assert isinstance(tied, DecoderWorkload)
    assert tied.prefill().params == layers * per_layer + d + v * d


def test_llama_swiglu_mlp_structure(tmp_path: Path) -> None:
    w = load_hf_config(_write(tmp_path, TINY_LLAMA))
    assert isinstance(w, DecoderWorkload)
    layer0 = [op for op in w.decode_step(3).ops if op.name.startswith("layers.0.")]
    kinds = [op.name.split(".", 2)[2] for op in layer0]
    assert kinds == [
        "attn_norm",
        "q_proj",
        "k_proj",
        "v_proj",
        "rope_q",
        "rope_k",
        "attn",
        "o_proj",
        "attn_residual",
        "mlp_norm",
        "gate_proj",
        "up_proj",
        "act",
        "gate_mul",
        "down_proj",
        "mlp_residual",
    ]
    act = next(op for op in layer0 if op.name.endswith(".act"))
    assert act.op_type == "silu"


def test_bert_param_count_by_hand(tmp_path: Path) -> None:
    d, i, layers, v, pos, types = 32, 64, 2, 50, 200, 2
    layer = 4 * (d * d + d) + (d * i + i) + (i * d + d) + 4 * d
    embeddings = (v + pos + types) * d + 2 * d
    pooler = d * d + d
    w = load_hf_config(_write(tmp_path, TINY_BERT), seq_len=8)
    assert w.params == embeddings + layers * layer + pooler


def test_distilbert_has_no_token_types_and_no_pooler(tmp_path: Path) -> None:
    cfg = {
        "model_type": "distilbert",
        "dim": 32,
        "n_layers": 2,
        "n_heads": 4,
        "hidden_dim": 64,
        "vocab_size": 50,
        "max_position_embeddings": 40,
    }
    w = load_hf_config(_write(tmp_path, cfg), seq_len=8)
    assert isinstance(w, Workload)
    names = {op.name for op in w.ops}
    assert "token_type_embeddings" not in names and not any("pooler" in n for n in names)
    d, i = 32, 64
    layer = 4 * (d * d + d) + (d * i + i) + (i * d + d) + 4 * d
    assert w.params == (50 + 40) * d + 2 * d + 2 * layer


def test_gpt2_structure(tmp_path: Path) -> None:
    cfg = {
        "model_type": "gpt2",
        "n_embd": 32,
        "n_layer": 2,
        "n_head": 4,
        "n_positions": 64,
        "vocab_size": 90,
    }
    w = load_hf_config(_write(tmp_path, cfg), prompt_len=10, gen_len=5)
    assert isinstance(w, DecoderWorkload)
    pre = w.prefill()
    d = 32
    layer = 4 * (d * d + d) + (d * 4 * d + 4 * d) + (4 * d * d + d) + 4 * d
    assert pre.params == (90 + 64) * d + 2 * layer + 2 * d
    assert {op.op_type for op in pre.ops} >= {"layernorm", "gelu_tanh", "embedding"}
    assert not any(op.op_type == "rope" for op in pre.ops)


def test_vit_num_labels_from_config(tmp_path: Path) -> None:
    cfg = {
        "model_type": "vit",
        "hidden_size": 32,
        "num_hidden_layers": 1,
        "num_attention_heads": 4,
        "intermediate_size": 64,
        "image_size": 32,
        "patch_size": 8,
    }
    default = load_hf_config(_write(tmp_path, cfg))
    assert isinstance(default, Workload)
    assert default.tensors[default.outputs[0]].shape == (1, 1000)
    labels = {str(i): f"class{i}" for i in range(7)}
    seven = load_hf_config(_write(tmp_path, {**cfg, "id2label": labels}))
    assert isinstance(seven, Workload)
    assert seven.tensors[seven.outputs[0]].shape == (1, 7)
    assert "patch_size" in _error(_write(tmp_path, cfg), resolution=36)


def test_extra_keys_are_ignored(tmp_path: Path) -> None:
    cfg = {**TINY_BERT, "some_future_key": {"nested": [1, 2]}, "layer_norm_eps": 1e-12}
    assert load_hf_config(_write(tmp_path, cfg)).params > 0
