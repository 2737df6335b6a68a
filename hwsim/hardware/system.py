"""Systems of chips: N identical devices and the links between them (pydantic, frozen).

A system YAML (``kind: system``, read by :func:`hwsim.hardware.loader.load_system`) names a chip (a built-in name or a spec file next to it),
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

from typing import Literal

from pydantic import Field, model_validator

from hwsim.hardware.models import MAX_INSTANCES, Estimate, Frozen, Source, empty_list
from hwsim.hardware.quantity import BytesPerSecond, JoulesPerByte, Seconds

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
    count: int = Field(ge=1, le=MAX_INSTANCES, description="number of devices")
    topology: Topology = Field(description="switch, ring or two_level")
    link: Link = Field(description="the link inside a node (or of every device)")
    devices_per_node: int | None = Field(
        default=None, ge=1, le=MAX_INSTANCES, description="two_level: devices per node"
    )
    inter_node_link: Link | None = Field(default=None, description="two_level: between nodes")
    sources: list[Source] = Field(
        default_factory=empty_list, description="where the numbers came from"
    )
    estimated: list[Estimate] = Field(default_factory=empty_list, description="derived numbers")

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
