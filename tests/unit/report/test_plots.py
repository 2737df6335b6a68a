"""Figures hold the result's numbers: points, bar heights, lines, Gantt bars; text stays legible."""

from __future__ import annotations

import json
from itertools import combinations
from pathlib import Path

import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import PathCollection, PolyCollection
from matplotlib.figure import Figure
from matplotlib.text import Text

import hwsim
from hwsim.engine.result import SimulationResult
from hwsim.report import (
    MAX_LAYER_BARS,
    TOP_LAYER_BARS,
    plot_energy,
    plot_memory,
    plot_roofline,
    plot_timeline,
    roofline_points,
    write_plots,
)

# ------------------------------------------------------------------------------ roofline


def _layer_points(fig: Figure) -> dict[str, np.ndarray]:
    ax = fig.axes[0]
    return {
        c.get_gid(): np.asarray(c.get_offsets())
        for c in ax.collections
        if isinstance(c, PathCollection) and (c.get_gid() or "").startswith("layers:")
    }


def test_roofline_points_are_the_layers() -> None:
    # tpu-like with activations kept in its SRAM between layers: some layers then move
    # no off-chip bytes (infinite intensity) and sit at the right edge.
    spec = hwsim.override(hwsim.load_hardware("tpu-like"), {"memory.sram.holds": ["activations"]})
    lenet = hwsim.simulate("lenet5", spec, dtype="int8")
    fig = plot_roofline(lenet)
    groups = _layer_points(fig)
    drawn = np.concatenate(list(groups.values()))
    plotted = [x for x in lenet.layers if x.flops > 0 and x.latency_s > 0]
    assert len(drawn) == len(plotted) == len(roofline_points(lenet))
    finite = [x for x in plotted if x.arithmetic_intensity is not None]
    xy = np.concatenate([v for k, v in groups.items() if k.endswith(":xy")])
    expected = sorted((x.arithmetic_intensity, x.flops / x.latency_s) for x in finite)
    assert np.allclose(sorted(map(tuple, xy)), expected, rtol=1e-12)
    # layers without off-chip bytes sit together at the right edge, right of every other point
    edge = np.concatenate([v for k, v in groups.items() if k.endswith(":edge")])
    assert len(edge) == len(plotted) - len(finite) > 0
    assert len(set(edge[:, 0])) == 1 and edge[0, 0] > xy[:, 0].max()
    assert edge[0, 0] < fig.axes[0].get_xlim()[1]
    # colour groups follow the bound: f5, f6, f7 are DRAM-bound
    assert len(groups["layers:0:memory:dram:xy"]) == 3


def test_roofline_roofs_and_ridge(lenet: SimulationResult) -> None:
    fig = plot_roofline(lenet)
    ax = fig.axes[0]
    peak = lenet.roofline["peak_ops_per_s"]
    lines = [
        ln for ln in ax.lines if len(ln.get_xdata()) == 2 and ln.get_xdata()[0] != ln.get_xdata()[1]
    ]
    flat = [ln for ln in lines if np.allclose(ln.get_ydata(), peak)]
    assert len(flat) == 1  # compute roof
    slopes = sorted(
        float(ln.get_ydata()[0] / ln.get_xdata()[0])
        for ln in lines
        if ln.get_ydata()[0] != ln.get_ydata()[1]
    )
    bws = sorted(lenet.roofline["bandwidth_bytes_per_s"].values())
    assert np.allclose(slopes, bws, rtol=1e-12)  # one bandwidth roof per level
    ridge = [ln for ln in ax.lines if ln.get_marker() == "D"]
    assert len(ridge) == 1
    assert ridge[0].get_xdata()[0] == lenet.roofline["ridge_flops_per_byte"] == 256.0
    texts = " ".join(t.get_text() for t in ax.texts)
    assert "ridge 256 FLOP/B (dram)" in texts and "dram 8 GB/s" in texts
    assert ax.get_xscale() == ax.get_yscale() == "log"


def test_roofline_several_runs(lenet: SimulationResult, branches: SimulationResult) -> None:
    fig = plot_roofline([lenet, branches])
    groups = _layer_points(fig)
    for r, res in enumerate((lenet, branches)):
        n = sum(len(v) for k, v in groups.items() if k.startswith(f"layers:{r}:"))
        assert n == len(roofline_points(res))
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert any(x.startswith("lenet5 / tpu-like") for x in labels)
    assert any(x.startswith("branches / duo") for x in labels)


# -------------------------------------------------------------------------------- energy


def _bars(ax) -> dict[str, np.ndarray]:  # type: ignore[no-untyped-def]
    return {c.get_label(): np.array([p.get_height() for p in c]) for c in ax.containers}


def test_energy_bars_are_the_breakdown(lenet: SimulationResult) -> None:
    fig = plot_energy(lenet)
    per_layer, whole = _bars(fig.axes[0]), _bars(fig.axes[1])
    assert list(per_layer) == ["compute", "weight_regs", "sram", "dram", "static"]
    for part, total in lenet.energy_breakdown_j.items():
        assert per_layer[part].sum() == pytest.approx(total, rel=1e-9, abs=1e-18)
        assert whole[part][0] == pytest.approx(total, rel=1e-12)
    stacked = sum(per_layer.values())
    assert np.allclose(stacked, [x.energy_j for x in lenet.layers], rtol=1e-12)
    labels = [t.get_text() for t in fig.axes[0].get_xticklabels()]
    assert labels == [x.name for x in lenet.layers]
    total_uj = f"{lenet.energy_j * 1e6:.4g} µJ"
    assert any(t.get_text() == total_uj for t in fig.axes[1].texts)


def test_energy_many_layers_top_and_other(resnet18: SimulationResult) -> None:
    assert len(resnet18.layers) > MAX_LAYER_BARS
    fig = plot_energy(resnet18)
    per_layer = _bars(fig.axes[0])
    assert all(len(v) == TOP_LAYER_BARS + 1 for v in per_layer.values())
    for part, total in resnet18.energy_breakdown_j.items():
        assert per_layer[part].sum() == pytest.approx(total, rel=1e-9)
    top = sorted((x.energy_j for x in resnet18.layers), reverse=True)[:TOP_LAYER_BARS]
    stacked = sum(per_layer.values())
    assert np.allclose(stacked[:-1], top, rtol=1e-9)
    assert fig.axes[0].get_xticklabels()[-1].get_text().startswith("other (")


def test_energy_several_runs_one_bar_each(
    lenet: SimulationResult, branches: SimulationResult, resnet18: SimulationResult
) -> None:
    runs = [lenet, branches, resnet18.to_dict()]
    fig = plot_energy(runs)
    assert len(fig.axes) == 1
    bars = _bars(fig.axes[0])
    # parts of every chip; a chip without a level has a zero-height segment
    assert set(bars) == {"compute", "weight_regs", "sram", "dram", "static"}
    for i, r in enumerate((lenet, branches, resnet18)):
        for part, v in bars.items():
            # bar() stores a height as (bottom + h) - bottom: equal to rounding
            assert v[i] == pytest.approx(r.energy_breakdown_j.get(part, 0.0), rel=1e-12)
        assert sum(v[i] for v in bars.values()) == pytest.approx(r.energy_j, rel=1e-12)


# -------------------------------------------------------------------------------- memory


def test_memory_profile_and_capacity(branches: SimulationResult) -> None:
    fig = plot_memory(branches)
    ax = fig.axes[0]
    live = [x.live_bytes for x in branches.layers]
    assert list(ax.lines[0].get_ydata()) == live
    caps = {float(ln.get_ydata()[0]) for ln in ax.lines if ln.get_linestyle() not in ("-", "None")}
    assert caps == {branches.memory_fit["sram"]["capacity_bytes"]} == {256 * 1024.0}
    assert ax.get_ylim()[1] >= 256 * 1024
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert any("peak 196.6 kB at add" in x for x in legend)
    assert any(x.startswith("sram capacity 256 KiB") for x in legend)
    assert any(x.startswith("dram capacity 8 GiB") and "off scale" in x for x in legend)


# ------------------------------------------------------------------------------ timeline


def _gantt(fig: Figure, i: int = 0) -> dict[str, list[tuple[float, float]]]:
    """Bars per row label: (start, end) in seconds, read back from the drawn rectangles."""
    ax = fig.axes[i]
    rows = [t.get_text() for t in ax.get_yticklabels()]
    out: dict[str, list[tuple[float, float]]] = {r: [] for r in rows}
    for coll in ax.collections:
        assert isinstance(coll, PolyCollection)
        for path in coll.get_paths():
            v = path.vertices
            row = rows[round(float(v[:, 1].mean()))]
            out[row].append((float(v[:, 0].min()), float(v[:, 0].max())))
    return out


@pytest.mark.parametrize("fixture", ["lenet", "branches"])
def test_timeline_bars_cover_every_event(fixture: str, request: pytest.FixtureRequest) -> None:
    r: SimulationResult = request.getfixturevalue(fixture)
    bars = _gantt(plot_timeline(r))

    def covered(row: str, start: float, end: float) -> bool:
        return any(
            s == pytest.approx(start, abs=1e-15) and e == pytest.approx(end, rel=1e-9, abs=1e-15)
            for s, e in bars[row]
        )

    for layer in r.layers:
        assert covered(layer.unit, layer.start_s, layer.end_s), layer.name
        for lv, s, e in layer.transfers:
            assert covered(f"{lv} (memory)", s, e), (layer.name, lv)
    assert sum(len(v) for v in bars.values()) == len(r.layers) + sum(
        len(x.transfers) for x in r.layers
    )


def test_timeline_several_runs(lenet: SimulationResult, branches: SimulationResult) -> None:
    fig = plot_timeline([lenet, branches])
    assert len(fig.axes) == 2
    assert sorted(_gantt(fig, 1)) == ["dram (memory)", "mac0", "mac1", "sram (memory)", "vec"]


# --------------------------------------------------------------------------- legibility


def _labels(fig: Figure) -> list[Text]:
    """Horizontal or vertical text that is drawn: titles, axis and tick labels, notes, legends."""
    texts: list[Text] = [fig._suptitle] if fig._suptitle else []
    for ax in fig.axes:
        texts += [ax.title, ax.xaxis.label, ax.yaxis.label]
        texts += [t for t in ax.texts if t.get_rotation() in (0.0, 90.0)]
        for axis, lim in ((ax.xaxis, ax.get_xlim()), (ax.yaxis, ax.get_ylim())):
            lo, hi = min(lim), max(lim)
            texts += [
                t for v, t in zip(axis.get_majorticklocs(), axis.get_ticklabels()) if lo <= v <= hi
            ]
    for leg in [*fig.legends, *(ax.get_legend() for ax in fig.axes)]:
        if leg is not None:
            texts += list(leg.get_texts())
    return [t for t in texts if t.get_visible() and t.get_text().strip()]


def _assert_legible(fig: Figure) -> None:
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    renderer = canvas.get_renderer()
    page = fig.bbox
    boxes = [(t.get_text(), t.get_window_extent(renderer).shrunk(0.97, 0.9)) for t in _labels(fig)]
    for text, b in boxes:
        assert b.x0 >= page.x0 - 1 and b.x1 <= page.x1 + 1, f"{text!r} leaves the figure"
        assert b.y0 >= page.y0 - 1 and b.y1 <= page.y1 + 1, f"{text!r} leaves the figure"
    for (t1, b1), (t2, b2) in combinations(boxes, 2):
        assert not b1.overlaps(b2), f"{t1!r} overlaps {t2!r}"


PLOTS = {
    "roofline": plot_roofline,
    "energy": plot_energy,
    "memory": plot_memory,
    "timeline": plot_timeline,
}


@pytest.mark.parametrize("kind", list(PLOTS))
def test_no_overlapping_text(
    kind: str, lenet: SimulationResult, branches: SimulationResult
) -> None:
    _assert_legible(PLOTS[kind](lenet))
    _assert_legible(PLOTS[kind]([lenet, branches]))


@pytest.mark.parametrize("kind", ["roofline", "energy"])
def test_no_overlapping_text_many_layers(kind: str, resnet18: SimulationResult) -> None:
    _assert_legible(PLOTS[kind](resnet18))


def test_write_plots_from_json_dict(lenet: SimulationResult, tmp_path: Path) -> None:
    d = json.loads(json.dumps(lenet.to_dict()))
    paths = write_plots(d, tmp_path / "plots", dpi=40)
    assert sorted(paths) == ["energy", "memory", "roofline", "timeline"]
    for kind, p in paths.items():
        assert p == tmp_path / "plots" / f"{kind}.png"
        assert p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # the dict draws the same points as the result
    a, b = _layer_points(plot_roofline(d)), _layer_points(plot_roofline(lenet))
    assert a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)
