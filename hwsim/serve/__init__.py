"""Serving under load: requests arrive over time and a batching policy groups them.

``serve(workload, hardware, rate=...)`` returns a :class:`ServingResult` (latency
percentiles, throughput, energy per request, utilisation, queue length over time).
CNNs and encoders use dynamic batching; decoder LLMs continuous batching with a KV-cache
budget. See docs/serving.md.
"""

from hwsim.serve.api import serve, serve_rates
from hwsim.serve.requests import LengthDist, ServingError, load_trace
from hwsim.serve.result import ServingResult

__all__ = ["LengthDist", "ServingError", "ServingResult", "load_trace", "serve", "serve_rates"]
