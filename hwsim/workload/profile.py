"""Workload-only profile (no hardware): the counts of the output contract (design section 7).

``profile_dict`` returns exactly the hardware-free fields of the ``hwsim run`` JSON, plus a
per-layer ``live_bytes`` (activation bytes allocated while the layer runs, on the graph as
deployed: batch norm folded, activations fused, see :mod:`hwsim.workload.memory`)
and ``inplace`` (whether the layer may write over its dying first input). A decoder LLM is
profiled on its prefill graph and adds ``kv_cache_bytes``, ``prompt_len`` and ``gen_len``.
"""

from __future__ import annotations

from typing import Any

from hwsim.vocabulary import dtype_label
from hwsim.workload.ir import DecoderWorkload, Workload
from hwsim.workload.memory import DEFAULT_DEPLOYMENT, Deployment, deployed_profile

SCHEMA_VERSION = 1
"""Version of the profile JSON layout."""


def _shape(workload: Workload, tensor: str) -> list[int] | None:
    t = workload.tensors.get(tensor)
    return list(t.shape) if t is not None else None


def layer_rows(
    workload: Workload, deployment: Deployment = DEFAULT_DEPLOYMENT
) -> list[dict[str, Any]]:
    """One dict per op: counts (MACs, FLOPs, params), bytes, live activation bytes and the
    shapes of its input and output tensors (elements per dim; None for a tensor the graph
    does not record)."""
    live = deployed_profile(workload, deployment).live_bytes
    return [
        {
            "name": op.name,
            "op_type": op.op_type,
            "macs": op.macs,
            "flops": op.flops,
            "params": op.params,
            "weight_bytes": op.weight_bytes,
            "input_bytes": op.input_bytes,
            "output_bytes": op.output_bytes,
            "live_bytes": live[i],
            "inplace": op.inplace,
            "input_shapes": [_shape(workload, t) for t in op.inputs],
            "output_shapes": [_shape(workload, t) for t in op.outputs],
        }
        for i, op in enumerate(workload.ops)
    ]


def profile_dict(
    workload: Workload | DecoderWorkload, deployment: Deployment = DEFAULT_DEPLOYMENT
) -> dict[str, Any]:
    """Hardware-free counts of a workload as a JSON-ready dict.

    Fields: schema_version, workload, batch, dtype, macs, flops, params, weight_bytes (bytes),
    peak_activation_bytes (bytes, the graph as ``deployment`` runs it: batch norm folded,
    activations fused, buffers reused by liveness by default), layers; for a DecoderWorkload also
    kv_cache_bytes (bytes for prompt + generated tokens), prompt_len, gen_len.
    """
    graph = workload.prefill() if isinstance(workload, DecoderWorkload) else workload
    out: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "workload": workload.name,
        "batch": workload.batch,
        "dtype": dtype_label(workload.weight_dtype, workload.act_dtype),
        "macs": graph.macs,
        "flops": graph.flops,
        "params": graph.params,
        "weight_bytes": graph.weight_bytes,
        "peak_activation_bytes": deployed_profile(graph, deployment).peak_bytes,
    }
    if isinstance(workload, DecoderWorkload):
        out["kv_cache_bytes"] = workload.kv_cache_bytes()
        out["prompt_len"] = workload.prompt_len
        out["gen_len"] = workload.gen_len
    out["layers"] = layer_rows(graph, deployment)
    return out
