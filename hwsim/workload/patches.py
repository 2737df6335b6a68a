"""Patch-based execution of the first, high-resolution ops (MCUNetV2).

MCUNetV2 (Lin et al., NeurIPS 2021, arXiv 2110.15352) runs the first stages of a CNN patch by
patch: the stage's output feature map is split into a grid of patches and, for each, the
stage's ops compute only the region of every intermediate tensor that patch needs. Only the
stage's output is held in full; the intermediates are patch-sized, so the high-resolution
layers no longer set the peak. The price is the halo: a 3x3 conv needs one more row and column
of input on each side, and neighbouring patches compute the overlap twice.

Here the regions are derived backwards from each patch of the stage output through every op's
kernel, stride, dilation and padding (:func:`input_region`). The patched workload's ops carry
the recomputed MACs, element ops and activation traffic, and read their weights once per patch;
its memory profile uses per-patch buffers for the stage (:func:`per_patch_live`).
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from hwsim.errors import WorkloadError
from hwsim.workload.ir import GemmShape, Op, PatchSpec, Tensor, Workload

MIN_PATCH_SIDE = 4
"""Auto stage search: a stage ends only where each patch is at least this many output pixels
on a side. Below that, a 3x3 conv's halo (2 px) is half the patch or more: the recompute
grows faster than the peak falls, and MCUNetV2 ends its stages at such resolutions too."""


class PatchError(WorkloadError):
    """A patch setting the graph cannot run; the message starts with the parameter it is
    about (``patches`` or ``patch_stages``) and names the op."""

    def __init__(self, message: str) -> None:
        param, _, rest = message.partition(":")
        super().__init__(f"`{param}`:{rest}", params=(param,))


@dataclass(frozen=True, slots=True)
class Region:
    """Rows [h0, h1) and columns [w0, w1) of a feature map."""

    h0: int
    h1: int
    w0: int
    w1: int

    @property
    def area(self) -> int:
        """Pixels in the region."""
        return max(0, self.h1 - self.h0) * max(0, self.w1 - self.w0)

    def union(self, other: Region) -> Region:
        """Bounding box of both regions."""
        return Region(
            min(self.h0, other.h0),
            max(self.h1, other.h1),
            min(self.w0, other.w0),
            max(self.w1, other.w1),
        )


def _attr(op: Op, key: str) -> object:
    return dict(op.attrs).get(key)


def _window(
    op: Op,
) -> tuple[tuple[int, int], tuple[int, int], tuple[int, int], tuple[int, ...]] | None:
    """(kernel, stride, dilation, pads) of a sliding-window op (conv, pool), else None."""
    kernel, stride = _attr(op, "kernel"), _attr(op, "stride")
    if not (isinstance(kernel, tuple) and isinstance(stride, tuple)):
        return None
    dil = _attr(op, "dilation")
    pads = _attr(op, "pads")
    return (
        (int(kernel[0]), int(kernel[1])),
        (int(stride[0]), int(stride[1])),
        (int(dil[0]), int(dil[1])) if isinstance(dil, tuple) else (1, 1),
        tuple(int(p) for p in pads) if isinstance(pads, tuple) else (0, 0, 0, 0),
    )


def input_region(
    out: Region,
    kernel: tuple[int, int],
    stride: tuple[int, int],
    dilation: tuple[int, int],
    pads: Sequence[int],
    in_hw: tuple[int, int],
) -> Region:
    """Input rows/cols a sliding window needs to produce the output region ``out``.

    Output row r reads input rows r*s - pad_top ... r*s - pad_top + (k-1)*d; the region is
    clipped to the input (padding rows are zeros, not stored).
    """
    (kh, kw), (sh, sw), (dh, dw) = kernel, stride, dilation
    pt, pl = pads[0], pads[1]
    h, w = in_hw
    return Region(
        max(0, out.h0 * sh - pt),
        min(h, (out.h1 - 1) * sh - pt + (kh - 1) * dh + 1),
        max(0, out.w0 * sw - pl),
        min(w, (out.w1 - 1) * sw - pl + (kw - 1) * dw + 1),
    )


def _hw(t: Tensor) -> tuple[int, int] | None:
    return (t.shape[2], t.shape[3]) if len(t.shape) == 4 else None


def spatial_op(w: Workload, op: Op) -> bool:
    """The op can run on a spatial patch: a sliding window (conv, pool) or an op whose
    output pixel depends only on the same input pixel (activation, norm, add)."""
    if op.view or len(op.outputs) != 1 or not op.inputs:
        return False
    out_hw = _hw(w.tensors[op.outputs[0]])
    if out_hw is None:
        return False
    if _window(op) is not None:
        return len(op.inputs) == 1
    if op.op_class not in ("elementwise",) or op.op_type in ("softmax", "layernorm", "rmsnorm"):
        return False
    for t in op.inputs:
        hw = _hw(w.tensors[t])
        if hw != out_hw and hw != (1, 1):
            return False
    return True


def spatial_prefix(w: Workload) -> int:
    """Number of leading ops that can run per patch."""
    for i, op in enumerate(w.ops):
        if not spatial_op(w, op):
            return i
    return len(w.ops)


def _roots(w: Workload, stage_ops: int, aliases: Mapping[int, str]) -> dict[str, str]:
    """Buffer owner of every tensor of the stage (fused/folded ops and views alias)."""
    root: dict[str, str] = {}

    def find(t: str) -> str:
        while t in root:
            t = root[t]
        return t

    for i, op in enumerate(w.ops[:stage_ops]):
        if len(op.outputs) == 1 and i in aliases:
            root[op.outputs[0]] = find(aliases[i])
        elif op.view and op.inputs and len(op.outputs) == 1:
            root[op.outputs[0]] = find(op.inputs[0])
    return {t: find(t) for t in w.tensors}


def crossing_tensors(w: Workload, stage_ops: int) -> tuple[str, ...]:
    """Tensors produced in the stage and read after it (or graph outputs): held in full."""
    produced = {o for op in w.ops[:stage_ops] for o in op.outputs}
    used_after = {t for op in w.ops[stage_ops:] for t in op.inputs} | set(w.outputs)
    return tuple(sorted(produced & used_after))


def check_cut(
    w: Workload, stage_ops: int, grid: tuple[int, int], aliases: Mapping[int, str] | None = None
) -> tuple[int, int]:
    """(H, W) of the stage output that the grid splits; raises PatchError when the first
    ``stage_ops`` ops cannot run per patch."""
    gh, gw = grid
    if gh < 1 or gw < 1:
        raise PatchError(f"patches: the grid must be at least 1x1, got {gh}x{gw}")
    if not 1 <= stage_ops <= len(w.ops):
        raise PatchError(f"patch_stages: {stage_ops} is not between 1 and {len(w.ops)} ops")
    for op in w.ops[:stage_ops]:
        if not spatial_op(w, op):
            raise PatchError(
                f"patch_stages: op {op.name!r} ({op.op_type}) cannot run per spatial patch; "
                f"the first {spatial_prefix(w)} ops can"
            )
    if aliases and stage_ops in aliases:
        raise PatchError(
            f"patch_stages: op {w.ops[stage_ops].name!r} is fused into {w.ops[stage_ops - 1].name!r}; "
            "end the stage after it"
        )
    cross = crossing_tensors(w, stage_ops)
    sizes = {_hw(w.tensors[t]) for t in cross}
    if len(sizes) != 1:
        raise PatchError(
            f"patch_stages: the stage after op {w.ops[stage_ops - 1].name!r} hands on feature "
            f"maps of different sizes {sorted(s for s in sizes if s)}; end it elsewhere"
        )
    hw = sizes.pop()
    assert hw is not None
    if hw[0] < gh or hw[1] < gw:
        raise PatchError(
            f"patches: {gh}x{gw} patches over a {hw[0]}x{hw[1]} feature map "
            f"(after op {w.ops[stage_ops - 1].name!r})"
        )
    return hw


def _split(size: int, parts: int) -> list[tuple[int, int]]:
    bounds = [k * size // parts for k in range(parts + 1)]
    return list(itertools.pairwise(bounds))


def patch_regions(w: Workload, stage_ops: int, grid: tuple[int, int]) -> list[dict[str, Region]]:
    """Per patch (row-major over the grid), the region of every tensor the stage touches.

    The stage output is split into ``grid`` near-equal rectangles; each op's input region is
    what its output region needs (:func:`input_region`), the union over its consumers.
    """
    h, w_ = check_cut(w, stage_ops, grid)
    cross = crossing_tensors(w, stage_ops)
    out: list[dict[str, Region]] = []
    for r0, r1 in _split(h, grid[0]):
        for c0, c1 in _split(w_, grid[1]):
            need: dict[str, Region] = {t: Region(r0, r1, c0, c1) for t in cross}
            for op in reversed(w.ops[:stage_ops]):
                o = op.outputs[0]
                if o not in need:  # nothing downstream in this patch reads it
                    continue
                win = _window(op)
                for t in op.inputs:
                    in_hw = _hw(w.tensors[t])
                    assert in_hw is not None
                    if win is not None:
                        reg = input_region(need[o], win[0], win[1], win[2], win[3], in_hw)
                    elif in_hw == (1, 1):
                        reg = Region(0, 1, 0, 1)
                    else:
                        reg = need[o]
                    need[t] = need[t].union(reg) if t in need else reg
            out.append(need)
    return out


def _scaled(op: Op, w: Workload, regions: Sequence[Mapping[str, Region]], patches: int) -> Op:
    """The op run once per patch: counts for the pixels it computes over all patches."""
    t = w.tensors[op.outputs[0]]
    full = t.shape[2] * t.shape[3]
    done = sum(r[op.outputs[0]].area for r in regions if op.outputs[0] in r)
    macs = op.macs * done // full
    vector_ops = op.vector_ops * done // full
    in_bytes = 0.0
    for name in op.inputs:
        ti = w.tensors[name]
        plane = ti.nbytes / (ti.shape[2] * ti.shape[3])
        in_bytes += sum(r[name].area * plane for r in regions if name in r)
    gemm = op.gemm
    if gemm is not None:
        gemm = GemmShape(gemm.groups, gemm.m * done // full, gemm.n, gemm.k)
    return replace(
        op,
        macs=macs,
        vector_ops=vector_ops,
        input_bytes=in_bytes,
        output_bytes=op.output_bytes * done / full,
        weight_read_bytes=op.weights_read * patches,
        gemm=gemm,
    )


def apply_patches(
    w: Workload, grid: tuple[int, int], stage_ops: int, aliases: Mapping[int, str] | None = None
) -> Workload:
    """``w`` with its first ``stage_ops`` ops run per patch of ``grid``.

    Recomputed halo MACs, element ops and activation bytes are in the ops' counts; each stage op
    reads its weights once per patch (``weight_read_bytes``); parameters and model size are
    unchanged.
    """
    check_cut(w, stage_ops, grid, aliases)
    regions = patch_regions(w, stage_ops, grid)
    n = grid[0] * grid[1]
    ops = tuple(_scaled(op, w, regions, n) for op in w.ops[:stage_ops]) + w.ops[stage_ops:]
    return replace(w, ops=ops, patches=PatchSpec(grid, stage_ops))


def per_patch_live(
    w: Workload, planning: str, aliases: Mapping[int, str], base: Sequence[float]
) -> tuple[float, ...]:
    """Live bytes per op of a patched workload.

    For a stage op: the stage's output buffers in full (every patch writes its part) plus the
    largest per-patch plan of the patch-sized intermediates. The graph input is read per patch
    too (MCUNetV2 counts only the patch's receptive field of the image: the frame is not held
    in the arena). After the stage: ``base``, the plain liveness plan.
    """
    from hwsim.workload.memory import plan_memory

    assert w.patches is not None
    n = w.patches.stage_ops
    root = _roots(w, n, aliases)
    cross = crossing_tensors(w, n)
    cross_roots = {root[t] for t in cross}
    held = sum(w.tensors[r].nbytes for r in cross_roots)
    stage_aliases = {i: t for i, t in aliases.items() if i < n}
    best = [0.0] * n
    seen: set[tuple[tuple[int, int], ...]] = set()
    for reg in patch_regions(w, n, w.patches.grid):
        shape_key = tuple((r.h1 - r.h0, r.w1 - r.w0) for r in reg.values())
        if shape_key in seen:  # interior patches repeat the same buffer sizes
            continue
        seen.add(shape_key)
        tensors: dict[str, Tensor] = {}
        for name, r in reg.items():
            t = w.tensors[name]
            if root[name] in cross_roots:
                tensors[name] = Tensor(name, (0,), t.dtype)
            else:
                hh, ww = r.h1 - r.h0, r.w1 - r.w0
                tensors[name] = Tensor(name, (t.shape[0], t.shape[1], hh, ww), t.dtype)
        sub = Workload(
            name=w.name,
            ops=w.ops[:n],
            tensors=tensors,
            inputs=tuple(t for t in w.inputs if t in tensors),
            outputs=cross,
        )
        live = plan_memory(sub, planning, stage_aliases).live_bytes
        best = [max(a, b) for a, b in zip(best, live)]
    return tuple(held + b for b in best) + tuple(base[n:])


@dataclass(frozen=True, slots=True)
class PatchSummary:
    """Peak activation memory and cost with and without patch-based execution.

    Attributes:
        grid: patches (rows, cols).
        stage_ops: leading ops run per patch.
        last_stage_op: name of the stage's last op (its output is held in full).
        peak_bytes: peak live activation bytes with patches.
        peak_op: op at which that peak occurs.
        peak_bytes_without: peak without patches (the same deployment).
        peak_op_without: op at which that peak occurs.
        macs: MACs with patches (halo recomputed).
        macs_without: MACs without patches.
        weight_reads: weight bytes read per inference with patches (once per patch in the stage).
        weight_reads_without: weight bytes read per inference without patches.
        peak_after_stage: the peak with patches is set by an op after the stage (patches
            cannot lower it further).
    """

    grid: tuple[int, int]
    stage_ops: int
    last_stage_op: str
    peak_bytes: float
    peak_op: str
    peak_bytes_without: float
    peak_op_without: str
    macs: int
    macs_without: int
    weight_reads: float
    weight_reads_without: float
    peak_after_stage: bool = False

    @property
    def extra_macs(self) -> int:
        """MACs recomputed in the overlapping halos."""
        return self.macs - self.macs_without

    @property
    def extra_macs_ratio(self) -> float:
        """Recomputed MACs as a fraction of the model's MACs without patches."""
        return self.extra_macs / self.macs_without if self.macs_without else 0.0

    def to_dict(self) -> dict[str, object]:
        """JSON-ready fields (bytes, MACs)."""
        return {
            "grid": list(self.grid),
            "stage_ops": self.stage_ops,
            "last_stage_op": self.last_stage_op,
            "peak_activation_bytes": self.peak_bytes,
            "peak_op": self.peak_op,
            "peak_activation_bytes_without": self.peak_bytes_without,
            "peak_op_without": self.peak_op_without,
            "macs": self.macs,
            "macs_without": self.macs_without,
            "extra_macs": self.extra_macs,
            "extra_macs_ratio": self.extra_macs_ratio,
            "weight_read_bytes": self.weight_reads,
            "weight_read_bytes_without": self.weight_reads_without,
            "peak_after_stage": self.peak_after_stage,
        }


def parse_grid(text: str) -> tuple[int, int]:
    """``"4x4"`` -> (4, 4); ``"4"`` -> (4, 4)."""
    parts = text.lower().replace("×", "x").split("x")  # noqa: RUF001, RUF003 (4×4 reads as 4x4)
    try:
        nums = tuple(int(p) for p in parts)
    except ValueError:
        raise PatchError(f"patches: expected ROWSxCOLS like 4x4, got {text!r}") from None
    if len(nums) == 1:
        nums = (nums[0], nums[0])
    if len(nums) != 2 or min(nums) < 1:
        raise PatchError(f"patches: expected ROWSxCOLS like 4x4 (each >= 1), got {text!r}")
    return (nums[0], nums[1])


def resolve_stages(w: Workload, stages: str | int) -> int | None:
    """``"auto"`` -> None; a count of ops; or the name of the stage's last op."""
    if isinstance(stages, int):
        return stages
    if stages == "auto":
        return None
    if stages.isdigit():
        return int(stages)
    for i, op in enumerate(w.ops):
        if op.name == stages:
            return i + 1
    raise PatchError(
        f"patch_stages: expected a number of ops, an op name or 'auto', got {stages!r}"
    )


def summarize(w: Workload, patched: Workload, deployment: object) -> PatchSummary:
    """Compare ``patched`` (from :func:`apply_patches`) with ``w`` under ``deployment``."""
    from hwsim.workload.memory import Deployment, deployed_profile

    assert isinstance(deployment, Deployment) and patched.patches is not None
    a, b = deployed_profile(w, deployment), deployed_profile(patched, deployment)
    n = patched.patches.stage_ops
    return PatchSummary(
        grid=patched.patches.grid,
        stage_ops=n,
        last_stage_op=w.ops[n - 1].name,
        peak_bytes=b.peak_bytes,
        peak_op=patched.ops[b.peak_index].name,
        peak_bytes_without=a.peak_bytes,
        peak_op_without=w.ops[a.peak_index].name,
        macs=patched.macs,
        macs_without=w.macs,
        weight_reads=sum(op.weights_read for op in patched.ops),
        weight_reads_without=sum(op.weights_read for op in w.ops),
        peak_after_stage=b.peak_index >= n,
    )


def patch(
    w: Workload, grid: tuple[int, int], stages: str | int, deployment: object
) -> tuple[Workload, PatchSummary]:
    """Run ``w``'s first ops per patch; ``stages`` ``"auto"`` picks the cut.

    A count or op name that ends the stage inside a fused kernel (a conv without the batch
    norm and activation in its epilogue) takes the fused ops along.

    Auto: among the cuts where the stage can end (every op before it runs per patch, no fused
    chain split, one feature-map size handed on, patches of at least ``MIN_PATCH_SIDE`` pixels
    a side), the one with the lowest peak; among equal peaks the earliest, which recomputes
    the fewest MACs.
    """
    from hwsim.workload.memory import Deployment, deployed_aliases, deployed_profile

    assert isinstance(deployment, Deployment)
    aliases = deployed_aliases(w, deployment)
    n = resolve_stages(w, stages)
    if n is not None:
        while n in aliases:  # a stage ends after a whole kernel: take the fused ops along
            n += 1
        patched = apply_patches(w, grid, n, aliases)
        return patched, summarize(w, patched, deployment)
    base = deployed_profile(w, deployment).live_bytes
    rest = [max(base[k:], default=0.0) for k in range(len(base) + 1)]  # bound: ops after the cut
    best: tuple[float, int, Workload] | None = None
    last = spatial_prefix(w)
    for k in range(1, last + 1):
        if best is not None and rest[k] >= best[0]:
            continue  # the ops after the cut alone reach the best peak: no better
        try:
            hw = check_cut(w, k, grid, aliases)
        except PatchError:
            continue
        if hw[0] < MIN_PATCH_SIDE * grid[0] or hw[1] < MIN_PATCH_SIDE * grid[1]:
            continue
        cand = apply_patches(w, grid, k, aliases)
        peak = deployed_profile(cand, deployment).peak_bytes
        if best is None or peak < best[0] or (peak == best[0] and k < best[1]):
            best = (peak, k, cand)
    if best is None:
        raise PatchError(
            f"patches: no leading ops of {w.name} can run per {grid[0]}x{grid[1]} patch"
        )
    return best[2], summarize(w, best[2], deployment)
