"""Built-in model-file frontends: ONNX, Hugging Face config.json, hwsim YAML.

Each module lowers its format through :class:`hwsim.workload.builder.GraphBuilder` and
registers a :class:`hwsim.workload.frontend.Frontend` when imported.
"""
