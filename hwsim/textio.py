"""Reading user files and writing outputs, safely, with one-line errors (never a traceback).

Reading: an input must be a regular file (not a directory, FIFO or device such as
``/dev/zero``) no larger than a size limit, so a hostile path can neither hang nor exhaust
memory. YAML is parsed with duplicate-key rejection and bounded nesting and alias expansion.

Writing: :func:`write_atomic` writes into a temporary file in the target's folder and renames
it into place, so an interrupted write leaves the old file intact and a symlink at the target
is replaced, never written through.

The limits are documented in ``docs/limits.md``.
"""

from __future__ import annotations

import contextlib
import os
import reprlib
import stat
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

import yaml

from hwsim.errors import HwsimError

MiB = 1 << 20

MAX_TEXT_BYTES = 256 * MiB
"""Largest text input (traces, measurement CSVs, result JSON)."""
MAX_YAML_BYTES = 16 * MiB
"""Largest YAML file (specs, profiles, YAML models, sweep files)."""
MAX_MODEL_BYTES = 2048 * MiB
"""Largest binary model file (ONNX: protobuf's own 2 GiB limit)."""
MAX_YAML_DEPTH = 64
"""Deepest YAML nesting of mappings and sequences (built-in files use at most 6)."""
MAX_YAML_NODES = 1_000_000
"""Most YAML nodes after alias expansion (a "billion laughs" file stops here)."""


def shorten(value: object, limit: int = 60) -> str:
    """``repr(value)`` cut to about ``limit`` characters, for error messages.

    Messages never format an unbounded user value (a huge string or an alias bomb); reprlib
    stops early instead of formatting the whole value first.
    """
    r = reprlib.Repr()
    r.maxstring = limit
    r.maxother = limit
    r.maxlist = r.maxtuple = r.maxdict = r.maxset = 6
    r.maxlevel = 3
    text = r.repr(value)
    return text if len(text) <= limit + 10 else text[: limit - 3] + "..."


def check_input_file(
    path: Path, error: type[HwsimError], *, what: str = "", max_bytes: int = MAX_TEXT_BYTES
) -> int:
    """Raise ``error`` unless ``path`` is a readable regular file of at most ``max_bytes``.

    Returns:
        The file size in bytes.
    """
    label = f"{what} {path}".strip()
    try:
        st = path.stat()
    except FileNotFoundError:
        raise error(f"{label}: cannot read: no such file") from None
    except OSError as exc:
        raise error(f"{label}: cannot read: {exc.strerror or exc}") from None
    if stat.S_ISDIR(st.st_mode):
        raise error(f"{label}: is a directory, not a file")
    if not stat.S_ISREG(st.st_mode):
        raise error(f"{label}: not a regular file (a device, FIFO or socket cannot be read)")
    if st.st_size > max_bytes:
        raise error(
            f"{label}: file too large ({st.st_size / MiB:.1f} MiB; the limit is "
            f"{max_bytes / MiB:.0f} MiB)"
        )
    return st.st_size


def read_bytes(
    path: Path, error: type[HwsimError], *, what: str = "", max_bytes: int = MAX_TEXT_BYTES
) -> bytes:
    """The bytes of a regular file of at most ``max_bytes``; every problem is ``error``."""
    label = f"{what} {path}".strip()
    check_input_file(path, error, what=what, max_bytes=max_bytes)
    try:
        # O_NONBLOCK: if the path was swapped for a FIFO after the check, do not hang on it.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(fd, "rb") as fh:
            if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
                raise error(f"{label}: not a regular file")
            data = fh.read(max_bytes + 1)
    except OSError as exc:
        raise error(f"{label}: cannot read: {exc.strerror or exc}") from None
    if len(data) > max_bytes:
        raise error(f"{label}: file too large (the limit is {max_bytes / MiB:.0f} MiB)")
    return data


def read_text(
    path: Path,
    error: type[HwsimError],
    *,
    encoding: str = "utf-8",
    what: str = "",
    max_bytes: int = MAX_TEXT_BYTES,
) -> str:
    """The text of a regular file (a UTF-8 byte-order mark is dropped); problems raise ``error``."""
    label = f"{what} {path}".strip()
    data = read_bytes(path, error, what=what, max_bytes=max_bytes)
    if encoding.lower().replace("_", "-") in ("utf-8", "utf8"):
        encoding = "utf-8-sig"
    try:
        return data.decode(encoding)
    except UnicodeDecodeError:
        raise error(f"{label}: not a UTF-8 text file") from None


# --------------------------------------------------------------------------- YAML


def _construct_mapping(loader: Any, node: yaml.MappingNode, deep: bool = False) -> Any:
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        try:
            first = seen.get(key)
        except TypeError:  # an unhashable key (a list): SafeConstructor reports it below
            break
        if first is not None:
            raise yaml.constructor.ConstructorError(
                None,
                None,
                f"duplicate key {shorten(key)} (line {key_node.start_mark.line + 1}, first at "
                f"line {first + 1})",
                key_node.start_mark,
            )
        seen[key] = key_node.start_mark.line
    return loader.construct_mapping(node, deep=deep)


def _loader_class() -> type[Any]:
    base: type[Any] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    cls: type[Any] = type("_UniqueKeyLoader", (base,), {})
    cls.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
    return cls


_Loader = _loader_class()
"""libyaml's C loader when PyYAML was built with it (about 10x faster), else the Python one."""


class YamlLimitError(ValueError):
    """A YAML document nests too deeply, expands too far, or refers to itself."""


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [n for kv in node.value for n in kv]
    return []


def check_yaml_shape(
    root: yaml.Node, *, max_depth: int = MAX_YAML_DEPTH, max_nodes: int = MAX_YAML_NODES
) -> None:
    """Bound a composed YAML node graph: nesting depth, size after alias expansion, no cycles.

    Iterative and memoised by node, so an alias bomb costs its distinct nodes, not its
    expansion.

    Raises:
        YamlLimitError: naming the line where the limit was passed.
    """
    size: dict[int, int] = {}
    depth: dict[int, int] = {}
    on_path: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        nid = id(node)
        if done:
            on_path.discard(nid)
            kids = _children(node)
            size[nid] = 1 + sum(size[id(k)] for k in kids)
            depth[nid] = 1 + max((depth[id(k)] for k in kids), default=0)
            line = node.start_mark.line + 1
            if depth[nid] > max_depth:
                raise YamlLimitError(f"nested more than {max_depth} levels deep (line {line})")
            if size[nid] > max_nodes:
                raise YamlLimitError(
                    f"expands to more than {max_nodes:,} values through aliases (line {line})"
                )
            continue
        if nid in size:
            continue
        if nid in on_path:
            raise YamlLimitError(f"an alias refers to itself (line {node.start_mark.line + 1})")
        kids = _children(node)
        if not kids:
            size[nid], depth[nid] = 1, 1
            continue
        on_path.add(nid)
        stack.append((node, True))
        stack.extend((k, False) for k in kids)


def load_yaml_text(text: str) -> Any:
    """Parse YAML text: duplicate keys, deep nesting and alias bombs are errors.

    Raises:
        yaml.YAMLError: a syntax error or a duplicate key.
        YamlLimitError: a nesting, expansion or self-reference limit.
    """
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        check_yaml_shape(node)
        return loader.construct_document(node)
    finally:
        loader.dispose()


def read_yaml(path: Path, error: type[HwsimError], *, what: str = "") -> Any:
    """Parse a YAML file, rejecting duplicate keys; every problem is a one-line ``error``."""
    text = read_text(path, error, what=what, max_bytes=MAX_YAML_BYTES)
    name = f"{what} {path.name}".strip()
    try:
        return load_yaml_text(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f" (line {mark.line + 1})" if mark is not None else ""
        problem = str(exc.problem or exc).splitlines()[0][:200]
        raise error(f"{name}: invalid YAML{where}: {problem}") from None
    except yaml.YAMLError as exc:
        raise error(f"{name}: invalid YAML: {str(exc).splitlines()[0][:200]}") from None
    except YamlLimitError as exc:
        raise error(f"{name}: YAML {exc}") from None
    except RecursionError:  # the pure-Python parser without libyaml on a deep file
        raise error(f"{name}: YAML nested too deeply") from None


# --------------------------------------------------------------------------- writing


@contextlib.contextmanager
def atomic_path(target: str | Path, *, suffix: str = "") -> Iterator[Path]:
    """Yield a temporary path beside ``target``; on success it is renamed onto ``target``.

    For writers that insist on a path (matplotlib ``savefig``, pandas ``to_parquet``). The
    rename replaces a symlink at ``target`` instead of writing through it; on any exception
    the temporary file is removed and ``target`` is left as it was.
    """
    target = Path(target)
    if _is_stream(target):
        yield target  # /dev/stdout, a named pipe: a stream cannot be replaced, only written
        return
    folder = target.parent
    try:
        fd, tmp = tempfile.mkstemp(
            prefix=f".{target.name}.", suffix=suffix or target.suffix or ".tmp", dir=folder
        )
    except OSError as exc:  # (a missing or read-only folder)
        raise _about(exc, target) from exc
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        try:
            mode = 0o666 & ~_umask()
            os.chmod(tmp_path, mode)
        except OSError:  # pragma: no cover - a filesystem without modes
            pass
        os.replace(tmp_path, target)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            tmp_path.unlink()
        if isinstance(exc, OSError) and exc.filename in (tmp, tmp_path):
            raise _about(exc, target) from exc
        raise


def _about(exc: OSError, target: Path) -> OSError:
    """``exc`` about ``target``, the path asked for, not the temporary file (whose random
    name would otherwise be the one an error message shows)."""
    if exc.errno is None:
        return exc
    return type(exc)(exc.errno, exc.strerror, str(target))


def _is_stream(target: Path) -> bool:
    """True when ``target`` (after symlinks) is a character device, FIFO or socket, such as
    ``/dev/stdout``: renaming a file over it would replace the device node, not write to it."""
    try:
        mode = os.stat(target).st_mode
    except OSError:
        return False
    return stat.S_ISCHR(mode) or stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_atomic(
    target: str | Path,
    data: str | bytes | Callable[[IO[Any]], None],
    *,
    encoding: str = "utf-8",
    newline: str | None = None,
) -> None:
    """Write ``data`` to ``target`` atomically: a temp file in the same folder, then rename.

    Args:
        target: the output file; a symlink there is replaced, not followed.
        data: text, bytes, or a function that writes into the open file (text mode unless
            ``data`` is bytes).
        encoding: text encoding.
        newline: passed to ``open`` (``""`` for the csv module).

    Raises:
        OSError: the folder is missing or not writable (the old file is untouched).
    """
    with atomic_path(target) as tmp:
        if isinstance(data, bytes):
            tmp.write_bytes(data)
        elif isinstance(data, str):
            with open(tmp, "w", encoding=encoding, newline=newline) as fh:
                fh.write(data)
        else:
            with open(tmp, "w", encoding=encoding, newline=newline) as fh:
                data(fh)
