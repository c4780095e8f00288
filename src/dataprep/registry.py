"""The one place every stage is registered.

Recipe loading, ``dataprep stages``, docs and schema export read this registry. Stage
modules are imported lazily (the list below) so that ``dataprep --help`` stays instant and
heavy dependencies load only inside a stage's ``setup()``.
"""

from __future__ import annotations

import importlib

from dataprep.errors import UnknownNameError
from dataprep.stage import Stage

__all__ = ["get_stage", "register", "stage_classes", "stage_names"]

#: Modules that define stages. Importing them must stay cheap (no torch, presidio, whisper).
STAGE_MODULES: tuple[str, ...] = (
    "dataprep.bootstrap.stage",
    "dataprep.chat.stages",
    "dataprep.chat.write",
    "dataprep.clean.stages",
    "dataprep.voice.stages",
)

_REGISTRY: dict[str, type[Stage]] = {}
_loaded = False


def register(cls: type[Stage]) -> type[Stage]:
    """Class decorator adding a stage to the registry under its ``name``."""
    if not cls.name or cls.name != cls.name.lower() or " " in cls.name:
        raise ValueError(f"stage {cls.__qualname__} needs a snake_case name")
    existing = _REGISTRY.get(cls.name)
    if existing is not None and existing is not cls:
        raise ValueError(f"stage name {cls.name!r} registered twice")
    _REGISTRY[cls.name] = cls
    return cls


def _load() -> None:
    global _loaded
    if _loaded:
        return
    for module in STAGE_MODULES:
        importlib.import_module(module)
    _loaded = True


def stage_classes() -> dict[str, type[Stage]]:
    """All registered stages, by name."""
    _load()
    return dict(sorted(_REGISTRY.items()))


def stage_names() -> list[str]:
    return list(stage_classes())


def get_stage(name: str) -> type[Stage]:
    """The stage class called ``name``; an unknown name lists the valid ones."""
    stages = stage_classes()
    try:
        return stages[name]
    except KeyError:
        raise UnknownNameError("stage", name, list(stages)) from None
