"""Tiny workloads for serving tests: a two-layer CNN and a two-layer decoder LLM."""

from __future__ import annotations

from hwsim.vocabulary import DTYPE_BYTES
from hwsim.workload.builder import GraphBuilder
from hwsim.workload.ir import DecoderWorkload, Workload

D_MODEL = 128
HEADS = 4
HEAD_DIM = D_MODEL // HEADS
LAYERS = 2
VOCAB = 512
KV_BYTES_PER_TOKEN = LAYERS * 2 * D_MODEL * DTYPE_BYTES["fp16"]


def tiny_cnn(batch: int = 1) -> Workload:
    """conv 3x3 (16) -> relu -> global pool -> linear 10, int8, 32x32x3 input."""
    g = GraphBuilder("tiny-cnn", batch=batch, weight_dtype="int8", act_dtype="int8")
    x = g.input("image", (batch, 3, 32, 32))
    x = g.conv2d(x, 16, 3, padding=1, name="conv")
    x = g.activation(x, "relu")
    x = g.global_avgpool(x)
    x = g.flatten(x)
    x = g.linear(x, 10, name="fc")
    return g.build([x])


def _decoder_graph(batch: int, seq: int, cached: int) -> Workload:
    g = GraphBuilder(
        "tiny-llm", batch=batch, weight_dtype="fp16", act_dtype="fp16", family="decoder"
    )
    ids = g.input("ids", (batch, seq), "int32")
    x = g.embedding(ids, VOCAB, D_MODEL, name="embed", shared="embed")
    for i in range(LAYERS):
        h = g.rmsnorm(x, name=f"l{i}.norm1")
        q = g.linear(h, D_MODEL, bias=False, name=f"l{i}.q")
        k = g.linear(h, D_MODEL, bias=False, name=f"l{i}.k")
        v = g.linear(h, D_MODEL, bias=False, name=f"l{i}.v")
        a = g.attention(
            q,
            k,
            v,
            heads=HEADS,
            kv_heads=HEADS,
            head_dim=HEAD_DIM,
            causal=True,
            kv_cache_len=cached,
            kv_dtype="fp16",
            name=f"l{i}.attn",
        )
        x = g.add(g.linear(a, D_MODEL, bias=False, name=f"l{i}.o"), x, name=f"l{i}.res1")
        h = g.rmsnorm(x, name=f"l{i}.norm2")
        h = g.activation(g.linear(h, 4 * D_MODEL, bias=False, name=f"l{i}.up"), "silu")
        x = g.add(g.linear(h, D_MODEL, bias=False, name=f"l{i}.down"), x, name=f"l{i}.res2")
    x = g.rmsnorm(x, name="final_norm")
    if seq > 1:
        x = g.data_copy([x], (batch, 1, D_MODEL), op_type="slice", name="last_token")
    return g.build([g.lm_head(x, VOCAB, tied=True)])


def tiny_decoder(batch: int = 1, prompt_len: int = 32, gen_len: int = 8) -> DecoderWorkload:
    """A two-layer decoder LLM (d=128, 4 heads, fp16) as a DecoderWorkload."""
    return DecoderWorkload(
        name="tiny-llm",
        prompt_len=prompt_len,
        gen_len=gen_len,
        batch=batch,
        weight_dtype="fp16",
        act_dtype="fp16",
        kv_dtype="fp16",
        kv_bytes_per_token=KV_BYTES_PER_TOKEN,
        build_prefill=lambda: _decoder_graph(batch, prompt_len, 0),
        build_decode_step=lambda kv: _decoder_graph(batch, 1, kv),
    )
