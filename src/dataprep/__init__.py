"""dataprep: turn raw material into training data a fine-tuning run can trust.

Public names are loaded on first use, so ``import dataprep`` (and ``dataprep --help``)
does not import polars or pydantic.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from dataprep.errors import (
    ConfigError,
    DataprepError,
    EndpointError,
    InputError,
    MissingDependencyError,
    ModelLoadError,
    OutputError,
    RecordError,
    StageError,
    UnknownNameError,
)

if TYPE_CHECKING:
    from dataprep.context import RunContext
    from dataprep.recipe import Recipe, StageSpec, load_recipe
    from dataprep.runner import RunResult, run_recipe
    from dataprep.stage import Stage, StageParams

__version__ = "0.1.0"

_LAZY = {
    "RunContext": "dataprep.context",
    "Recipe": "dataprep.recipe",
    "StageSpec": "dataprep.recipe",
    "load_recipe": "dataprep.recipe",
    "RunResult": "dataprep.runner",
    "run_recipe": "dataprep.runner",
    "Stage": "dataprep.stage",
    "StageParams": "dataprep.stage",
}

__all__ = [
    "ConfigError",
    "DataprepError",
    "EndpointError",
    "InputError",
    "MissingDependencyError",
    "ModelLoadError",
    "OutputError",
    "Recipe",
    "RecordError",
    "RunContext",
    "RunResult",
    "Stage",
    "StageError",
    "StageParams",
    "StageSpec",
    "UnknownNameError",
    "__version__",
    "load_recipe",
    "run_recipe",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'dataprep' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
