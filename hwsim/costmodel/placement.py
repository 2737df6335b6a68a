"""Where tensors live: weights, activations and KV-cache state on the memory levels."""

from __future__ import annotations

from dataclasses import dataclass

from hwsim.hardware.models import HardwareSpec


@dataclass(frozen=True, slots=True)
class LevelFit:
    """What must live on one level against its capacity."""

    required_bytes: float
    capacity_bytes: float

    @property
    def fits(self) -> bool:
        """True when the requirement is within capacity."""
        return self.required_bytes <= self.capacity_bytes


@dataclass(frozen=True, slots=True)
class Placement:
    """Home level index (into ``spec.memory``) of weights, activations and state."""

    weight_level: int
    act_level: int
    state_level: int
    fit: dict[str, LevelFit]

    @property
    def fits(self) -> bool:
        """True when every level holds what was placed on it."""
        return all(f.fits for f in self.fit.values())

    def notes(self, spec: HardwareSpec) -> list[str]:
        """One line per tensor kind placed beyond the nearest level that may hold it (weights
        that overflow an MCU's internal flash into a board's SDRAM or QSPI flash): where it
        went and the slower memory it is read from."""
        from hwsim.units import Dimension, format_bytes_iec, format_quantity

        out = []
        for what, idx in (("weights", self.weight_level), ("activations", self.act_level)):
            allowed = [i for i, m in enumerate(spec.memory) if what in m.holds]
            if not allowed or idx == allowed[0] or not self.fit.get(spec.memory[idx].name):
                continue
            first, got = spec.memory[allowed[0]], spec.memory[idx]
            if not self.fit[got.name].fits:
                continue  # the misfit warning says it
            kind = "" if got.kind == got.name else f"{got.kind}, "
            out.append(
                f"{what} do not fit {first.name} ({format_bytes_iec(first.capacity)}): placed in "
                f"{got.name} ({kind}{format_bytes_iec(got.capacity)}, "
                f"{format_quantity(got.read_bw, Dimension.BYTES_PER_S)} read), which costs its "
                "slower reads and higher energy per byte"
            )
        return out

    def misfits(self) -> list[str]:
        """Names of levels whose requirement exceeds capacity."""
        return [k for k, f in self.fit.items() if not f.fits]


def place(
    spec: HardwareSpec,
    weight_bytes: float,
    activation_bytes: float,
    state_bytes: float = 0.0,
    *,
    activations_first: bool = False,
) -> Placement:
    """Put weights, peak activations and KV state on the nearest levels that can hold them.

    Weights go to the nearest level that ``holds`` weights and has room; activations to the
    nearest level that ``holds`` activations and has room for them plus whatever already
    lives there; KV-cache state next to the weights when it fits, else with the activations.
    When nothing fits, the tensor goes to the farthest level allowed and the fit report
    says ``fits: false``. ``activations_first`` places the activations before the weights
    (a deployment that keeps the activation arena on chip and streams the weights).
    """
    levels = spec.memory
    used = [0.0] * len(levels)

    def choose(kind: str, need: float) -> int:
        allowed = [i for i, m in enumerate(levels) if kind in m.holds]
        for i in allowed:
            if used[i] + need <= levels[i].capacity:
                return i
        return allowed[-1]

    if activations_first:
        a = choose("activations", activation_bytes)
        used[a] += activation_bytes
        w = choose("weights", weight_bytes)
        used[w] += weight_bytes
    else:
        w = choose("weights", weight_bytes)
        used[w] += weight_bytes
        a = choose("activations", activation_bytes)
        used[a] += activation_bytes
    s = w
    if state_bytes > 0:
        if used[w] + state_bytes <= levels[w].capacity:
            s = w
        else:
            s = choose("activations", state_bytes)
        used[s] += state_bytes
    fit = {
        levels[i].name: LevelFit(used[i], levels[i].capacity)
        for i in sorted({w, a, s})
        if used[i] > 0 or i in (w, a)
    }
    return Placement(w, a, s, fit)


def placements(
    spec: HardwareSpec, weight_bytes: float, activation_bytes: float, state_bytes: float = 0.0
) -> list[Placement]:
    """The distinct placements a deployment can choose between: weights first (the default
    of :func:`place`), then activations first when that differs. The engine simulates each
    and keeps the fastest, so more capacity never makes a model slower (a level big enough
    for the weights no longer pushes the activations off chip)."""
    first = place(spec, weight_bytes, activation_bytes, state_bytes)
    other = place(spec, weight_bytes, activation_bytes, state_bytes, activations_first=True)
    same = (first.weight_level, first.act_level, first.state_level) == (
        other.weight_level,
        other.act_level,
        other.state_level,
    )
    return [first] if same else [first, other]
