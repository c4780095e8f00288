"""Synthetic training rows from a frontier model, safely and cheaply (``dataprep bootstrap``).

``run_bootstrap(config, seeds, out)`` asks any OpenAI-compatible endpoint for new SFT, DPO
or KTO rows in the style of the seeds (or for generic ``rejected`` replies to real SFT
conversations), with one retry policy, RPM/TPM limits, a content-addressed cache that makes
reruns and resumes free, a budget stop, near-duplicate and validator checks, and provenance.
Heavy imports (``openai``, ``datasketch``) happen only when a run starts.
"""

from __future__ import annotations

from dataprep.bootstrap.client import ChatModel, ChatReply, ChatRequest, RetryableError
from dataprep.bootstrap.run import (
    BootstrapConfig,
    BootstrapResult,
    estimate_bootstrap,
    run_bootstrap,
)

__all__ = [
    "BootstrapConfig",
    "BootstrapResult",
    "ChatModel",
    "ChatReply",
    "ChatRequest",
    "RetryableError",
    "estimate_bootstrap",
    "run_bootstrap",
]
