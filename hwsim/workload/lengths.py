"""Default token counts of Transformer workloads, for built-in models and config files alike.

Kept apart from :mod:`hwsim.workload.frontends.hf_config` so that registering the built-in
Transformers does not import the frontend (pydantic config schemas, numpy) until one is built.
"""

from __future__ import annotations

ENCODER_SEQ_LEN = 128
"""Default sequence length of BERT-family encoders (tokens)."""
DECODER_PROMPT_LEN = 512
"""Default prompt length of decoders (tokens)."""
DECODER_GEN_LEN = 128
"""Default number of generated tokens of decoders."""
