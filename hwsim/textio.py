"""Reading user-supplied text files with one-line errors (never a traceback)."""

from __future__ import annotations

from pathlib import Path

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
