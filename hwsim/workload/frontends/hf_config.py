"""Hugging Face ``config.json`` frontend: BERT, DistilBERT, ViT, GPT-2, Llama-like decoders
(Llama, Mistral, Qwen2, Phi-3, Gemma, Gemma-2), MoE (Mixtral, Qwen2-MoE), Falcon and T5.

The file is read as JSON and validated with pydantic (keys this frontend does not use are
ignored, as HF configs carry many); no ``transformers`` import, no network. The layer graph
of each family is lowered through :class:`~hwsim.workload.builder.GraphBuilder`, which owns
every count rule. Encoders (BERT, DistilBERT, ViT) give a :class:`Workload`; decoders (GPT-2,
Llama, Mistral) give a :class:`DecoderWorkload` with a prefill graph and decode steps.
Modelling choices are listed in docs/assumptions.md ("Transformers and frontends").
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TypeVar

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from hwsim.errors import WorkloadError
from hwsim.textio import MAX_YAML_BYTES, read_text, shorten
from hwsim.vocabulary import DTYPE_BYTES, parse_dtype
from hwsim.workload.builder import GraphBuilder
from hwsim.workload.frontend import register_frontend
from hwsim.workload.ir import DecoderWorkload, Workload
from hwsim.workload.lengths import DECODER_GEN_LEN, DECODER_PROMPT_LEN, ENCODER_SEQ_LEN

VIT_NUM_LABELS = 1000
"""Classifier width of ViT when the config has neither ``num_labels`` nor ``id2label``."""
MISTRAL_SLIDING_WINDOW = 4096
"""HF ``MistralConfig`` default ``sliding_window`` (tokens) when the key is absent."""

TORCH_DTYPES: dict[str, str] = {"float32": "fp32", "float16": "fp16", "bfloat16": "bf16"}
"""``torch_dtype`` of a config -> hwsim dtype (the default ``dtype`` of the workload)."""

HF_ACTIVATIONS: dict[str, str] = {
    "gelu": "gelu",
    "gelu_new": "gelu_tanh",
    "gelu_fast": "gelu_tanh",
    "gelu_pytorch_tanh": "gelu_tanh",
    "sigmoid": "sigmoid",
    "silu": "silu",
    "swish": "silu",
    "relu": "relu",
}
"""HF ``hidden_act`` / ``activation_function`` names -> builder activation kinds."""

IDS_DTYPE = "int32"  # token / position ids (their bytes are negligible)


# ---- config schemas ---------------------------------------------------------------------
class _HFConfig(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, protected_namespaces=())

    model_type: str = Field(description="HF architecture family, e.g. 'bert', 'llama'.")
    torch_dtype: str | None = Field(
        None, description="Checkpoint dtype (float32, float16, bfloat16): the default dtype."
    )


LLAMA_LIKE = ("llama", "mistral", "qwen2", "phi3", "gemma", "gemma2", "mixtral", "qwen2_moe")


class LlamaConfig(_HFConfig):
    """Llama-like ``config.json`` (decoder, RMSNorm, RoPE, gated MLP, GQA): Llama, Mistral,
    Qwen2 (q/k/v biases), Phi-3, Gemma and Gemma-2 (GeGLU, head_dim, tied, scaled
    embeddings; Gemma-2 sandwich norms and a window on every other layer), and the MoE
    families Mixtral and Qwen2-MoE (routed experts, Qwen2-MoE also a shared expert)."""

    model_type: Literal[
        "llama", "mistral", "qwen2", "phi3", "gemma", "gemma2", "mixtral", "qwen2_moe"
    ] = Field(description="Llama-like family.")
    hidden_size: int = Field(gt=0, description="Model width D.")
    intermediate_size: int = Field(gt=0, description="SwiGLU hidden width.")
    num_hidden_layers: int = Field(gt=0, description="Decoder layers.")
    num_attention_heads: int = Field(gt=0, description="Query heads.")
    num_key_value_heads: int | None = Field(
        None, gt=0, description="KV heads (GQA); default = num_attention_heads (MHA)."
    )
    head_dim: int | None = Field(None, gt=0, description="Per-head width; default D / heads.")
    vocab_size: int = Field(gt=0, description="Vocabulary size.")
    rms_norm_eps: float = Field(1e-6, description="RMSNorm epsilon (no effect on counts).")
    tie_word_embeddings: bool | None = Field(
        None, description="LM head shares the embedding matrix; default true for Gemma."
    )
    attention_bias: bool = Field(False, description="Biases on q/k/v/o projections.")
    mlp_bias: bool = Field(False, description="Biases on gate/up/down projections.")
    hidden_act: str = Field("silu", description="Activation of the gated MLP.")
    max_position_embeddings: int = Field(4096, gt=0, description="Trained context (tokens).")
    sliding_window: int | None = Field(
        None, gt=0, description="Sliding attention window (tokens); null = none."
    )
    use_sliding_window: bool = Field(False, description="Qwen2: whether the window is used.")
    hidden_activation: str | None = Field(None, description="Gemma: MLP activation.")
    num_local_experts: int | None = Field(None, gt=0, description="Mixtral: experts per layer.")
    num_experts: int | None = Field(None, gt=0, description="Qwen2-MoE: experts per layer.")
    num_experts_per_tok: int | None = Field(None, gt=0, description="MoE: top-k experts.")
    moe_intermediate_size: int | None = Field(
        None, gt=0, description="Qwen2-MoE: width of each routed expert."
    )
    shared_expert_intermediate_size: int | None = Field(
        None, ge=0, description="Qwen2-MoE: width of the shared expert (0 = none)."
    )
    decoder_sparse_step: int = Field(1, gt=0, description="Qwen2-MoE: every n-th layer is MoE.")
    mlp_only_layers: list[int] = Field(
        default_factory=list, description="Qwen2-MoE: layers with a dense MLP."
    )


class T5Config(_HFConfig):
    """T5 ``config.json`` (encoder-decoder, RMS-style LayerNorm, relative position buckets)."""

    model_type: Literal["t5"] = Field(description="'t5'.")
    d_model: int = Field(gt=0, description="Model width D.")
    d_kv: int = Field(gt=0, description="Per-head width.")
    d_ff: int = Field(gt=0, description="MLP width.")
    num_layers: int = Field(gt=0, description="Encoder layers.")
    num_decoder_layers: int | None = Field(
        None, gt=0, description="Decoder layers; default num_layers."
    )
    num_heads: int = Field(gt=0, description="Attention heads.")
    vocab_size: int = Field(gt=0, description="Vocabulary size (shared by both stacks).")
    relative_attention_num_buckets: int = Field(
        32, gt=0, description="Relative position buckets (a bias per bucket and head)."
    )
    feed_forward_proj: str = Field(
        "relu", description="'relu' (T5) or 'gated-gelu' (T5 v1.1, Flan-T5)."
    )
    tie_word_embeddings: bool = Field(True, description="LM head shares the embedding matrix.")


class FalconConfig(_HFConfig):
    """Falcon ``config.json`` (parallel attention + MLP, MQA or grouped KV, LayerNorm, RoPE)."""

    model_type: Literal["falcon"] = Field(description="'falcon'.")
    hidden_size: int = Field(gt=0, description="Model width D.")
    num_hidden_layers: int = Field(gt=0, description="Decoder layers.")
    num_attention_heads: int = Field(gt=0, description="Query heads.")
    num_kv_heads: int | None = Field(None, gt=0, description="KV heads (new architecture).")
    multi_query: bool = Field(True, description="One KV head (Falcon-7B).")
    new_decoder_architecture: bool = Field(
        False, description="Grouped KV heads and two input norms (Falcon-40B/180B)."
    )
    parallel_attn: bool = Field(True, description="Attention and MLP in parallel.")
    bias: bool = Field(False, description="Biases on the linear layers.")
    alibi: bool = Field(False, description="ALiBi positions (unsupported).")
    vocab_size: int = Field(gt=0, description="Vocabulary size.")
    ffn_hidden_size: int | None = Field(None, gt=0, description="MLP width; default 4 x D.")
    activation: str = Field("gelu", description="MLP activation.")
    max_position_embeddings: int = Field(2048, gt=0, description="Trained context (tokens).")
    tie_word_embeddings: bool = Field(True, description="LM head shares the embedding matrix.")


class GPT2Config(_HFConfig):
    """GPT-2 ``config.json`` (pre-LN decoder, learned positions, GELU-tanh MLP, tied head)."""

    model_type: Literal["gpt2"] = Field(description="'gpt2'.")
    n_embd: int = Field(gt=0, description="Model width D.")
    n_layer: int = Field(gt=0, description="Decoder layers.")
    n_head: int = Field(gt=0, description="Attention heads.")
    n_positions: int = Field(gt=0, description="Learned position table rows (max context).")
    vocab_size: int = Field(gt=0, description="Vocabulary size.")
    n_inner: int | None = Field(None, gt=0, description="MLP width; default 4 x n_embd.")
    activation_function: str = Field("gelu_new", description="MLP activation.")
    tie_word_embeddings: bool = Field(True, description="LM head shares wte.")


class BertConfig(_HFConfig):
    """BERT ``config.json`` (post-LN encoder, token-type embeddings, pooler)."""

    model_type: Literal["bert"] = Field(description="'bert'.")
    hidden_size: int = Field(gt=0, description="Model width D.")
    num_hidden_layers: int = Field(gt=0, description="Encoder layers.")
    num_attention_heads: int = Field(gt=0, description="Attention heads.")
    intermediate_size: int = Field(gt=0, description="MLP width.")
    vocab_size: int = Field(gt=0, description="Vocabulary size.")
    max_position_embeddings: int = Field(512, gt=0, description="Learned position rows.")
    type_vocab_size: int = Field(2, gt=0, description="Token-type (segment) rows.")
    hidden_act: str = Field("gelu", description="MLP activation.")


class DistilBertConfig(_HFConfig):
    """DistilBERT ``config.json`` (BERT layers, no token types, no pooler)."""

    model_type: Literal["distilbert"] = Field(description="'distilbert'.")
    dim: int = Field(gt=0, description="Model width D.")
    n_layers: int = Field(gt=0, description="Encoder layers.")
    n_heads: int = Field(gt=0, description="Attention heads.")
    hidden_dim: int = Field(gt=0, description="MLP width.")
    vocab_size: int = Field(gt=0, description="Vocabulary size.")
    max_position_embeddings: int = Field(512, gt=0, description="Learned position rows.")
    activation: str = Field("gelu", description="MLP activation.")


class ViTConfig(_HFConfig):
    """ViT ``config.json`` (patch conv, class token, pre-LN encoder, classifier)."""

    model_type: Literal["vit"] = Field(description="'vit'.")
    hidden_size: int = Field(gt=0, description="Model width D.")
    num_hidden_layers: int = Field(gt=0, description="Encoder layers.")
    num_attention_heads: int = Field(gt=0, description="Attention heads.")
    intermediate_size: int = Field(gt=0, description="MLP width.")
    image_size: int = Field(gt=0, description="Training resolution (pixels, square).")
    patch_size: int = Field(gt=0, description="Patch side (pixels).")
    num_channels: int = Field(3, gt=0, description="Input channels.")
    qkv_bias: bool = Field(True, description="Biases on q/k/v.")
    hidden_act: str = Field("gelu", description="MLP activation.")
    num_labels: int | None = Field(None, gt=0, description="Classifier outputs.")
    id2label: dict[str, str] | None = Field(None, description="Label names (their count).")


_SCHEMAS: dict[str, type[_HFConfig]] = {
    **dict.fromkeys(LLAMA_LIKE, LlamaConfig),
    "falcon": FalconConfig,
    "t5": T5Config,
    "gpt2": GPT2Config,
    "bert": BertConfig,
    "distilbert": DistilBertConfig,
    "vit": ViTConfig,
}

_C = TypeVar("_C", bound=_HFConfig)


# ---- entry point -----------------------------------------------------------------------
def load_hf_config(
    path: str | Path, /, *, name: str | None = None, **params: Any
) -> Workload | DecoderWorkload:
    """Workload from a Hugging Face ``config.json``: op graph with counts (MACs, params, bytes).

    Args:
        path: the config file.
        name: workload name; default the folder name for ``config.json``, else the file stem.
        **params: encoders ``seq_len`` (BERT, DistilBERT; default 128; with ``unpadded_len``,
            the samples' mean real length, the batch runs unpadded) or ``resolution``
            (ViT; default the config's ``image_size``); decoders ``prompt_len`` (512),
            ``gen_len`` (128), ``kv_dtype`` (default the activation dtype); all ``batch`` (1)
            and ``dtype`` (default the config's ``torch_dtype``, else fp32).

    Raises:
        WorkloadError: unreadable or malformed JSON, unknown ``model_type``, a missing or
            invalid field (named), or an unknown / invalid parameter.
    """
    path = Path(path)
    raw = _read_json(path)
    _check_sizes(raw, path)
    model_type = raw.get("model_type")
    if model_type is None:
        raise WorkloadError(f"{path}: field 'model_type' is missing")
    if not isinstance(model_type, str) or model_type not in _SCHEMAS:
        raise WorkloadError(
            f"{path}: field 'model_type': unsupported {shorten(model_type)}; supported: "
            f"{', '.join(sorted(_SCHEMAS))}"
        )
    if name is None:
        name = path.parent.name if path.name == "config.json" and path.parent.name else path.stem
    params = {k: v for k, v in params.items() if v is not None}
    cfg = _validate(_SCHEMAS[model_type], raw, path)
    if isinstance(cfg, LlamaConfig):
        window = cfg.sliding_window
        if cfg.model_type == "mistral" and "sliding_window" not in raw:
            window = MISTRAL_SLIDING_WINDOW
        return _decoder(_llama_arch(cfg, path, name, window), cfg, path, params)
    if isinstance(cfg, GPT2Config):
        return _decoder(_gpt2_arch(cfg, path, name), cfg, path, params)
    if isinstance(cfg, FalconConfig):
        return _decoder(_falcon_arch(cfg, path, name), cfg, path, params)
    if isinstance(cfg, T5Config):
        return _t5(cfg, path, name, params)
    if isinstance(cfg, BertConfig):
        return _bert(cfg, path, name, params)
    if isinstance(cfg, DistilBertConfig):
        return _distilbert(cfg, path, name, params)
    assert isinstance(cfg, ViTConfig)
    return _vit(cfg, path, name, params)


MAX_HF_LAYERS = 1_000
"""Most transformer layers a config may declare (the largest public models have ~130)."""
MAX_HF_SIZE = 10**8
"""Largest width, vocabulary, context or other count in a config."""
_LAYER_KEYS = ("num_hidden_layers", "n_layer", "n_layers", "num_layers", "num_decoder_layers")


def _check_sizes(raw: Mapping[str, Any], path: Path) -> None:
    """Bound the counts of a config before any graph is built (a 200,000-layer config is a
    one-line error, not minutes and gigabytes)."""
    for key, v in raw.items():
        if isinstance(v, bool) or not isinstance(v, int | float):
            continue
        if key in _LAYER_KEYS and v > MAX_HF_LAYERS:
            raise WorkloadError(
                f"{path}: field {key!r}: {v:.4g} layers is more than the limit of "
                f"{MAX_HF_LAYERS:,} (docs/limits.md)"
            )
        if abs(v) > MAX_HF_SIZE and not key.endswith(("_theta", "_eps", "_base")):
            raise WorkloadError(
                f"{path}: field {key!r}: {v:.4g} is larger than the limit of {MAX_HF_SIZE:.0e}"
            )


def _read_json(path: Path) -> dict[str, Any]:
    text = read_text(path, WorkloadError, max_bytes=MAX_YAML_BYTES)
    try:
        raw = json.loads(text)
    except RecursionError:
        raise WorkloadError(f"{path}: JSON nested too deeply") from None
    except json.JSONDecodeError as exc:
        raise WorkloadError(
            f"{path}: malformed JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"
        ) from None
    if not isinstance(raw, dict):
        raise WorkloadError(f"{path}: expected a JSON object, got {type(raw).__name__}")
    return raw


def _validate(schema: type[_C], raw: Mapping[str, Any], path: Path) -> _C:
    try:
        return schema.model_validate(raw)
    except ValidationError as exc:
        errors = exc.errors()
        first = errors[0]
        loc = ".".join(str(p) for p in first["loc"]) or "(root)"
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        raise WorkloadError(f"{path}: field {loc!r}: {first['msg']}{more}") from None


def _act(kind: str, path: Path, field: str) -> str:
    if kind not in HF_ACTIVATIONS:
        raise WorkloadError(
            f"{path}: field {field!r}: unsupported activation {kind!r}; supported: "
            f"{', '.join(sorted(HF_ACTIVATIONS))}"
        )
    return HF_ACTIVATIONS[kind]


def _head_dim(hidden: int, heads: int, path: Path, field: str) -> int:
    if hidden % heads:
        raise WorkloadError(f"{path}: field {field!r}: {hidden} is not divisible by {heads} heads")
    return hidden // heads


def _take_params(
    path: Path, model_type: str, params: dict[str, Any], defaults: dict[str, Any]
) -> dict[str, Any]:
    unknown = sorted(set(params) - set(defaults))
    if unknown:
        raise WorkloadError(
            f"{path}: a {model_type} config takes parameters {', '.join(sorted(defaults))}; "
            f"unknown: {', '.join(unknown)}"
        )
    out = {**defaults, **params}
    for key, value in out.items():
        if key in ("dtype", "kv_dtype"):
            if value is not None and not isinstance(value, str):
                raise WorkloadError(f"{path}: parameter {key} must be a dtype name, got {value!r}")
            continue
        if key == "unpadded_len":
            continue  # a mean (may be fractional), checked by _packed_segments
        if isinstance(value, bool) or not isinstance(value, int):
            raise WorkloadError(f"{path}: parameter {key} must be an integer, got {value!r}")
        low = 0 if key == "gen_len" else 1
        if value < low:
            raise WorkloadError(f"{path}: parameter {key} must be >= {low}, got {value}")
    return out


def _dtypes(cfg: _HFConfig, dtype: str | None) -> tuple[str, str, str]:
    """(dtype name, weight dtype, activation dtype); default from ``torch_dtype``."""
    if dtype is None:
        dtype = TORCH_DTYPES.get(cfg.torch_dtype or "", "fp32")
    wdt, adt = parse_dtype(dtype)
    return dtype, wdt, adt


# ---- encoders ----------------------------------------------------------------------------
def _encoder_layer(
    g: GraphBuilder,
    x: str,
    prefix: str,
    *,
    hidden: int,
    heads: int,
    inter: int,
    act: str,
    pre_norm: bool,
    qkv_bias: bool = True,
    segments: tuple[tuple[int, int], ...] | None = None,
) -> str:
    """One bidirectional encoder layer: attention + MLP, LayerNorm post (BERT) or pre (ViT)."""
    hd = hidden // heads
    h = g.layernorm(x, name=f"{prefix}.attn_norm") if pre_norm else x
    q = g.linear(h, hidden, bias=qkv_bias, name=f"{prefix}.q_proj")
    k = g.linear(h, hidden, bias=qkv_bias, name=f"{prefix}.k_proj")
    v = g.linear(h, hidden, bias=qkv_bias, name=f"{prefix}.v_proj")
    a = g.attention(
        q,
        k,
        v,
        heads=heads,
        kv_heads=heads,
        head_dim=hd,
        causal=False,
        segments=segments,
        name=f"{prefix}.attn",
    )
    o = g.linear(a, hidden, name=f"{prefix}.o_proj")
    x = g.add(o, x, name=f"{prefix}.attn_residual")
    if not pre_norm:
        x = g.layernorm(x, name=f"{prefix}.attn_norm")
    h = g.layernorm(x, name=f"{prefix}.mlp_norm") if pre_norm else x
    h = g.linear(h, inter, name=f"{prefix}.fc1")
    h = g.activation(h, act, name=f"{prefix}.act")
    h = g.linear(h, hidden, name=f"{prefix}.fc2")
    x = g.add(h, x, name=f"{prefix}.mlp_residual")
    if not pre_norm:
        x = g.layernorm(x, name=f"{prefix}.mlp_norm")
    return x


def _text_encoder(
    g: GraphBuilder,
    *,
    batch: int,
    seq: int,
    hidden: int,
    layers: int,
    heads: int,
    inter: int,
    vocab: int,
    positions: int,
    type_vocab: int | None,
    act: str,
    segments: tuple[tuple[int, int], ...] | None = None,
) -> str:
    """BERT-style embeddings (word + position [+ type]), LayerNorm, post-LN layers.

    With ``segments`` ((count, length) pairs) the batch runs unpadded: every token-wise op
    sees the samples' tokens packed into one (1, T) sequence, attention stays per sample.
    """
    if segments is not None:
        batch, seq = 1, sum(c * n for c, n in segments)
    ids = g.input("input_ids", (batch, seq), IDS_DTYPE)
    pos = g.input("position_ids", (batch, seq), IDS_DTYPE)
    x = g.embedding(ids, vocab, hidden, name="word_embeddings")
    p = g.embedding(pos, positions, hidden, name="position_embeddings")
    x = g.add(x, p, name="embed_add_positions")
    if type_vocab is not None:
        types = g.input("token_type_ids", (batch, seq), IDS_DTYPE)
        t = g.embedding(types, type_vocab, hidden, name="token_type_embeddings")
        x = g.add(x, t, name="embed_add_types")
    x = g.layernorm(x, name="embed_norm")
    for i in range(layers):
        x = _encoder_layer(
            g,
            x,
            f"layers.{i}",
            hidden=hidden,
            heads=heads,
            inter=inter,
            act=act,
            pre_norm=False,
            segments=segments,
        )
    return x


def _text_encoder_model(
    cfg: BertConfig | DistilBertConfig,
    path: Path,
    name: str,
    params: dict[str, Any],
    *,
    model_type: str,
    hidden: int,
    layers: int,
    heads: int,
    heads_field: str,
    inter: int,
    act_name: str,
    act_field: str,
    type_vocab: int | None,
) -> tuple[GraphBuilder, str, int]:
    """A BERT-style encoder graph: (builder, output tensor, batch). Shared by BERT/DistilBERT."""
    p = _take_params(
        path,
        model_type,
        params,
        {"seq_len": ENCODER_SEQ_LEN, "batch": 1, "dtype": None, "unpadded_len": None},
    )
    _head_dim(hidden, heads, path, heads_field)
    act = _act(act_name, path, act_field)
    seq, batch = p["seq_len"], p["batch"]
    if seq > cfg.max_position_embeddings:
        raise WorkloadError(
            f"{path}: seq_len {seq} exceeds max_position_embeddings {cfg.max_position_embeddings}"
        )
    segments = _packed_segments(path, batch, seq, p["unpadded_len"])
    dtype, wdt, adt = _dtypes(cfg, p["dtype"])
    used: dict[str, Any] = {"seq_len": seq, "batch": batch, "dtype": dtype}
    if segments is not None:
        used["unpadded_len"] = p["unpadded_len"]
    g = GraphBuilder(
        name,
        batch=batch,
        weight_dtype=wdt,
        act_dtype=adt,
        family="encoder",
        params_used=used,
    )
    x = _text_encoder(
        g,
        batch=batch,
        seq=seq,
        hidden=hidden,
        layers=layers,
        heads=heads,
        inter=inter,
        vocab=cfg.vocab_size,
        positions=cfg.max_position_embeddings,
        type_vocab=type_vocab,
        act=act,
        segments=segments,
    )
    return g, x, batch


def _packed_segments(
    path: Path, batch: int, seq: int, unpadded_len: Any
) -> tuple[tuple[int, int], ...] | None:
    """(count, length) of the samples of an unpadded batch, or None for a padded one.

    ``unpadded_len`` is the samples' mean real length in tokens (``seq_len`` stays the padded
    length, the largest a sample may have). The batch holds T = round(batch x unpadded_len)
    tokens, split as evenly as the integers allow: T mod batch samples of ceil(T / batch)
    tokens, the others floor(T / batch). With only the mean known, that split has the least
    attention work (sum of squares) of any split of T tokens (docs/assumptions.md).
    """
    if unpadded_len is None:
        return None
    if isinstance(unpadded_len, bool) or not isinstance(unpadded_len, int | float):
        raise WorkloadError(
            f"{path}: parameter unpadded_len must be a number, got {unpadded_len!r}"
        )
    if not math.isfinite(unpadded_len) or not 1 <= unpadded_len <= seq:
        raise WorkloadError(
            f"{path}: parameter unpadded_len must be between 1 and seq_len {seq}, "
            f"got {unpadded_len!r}"
        )
    tokens = round(batch * unpadded_len)
    short, extra = divmod(tokens, batch)
    pairs = ((batch - extra, short), (extra, short + 1))
    return tuple((c, n) for c, n in pairs if c > 0)


def _bert(cfg: BertConfig, path: Path, name: str, params: dict[str, Any]) -> Workload:
    g, x, batch = _text_encoder_model(
        cfg,
        path,
        name,
        params,
        model_type="bert",
        hidden=cfg.hidden_size,
        layers=cfg.num_hidden_layers,
        heads=cfg.num_attention_heads,
        heads_field="num_attention_heads",
        inter=cfg.intermediate_size,
        act_name=cfg.hidden_act,
        act_field="hidden_act",
        type_vocab=cfg.type_vocab_size,
    )
    # Pooler: dense + tanh on the first ([CLS]) token.
    cls = g.data_copy([x], (batch, 1, cfg.hidden_size), op_type="slice", name="pooler.cls_token")
    pooled = g.linear(cls, cfg.hidden_size, name="pooler.dense")
    pooled = g.activation(pooled, "tanh", name="pooler.act")
    return g.build([x, pooled])


def _distilbert(cfg: DistilBertConfig, path: Path, name: str, params: dict[str, Any]) -> Workload:
    g, x, _ = _text_encoder_model(
        cfg,
        path,
        name,
        params,
        model_type="distilbert",
        hidden=cfg.dim,
        layers=cfg.n_layers,
        heads=cfg.n_heads,
        heads_field="n_heads",
        inter=cfg.hidden_dim,
        act_name=cfg.activation,
        act_field="activation",
        type_vocab=None,
    )
    return g.build([x])


def _vit(cfg: ViTConfig, path: Path, name: str, params: dict[str, Any]) -> Workload:
    p = _take_params(path, "vit", params, {"resolution": cfg.image_size, "batch": 1, "dtype": None})
    d, heads, patch = cfg.hidden_size, cfg.num_attention_heads, cfg.patch_size
    _head_dim(d, heads, path, "num_attention_heads")
    act = _act(cfg.hidden_act, path, "hidden_act")
    res, batch = p["resolution"], p["batch"]
    if res % patch:
        raise WorkloadError(f"{path}: resolution {res} is not a multiple of patch_size {patch}")
    if cfg.image_size % patch:
        raise WorkloadError(
            f"{path}: field 'image_size': {cfg.image_size} is not a multiple of patch_size {patch}"
        )
    labels = cfg.num_labels or (len(cfg.id2label) if cfg.id2label else VIT_NUM_LABELS)
    dtype, wdt, adt = _dtypes(cfg, p["dtype"])
    g = GraphBuilder(
        name,
        batch=batch,
        weight_dtype=wdt,
        act_dtype=adt,
        family="encoder",
        params_used={"resolution": res, "batch": batch, "dtype": dtype},
    )
    img = g.input("pixel_values", (batch, cfg.num_channels, res, res))
    x = g.conv2d(img, d, patch, stride=patch, name="patch_embed")
    n = (res // patch) ** 2
    x = g.reshape(x, (batch, d, n), name="patch_flatten")
    x = g.transpose(x, (0, 2, 1), name="patch_transpose")
    cls = g.parameter((batch, 1, d), params=d, name="cls_token")
    x = g.concat([cls, x], axis=1, name="cls_concat")
    # The stored table has (image_size/patch)^2 + 1 rows; another resolution interpolates it
    # (interpolation not counted).
    trained = (cfg.image_size // patch) ** 2 + 1
    pos = g.parameter((1, n + 1, d), params=trained * d, name="position_embeddings")
    x = g.add(x, pos, name="embed_add_positions")
    for i in range(cfg.num_hidden_layers):
        x = _encoder_layer(
            g,
            x,
            f"layers.{i}",
            hidden=d,
            heads=heads,
            inter=cfg.intermediate_size,
            act=act,
            pre_norm=True,
            qkv_bias=cfg.qkv_bias,
        )
    x = g.layernorm(x, name="final_norm")
    cls_out = g.data_copy([x], (batch, 1, d), op_type="slice", name="cls_select")
    cls_out = g.reshape(cls_out, (batch, d), name="cls_flatten")
    logits = g.linear(cls_out, labels, name="classifier")
    return g.build([logits])


# ---- decoders ----------------------------------------------------------------------------
@dataclass(frozen=True)
class _MoE:
    """Mixture-of-experts MLP: ``experts`` SwiGLU experts, ``top_k`` per token, optional
    shared expert (Qwen-MoE) with a sigmoid gate."""

    experts: int
    top_k: int
    inter: int
    shared_inter: int = 0
    shared_gate: bool = False
    dense_layers: frozenset[int] = frozenset()  # layers with a dense MLP instead


@dataclass(frozen=True)
class _DecoderArch:
    """Shape of a decoder-only LM, the family differences as flags."""

    name: str
    model_type: str
    layers: int
    hidden: int
    heads: int
    kv_heads: int
    head_dim: int
    inter: int
    vocab: int
    act: str
    gated_mlp: bool  # SwiGLU/GeGLU (gate, up, down) vs 2-layer MLP
    rms_norm: bool  # RMSNorm vs LayerNorm with bias
    rope: bool
    learned_positions: int | None  # rows of a learned position table (GPT-2)
    attn_bias: bool  # biases on q/k/v
    mlp_bias: bool
    tied: bool
    window: int | None
    context: int  # trained context length (tokens): prompt + generated must fit
    o_bias: bool | None = None  # bias on o_proj; None = same as attn_bias
    window_every: int = 1  # the window applies to layers i with i % window_every == 0
    embed_scale: bool = False  # Gemma: embeddings x sqrt(D) (one multiply per element)
    sandwich_norms: bool = False  # Gemma-2: norms after attention and MLP too
    parallel_block: bool = False  # Falcon: attention and MLP read the same input
    parallel_norms: int = 1  # Falcon: 1 shared input norm, 2 (new architecture) separate
    moe: _MoE | None = None

    @property
    def out_bias(self) -> bool:
        """Bias on the attention output projection."""
        return self.attn_bias if self.o_bias is None else self.o_bias

    def layer_window(self, i: int) -> int | None:
        """Sliding window of layer ``i`` (None: full attention)."""
        if self.window is None or i % self.window_every:
            return None
        return self.window


def _llama_arch(cfg: LlamaConfig, path: Path, name: str, window: int | None) -> _DecoderArch:
    heads = cfg.num_attention_heads
    kv_heads = cfg.num_key_value_heads or heads
    if heads % kv_heads:
        raise WorkloadError(
            f"{path}: field 'num_key_value_heads': {heads} heads are not a multiple of {kv_heads}"
        )
    hd = cfg.head_dim or _head_dim(cfg.hidden_size, heads, path, "num_attention_heads")
    mt = cfg.model_type
    gemma = mt in ("gemma", "gemma2")
    act_name, act_field = cfg.hidden_act, "hidden_act"
    if gemma:
        # HF Gemma runs the tanh GELU whatever hidden_act says (hidden_activation overrides).
        act_name, act_field = cfg.hidden_activation or "gelu_pytorch_tanh", "hidden_activation"
        if act_name == "gelu":
            act_name = "gelu_pytorch_tanh"
    if mt == "qwen2" and not cfg.use_sliding_window:
        window = None
    moe = None
    if mt == "mixtral":
        moe = _MoE(
            experts=_need(cfg.num_local_experts, path, "num_local_experts"),
            top_k=_need(cfg.num_experts_per_tok, path, "num_experts_per_tok"),
            inter=cfg.intermediate_size,
        )
    elif mt == "qwen2_moe":
        step = cfg.decoder_sparse_step
        dense = frozenset(
            i
            for i in range(cfg.num_hidden_layers)
            if i in cfg.mlp_only_layers or (i + 1) % step != 0
        )
        moe = _MoE(
            experts=_need(cfg.num_experts, path, "num_experts"),
            top_k=_need(cfg.num_experts_per_tok, path, "num_experts_per_tok"),
            inter=_need(cfg.moe_intermediate_size, path, "moe_intermediate_size"),
            shared_inter=cfg.shared_expert_intermediate_size or 0,
            shared_gate=bool(cfg.shared_expert_intermediate_size),
            dense_layers=dense,
        )
    if moe is not None and moe.top_k > moe.experts:
        raise WorkloadError(
            f"{path}: field 'num_experts_per_tok': {moe.top_k} exceeds the {moe.experts} experts"
        )
    qkv_bias = cfg.attention_bias or mt in ("qwen2", "qwen2_moe")
    return _DecoderArch(
        name=name,
        model_type=mt,
        layers=cfg.num_hidden_layers,
        hidden=cfg.hidden_size,
        heads=heads,
        kv_heads=kv_heads,
        head_dim=hd,
        inter=cfg.intermediate_size,
        vocab=cfg.vocab_size,
        act=_act(act_name, path, act_field),
        gated_mlp=True,
        rms_norm=True,
        rope=True,
        learned_positions=None,
        attn_bias=qkv_bias,
        o_bias=cfg.attention_bias,
        mlp_bias=cfg.mlp_bias,
        tied=cfg.tie_word_embeddings if cfg.tie_word_embeddings is not None else gemma,
        window=window,
        window_every=2 if mt == "gemma2" else 1,
        context=cfg.max_position_embeddings,
        embed_scale=gemma,
        sandwich_norms=mt == "gemma2",
        moe=moe,
    )


def _need(value: int | None, path: Path, field: str) -> int:
    if value is None:
        raise WorkloadError(f"{path}: field {field!r}: required for this model_type")
    return value


def _falcon_arch(cfg: FalconConfig, path: Path, name: str) -> _DecoderArch:
    heads = cfg.num_attention_heads
    hd = _head_dim(cfg.hidden_size, heads, path, "num_attention_heads")
    if cfg.new_decoder_architecture:
        kv_heads = cfg.num_kv_heads or heads
    elif cfg.multi_query:
        kv_heads = 1
    else:
        kv_heads = heads
    if heads % kv_heads:
        raise WorkloadError(
            f"{path}: field 'num_kv_heads': {heads} heads are not a multiple of {kv_heads}"
        )
    if cfg.alibi:
        raise WorkloadError(f"{path}: field 'alibi': ALiBi Falcon variants are not supported")
    return _DecoderArch(
        name=name,
        model_type="falcon",
        layers=cfg.num_hidden_layers,
        hidden=cfg.hidden_size,
        heads=heads,
        kv_heads=kv_heads,
        head_dim=hd,
        inter=cfg.ffn_hidden_size or 4 * cfg.hidden_size,
        vocab=cfg.vocab_size,
        act=_act(cfg.activation, path, "activation"),
        gated_mlp=False,
        rms_norm=False,
        rope=True,
        learned_positions=None,
        attn_bias=cfg.bias,
        mlp_bias=cfg.bias,
        tied=cfg.tie_word_embeddings,
        window=None,
        context=cfg.max_position_embeddings,
        parallel_block=cfg.parallel_attn,
        parallel_norms=2 if cfg.new_decoder_architecture else 1,
    )


def _gpt2_arch(cfg: GPT2Config, path: Path, name: str) -> _DecoderArch:
    hd = _head_dim(cfg.n_embd, cfg.n_head, path, "n_head")
    return _DecoderArch(
        name=name,
        model_type="gpt2",
        layers=cfg.n_layer,
        hidden=cfg.n_embd,
        heads=cfg.n_head,
        kv_heads=cfg.n_head,
        head_dim=hd,
        inter=cfg.n_inner or 4 * cfg.n_embd,
        vocab=cfg.vocab_size,
        act=_act(cfg.activation_function, path, "activation_function"),
        gated_mlp=False,
        rms_norm=False,
        rope=False,
        learned_positions=cfg.n_positions,
        attn_bias=True,
        mlp_bias=True,
        tied=cfg.tie_word_embeddings,
        window=None,
        context=cfg.n_positions,
    )


@dataclass(frozen=True)
class Partition:
    """How one device's share of a decoder is cut: tensor-parallel degree ``tp`` (heads, MLP
    width and vocabulary split ``tp`` ways, all-reduce after attention and MLP) and pipeline
    stage ``stage`` of ``pp`` (a contiguous range of layers). With ``ep`` (expert
    parallelism) a MoE layer's experts are spread over the ``tp`` devices whole (E / tp each)
    instead of each being split ``tp`` ways."""

    tp: int = 1
    pp: int = 1
    stage: int = 0
    ep: bool = False


def _shard_dims(arch: _DecoderArch, part: Partition) -> dict[str, int]:
    """Per-device widths under tensor parallelism; errors name the parameter ``tp``."""
    tp = part.tp
    if tp < 1 or part.pp < 1 or not 0 <= part.stage < part.pp:
        raise WorkloadError(f"{arch.name}: tp and pp must be >= 1, stage in 0..pp-1")
    if part.pp > arch.layers:
        raise WorkloadError(f"{arch.name}: pp {part.pp} exceeds the {arch.layers} layers")
    if arch.heads % tp:
        raise WorkloadError(f"{arch.name}: tp {tp} must divide the {arch.heads} attention heads")
    if arch.kv_heads % tp and tp % arch.kv_heads:
        raise WorkloadError(
            f"{arch.name}: tp {tp} and the {arch.kv_heads} KV heads must divide one another"
        )
    if part.ep and arch.moe is None:
        raise WorkloadError(
            f"{arch.name}: `ep` (expert parallelism) needs a mixture-of-experts model",
            params=("ep",),
        )
    if part.ep and arch.moe is not None and arch.moe.experts % tp:
        raise WorkloadError(
            f"{arch.name}: `tp` {tp} must divide the {arch.moe.experts} experts with `ep`",
            params=("tp", "ep"),
        )
    widths = [("inter", arch.inter)]
    if arch.moe is not None:
        widths = [] if part.ep else [("moe_intermediate_size", arch.moe.inter)]
        if arch.moe.dense_layers:
            widths.append(("inter", arch.inter))
        if arch.moe.shared_inter:
            widths.append(("shared_expert_intermediate_size", arch.moe.shared_inter))
    for what, width in widths:
        if width % tp:
            raise WorkloadError(f"{arch.name}: tp {tp} must divide the MLP width {width} ({what})")
    return {
        "heads": arch.heads // tp,
        "kv_heads": max(1, arch.kv_heads // tp),
        "inter": arch.inter // tp,
        "moe_inter": (arch.moe.inter if part.ep else arch.moe.inter // tp) if arch.moe else 0,
        "experts_held": (arch.moe.experts // tp if part.ep else arch.moe.experts)
        if arch.moe
        else 0,
        "shared_inter": arch.moe.shared_inter // tp if arch.moe else 0,
        "vocab": -(-arch.vocab // tp),
    }


def _stage_layers(layers: int, part: Partition) -> range:
    """Layers of pipeline stage ``stage``: contiguous, sizes differ by at most one."""
    base, extra = divmod(layers, part.pp)
    lo = part.stage * base + min(part.stage, extra)
    return range(lo, lo + base + (1 if part.stage < extra else 0))


def _decoder(
    arch: _DecoderArch,
    cfg: _HFConfig,
    path: Path,
    params: dict[str, Any],
    part: Partition | None = None,
) -> DecoderWorkload:
    p = _take_params(
        path,
        arch.model_type,
        params,
        {
            "prompt_len": DECODER_PROMPT_LEN,
            "gen_len": DECODER_GEN_LEN,
            "batch": 1,
            "dtype": None,
            "kv_dtype": None,
        },
    )
    part = part or Partition()
    dims = _shard_dims(arch, part)
    dtype, wdt, adt = _dtypes(cfg, p["dtype"])
    kvdt = p["kv_dtype"] or adt
    if kvdt not in DTYPE_BYTES:
        raise WorkloadError(
            f"{path}: unknown kv_dtype {kvdt!r}; choose from {', '.join(DTYPE_BYTES)}"
        )
    prompt, gen, batch = p["prompt_len"], p["gen_len"], p["batch"]
    if arch.learned_positions is not None and prompt + gen > arch.learned_positions:
        raise WorkloadError(
            f"{path}: prompt_len + gen_len = {prompt + gen} exceeds the {arch.learned_positions} "
            "learned positions (n_positions)"
        )
    if prompt + gen > arch.context:
        raise WorkloadError(
            f"{path.name}: prompt_len + gen_len = {prompt + gen} exceeds the model's "
            f"{arch.context}-token context (max_position_embeddings)"
        )
    used = {
        "prompt_len": prompt,
        "gen_len": gen,
        "batch": batch,
        "dtype": dtype,
        "kv_dtype": kvdt,
    }
    if part.tp > 1 or part.pp > 1:
        used.update(tp=part.tp, pp=part.pp, stage=part.stage)
    if part.ep:
        used.update(ep=True)
    layers = _stage_layers(arch.layers, part)
    suffix = f"[tp{part.tp}" + (f" pp{part.stage}/{part.pp}]" if part.pp > 1 else "]")
    gname = arch.name + (suffix if part.tp > 1 or part.pp > 1 else "")

    def prefill() -> Workload:
        return _decoder_graph(
            arch,
            f"{gname}/prefill",
            wdt,
            adt,
            kvdt,
            batch,
            prompt,
            0,
            {**used, "phase": "prefill"},
            part,
            dims,
        )

    def decode_step(kv_len: int) -> Workload:
        if kv_len < 0:
            raise WorkloadError(f"{arch.name}: decode kv_len must be >= 0, got {kv_len}")
        if arch.learned_positions is not None and kv_len + 1 > arch.learned_positions:
            raise WorkloadError(
                f"{arch.name}: decode at kv_len {kv_len} exceeds the {arch.learned_positions} "
                "learned positions"
            )
        return _decoder_graph(
            arch,
            f"{gname}/decode",
            wdt,
            adt,
            kvdt,
            batch,
            1,
            kv_len,
            {**used, "phase": "decode", "kv_len": kv_len},
            part,
            dims,
        )

    def shard(tp: int, pp: int, stage: int, ep: bool = False) -> DecoderWorkload:
        return _decoder(arch, cfg, path, dict(params), Partition(tp, pp, stage, ep))

    kv_per_token = len(layers) * 2 * dims["kv_heads"] * arch.head_dim * DTYPE_BYTES[kvdt]
    return DecoderWorkload(
        name=arch.name,
        prompt_len=prompt,
        gen_len=gen,
        batch=batch,
        weight_dtype=wdt,
        act_dtype=adt,
        kv_dtype=kvdt,
        kv_bytes_per_token=kv_per_token,
        build_prefill=prefill,
        build_decode_step=decode_step,
        params_used=used,
        build_shard=shard,
    )


def _decoder_graph(
    arch: _DecoderArch,
    name: str,
    wdt: str,
    adt: str,
    kvdt: str,
    batch: int,
    seq: int,
    cached: int,
    used: dict[str, Any],
    part: Partition,
    dims: dict[str, int],
) -> Workload:
    """``seq`` new tokens after ``cached`` cached ones; logits for the last token only.

    Under tensor parallelism (``part.tp`` > 1) this is one device's share: column-parallel
    q/k/v and gate/up, row-parallel o and down projections followed by an all-reduce, a
    vocabulary-parallel embedding (all-reduce) and LM head (all-gather of the logits).
    A pipeline stage holds its layer range; the embedding lives on the first stage and the
    final norm and LM head on the last; other stages take the hidden state as input.
    """
    g = GraphBuilder(
        name, batch=batch, weight_dtype=wdt, act_dtype=adt, family="decoder", params_used=used
    )
    tp = part.tp
    d = arch.hidden
    norm: Callable[[str, str], str]
    if arch.rms_norm:
        norm = lambda t, n: g.rmsnorm(t, name=n)  # noqa: E731
    else:
        norm = lambda t, n: g.layernorm(t, name=n)  # noqa: E731

    def reduce(t: str, n: str) -> str:
        return g.collective(t, "all_reduce", group=tp, name=n) if tp > 1 else t

    first, last = part.stage == 0, part.stage == part.pp - 1
    if first:
        ids = g.input("input_ids", (batch, seq), IDS_DTYPE)
        x = g.embedding(
            ids,
            dims["vocab"],
            d,
            name="embed_tokens",
            shared="embed_tokens" if arch.tied else None,
        )
        x = reduce(x, "embed_all_reduce")
        if arch.embed_scale:
            x = g.binary_const(x, (1,), "mul", name="embed_scale")
        if arch.learned_positions is not None:
            pos = g.input("position_ids", (batch, seq), IDS_DTYPE)
            pe = g.embedding(pos, arch.learned_positions, d, name="embed_positions")
            x = g.add(x, pe, name="embed_add_positions")
    else:
        x = g.input("hidden_in", (batch, seq, d))
    heads, kv_heads = dims["heads"], dims["kv_heads"]
    q_width, kv_width = heads * arch.head_dim, kv_heads * arch.head_dim
    for i in _stage_layers(arch.layers, part):
        pre = f"layers.{i}"
        h = norm(x, f"{pre}.attn_norm")
        q = g.linear(h, q_width, bias=arch.attn_bias, name=f"{pre}.q_proj")
        k = g.linear(h, kv_width, bias=arch.attn_bias, name=f"{pre}.k_proj")
        v = g.linear(h, kv_width, bias=arch.attn_bias, name=f"{pre}.v_proj")
        if arch.rope:
            q = g.rope(q, name=f"{pre}.rope_q")
            k = g.rope(k, name=f"{pre}.rope_k")
        a = g.attention(
            q,
            k,
            v,
            heads=heads,
            kv_heads=kv_heads,
            head_dim=arch.head_dim,
            causal=True,
            kv_cache_len=cached,
            kv_dtype=kvdt,
            window=arch.layer_window(i),
            name=f"{pre}.attn",
        )
        o = g.linear(a, d, bias=arch.out_bias, name=f"{pre}.o_proj")
        if arch.parallel_block:
            # Falcon: the MLP reads the same normed input; one all-reduce for both branches.
            hm = norm(x, f"{pre}.mlp_norm") if arch.parallel_norms == 2 else h
            m = _mlp(g, arch, hm, pre, i, dims, seq * batch)
            s = g.add(o, m, name=f"{pre}.parallel_add")
            s = reduce(s, f"{pre}.all_reduce")
            x = g.add(s, x, name=f"{pre}.residual")
            continue
        o = reduce(o, f"{pre}.attn_all_reduce")
        if arch.sandwich_norms:
            o = norm(o, f"{pre}.post_attn_norm")
        x = g.add(o, x, name=f"{pre}.attn_residual")
        h = norm(x, f"{pre}.mlp_norm")
        h = _mlp(g, arch, h, pre, i, dims, seq * batch)
        h = reduce(h, f"{pre}.mlp_all_reduce")
        if arch.sandwich_norms:
            h = norm(h, f"{pre}.post_mlp_norm")
        x = g.add(h, x, name=f"{pre}.mlp_residual")
    if not last:
        return g.build([x])
    x = norm(x, "final_norm")
    if seq > 1:
        x = g.data_copy([x], (batch, 1, d), op_type="slice", name="last_token")
    logits = g.lm_head(x, dims["vocab"], tied=arch.tied and part.pp == 1)
    if tp > 1:
        logits = g.collective(logits, "all_gather", group=tp, name="logits_all_gather")
    return g.build([logits])


def _dense_mlp(
    g: GraphBuilder, arch: _DecoderArch, h: str, pre: str, inter: int, bias: bool
) -> str:
    d = arch.hidden
    if arch.gated_mlp:
        gate = g.linear(h, inter, bias=bias, name=f"{pre}.gate_proj")
        up = g.linear(h, inter, bias=bias, name=f"{pre}.up_proj")
        gate = g.activation(gate, arch.act, name=f"{pre}.act")
        h = g.binary(gate, up, "mul", name=f"{pre}.gate_mul")
        return g.linear(h, d, bias=bias, name=f"{pre}.down_proj")
    h = g.linear(h, inter, bias=bias, name=f"{pre}.fc1")
    h = g.activation(h, arch.act, name=f"{pre}.act")
    return g.linear(h, d, bias=bias, name=f"{pre}.fc2")


def _mlp(
    g: GraphBuilder,
    arch: _DecoderArch,
    h: str,
    pre: str,
    layer: int,
    dims: dict[str, int],
    tokens: int,
) -> str:
    """The MLP of one layer: dense, or routed experts (plus a shared expert)."""
    moe = arch.moe
    if moe is None or layer in moe.dense_layers:
        return _dense_mlp(g, arch, h, pre, dims["inter"], arch.mlp_bias)
    d = arch.hidden
    shp = g.shape(h)
    e, k = moe.experts, moe.top_k
    logits = g.linear(h, e, bias=False, name=f"{pre}.router")
    g.softmax(logits, name=f"{pre}.router_softmax")  # top-k selection: see assumptions.md
    held = dims["experts_held"]
    if held < e:
        # Expert parallelism: this device computes its E/tp experts for the tokens routed to
        # them; the step waits for the busiest device (expected maximum load).
        rows: tuple[int, ...] = (busiest_device_rows(tokens, e, k, e // held), d)
    else:
        rows = (*shp[:-1][:-1], shp[-2] * k, d)
    xs = g.data_copy([h], rows, op_type="dispatch", name=f"{pre}.dispatch")
    inter = dims["moe_inter"]
    ex = {"experts": e, "top_k": k, "tokens": tokens, "held": held}
    gate = g.expert_linear(xs, inter, **ex, name=f"{pre}.experts.gate_proj")
    up = g.expert_linear(xs, inter, **ex, name=f"{pre}.experts.up_proj")
    gate = g.activation(gate, arch.act, name=f"{pre}.experts.act")
    y = g.binary(gate, up, "mul", name=f"{pre}.experts.gate_mul")
    y = g.expert_linear(y, d, **ex, name=f"{pre}.experts.down_proj")
    # Combine: weight each routed output by its router probability and sum (k mul + add).
    out = g.binary_const(y, (1,), "mul", name=f"{pre}.combine_scale")
    out = g.data_copy([out], shp, op_type="combine", name=f"{pre}.combine")
    if moe.shared_inter:
        s = _dense_mlp(g, arch, h, f"{pre}.shared_expert", dims["shared_inter"], False)
        if moe.shared_gate:
            gt = g.linear(h, 1, bias=False, name=f"{pre}.shared_expert_gate")
            gt = g.activation(gt, "sigmoid", name=f"{pre}.shared_expert_gate_act")
            s = g.binary(s, gt, "mul", name=f"{pre}.shared_expert_scale")
        out = g.add(out, s, name=f"{pre}.shared_expert_add")
    return out


class HFConfigFrontend:
    """Hugging Face ``config.json`` files, or a snapshot folder holding one."""

    name = "hf_config"
    formats = "config.json (or a folder with one)"
    params: frozenset[str] | None = None  # which apply depends on the model_type

    def can_load(self, path: Path) -> bool:
        """A ``.json`` suffix, or a folder with a ``config.json``."""
        if path.is_dir():
            return (path / "config.json").is_file()
        return path.suffix.lower() == ".json"

    def load(self, path: Path, /, **params: Any) -> Workload | DecoderWorkload:
        """See :func:`load_hf_config`."""
        if path.is_dir():
            path = path / "config.json"
        return load_hf_config(path, **params)


register_frontend(HFConfigFrontend())


# ---- encoder-decoder (T5) ------------------------------------------------------------------
T5_CONTEXT = 1 << 20
"""T5 has relative positions and no trained context limit; prompt + output are capped only
by this bound (tokens)."""


def _t5(cfg: T5Config, path: Path, name: str, params: dict[str, Any]) -> DecoderWorkload:
    """T5 as a request: the encoder reads the ``prompt_len`` input tokens, the decoder
    generates ``gen_len`` tokens.

    ``prefill()`` = the encoder over the prompt, each decoder layer's cross-attention k/v
    projections of the encoder output (written to the cross-attention cache), and the
    decoder's first step on the start token. ``decode_step(kv_len)`` = one decoder step: its
    self-attention over the ``kv_len - prompt_len`` tokens generated so far and its
    cross-attention over the ``prompt_len`` cached encoder tokens. KV per token (both kinds) =
    decoder layers x 2 x heads x d_kv x bytes.
    """
    gated = cfg.feed_forward_proj.startswith("gated-")
    act_name = cfg.feed_forward_proj.removeprefix("gated-")
    act = _act(
        act_name if act_name != "gelu" or not gated else "gelu_new", path, "feed_forward_proj"
    )
    p = _take_params(
        path,
        "t5",
        params,
        {
            "prompt_len": DECODER_PROMPT_LEN,
            "gen_len": DECODER_GEN_LEN,
            "batch": 1,
            "dtype": None,
            "kv_dtype": None,
        },
    )
    dtype, wdt, adt = _dtypes(cfg, p["dtype"])
    kvdt = p["kv_dtype"] or adt
    if kvdt not in DTYPE_BYTES:
        raise WorkloadError(
            f"{path}: unknown kv_dtype {kvdt!r}; choose from {', '.join(DTYPE_BYTES)}"
        )
    prompt, gen, batch = p["prompt_len"], p["gen_len"], p["batch"]
    if prompt + gen > T5_CONTEXT:
        raise WorkloadError(f"{path.name}: prompt_len + gen_len exceeds {T5_CONTEXT} tokens")
    dec_layers = cfg.num_decoder_layers or cfg.num_layers
    used = {"prompt_len": prompt, "gen_len": gen, "batch": batch, "dtype": dtype, "kv_dtype": kvdt}
    inner = cfg.num_heads * cfg.d_kv

    def ff(g: GraphBuilder, x: str, pre: str) -> str:
        if gated:
            a = g.linear(x, cfg.d_ff, bias=False, name=f"{pre}.wi_0")
            b = g.linear(x, cfg.d_ff, bias=False, name=f"{pre}.wi_1")
            a = g.activation(a, act, name=f"{pre}.act")
            h = g.binary(a, b, "mul", name=f"{pre}.gate_mul")
        else:
            h = g.linear(x, cfg.d_ff, bias=False, name=f"{pre}.wi")
            h = g.activation(h, act, name=f"{pre}.act")
        return g.linear(h, cfg.d_model, bias=False, name=f"{pre}.wo")

    def self_attention(
        g: GraphBuilder, x: str, pre: str, names: tuple[str, str, str], cached: int | None
    ) -> str:
        """Pre-norm self-attention with its residual add. ``names``: the norm, the projection
        prefix and the residual (T5 names them differently in encoder and decoder);
        ``cached``: KV-cache tokens of the causal decoder, None for the bidirectional encoder."""
        norm, proj, residual = names
        h = g.rmsnorm(x, name=f"{pre}.{norm}")
        q, k, v = (g.linear(h, inner, bias=False, name=f"{pre}.{proj}{w}") for w in "qkv")
        a = g.attention(
            q,
            k,
            v,
            heads=cfg.num_heads,
            kv_heads=cfg.num_heads,
            head_dim=cfg.d_kv,
            causal=cached is not None,
            kv_cache_len=cached or 0,
            kv_dtype=kvdt if cached is not None else None,
            name=f"{pre}.{proj}attn",
        )
        o = g.linear(a, cfg.d_model, bias=False, name=f"{pre}.{proj}o")
        return g.add(o, x, name=f"{pre}.{residual}")

    def decoder(g: GraphBuilder, enc: str | None, self_cached: int) -> str:
        ids = g.input("decoder_input_ids", (batch, 1), IDS_DTYPE)
        x = g.embedding(ids, cfg.vocab_size, cfg.d_model, name="decoder.embed", shared="shared")
        if enc is not None:
            g.parameter(
                (cfg.relative_attention_num_buckets, cfg.num_heads), name="decoder.rel_bias"
            )
        for i in range(dec_layers):
            pre = f"decoder.layers.{i}"
            x = self_attention(g, x, pre, ("self_norm", "self.", "self_residual"), self_cached)
            h = g.rmsnorm(x, name=f"{pre}.cross_norm")
            q = g.linear(h, inner, bias=False, name=f"{pre}.cross.q")
            kv: tuple[str, ...] = ()
            if enc is not None:  # prefill: project the encoder output once per layer
                kv = (
                    g.linear(enc, inner, bias=False, name=f"{pre}.cross.k"),
                    g.linear(enc, inner, bias=False, name=f"{pre}.cross.v"),
                )
            a = g.cross_attention(
                q,
                heads=cfg.num_heads,
                head_dim=cfg.d_kv,
                kv_len=prompt,
                write_tokens=prompt if enc is not None else 0,
                kv_dtype=kvdt,
                kv=kv,
                name=f"{pre}.cross.attn",
            )
            x = g.add(g.linear(a, cfg.d_model, bias=False, name=f"{pre}.cross.o"), x,
                      name=f"{pre}.cross_residual")  # fmt: skip
            h = g.rmsnorm(x, name=f"{pre}.ff_norm")
            x = g.add(ff(g, h, f"{pre}.ff"), x, name=f"{pre}.ff_residual")
        x = g.rmsnorm(x, name="decoder.final_norm")
        return g.lm_head(x, cfg.vocab_size, tied=cfg.tie_word_embeddings)

    def prefill() -> Workload:
        g = GraphBuilder(
            f"{name}/prefill",
            batch=batch,
            weight_dtype=wdt,
            act_dtype=adt,
            family="decoder",
            params_used={**used, "phase": "prefill"},
        )
        ids = g.input("input_ids", (batch, prompt), IDS_DTYPE)
        x = g.embedding(ids, cfg.vocab_size, cfg.d_model, name="encoder.embed", shared="shared")
        g.parameter((cfg.relative_attention_num_buckets, cfg.num_heads), name="encoder.rel_bias")
        for i in range(cfg.num_layers):
            pre = f"encoder.layers.{i}"
            x = self_attention(g, x, pre, ("attn_norm", "", "attn_residual"), None)
            h = g.rmsnorm(x, name=f"{pre}.ff_norm")
            x = g.add(ff(g, h, f"{pre}.ff"), x, name=f"{pre}.ff_residual")
        enc = g.rmsnorm(x, name="encoder.final_norm")
        return g.build([decoder(g, enc, 0)])

    def decode_step(kv_len: int) -> Workload:
        if kv_len < 0:
            raise WorkloadError(f"{name}: decode kv_len must be >= 0, got {kv_len}")
        g = GraphBuilder(
            f"{name}/decode",
            batch=batch,
            weight_dtype=wdt,
            act_dtype=adt,
            family="decoder",
            params_used={**used, "phase": "decode", "kv_len": kv_len},
        )
        return g.build([decoder(g, None, max(0, kv_len - prompt) + 1)])

    return DecoderWorkload(
        name=name,
        prompt_len=prompt,
        gen_len=gen,
        batch=batch,
        weight_dtype=wdt,
        act_dtype=adt,
        kv_dtype=kvdt,
        kv_bytes_per_token=dec_layers * 2 * inner * DTYPE_BYTES[kvdt],
        build_prefill=prefill,
        build_decode_step=decode_step,
        params_used=used,
    )


EP_TRIALS = 32
"""Routing draws (fixed seed) behind the expected busiest-device load under expert parallelism."""
EP_MAX_TOKENS = 4096
"""Beyond this many tokens the busiest device's excess over the mean is taken from this size."""


def busiest_device_rows(tokens: int, experts: int, top_k: int, devices: int) -> int:
    """Expected routed (token, expert) rows on the busiest of ``devices`` devices holding
    ``experts / devices`` experts each, each token picking ``top_k`` distinct experts
    uniformly at random: the mean of the maximum over :data:`EP_TRIALS` draws (seed 0, so
    the count is deterministic), rounded to whole rows."""
    mean = tokens * top_k / devices
    t = min(tokens, EP_MAX_TOKENS)
    rng = np.random.default_rng(0)
    picks = rng.random((EP_TRIALS, t, experts)).argsort(axis=-1)[..., :top_k]
    per_expert = np.stack([np.bincount(p.ravel(), minlength=experts) for p in picks])
    per_device = per_expert.reshape(EP_TRIALS, devices, experts // devices).sum(axis=-1)
    ratio = float(per_device.max(axis=1).mean()) / (t * top_k / devices)
    return max(1, int(mean * ratio + 0.5))
