"""Model-file frontends: ONNX, Hugging Face config.json, hwsim YAML. All lower through
:class:`hwsim.workload.builder.GraphBuilder`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hwsim.errors import WorkloadError


def load_file(path: Path, /, **params: Any) -> Any:
    """Load a model file by extension (.onnx, .json HF config, .yaml)."""
    if not path.is_file():
        raise WorkloadError(f"{path}: no such file")
    suffix = path.suffix.lower()
    if suffix == ".onnx":
        import inspect

        from hwsim.workload.frontends.onnx import load_onnx

        accepted = set(inspect.signature(load_onnx).parameters) - {"path"}
        unknown = sorted(set(params) - accepted)
        if unknown:
            raise WorkloadError(
                f"{path.name}: ONNX models take {', '.join(sorted(accepted))}; "
                f"not {', '.join(unknown)}"
            )
        return load_onnx(path, **params)
    if suffix == ".json":
        from hwsim.workload.frontends.hf_config import load_hf_config

        return load_hf_config(path, **params)
    from hwsim.workload.frontends.yaml_model import load_yaml_model

    return load_yaml_model(path, **params)
