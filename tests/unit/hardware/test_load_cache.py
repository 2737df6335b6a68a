"""Loading the same spec or workload twice shares one immutable object; an edited file is
read again (the cache key holds its modification time and size)."""

from __future__ import annotations

import os
from pathlib import Path

from hwsim.hardware import load_hardware
from hwsim.resources import builtin_dir
from hwsim.workload import load_workload


def test_builtin_spec_is_loaded_once() -> None:
    assert load_hardware("tpu-like") is load_hardware("tpu-like")


def test_edited_spec_file_is_read_again(tmp_path: Path) -> None:
    text = (builtin_dir("hardware_specs") / "tpu-like.yaml").read_text()
    path = tmp_path / "chip.yaml"
    path.write_text(text)
    first = load_hardware(path)
    assert load_hardware(path) is first
    path.write_text(text.replace("name: tpu-like", "name: tpu-like-edited", 1))
    os.utime(path, ns=(1, 1))  # a different modification time, whatever the clock says
    edited = load_hardware(path)
    assert edited.name == "tpu-like-edited"
    assert first.name == "tpu-like"


def test_workload_cache_keys_on_parameters() -> None:
    a = load_workload("mobilenet_v1", width=0.25, resolution=96, dtype="int8")
    assert load_workload("mobilenet_v1", width=0.25, resolution=96, dtype="int8") is a
    b = load_workload("mobilenet_v1", width=0.5, resolution=96, dtype="int8")
    assert b is not a and b.macs > a.macs
