"""Memory-aware op order: best and worst peak of a two-branch graph, by hand."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st
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


def _random_dag(sizes: list[int], parents: list[int]) -> Workload:
    """Op k (k >= 1) is a 1x1 conv of op ``parents[k] % k``'s output (op 0 reads x) to
    ``sizes[k]`` channels; a concat joins the outputs nobody reads (the branches' ends)."""
    g = GraphBuilder("dag")
    outs = [g.input("x", (1, 2, 4, 4))]
    for k, c in enumerate(sizes):
        src = outs[0] if k == 0 else outs[1 + parents[k] % k]
        outs.append(g.conv2d(src, c, 1, name=f"c{k}"))
    read = {t for op in g.ops for t in op.inputs}
    leaves = [t for t in outs[1:] if t not in read]
    return g.build([g.concat(leaves) if len(leaves) > 1 else leaves[0]])


def _all_orders(w: Workload) -> list[tuple[int, ...]]:
    n = len(w.ops)
    producer = {o: i for i, op in enumerate(w.ops) for o in op.outputs}
    preds = [{producer[t] for t in op.inputs if t in producer} for op in w.ops]
    found: list[tuple[int, ...]] = []

    def walk(done: tuple[int, ...]) -> None:
        if len(done) == n:
            found.append(done)
            return
        for i in range(n):
            if i not in done and preds[i] <= set(done):
                walk((*done, i))

    walk(())
    return found


@settings(max_examples=30, deadline=None)
@given(
    sizes=st.lists(st.integers(1, 16), min_size=2, max_size=6),
    parents=st.lists(st.integers(0, 10), min_size=6, max_size=6),
)
def test_search_is_exact_on_small_graphs(sizes: list[int], parents: list[int]) -> None:
    """The best and worst peaks equal those of brute force over every topological order."""
    w = _random_dag(sizes, parents)
    peaks = [deployed_profile(reorder(w, o)).peak_bytes for o in _all_orders(w)]
    best, worst = best_schedule(w), best_schedule(w, worst=True)
    assert best.exact and worst.exact
    assert best.peak_bytes == min(peaks)
    assert worst.peak_bytes == max(peaks)
