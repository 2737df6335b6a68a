"""GraphBuilder: the one place where op counts (MACs, element ops, params, bytes) are defined.

Every frontend (built-in zoo, ONNX, Hugging Face configs) lowers through these methods,
so a count rule is written exactly once. Tensors are NCHW for images and (B, S, D) for
sequences. Per-element op counts are documented in docs/assumptions.md.
"""

from __future__ import annotations

import math
from typing import Any

from hwsim.errors import WorkloadError
from hwsim.vocabulary import DTYPE_BYTES, WEIGHT_ONLY_FORMATS, Fusion, OpClass
from hwsim.workload.ir import GemmShape, Op, Tensor, Workload

# Non-MAC operations per element (docs/assumptions.md). Transcendentals (exp, erf, tanh)
# count as one op each.
ACTIVATION_OPS: dict[str, int] = {
    "relu": 1,  # max(x, 0)
    "relu6": 2,  # max, min
    "leaky_relu": 2,  # mul, select
    "prelu": 2,  # mul, select
    "elu": 4,  # exp, sub, mul, select
    "sigmoid": 4,  # neg, exp, add, div
    "hard_sigmoid": 4,  # add, max, min, div
    "tanh": 1,  # one transcendental
    "gelu": 5,  # erf form: mul(1/sqrt2), erf, add, mul, mul(0.5)
    "gelu_tanh": 9,  # x^3 (2), mul, add, mul, tanh, add, mul, mul
    "silu": 5,  # sigmoid (4) + mul
    "hard_swish": 5,  # add, max, min, mul, div
    "identity": 0,
    # unary element ops met in exported graphs (ONNX): one op per element each
    "clip": 2,  # max, min (any bounds; 0..6 is relu6)
    "erf": 1,
    "exp": 1,
    "log": 1,
    "sqrt": 1,
    "neg": 1,
    "abs": 1,
    "reciprocal": 1,
    "cast": 1,  # numeric conversion
}
ELEMENTWISE_OPS: dict[str, int] = {
    "add": 1,
    "sub": 1,
    "mul": 1,
    "div": 1,
    "max": 1,
    "min": 1,
    "pow": 1,  # x**2 (a square) is the common case; general pow is exp(log) but counted 1
}
MAX_OPS = 100_000
"""Most ops in one graph (Llama-2-7B has about 1,100; docs/limits.md)."""
MAX_TENSOR_ELEMENTS = 10**15
"""Most elements in one tensor (a petabyte of int8): a bigger shape is a typo, not a model."""

REDUCE_KINDS = ("sum", "mean", "max", "min")  # 1 op per input element, mean +1 per output
ROPE_OPS_PER_ELEMENT = 3  # x*cos + rotate_half(x)*sin: mul, mul, add (sign folded into sin)
SOFTMAX_OPS_PER_ELEMENT = 5  # max, sub, exp, sum, div
LAYERNORM_OPS_PER_ELEMENT = 8  # mean(1) + var(3: sub, mul, add) + norm(2: sub, div) + affine(2)
RMSNORM_OPS_PER_ELEMENT = 4  # square+sum (2), scale (1), affine (1)
BATCHNORM_OPS_PER_ELEMENT = 2  # folded scale and shift: mul, add
ATTENTION_SCALE_OPS = 1  # multiply each score by 1/sqrt(d)


def compute_dtype(weight_dtype: str, act_dtype: str) -> str:
    """The dtype MACs run in: the wider of the weight and activation dtypes.

    W4A16 computes in fp16 (weights are dequantised); W8A8 in int8. Block-quantised
    weight-only formats (q4_0, int4_g128, nvfp4, ...) are dequantised to the activation dtype.
    """
    if weight_dtype in WEIGHT_ONLY_FORMATS:
        return act_dtype
    wb, ab = DTYPE_BYTES[weight_dtype], DTYPE_BYTES[act_dtype]
    if wb > ab:
        return weight_dtype
    if ab > wb:
        return act_dtype
    # same width: prefer the float format (fp8 x int8 -> fp8) deterministically
    return act_dtype


def _at_least(where: str, field: str, values: tuple[int, ...], low: int) -> None:
    """Reject a conv/pool hyper-parameter below its minimum (stride 0, negative padding)."""
    if any(v < low for v in values):
        shown = values[0] if len(values) == 1 else values
        raise WorkloadError(f"{where}: {field} must be >= {low}, got {shown}")


def _pair(v: int | tuple[int, int]) -> tuple[int, int]:
    return (v, v) if isinstance(v, int) else (int(v[0]), int(v[1]))


def _pads(v: int | tuple[int, ...]) -> tuple[int, int, int, int]:
    """Padding as (top, left, bottom, right) from an int, (ph, pw) or the 4-tuple itself."""
    if isinstance(v, int):
        return (v, v, v, v)
    if len(v) == 2:
        return (int(v[0]), int(v[1]), int(v[0]), int(v[1]))
    if len(v) == 4:
        return (int(v[0]), int(v[1]), int(v[2]), int(v[3]))
    raise WorkloadError(f"padding must be an int, (ph, pw) or (top, left, bottom, right): {v}")


def _same_pads(
    h: int, w: int, kh: int, kw: int, sh: int, sw: int, dh: int, dw: int
) -> tuple[int, int, int, int]:
    """(top, left, bottom, right) padding of TF/ONNX ``SAME_UPPER`` (extra row/col at the end)."""

    def split(size: int, k: int, s: int, d: int) -> tuple[int, int]:
        total = max(0, (-(-size // s) - 1) * s + (k - 1) * d + 1 - size)
        return total // 2, total - total // 2

    (pt, pb), (pl, pr) = split(h, kh, sh, dh), split(w, kw, sw, dw)
    return (pt, pl, pb, pr)


def causal_scores(cached: int, new: int, window: int | None = None) -> int:
    """Unmasked (query, key) pairs per head for ``new`` causal queries after ``cached`` tokens.

    Query i (0-based among the new tokens) sees ``cached + i + 1`` keys, at most ``window``.
    """
    lo, hi = cached + 1, cached + new  # keys seen by the first and the last new query
    if window is None or hi <= window:
        return (lo + hi) * new // 2
    if lo > window:
        return new * window
    return (lo + window) * (window - lo + 1) // 2 + (hi - window) * window


class GraphBuilder:
    """Builds a :class:`Workload` op by op, tracking shapes and exact counts."""

    def __init__(
        self,
        name: str,
        *,
        batch: int = 1,
        weight_dtype: str = "fp32",
        act_dtype: str = "fp32",
        family: str = "cnn",
        params_used: dict[str, Any] | None = None,
    ) -> None:
        for what, dt in (("weight dtype", weight_dtype), ("activation dtype", act_dtype)):
            if dt not in DTYPE_BYTES:
                raise WorkloadError(f"unknown {what} {dt!r}; choose from {', '.join(DTYPE_BYTES)}")
        if batch < 1:
            raise WorkloadError(f"batch must be >= 1, got {batch}")
        self.name = name
        self.batch = batch
        self.weight_dtype = weight_dtype
        self.act_dtype = act_dtype
        self.family = family
        self.params_used = dict(params_used or {})
        self.tensors: dict[str, Tensor] = {}
        self.ops: list[Op] = []
        self.inputs: list[str] = []
        self.unsupported: list[str] = []
        self._names: set[str] = set()
        self._counter = 0
        self._shared_weights: set[str] = set()

    # ---- bookkeeping -------------------------------------------------------------------
    def _unique(self, base: str) -> str:
        name = base
        while name in self._names:
            self._counter += 1
            name = f"{base}_{self._counter}"
        self._names.add(name)
        return name

    def shape(self, t: str) -> tuple[int, ...]:
        """Shape of tensor ``t``."""
        return self.tensors[t].shape

    def _new_tensor(self, name: str, shape: tuple[int, ...], dtype: str | None = None) -> str:
        if any(d <= 0 for d in shape):
            raise WorkloadError(f"{self.name}: tensor {name} has a non-positive dim {shape}")
        if len(shape) > 16 or math.prod(shape) > MAX_TENSOR_ELEMENTS:
            raise WorkloadError(
                f"{self.name}: tensor {name} of shape {shape[:16]} is larger than "
                f"{MAX_TENSOR_ELEMENTS:.0e} elements (docs/limits.md)"
            )
        tname = name
        i = 0
        while tname in self.tensors:
            i += 1
            tname = f"{name}:{i}"
        self.tensors[tname] = Tensor(tname, tuple(int(d) for d in shape), dtype or self.act_dtype)
        return tname

    def input(self, name: str, shape: tuple[int, ...], dtype: str | None = None) -> str:
        """Declare a graph input tensor."""
        t = self._new_tensor(name, shape, dtype)
        self.inputs.append(t)
        return t

    def _wbytes(self, params: int) -> float:
        return params * DTYPE_BYTES[self.weight_dtype]

    def _abytes(self, names: tuple[str, ...] | list[str]) -> float:
        return float(sum(self.tensors[t].nbytes for t in names))

    def _add(self, op: Op) -> None:
        if len(self.ops) >= MAX_OPS:
            raise WorkloadError(
                f"{self.name}: more than {MAX_OPS:,} ops; the model is too deep to simulate "
                "(docs/limits.md)"
            )
        self.ops.append(op)

    def _emit(
        self,
        name: str,
        op_type: str,
        op_class: OpClass,
        inputs: tuple[str, ...],
        out_shape: tuple[int, ...],
        *,
        macs: int = 0,
        vector_ops: int = 0,
        params: int = 0,
        gemm: GemmShape | None = None,
        inplace: bool = False,
        view: bool = False,
        fusable: Fusion | None = None,
        out_dtype: str | None = None,
        state_read_bytes: float = 0.0,
        state_write_bytes: float = 0.0,
        intermediate_bytes: float = 0.0,
        weight_read_bytes: float | None = None,
        **attrs: Any,
    ) -> str:
        opname = self._unique(name)
        out = self._new_tensor(opname, out_shape, out_dtype)
        self._add(
            Op(
                name=opname,
                op_type=op_type,
                op_class=op_class,
                inputs=inputs,
                outputs=(out,),
                macs=int(macs),
                vector_ops=int(vector_ops),
                params=int(params),
                weight_bytes=self._wbytes(params),
                weight_read_bytes=weight_read_bytes,
                input_bytes=self._abytes(inputs),
                output_bytes=self.tensors[out].nbytes,
                compute_dtype=compute_dtype(self.weight_dtype, self.act_dtype),
                gemm=gemm,
                state_read_bytes=state_read_bytes,
                state_write_bytes=state_write_bytes,
                intermediate_bytes=intermediate_bytes,
                inplace=inplace,
                view=view,
                fusable=fusable,
                attrs=tuple(sorted(attrs.items())),
            )
        )
        return out

    # ---- MAC ops -----------------------------------------------------------------------
    def conv2d(
        self,
        x: str,
        out_channels: int,
        kernel: int | tuple[int, int],
        *,
        stride: int | tuple[int, int] = 1,
        padding: int | tuple[int, int] | tuple[int, int, int, int] | str = 0,
        dilation: int | tuple[int, int] = 1,
        groups: int = 1,
        bias: bool = True,
        name: str = "conv",
    ) -> str:
        """2-D convolution (NCHW).

        ``padding='same'`` is TF/ONNX ``SAME_UPPER``: output H, W = ceil(input / stride) for any
        kernel size (the extra row/column of an odd total padding goes at the end). A 4-tuple
        is (top, left, bottom, right) for asymmetric padding (ONNX ``pads``).

        MACs = N x Cout x Ho x Wo x (Cin/groups) x kh x kw; params = Cout x Cin/groups x kh x kw
        (+ Cout bias).
        """
        n, cin, h, w = self.shape(x)
        kh, kw = _pair(kernel)
        sh, sw = _pair(stride)
        dh, dw = _pair(dilation)
        where = f"{self.name}: {name}"
        _at_least(where, "kernel", (kh, kw), 1)
        _at_least(where, "stride", (sh, sw), 1)
        _at_least(where, "dilation", (dh, dw), 1)
        _at_least(where, "groups", (groups,), 1)
        _at_least(where, "out_channels", (out_channels,), 1)
        if not isinstance(padding, str):
            _at_least(where, "padding", _pads(padding), 0)
        if cin % groups or out_channels % groups:
            raise WorkloadError(
                f"{self.name}: {name}: channels {cin}->{out_channels} not divisible by groups {groups}"
            )
        if padding == "same":
            # TF / ONNX SAME_UPPER: output = ceil(input / stride), whatever the kernel parity.
            ho, wo = -(-h // sh), -(-w // sw)
        elif isinstance(padding, str):
            raise WorkloadError(f"{self.name}: {name}: unknown padding {padding!r}")
        else:
            pt, pl, pb, pr = _pads(padding)
            ho = (h + pt + pb - dh * (kh - 1) - 1) // sh + 1
            wo = (w + pl + pr - dw * (kw - 1) - 1) // sw + 1
        if ho <= 0 or wo <= 0:
            raise WorkloadError(f"{self.name}: {name}: output size {ho}x{wo} from input {h}x{w}")
        cin_g = cin // groups
        cout_g = out_channels // groups
        macs = n * out_channels * ho * wo * cin_g * kh * kw
        params = out_channels * cin_g * kh * kw + (out_channels if bias else 0)
        depthwise = groups == cin and groups > 1 and cin_g == 1
        return self._emit(
            name,
            "conv2d",
            "depthwise" if depthwise else "conv",
            (x,),
            (n, out_channels, ho, wo),
            macs=macs,
            vector_ops=n * out_channels * ho * wo if bias else 0,
            params=params,
            gemm=GemmShape(groups, n * ho * wo, cout_g, cin_g * kh * kw),
            # A depthwise conv reads one channel to write the same channel: runtimes that plan
            # in place (TinyEngine) write it over its dying input with a one-channel buffer.
            inplace=depthwise and out_channels == cin,
            kernel=(kh, kw),
            stride=(sh, sw),
            dilation=(dh, dw),
            pads=_same_pads(h, w, kh, kw, sh, sw, dh, dw)
            if isinstance(padding, str)
            else _pads(padding),
            groups=groups,
        )

    def linear(self, x: str, out_features: int, *, bias: bool = True, name: str = "linear") -> str:
        """Fully connected layer on the last dim: MACs = rows x in x out."""
        shp = self.shape(x)
        k = shp[-1]
        rows = math.prod(shp[:-1])
        params = k * out_features + (out_features if bias else 0)
        return self._emit(
            name,
            "linear",
            "gemm",
            (x,),
            (*shp[:-1], out_features),
            macs=rows * k * out_features,
            vector_ops=rows * out_features if bias else 0,
            params=params,
            gemm=GemmShape(1, rows, out_features, k),
        )

    def expert_linear(
        self,
        x: str,
        out_features: int,
        *,
        experts: int,
        top_k: int,
        tokens: int,
        held: int | None = None,
        name: str = "experts",
    ) -> str:
        """The same projection in each of ``experts`` MoE experts (no bias), top-k routed.

        ``x`` is (B, tokens x top_k, in): every token's hidden state once per expert it is
        routed to. Params = experts x in x out (memory holds every expert); MACs =
        tokens x top_k x in x out (only the routed experts compute). Weights read = the
        experts that receive at least one token: with uniform independent routing, the
        expected number touched by ``tokens`` tokens is E x (1 - (1 - k/E)^tokens)
        (= k for one token, -> E for many). Under expert parallelism a device ``held`` only
        ``held`` of the experts (whole): params and the touched share scale by held / E, and
        ``x`` holds the rows routed to this device.
        """
        shp = self.shape(x)
        k_in = shp[-1]
        rows = math.prod(shp[:-1])
        if top_k < 1 or top_k > experts:
            raise WorkloadError(f"{self.name}: {name}: top_k {top_k} not in 1..{experts}")
        held = experts if held is None else held
        touched = held * (1.0 - (1.0 - top_k / experts) ** tokens)
        per_expert = k_in * out_features
        groups = max(1, min(held, math.ceil(touched - 1e-9)))
        return self._emit(
            name,
            "linear",
            "gemm",
            (x,),
            (*shp[:-1], out_features),
            macs=rows * per_expert,
            params=held * per_expert,
            weight_read_bytes=self._wbytes(per_expert) * touched,
            gemm=GemmShape(groups, max(1, rows // groups), out_features, k_in),
            experts=experts,
            top_k=top_k,
            active_params=top_k * per_expert * held // experts,
        )

    def collective(self, x: str, kind: str, *, group: int, name: str | None = None) -> str:
        """A collective over ``group`` devices (tensor parallelism): ``all_reduce`` of partial
        sums, ``all_gather`` of shards (the output is ``group`` x wider on the last dim).

        No MACs; the reduction's adds (group-1 per element) are vector ops. The engine
        times it on the system's links (hwsim.engine.parallel).
        """
        if kind not in ("all_reduce", "all_gather"):
            raise WorkloadError(f"{self.name}: unknown collective {kind!r}")
        shp = self.shape(x)
        out = shp if kind == "all_reduce" else (*shp[:-1], shp[-1] * group)
        adds = (group - 1) * math.prod(shp) if kind == "all_reduce" else 0
        return self._emit(
            name or kind,
            kind,
            "data",
            (x,),
            out,
            vector_ops=adds,
            collective=kind,
            group=group,
            payload_bytes=self.tensors[x].nbytes,
        )

    def cross_attention(
        self,
        q: str,
        *,
        heads: int,
        head_dim: int,
        kv_len: int,
        write_tokens: int = 0,
        kv_dtype: str | None = None,
        kv: tuple[str, ...] = (),
        name: str = "cross_attention",
    ) -> str:
        """Encoder-decoder attention: ``q`` (B, Sq, heads*head_dim) attends over ``kv_len``
        cached encoder keys/values (read from the KV cache). ``write_tokens`` encoder tokens
        are written into that cache (the prefill pass that projects them, whose k and v
        tensors are given as ``kv``).

        MACs = 2 x B x heads x Sq x kv_len x head_dim; 6 non-MAC ops per score.
        """
        b, sq, dq = self.shape(q)
        if dq != heads * head_dim:
            raise WorkloadError(f"{self.name}: {name}: q width {dq} != heads*head_dim")
        kvd = kv_dtype or self.act_dtype
        kv_token_bytes = 2 * heads * head_dim * DTYPE_BYTES[kvd]
        scores = b * heads * sq * kv_len
        return self._emit(
            name,
            "attention",
            "attention",
            (q, *kv),
            (b, sq, dq),
            macs=2 * head_dim * scores,
            vector_ops=scores * (ATTENTION_SCALE_OPS + SOFTMAX_OPS_PER_ELEMENT),
            gemm=GemmShape(b * heads, sq, kv_len, head_dim),
            state_read_bytes=b * kv_len * kv_token_bytes,
            state_write_bytes=b * write_tokens * kv_token_bytes,
            intermediate_bytes=scores * DTYPE_BYTES[self.act_dtype],
            heads=heads,
            kv_heads=heads,
            causal=False,
            kv_cache_len=kv_len,
        )

    def matmul(self, a: str, b: str, *, name: str = "matmul") -> str:
        """Batched matmul of two activations: (..., M, K) @ (..., K, N)."""
        sa, sb = self.shape(a), self.shape(b)
        if sa[-1] != sb[-2]:
            raise WorkloadError(f"{self.name}: {name}: inner dims differ {sa} @ {sb}")
        batch = _broadcast(sa[:-2], sb[:-2], f"{self.name}: {name}")
        g = math.prod(batch)
        m, k, n = sa[-2], sa[-1], sb[-1]
        return self._emit(
            name,
            "matmul",
            "gemm",
            (a, b),
            (*batch, m, n),
            macs=g * m * n * k,
            gemm=GemmShape(g, m, n, k),
        )

    def attention(
        self,
        q: str,
        k: str,
        v: str,
        *,
        heads: int,
        kv_heads: int,
        head_dim: int,
        causal: bool,
        kv_cache_len: int = 0,
        kv_dtype: str | None = None,
        window: int | None = None,
        segments: tuple[tuple[int, int], ...] | None = None,
        name: str = "attention",
    ) -> str:
        """Scaled dot-product attention with MHA/GQA/MQA and an optional KV cache.

        ``q`` is (B, Sq, heads*head_dim); ``k``/``v`` are (B, Sq, kv_heads*head_dim) for the new
        tokens; ``kv_cache_len`` tokens are read from the KV cache. Keys per query:
        Skv = kv_cache_len + Sq. Causal attention counts only the unmasked scores: query i
        (0-based among the new tokens) sees kv_cache_len + i + 1 keys. A sliding ``window``
        (causal only) caps the keys a query sees at ``window`` (itself included), so at most
        ``window - 1`` cached tokens are read.

        MACs = 2 x B x heads x head_dim x (visible scores) (QK^T and AV).
        Non-MAC ops per visible score: scale (1) + softmax (5).

        ``segments`` makes it the attention of an unpadded (packed) variable-length batch:
        ``q`` is (1, T, heads*head_dim) holding the samples' tokens back to back, and
        ``segments`` gives (count, length) pairs with sum(count x length) = T. Each sample
        attends only to its own tokens (block-diagonal scores), so the visible scores per head
        are sum(count x length^2), not T^2 (bidirectional only, no KV cache).
        """
        if segments is not None:
            return self._packed_attention(q, k, v, heads, head_dim, segments, causal, name)
        b, sq, dq = self.shape(q)
        if dq != heads * head_dim:
            raise WorkloadError(f"{self.name}: {name}: q width {dq} != heads*head_dim")
        if heads % kv_heads:
            raise WorkloadError(f"{self.name}: {name}: heads {heads} not a multiple of {kv_heads}")
        if kv_cache_len < 0:
            raise WorkloadError(f"{self.name}: {name}: kv_cache_len must be >= 0")
        if window is not None and (not causal or window < 1):
            raise WorkloadError(f"{self.name}: {name}: a window needs causal attention, >= 1")
        kvd = kv_dtype or self.act_dtype
        if kvd not in DTYPE_BYTES:
            raise WorkloadError(f"{self.name}: {name}: unknown KV dtype {kvd!r}")
        cached = kv_cache_len if window is None else min(kv_cache_len, window - 1)
        skv = cached + sq
        if window is not None:
            skv = min(skv, window)
        if causal:
            scores_per_head = causal_scores(kv_cache_len, sq, window)
        else:
            scores_per_head = sq * skv
        scores = b * heads * scores_per_head
        macs = 2 * head_dim * scores
        kv_token_bytes = 2 * kv_heads * head_dim * DTYPE_BYTES[kvd]
        state_read = b * cached * kv_token_bytes
        state_write = b * sq * kv_token_bytes if kv_dtype is not None else 0.0
        # Materialised score matrix (B x H x Sq x Skv) unless the kernel fuses attention.
        inter = b * heads * sq * skv * DTYPE_BYTES[self.act_dtype]
        extra: dict[str, Any] = {"window": window} if window is not None else {}
        return self._emit(
            name,
            "attention",
            "attention",
            (q, k, v),
            (b, sq, heads * head_dim),
            macs=macs,
            vector_ops=scores * (ATTENTION_SCALE_OPS + SOFTMAX_OPS_PER_ELEMENT),
            gemm=GemmShape(b * heads, sq, skv, head_dim),
            state_read_bytes=state_read,
            state_write_bytes=state_write,
            intermediate_bytes=inter,
            heads=heads,
            kv_heads=kv_heads,
            causal=causal,
            kv_cache_len=kv_cache_len,
            **extra,
        )

    def _packed_attention(
        self,
        q: str,
        k: str,
        v: str,
        heads: int,
        head_dim: int,
        segments: tuple[tuple[int, int], ...],
        causal: bool,
        name: str,
    ) -> str:
        """Bidirectional attention over packed samples (see :meth:`attention`)."""
        b, t, dq = self.shape(q)
        if dq != heads * head_dim:
            raise WorkloadError(f"{self.name}: {name}: q width {dq} != heads*head_dim")
        if causal:
            raise WorkloadError(f"{self.name}: {name}: segments need bidirectional attention")
        if b != 1:
            raise WorkloadError(f"{self.name}: {name}: packed q must have batch 1, got {b}")
        if not segments or any(c < 1 or n < 1 for c, n in segments):
            raise WorkloadError(f"{self.name}: {name}: segments need counts and lengths >= 1")
        samples = sum(c for c, _ in segments)
        tokens = sum(c * n for c, n in segments)
        if tokens != t:
            raise WorkloadError(f"{self.name}: {name}: segments hold {tokens} tokens, q has {t}")
        scores_per_head = sum(c * n * n for c, n in segments)
        scores = heads * scores_per_head
        # As a grouped GEMM (tiling only): one (L x L) x (L x head_dim) per sample and head,
        # at the length whose square is the samples' mean square.
        rms_len = max(1, round(math.sqrt(scores_per_head / samples)))
        return self._emit(
            name,
            "attention",
            "attention",
            (q, k, v),
            (1, t, heads * head_dim),
            macs=2 * head_dim * scores,
            vector_ops=scores * (ATTENTION_SCALE_OPS + SOFTMAX_OPS_PER_ELEMENT),
            gemm=GemmShape(samples * heads, rms_len, rms_len, head_dim),
            intermediate_bytes=scores * DTYPE_BYTES[self.act_dtype],
            heads=heads,
            kv_heads=heads,
            causal=False,
            kv_cache_len=0,
            segments=tuple(segments),
        )

    # ---- element-wise ------------------------------------------------------------------
    def activation(self, x: str, kind: str, *, name: str | None = None) -> str:
        """Element-wise activation (in place); ops per element from ACTIVATION_OPS."""
        if kind not in ACTIVATION_OPS:
            raise WorkloadError(f"{self.name}: unknown activation {kind!r}")
        shp = self.shape(x)
        params = shp[1] if kind == "prelu" and len(shp) > 1 else 0
        return self._emit(
            name or kind,
            kind,
            "elementwise",
            (x,),
            shp,
            vector_ops=ACTIVATION_OPS[kind] * math.prod(shp),
            params=params,
            inplace=True,
            fusable="activation",
        )

    def binary(self, a: str, b: str, kind: str = "add", *, name: str | None = None) -> str:
        """Element-wise binary op with broadcasting (residual add, gating mul)."""
        if kind not in ELEMENTWISE_OPS:
            raise WorkloadError(f"{self.name}: unknown element-wise op {kind!r}")
        sa, sb = self.shape(a), self.shape(b)
        out = _broadcast(sa, sb, f"{self.name}: {name or kind}")
        return self._emit(
            name or kind,
            kind,
            "elementwise",
            (a, b),
            out,
            vector_ops=ELEMENTWISE_OPS[kind] * math.prod(out),
            inplace=True,
            fusable="elementwise",
        )

    def add(self, a: str, b: str, *, name: str = "add") -> str:
        """Residual / element-wise add: 1 op per element."""
        return self.binary(a, b, "add", name=name)

    def softmax(self, x: str, *, name: str = "softmax") -> str:
        """Softmax over the last dim: 5 ops per element."""
        shp = self.shape(x)
        return self._emit(
            name,
            "softmax",
            "elementwise",
            (x,),
            shp,
            vector_ops=SOFTMAX_OPS_PER_ELEMENT * math.prod(shp),
            inplace=True,
        )

    def batchnorm(self, x: str, *, name: str = "bn") -> str:
        """Inference batch norm (scale and shift per channel): 2 ops/element, 2 x C params."""
        shp = self.shape(x)
        return self._emit(
            name,
            "batchnorm",
            "elementwise",
            (x,),
            shp,
            vector_ops=BATCHNORM_OPS_PER_ELEMENT * math.prod(shp),
            params=2 * shp[1],
            inplace=True,
            fusable="norm",
        )

    def layernorm(self, x: str, *, bias: bool = True, name: str = "layernorm") -> str:
        """LayerNorm over the last dim: 8 ops/element, 2 x D params (D without bias)."""
        shp = self.shape(x)
        return self._emit(
            name,
            "layernorm",
            "elementwise",
            (x,),
            shp,
            vector_ops=LAYERNORM_OPS_PER_ELEMENT * math.prod(shp),
            params=(2 if bias else 1) * shp[-1],
            inplace=True,
        )

    def rmsnorm(self, x: str, *, name: str = "rmsnorm") -> str:
        """RMSNorm over the last dim: 4 ops/element, D params."""
        shp = self.shape(x)
        return self._emit(
            name,
            "rmsnorm",
            "elementwise",
            (x,),
            shp,
            vector_ops=RMSNORM_OPS_PER_ELEMENT * math.prod(shp),
            params=shp[-1],
            inplace=True,
        )

    # ---- pooling / resize --------------------------------------------------------------
    def pool(
        self,
        x: str,
        kind: str,
        kernel: int | tuple[int, int],
        *,
        stride: int | tuple[int, int] | None = None,
        padding: int | tuple[int, int] | tuple[int, int, int, int] = 0,
        ceil_mode: bool = False,
        name: str | None = None,
    ) -> str:
        """Max or average pooling: kh x kw ops per output element (avg adds 1 divide).

        A 4-tuple ``padding`` is (top, left, bottom, right). With ``ceil_mode`` the last
        window must start inside the input or its top/left padding (PyTorch and ONNX rule).
        """
        if kind not in ("max", "avg"):
            raise WorkloadError(f"{self.name}: unknown pooling {kind!r}")
        n, c, h, w = self.shape(x)
        kh, kw = _pair(kernel)
        sh, sw = _pair(stride if stride is not None else kernel)
        pt, pl, pb, pr = _pads(padding)
        where = f"{self.name}: {name or kind + 'pool'}"
        _at_least(where, "kernel", (kh, kw), 1)
        _at_least(where, "stride", (sh, sw), 1)
        _at_least(where, "padding", (pt, pl, pb, pr), 0)
        rnd = math.ceil if ceil_mode else math.floor
        ho = int(rnd((h + pt + pb - kh) / sh)) + 1
        wo = int(rnd((w + pl + pr - kw) / sw)) + 1
        if ceil_mode:
            ho -= 1 if (ho - 1) * sh >= h + pt else 0
            wo -= 1 if (wo - 1) * sw >= w + pl else 0
        out = n * c * ho * wo
        return self._emit(
            name or f"{kind}pool",
            f"{kind}pool",
            "elementwise",
            (x,),
            (n, c, ho, wo),
            vector_ops=out * (kh * kw + (1 if kind == "avg" else 0)),
            kernel=(kh, kw),
            stride=(sh, sw),
            pads=(pt, pl, pb, pr),
        )

    def global_avgpool(self, x: str, *, name: str = "gap") -> str:
        """Global average pool to N x C x 1 x 1: H x W adds + 1 divide per channel."""
        n, c, h, w = self.shape(x)
        return self._emit(
            name,
            "globalavgpool",
            "elementwise",
            (x,),
            (n, c, 1, 1),
            vector_ops=n * c * (h * w + 1),
        )

    def resize(
        self,
        x: str,
        scale: int | float,
        *,
        mode: str = "nearest",
        name: str = "resize",
        size: tuple[int, int] | None = None,
    ) -> str:
        """Upsample H and W by ``scale`` (or to ``size`` = (Ho, Wo) when given): nearest
        copies (0 ops), bilinear 7 ops per output."""
        n, c, h, w = self.shape(x)
        ho, wo = (
            (int(size[0]), int(size[1])) if size is not None else (int(h * scale), int(w * scale))
        )
        per = 0 if mode == "nearest" else 7
        return self._emit(
            name,
            "resize",
            "data" if per == 0 else "elementwise",
            (x,),
            (n, c, ho, wo),
            vector_ops=per * n * c * ho * wo,
            mode=mode,
        )

    # ---- data movement -----------------------------------------------------------------
    def embedding(
        self, ids: str, vocab: int, dim: int, *, name: str = "embedding", shared: str | None = None
    ) -> str:
        """Embedding gather: (B, S) ids -> (B, S, dim); vocab x dim params (0 when ``shared``
        names a weight counted elsewhere). Bytes read = gathered rows only."""
        shp = self.shape(ids)
        params = vocab * dim
        if shared is not None:
            if shared in self._shared_weights:
                params = 0
            self._shared_weights.add(shared)
        return self._emit(
            name,
            "embedding",
            "data",
            (ids,),
            (*shp, dim),
            params=params,
            weight_read_bytes=self._wbytes(math.prod(shp) * dim),
        )

    def lm_head(self, x: str, vocab: int, *, tied: bool, name: str = "lm_head") -> str:
        """Output projection to the vocabulary; with tied embeddings it reuses the embedding
        matrix (params counted once), but its bytes are still read."""
        shp = self.shape(x)
        k = shp[-1]
        rows = math.prod(shp[:-1])
        params = 0 if tied else k * vocab
        return self._emit(
            name,
            "linear",
            "gemm",
            (x,),
            (*shp[:-1], vocab),
            macs=rows * k * vocab,
            params=params,
            weight_read_bytes=self._wbytes(k * vocab),
            gemm=GemmShape(1, rows, vocab, k),
            tied=tied,
        )

    def reshape(self, x: str, shape: tuple[int, ...], *, name: str = "reshape") -> str:
        """Reshape (a view: no data moves)."""
        if math.prod(shape) != math.prod(self.shape(x)):
            raise WorkloadError(f"{self.name}: {name}: cannot reshape {self.shape(x)} to {shape}")
        return self._emit(name, "reshape", "data", (x,), tuple(shape), view=True)

    def flatten(self, x: str, *, start_dim: int = 1, name: str = "flatten") -> str:
        """Flatten dims from ``start_dim`` (a view)."""
        shp = self.shape(x)
        if not -len(shp) <= start_dim < len(shp):
            raise WorkloadError(
                f"{self.name}: {name}: start_dim {start_dim} out of range for a "
                f"{len(shp)}-D tensor {shp}"
            )
        start_dim %= len(shp)
        new = (*shp[:start_dim], math.prod(shp[start_dim:]))
        return self._emit(name, "flatten", "data", (x,), new, view=True)

    def transpose(self, x: str, perm: tuple[int, ...], *, name: str = "transpose") -> str:
        """Permute dims (a copy: reads and writes every element)."""
        shp = self.shape(x)
        if sorted(perm) != list(range(len(shp))):
            raise WorkloadError(f"{self.name}: {name}: bad permutation {perm} for {shp}")
        return self._emit(name, "transpose", "data", (x,), tuple(shp[p] for p in perm))

    def concat(self, xs: list[str], axis: int = 1, *, name: str = "concat") -> str:
        """Concatenate along ``axis`` (a copy)."""
        shapes = [self.shape(x) for x in xs]
        base = list(shapes[0])
        if not -len(base) <= axis < len(base):
            raise WorkloadError(
                f"{self.name}: {name}: axis {axis} out of range for {len(base)}-D tensors"
            )
        ax = axis % len(base)
        for s in shapes[1:]:
            if len(s) != len(base) or any(
                a != b for i, (a, b) in enumerate(zip(s, base)) if i != ax
            ):
                raise WorkloadError(f"{self.name}: {name}: shapes {shapes} do not concatenate")
        base[ax] = sum(s[ax] for s in shapes)
        return self._emit(name, "concat", "data", tuple(xs), tuple(base))

    def data_copy(
        self,
        inputs: tuple[str, ...] | list[str],
        out_shape: tuple[int, ...],
        *,
        op_type: str,
        name: str | None = None,
    ) -> str:
        """Data movement with no arithmetic (slice, split, pad, expand, gather of rows):
        reads its inputs, writes a new ``out_shape`` tensor."""
        return self._emit(name or op_type, op_type, "data", tuple(inputs), tuple(out_shape))

    def parameter(
        self, shape: tuple[int, ...], *, params: int | None = None, name: str = "param"
    ) -> str:
        """A learned tensor used as an activation (ViT class token, position table).

        ``params`` defaults to the elements of ``shape``; give it when the stored tensor is
        smaller than the one produced (a class token broadcast over the batch). Bytes read
        are the stored parameters.
        """
        stored = math.prod(shape) if params is None else params
        return self._emit(
            name,
            "parameter",
            "data",
            (),
            tuple(shape),
            params=stored,
            weight_read_bytes=self._wbytes(stored),
        )

    def binary_const(
        self,
        x: str,
        const_shape: tuple[int, ...],
        kind: str = "add",
        *,
        name: str | None = None,
    ) -> str:
        """Element-wise op between an activation and a constant (bias, scale), broadcast.

        1 op per output element (ELEMENTWISE_OPS); the constant's elements are parameters,
        except a scalar (folded into the instruction: 0 params).
        """
        if kind not in ELEMENTWISE_OPS:
            raise WorkloadError(f"{self.name}: unknown element-wise op {kind!r}")
        out = _broadcast(self.shape(x), tuple(const_shape), f"{self.name}: {name or kind}")
        n_const = math.prod(const_shape)
        return self._emit(
            name or kind,
            kind,
            "elementwise",
            (x,),
            out,
            vector_ops=ELEMENTWISE_OPS[kind] * math.prod(out),
            params=n_const if n_const > 1 else 0,
            inplace=out == self.shape(x),
            fusable="elementwise",
        )

    def reduce(
        self,
        x: str,
        kind: str,
        axes: tuple[int, ...],
        *,
        keepdims: bool = True,
        name: str | None = None,
    ) -> str:
        """Reduction over ``axes``: 1 op per input element, mean adds 1 divide per output."""
        if kind not in REDUCE_KINDS:
            raise WorkloadError(f"{self.name}: unknown reduction {kind!r}")
        shp = self.shape(x)
        ax = {a % len(shp) for a in axes}
        if keepdims:
            out = tuple(1 if i in ax else d for i, d in enumerate(shp))
        else:
            out = tuple(d for i, d in enumerate(shp) if i not in ax) or (1,)
        n_out = math.prod(out)
        return self._emit(
            name or f"reduce_{kind}",
            f"reduce_{kind}",
            "elementwise",
            (x,),
            out,
            vector_ops=math.prod(shp) + (n_out if kind == "mean" else 0),
            axes=tuple(sorted(ax)),
        )

    def rope(self, x: str, *, name: str = "rope") -> str:
        """Rotary position embedding on q or k (B, S, heads*head_dim): 3 ops per element
        (x*cos + rotate_half(x)*sin); the cos/sin tables are precomputed, not counted."""
        shp = self.shape(x)
        return self._emit(
            name,
            "rope",
            "elementwise",
            (x,),
            shp,
            vector_ops=ROPE_OPS_PER_ELEMENT * math.prod(shp),
            inplace=True,
            fusable="elementwise",
        )

    def unsupported_op(
        self, op_type: str, inputs: tuple[str, ...], out_shape: tuple[int, ...], *, name: str
    ) -> str:
        """An op a frontend could not lower (kept visible, counted as zero work, listed)."""
        self.unsupported.append(f"{name} ({op_type})")
        return self._emit(name, op_type, "data", inputs, out_shape, unsupported=True)

    # ---- result ------------------------------------------------------------------------
    def build(self, outputs: list[str] | tuple[str, ...]) -> Workload:
        """Freeze into a Workload with the given graph outputs."""
        for o in outputs:
            if o not in self.tensors:
                raise WorkloadError(f"{self.name}: unknown output tensor {o!r}")
        return Workload(
            name=self.name,
            ops=tuple(self.ops),
            tensors=dict(self.tensors),
            inputs=tuple(self.inputs),
            outputs=tuple(outputs),
            batch=self.batch,
            weight_dtype=self.weight_dtype,
            act_dtype=self.act_dtype,
            family=self.family,
            params_used=dict(self.params_used),
            unsupported=tuple(self.unsupported),
        )


def _broadcast(a: tuple[int, ...], b: tuple[int, ...], where: str) -> tuple[int, ...]:
    n = max(len(a), len(b))
    pa = (1,) * (n - len(a)) + a
    pb = (1,) * (n - len(b)) + b
    out = []
    for x, y in zip(pa, pb):
        if x != y and 1 not in (x, y):
            raise WorkloadError(f"{where}: shapes {a} and {b} do not broadcast")
        out.append(max(x, y))
    return tuple(out)
