"""The four MLPerf Tiny v1.0 reference models (mlcommons/tiny, Keras definitions).

Keras layers: Conv2D / DepthwiseConv2D / Dense carry a bias (``use_bias=True`` default), SAME
padding where the reference says so, BatchNormalization and the activation as separate ops,
and the final softmax is part of the model. Dropout is identity at inference.

MACs (conv/linear only): ResNet-8 12.50 M, DS-CNN 2.657 M, VWW 7.49 M, AutoEncoder 0.264 M.
"""

from __future__ import annotations

from hwsim.errors import WorkloadError
from hwsim.workload.builder import GraphBuilder
from hwsim.workload.ir import Workload
from hwsim.workload.registry import register
from hwsim.workload.zoo._blocks import conv_bn_act, image_model, new_builder
from hwsim.workload.zoo.mobile import mobilenet_v1_features


def _keras_res_stack(g: GraphBuilder, x: str, filters: int, stride: int, name: str) -> str:
    """One ResNet-8 stack: two 3x3 conv+BN (ReLU between), a strided 1x1 conv on the skip
    path when the shape changes, add, ReLU."""
    y = conv_bn_act(
        g, x, filters, 3, stride=stride, padding="same", bias=True, name=f"{name}.conv1"
    )
    y = conv_bn_act(g, y, filters, 3, padding="same", act=None, bias=True, name=f"{name}.conv2")
    skip = x
    if stride != 1 or g.shape(x)[1] != filters:
        skip = g.conv2d(x, filters, 1, stride=stride, padding="same", name=f"{name}.skip")
    y = g.add(skip, y, name=f"{name}.add")
    return g.activation(y, "relu", name=f"{name}.relu")


@register(
    "mlperf-tiny-resnet8",
    family="cnn",
    description="MLPerf Tiny image classification: ResNet-8 (CIFAR-10, 32x32x3), 12.5 M MACs",
)
def mlperf_tiny_resnet8(
    batch: int = 1, dtype: str = "fp32", resolution: int = 32, num_classes: int = 10
) -> Workload:
    """ResNet-8 of the MLPerf Tiny IC benchmark (``resnet_v1_eembc``): 16-32-64 filters."""
    g, x = image_model("mlperf-tiny-resnet8", batch, dtype, resolution, 4, num_classes=num_classes)
    x = conv_bn_act(g, x, 16, 3, padding="same", bias=True, name="conv1")
    x = _keras_res_stack(g, x, 16, 1, "stack1")
    x = _keras_res_stack(g, x, 32, 2, "stack2")
    x = _keras_res_stack(g, x, 64, 2, "stack3")
    _, _, h, w = g.shape(x)
    x = g.pool(x, "avg", min(h, w), name="avgpool")
    x = g.flatten(x)
    x = g.linear(x, num_classes, name="dense")
    x = g.softmax(x)
    return g.build([x])


@register(
    "mlperf-tiny-ds-cnn",
    family="cnn",
    description="MLPerf Tiny keyword spotting: DS-CNN (49x10 MFCC, 12 classes), 2.66 M MACs",
)
def mlperf_tiny_ds_cnn(
    batch: int = 1, dtype: str = "fp32", frames: int = 49, num_classes: int = 12
) -> Workload:
    """DS-CNN of the MLPerf Tiny KWS benchmark: a 10x4 stride-2 conv with 64 filters, four
    depthwise-separable blocks, average pool, dense. Input: ``frames`` x 10 MFCC features."""
    if frames < 4:
        raise WorkloadError(f"mlperf-tiny-ds-cnn: frames must be >= 4, got {frames}")
    g = new_builder("mlperf-tiny-ds-cnn", batch, dtype, frames=frames, num_classes=num_classes)
    x = g.input("mfcc", (batch, 1, frames, 10))
    x = conv_bn_act(g, x, 64, (10, 4), stride=2, padding="same", bias=True, name="conv1")
    for i in range(1, 5):
        x = conv_bn_act(
            g, x, 64, 3, padding="same", groups=64, bias=True, name=f"block{i}.dw"
        )  # fmt: skip
        x = conv_bn_act(g, x, 64, 1, bias=True, name=f"block{i}.pw")
    # Keras AveragePooling2D(pool_size=(frames // 2, 10 // 2)), 'valid' padding.
    x = g.pool(x, "avg", (frames // 2, 5), name="avgpool")
    x = g.flatten(x)
    x = g.linear(x, num_classes, name="dense")
    x = g.softmax(x)
    return g.build([x])


@register(
    "mlperf-tiny-vww",
    family="cnn",
    description="MLPerf Tiny visual wake words: MobileNetV1 0.25, 96x96x3, 2 classes, 7.49 M MACs",
)
def mlperf_tiny_vww(
    batch: int = 1, dtype: str = "fp32", resolution: int = 96, num_classes: int = 2
) -> Workload:
    """MobileNetV1 with alpha 0.25 of the MLPerf Tiny VWW benchmark (``vww_model.py``): ReLU
    (not ReLU6), biased convs, BN, average pool over the whole map, dense, softmax."""
    g, x = image_model("mlperf-tiny-vww", batch, dtype, resolution, 32, num_classes=num_classes)
    x = mobilenet_v1_features(g, x, 0.25, act="relu", bias=True)
    _, _, h, w = g.shape(x)
    x = g.pool(x, "avg", (h, w), name="avgpool")
    x = g.flatten(x)
    x = g.linear(x, num_classes, name="dense")
    x = g.softmax(x)
    return g.build([x])


@register(
    "mlperf-tiny-autoencoder",
    family="mlp",
    description="MLPerf Tiny anomaly detection: FC AutoEncoder (ToyADMOS, 640 inputs), 0.26 M MACs",
)
def mlperf_tiny_autoencoder(batch: int = 1, dtype: str = "fp32", input_dim: int = 640) -> Workload:
    """Dense AutoEncoder of the MLPerf Tiny AD benchmark: 640 -> 128 x4 -> 8 -> 128 x4 -> 640.

    Every hidden Dense is followed by BatchNormalization and ReLU; the output Dense is linear.
    ``input_dim`` = 5 frames x 128 log-mel bins.
    """
    if input_dim < 1:
        raise WorkloadError(f"mlperf-tiny-autoencoder: input_dim must be >= 1, got {input_dim}")
    g = new_builder("mlperf-tiny-autoencoder", batch, dtype, family="mlp", input_dim=input_dim)
    x = g.input("features", (batch, input_dim))
    for i, units in enumerate((128, 128, 128, 128, 8, 128, 128, 128, 128)):
        x = g.linear(x, units, name=f"dense{i}")
        x = g.batchnorm(x, name=f"dense{i}.bn")
        x = g.activation(x, "relu", name=f"dense{i}.relu")
    x = g.linear(x, input_dim, name="dense_out")
    return g.build([x])
