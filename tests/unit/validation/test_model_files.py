"""The model files under validation/models/ against hand counts of their published graphs."""

from __future__ import annotations

from pathlib import Path

import pytest

import hwsim
from hwsim.workload.ir import Workload

MODELS = Path(__file__).parents[3] / "validation" / "models"

# TF-slim inception_v1.py (tensorflow/models research/slim/nets): each Mixed block's branch
# widths (b0 1x1; b1 1x1 -> 3x3; b2 1x1 -> 3x3; b3 3x3 max pool -> 1x1) and its input spatial
# size. Convs carry a bias (batch norm folded in the int8 .tflite).
STEM = [(7, 3, 64, 112), (1, 64, 64, 56), (3, 64, 192, 56)]  # (kernel, cin, cout, out HxW)
MIXED = [
    (28, (64, 96, 128, 16, 32, 32)),
    (28, (128, 128, 192, 32, 96, 64)),
    (14, (192, 96, 208, 16, 48, 64)),
    (14, (160, 112, 224, 24, 64, 64)),
    (14, (128, 128, 256, 24, 64, 64)),
    (14, (112, 144, 288, 32, 64, 64)),
    (14, (256, 160, 320, 32, 128, 128)),
    (7, (256, 160, 320, 32, 128, 128)),
    (7, (384, 192, 384, 48, 128, 128)),
]


def test_inception_v1_counts_match_the_slim_graph() -> None:
    convs = list(STEM)  # (kernel, cin, cout, hw)
    cin = 192
    for hw, (b0, b1a, b1b, b2a, b2b, b3) in MIXED:
        convs += [
            (1, cin, b0, hw),
            (1, cin, b1a, hw),
            (3, b1a, b1b, hw),
            (1, cin, b2a, hw),
            (3, b2a, b2b, hw),
            (1, cin, b3, hw),
        ]
        cin = b0 + b1b + b2b + b3
    assert cin == 1024
    convs.append((1, 1024, 1001, 1))  # logits
    params = sum(k * k * ci * co + co for k, ci, co, _ in convs)
    macs = sum(k * k * ci * co * hw * hw for k, ci, co, hw in convs)
    # The stem alone, by hand: 7 x 7 x 3 x 64 x 112 x 112 = 118,013,952 MACs.
    assert STEM[0][0] ** 2 * 3 * 64 * 112 * 112 == 118_013_952
    w = hwsim.load_workload(MODELS / "inception-v1.yaml")
    assert isinstance(w, Workload)
    total_params = sum(op.params for op in w.ops)
    assert total_params == params
    conv_macs = sum(op.macs for op in w.ops if op.op_type == "conv2d")
    assert conv_macs == macs
    assert macs == pytest.approx(1.498e9, rel=1e-3)  # the "1.5 G MACs" quoted in the docs
    assert params == pytest.approx(6.62e6, rel=1e-3)


def test_efficientnet_edgetpu_s_counts_match_the_tpu_builder() -> None:
    # tensorflow/tpu 631fb4c, efficientnet_edgetpu_builder.py (S: width 1.0, depth 1.0, 224):
    # stem 3x3/2 to 32; blocks (repeats, kernel, stride, expand, in, out, type) where type 1
    # is a 3x3 expansion conv + 1x1 projection carrying the stride and type 0 is 1x1 expand,
    # kxk depthwise (stride), 1x1 project; head 1x1 to 1280; FC 1280 -> 1001 with bias.
    blocks = [
        (1, 3, 1, 4, 24, 24, 1),
        (2, 3, 2, 8, 24, 32, 1),
        (4, 3, 2, 8, 32, 48, 1),
        (5, 5, 2, 8, 48, 96, 0),
        (4, 5, 1, 8, 96, 144, 0),
        (2, 5, 2, 8, 144, 192, 0),
    ]
    params = 3 * 3 * 3 * 32
    cin = 32
    for r, k, _s, e, i, o, kind in blocks:
        for rep in range(r):
            mid = (i if rep == 0 else o) * e
            if kind == 1:
                params += 3 * 3 * cin * mid + mid * o
            else:
                params += cin * mid + k * k * mid + mid * o
            cin = o
    params += cin * 1280 + 1280 * 1001 + 1001
    w = hwsim.load_workload(MODELS / "efficientnet-edgetpu-s.yaml")
    assert isinstance(w, Workload)
    assert sum(op.params for op in w.ops) == params
    assert params == pytest.approx(5.388e6, rel=1e-3)
