"""ONNX frontend: lower an ``.onnx`` graph into the op IR through GraphBuilder.

The model is read without external weight data (only initializer *shapes* are needed), its
dynamic dims are bound (``dims``, ``batch``), ONNX shape inference (with data propagation)
gives every tensor's shape, and each node is lowered to a builder op. Nodes whose inputs are
all constant (initializers, ``Constant``, ``Shape`` of an activation, and anything computed
only from those) are folded: they do no work at run time. An op that cannot be lowered is an
error naming it, or with ``allow_unsupported`` a zero-work op listed in
``Workload.unsupported``. Counting rules live in the builder; assumptions in
docs/assumptions.md ("Transformers and frontends").
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from hwsim.errors import WorkloadError
from hwsim.textio import MAX_MODEL_BYTES, read_bytes, shorten
from hwsim.vocabulary import parse_dtype
from hwsim.workload.builder import GraphBuilder
from hwsim.workload.frontend import register_frontend
from hwsim.workload.ir import Workload

# ONNX TensorProto element types -> hwsim dtypes (int64 ids are stored as int32: their bytes
# are negligible and DTYPE_BYTES has no 64-bit integer).
_ELEM_DTYPES = {
    1: "fp32",  # FLOAT
    2: "int8",  # UINT8
    3: "int8",  # INT8
    5: "int16",  # INT16
    6: "int32",  # INT32
    7: "int32",  # INT64
    9: "int8",  # BOOL
    10: "fp16",  # FLOAT16
    11: "fp32",  # DOUBLE
    16: "bf16",  # BFLOAT16
}
_FLOAT_ELEMS = {1: "fp32", 10: "fp16", 16: "bf16", 11: "fp32"}

_UNARY = {
    "Relu": "relu",
    "Sigmoid": "sigmoid",
    "Tanh": "tanh",
    "LeakyRelu": "leaky_relu",
    "PRelu": "prelu",
    "Elu": "elu",
    "HardSwish": "hard_swish",
    "HardSigmoid": "hard_sigmoid",
    "Erf": "erf",
    "Exp": "exp",
    "Log": "log",
    "Sqrt": "sqrt",
    "Neg": "neg",
    "Abs": "abs",
    "Reciprocal": "reciprocal",
    "Cast": "cast",
}
_BINARY = {"Add": "add", "Sub": "sub", "Mul": "mul", "Div": "div", "Pow": "pow"}
_REDUCE = {"ReduceMean": "mean", "ReduceSum": "sum", "ReduceMax": "max", "ReduceMin": "min"}
_VIEWS = ("Reshape", "Flatten", "Squeeze", "Unsqueeze")
_COPIES = {"Slice": "slice", "Pad": "pad", "Expand": "expand", "Tile": "tile"}
_ALIASES = ("Identity", "Dropout")
_METADATA = ("Shape", "Size")  # outputs describe a shape: constant once dims are bound
_VALUE_LIMIT = 4096  # constants larger than this are not materialised (only shapes needed)


def load_onnx(
    path: str | Path,
    dims: dict[str, int] | None = None,
    allow_unsupported: bool = False,
    batch: int | None = None,
    dtype: str | None = None,
) -> Workload:
    """Workload (op graph with MACs, params, bytes) from an ONNX model file.

    Args:
        path: the ``.onnx`` file; external weight data is not read.
        dims: values of dynamic dims by name (``{"batch": 1, "seq": 128}``); a dim without a
            name is addressed as ``"<input>.<axis>"``.
        allow_unsupported: lower an op that hwsim cannot map as a zero-work op listed in
            ``Workload.unsupported`` instead of raising.
        batch: value of a dynamic leading dim of the inputs (``dims`` wins).
        dtype: ``fp32``, ``fp16``, ``int8``, ``w4a16``...; default the model's float type.

    Raises:
        WorkloadError: unreadable or truncated file, a dynamic dim without a value, or an op
            that cannot be lowered (naming its type and node).
    """
    try:
        import onnx
    except ImportError:  # pragma: no cover - onnx is an optional extra
        raise WorkloadError(
            "reading ONNX models needs the onnx package: pip install 'hwsim[onnx]'"
        ) from None
    path = Path(path)
    data = read_bytes(path, WorkloadError, max_bytes=MAX_MODEL_BYTES)
    try:
        model = onnx.load_model_from_string(data)
    except Exception as exc:  # protobuf DecodeError, truncated or garbage bytes
        raise WorkloadError(f"{path}: not a readable ONNX model ({_one_line(exc)})") from None
    del data
    _check_model(path, model)
    return _Lowering(path, model, dims or {}, allow_unsupported, batch, dtype).run()


_CHECKER_LENIENT = (
    "No Op registered",  # unknown ops: the lowering names them (or lists them)
    "Field 'shape' of 'type' is required",  # an output without a declared shape: inferred
)

MAX_DIM = 10**9
"""Largest value of a dynamic dim (``dims``); larger shapes are typos, not models."""


def _check_model(path: Path, model: Any) -> None:
    """The onnx checker (single assignment, valid tensors and attributes, known opset), plus
    checks it leaves out: negative initializer dims and an opset newer than onnx knows."""
    import onnx

    known = onnx.defs.onnx_opset_version()
    for imp in model.opset_import:
        if imp.domain in ("", "ai.onnx") and not 1 <= imp.version <= known:
            raise WorkloadError(
                f"{path}: opset {imp.version} is not a valid ONNX opset (this onnx "
                f"{onnx.__version__} knows 1 to {known})"
            )
    for t in model.graph.initializer:
        if any(d < 0 for d in t.dims):
            raise WorkloadError(
                f"{path}: initializer {t.name!r} has a negative dim {list(t.dims)[:8]}"
            )
    try:
        onnx.checker.check_model(model)
    except onnx.checker.ValidationError as exc:
        msg = _one_line(exc).removeprefix("ValidationError: ")
        if any(s in msg for s in _CHECKER_LENIENT) or "external" in msg.lower():
            return  # unknown ops are reported (or listed) by the lowering, naming the node
        raise WorkloadError(f"{path}: not a valid ONNX model: {msg[:300]}") from None
    except Exception as exc:  # the checker itself failing on a malformed proto
        raise WorkloadError(f"{path}: not a valid ONNX model ({_one_line(exc)[:300]})") from None


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


def _shape_of(type_proto: Any, bound: dict[str, int]) -> tuple[int, ...] | None:
    """Static shape of a ValueInfo type (symbolic dims resolved by ``bound``), or None."""
    if not type_proto.HasField("tensor_type") or not type_proto.tensor_type.HasField("shape"):
        return None
    dims = []
    for d in type_proto.tensor_type.shape.dim:
        if d.HasField("dim_value") and d.dim_value > 0:
            dims.append(int(d.dim_value))
        elif d.dim_param and d.dim_param in bound:
            dims.append(bound[d.dim_param])
        else:
            return None
    return tuple(dims)


class _Lowering:
    """State of one ONNX -> GraphBuilder lowering."""

    def __init__(
        self,
        path: Path,
        model: Any,
        dims: dict[str, int],
        allow_unsupported: bool,
        batch: int | None,
        dtype: str | None,
    ) -> None:
        self.path = path
        self.model = model
        self.graph = model.graph
        self.dims = dict(dims)
        self.allow_unsupported = allow_unsupported
        self.batch = batch
        self.dtype = dtype
        self.env: dict[str, str] = {}  # ONNX activation name -> builder tensor
        self.static: dict[str, tuple[int, ...] | None] = {}  # constant name -> shape
        self.values: dict[str, Any] = {}  # constant name -> numpy value (small ones)
        self.roots: dict[str, frozenset[str]] = {}  # constant -> the stored tensors it uses
        self.leaf_size: dict[str, int] = {}  # stored constant -> elements
        self.counted: set[str] = set()  # stored constants already counted as parameters
        self.inferred: dict[str, tuple[int, ...]] = {}
        self.bound: dict[str, int] = {}  # dim_param -> value given to it
        self.elem: dict[str, int] = {}  # tensor -> ONNX element type, where known
        self.opset = 1
        self.g: GraphBuilder
        self._handler_table = self._handlers()

    # ---- driver ----------------------------------------------------------------------
    def run(self) -> Workload:
        import onnx

        graph = self.graph
        if not graph.node or not graph.output:
            raise WorkloadError(f"{self.path}: the ONNX graph has no nodes or no outputs")
        for imp in self.model.opset_import:
            if imp.domain in ("", "ai.onnx"):
                self.opset = int(imp.version)
        self._read_constants()
        inputs = self._bind_inputs()
        self._check_defined()
        # Strict: a shape conflict (MatMul [1,4] x [5,3]) is an error, not a guess; ops
        # without a schema (custom domains) are left to the lowering, so those graphs are
        # inferred leniently.
        strict = all(
            onnx.defs.has(n.op_type, n.domain or "")
            for n in self.graph.node
            if n.domain in ("", "ai.onnx")
        ) and all(n.domain in ("", "ai.onnx") for n in self.graph.node)
        try:
            inferred = onnx.shape_inference.infer_shapes(
                self.model, strict_mode=strict, data_prop=True
            )
        except Exception as exc:
            raise WorkloadError(
                f"{self.path}: ONNX shape inference failed ({_one_line(exc)})"
            ) from None
        for vi in (*inferred.graph.value_info, *inferred.graph.output, *inferred.graph.input):
            shp = _shape_of(vi.type, self.bound)
            if shp is not None:
                self.inferred[vi.name] = shp
            if vi.type.HasField("tensor_type") and vi.type.tensor_type.elem_type:
                self.elem[vi.name] = int(vi.type.tensor_type.elem_type)
        for vi in graph.value_info:  # shapes stored with the model (custom ops)
            shp = _shape_of(vi.type, self.bound)
            if shp is not None:
                self.inferred.setdefault(vi.name, shp)

        wdt, adt = self._dtypes(inputs)
        first = inputs[0][1] if inputs else ()
        batch = first[0] if first else (self.batch or 1)  # the bound leading dim
        used: dict[str, Any] = {"batch": batch, "dtype": self.dtype or adt}
        if self.dims:
            used["dims"] = dict(self.dims)
        self.g = GraphBuilder(
            self.path.stem,
            batch=batch,
            weight_dtype=wdt,
            act_dtype=adt,
            family="onnx",
            params_used=used,
        )
        for name, shape, elem in inputs:
            dt = adt if elem in _FLOAT_ELEMS else _ELEM_DTYPES.get(elem, adt)
            self.env[name] = self.g.input(name, shape, dt)
        for index, node in enumerate(graph.node):
            self._lower(node, index)
        outputs = [self.env[o.name] for o in graph.output if o.name in self.env]
        return self.g.build(outputs)

    def _read_constants(self) -> None:
        from onnx import TensorProto, numpy_helper

        for t in self.graph.initializer:
            shape = tuple(int(d) for d in t.dims)
            self._set_static(t.name, shape, frozenset({t.name}))
            self.leaf_size[t.name] = math.prod(shape)
            external = t.data_location == TensorProto.EXTERNAL
            if not external and math.prod(shape) <= _VALUE_LIMIT:
                with contextlib.suppress(Exception):  # no data stored: shape only
                    self.values[t.name] = numpy_helper.to_array(t)

    def _bind_inputs(self) -> list[tuple[str, tuple[int, ...], int]]:
        """Give every dynamic input dim a value; returns (name, shape, elem type)."""
        inits = {t.name for t in self.graph.initializer}
        used_keys: set[str] = set()
        out = []
        for vi in self.graph.input:
            if vi.name in inits:
                continue
            tt = vi.type.tensor_type
            if not vi.type.HasField("tensor_type") or not tt.HasField("shape"):
                raise WorkloadError(f"{self.path}: input {vi.name!r} has no tensor shape")
            shape = []
            for axis, d in enumerate(tt.shape.dim):
                if d.HasField("dim_value") and d.dim_value > 0:
                    if axis == 0 and self.batch is not None and d.dim_value != self.batch:
                        raise WorkloadError(
                            f"{self.path}: input {vi.name!r} has a fixed batch of {d.dim_value}; "
                            f"batch {self.batch} needs a model exported with a dynamic batch dim"
                        )
                    shape.append(int(d.dim_value))
                    continue
                param = d.dim_param or ""
                key = f"{vi.name}.{axis}"
                if param and param in self.dims:
                    value, used = self.dims[param], param
                elif key in self.dims:
                    value, used = self.dims[key], key
                elif axis == 0 and self.batch is not None:
                    value, used = self.batch, ""
                else:
                    label = param or key
                    raise WorkloadError(
                        f"{self.path}: input {vi.name!r} has dynamic dim {label!r} (axis {axis}) "
                        f"without a value; give `dims` a value for it, e.g. {label}=1",
                        params=("dims",),
                    )
                if isinstance(value, str) and value.strip().isdigit():
                    value = int(value)
                if (
                    not isinstance(value, int)
                    or isinstance(value, bool)
                    or not 1 <= value <= MAX_DIM
                ):
                    raise WorkloadError(
                        f"{self.path}: dim {param or key!r} must be an integer from 1 to "
                        f"{MAX_DIM:.0e}, got {shorten(value)}"
                    )
                used_keys.add(used)
                if param:
                    self.bound[param] = value
                d.dim_value = value  # binds the dim for shape inference
                shape.append(value)
            out.append((vi.name, tuple(shape), int(tt.elem_type)))
        unknown = sorted(set(self.dims) - used_keys)
        if unknown:
            raise WorkloadError(
                f"{self.path}: no dynamic input dim named {', '.join(unknown)} "
                f"(inputs: {', '.join(f'{n}{list(s)}' for n, s, _ in out)})"
            )
        return out

    def _check_defined(self) -> None:
        defined = {vi.name for vi in self.graph.input} | {t.name for t in self.graph.initializer}
        for index, node in enumerate(self.graph.node):
            for name in node.input:
                if name and name not in defined:
                    raise WorkloadError(
                        f"{self.path}: node {self._node_name(node, index)!r} ({node.op_type}) "
                        f"reads undefined tensor {name!r} (truncated file or unsorted graph?)"
                    )
            defined.update(o for o in node.output if o)
        for o in self.graph.output:
            if o.name not in defined:
                raise WorkloadError(f"{self.path}: graph output {o.name!r} is never produced")

    def _dtypes(self, inputs: list[tuple[str, tuple[int, ...], int]]) -> tuple[str, str]:
        if self.dtype is not None:
            return parse_dtype(self.dtype)
        for _, _, elem in inputs:
            if elem in _FLOAT_ELEMS:
                return _FLOAT_ELEMS[elem], _FLOAT_ELEMS[elem]
        for t in self.graph.initializer:
            if t.data_type in _FLOAT_ELEMS:
                return _FLOAT_ELEMS[t.data_type], _FLOAT_ELEMS[t.data_type]
        return "fp32", "fp32"

    # ---- helpers ---------------------------------------------------------------------
    @staticmethod
    def _node_name(node: Any, index: int) -> str:
        return str(node.name) if node.name else f"{node.op_type}_{index}"

    def _set_static(
        self, name: str, shape: tuple[int, ...] | None, roots: frozenset[str] = frozenset()
    ) -> None:
        self.static[name] = shape
        self.roots[name] = roots

    def _attrs(self, node: Any) -> dict[str, Any]:
        from onnx import helper

        return {a.name: helper.get_attribute_value(a) for a in node.attribute}

    def _value(self, name: str) -> Any:
        """Known value of a constant input, else None."""
        return self.values.get(name) if name else None

    def _ints(self, name: str) -> list[int] | None:
        v = self._value(name)
        return None if v is None else [int(x) for x in v.reshape(-1)]

    def _scalar(self, name: str) -> float | None:
        v = self._value(name)
        if v is None or v.size != 1:
            return None
        return float(v.reshape(-1)[0])

    def _fresh_params(self, name: str) -> int:
        """Elements of the stored constants behind ``name`` not yet counted (scalars: 0)."""
        total = 0
        for leaf in self.roots.get(name, frozenset()):
            size = self.leaf_size.get(leaf, 0)
            if leaf not in self.counted and size > 1:
                total += size
            self.counted.add(leaf)
        return total

    def _materialise(self, name: str, what: str) -> str:
        """A constant used as a full tensor: a parameter-read op."""
        shape = self.static.get(name) or self.inferred.get(name)
        if shape is None:
            raise WorkloadError(f"{self.path}: {what}: shape of constant {name!r} is unknown")
        return self.g.parameter(shape or (1,), params=self._fresh_params(name), name=name)

    def _act(self, name: str) -> str:
        if name in self.static:
            return self._materialise(name, "operand")
        return self.env[name]

    def _pads(
        self, attrs: dict[str, Any], spatial: tuple[int, ...], kernel: tuple[int, ...]
    ) -> tuple[int, ...]:
        """ONNX pads (begin..., end...) for ``spatial`` input sizes, auto_pad resolved."""
        n = len(spatial)
        strides = list(attrs.get("strides") or [1] * n)
        dil = list(attrs.get("dilations") or [1] * n)
        auto = attrs.get("auto_pad", b"NOTSET")
        auto = auto.decode() if isinstance(auto, bytes) else str(auto)
        if auto in ("SAME_UPPER", "SAME_LOWER"):
            begin, end = [], []
            for size, k, s, d in zip(spatial, kernel, strides, dil):
                out = -(-size // s)
                total = max((out - 1) * s + (k - 1) * d + 1 - size, 0)
                small, big = total // 2, total - total // 2
                begin.append(small if auto == "SAME_UPPER" else big)
                end.append(big if auto == "SAME_UPPER" else small)
            return (*begin, *end)
        if auto == "VALID":
            return (0,) * (2 * n)
        pads = list(attrs.get("pads") or [0] * (2 * n))
        return tuple(int(p) for p in pads)

    # ---- lowering --------------------------------------------------------------------
    def _lower(self, node: Any, index: int) -> None:
        op = node.op_type
        name = self._node_name(node, index)
        ins = list(node.input)
        outs = [o for o in node.output if o]
        live = [i for i in ins if i and i not in self.static]
        if node.domain not in ("", "ai.onnx"):
            op = f"{node.domain}.{node.op_type}"
        if not live or op in _METADATA:
            # constant folding: no run-time work (a shape is metadata, not a stored tensor)
            if op == "Constant":
                self._constant(node, outs[0])
                return
            roots: frozenset[str] = frozenset()
            if op not in _METADATA:
                for i in ins:
                    roots |= self.roots.get(i, frozenset())
            for o in outs:
                self._set_static(o, self.inferred.get(o), roots)
            if op == "Shape" and len(outs) == 1 and ins[0] in self.env:
                attrs = self._attrs(node)
                shp = self.g.shape(self.env[ins[0]])[int(attrs.get("start", 0)) : attrs.get("end")]
                self.values[outs[0]] = np.array(shp, dtype=np.int64)
            return
        handler = self._handler_table.get(op)
        if handler is None:
            self._unsupported(node, name, op, live)
            return
        result = handler(node, name, self._attrs(node))
        if result is None:
            return
        if isinstance(result, str):
            result = [result]
        for o, t in zip(outs, result):
            expect = self.inferred.get(o)
            got = self.g.shape(t)
            if expect is not None and expect != got:
                raise WorkloadError(
                    f"{self.path}: node {name!r} ({op}): hwsim computes shape {got}, "
                    f"ONNX infers {expect}"
                )
            self.env[o] = t

    def _constant(self, node: Any, out: str) -> None:
        from onnx import helper, numpy_helper

        attrs = {a.name: a for a in node.attribute}
        value: Any = None
        if "value" in attrs:
            t = attrs["value"].t
            shape = tuple(int(d) for d in t.dims)
            if math.prod(shape) <= _VALUE_LIMIT:
                try:
                    value = numpy_helper.to_array(t)
                except Exception:
                    value = None
        else:
            for key in ("value_float", "value_int", "value_floats", "value_ints"):
                if key in attrs:
                    value = np.array(helper.get_attribute_value(attrs[key]))
            shape = tuple(value.shape) if value is not None else ()
        if value is not None:
            self.values[out] = value
            shape = tuple(value.shape)
        self._set_static(out, shape, frozenset({out}))
        self.leaf_size[out] = math.prod(shape)

    def _unsupported(self, node: Any, name: str, op: str, live: list[str], why: str = "") -> None:
        reason = f" ({why})" if why else ""
        if not self.allow_unsupported:
            raise WorkloadError(
                f"{self.path}: op {op} (node {name!r}) cannot be lowered{reason}; "
                "allow it (`allow_unsupported`) to list it as zero work instead",
                params=("allow_unsupported",),
            )
        outs = [o for o in node.output if o]
        if outs and outs[0] not in self.inferred:
            self._infer_node(node)
        for k, o in enumerate(outs):
            shape = self.inferred.get(o)
            if shape is None:
                if k == 0:
                    raise WorkloadError(
                        f"{self.path}: op {op} (node {name!r}) is unsupported and its output "
                        "shape is unknown (ONNX cannot infer it), so the graph cannot continue"
                    )
                continue
            label = name if k == 0 else f"{name}:{k}"
            self.env[o] = self.g.unsupported_op(
                op, tuple(self.env[i] for i in live if i in self.env), shape, name=label
            )

    def _handlers(self) -> dict[str, Callable[[Any, str, dict[str, Any]], Any]]:
        h: dict[str, Callable[[Any, str, dict[str, Any]], Any]] = {
            "Conv": self._conv,
            "Gemm": self._gemm,
            "MatMul": self._matmul,
            "Clip": self._clip,
            "Gelu": self._gelu,
            "Softmax": self._softmax,
            "LogSoftmax": self._softmax,
            "BatchNormalization": self._batchnorm,
            "LayerNormalization": self._layernorm,
            "MaxPool": self._pool,
            "AveragePool": self._pool,
            "GlobalAveragePool": self._global_pool,
            "GlobalMaxPool": self._global_pool,
            "Resize": self._resize,
            "Upsample": self._resize,
            "Concat": self._concat,
            "Transpose": self._transpose,
            "Gather": self._gather,
            "Split": self._split,
        }
        for op in _UNARY:
            h[op] = self._unary
        for op in _BINARY:
            h[op] = self._binary
        for op in _REDUCE:
            h[op] = self._reduce
        for op in _VIEWS:
            h[op] = self._view
        for op in _COPIES:
            h[op] = self._copy
        for op in _ALIASES:
            h[op] = self._alias
        return h

    def _infer_node(self, node: Any) -> None:
        """Shape inference of one node from the shapes hwsim knows (when the whole-graph pass
        lost track, e.g. after a custom op); results go to ``self.inferred``."""
        import onnx
        from onnx import helper, numpy_helper

        inputs, inits = [], []
        for i in dict.fromkeys(x for x in node.input if x):
            elem = self.elem.get(i, 1)
            if i in self.values:
                inits.append(numpy_helper.from_array(np.asarray(self.values[i]), i))
                continue
            shape = self.g.shape(self.env[i]) if i in self.env else self.static.get(i)
            if shape is None:
                return
            inputs.append(helper.make_tensor_value_info(i, elem, list(shape)))
        outs = [helper.make_tensor_value_info(o, 0, None) for o in node.output if o]
        graph = helper.make_graph([node], "node", inputs, outs, inits)
        model = helper.make_model(graph, opset_imports=list(self.model.opset_import))
        try:
            done = onnx.shape_inference.infer_shapes(model, strict_mode=False, data_prop=True)
        except Exception:
            return
        for vi in (*done.graph.output, *done.graph.value_info):
            shp = _shape_of(vi.type, self.bound)
            if shp is not None:
                self.inferred.setdefault(vi.name, shp)

    def _out_shape(self, node: Any, name: str, k: int = 0) -> tuple[int, ...]:
        if node.output[k] not in self.inferred:
            self._infer_node(node)
        shape = self.inferred.get(node.output[k])
        if shape is None:
            raise WorkloadError(
                f"{self.path}: op {node.op_type} (node {name!r}): output shape unknown "
                "(ONNX shape inference could not resolve it)"
            )
        return shape

    # conv / gemm
    def _conv(self, node: Any, name: str, attrs: dict[str, Any]) -> str | None:
        x_name, w_name = node.input[0], node.input[1]
        if w_name not in self.static or self.static[w_name] is None:
            self._unsupported(node, name, "Conv", [x_name], "weight computed at run time")
            return None
        if x_name in self.static:
            self._unsupported(node, name, "Conv", [w_name], "constant input, run-time weight")
            return None
        w_shape = self.static[w_name]
        assert w_shape is not None
        x = self.env[x_name]
        xs = self.g.shape(x)
        group = int(attrs.get("group", 1))
        cout, kernel = w_shape[0], tuple(w_shape[2:])
        bias = len(node.input) > 2 and bool(node.input[2])
        if len(kernel) not in (1, 2) or len(xs) != len(kernel) + 2:
            self._unsupported(node, name, "Conv", [x_name], f"{len(kernel)}-D convolution")
            return None
        if xs[1] != w_shape[1] * group:
            raise WorkloadError(
                f"{self.path}: node {name!r} (Conv): input has {xs[1]} channels, weight "
                f"{w_shape} with group {group} expects {w_shape[1] * group}"
            )
        pads = self._pads(attrs, xs[2:], kernel)
        strides = tuple(attrs.get("strides") or [1] * len(kernel))
        dil = tuple(attrs.get("dilations") or [1] * len(kernel))
        self._fresh_params(w_name)
        if bias:
            self._fresh_params(node.input[2])
        if len(kernel) == 1:  # (N, C, L) as (N, C, 1, L)
            x = self.g.reshape(x, (xs[0], xs[1], 1, xs[2]), name=f"{name}.as2d")
            y = self.g.conv2d(
                x,
                cout,
                (1, kernel[0]),
                stride=(1, strides[0]),
                padding=(0, pads[0], 0, pads[1]),
                dilation=(1, dil[0]),
                groups=group,
                bias=bias,
                name=name,
            )
            ys = self.g.shape(y)
            return self.g.reshape(y, (ys[0], ys[1], ys[3]), name=f"{name}.as1d")
        return self.g.conv2d(
            x,
            cout,
            (kernel[0], kernel[1]),
            stride=(strides[0], strides[1]),
            padding=(pads[0], pads[1], pads[2], pads[3]),
            dilation=(dil[0], dil[1]),
            groups=group,
            bias=bias,
            name=name,
        )

    def _check_inner(
        self, a: str, a_name: str, b_name: str, b_shape: tuple[int, ...], trans_b: bool, name: str
    ) -> None:
        """``a @ W`` needs a's last dim to equal W's rows (columns when transposed)."""
        k_in = b_shape[1] if trans_b else b_shape[0]
        if self.g.shape(a)[-1] != k_in:
            raise WorkloadError(
                f"{self.path}: node {name!r}: input {a_name!r} of shape {self.g.shape(a)} "
                f"cannot multiply weight {b_name!r} of shape {b_shape}"
                + (" (transposed)" if trans_b else "")
            )

    def _linear_or_matmul(self, a_name: str, b_name: str, name: str, trans_b: bool) -> str:
        """a @ b (b transposed when ``trans_b``): linear when b is a 2-D constant."""
        b_shape = self.static.get(b_name) if b_name in self.static else None
        if b_name in self.static and b_shape is not None and len(b_shape) == 2:
            a = self._act(a_name)
            n_out = b_shape[0] if trans_b else b_shape[1]
            self._check_inner(a, a_name, b_name, b_shape, trans_b, name)
            if self._fresh_params(b_name) == 0:
                # weight already counted (shared / tied): read, not counted again
                return self.g.lm_head(a, n_out, tied=True, name=name)
            return self.g.linear(a, n_out, bias=False, name=name)
        a, b = self._act(a_name), self._act(b_name)
        if trans_b:
            bs = self.g.shape(b)
            perm = (*range(len(bs) - 2), len(bs) - 1, len(bs) - 2)
            b = self.g.transpose(b, perm, name=f"{name}.transB")
        if len(self.g.shape(a)) < 2 or len(self.g.shape(b)) < 2:
            raise WorkloadError(f"{self.path}: node {name!r}: 1-D matmul operands are unsupported")
        ka, kb = self.g.shape(a)[-1], self.g.shape(b)[-2]
        if ka != kb:
            raise WorkloadError(
                f"{self.path}: node {name!r}: inner dims differ ({self.g.shape(a)} x "
                f"{self.g.shape(b)})"
            )
        return self.g.matmul(a, b, name=name)

    def _gemm(self, node: Any, name: str, attrs: dict[str, Any]) -> str:
        a_name, b_name = node.input[0], node.input[1]
        c_name = node.input[2] if len(node.input) > 2 else ""
        if attrs.get("transA", 0):
            a = self._act(a_name)
            a = self.g.transpose(a, (1, 0), name=f"{name}.transA")
            self.env[f"{name}.transA"] = a
            a_name = f"{name}.transA"
        trans_b = bool(attrs.get("transB", 0))
        b_shape = self.static.get(b_name)
        if c_name and c_name in self.static and b_shape is not None and len(b_shape) == 2:
            n_out = b_shape[0] if trans_b else b_shape[1]
            a = self._act(a_name)
            self._check_inner(a, a_name, b_name, b_shape, trans_b, name)
            self._fresh_params(b_name)
            self._fresh_params(c_name)
            return self.g.linear(a, n_out, bias=True, name=name)
        y = self._linear_or_matmul(a_name, b_name, name, trans_b)
        if not c_name:
            return y
        if c_name in self.static:
            shape = self.static[c_name] or ()
            self._fresh_params(c_name)
            return self.g.binary_const(y, shape, "add", name=f"{name}.bias")
        return self.g.binary(y, self.env[c_name], "add", name=f"{name}.bias")

    def _matmul(self, node: Any, name: str, attrs: dict[str, Any]) -> str:
        return self._linear_or_matmul(node.input[0], node.input[1], name, False)

    # element-wise
    def _unary(self, node: Any, name: str, attrs: dict[str, Any]) -> str:
        x = self.env[node.input[0]]
        if node.op_type == "PRelu":
            self._fresh_params(node.input[1])
        return self.g.activation(x, _UNARY[node.op_type], name=name)

    def _gelu(self, node: Any, name: str, attrs: dict[str, Any]) -> str:
        approx = attrs.get("approximate", b"none")
        approx = approx.decode() if isinstance(approx, bytes) else str(approx)
        kind = "gelu_tanh" if approx == "tanh" else "gelu"
        return self.g.activation(self.env[node.input[0]], kind, name=name)

    def _clip(self, node: Any, name: str, attrs: dict[str, Any]) -> str:
        x = self.env[node.input[0]]
        if self.opset < 11:
            lo, hi = attrs.get("min"), attrs.get("max")
        else:
            lo = self._scalar(node.input[1]) if len(node.input) > 1 and node.input[1] else None
            hi = self._scalar(node.input[2]) if len(node.input) > 2 and node.input[2] else None
        if lo == 0 and hi == 6:
            kind = "relu6"
        elif lo == 0 and hi is None:
            kind = "relu"
        else:
            kind = "clip"
        return self.g.activation(x, kind, name=name)

    def _binary(self, node: Any, name: str, attrs: dict[str, Any]) -> str:
        kind = _BINARY[node.op_type]
        a_name, b_name = node.input[0], node.input[1]
        if a_name in self.static or b_name in self.static:
            const, act = (a_name, b_name) if a_name in self.static else (b_name, a_name)
            shape = self.static[const]
            if shape is None:
                shape = self.inferred.get(const, ())
            self._fresh_params(const)
            return self.g.binary_const(self.env[act], shape, kind, name=name)
        return self.g.binary(self.env[a_name], self.env[b_name], kind, name=name)

    def _softmax(self, node: Any, name: str, attrs: dict[str, Any]) -> str:
        return self.g.softmax(self.env[node.input[0]], name=name)

    def _batchnorm(self, node: Any, name: str, attrs: dict[str, Any]) -> str:
        for i in node.input[1:]:
            self._fresh_params(i)
        return self.g.batchnorm(self.env[node.input[0]], name=name)

    def _layernorm(self, node: Any, name: str, attrs: dict[str, Any]) -> str:
        bias = len(node.input) > 2 and bool(node.input[2])
        for i in node.input[1:]:
            self._fresh_params(i)
        return self.g.layernorm(self.env[node.input[0]], bias=bias, name=name)

    def _reduce(self, node: Any, name: str, attrs: dict[str, Any]) -> str:
        x = self.env[node.input[0]]
        rank = len(self.g.shape(x))
        axes: list[int] | None = attrs.get("axes")
        if axes is None and len(node.input) > 1 and node.input[1]:
            axes = self._ints(node.input[1])
            if axes is None:
                raise WorkloadError(f"{self.path}: node {name!r}: reduction axes are not constant")
        if not axes:
            if attrs.get("noop_with_empty_axes", 0):
                return self.g.reshape(x, self.g.shape(x), name=name)
            axes = list(range(rank))
        keep = bool(attrs.get("keepdims", 1))
        return self.g.reduce(x, _REDUCE[node.op_type], tuple(axes), keepdims=keep, name=name)

    # pooling / resize
    def _pool(self, node: Any, name: str, attrs: dict[str, Any]) -> str | None:
        x = self.env[node.input[0]]
        xs = self.g.shape(x)
        kernel = tuple(int(k) for k in attrs["kernel_shape"])
        kind = "max" if node.op_type == "MaxPool" else "avg"
        if len(kernel) not in (1, 2) or len(xs) != len(kernel) + 2:
            self._unsupported(node, name, node.op_type, [node.input[0]], "not 1-D or 2-D")
            return None
        if any(d != 1 for d in attrs.get("dilations") or []):
            self._unsupported(node, name, node.op_type, [node.input[0]], "dilated pooling")
            return None
        strides = tuple(int(s) for s in attrs.get("strides") or [1] * len(kernel))
        pads = self._pads(attrs, xs[2:], kernel)
        ceil = bool(attrs.get("ceil_mode", 0))
        out = self.inferred.get(node.output[0])
        if ceil and out is not None:
            # ONNX shape inference and PyTorch differ on ceil_mode windows that would start in
            # the end padding; follow the model's inferred shape by padding the end explicitly.
            n = len(kernel)
            end = [
                max(pads[n + i], (out[2 + i] - 1) * strides[i] + kernel[i] - xs[2 + i] - pads[i])
                for i in range(n)
            ]
            pads, ceil = (*pads[:n], *end), False
        if len(kernel) == 1:
            x = self.g.reshape(x, (xs[0], xs[1], 1, xs[2]), name=f"{name}.as2d")
            y = self.g.pool(
                x,
                kind,
                (1, kernel[0]),
                stride=(1, strides[0]),
                padding=(0, pads[0], 0, pads[1]),
                ceil_mode=ceil,
                name=name,
            )
            ys = self.g.shape(y)
            return self.g.reshape(y, (ys[0], ys[1], ys[3]), name=f"{name}.as1d")
        return self.g.pool(
            x,
            kind,
            (kernel[0], kernel[1]),
            stride=(strides[0], strides[1]),
            padding=(pads[0], pads[1], pads[2], pads[3]),
            ceil_mode=ceil,
            name=name,
        )

    def _global_pool(self, node: Any, name: str, attrs: dict[str, Any]) -> str:
        x = self.env[node.input[0]]
        xs = self.g.shape(x)
        squeeze = len(xs) == 3
        if squeeze:
            x = self.g.reshape(x, (xs[0], xs[1], 1, xs[2]), name=f"{name}.as2d")
        elif len(xs) != 4:
            raise WorkloadError(
                f"{self.path}: node {name!r}: global pooling of a {len(xs)}-D input"
            )
        _, _, h, w = self.g.shape(x)
        if node.op_type == "GlobalAveragePool":
            y = self.g.global_avgpool(x, name=name)
        else:
            y = self.g.pool(x, "max", (h, w), name=name)
        if squeeze:
            y = self.g.reshape(y, (xs[0], xs[1], 1), name=f"{name}.as1d")
        return y

    def _resize(self, node: Any, name: str, attrs: dict[str, Any]) -> str | None:
        x = self.env[node.input[0]]
        xs = self.g.shape(x)
        out = self._out_shape(node, name)
        if len(xs) != 4 or out[:2] != xs[:2]:
            self._unsupported(node, name, node.op_type, [node.input[0]], "not an N,C,H,W resize")
            return None
        mode = attrs.get("mode", b"nearest")
        mode = mode.decode() if isinstance(mode, bytes) else str(mode)
        return self.g.resize(
            x,
            out[2] / xs[2],
            mode="nearest" if mode == "nearest" else "bilinear" if mode == "linear" else mode,
            size=(out[2], out[3]),
            name=name,
        )

    # data movement
    def _concat(self, node: Any, name: str, attrs: dict[str, Any]) -> str:
        xs = [self._act(i) for i in node.input if i]
        return self.g.concat(xs, int(attrs.get("axis", 0)), name=name)

    def _transpose(self, node: Any, name: str, attrs: dict[str, Any]) -> str:
        x = self.env[node.input[0]]
        rank = len(self.g.shape(x))
        perm = tuple(attrs.get("perm") or reversed(range(rank)))
        return self.g.transpose(x, tuple(int(p) for p in perm), name=name)

    def _view(self, node: Any, name: str, attrs: dict[str, Any]) -> str:
        x = self.env[node.input[0]]
        if node.output[0] not in self.inferred:
            self._infer_node(node)
        shape = self.inferred.get(node.output[0]) or self._view_shape(node, name, attrs)
        return self.g.reshape(x, shape, name=name)

    def _view_shape(self, node: Any, name: str, attrs: dict[str, Any]) -> tuple[int, ...]:
        """Output shape of Reshape/Flatten/Squeeze/Unsqueeze when inference gave none."""
        xs = self.g.shape(self.env[node.input[0]])
        op = node.op_type
        if op == "Flatten":
            axis = int(attrs.get("axis", 1)) % (len(xs) + 1)
            return (math.prod(xs[:axis]), math.prod(xs[axis:]))
        if op == "Reshape":
            target = self._ints(node.input[1])
            if target is not None:
                allow_zero = bool(attrs.get("allowzero", 0))
                shape = [xs[i] if d == 0 and not allow_zero else d for i, d in enumerate(target)]
                if -1 in shape:
                    known = math.prod(d for d in shape if d != -1)
                    shape[shape.index(-1)] = math.prod(xs) // max(known, 1)
                return tuple(shape)
        if op in ("Squeeze", "Unsqueeze"):
            axes = attrs.get("axes")
            if axes is None and len(node.input) > 1:
                axes = self._ints(node.input[1])
            if op == "Squeeze":
                if axes is None:
                    return tuple(d for d in xs if d != 1)
                drop = {a % len(xs) for a in axes}
                return tuple(d for i, d in enumerate(xs) if i not in drop)
            if axes is not None:
                out = list(xs)
                for a in sorted(a % (len(xs) + len(axes)) for a in axes):
                    out.insert(a, 1)
                return tuple(out)
        return self._out_shape(node, name)

    def _copy(self, node: Any, name: str, attrs: dict[str, Any]) -> str:
        x = self._act(node.input[0])
        return self.g.data_copy(
            [x], self._out_shape(node, name), op_type=_COPIES[node.op_type], name=name
        )

    def _split(self, node: Any, name: str, attrs: dict[str, Any]) -> list[str]:
        x = self.env[node.input[0]]
        outs = []
        for k, o in enumerate(node.output):
            if not o:
                continue
            outs.append(
                self.g.data_copy(
                    [x], self._out_shape(node, name, k), op_type="split", name=f"{name}:{k}"
                )
            )
        return outs

    def _alias(self, node: Any, name: str, attrs: dict[str, Any]) -> None:
        self.env[node.output[0]] = self.env[node.input[0]]

    def _gather(self, node: Any, name: str, attrs: dict[str, Any]) -> str | None:
        data, idx = node.input[0], node.input[1]
        axis = int(attrs.get("axis", 0))
        if data in self.static:
            shape = self.static[data]
            if shape is None or len(shape) != 2 or axis % 2 != 0:
                self._unsupported(node, name, "Gather", [idx], "gather from a non-2-D table")
                return None
            leaf = f"onnx:{data}"
            if self._fresh_params(data) == 0:
                # the table is counted elsewhere (tied with a MatMul): 0 params, same bytes
                self.g._shared_weights.add(leaf)
            return self.g.embedding(self.env[idx], shape[0], shape[1], name=name, shared=leaf)
        x = self.env[data]
        return self.g.data_copy([x], self._out_shape(node, name), op_type="gather", name=name)


class OnnxFrontend:
    """``.onnx`` files (shape inference; weights are not read)."""

    name = "onnx"
    formats = ".onnx file"
    params: frozenset[str] | None = frozenset({"dims", "allow_unsupported", "batch", "dtype"})

    def can_load(self, path: Path) -> bool:
        """By name: a ``.onnx`` suffix."""
        return path.suffix.lower() == ".onnx"

    def load(self, path: Path, /, **params: Any) -> Workload:
        """See :func:`load_onnx`."""
        return load_onnx(path, **params)


register_frontend(OnnxFrontend())
