"""Safe reading and atomic writing (hwsim.textio)."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest
import yaml

from hwsim import textio
from hwsim.errors import HwsimError


class _Err(HwsimError):
    pass


def test_write_atomic_replaces_a_symlink_instead_of_writing_through(tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("precious", encoding="utf-8")
    link = tmp_path / "out.json"
    link.symlink_to(victim)
    textio.write_atomic(link, "new\n")
    assert victim.read_text(encoding="utf-8") == "precious"
    assert not link.is_symlink() and link.read_text(encoding="utf-8") == "new\n"


def test_interrupted_write_leaves_the_old_file_and_no_temp(tmp_path: Path) -> None:
    target = tmp_path / "results.csv"
    target.write_text("old\n", encoding="utf-8")

    def boom(fh: object) -> None:
        fh.write("half a ro")  # type: ignore[attr-defined]
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        textio.write_atomic(target, boom)
    assert target.read_text(encoding="utf-8") == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results.csv"]


def test_written_file_gets_ordinary_permissions(tmp_path: Path) -> None:
    target = tmp_path / "a.txt"
    textio.write_atomic(target, b"x")
    mask = os.umask(0)
    os.umask(mask)
    assert target.stat().st_mode & 0o777 == 0o666 & ~mask


def test_missing_folder_is_an_oserror_and_writes_nothing(tmp_path: Path) -> None:
    with pytest.raises(OSError):
        textio.write_atomic(tmp_path / "nope" / "a.txt", "x")


@pytest.mark.parametrize("where", ["nope/a.json", "folder"])
def test_a_failed_write_names_the_path_asked_for_not_the_temporary_file(
    tmp_path: Path, where: str
) -> None:
    # a missing folder (the temporary file cannot be made), a folder in the way (the rename
    # fails): either way the message shows the target, never '.a.json.x8k2_.json'
    (tmp_path / "folder").mkdir()
    target = tmp_path / where
    with pytest.raises(OSError) as err:
        textio.write_atomic(target, "x")
    assert str(err.value).endswith(f": {str(target)!r}")
    assert err.value.errno in (errno.ENOENT, errno.EISDIR)
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["folder"]


def test_fifo_and_device_are_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "trace.csv"
    os.mkfifo(fifo)
    with pytest.raises(_Err, match="not a regular file"):
        textio.read_text(fifo, _Err)
    with pytest.raises(_Err, match="not a regular file"):
        textio.read_text(Path("/dev/zero"), _Err)


def test_size_limit(tmp_path: Path) -> None:
    p = tmp_path / "big.txt"
    p.write_bytes(b"x" * 2048)
    with pytest.raises(_Err, match="file too large"):
        textio.read_text(p, _Err, max_bytes=1024)
    assert textio.read_text(p, _Err, max_bytes=2048) == "x" * 2048


def test_utf8_bom_is_dropped(tmp_path: Path) -> None:
    p = tmp_path / "t.csv"
    p.write_bytes(b"\xef\xbb\xbfarrival_s\n0\n")
    assert textio.read_text(p, _Err) == "arrival_s\n0\n"


def test_yaml_limits() -> None:
    with pytest.raises(textio.YamlLimitError, match="nested more than 64"):
        textio.load_yaml_text("[" * 65 + "]" * 65)
    assert textio.load_yaml_text("[" * 63 + "]" * 63) is not None
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
    prev = "a"
    for i in range(8):
        name = f"b{i}"
        bomb += f"{name}: &{name} [" + ", ".join([f"*{prev}"] * 10) + "]\n"
        prev = name
    with pytest.raises(textio.YamlLimitError, match="through aliases"):
        textio.load_yaml_text(bomb)
    with pytest.raises(textio.YamlLimitError, match="refers to itself"):
        textio.load_yaml_text("a: &x [*x]\n")
    with pytest.raises(yaml.YAMLError, match="duplicate key"):
        textio.load_yaml_text("a: 1\nb: 2\na: 3\n")
    # A modest, legitimate use of aliases still loads.
    assert textio.load_yaml_text("a: &v {x: 1}\nb: *v\n") == {"a": {"x": 1}, "b": {"x": 1}}


def test_c_loader_gives_the_same_dicts_as_the_python_loader() -> None:
    class Py(yaml.SafeLoader):
        pass

    Py.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, textio._construct_mapping)
    root = Path(__file__).resolve().parents[2]
    files = sorted((root / "hardware_specs").glob("*.yaml")) + sorted(
        (root / "workloads").glob("*.yaml")
    )
    assert files
    for f in files:
        text = f.read_text(encoding="utf-8")
        assert textio.load_yaml_text(text) == yaml.load(text, Loader=Py), f.name


def test_shorten_never_formats_the_whole_value() -> None:
    huge = "x" * 10_000_000
    assert len(textio.shorten(huge)) < 80
    nested: list[object] = []
    for _ in range(1000):
        nested = [nested, nested]
    assert len(textio.shorten(nested)) < 80


def test_a_stream_target_is_written_not_replaced(tmp_path: Path) -> None:
    """``--json /dev/stdout`` or a named pipe: the data goes into the stream, the node stays."""
    import threading

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()))
    reader.start()
    textio.write_atomic(fifo, "streamed\n")
    reader.join(timeout=10)
    assert got == [b"streamed\n"]
    assert fifo.is_fifo()
    link = tmp_path / "out"
    link.symlink_to("/dev/null")
    textio.write_atomic(link, "x")
    assert link.is_symlink()
