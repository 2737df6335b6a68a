"""Shared builders for hostile cases: mutated built-in specs, YAML/JSON bombs."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import yaml

from hwsim.resources import builtin_dir

TPU = yaml.safe_load((builtin_dir("hardware_specs") / "tpu-like.yaml").read_text(encoding="utf-8"))
GPT2 = json.loads((builtin_dir("workloads") / "gpt2.json").read_text(encoding="utf-8"))


def spec_text(change: Callable[[dict[str, Any]], Any] | None = None) -> str:
    """The tpu-like spec as YAML, after ``change(data)`` edits it in place."""
    data = copy.deepcopy(TPU)
    if change is not None:
        change(data)
    return yaml.safe_dump(data, sort_keys=False)


def setter(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    """change() that sets a dotted path; list entries by name (``memory.dram.bandwidth``)."""

    def change(data: dict[str, Any]) -> None:
        node: Any = data
        parts = path.split(".")
        for part in parts[:-1]:
            if isinstance(node, list):
                node = next(e for e in node if e.get("name") == part)
            else:
                node = node[part]
        node[parts[-1]] = value

    return change


def gpt2_text(**changes: Any) -> str:
    """The GPT-2 config.json with fields replaced (a value of ... removes the field)."""
    data = dict(GPT2)
    for k, v in changes.items():
        if v is ...:
            data.pop(k, None)
        else:
            data[k] = v
    return json.dumps(data)


def deep_yaml(levels: int, key: str = "a") -> str:
    """A mapping nested ``levels`` deep in flow style."""
    return "{" + f"{key}: " + ("[" * levels) + "1" + ("]" * levels) + "}\n"


def laughs(prefix: str = "", key: str = "description", levels: int = 9) -> str:
    """YAML whose ``key`` expands through aliases to 10**levels strings."""
    lines = ['lol0: &l0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, levels):
        refs = ",".join([f"*l{i - 1}"] * 10)
        lines.append(f"lol{i}: &l{i} [{refs}]")
    anchors = "\n".join(lines)
    return f"{prefix}{anchors}\n{key}: *l{levels - 1}\n"


YAML_MODEL_HEAD = "schema_version: 1\nname: m\ninput: {shape: [1, 3, 8, 8]}\n"


def yaml_model(layers: str, head: str = YAML_MODEL_HEAD) -> str:
    return head + "layers:\n" + layers
