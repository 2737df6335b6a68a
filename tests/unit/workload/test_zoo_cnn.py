"""Built-in CNNs against published parameter and MAC counts (tests/data/reference/models.csv).

Conventions of the references, checked here rather than assumed:

* ffiirree/cv-models (torchvision rows, EfficientNet-B0 "Paper" row) counts more than MACs: its
  numbers are reproduced to the table's rounding by MACs + 1 op per conv-bias output + 2 ops
  per batch-norm element + the average pools' input and output elements, i.e. by our MACs
  plus our ``vector_ops`` of exactly those op types (``_tool_macs``). Pure MACs are within 3 %
  for every row except EfficientNet-B0 (-4 %), which we compare with Tan & Le's 0.39 B MACs.
* TF-slim's MobileNetV2 3.47 M parameters leave out the batch-norm scale/shift
  (3,470,760 without, 3,504,872 with = torchvision's count).
* mltk's MLPerf Tiny MAC counts are conv/depthwise/dense MACs of the int8 TFLite graph (batch
  norm folded, biases not counted): our ``macs`` exactly.
"""

from __future__ import annotations

import csv

import pytest

from hwsim.errors import WorkloadError
from hwsim.workload import Workload, builtin_workloads, load_workload
from tests.unit.refdata import reference_file

REFERENCE = reference_file("models.csv")

CNNS = (
    "alexnet",
    "vgg16",
    "resnet18",
    "resnet50",
    "mobilenet_v1",
    "mobilenet_v2",
    "efficientnet_b0",
    "mlperf-tiny-resnet8",
    "mlperf-tiny-ds-cnn",
    "mlperf-tiny-vww",
    "mlperf-tiny-autoencoder",
    "mcunet-in2",
    "mcunet-in3",
    "lenet5",
)


def _rows() -> list[dict[str, str]]:
    with REFERENCE.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _ref(model: str, variant: str, column: str) -> float:
    for row in _rows():
        if row["model"] == model and row["variant"] == variant:
            if not row[column]:
                pytest.fail(f"{model} {variant}: no {column} in {REFERENCE.name}")
            return float(row[column])
    pytest.fail(f"{model} {variant} not in {REFERENCE.name}")


def _close(ours: float, ref: float, rel: float, quoted_unit: float = 0.0) -> bool:
    """Within ``rel`` of ``ref``, or within half the unit the reference was rounded to."""
    return abs(ours - ref) <= max(rel * ref, quoted_unit / 2)


def _tool_macs(w: Workload) -> int:
    """MACs plus conv-bias adds, batch-norm (2/element) and average-pool element ops."""
    extra = ("conv2d", "batchnorm", "avgpool", "globalavgpool")
    return w.macs + sum(op.vector_ops for op in w.ops if op.op_type in extra)


@pytest.mark.parametrize("name", CNNS)
def test_registered_and_consistent(name: str) -> None:
    assert name in builtin_workloads()
    w = load_workload(name)
    assert isinstance(w, Workload)
    assert not w.unsupported
    assert w.flops == 2 * w.macs + w.vector_ops
    assert w.params == sum(op.params for op in w.ops) > 0
    for op in w.ops:
        assert all(t in w.tensors for t in op.outputs)


# model, csv model, csv variant, params rel tolerance, MAC rel tolerance
TORCHVISION = [
    ("alexnet", "AlexNet", "torchvision"),
    ("vgg16", "VGG-16", "torchvision"),
    ("resnet18", "ResNet-18", "torchvision"),
    ("resnet50", "ResNet-50", "torchvision (v1.5)"),
]


@pytest.mark.parametrize(("name", "model", "variant"), TORCHVISION)
def test_torchvision_counts(name: str, model: str, variant: str) -> None:
    w = load_workload(name)
    params = _ref(model, variant, "params")
    macs = _ref(model, variant, "compute")
    assert _close(w.params, params, 0.01), (w.params, params)
    assert _close(w.macs, macs, 0.03), (w.macs, macs)
    # The table's own convention, reproduced to its rounding (3 decimals of millions).
    assert abs(_tool_macs(w) - macs) <= 1000, (_tool_macs(w), macs)


def test_torchvision_exact_params() -> None:
    """torchvision's published ``num_params`` metadata."""
    exact = {
        "alexnet": 61_100_840,
        "vgg16": 138_357_544,
        "resnet18": 11_689_512,
        "resnet50": 25_557_032,
        "mobilenet_v2": 3_504_872,
        "efficientnet_b0": 5_288_548,
    }
    for name, n in exact.items():
        assert load_workload(name).params == n, name


def test_efficientnet_b0() -> None:
    w = load_workload("efficientnet_b0")
    params = _ref("EfficientNet-B0", "paper config", "params")
    macs = _ref("EfficientNet-B0", "paper config", "compute")
    assert _close(w.params, params, 0.01)
    # The cv-models figure (401.7 M) includes BN, bias and pooling ops: reproduced exactly...
    assert abs(_tool_macs(w) - macs) <= 1000, (_tool_macs(w), macs)
    # ... while the pure MACs match Tan & Le's 0.39 B multiply-adds (row notes of models.csv).
    assert _close(w.macs, 0.39e9, 0.03, quoted_unit=0.01e9)
    # SE blocks: global pool, two 1x1 convs, sigmoid, broadcast channel-wise mul, in all 16.
    types = [op.op_type for op in w.ops]
    assert types.count("mul") == types.count("sigmoid") == 16
    assert types.count("globalavgpool") == 17
    assert "silu" in types and "relu" not in types


@pytest.mark.parametrize(
    ("width", "resolution", "variant", "mac_unit"),
    [(1.0, 224, "1.0_224", 1e6), (0.25, 128, "0.25_128", 1e6)],
)
def test_mobilenet_v1(width: float, resolution: int, variant: str, mac_unit: float) -> None:
    """TF-slim table: MACs in whole millions (0.25_128: 13.57 M is quoted as 14)."""
    w = load_workload("mobilenet_v1", width=width, resolution=resolution)
    assert _close(w.params, _ref("MobileNetV1", variant, "params"), 0.01)
    assert _close(w.macs, _ref("MobileNetV1", variant, "compute"), 0.03, quoted_unit=mac_unit)


def test_mobilenet_v2() -> None:
    w = load_workload("mobilenet_v2")
    bn = sum(op.params for op in w.ops if op.op_type == "batchnorm")
    # TF-slim's 3.47 M leaves out the BN scale/shift (2 x 17,056 = 34,112).
    assert _close(w.params - bn, _ref("MobileNetV2", "1.0_224", "params"), 0.01)
    assert bn == 34_112
    assert _close(w.macs, _ref("MobileNetV2", "1.0_224", "compute"), 0.03)


def test_mobilenet_channel_rounding() -> None:
    # MobileNetV2 keeps 1280 last channels below width 1 and widens above it.
    def last_conv_channels(name: str, **kw: float) -> int:
        w = load_workload(name, **kw)
        conv = [op for op in w.ops if op.op_type == "conv2d"][-1]
        return w.tensors[conv.outputs[0]].shape[1]

    assert last_conv_channels("mobilenet_v2", width=0.5) == 1280
    assert last_conv_channels("mobilenet_v2", width=1.4) == 1792
    # _make_divisible(32 * 0.35, 8) = 16 for the stem
    w = load_workload("mobilenet_v2", width=0.35)
    assert w.tensors[w.ops[0].outputs[0]].shape[1] == 16
    # TF-slim: int(c * width), never below min_depth 8
    w = load_workload("mobilenet_v1", width=0.1)
    assert w.tensors[w.ops[0].outputs[0]].shape[1] == 8
    assert last_conv_channels("mobilenet_v1", width=0.25) == 256


def test_resnet50_is_v1_5() -> None:
    w = load_workload("resnet50")
    attrs = {op.name: dict(op.attrs) for op in w.ops}
    assert attrs["layer2.0.conv1"]["stride"] == (1, 1)
    assert attrs["layer2.0.conv2"]["stride"] == (2, 2)
    # every conv is followed by its own batchnorm op
    for i, op in enumerate(w.ops):
        if op.op_type == "conv2d":
            assert w.ops[i + 1].op_type == "batchnorm"


@pytest.mark.parametrize(
    ("name", "model", "variant"),
    [
        ("mlperf-tiny-vww", "MobileNetV1-0.25 (MLPerf Tiny VWW)", "int8 TFLite, 2 classes"),
        ("mlperf-tiny-ds-cnn", "DS-CNN (MLPerf Tiny KWS)", "int8 TFLite, 12 classes"),
        (
            "mlperf-tiny-resnet8",
            "ResNet-8 (MLPerf Tiny IC; mltk calls it ResNetv1-10)",
            "int8 TFLite, CIFAR-10",
        ),
    ],
)
def test_mlperf_tiny_macs(name: str, model: str, variant: str) -> None:
    ref = _ref(model, variant, "compute")
    w = load_workload(name, dtype="int8")
    assert _close(w.macs, ref, 0.03)
    assert abs(w.macs - ref) <= 1000  # mltk quotes 3 decimals of millions


def test_mlperf_tiny_hand_counts() -> None:
    # DS-CNN: 10x4 stride-2 conv to 25x5x64, four (3x3 depthwise + 1x1 64->64), dense 64->12
    assert (
        load_workload("mlperf-tiny-ds-cnn").macs
        == 25 * 5 * 64 * 40 + 4 * (25 * 5 * 64 * 9 + 25 * 5 * 64 * 64) + 64 * 12
    )
    ae = load_workload("mlperf-tiny-autoencoder")
    dense = [(640, 128), (128, 128), (128, 128), (128, 128), (128, 8)]
    dense += [(8, 128), (128, 128), (128, 128), (128, 128), (128, 640)]
    assert ae.macs == sum(i * o for i, o in dense) == 264_192
    bn = 2 * (8 * 128 + 8)  # gamma and beta of the 9 hidden BatchNormalization layers
    assert ae.params == sum(i * o + o for i, o in dense) + bn == 267_928
    # Linley: "a 270KB FC-AutoEncoder model" (int8 weights)
    assert _close(load_workload("mlperf-tiny-autoencoder", dtype="int8").weight_bytes, 270e3, 0.03)
    vww = load_workload("mlperf-tiny-vww")
    assert vww.tensors[vww.outputs[0]].shape == (1, 2)
    assert vww.tensors[vww.inputs[0]].shape == (1, 3, 96, 96)


@pytest.mark.parametrize(
    ("name", "variant"),
    [("mcunet-in2", 'mcunet-in2 ("mcunet-256kB")'), ("mcunet-in3", 'mcunet-in3 ("mcunet-320kB")')],
)
def test_mcunet(name: str, variant: str) -> None:
    w = load_workload(name)
    # the model zoo quotes 0.73 M / 67.3 M: rounded to 0.01 M params and 0.1 M MACs
    assert _close(w.params, _ref("MCUNet", variant, "params"), 0.01, quoted_unit=0.01e6)
    assert _close(w.macs, _ref("MCUNet", variant, "compute"), 0.03, quoted_unit=0.1e6)
    assert abs(w.macs - _ref("MCUNet", variant, "compute")) <= 0.05e6


def test_lenet5() -> None:
    w = load_workload("lenet5")
    assert w.params == (6 * 25 + 6) + (16 * 6 * 25 + 16) + (400 * 120 + 120) + (120 * 84 + 84) + (
        84 * 10 + 10
    )
    assert _close(w.params, _ref("LeNet-5", "original (LeCun 1998)", "params"), 0.05)


def test_parameters_scale_counts() -> None:
    base = load_workload("mobilenet_v1")
    b4 = load_workload("mobilenet_v1", batch=4)
    assert b4.macs == 4 * base.macs and b4.params == base.params
    assert b4.peak_activation_bytes == 4 * base.peak_activation_bytes
    int8 = load_workload("mobilenet_v1", dtype="int8")
    assert int8.weight_bytes == base.params == base.weight_bytes / 4
    w4 = load_workload("mobilenet_v1", dtype="w4a16")
    assert w4.weight_bytes == base.params / 2
    assert w4.peak_activation_bytes == base.peak_activation_bytes / 2
    # Conv MACs scale with the pixel count (the classifier does not): 448x448 vs 224x224.
    big = load_workload("mobilenet_v1", resolution=448)
    fc = 1024 * 1000
    assert big.macs - fc == 4 * (base.macs - fc)
    assert big.params == base.params


def test_other_resolutions_build() -> None:
    for name, res in [("alexnet", 256), ("vgg16", 32), ("resnet50", 160), ("efficientnet_b0", 240)]:
        assert load_workload(name, resolution=res).macs > 0


def test_bad_parameters_raise() -> None:
    with pytest.raises(WorkloadError, match="width"):
        load_workload("resnet18", width=0.5)
    with pytest.raises(WorkloadError, match="dtype"):
        load_workload("vgg16", dtype="int9")
    with pytest.raises(WorkloadError, match="resolution"):
        load_workload("mobilenet_v2", resolution=8)
    with pytest.raises(WorkloadError, match="width"):
        load_workload("mobilenet_v1", width=0)
