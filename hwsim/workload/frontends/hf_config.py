"""Hugging Face ``config.json`` frontend: BERT, DistilBERT, ViT, GPT-2, Llama and Mistral.

The file is read as JSON and validated with pydantic (keys this frontend does not use are
ignored, as HF configs carry many); no ``transformers`` import, no network. The layer graph
of each family is lowered through :class:`~hwsim.workload.builder.GraphBuilder`, which owns
every count rule. Encoders (BERT, DistilBERT, ViT) give a :class:`Workload`; decoders (GPT-2,
Llama, Mistral) give a :class:`DecoderWorkload` with a prefill graph and decode steps.
Modelling choices are listed in docs/assumptions.md ("Transformers and frontends").
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from hwsim.errors import WorkloadError
from hwsim.vocabulary import DTYPE_BYTES, parse_dtype
from hwsim.workload.builder import GraphBuilder
from hwsim.workload.ir import DecoderWorkload, Workload

ENCODER_SEQ_LEN = 128
"""Default sequence length of BERT-family encoders (tokens)."""
DECODER_PROMPT_LEN = 512
"""Default prompt length of decoders (tokens)."""
DECODER_GEN_LEN = 128
"""Default number of generated tokens of decoders."""
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


class LlamaConfig(_HFConfig):
    """Llama / Mistral ``config.json`` (decoder, RMSNorm, RoPE, SwiGLU, GQA)."""

    model_type: Literal["llama", "mistral"] = Field(description="'llama' or 'mistral'.")
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
    tie_word_embeddings: bool = Field(False, description="LM head shares the embedding matrix.")
    attention_bias: bool = Field(False, description="Biases on q/k/v/o projections.")
    mlp_bias: bool = Field(False, description="Biases on gate/up/down projections.")
    hidden_act: str = Field("silu", description="Activation of the gated MLP.")
    max_position_embeddings: int = Field(4096, gt=0, description="Trained context (tokens).")
    sliding_window: int | None = Field(
        None, gt=0, description="Mistral sliding attention window (tokens); null = none."
    )


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
    "llama": LlamaConfig,
    "mistral": LlamaConfig,
    "gpt2": GPT2Config,
    "bert": BertConfig,
    "distilbert": DistilBertConfig,
    "vit": ViTConfig,
}

_C = TypeVar("_C", bound=_HFConfig)


# ---- entry point -----------------------------------------------------------------------
def load_hf_config(
    path: str | Path, *, name: str | None = None, **params: Any
) -> Workload | DecoderWorkload:
    """Workload from a Hugging Face ``config.json``: op graph with counts (MACs, params, bytes).

    Args:
        path: the config file.
        name: workload name; default the folder name for ``config.json``, else the file stem.
        **params: encoders ``seq_len`` (BERT, DistilBERT; default 128) or ``resolution``
            (ViT; default the config's ``image_size``); decoders ``prompt_len`` (512),
            ``gen_len`` (128), ``kv_dtype`` (default the activation dtype); all ``batch`` (1)
            and ``dtype`` (default the config's ``torch_dtype``, else fp32).

    Raises:
        WorkloadError: unreadable or malformed JSON, unknown ``model_type``, a missing or
            invalid field (named), or an unknown / invalid parameter.
    """
    path = Path(path)
    raw = _read_json(path)
    model_type = raw.get("model_type")
    if model_type is None:
        raise WorkloadError(f"{path}: field 'model_type' is missing")
    if model_type not in _SCHEMAS:
        raise WorkloadError(
            f"{path}: field 'model_type': unsupported {model_type!r}; supported: "
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
    if isinstance(cfg, BertConfig):
        return _bert(cfg, path, name, params)
    if isinstance(cfg, DistilBertConfig):
        return _distilbert(cfg, path, name, params)
    assert isinstance(cfg, ViTConfig)
    return _vit(cfg, path, name, params)


def _read_json(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise WorkloadError(f"{path}: cannot read ({exc.strerror or exc})") from None
    except UnicodeDecodeError:
        raise WorkloadError(f"{path}: not a UTF-8 text file") from None
    try:
        raw = json.loads(text)
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
) -> str:
    """One bidirectional encoder layer: attention + MLP, LayerNorm post (BERT) or pre (ViT)."""
    hd = hidden // heads
    h = g.layernorm(x, name=f"{prefix}.attn_norm") if pre_norm else x
    q = g.linear(h, hidden, bias=qkv_bias, name=f"{prefix}.q_proj")
    k = g.linear(h, hidden, bias=qkv_bias, name=f"{prefix}.k_proj")
    v = g.linear(h, hidden, bias=qkv_bias, name=f"{prefix}.v_proj")
    a = g.attention(
        q, k, v, heads=heads, kv_heads=heads, head_dim=hd, causal=False, name=f"{prefix}.attn"
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
) -> str:
    """BERT-style embeddings (word + position [+ type]), LayerNorm, post-LN layers."""
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
            g, x, f"layers.{i}", hidden=hidden, heads=heads, inter=inter, act=act, pre_norm=False
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
        path, model_type, params, {"seq_len": ENCODER_SEQ_LEN, "batch": 1, "dtype": None}
    )
    _head_dim(hidden, heads, path, heads_field)
    act = _act(act_name, path, act_field)
    seq, batch = p["seq_len"], p["batch"]
    if seq > cfg.max_position_embeddings:
        raise WorkloadError(
            f"{path}: seq_len {seq} exceeds max_position_embeddings {cfg.max_position_embeddings}"
        )
    dtype, wdt, adt = _dtypes(cfg, p["dtype"])
    g = GraphBuilder(
        name,
        batch=batch,
        weight_dtype=wdt,
        act_dtype=adt,
        family="encoder",
        params_used={"seq_len": seq, "batch": batch, "dtype": dtype},
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
    )
    return g, x, batch


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
    gated_mlp: bool  # SwiGLU (gate, up, down) vs 2-layer MLP
    rms_norm: bool  # RMSNorm vs LayerNorm with bias
    rope: bool
    learned_positions: int | None  # rows of a learned position table (GPT-2)
    attn_bias: bool
    mlp_bias: bool
    tied: bool
    window: int | None
    context: int  # trained context length (tokens): prompt + generated must fit


def _llama_arch(cfg: LlamaConfig, path: Path, name: str, window: int | None) -> _DecoderArch:
    heads = cfg.num_attention_heads
    kv_heads = cfg.num_key_value_heads or heads
    if heads % kv_heads:
        raise WorkloadError(
            f"{path}: field 'num_key_value_heads': {heads} heads are not a multiple of {kv_heads}"
        )
    hd = cfg.head_dim or _head_dim(cfg.hidden_size, heads, path, "num_attention_heads")
    return _DecoderArch(
        name=name,
        model_type=cfg.model_type,
        layers=cfg.num_hidden_layers,
        hidden=cfg.hidden_size,
        heads=heads,
        kv_heads=kv_heads,
        head_dim=hd,
        inter=cfg.intermediate_size,
        vocab=cfg.vocab_size,
        act=_act(cfg.hidden_act, path, "hidden_act"),
        gated_mlp=True,
        rms_norm=True,
        rope=True,
        learned_positions=None,
        attn_bias=cfg.attention_bias,
        mlp_bias=cfg.mlp_bias,
        tied=cfg.tie_word_embeddings,
        window=window,
        context=cfg.max_position_embeddings,
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


def _decoder(
    arch: _DecoderArch, cfg: _HFConfig, path: Path, params: dict[str, Any]
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

    def prefill() -> Workload:
        return _decoder_graph(
            arch,
            f"{arch.name}/prefill",
            wdt,
            adt,
            kvdt,
            batch,
            prompt,
            0,
            {**used, "phase": "prefill"},
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
            f"{arch.name}/decode",
            wdt,
            adt,
            kvdt,
            batch,
            1,
            kv_len,
            {**used, "phase": "decode", "kv_len": kv_len},
        )

    kv_per_token = arch.layers * 2 * arch.kv_heads * arch.head_dim * DTYPE_BYTES[kvdt]
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
) -> Workload:
    """``seq`` new tokens after ``cached`` cached ones; logits for the last token only."""
    g = GraphBuilder(
        name, batch=batch, weight_dtype=wdt, act_dtype=adt, family="decoder", params_used=used
    )
    d = arch.hidden
    norm: Callable[[str, str], str]
    if arch.rms_norm:
        norm = lambda t, n: g.rmsnorm(t, name=n)  # noqa: E731
    else:
        norm = lambda t, n: g.layernorm(t, name=n)  # noqa: E731
    ids = g.input("input_ids", (batch, seq), IDS_DTYPE)
    x = g.embedding(
        ids, arch.vocab, d, name="embed_tokens", shared="embed_tokens" if arch.tied else None
    )
    if arch.learned_positions is not None:
        pos = g.input("position_ids", (batch, seq), IDS_DTYPE)
        pe = g.embedding(pos, arch.learned_positions, d, name="embed_positions")
        x = g.add(x, pe, name="embed_add_positions")
    q_width, kv_width = arch.heads * arch.head_dim, arch.kv_heads * arch.head_dim
    for i in range(arch.layers):
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
            heads=arch.heads,
            kv_heads=arch.kv_heads,
            head_dim=arch.head_dim,
            causal=True,
            kv_cache_len=cached,
            kv_dtype=kvdt,
            window=arch.window,
            name=f"{pre}.attn",
        )
        o = g.linear(a, d, bias=arch.attn_bias, name=f"{pre}.o_proj")
        x = g.add(o, x, name=f"{pre}.attn_residual")
        h = norm(x, f"{pre}.mlp_norm")
        if arch.gated_mlp:
            gate = g.linear(h, arch.inter, bias=arch.mlp_bias, name=f"{pre}.gate_proj")
            up = g.linear(h, arch.inter, bias=arch.mlp_bias, name=f"{pre}.up_proj")
            gate = g.activation(gate, arch.act, name=f"{pre}.act")
            h = g.binary(gate, up, "mul", name=f"{pre}.gate_mul")
            h = g.linear(h, d, bias=arch.mlp_bias, name=f"{pre}.down_proj")
        else:
            h = g.linear(h, arch.inter, bias=arch.mlp_bias, name=f"{pre}.fc1")
            h = g.activation(h, arch.act, name=f"{pre}.act")
            h = g.linear(h, d, bias=arch.mlp_bias, name=f"{pre}.fc2")
        x = g.add(h, x, name=f"{pre}.mlp_residual")
    x = norm(x, "final_norm")
    if seq > 1:
        x = g.data_copy([x], (batch, 1, d), op_type="slice", name="last_token")
    logits = g.lm_head(x, arch.vocab, tied=arch.tied)
    return g.build([logits])
