"""Classic ImageNet CNNs exactly as torchvision defines them: AlexNet, VGG-16, ResNet-18/50.

Reference counts at 224x224 (torchvision): AlexNet 61.10 M params / 714 M MACs, VGG-16
138.36 M / 15.47 G, ResNet-18 11.69 M / 1.81 G, ResNet-50 (v1.5) 25.56 M / 4.09 G.
"""

from __future__ import annotations

from hwsim.workload.builder import GraphBuilder
from hwsim.workload.ir import Workload
from hwsim.workload.registry import register
from hwsim.workload.zoo._blocks import adaptive_avgpool, conv_bn_act, image_model


@register(
    "alexnet",
    family="cnn",
    description="AlexNet (torchvision: 64-192-384-256-256, adaptive avgpool 6x6), 224x224",
)
def alexnet(
    batch: int = 1, dtype: str = "fp32", resolution: int = 224, num_classes: int = 1000
) -> Workload:
    """torchvision AlexNet (the single-tower 'one weird trick' variant)."""
    g, x = image_model("alexnet", batch, dtype, resolution, 63, num_classes=num_classes)
    x = g.conv2d(x, 64, 11, stride=4, padding=2, name="features.0")
    x = g.activation(x, "relu", name="features.1")
    x = g.pool(x, "max", 3, stride=2, name="features.2")
    x = g.conv2d(x, 192, 5, padding=2, name="features.3")
    x = g.activation(x, "relu", name="features.4")
    x = g.pool(x, "max", 3, stride=2, name="features.5")
    x = g.conv2d(x, 384, 3, padding=1, name="features.6")
    x = g.activation(x, "relu", name="features.7")
    x = g.conv2d(x, 256, 3, padding=1, name="features.8")
    x = g.activation(x, "relu", name="features.9")
    x = g.conv2d(x, 256, 3, padding=1, name="features.10")
    x = g.activation(x, "relu", name="features.11")
    x = g.pool(x, "max", 3, stride=2, name="features.12")
    x = adaptive_avgpool(g, x, 6)
    x = g.flatten(x)
    x = g.linear(x, 4096, name="classifier.1")
    x = g.activation(x, "relu", name="classifier.2")
    x = g.linear(x, 4096, name="classifier.4")
    x = g.activation(x, "relu", name="classifier.5")
    x = g.linear(x, num_classes, name="classifier.6")
    return g.build([x])


_VGG16_CFG: tuple[int | str, ...] = (
    64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M",
)  # fmt: skip


@register("vgg16", family="cnn", description="VGG-16 (torchvision, no BN), 224x224")
def vgg16(
    batch: int = 1, dtype: str = "fp32", resolution: int = 224, num_classes: int = 1000
) -> Workload:
    """torchvision VGG-16 (configuration D): 13 3x3 convs with ReLU, 5 max pools, 3 FC."""
    g, x = image_model("vgg16", batch, dtype, resolution, 32, num_classes=num_classes)
    for i, v in enumerate(_VGG16_CFG):
        if v == "M":
            x = g.pool(x, "max", 2, stride=2, name=f"features.{i}.pool")
        else:
            x = g.conv2d(x, int(v), 3, padding=1, name=f"features.{i}.conv")
            x = g.activation(x, "relu", name=f"features.{i}.relu")
    x = adaptive_avgpool(g, x, 7)
    x = g.flatten(x)
    x = g.linear(x, 4096, name="classifier.0")
    x = g.activation(x, "relu", name="classifier.1")
    x = g.linear(x, 4096, name="classifier.3")
    x = g.activation(x, "relu", name="classifier.4")
    x = g.linear(x, num_classes, name="classifier.6")
    return g.build([x])


def _basic_block(g: GraphBuilder, x: str, planes: int, stride: int, name: str) -> str:
    cin = g.shape(x)[1]
    y = conv_bn_act(g, x, planes, 3, stride=stride, name=f"{name}.conv1")
    y = conv_bn_act(g, y, planes, 3, act=None, name=f"{name}.conv2")
    skip = x
    if stride != 1 or cin != planes:
        skip = conv_bn_act(g, x, planes, 1, stride=stride, act=None, name=f"{name}.downsample")
    y = g.add(y, skip, name=f"{name}.add")
    return g.activation(y, "relu", name=f"{name}.relu")


def _bottleneck(g: GraphBuilder, x: str, planes: int, stride: int, name: str) -> str:
    """ResNet v1.5 bottleneck: the stride sits on the 3x3 conv (torchvision)."""
    cin = g.shape(x)[1]
    out = planes * 4
    y = conv_bn_act(g, x, planes, 1, name=f"{name}.conv1")
    y = conv_bn_act(g, y, planes, 3, stride=stride, name=f"{name}.conv2")
    y = conv_bn_act(g, y, out, 1, act=None, name=f"{name}.conv3")
    skip = x
    if stride != 1 or cin != out:
        skip = conv_bn_act(g, x, out, 1, stride=stride, act=None, name=f"{name}.downsample")
    y = g.add(y, skip, name=f"{name}.add")
    return g.activation(y, "relu", name=f"{name}.relu")


def _resnet(
    name: str,
    layers: tuple[int, int, int, int],
    bottleneck: bool,
    batch: int,
    dtype: str,
    resolution: int,
    num_classes: int,
) -> Workload:
    g, x = image_model(name, batch, dtype, resolution, 32, num_classes=num_classes)
    x = conv_bn_act(g, x, 64, 7, stride=2, padding=3, name="conv1")
    x = g.pool(x, "max", 3, stride=2, padding=1, name="maxpool")
    block = _bottleneck if bottleneck else _basic_block
    for stage, (planes, blocks) in enumerate(zip((64, 128, 256, 512), layers), start=1):
        for i in range(blocks):
            stride = 2 if stage > 1 and i == 0 else 1
            x = block(g, x, planes, stride, f"layer{stage}.{i}")
    x = g.global_avgpool(x, name="avgpool")
    x = g.flatten(x)
    x = g.linear(x, num_classes, name="fc")
    return g.build([x])


@register("resnet18", family="cnn", description="ResNet-18 (torchvision), 224x224")
def resnet18(
    batch: int = 1, dtype: str = "fp32", resolution: int = 224, num_classes: int = 1000
) -> Workload:
    """torchvision ResNet-18: basic blocks [2, 2, 2, 2]."""
    return _resnet("resnet18", (2, 2, 2, 2), False, batch, dtype, resolution, num_classes)


@register(
    "resnet50", family="cnn", description="ResNet-50 v1.5 (torchvision, stride on the 3x3), 224x224"
)
def resnet50(
    batch: int = 1, dtype: str = "fp32", resolution: int = 224, num_classes: int = 1000
) -> Workload:
    """torchvision ResNet-50 (v1.5): bottleneck blocks [3, 4, 6, 3]."""
    return _resnet("resnet50", (3, 4, 6, 3), True, batch, dtype, resolution, num_classes)
