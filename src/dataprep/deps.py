"""Lazy imports of optional heavy dependencies.

``require("presidio_analyzer", extra="clean")`` imports and returns the module, or raises
``MissingDependencyError`` naming the pip line. Nothing heavy is imported at package import.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from dataprep.errors import MissingDependencyError

__all__ = ["require"]

# Import name -> distribution name, where they differ.
_DISTRIBUTIONS = {
    "presidio_analyzer": "presidio-analyzer",
    "faster_whisper": "faster-whisper",
    "silero_vad": "silero-vad",
    "soundfile": "soundfile",
    "datasketch": "datasketch",
    "openai": "openai",
    "torch": "torch",
    "av": "av",
}


def require(module: str, *, extra: str) -> ModuleType:
    """Import ``module`` or explain which extra installs it."""
    try:
        return importlib.import_module(module)
    except ImportError as error:
        top = module.split(".")[0]
        if error.name is not None and error.name.split(".")[0] != top:
            raise
        raise MissingDependencyError(_DISTRIBUTIONS.get(top, top), extra) from error
