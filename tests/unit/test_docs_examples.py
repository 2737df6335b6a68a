"""The README's Python example and the shipped example files run as documented."""

from __future__ import annotations

import re
from pathlib import Path

import hwsim

ROOT = Path(__file__).resolve().parents[2]


def test_readme_python_example_runs(capsys) -> None:  # type: ignore[no-untyped-def]
    text = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    assert blocks, "README has a Python example"
    for code in blocks:
        exec(compile(code, "README.md", "exec"), {})
    printed = capsys.readouterr().out
    assert "compute" in printed


def test_readme_quick_start_names_exist() -> None:
    text = (ROOT / "README.md").read_text()
    from hwsim.hardware.loader import find_system, load_system

    for chip in set(re.findall(r"(?:--hardware|-H) ([\w.-]+)", text)):
        if find_system(chip) is not None:  # a system of chips (docs/systems.md)
            load_system(chip)
        else:
            hwsim.load_hardware(chip)
    for model in set(re.findall(r"hwsim (?:run|profile|serve) ([\w.-]+)", text)):
        if not model.endswith((".onnx", ".json", ".yaml")):
            hwsim.load_workload(model)


def test_example_sweep_file_is_valid() -> None:
    from hwsim.sweep import load_sweep_file

    plan = load_sweep_file(ROOT / "examples" / "tpu-like-sweep.yaml")
    assert plan is not None
