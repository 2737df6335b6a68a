"""The self-contained HTML report (``hwsim run/compare --html``), opened in a real browser.

The browser test drives the system's Chromium (Debian's ``chromium`` package; set
HWSIM_CHROMIUM to another executable) with Playwright. It skips, saying why, only where
no Chromium is installed; CI installs one (.ci/run), so there it always runs.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from hwsim.cli import app
from hwsim.engine.result import SimulationResult
from hwsim.report import fmt
from hwsim.report.html import html_report

runner = CliRunner()


def _chromium() -> str | None:
    env = os.environ.get("HWSIM_CHROMIUM")
    if env:
        return env
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    return None


def test_report_is_self_contained(lenet: SimulationResult) -> None:
    text = html_report(lenet)
    # Nothing is fetched: no src/href to another file or the network.
    assert not re.search(r"""(src|href)=["'](?!data:|#)""", text)
    assert "<script src" not in text
    assert text.count("data:image/png;base64,") == 4  # roofline, energy, memory, timeline


def test_report_escapes_names() -> None:
    d = hwsim_result_dict(name="<b>x</b>")
    text = html_report(d)
    assert "<b>x</b>" not in text
    assert "&lt;b&gt;x&lt;/b&gt;" in text


def hwsim_result_dict(name: str) -> dict[str, Any]:
    import hwsim

    d = hwsim.simulate("lenet5", "tpu-like").to_dict()
    d["workload"] = name
    return d


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    exe = _chromium()
    if exe is None:
        print("no Chromium found (install Debian's chromium or set HWSIM_CHROMIUM)")
        pytest.skip("no Chromium executable: install 'chromium' or set HWSIM_CHROMIUM")
    from playwright.sync_api import sync_playwright  # a test dependency: fails if absent

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=exe, args=["--no-sandbox"], headless=True)
        try:
            yield b
        finally:
            b.close()


def _open(browser: Any, path: Path) -> tuple[Any, list[str], list[str]]:
    page = browser.new_page()
    errors: list[str] = []
    fetched: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on(
        "request",
        lambda r: fetched.append(r.url) if not r.url.startswith(("file:", "data:")) else None,
    )
    page.goto(path.as_uri())
    page.wait_for_load_state("load")
    return page, errors, fetched


def _column(page: Any, table: str, col: int) -> list[float]:
    js = (
        f"Array.from(document.querySelectorAll('{table} tbody tr'))"
        f".map(r => parseFloat(r.cells[{col}].getAttribute('data-v')))"
    )
    return list(page.evaluate(js))


def test_run_html_renders_in_chromium(browser: Any, tmp_path: Path) -> None:
    import hwsim

    out = tmp_path / "report.html"
    res = runner.invoke(app, ["run", "lenet5", "-H", "tpu-like", "--html", str(out)])
    assert res.exit_code == 0, res.output
    assert f"wrote {out}" in res.output
    expected = hwsim.simulate("lenet5", "tpu-like")
    page, errors, fetched = _open(browser, out)
    # The summary shows the run's figures, formatted as in the terminal.
    cell = page.locator("#summary td[data-field=latency_s]")
    assert cell.inner_text() == fmt.duration(expected.latency_s)
    assert float(cell.get_attribute("data-v")) == expected.latency_s
    energy = page.locator("#summary td[data-field=energy_j]").inner_text()
    assert energy == fmt.energy(expected.energy_j)
    assert page.locator("#summary td[data-field=fits]").inner_text() in ("yes", "NO")
    # Every figure decodes to an image with pixels.
    imgs = page.evaluate(
        "Array.from(document.images).map(i => [i.alt, i.complete, i.naturalWidth])"
    )
    assert [a for a, _, _ in imgs] == [
        f"{k} plot" for k in ("roofline", "energy", "memory", "timeline")
    ]
    assert all(done and width > 100 for _, done, width in imgs)
    # The layer table has one row per layer and sorts by value on a header click.
    assert len(_column(page, "#layers-0", 5)) == len(expected.layers)
    header = page.locator("#layers-0 th", has_text="latency")
    header.click()
    up = _column(page, "#layers-0", 5)
    assert up == sorted(up)
    header.click()
    down = _column(page, "#layers-0", 5)
    assert down == sorted(up, reverse=True)
    assert sorted(down) == sorted(layer.latency_s for layer in expected.layers)
    assert errors == []
    assert fetched == []  # opens offline


def test_compare_html_has_one_summary_row_per_run(browser: Any, tmp_path: Path) -> None:
    out = tmp_path / "cmp.html"
    res = runner.invoke(
        app, ["compare", "lenet5", "-H", "tpu-like", "-H", "stm32f746", "--html", str(out)]
    )
    assert res.exit_code == 0, res.output
    page, errors, _ = _open(browser, out)
    hardware = page.evaluate(
        "Array.from(document.querySelectorAll('#summary tbody tr')).map(r => r.cells[1].textContent)"
    )
    assert hardware == ["tpu-like", "stm32f746"]
    assert page.locator("table.layers").count() == 2
    assert errors == []
