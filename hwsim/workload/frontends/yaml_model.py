"""hwsim YAML model format: a layer list lowered onto GraphBuilder.

```yaml
schema_version: 1
name: tiny-cnn
input: {shape: [1, 3, 32, 32]}       # optional: name (default "input"), dtype
layers:
  - {op: conv2d, out_channels: 16, kernel: 3, padding: 1, bias: false, name: stem}
  - {op: batchnorm}
  - {op: relu, name: block_in}
  - {op: conv2d, out_channels: 16, kernel: 3, padding: 1, bias: false}
  - {op: batchnorm, residual: block_in}  # output += block_in (an explicit add op)
  - {op: relu}
  - {op: global_avgpool}
  - {op: flatten}
  - {op: linear, out_features: 10}
```

Layers run in order; each reads the previous layer's output unless ``from`` names other layers
(``input`` is the graph input). ``residual: NAME`` adds NAME's output to the layer's output.
A binary op (``add``, ``mul``, ...) takes ``from: [a, b]``, or the previous output and
``residual``. ``outputs`` (optional) lists the graph outputs; default: the last layer.
Unknown ops or fields raise :class:`~hwsim.errors.WorkloadError` naming the layer index and op.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hwsim.errors import WorkloadError
from hwsim.textio import read_yaml
from hwsim.vocabulary import parse_dtype
from hwsim.workload.builder import ACTIVATION_OPS, ELEMENTWISE_OPS, GraphBuilder
from hwsim.workload.frontend import register_frontend
from hwsim.workload.ir import Workload

SCHEMA_VERSION = 1
_TOP_FIELDS = {"schema_version", "name", "description", "family", "input", "layers", "outputs"}
_INPUT_FIELDS = {"shape", "name", "dtype"}
_COMMON_FIELDS = {"op", "name", "from", "residual"}
_PARAMS = {"batch", "dtype", "resolution"}

# op -> (required fields, optional fields)
_FIELDS: dict[str, tuple[set[str], set[str]]] = {
    "conv2d": ({"out_channels", "kernel"}, {"stride", "padding", "dilation", "groups", "bias"}),
    "depthwise_conv2d": ({"kernel"}, {"stride", "padding", "dilation", "multiplier", "bias"}),
    "linear": ({"out_features"}, {"bias"}),
    "matmul": (set(), set()),
    "batchnorm": (set(), set()),
    "layernorm": (set(), {"bias"}),
    "rmsnorm": (set(), set()),
    "softmax": (set(), set()),
    "maxpool": ({"kernel"}, {"stride", "padding", "ceil_mode"}),
    "avgpool": ({"kernel"}, {"stride", "padding", "ceil_mode"}),
    "global_avgpool": (set(), set()),
    "flatten": (set(), {"start_dim"}),
    "reshape": ({"shape"}, set()),
    "transpose": ({"perm"}, set()),
    "concat": (set(), {"axis"}),
    "resize": ({"scale"}, {"mode"}),
    "dropout": (set(), {"rate"}),
}
for _kind in ACTIVATION_OPS:
    _FIELDS.setdefault(_kind, (set(), set()))
for _kind in ELEMENTWISE_OPS:
    _FIELDS.setdefault(_kind, (set(), set()))


def _read(path: Path) -> Any:
    return read_yaml(path, WorkloadError)


def _ints(v: Any, what: str) -> int | tuple[int, int]:
    if isinstance(v, bool):
        raise WorkloadError(f"{what} must be an int or a pair of ints, got {v!r}")
    if isinstance(v, int):
        return v
    if isinstance(v, list) and len(v) == 2 and all(isinstance(i, int) for i in v):
        return (v[0], v[1])
    raise WorkloadError(f"{what} must be an int or a pair of ints, got {v!r}")


def _padding(v: Any) -> int | tuple[int, int] | str:
    if v == "same":
        return "same"
    return _ints(v, "padding")


def _int(v: Any, what: str) -> int:
    if isinstance(v, bool) or not isinstance(v, int):
        raise WorkloadError(f"{what} must be an int, got {v!r}")
    return v


def _bool(v: Any, what: str) -> bool:
    if not isinstance(v, bool):
        raise WorkloadError(f"{what} must be true or false, got {v!r}")
    return v


def _int_list(v: Any, what: str) -> tuple[int, ...]:
    if not isinstance(v, list) or not all(
        isinstance(i, int) and not isinstance(i, bool) for i in v
    ):
        raise WorkloadError(f"{what} must be a list of ints, got {v!r}")
    return tuple(v)


def _lower(g: GraphBuilder, op: str, xs: list[str], f: dict[str, Any], name: str) -> str | None:
    """Emit one layer; returns its output tensor (None: the layer is a no-op)."""
    x = xs[0]
    if op in ("conv2d", "depthwise_conv2d"):
        groups = _int(f.get("groups", 1), "groups")
        out = f.get("out_channels")
        if op == "depthwise_conv2d":
            groups = g.shape(x)[1]
            out = groups * _int(f.get("multiplier", 1), "multiplier")
        return g.conv2d(
            x,
            _int(out, "out_channels"),
            _ints(f["kernel"], "kernel"),
            stride=_ints(f.get("stride", 1), "stride"),
            padding=_padding(f.get("padding", 0)),
            dilation=_ints(f.get("dilation", 1), "dilation"),
            groups=groups,
            bias=_bool(f.get("bias", True), "bias"),
            name=name,
        )
    if op == "linear":
        return g.linear(
            x, _int(f["out_features"], "out_features"), bias=_bool(f.get("bias", True), "bias"),
            name=name,
        )  # fmt: skip
    if op == "matmul":
        return g.matmul(x, xs[1], name=name)
    if op == "batchnorm":
        return g.batchnorm(x, name=name)
    if op == "layernorm":
        return g.layernorm(x, bias=_bool(f.get("bias", True), "bias"), name=name)
    if op == "rmsnorm":
        return g.rmsnorm(x, name=name)
    if op == "softmax":
        return g.softmax(x, name=name)
    if op in ("maxpool", "avgpool"):
        stride = f.get("stride")
        return g.pool(
            x,
            op[:3],
            _ints(f["kernel"], "kernel"),
            stride=None if stride is None else _ints(stride, "stride"),
            padding=_ints(f.get("padding", 0), "padding"),
            ceil_mode=_bool(f.get("ceil_mode", False), "ceil_mode"),
            name=name,
        )
    if op == "global_avgpool":
        return g.global_avgpool(x, name=name)
    if op == "flatten":
        return g.flatten(x, start_dim=_int(f.get("start_dim", 1), "start_dim"), name=name)
    if op == "reshape":
        return g.reshape(x, _int_list(f["shape"], "shape"), name=name)
    if op == "transpose":
        return g.transpose(x, _int_list(f["perm"], "perm"), name=name)
    if op == "concat":
        return g.concat(xs, _int(f.get("axis", 1), "axis"), name=name)
    if op == "resize":
        scale = f["scale"]
        if isinstance(scale, bool) or not isinstance(scale, (int, float)) or scale <= 0:
            raise WorkloadError(f"scale must be a positive number, got {scale!r}")
        mode = f.get("mode", "nearest")
        if mode not in ("nearest", "bilinear"):
            raise WorkloadError(f"mode must be nearest or bilinear, got {mode!r}")
        return g.resize(x, scale, mode=mode, name=name)
    if op == "dropout":
        return None  # identity at inference
    if op in ELEMENTWISE_OPS:
        return g.binary(x, xs[1], op, name=name)
    return g.activation(x, op, name=name)


def _n_inputs(op: str) -> tuple[int, int]:
    """(min, max) number of input tensors of an op."""
    if op in ELEMENTWISE_OPS or op == "matmul":
        return (2, 2)
    if op == "concat":
        return (2, 1_000_000)
    return (1, 1)


def _resolve(ref: Any, names: dict[str, str], what: str) -> str:
    if not isinstance(ref, str) or ref not in names:
        known = ", ".join(names) or "none"
        raise WorkloadError(f"{what}: unknown layer {ref!r} (earlier layers: {known})")
    return names[ref]


def build_yaml_model(data: Any, /, *, source: str = "<yaml>", **params: Any) -> Workload:
    """Lower a parsed hwsim YAML model (a dict) into a Workload.

    Args:
        data: the parsed YAML document.
        source: file name used in error messages.
        **params: ``batch`` (replaces the input's first dim), ``dtype`` (``"int8"``,
            ``"w4a16"``, ...), ``resolution`` (replaces H and W of a 4-D NCHW input).

    Raises:
        WorkloadError: naming the layer index and op for an unknown op or field.
    """
    params = {k: v for k, v in params.items() if v is not None}
    unknown = sorted(set(params) - _PARAMS)
    if unknown:
        raise WorkloadError(
            f"{source}: unknown parameter(s) {', '.join(unknown)}; a YAML model takes "
            f"{', '.join(sorted(_PARAMS))}"
        )
    if not isinstance(data, dict):
        raise WorkloadError(
            f"{source}: expected a mapping with schema_version, name, input, layers"
        )
    extra = sorted(set(data) - _TOP_FIELDS)
    if extra:
        raise WorkloadError(
            f"{source}: unknown field(s) {', '.join(map(str, extra))}; allowed: "
            f"{', '.join(sorted(_TOP_FIELDS))}"
        )
    for key in ("schema_version", "name", "input", "layers"):
        if key not in data:
            raise WorkloadError(f"{source}: missing field {key!r}")
    if data["schema_version"] != SCHEMA_VERSION:
        raise WorkloadError(
            f"{source}: schema_version {data['schema_version']!r} is not supported (use 1)"
        )
    name = data["name"]
    if not isinstance(name, str) or not name:
        raise WorkloadError(f"{source}: name must be a non-empty string")
    inp = data["input"]
    if not isinstance(inp, dict):
        raise WorkloadError(f"{source}: input must be a mapping with a shape")
    bad = sorted(set(inp) - _INPUT_FIELDS)
    if bad:
        raise WorkloadError(f"{source}: input: unknown field(s) {', '.join(map(str, bad))}")
    if "shape" not in inp:
        raise WorkloadError(f"{source}: input: missing field 'shape'")
    try:
        shape = list(_int_list(inp["shape"], "input.shape"))
    except WorkloadError as exc:
        raise WorkloadError(f"{source}: {exc}") from None
    if not shape or any(d < 1 for d in shape):
        raise WorkloadError(f"{source}: input.shape must be positive dims, got {shape}")

    batch = params.get("batch", shape[0])
    if isinstance(batch, bool) or not isinstance(batch, int) or batch < 1:
        raise WorkloadError(f"{source}: batch must be a positive int, got {batch!r}")
    shape[0] = batch
    if "resolution" in params:
        res = params["resolution"]
        if len(shape) != 4:
            raise WorkloadError(f"{source}: resolution needs a 4-D NCHW input, got {shape}")
        if isinstance(res, bool) or not isinstance(res, int) or res < 1:
            raise WorkloadError(f"{source}: resolution must be a positive int, got {res!r}")
        shape[2] = shape[3] = res
    dtype = params.get("dtype", inp.get("dtype", "fp32"))
    try:
        wdt, adt = parse_dtype(str(dtype))
    except WorkloadError as exc:
        raise WorkloadError(f"{source}: {exc}") from None
    family = data.get("family", "cnn")
    used = {"batch": batch, "dtype": str(dtype)}
    if "resolution" in params:
        used["resolution"] = params["resolution"]
    try:
        g = GraphBuilder(
            name, batch=batch, weight_dtype=wdt, act_dtype=adt, family=str(family), params_used=used
        )
    except WorkloadError as exc:
        raise WorkloadError(f"{source}: {exc}") from None

    input_name = str(inp.get("name", "input"))
    x = g.input(input_name, tuple(shape))
    names: dict[str, str] = {input_name: x}
    layers = data["layers"]
    if not isinstance(layers, list) or not layers:
        raise WorkloadError(f"{source}: layers must be a non-empty list")
    for i, layer in enumerate(layers):
        x = _layer(g, i, layer, x, names, source)

    outputs = data.get("outputs")
    if outputs is None:
        outs = [x]
    else:
        if not isinstance(outputs, list) or not outputs:
            raise WorkloadError(f"{source}: outputs must be a non-empty list of layer names")
        outs = [_resolve(o, names, f"{source}: outputs") for o in outputs]
    return g.build(outs)


def _layer(
    g: GraphBuilder, i: int, layer: Any, prev: str, names: dict[str, str], source: str
) -> str:
    """Lower layer ``i``; returns the tensor the next layer reads by default."""
    if not isinstance(layer, dict) or "op" not in layer:
        raise WorkloadError(f"{source}: layer {i}: expected a mapping with an 'op'")
    op = layer["op"]
    where = f"{source}: layer {i} ({op})"
    if not isinstance(op, str) or op not in _FIELDS:
        raise WorkloadError(
            f"{source}: layer {i}: unknown op {op!r}; supported: {', '.join(sorted(_FIELDS))}"
        )
    required, optional = _FIELDS[op]
    fields = {k: v for k, v in layer.items() if k not in _COMMON_FIELDS}
    extra = sorted(set(fields) - required - optional)
    if extra:
        allowed = sorted(required | optional | _COMMON_FIELDS)
        raise WorkloadError(
            f"{where}: unknown field(s) {', '.join(map(str, extra))}; allowed: {', '.join(allowed)}"
        )
    missing = sorted(required - set(fields))
    if missing:
        raise WorkloadError(f"{where}: missing field(s) {', '.join(missing)}")
    lname = layer.get("name", f"{op}{i}")
    if not isinstance(lname, str) or not lname:
        raise WorkloadError(f"{where}: name must be a non-empty string")
    if lname in names:
        raise WorkloadError(f"{where}: duplicate layer name {lname!r}")

    src = layer.get("from")
    refs: list[Any] = [] if src is None else (src if isinstance(src, list) else [src])
    xs = [_resolve(r, names, where) for r in refs] or [prev]
    residual = layer.get("residual")
    lo, hi = _n_inputs(op)
    if len(xs) < lo and residual is not None:
        xs.append(_resolve(residual, names, where))
        residual = None
    if not lo <= len(xs) <= hi:
        raise WorkloadError(
            f"{where}: takes {lo}{'' if lo == hi else '+'} input(s), got {len(xs)} "
            "(use 'from: [a, b]' or 'residual: NAME')"
        )
    skip = None if residual is None else _resolve(residual, names, where)
    try:
        out = _lower(g, op, xs, fields, lname)
        if out is None:
            out = xs[0]
        if skip is not None:
            out = g.add(out, skip, name=f"{lname}.residual")
    except WorkloadError as exc:
        raise WorkloadError(f"{where}: {exc}") from None
    except (TypeError, ValueError, KeyError, IndexError) as exc:
        raise WorkloadError(f"{where}: invalid value: {exc}") from None
    names[lname] = out
    return out


def load_yaml_model(path: str | Path, /, **params: Any) -> Workload:
    """Load an hwsim YAML model file (``schema_version: 1``) into a Workload.

    Args:
        path: the ``.yaml`` file.
        **params: ``batch``, ``dtype``, ``resolution`` (see :func:`build_yaml_model`).

    Raises:
        WorkloadError: unreadable file, invalid YAML, unknown op or field (naming the layer).
    """
    p = Path(path)
    return build_yaml_model(_read(p), source=p.name, **params)


class YamlModelFrontend:
    """hwsim YAML model files (``schema_version: 1``, ``layers:``)."""

    name = "yaml"
    formats = ".yaml model file"
    params: frozenset[str] | None = None  # build_yaml_model names a parameter it does not take

    def can_load(self, path: Path) -> bool:
        """By name: a ``.yaml`` or ``.yml`` suffix."""
        return path.suffix.lower() in (".yaml", ".yml")

    def load(self, path: Path, /, **params: Any) -> Workload:
        """See :func:`load_yaml_model`."""
        return load_yaml_model(path, **params)


register_frontend(YamlModelFrontend())
