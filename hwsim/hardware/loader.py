"""Loading hardware specs and software profiles from YAML, with one-line errors."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from hwsim import textio
from hwsim.errors import SpecError
from hwsim.hardware.models import HardwareSpec, SoftwareProfile
from hwsim.hardware.system import SystemSpec
from hwsim.resources import builtin_dir
from hwsim.textio import shorten


def read_yaml(path: Path) -> Any:
    """Parse a spec/profile YAML file, rejecting duplicate keys; errors are SpecError."""
    return textio.read_yaml(path, SpecError)


def format_loc(loc: tuple[int | str, ...], data: Any = None) -> str:
    """Turn a pydantic error location into a dotted path: ``memory.dram.bandwidth`` where
    the list entry has a ``name`` (as overrides spell it), else ``memory[1].bandwidth``."""
    out = ""
    node = data
    for part in loc:
        if isinstance(part, int):
            name = None
            if isinstance(node, list) and 0 <= part < len(node):
                node = node[part]
                name = node.get("name") if isinstance(node, Mapping) else None
            else:
                node = None
            out += f".{_key(name)}" if isinstance(name, str) and name else f"[{part}]"
        elif part.startswith("function-") or part in ("tagged-union",):
            continue
        else:
            node = node.get(part) if isinstance(node, Mapping) else None
            out += f".{_key(part)}" if out else _key(part)
    return out or "(top level)"


def _key(part: str) -> str:
    """A key as the error line shows it: quoted when it holds a line break or other
    unprintable character (an error is one line)."""
    return part if part.isprintable() else repr(part)


MAX_PROBLEMS_CHARS = 700
"""A spec error lists its problems up to about this many characters (then 'and N more')."""


def format_validation_error(where: str, exc: ValidationError, data: Any = None) -> str:
    """Every problem at once, each as ``field.path: reason``, joined by '; ' after
    ``file: ``; with more than one, the line starts with how many there are."""
    parts = []
    for err in exc.errors():
        msg = err["msg"]
        for prefix in ("Value error, ", "Assertion failed, "):
            if msg.startswith(prefix):
                msg = msg[len(prefix) :]
        loc = tuple(err["loc"])
        if err["type"] == "missing":
            msg = "required field is missing"
        elif err["type"] == "extra_forbidden":
            msg = "unknown field"
        if not loc and err["type"] == "value_error":
            parts.extend(msg.split("; "))  # cross-field checks lead with their own paths
        else:
            parts.append(f"{format_loc(loc, data)}: {msg}")
    if len(parts) == 1:
        return f"{where}: {parts[0]}"
    shown: list[str] = []
    for p in parts:  # every problem, unless a hostile file makes the line unreadable
        if shown and sum(len(x) + 2 for x in shown) + len(p) > MAX_PROBLEMS_CHARS:
            break
        shown.append(p)
    rest = len(parts) - len(shown)
    more = f"; and {rest} more" if rest else ""
    return f"{where}: {len(parts)} problems: " + "; ".join(shown) + more


def validate_model(model: type[BaseModel], data: Any, where: str) -> Any:
    """Validate ``data`` as ``model`` with strict units; raise SpecError with the field path."""
    if not isinstance(data, Mapping):
        raise SpecError(f"{where}: expected a mapping at the top level, got {type(data).__name__}")
    try:
        return model.model_validate(data, context={"strict_units": True})
    except ValidationError as exc:
        raise SpecError(format_validation_error(where, exc, data)) from None


def builtin_hardware_names() -> list[str]:
    """Names of the built-in chips (file stems under hardware_specs/)."""
    return sorted(p.stem for p in builtin_dir("hardware_specs").glob("*.yaml"))


def _probe(p: Path, test: str) -> bool:
    """``p.exists()`` / ``p.is_file()`` / ``p.is_dir()``, False where the OS refuses the name
    (too long, bad bytes) instead of raising."""
    try:
        return bool(getattr(p, test)())
    except (OSError, ValueError):
        return False


def resolve_hardware_path(name_or_path: str | Path) -> Path:
    """A built-in chip name or a path to a YAML file -> the file path."""
    p = Path(name_or_path)
    if p.suffix in (".yaml", ".yml") or _probe(p, "exists"):
        if _probe(p, "is_dir"):
            raise SpecError(f"{p}: is a directory, not a hardware spec file")
        if not _probe(p, "exists"):
            raise SpecError(f"{p}: no such hardware spec file")
        return p
    cand = builtin_dir("hardware_specs") / f"{name_or_path}.yaml"
    if _probe(cand, "is_file"):
        return cand
    # Chip names are matched without regard to case (A100-80GB-SXM is a100-80gb-sxm); the
    # spec's own name, with its case, is what every output shows.
    folded = {n.casefold(): n for n in builtin_hardware_names()}
    if str(name_or_path).casefold() in folded:
        return builtin_dir("hardware_specs") / f"{folded[str(name_or_path).casefold()]}.yaml"
    names = ", ".join(builtin_hardware_names())
    raise SpecError(f"unknown hardware {shorten(str(name_or_path))}; built-in chips: {names}")


def load_hardware(name_or_path: str | Path | HardwareSpec) -> HardwareSpec:
    """Load a chip by built-in name or YAML path (a HardwareSpec passes through)."""
    if isinstance(name_or_path, HardwareSpec):
        return name_or_path
    path = resolve_hardware_path(name_or_path)
    try:
        st = path.stat()
    except OSError:
        st = None
    if st is None or not path.is_file():  # read_yaml says what is wrong with it
        spec: HardwareSpec = validate_model(HardwareSpec, read_yaml(path), path.name)
        return spec
    return _load_spec_file(str(path.resolve()), path.name, st.st_mtime_ns, st.st_size)


@functools.lru_cache(maxsize=128)
def _load_spec_file(path: str, name: str, mtime_ns: int, size: int) -> HardwareSpec:
    """A validated spec file, cached by path, modification time and size (specs are frozen,
    so every caller can share one object; an edited file is read again)."""
    spec: HardwareSpec = validate_model(HardwareSpec, read_yaml(Path(path)), name)
    return spec


def load_profile(path: str | Path) -> SoftwareProfile:
    """Load a standalone software profile YAML file."""
    p = Path(path)
    prof: SoftwareProfile = validate_model(SoftwareProfile, read_yaml(p), p.name)
    return prof


def resolve_profile(
    spec: HardwareSpec, profile: str | Path | SoftwareProfile | None
) -> SoftwareProfile:
    """A profile by name on the chip, a profile YAML path, or the chip's default (None)."""
    if isinstance(profile, SoftwareProfile):
        return profile
    if profile is None:
        return spec.profile(None)
    p = str(profile)
    if p.endswith((".yaml", ".yml")):
        return load_profile(p)
    if p not in spec.profiles:
        raise SpecError(
            f"{spec.name}: no software profile {p!r}; it has {', '.join(sorted(spec.profiles))}"
        )
    return spec.profiles[p]


def _set_path(data: dict[str, Any], dotted: str, value: Any) -> None:
    parts = dotted.split(".")
    node: Any = data
    walked: list[str] = []
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        if isinstance(node, list):
            match = [e for e in node if isinstance(e, dict) and e.get("name") == part]
            if not match:
                if part.isdigit() and int(part) < len(node):
                    match = [node[int(part)]]
                else:
                    names = [str(e.get("name")) for e in node if isinstance(e, dict)]
                    raise SpecError(
                        f"override {dotted!r}: no entry named {part!r} under "
                        f"{'.'.join(walked) or '(top)'} (has: {', '.join(names)})"
                    )
            if last:
                raise SpecError(f"override {dotted!r}: cannot replace a whole list entry")
            node = match[0]
        elif isinstance(node, dict):
            if last:
                # An unknown field name is caught by validation (extra="forbid").
                node[part] = value
                return
            if part not in node:
                raise SpecError(
                    f"override {dotted!r}: unknown field {part!r} under {'.'.join(walked) or '(top)'}"
                )
            node = node[part]
        else:
            raise SpecError(f"override {dotted!r}: {'.'.join(walked)} is not a section")
        walked.append(part)


def override(spec: HardwareSpec, changes: Mapping[str, Any]) -> HardwareSpec:
    """Return a validated variant of ``spec`` with dotted-path fields replaced.

    List entries are addressed by name: ``memory.dram.bandwidth``, ``compute.npu.count``,
    ``profiles.tensorrt.efficiency.gemm``. Values are unit strings (``"100 GB/s"``) or
    plain numbers for plain fields (``count``).
    """
    data = spec.model_dump(mode="json", exclude_none=True)  # a fresh tree: edited in place
    for path, value in changes.items():
        _set_path(data, path, value)
    try:
        return HardwareSpec.model_validate(data, context={"strict_units": True})
    except ValidationError as exc:
        raise SpecError(format_validation_error(f"{spec.name} override", exc, data)) from None


# ---------------------------------------------------------------- systems of chips


def system_dir() -> Path:
    """Folder of the built-in systems (``hardware_specs/systems``)."""
    return builtin_dir("hardware_specs") / "systems"


def builtin_system_names() -> list[str]:
    """Names of the built-in systems."""
    return sorted(p.stem for p in system_dir().glob("*.yaml"))


def find_system(name_or_path: str | Path) -> Path | None:
    """The YAML path of a system given by built-in name or path; None when it is a chip."""
    p = Path(name_or_path)
    if p.suffix in (".yaml", ".yml") and _probe(p, "is_file"):
        data = read_yaml(p)
        return p if isinstance(data, dict) and data.get("kind") == "system" else None
    cand = system_dir() / f"{name_or_path}.yaml"
    return cand if _probe(cand, "is_file") else None


def load_system(name_or_path: str | Path | SystemSpec) -> tuple[SystemSpec, HardwareSpec]:
    """A system by built-in name or YAML path, and its device chip spec.

    Raises:
        SpecError: unknown name, a bad field (named with its path) or an unknown device.
    """
    if isinstance(name_or_path, SystemSpec):
        sys_spec = name_or_path
        base = system_dir()
    else:
        path = find_system(name_or_path)
        if path is None:
            raise SpecError(
                f"unknown system {shorten(str(name_or_path))}; built-in systems: "
                f"{', '.join(builtin_system_names())}"
            )
        sys_spec = validate_model(SystemSpec, read_yaml(path), path.name)
        base = path.parent
    dev = Path(sys_spec.device)
    if dev.suffix in (".yaml", ".yml") and not dev.is_absolute():
        dev = base / dev
    try:
        chip = load_hardware(dev if dev.suffix in (".yaml", ".yml") else sys_spec.device)
    except SpecError as exc:
        raise SpecError(f"{sys_spec.name}: device: {exc}") from None
    return sys_spec, chip
