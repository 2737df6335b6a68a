"""Building blocks shared by the built-in CNNs (all counting goes through GraphBuilder)."""

from __future__ import annotations

from typing import Any

from hwsim.errors import WorkloadError
from hwsim.vocabulary import parse_dtype
from hwsim.workload.builder import GraphBuilder


def new_builder(
    name: str, batch: int, dtype: str, family: str = "cnn", **params: Any
) -> GraphBuilder:
    """A GraphBuilder for ``name`` with the dtype alias resolved and the parameters recorded."""
    wdt, adt = parse_dtype(dtype)
    used = {"batch": batch, "dtype": dtype, **params}
    return GraphBuilder(
        name, batch=batch, weight_dtype=wdt, act_dtype=adt, family=family, params_used=used
    )


def check_resolution(name: str, resolution: int, minimum: int) -> None:
    """Reject a resolution the network cannot downsample (WorkloadError naming the limit)."""
    if resolution < minimum:
        raise WorkloadError(f"{name}: resolution must be >= {minimum}, got {resolution}")


def image_model(
    name: str, batch: int, dtype: str, resolution: int, min_resolution: int, **params: Any
) -> tuple[GraphBuilder, str]:
    """An image CNN's builder and its (batch, 3, resolution, resolution) input tensor."""
    check_resolution(name, resolution, min_resolution)
    g = new_builder(name, batch, dtype, resolution=resolution, **params)
    return g, g.input("image", (batch, 3, resolution, resolution))


def check_width(name: str, width: float) -> None:
    """Reject a width multiplier outside (0, 8]."""
    if not 0 < width <= 8:
        raise WorkloadError(f"{name}: width must be in (0, 8], got {width}")


def make_divisible(v: float, divisor: int = 8, min_value: int | None = None) -> int:
    """Channel rounding of MobileNetV2/EfficientNet (TF/torchvision ``_make_divisible``).

    Rounds to the nearest multiple of ``divisor`` but never more than 10 % below ``v``.
    """
    if min_value is None:
        min_value = divisor
    new_v = max(min_value, int(v + divisor / 2) // divisor * divisor)
    if new_v < 0.9 * v:
        new_v += divisor
    return new_v


def conv_bn_act(
    g: GraphBuilder,
    x: str,
    out_channels: int,
    kernel: int | tuple[int, int],
    *,
    stride: int | tuple[int, int] = 1,
    padding: int | tuple[int, int] | str | None = None,
    groups: int = 1,
    act: str | None = "relu",
    bias: bool = False,
    bn: bool = True,
    name: str = "conv",
) -> str:
    """Convolution, then batch norm (its own op), then the activation (its own op).

    ``padding=None`` is PyTorch's usual ``(k - 1) // 2`` on each side.
    """
    if padding is None:
        kh, kw = (kernel, kernel) if isinstance(kernel, int) else kernel
        padding = ((kh - 1) // 2, (kw - 1) // 2)
    y = g.conv2d(
        x, out_channels, kernel, stride=stride, padding=padding, groups=groups, bias=bias, name=name
    )
    if bn:
        y = g.batchnorm(y, name=f"{name}.bn")
    if act is not None:
        y = g.activation(y, act, name=f"{name}.{act}")
    return y


def squeeze_excite(
    g: GraphBuilder, x: str, squeeze_channels: int, *, act: str, gate: str, name: str
) -> str:
    """Squeeze-and-excitation: global pool, 1x1 conv (bias), act, 1x1 conv (bias), gate, scale.

    The scale is a broadcasting channel-wise ``mul`` of the block input by the gate.
    """
    channels = g.shape(x)[1]
    s = g.global_avgpool(x, name=f"{name}.pool")
    s = g.conv2d(s, squeeze_channels, 1, bias=True, name=f"{name}.fc1")
    s = g.activation(s, act, name=f"{name}.{act}")
    s = g.conv2d(s, channels, 1, bias=True, name=f"{name}.fc2")
    s = g.activation(s, gate, name=f"{name}.{gate}")
    return g.binary(x, s, "mul", name=f"{name}.scale")


def adaptive_avgpool(g: GraphBuilder, x: str, size: int, *, name: str = "avgpool") -> str:
    """PyTorch ``AdaptiveAvgPool2d(size)``.

    A map at least ``size`` wide becomes an average pool with stride ``h // size`` and kernel
    ``h - (size - 1) * stride``: exact when ``size`` divides ``h`` (a 1x1 pool, i.e. a copy, when
    the map already has that size, as torchvision still runs the module), otherwise a close
    stand-in for PyTorch's uneven windows (pooling has no MACs; only its per-element op count
    is approximate). A smaller map whose size divides ``size`` is replicated (nearest resize),
    which is what PyTorch computes then.
    """
    _, _, h, w = g.shape(x)
    if h >= size and w >= size:
        sh, sw = h // size, w // size
        kernel = (h - (size - 1) * sh, w - (size - 1) * sw)
        return g.pool(x, "avg", kernel, stride=(sh, sw), name=name)
    if h == w and size % h == 0:
        return g.resize(x, size // h, mode="nearest", name=name)
    raise WorkloadError(
        f"{g.name}: adaptive average pool from {h}x{w} to {size}x{size} is not supported; "
        "choose another resolution"
    )
