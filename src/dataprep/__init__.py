"""dataprep: turn raw material into training data a fine-tuning run can trust."""

from __future__ import annotations

from dataprep.context import RunContext
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
from dataprep.recipe import Recipe, StageSpec, load_recipe
from dataprep.runner import RunResult, run_recipe
from dataprep.stage import Stage, StageParams

__version__ = "0.1.0"

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
