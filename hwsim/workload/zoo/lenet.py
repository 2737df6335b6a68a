"""LeNet-5 (LeCun et al. 1998), 32x32x1 input, the classic 60k-parameter network."""

from __future__ import annotations

from hwsim.vocabulary import parse_dtype
from hwsim.workload.builder import GraphBuilder
from hwsim.workload.ir import Workload
from hwsim.workload.registry import register


@register("lenet5", family="cnn", description="LeNet-5, 32x32x1 (MNIST), ~61.7k params")
def lenet5(batch: int = 1, dtype: str = "fp32", resolution: int = 32) -> Workload:
    """LeNet-5: conv(6,5x5) tanh avgpool conv(16,5x5) tanh avgpool fc120 fc84 fc10."""
    wdt, adt = parse_dtype(dtype)
    g = GraphBuilder(
        "lenet5",
        batch=batch,
        weight_dtype=wdt,
        act_dtype=adt,
        params_used={"batch": batch, "dtype": dtype, "resolution": resolution},
    )
    x = g.input("image", (batch, 1, resolution, resolution))
    x = g.conv2d(x, 6, 5, name="c1")
    x = g.activation(x, "tanh")
    x = g.pool(x, "avg", 2, name="s2")
    x = g.conv2d(x, 16, 5, name="c3")
    x = g.activation(x, "tanh")
    x = g.pool(x, "avg", 2, name="s4")
    x = g.flatten(x)
    x = g.linear(x, 120, name="f5")
    x = g.activation(x, "tanh")
    x = g.linear(x, 84, name="f6")
    x = g.activation(x, "tanh")
    x = g.linear(x, 10, name="f7")
    return g.build([x])
