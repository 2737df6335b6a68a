"""Reading user-supplied text and YAML files with one-line errors (never a traceback)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from hwsim.errors import HwsimError


def read_text(
    path: Path, error: type[HwsimError], *, encoding: str = "utf-8", what: str = ""
) -> str:
    """The text of ``path``; a missing file, a directory or non-text bytes raise ``error``."""
    label = f"{what} {path}".strip()
    if path.is_dir():
        raise error(f"{label}: is a directory, not a file")
    try:
        return path.read_text(encoding=encoding)
    except UnicodeDecodeError:
        raise error(f"{label}: not a UTF-8 text file") from None
    except OSError as exc:
        raise error(f"{label}: cannot read: {exc.strerror or exc}") from None


class _UniqueKeyLoader(yaml.SafeLoader):
    """SafeLoader that rejects duplicate mapping keys."""


def _construct_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode, deep: bool = False) -> Any:
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None,
                None,
                f"duplicate key {key!r} (line {key_node.start_mark.line + 1}, first at line "
                f"{seen[key] + 1})",
                key_node.start_mark,
            )
        seen[key] = key_node.start_mark.line
    return loader.construct_mapping(node, deep=deep)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def read_yaml(path: Path, error: type[HwsimError]) -> Any:
    """Parse a YAML file, rejecting duplicate keys; every problem is a one-line ``error``."""
    text = read_text(path, error)
    try:
        return yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 - SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f" (line {mark.line + 1})" if mark is not None else ""
        raise error(f"{path.name}: invalid YAML{where}: {exc.problem or exc}") from None
    except yaml.YAMLError as exc:
        raise error(f"{path.name}: invalid YAML: {exc}") from None
