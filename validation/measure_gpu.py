"""Measure an NVIDIA GPU and write rows in the validation/measurements.csv format.

One script, standard library + PyTorch (+ torchvision, transformers when installed), random
weights, models built from their configs, nothing downloaded. About 6-8 minutes on one
H100/H200. What it measures:

* GEMM throughput over M = 1 .. 8192 (N = K = 8192) in fp16, bf16 and fp8 (where
  ``torch._scaled_mm`` runs), as ``latency_ms`` rows on the ``gemm-MxNxK`` shape;
* achieved HBM bandwidth (a large device-to-device copy), one ``hbm_bandwidth_gb_s`` note row;
* ResNet-50 and MobileNetV2 (torchvision, fp16, channels-last) at batch 1/8/64/256;
* BERT-base (transformers, fp16, sequence 384) at batch 1/8/64;
* a Llama-shaped decoder (transformers ``LlamaConfig`` of Llama-2-7B, fp16) prefill of 512
  tokens and decode (KV cache) at batch 1/8/32;

each timed with CUDA events (median of repeated runs after warm-up) while a thread samples
board power through NVML (``nvidia-smi`` is not needed; ``pynvml`` or the NVML shared library
through ctypes), so every timed run also gives an ``energy_uj`` row (power integrated over
the run, trapezoid rule). Every row carries the provenance "measured: GPU name, SM count,
driver, torch version, date".

Usage (on the GPU machine):

    python validation/measure_gpu.py --out validation/measured_h100.csv [--quick]

The row formatting below (``Row``, ``rows_csv``, ``integrate_energy_j``, ``gemm_flops``,
``provenance``) needs only the standard library and is tested on CPU
(tests/unit/validation/test_measure_gpu.py).
"""

from __future__ import annotations

import argparse
import csv
import ctypes
import io
import itertools
import os
import statistics
import sys
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

COLUMNS = (
    "id",
    "class",
    "workload",
    "hardware",
    "profile",
    "dtype",
    "batch",
    "prompt_len",
    "gen_len",
    "metric",
    "value",
    "params",
    "fit",
    "source",
    "quote",
    "conditions",
    "notes",
)
"""validation/measurements.csv columns (contract columns + the sourcing columns)."""

GEMM_M = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192)
GEMM_NK = 8192
CNN_BATCHES = (1, 8, 64, 256)
BERT_BATCHES = (1, 8, 64)
LLM_BATCHES = (1, 8, 32)
LLM_PROMPT = 512
LLM_DECODE_STEPS = 32


@dataclass(frozen=True)
class Row:
    """One measured figure, ready for the measurements CSV."""

    id: str
    workload: str
    hardware: str
    metric: str
    value: float
    dtype: str = ""
    batch: int | None = None
    prompt_len: int | None = None
    gen_len: int | None = None
    params: str = ""
    profile: str = "pytorch"
    row_class: str = "datacenter"
    conditions: str = ""
    notes: str = ""

    def cells(self, provenance_text: str) -> dict[str, str]:
        """The CSV cells of this row (value with 6 significant digits)."""
        if not (self.value > 0 and self.value == self.value and self.value != float("inf")):
            raise ValueError(f"row {self.id}: value must be a positive number, got {self.value!r}")
        return {
            "id": self.id,
            "class": self.row_class,
            "workload": self.workload,
            "hardware": self.hardware,
            "profile": self.profile,
            "dtype": self.dtype,
            "batch": "" if self.batch is None else str(self.batch),
            "prompt_len": "" if self.prompt_len is None else str(self.prompt_len),
            "gen_len": "" if self.gen_len is None else str(self.gen_len),
            "metric": self.metric,
            "value": f"{self.value:.6g}",
            "params": self.params,
            "fit": "",
            "source": provenance_text,
            "quote": f"{self.metric} = {self.value:.6g}",
            "conditions": self.conditions,
            "notes": self.notes,
        }


def provenance(gpu: str, sms: int, driver: str, torch_version: str, day: date) -> str:
    """``measured: NVIDIA H100 80GB HBM3, 132 SMs, driver 550.54, torch 2.3.0, 2026-12-06``."""
    return f"measured: {gpu}, {sms} SMs, driver {driver}, torch {torch_version}, {day.isoformat()}"


def rows_csv(rows: Iterable[Row], provenance_text: str, header: bool = True) -> str:
    """The rows as CSV text in the measurements format (ids must be unique)."""
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=COLUMNS, lineterminator="\n")
    if header:
        w.writeheader()
    seen: set[str] = set()
    for r in rows:
        if r.id in seen:
            raise ValueError(f"row id {r.id!r} appears twice")
        seen.add(r.id)
        w.writerow(r.cells(provenance_text))
    return buf.getvalue()


def integrate_energy_j(samples: Sequence[tuple[float, float]], t0: float, t1: float) -> float:
    """Energy in J over [t0, t1] from (time s, power W) samples, trapezoid rule.

    Power between samples is linear; before the first / after the last sample it is held.
    """
    if t1 <= t0:
        raise ValueError("t1 must be after t0")
    pts = sorted(samples)
    if not pts:
        raise ValueError("no power samples")

    def p_at(t: float) -> float:
        if t <= pts[0][0]:
            return pts[0][1]
        if t >= pts[-1][0]:
            return pts[-1][1]
        for (ta, pa), (tb, pb) in itertools.pairwise(pts):
            if ta <= t <= tb:
                return pa if tb == ta else pa + (pb - pa) * (t - ta) / (tb - ta)
        return pts[-1][1]

    knots = [t0] + [t for t, _ in pts if t0 < t < t1] + [t1]
    return sum((tb - ta) * (p_at(ta) + p_at(tb)) / 2 for ta, tb in itertools.pairwise(knots))


def gemm_flops(m: int, n: int, k: int) -> float:
    """FLOPs of an (m x k) @ (k x n) product: 2 m n k (1 MAC = 2 FLOPs)."""
    return 2.0 * m * n * k


def gemm_model_yaml(m: int, n: int, k: int, dtype: str) -> str:
    """An hwsim YAML model of one GEMM, so the rows can be simulated (validation/models/)."""
    return (
        "schema_version: 1\n"
        f"name: gemm-{m}x{n}x{k}\n"
        f"input: {{shape: [{m}, {k}], dtype: {dtype}}}\n"
        "layers:\n"
        f"  - {{op: linear, out_features: {n}, bias: false}}\n"
    )


# --- below: needs torch and a GPU --------------------------------------------------------


class PowerSampler:
    """Board power through NVML on a background thread: (time.perf_counter(), W) samples."""

    def __init__(self, index: int = 0, period_s: float = 0.01) -> None:
        self.samples: list[tuple[float, float]] = []
        self._period = period_s
        self._stop = threading.Event()
        self._read = self._nvml_reader(index)
        self._thread = threading.Thread(target=self._run, daemon=True)

    @staticmethod
    def _nvml_reader(index: int) -> Callable[[], float] | None:
        try:
            import pynvml  # type: ignore[import-not-found]

            pynvml.nvmlInit()
            h = pynvml.nvmlDeviceGetHandleByIndex(index)
            return lambda: pynvml.nvmlDeviceGetPowerUsage(h) / 1000.0
        except Exception:
            pass
        try:
            lib = ctypes.CDLL("libnvidia-ml.so.1")
            lib.nvmlInit_v2()
            handle = ctypes.c_void_p()
            lib.nvmlDeviceGetHandleByIndex_v2(index, ctypes.byref(handle))
            mw = ctypes.c_uint()

            def read() -> float:
                lib.nvmlDeviceGetPowerUsage(handle, ctypes.byref(mw))
                return mw.value / 1000.0

            read()
            return read
        except OSError:
            return None

    @property
    def available(self) -> bool:
        """True when NVML answered."""
        return self._read is not None

    def _run(self) -> None:
        while not self._stop.is_set() and self._read is not None:
            self.samples.append((time.perf_counter(), self._read()))
            time.sleep(self._period)

    def __enter__(self) -> PowerSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


@dataclass
class Timer:
    """Times a callable with CUDA events (median of ``reps`` after ``warmup``) under NVML."""

    torch: Any
    power: PowerSampler
    budget_s: float = 2.0
    results: list[tuple[float, float | None]] = field(default_factory=list)

    def __call__(
        self, fn: Callable[[], object], warmup: int = 3, reps: int = 20
    ) -> tuple[float, float | None]:
        """(median seconds per call, energy J per call or None without NVML)."""
        torch = self.torch
        for _ in range(warmup):
            fn()
        torch.cuda.synchronize()
        t_once = time.perf_counter()
        fn()
        torch.cuda.synchronize()
        once = max(time.perf_counter() - t_once, 1e-6)
        reps = max(3, min(reps, int(self.budget_s / once)))
        times = []
        t0 = time.perf_counter()
        for _ in range(reps):
            a, b = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            a.record()
            fn()
            b.record()
            b.synchronize()
            times.append(a.elapsed_time(b) / 1e3)
        t1 = time.perf_counter()
        energy = None
        if self.power.available and self.power.samples:
            energy = integrate_energy_j(self.power.samples, t0, t1) / reps
        return statistics.median(times), energy


def _measure(args: argparse.Namespace) -> tuple[list[Row], str]:  # pragma: no cover - GPU
    import torch

    assert torch.cuda.is_available(), "needs a CUDA GPU"
    dev = torch.device("cuda")
    props = torch.cuda.get_device_properties(0)
    gpu, sms = props.name, props.multi_processor_count
    driver = "unknown"
    try:
        import subprocess

        driver = (
            subprocess.run(
                ["nvidia-smi", "--query-gpu=driver_version", "--format=csv,noheader"],
                capture_output=True,
                text=True,
                check=False,
            ).stdout.strip()
            or driver
        )
    except OSError:
        pass
    prov = provenance(gpu, sms, driver, torch.__version__, date.today())
    chip = args.hardware
    rows: list[Row] = []
    cond = f"{gpu}, {sms} SMs, torch {torch.__version__}, CUDA events, median of repeats"
    torch.backends.cuda.matmul.allow_tf32 = False
    with PowerSampler() as power:
        timer = Timer(torch, power)

        def add(rid: str, workload: str, seconds: float, energy: float | None, **kw: Any) -> None:
            rows.append(
                Row(rid, workload, chip, "latency_ms", seconds * 1e3, conditions=cond, **kw)
            )
            if energy is not None:
                rows.append(
                    Row(
                        rid + "-E",
                        workload,
                        chip,
                        "energy_uj",
                        energy * 1e6,
                        conditions=cond + ", NVML board power integrated",
                        **kw,
                    )
                )

        # GEMM sweep
        n = k = GEMM_NK
        dtypes = [("fp16", torch.float16), ("bf16", torch.bfloat16)]
        for name, dt in dtypes:
            b = torch.randn(k, n, device=dev, dtype=dt)
            for m in GEMM_M if not args.quick else (1, 64, 4096):
                a = torch.randn(m, k, device=dev, dtype=dt)
                s, e = timer(lambda a=a, b=b: a @ b)
                add(
                    f"G-{name}-{m}",
                    f"models/gemm-{m}x{n}x{k}.yaml",
                    s,
                    e,
                    dtype=name,
                    batch=1,
                    notes=f"{gemm_flops(m, n, k) / s / 1e12:.1f} TFLOPS achieved",
                )
        if hasattr(torch, "float8_e4m3fn") and hasattr(torch, "_scaled_mm"):
            try:
                b8 = torch.randn(n, k, device=dev).to(torch.float8_e4m3fn).t()
                one = torch.tensor(1.0, device=dev)
                for m in GEMM_M if not args.quick else (16, 4096):
                    if m % 16:
                        continue  # fp8 GEMM needs multiples of 16
                    a8 = torch.randn(m, k, device=dev).to(torch.float8_e4m3fn)
                    s, e = timer(
                        lambda a8=a8: torch._scaled_mm(
                            a8, b8, scale_a=one, scale_b=one, out_dtype=torch.float16
                        )
                    )
                    add(
                        f"G-fp8-{m}",
                        f"models/gemm-{m}x{n}x{k}.yaml",
                        s,
                        e,
                        dtype="fp8",
                        batch=1,
                        notes=f"{gemm_flops(m, n, k) / s / 1e12:.1f} TFLOPS achieved",
                    )
            except (RuntimeError, TypeError) as exc:
                print(f"fp8 GEMM skipped: {exc}", file=sys.stderr)
        # HBM bandwidth: copy 4 GiB (read + write)
        x = torch.empty(2**30, device=dev, dtype=torch.float32)
        y = torch.empty_like(x)
        s, _ = timer(lambda x=x, y=y: y.copy_(x), reps=10)
        bw = 2 * x.numel() * 4 / s
        print(f"HBM copy bandwidth: {bw / 1e9:.0f} GB/s", file=sys.stderr)
        # CNNs
        try:
            import torchvision

            for wl, ctor in (
                ("resnet50", torchvision.models.resnet50),
                ("mobilenet_v2", torchvision.models.mobilenet_v2),
            ):
                model = ctor().eval().to(dev, torch.float16).to(memory_format=torch.channels_last)
                for bs in CNN_BATCHES:
                    inp = torch.randn(bs, 3, 224, 224, device=dev, dtype=torch.float16).to(
                        memory_format=torch.channels_last
                    )
                    with torch.inference_mode():
                        s, e = timer(lambda model=model, inp=inp: model(inp), reps=10)
                    add(
                        f"{wl}-b{bs}",
                        wl,
                        s,
                        e,
                        dtype="fp16",
                        batch=bs,
                        notes=f"HBM copy bandwidth {bw / 1e9:.0f} GB/s",
                    )
        except ImportError:
            print("torchvision missing: CNN rows skipped", file=sys.stderr)
        # Transformers
        try:
            import transformers

            cfg = transformers.BertConfig()
            bert = transformers.BertModel(cfg).eval().to(dev, torch.float16)
            for bs in BERT_BATCHES:
                ids = torch.randint(0, cfg.vocab_size, (bs, 384), device=dev)
                with torch.inference_mode():
                    s, e = timer(lambda ids=ids: bert(input_ids=ids), reps=10)
                add(f"bert-base-b{bs}", "bert-base", s, e, dtype="fp16", batch=bs)
            lcfg = transformers.LlamaConfig(
                hidden_size=4096,
                intermediate_size=11008,
                num_hidden_layers=32,
                num_attention_heads=32,
                num_key_value_heads=32,
                vocab_size=32000,
                max_position_embeddings=4096,
            )
            with torch.device(dev):
                llama = transformers.LlamaForCausalLM(lcfg).to(torch.float16).eval()
            for bs in LLM_BATCHES:
                ids = torch.randint(0, lcfg.vocab_size, (bs, LLM_PROMPT), device=dev)
                with torch.inference_mode():
                    s, e = timer(
                        lambda ids=ids: llama(input_ids=ids, use_cache=False), warmup=1, reps=3
                    )
                rows.append(
                    Row(
                        f"llama-prefill-b{bs}",
                        "llama-2-7b",
                        chip,
                        "ttft_ms",
                        s * 1e3,
                        dtype="fp16",
                        batch=bs,
                        prompt_len=LLM_PROMPT,
                        gen_len=1,
                        conditions=cond + ", prefill only, random weights",
                    )
                )
                if e is not None:
                    rows.append(
                        Row(
                            f"llama-prefill-b{bs}-E",
                            "llama-2-7b",
                            chip,
                            "energy_uj",
                            e * 1e6,
                            dtype="fp16",
                            batch=bs,
                            prompt_len=LLM_PROMPT,
                            gen_len=1,
                            conditions=cond + ", NVML",
                        )
                    )
                with torch.inference_mode():
                    out = llama(input_ids=ids, use_cache=True)
                    past = out.past_key_values
                    nxt = torch.randint(0, lcfg.vocab_size, (bs, 1), device=dev)

                    def step(nxt: Any = nxt, past: Any = past) -> None:
                        llama(input_ids=nxt, past_key_values=past, use_cache=True)

                    s, e = timer(step, warmup=2, reps=LLM_DECODE_STEPS)
                rows.append(
                    Row(
                        f"llama-decode-b{bs}",
                        "llama-2-7b",
                        chip,
                        "decode_tokens_per_s",
                        bs / s,
                        dtype="fp16",
                        batch=bs,
                        prompt_len=LLM_PROMPT,
                        gen_len=LLM_DECODE_STEPS + 1,
                        conditions=cond + ", one decode step at KV length 512, random weights",
                    )
                )
        except ImportError:
            print("transformers missing: BERT and Llama rows skipped", file=sys.stderr)
    if not power.available:
        print("NVML not available: no energy rows", file=sys.stderr)
    return rows, prov


def main(argv: list[str] | None = None) -> int:  # pragma: no cover - GPU
    """Run the measurements on the local GPU and write their rows; return the exit status."""
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--out", default="-", help="CSV path (default: stdout)")
    p.add_argument("--hardware", default="h100-sxm", help="hwsim chip name for the rows")
    p.add_argument("--quick", action="store_true", help="a few shapes only (smoke test)")
    args = p.parse_args(argv)
    rows, prov = _measure(args)
    text = rows_csv(rows, prov)
    if args.out == "-":
        sys.stdout.write(text)
    else:
        models = os.path.join(os.path.dirname(os.path.abspath(args.out)), "models")
        os.makedirs(models, exist_ok=True)
        for m in GEMM_M:
            path = os.path.join(models, f"gemm-{m}x{GEMM_NK}x{GEMM_NK}.yaml")
            with open(path, "w", encoding="utf-8") as f:
                f.write(gemm_model_yaml(m, GEMM_NK, GEMM_NK, "fp16"))
        tmp = args.out + ".tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, args.out)
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
