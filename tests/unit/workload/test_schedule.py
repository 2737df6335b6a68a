"""Memory-aware op order: best and worst peak of a two-branch graph, by hand."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from hwsim.cli import app
from hwsim.workload import GraphBuilder, Workload
from hwsim.workload.memory import deployed_profile
from hwsim.workload.schedule import best_schedule, reorder

KIB = 1024


def _two_branches() -> Workload:
    """x: 1 KiB (fp32 4x8x8). Branch B: b1 1x1 conv to 16 ch (4 KiB), b2 to 16 ch (4 KiB).
    Branch A: a1 to 32 ch (8 KiB), a2 to 4 ch (1 KiB). concat(a2, b2): 5 KiB. Written B first."""
    g = GraphBuilder("two")
    x = g.input("x", (1, 4, 8, 8))
    b1 = g.conv2d(x, 16, 1, name="b1")
    b2 = g.conv2d(b1, 16, 1, name="b2")
    a1 = g.conv2d(x, 32, 1, name="a1")
    a2 = g.conv2d(a1, 4, 1, name="a2")
    return g.build([g.concat([a2, b2])])


def test_given_order_by_hand() -> None:
    # b1: x + b1 = 5; b2: x + b1 + b2 = 9; a1: x + b2 + a1 = 13; a2: b2 + a1 + a2 = 13;
    # concat: a2 + b2 + out = 10 KiB.
    w = _two_branches()
    assert deployed_profile(w).live_bytes == tuple(k * KIB for k in (5, 9, 13, 13, 10))


def test_best_order() -> None:
    """A first: a1: x + a1 = 9; a2: x + a1 + a2 = 10; b1: x + a2 + b1 = 6; b2: a2 + b1 + b2 = 9;
    concat 10. No order does better: x lives until both a1 and b1 ran, and whichever of
    them runs second sees x and the other branch's output (1 + 8 + 1 or 1 + 4 + 8 = 13 when
    B's b2 is alive, so A must go first)."""
    s = best_schedule(_two_branches())
    names = [_two_branches().ops[i].name for i in s.order]
    assert names[:2] == ["a1", "a2"]
    assert s.peak_bytes == 10 * KIB
    assert s.exact


def test_worst_order() -> None:
    """b1, a1, b2: during b2, b1 (4) + a1 (8) + b2 (4) = 16 KiB (x died at a1)."""
    s = best_schedule(_two_branches(), worst=True)
    assert s.peak_bytes == 16 * KIB
    assert s.peak_op == "b2"


def test_reorder_checks_dependencies() -> None:
    w = _two_branches()
    try:
        reorder(w, (1, 0, 2, 3, 4))
    except ValueError as exc:
        assert "b2" in str(exc)
    else:  # pragma: no cover
        raise AssertionError("b2 before b1 must be rejected")


def test_cli_memory_schedule() -> None:
    r = CliRunner().invoke(app, ["profile", "resnet18", "--memory-schedule", "best", "--json", "-"])
    assert r.exit_code == 0, r.output
    d = json.loads(r.stdout)["memory_schedule"]
    assert d["best"]["peak_activation_bytes"] <= d["given"]["peak_activation_bytes"]
    assert len(d["best"]["order"]) == len(json.loads(r.stdout)["layers"])
