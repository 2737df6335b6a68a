"""The docs' Python examples run as plain scripts (``python example.py``), as a user pastes them.

Each ```python block of README.md and docs/*.md is written to a file and run in a fresh
interpreter whose working directory holds a copy of ``examples/`` (the docs run from the
repository root), so a block that only works inside a notebook or after another block fails.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def _blocks() -> list[tuple[str, str]]:
    found = []
    for doc in DOCS:
        text = doc.read_text(encoding="utf-8")
        for i, code in enumerate(re.findall(r"```python\n(.*?)```", text, flags=re.S)):
            found.append((f"{doc.name}#{i + 1}", code))
    return found


BLOCKS = _blocks()


def test_docs_have_python_examples() -> None:
    names = {b[0].split("#")[0] for b in BLOCKS}
    assert {"README.md", "sweeps.md", "reports.md", "serving.md"} <= names


@pytest.mark.parametrize(("where", "code"), BLOCKS, ids=[b[0] for b in BLOCKS])
def test_docs_example_runs_as_a_script(where: str, code: str, tmp_path: Path) -> None:
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    script = tmp_path / "example.py"
    script.write_text(code, encoding="utf-8")
    env = dict(os.environ, PYTHONPATH=str(ROOT), MPLBACKEND="Agg")
    res = subprocess.run(
        [sys.executable, str(script)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert res.returncode == 0, f"{where} failed:\n{res.stderr[-3000:]}"
    assert "Traceback" not in res.stderr


def test_unguarded_sweep_script_with_two_jobs(tmp_path: Path) -> None:
    """Issue 16.2: pasted without ``if __name__ == "__main__":`` and with jobs=2, the sweep
    printed its progress once per worker and ended in BrokenProcessPool."""
    script = tmp_path / "sweep_script.py"
    script.write_text(
        "import hwsim\n"
        "df = hwsim.sweep(hardware='tpu-like', workloads=['lenet5'], dtype='int8',\n"
        "    axes={'memory.dram.bandwidth': {'log': ['4 GB/s', '256 GB/s'], 'count': 7}},\n"
        "    jobs=2, progress=lambda p: print('progress', p.done, '/', p.total))\n"
        "print('rows', len(df))\n",
        encoding="utf-8",
    )
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    res = subprocess.run(
        [sys.executable, str(script)], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    if sys.platform.startswith("linux"):
        assert res.returncode == 0, res.stderr[-3000:]
        lines = res.stdout.splitlines()
        assert lines.count("rows 7") == 1  # the script ran once, not once per worker
        assert lines.count("progress 7 / 7") == 1
    else:  # workers import the script: one clear error, no BrokenProcessPool traceback
        assert "if __name__ ==" in res.stderr
        assert "BrokenProcessPool" not in res.stderr
