"""Systems of chips: N identical devices and the links between them (pydantic, frozen).

A system YAML (``kind: system``) names a chip (a built-in name or a spec file next to it),
how many there are, and the links: bandwidth per direction per device, latency per
message step and energy per byte. Topologies:

* ``switch``: every device reaches every other through a switch (NVSwitch, a PCIe switch or
  root complex) at its full per-direction bandwidth;
* ``ring``: each device talks to two neighbours;
* ``two_level``: nodes of ``devices_per_node`` on the ``link``, nodes joined by
  ``inter_node_link`` (InfiniBand / Ethernet).

Collectives use the ring algorithm on every topology (NCCL's default for large messages),
so both ``switch`` and ``ring`` give the same formulas; a group that spans nodes of a
``two_level`` system runs at the inter-node link's bandwidth (its bottleneck).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator

from hwsim.errors import SpecError
from hwsim.hardware.loader import read_yaml, validate_model
from hwsim.hardware.models import Estimate, Frozen, HardwareSpec, Source
from hwsim.hardware.quantity import BytesPerSecond, JoulesPerByte, Seconds
from hwsim.resources import builtin_dir

LinkKind = Literal["nvlink", "pcie", "infiniband", "ethernet", "chip_to_chip"]
Topology = Literal["switch", "ring", "two_level"]


class Link(Frozen):
    """A device's connection to the others of its group."""

    name: str = Field(description="link name, e.g. nvlink4")
    kind: LinkKind = Field(description="link technology")
    bandwidth: BytesPerSecond = Field(
        description="per device, per direction (a full-duplex link moves this each way at once)"
    )
    latency: Seconds = Field(description="per message step (software + wire), e.g. 5 us")
    energy_per_byte: JoulesPerByte = Field(description="energy to move one byte device to device")


class SystemSpec(Frozen):
    """N identical chips and the links between them."""

    schema_version: Literal[1] = Field(description="spec format version (1)")
    name: str = Field(description="unique system name, e.g. dgx-h100")
    kind: Literal["system"] = Field(description="'system'")
    description: str = Field(default="", description="one-line summary")
    device: str = Field(description="the chip: a built-in chip name or a spec file path")
    count: int = Field(ge=1, description="number of devices")
    topology: Topology = Field(description="switch, ring or two_level")
    link: Link = Field(description="the link inside a node (or of every device)")
    devices_per_node: int | None = Field(
        default=None, ge=1, description="two_level: devices per node"
    )
    inter_node_link: Link | None = Field(default=None, description="two_level: between nodes")
    sources: list[Source] = Field(default_factory=list, description="where the numbers came from")
    estimated: list[Estimate] = Field(default_factory=list, description="derived numbers")

    @model_validator(mode="after")
    def _levels(self) -> SystemSpec:
        if self.topology == "two_level":
            if self.devices_per_node is None or self.inter_node_link is None:
                raise ValueError("two_level topology needs devices_per_node and inter_node_link")
            if self.count % self.devices_per_node:
                raise ValueError(
                    f"count {self.count} is not a multiple of devices_per_node "
                    f"{self.devices_per_node}"
                )
        elif self.inter_node_link is not None or self.devices_per_node is not None:
            raise ValueError("devices_per_node and inter_node_link belong to two_level only")
        return self

    def group_link(self, group: int) -> Link:
        """The link that bounds a collective over ``group`` consecutive devices."""
        if self.topology == "two_level":
            assert self.devices_per_node is not None and self.inter_node_link is not None
            if group > self.devices_per_node:
                return self.inter_node_link
        return self.link


def system_dir() -> Path:
    """Folder of the built-in systems (``hardware_specs/systems``)."""
    return builtin_dir("hardware_specs") / "systems"


def builtin_system_names() -> list[str]:
    """Names of the built-in systems."""
    return sorted(p.stem for p in system_dir().glob("*.yaml"))


def find_system(name_or_path: str | Path) -> Path | None:
    """The YAML path of a system given by built-in name or path; None when it is a chip."""
    p = Path(name_or_path)
    if p.suffix in (".yaml", ".yml") and p.is_file():
        data = read_yaml(p)
        return p if isinstance(data, dict) and data.get("kind") == "system" else None
    cand = system_dir() / f"{name_or_path}.yaml"
    return cand if cand.is_file() else None


def load_system(name_or_path: str | Path | SystemSpec) -> tuple[SystemSpec, HardwareSpec]:
    """A system by built-in name or YAML path, and its device chip spec.

    Raises:
        SpecError: unknown name, a bad field (named with its path) or an unknown device.
    """
    from hwsim.hardware.loader import load_hardware

    if isinstance(name_or_path, SystemSpec):
        sys_spec = name_or_path
        base = system_dir()
    else:
        path = find_system(name_or_path)
        if path is None:
            raise SpecError(
                f"unknown system {str(name_or_path)!r}; built-in systems: "
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
