"""Built-in Transformers, each built from the public Hugging Face ``config.json`` shipped in
``workloads/`` (values copied from the model's hub repository, named in ``_name_or_path``).

Encoders (BERT, DistilBERT, ViT) are :class:`Workload`; decoders (GPT-2, Llama, Mistral) are
:class:`DecoderWorkload` with prefill and decode phases. Lowering: frontends/hf_config.py.
"""

from __future__ import annotations

from hwsim.errors import WorkloadError
from hwsim.resources import builtin_dir
from hwsim.workload.ir import DecoderWorkload, Workload
from hwsim.workload.lengths import DECODER_GEN_LEN, DECODER_PROMPT_LEN, ENCODER_SEQ_LEN
from hwsim.workload.registry import register


def _load(name: str, **params: object) -> Workload | DecoderWorkload:
    """The built-in ``name`` from its shipped config.json; errors name it, not the file."""
    from hwsim.workload.frontends.hf_config import load_hf_config  # on first use: pydantic

    path = str(builtin_dir("workloads") / f"{name}.json")
    try:
        return load_hf_config(path, name=name, **params)
    except WorkloadError as exc:  # "bert-base: seq_len 1000 exceeds ...", not the install path
        raise WorkloadError(str(exc).replace(path, name), params=exc.params) from None


def _encoder(name: str, batch: int, dtype: str, **params: float | None) -> Workload:
    w = _load(name, batch=batch, dtype=dtype, **params)
    assert isinstance(w, Workload)
    return w


def _decoder(
    name: str, batch: int, dtype: str, prompt_len: int, gen_len: int, kv_dtype: str | None
) -> DecoderWorkload:
    w = _load(
        name, batch=batch, dtype=dtype, prompt_len=prompt_len, gen_len=gen_len, kv_dtype=kv_dtype
    )
    assert isinstance(w, DecoderWorkload)
    return w


@register("bert-base", family="encoder", description="BERT-base uncased, 12x768, ~110M params")
def bert_base(
    batch: int = 1,
    dtype: str = "fp32",
    seq_len: int = ENCODER_SEQ_LEN,
    unpadded_len: float | None = None,
) -> Workload:
    """BERT-base (bert-base-uncased) encoder with pooler over ``seq_len`` tokens (unpadded
    samples of ``unpadded_len`` tokens on average when given)."""
    return _encoder("bert-base", batch, dtype, seq_len=seq_len, unpadded_len=unpadded_len)


@register("bert-large", family="encoder", description="BERT-large uncased, 24x1024, ~335M params")
def bert_large(
    batch: int = 1,
    dtype: str = "fp32",
    seq_len: int = ENCODER_SEQ_LEN,
    unpadded_len: float | None = None,
) -> Workload:
    """BERT-large (bert-large-uncased) encoder with pooler over ``seq_len`` tokens (unpadded
    samples of ``unpadded_len`` tokens on average when given)."""
    return _encoder("bert-large", batch, dtype, seq_len=seq_len, unpadded_len=unpadded_len)


@register("distilbert", family="encoder", description="DistilBERT base uncased, 6x768, ~66M")
def distilbert(
    batch: int = 1,
    dtype: str = "fp32",
    seq_len: int = ENCODER_SEQ_LEN,
    unpadded_len: float | None = None,
) -> Workload:
    """DistilBERT (distilbert-base-uncased) encoder over ``seq_len`` tokens (unpadded samples
    of ``unpadded_len`` tokens on average when given)."""
    return _encoder("distilbert", batch, dtype, seq_len=seq_len, unpadded_len=unpadded_len)


@register("vit-b-16", family="encoder", description="ViT-B/16, 224x224, ~86.6M params")
def vit_b_16(batch: int = 1, dtype: str = "fp32", resolution: int = 224) -> Workload:
    """ViT-B/16 (google/vit-base-patch16-224) classifier at ``resolution`` pixels."""
    return _encoder("vit-b-16", batch, dtype, resolution=resolution)


@register("gpt2", family="decoder", description="GPT-2 small (124M), ctx 1024")
def gpt2(
    batch: int = 1,
    dtype: str = "fp32",
    prompt_len: int = DECODER_PROMPT_LEN,
    gen_len: int = DECODER_GEN_LEN,
    kv_dtype: str | None = None,
) -> DecoderWorkload:
    """GPT-2 small: prefill over ``prompt_len`` tokens, then ``gen_len`` decode steps."""
    return _decoder("gpt2", batch, dtype, prompt_len, gen_len, kv_dtype)


@register("llama-2-7b", family="decoder", description="Llama-2-7B, MHA, 6.74B params")
def llama_2_7b(
    batch: int = 1,
    dtype: str = "fp16",
    prompt_len: int = DECODER_PROMPT_LEN,
    gen_len: int = DECODER_GEN_LEN,
    kv_dtype: str | None = None,
) -> DecoderWorkload:
    """Llama-2-7B: prefill over ``prompt_len`` tokens, then ``gen_len`` decode steps."""
    return _decoder("llama-2-7b", batch, dtype, prompt_len, gen_len, kv_dtype)


@register("llama-3-8b", family="decoder", description="Llama-3-8B, GQA 32q/8kv, 8.03B params")
def llama_3_8b(
    batch: int = 1,
    dtype: str = "bf16",
    prompt_len: int = DECODER_PROMPT_LEN,
    gen_len: int = DECODER_GEN_LEN,
    kv_dtype: str | None = None,
) -> DecoderWorkload:
    """Llama-3-8B: prefill over ``prompt_len`` tokens, then ``gen_len`` decode steps."""
    return _decoder("llama-3-8b", batch, dtype, prompt_len, gen_len, kv_dtype)


@register("mistral-7b", family="decoder", description="Mistral-7B v0.1, GQA, sliding window 4096")
def mistral_7b(
    batch: int = 1,
    dtype: str = "bf16",
    prompt_len: int = DECODER_PROMPT_LEN,
    gen_len: int = DECODER_GEN_LEN,
    kv_dtype: str | None = None,
) -> DecoderWorkload:
    """Mistral-7B v0.1: prefill over ``prompt_len`` tokens, then ``gen_len`` decode steps."""
    return _decoder("mistral-7b", batch, dtype, prompt_len, gen_len, kv_dtype)


def _register_decoder(name: str, description: str, dtype: str) -> None:
    """Register a decoder built from ``workloads/<name>.json`` (default ``dtype``)."""

    def build(
        batch: int = 1,
        dtype: str = dtype,
        prompt_len: int = DECODER_PROMPT_LEN,
        gen_len: int = DECODER_GEN_LEN,
        kv_dtype: str | None = None,
    ) -> DecoderWorkload:
        return _decoder(name, batch, dtype, prompt_len, gen_len, kv_dtype)

    build.__doc__ = f"{description}: prefill over ``prompt_len`` tokens, then decode steps."
    register(name, family="decoder", description=description)(build)


# Published parameter counts (tests/unit/workload/test_model_coverage.py checks them).
for _name, _description, _dtype in (
    ("llama-2-13b", "Llama-2-13B, MHA, 13.0B params", "fp16"),
    ("llama-2-70b", "Llama-2-70B, GQA 64q/8kv, 69.0B params", "fp16"),
    ("llama-3-70b", "Llama-3-70B, GQA 64q/8kv, 70.6B params", "bf16"),
    ("mixtral-8x7b", "Mixtral-8x7B MoE, 8 experts top-2, 46.7B total / 12.9B active", "bf16"),
    ("qwen2-7b", "Qwen2-7B, GQA 28q/4kv, qkv biases, 7.62B params", "bf16"),
    ("phi-3-mini", "Phi-3-mini-4k, MHA, 3.82B params", "bf16"),
    ("gemma-2-9b", "Gemma-2-9B, GQA, local/global layers, 9.24B params", "bf16"),
):
    _register_decoder(_name, _description, _dtype)
