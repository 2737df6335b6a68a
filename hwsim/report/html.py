"""One self-contained HTML report of one or several runs (``hwsim run/compare --html``).

The file needs nothing but a browser: the plots are PNGs embedded as data URIs, the
style and the few lines of script that sort the layer tables are inline, and nothing is
fetched from the network. Numbers are formatted as in the terminal (:mod:`hwsim.report.fmt`);
each numeric cell keeps its SI value in ``data-v`` so sorting is by value, not by text.
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from hwsim.report import fmt
from hwsim.report.data import ResultLike, as_result_dict, title
from hwsim.report.tables import verdict

MAX_LAYER_ROWS = 2000
"""Layer tables longer than this keep the slowest layers (the caption says how many)."""

_STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2em auto;
max-width:1200px;padding:0 1em;color:#222}
h1{font-size:1.5em}h2{font-size:1.2em;margin-top:2em}
table{border-collapse:collapse;margin:.5em 0;font-size:.9em}
th,td{border-bottom:1px solid #ddd;padding:.25em .6em;text-align:left}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
th.sortable{cursor:pointer;user-select:none}th.sortable:hover{background:#eef}
th[aria-sort=ascending]::after{content:" \\25B2"}th[aria-sort=descending]::after{content:" \\25BC"}
.no{color:#b00;font-weight:bold}.yes{color:#080}
figure{margin:1em 0}figure img{max-width:100%;height:auto;border:1px solid #eee}
figcaption{font-size:.85em;color:#555}.verdict{font-style:italic}
"""

_SCRIPT = """
document.querySelectorAll("table.sortable").forEach(function (table) {
  var heads = table.querySelectorAll("th");
  heads.forEach(function (th, col) {
    th.classList.add("sortable");
    th.addEventListener("click", function () {
      var asc = th.getAttribute("aria-sort") !== "ascending";
      heads.forEach(function (h) { h.removeAttribute("aria-sort"); });
      th.setAttribute("aria-sort", asc ? "ascending" : "descending");
      var body = table.tBodies[0];
      var rows = Array.prototype.slice.call(body.rows);
      var numeric = th.classList.contains("n");
      rows.sort(function (a, b) {
        var x = a.cells[col], y = b.cells[col];
        var d = numeric
          ? parseFloat(x.getAttribute("data-v")) - parseFloat(y.getAttribute("data-v"))
          : x.textContent.localeCompare(y.textContent);
        if (d === 0) {
          d = parseInt(a.getAttribute("data-i"), 10) - parseInt(b.getAttribute("data-i"), 10);
          return d;
        }
        return asc ? d : -d;
      });
      rows.forEach(function (r) { body.appendChild(r); });
    });
  });
});
"""


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _num(value: float, text: str, field: str | None = None) -> str:
    attr = f' data-field="{_e(field)}"' if field else ""
    return f'<td class="n" data-v="{float(value)!r}"{attr}>{_e(text)}</td>'


def _figure_png(fig: Any) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _summary(ds: Sequence[Mapping[str, Any]]) -> str:
    head = (
        "<tr><th>workload</th><th>hardware</th><th>dtype</th><th>profile</th>"
        '<th class="n">batch</th><th class="n">latency</th><th class="n">throughput</th>'
        '<th class="n">energy</th><th class="n">avg power</th><th class="n">weights</th>'
        '<th class="n">peak activations</th><th>fits</th><th>bound</th></tr>'
    )
    rows = []
    for i, d in enumerate(ds):
        fits = all(v.get("fits", True) for v in d.get("memory_fit", {}).values())
        rows.append(
            f'<tr data-i="{i}"><td>{_e(d["workload"])}</td><td>{_e(d["hardware"])}</td>'
            f"<td>{_e(d.get('dtype', ''))}</td><td>{_e(d.get('profile', ''))}</td>"
            + _num(d.get("batch", 1), str(d.get("batch", 1)), "batch")
            + _num(d["latency_s"], fmt.duration(d["latency_s"]), "latency_s")
            + _num(d["throughput_per_s"], fmt.rate(d["throughput_per_s"]), "throughput_per_s")
            + _num(d["energy_j"], fmt.energy(d["energy_j"]), "energy_j")
            + _num(d["avg_power_w"], fmt.power(d["avg_power_w"]), "avg_power_w")
            + _num(d["weight_bytes"], fmt.size(d["weight_bytes"]), "weight_bytes")
            + _num(
                d["peak_activation_bytes"],
                fmt.size(d["peak_activation_bytes"]),
                "peak_activation_bytes",
            )
            + (
                '<td class="yes" data-field="fits">yes</td>'
                if fits
                else '<td class="no" data-field="fits">NO</td>'
            )
            + f'<td class="verdict">{_e(verdict(d))}</td></tr>'
        )
    return (
        '<table id="summary" class="sortable"><thead>'
        + head
        + "</thead><tbody>"
        + "".join(rows)
        + "</tbody></table>"
    )


def _llm(d: Mapping[str, Any]) -> str:
    keys = [k for k in ("ttft_s", "tpot_s", "decode_tokens_per_s", "kv_cache_bytes") if k in d]
    if not keys:
        return ""
    cells = []
    for k in keys:
        v = float(d[k])
        if k.endswith("_s") and k != "decode_tokens_per_s":
            text = fmt.duration(v)
        elif k == "kv_cache_bytes":
            text = fmt.size(v)
        else:
            text = f"{v:,.4g}"
        cells.append(f"<tr><th>{_e(k)}</th>{_num(v, text, k)}</tr>")
    return '<table class="llm">' + "".join(cells) + "</table>"


def _memory_fit(d: Mapping[str, Any]) -> str:
    rows = []
    for level, fit in d.get("memory_fit", {}).items():
        ok = bool(fit["fits"])
        rows.append(
            f"<tr><td>{_e(level)}</td>"
            + _num(fit["required_bytes"], fmt.size(fit["required_bytes"]))
            + _num(fit["capacity_bytes"], fmt.size(fit["capacity_bytes"]))
            + (f'<td class="{"yes" if ok else "no"}">{"yes" if ok else "NO"}</td></tr>')
        )
    return (
        '<table class="memory-fit"><thead><tr><th>level</th><th class="n">required</th>'
        '<th class="n">capacity</th><th>fits</th></tr></thead><tbody>'
        + "".join(rows)
        + "</tbody></table>"
    )


def _layers(d: Mapping[str, Any], index: int) -> str:
    layers = list(d["layers"])
    order = list(range(len(layers)))
    caption = f"{len(layers)} layers; click a column to sort"
    if len(layers) > MAX_LAYER_ROWS:
        order = sorted(order, key=lambda i: -float(layers[i]["latency_s"]))[:MAX_LAYER_ROWS]
        order.sort()
        caption = f"the {MAX_LAYER_ROWS} slowest of {len(layers)} layers; click a column to sort"
    levels: list[str] = []
    for layer in layers:
        for lv in layer["bytes"]:
            if lv not in levels:
                levels.append(lv)
    head = (
        '<tr><th class="n">#</th><th>layer</th><th>op</th><th>unit</th>'
        '<th class="n">MACs</th><th class="n">latency</th><th class="n">energy</th>'
        + "".join(f'<th class="n">{_e(lv)} bytes</th>' for lv in levels)
        + '<th class="n">intensity (FLOP/B)</th><th>bound</th></tr>'
    )
    rows = []
    for i in order:
        layer = layers[i]
        ai = layer.get("arithmetic_intensity")
        bound = str(layer["bound"])
        if bound == "memory" and layer.get("bound_level"):
            bound = f"memory: {layer['bound_level']}"
        rows.append(
            f'<tr data-i="{i}">'
            + _num(i, str(i))
            + f"<td>{_e(layer['name'])}</td><td>{_e(layer['op_type'])}</td>"
            f"<td>{_e(layer['unit'])}</td>"
            + _num(layer.get("macs", 0), fmt.count(layer.get("macs", 0)))
            + _num(layer["latency_s"], fmt.duration(layer["latency_s"]), "latency_s")
            + _num(layer["energy_j"], fmt.energy(layer["energy_j"]), "energy_j")
            + "".join(
                _num(layer["bytes"].get(lv, 0.0), fmt.size(layer["bytes"].get(lv, 0.0)))
                for lv in levels
            )
            + (_num(ai, f"{ai:.3g}") if ai is not None else '<td class="n" data-v="-1">-</td>')
            + f"<td>{_e(bound)}</td></tr>"
        )
    return (
        f'<table id="layers-{index}" class="sortable layers"><caption>{_e(caption)}</caption>'
        f"<thead>{head}</thead><tbody>{''.join(rows)}</tbody></table>"
    )


def _plots(ds: Sequence[Mapping[str, Any]]) -> str:
    from hwsim.report.plots import PLOT_KINDS, plot

    parts = []
    for kind in PLOT_KINDS:
        fig = plot(kind, list(ds) if len(ds) > 1 else ds[0])
        data = _figure_png(fig)
        parts.append(
            f'<figure id="plot-{kind}"><img alt="{kind} plot" '
            f'src="data:image/png;base64,{data}"><figcaption>{kind}</figcaption></figure>'
        )
    return "".join(parts)


def html_report(results: ResultLike | Sequence[ResultLike], heading: str | None = None) -> str:
    """The report of one or several runs as one self-contained HTML document (text).

    Args:
        results: a SimulationResult or its JSON dict, or a list of them (a comparison).
        heading: the page title; default: the run's title, or "comparison of N runs".
    """
    items: Sequence[ResultLike]
    if isinstance(results, Sequence) and not isinstance(results, (str, bytes)):
        items = results
    else:
        items = [results]
    ds = [as_result_dict(r) for r in items]
    if not ds:
        raise ValueError("html_report needs at least one result")
    head = heading or (title(ds[0]) if len(ds) == 1 else f"hwsim: comparison of {len(ds)} runs")
    body = [f"<h1>{_e(head)}</h1>", "<h2>Summary</h2>", _summary(ds)]
    for d in ds:
        sub = f" — {_e(title(d))}" if len(ds) > 1 else ""
        llm = _llm(d)
        if llm:
            body += [f"<h2>LLM figures{sub}</h2>", llm]
        body += [f"<h2>Memory fit{sub}</h2>", _memory_fit(d)]
        warnings = d.get("warnings") or []
        if warnings:
            body.append("<ul class='warnings'>" + "".join(f"<li>{_e(w)}</li>" for w in warnings))
            body.append("</ul>")
    body += ["<h2>Plots</h2>", _plots(ds)]
    for i, d in enumerate(ds):
        sub = f" — {_e(title(d))}" if len(ds) > 1 else ""
        body += [f"<h2>Layers{sub}</h2>", _layers(d, i)]
    return (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{_e(head)}</title><style>{_STYLE}</style></head><body>"
        + "\n".join(body)
        + f"<script>{_SCRIPT}</script></body></html>\n"
    )


def write_html(
    results: ResultLike | Sequence[ResultLike], path: str | Path, heading: str | None = None
) -> Path:
    """Write :func:`html_report` to ``path`` atomically (a temporary file, then a rename)."""
    from hwsim.textio import write_atomic

    text = html_report(results, heading)
    target = Path(path)
    write_atomic(target, text)
    return target
