"""Mobile CNNs: MobileNetV1 (TF-slim), MobileNetV2 and EfficientNet-B0 (torchvision), MCUNet.

Reference counts at 224x224, width 1.0: MobileNetV1 569 M MACs / 4.24 M params, MobileNetV2
300 M / 3.50 M (torchvision; TF-slim quotes 3.47 M without batch-norm parameters),
EfficientNet-B0 ~386 M / 5.29 M. MCUNet: the TinyNAS ImageNet models of Lin et al. (2020).
"""

from __future__ import annotations

from hwsim.errors import WorkloadError
from hwsim.workload.builder import GraphBuilder
from hwsim.workload.ir import Workload
from hwsim.workload.registry import register
from hwsim.workload.zoo._blocks import (
    check_width,
    conv_bn_act,
    image_model,
    make_divisible,
    squeeze_excite,
)

# ---- MobileNetV1 (TF-slim) ------------------------------------------------------------------

# (output channels at width 1.0, stride) of the 13 depthwise-separable layers.
_MOBILENET_V1_LAYERS: tuple[tuple[int, int], ...] = (
    (64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2),
    (512, 1), (512, 1), (512, 1), (512, 1), (512, 1), (1024, 2), (1024, 1),
)  # fmt: skip


def mobilenet_v1_features(
    g: GraphBuilder, x: str, width: float, *, act: str = "relu6", bias: bool = False
) -> str:
    """TF-slim MobileNetV1 feature extractor with SAME padding.

    Channels are ``max(int(c * width), 8)`` (slim's ``depth_multiplier`` with ``min_depth=8``).
    Every conv is followed by batch norm and ``act``.
    """

    def depth(c: int) -> int:
        return max(int(c * width), 8)

    x = conv_bn_act(g, x, depth(32), 3, stride=2, padding="same", act=act, bias=bias, name="conv0")
    for i, (c, s) in enumerate(_MOBILENET_V1_LAYERS, start=1):
        cin = g.shape(x)[1]
        x = conv_bn_act(
            g, x, cin, 3, stride=s, padding="same", groups=cin, act=act, bias=bias,
            name=f"conv{i}.dw",
        )  # fmt: skip
        x = conv_bn_act(g, x, depth(c), 1, act=act, bias=bias, name=f"conv{i}.pw")
    return x


@register(
    "mobilenet_v1",
    family="cnn",
    description="MobileNetV1 (TF-slim, ReLU6; width = depth multiplier), 224x224",
)
def mobilenet_v1(
    batch: int = 1,
    dtype: str = "fp32",
    resolution: int = 224,
    width: float = 1.0,
    num_classes: int = 1000,
) -> Workload:
    """TF-slim MobileNetV1: 13 depthwise-separable layers, global average pool, logits.

    The logits layer (slim: a 1x1 conv with bias on the pooled 1x1 map) is a linear layer.
    """
    check_width("mobilenet_v1", width)
    g, x = image_model(
        "mobilenet_v1", batch, dtype, resolution, 32, width=width, num_classes=num_classes
    )
    x = mobilenet_v1_features(g, x, width)
    x = g.global_avgpool(x, name="avgpool")
    x = g.flatten(x)
    x = g.linear(x, num_classes, name="logits")
    return g.build([x])


# ---- MobileNetV2 (torchvision) --------------------------------------------------------------

# (expansion t, channels c, repeats n, first stride s)
_MOBILENET_V2_SETTINGS: tuple[tuple[int, int, int, int], ...] = (
    (1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2),
    (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1),
)  # fmt: skip


def inverted_residual(
    g: GraphBuilder,
    x: str,
    out_channels: int,
    stride: int,
    *,
    kernel: int = 3,
    expand_ratio: float = 6,
    hidden: int | None = None,
    act: str = "relu6",
    name: str,
) -> str:
    """MobileNetV2 inverted residual: [1x1 expand, BN, act], kxk depthwise, BN, act, 1x1
    project, BN, plus the input when the stride is 1 and the channels match."""
    cin = g.shape(x)[1]
    if hidden is None:
        hidden = int(round(cin * expand_ratio))
    y = x
    if expand_ratio != 1:
        y = conv_bn_act(g, y, hidden, 1, act=act, name=f"{name}.expand")
    y = conv_bn_act(g, y, hidden, kernel, stride=stride, groups=hidden, act=act, name=f"{name}.dw")
    y = conv_bn_act(g, y, out_channels, 1, act=None, name=f"{name}.project")
    if stride == 1 and cin == out_channels:
        y = g.add(y, x, name=f"{name}.add")
    return y


@register(
    "mobilenet_v2",
    family="cnn",
    description="MobileNetV2 (torchvision, ReLU6, last channel 1280), 224x224",
)
def mobilenet_v2(
    batch: int = 1,
    dtype: str = "fp32",
    resolution: int = 224,
    width: float = 1.0,
    num_classes: int = 1000,
    head: str = "full",
) -> Workload:
    """torchvision MobileNetV2: channels ``_make_divisible(c * width, 8)``, last channel
    ``_make_divisible(1280 * max(1, width), 8)``.

    ``head="scaled"`` scales the last 1x1 conv with the width below 1 too,
    ``_make_divisible(1280 * width, 8)``: TF-slim's builder with
    ``finegrain_classification_mode=False`` and MCUNet's MobileNetV2 baselines (mbv2-w0.35:
    0.75 M parameters instead of 1.66 M, most of them the 1280 x 1000 classifier)."""
    check_width("mobilenet_v2", width)
    if head not in ("full", "scaled"):
        raise WorkloadError(
            f"mobilenet_v2: parameter head must be full or scaled, got {str(head)[:40]!r}"
        )
    g, x = image_model(
        "mobilenet_v2", batch, dtype, resolution, 32, width=width, num_classes=num_classes
    )
    x = conv_bn_act(g, x, make_divisible(32 * width), 3, stride=2, act="relu6", name="features.0")
    idx = 1
    for t, c, n, s in _MOBILENET_V2_SETTINGS:
        out = make_divisible(c * width)
        for i in range(n):
            x = inverted_residual(
                g, x, out, s if i == 0 else 1, expand_ratio=t, name=f"features.{idx}"
            )
            idx += 1
    last = make_divisible(1280 * (width if head == "scaled" else max(1.0, width)))
    x = conv_bn_act(g, x, last, 1, act="relu6", name=f"features.{idx}")
    x = g.global_avgpool(x, name="avgpool")
    x = g.flatten(x)
    x = g.linear(x, num_classes, name="classifier")
    return g.build([x])


# ---- EfficientNet-B0 (torchvision) ----------------------------------------------------------

# (expand ratio, kernel, stride, input channels, output channels, layers)
_EFFICIENTNET_B0_SETTINGS: tuple[tuple[int, int, int, int, int, int], ...] = (
    (1, 3, 1, 32, 16, 1), (6, 3, 2, 16, 24, 2), (6, 5, 2, 24, 40, 2), (6, 3, 2, 40, 80, 3),
    (6, 5, 1, 80, 112, 3), (6, 5, 2, 112, 192, 4), (6, 3, 1, 192, 320, 1),
)  # fmt: skip


def mbconv(
    g: GraphBuilder, x: str, expand_ratio: int, kernel: int, stride: int, out: int, name: str
) -> str:
    """EfficientNet MBConv: [1x1 expand, BN, SiLU], depthwise, BN, SiLU, SE (squeeze to
    input/4, SiLU, sigmoid), 1x1 project, BN, residual add when shapes allow."""
    cin = g.shape(x)[1]
    hidden = make_divisible(cin * expand_ratio)
    y = x
    if expand_ratio != 1:
        y = conv_bn_act(g, y, hidden, 1, act="silu", name=f"{name}.expand")
    y = conv_bn_act(
        g, y, hidden, kernel, stride=stride, groups=hidden, act="silu", name=f"{name}.dw"
    )
    y = squeeze_excite(g, y, max(1, cin // 4), act="silu", gate="sigmoid", name=f"{name}.se")
    y = conv_bn_act(g, y, out, 1, act=None, name=f"{name}.project")
    if stride == 1 and cin == out:
        y = g.add(y, x, name=f"{name}.add")  # stochastic depth is identity at inference
    return y


@register(
    "efficientnet_b0",
    family="cnn",
    description="EfficientNet-B0 (torchvision, SiLU, SE blocks), 224x224",
)
def efficientnet_b0(
    batch: int = 1, dtype: str = "fp32", resolution: int = 224, num_classes: int = 1000
) -> Workload:
    """torchvision EfficientNet-B0: stem, 16 MBConv blocks, 1x1 conv to 1280, pool, linear."""
    g, x = image_model("efficientnet_b0", batch, dtype, resolution, 32, num_classes=num_classes)
    x = conv_bn_act(g, x, 32, 3, stride=2, act="silu", name="features.0")
    for stage, (t, k, s, _cin, cout, n) in enumerate(_EFFICIENTNET_B0_SETTINGS, start=1):
        for i in range(n):
            x = mbconv(g, x, t, k, s if i == 0 else 1, cout, f"features.{stage}.{i}")
    x = conv_bn_act(g, x, 4 * g.shape(x)[1], 1, act="silu", name="features.8")
    x = g.global_avgpool(x, name="avgpool")
    x = g.flatten(x)
    x = g.linear(x, num_classes, name="classifier")
    return g.build([x])


# ---- MCUNet (TinyNAS, Lin et al. 2020) ------------------------------------------------------

# One row per MobileInvertedResidualBlock: (expand ratio, output channels, kernel, stride),
# transcribed from the released net configs (mit-han-lab/mcunet, ProxylessNASNets JSON).
# Stem: 3x3 stride-2 conv to 16 channels; no feature-mix layer; classifier on the last width.
_MCUNET_IN2: tuple[tuple[int, int, int, int], ...] = (  # mcunet-256kb-1mb_imagenet, 160x160
    (1, 8, 3, 1), (3, 16, 5, 2), (6, 16, 7, 1), (5, 16, 3, 1), (5, 16, 5, 1),
    (5, 24, 3, 2), (6, 24, 7, 1), (6, 24, 5, 1), (4, 40, 7, 2), (5, 40, 5, 1),
    (5, 48, 3, 1), (5, 48, 5, 1), (4, 48, 3, 1), (6, 96, 5, 2), (4, 96, 5, 1),
    (3, 96, 5, 1), (4, 96, 3, 1), (5, 160, 5, 1),
)  # fmt: skip
_MCUNET_IN3: tuple[tuple[int, int, int, int], ...] = (  # mcunet-320kb-1mb_imagenet, 176x176
    (1, 8, 3, 1), (3, 16, 7, 2), (5, 16, 3, 1), (5, 16, 7, 1), (4, 16, 5, 1),
    (5, 24, 5, 2), (5, 24, 5, 1), (5, 24, 5, 1), (5, 40, 3, 2), (6, 40, 7, 1),
    (4, 40, 5, 1), (5, 48, 5, 1), (5, 48, 7, 1), (5, 48, 3, 1), (6, 96, 3, 2),
    (5, 96, 7, 1), (4, 96, 3, 1), (5, 160, 7, 1),
)  # fmt: skip


def _mcunet(
    name: str,
    blocks: tuple[tuple[int, int, int, int], ...],
    batch: int,
    dtype: str,
    resolution: int,
    num_classes: int,
) -> Workload:
    g, x = image_model(name, batch, dtype, resolution, 32, num_classes=num_classes)
    x = conv_bn_act(g, x, 16, 3, stride=2, act="relu6", name="first_conv")
    for i, (t, c, k, s) in enumerate(blocks):
        x = inverted_residual(g, x, c, s, kernel=k, expand_ratio=t, name=f"blocks.{i}")
    x = g.global_avgpool(x, name="avgpool")
    x = g.flatten(x)
    x = g.linear(x, num_classes, name="classifier")
    return g.build([x])


@register(
    "mcunet-in3",
    family="cnn",
    description="MCUNet 320kB ImageNet model (TinyNAS, 18 MBConv blocks), 176x176",
)
def mcunet_in3(
    batch: int = 1, dtype: str = "fp32", resolution: int = 176, num_classes: int = 1000
) -> Workload:
    """MCUNet ``mcunet-in3`` (fits 320 kB SRAM / 1 MB Flash on STM32F746 with TinyEngine)."""
    return _mcunet("mcunet-in3", _MCUNET_IN3, batch, dtype, resolution, num_classes)


@register(
    "mcunet-in2",
    family="cnn",
    description="MCUNet 256kB ImageNet model (TinyNAS, 18 MBConv blocks), 160x160",
)
def mcunet_in2(
    batch: int = 1, dtype: str = "fp32", resolution: int = 160, num_classes: int = 1000
) -> Workload:
    """MCUNet ``mcunet-in2`` (fits 256 kB SRAM / 1 MB Flash on STM32F746 with TinyEngine)."""
    return _mcunet("mcunet-in2", _MCUNET_IN2, batch, dtype, resolution, num_classes)
