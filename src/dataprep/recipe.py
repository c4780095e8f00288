"""Recipes: pipelines as data (YAML), validated by pydantic before anything runs."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from dataprep.errors import ConfigError, UnknownNameError
from dataprep.registry import get_stage

__all__ = ["Recipe", "StageSpec", "builtin_recipes", "load_recipe", "parse_override"]


class StageSpec(BaseModel):
    """One step of a recipe: which stage, with which parameters."""

    model_config = ConfigDict(extra="forbid")

    stage: str
    id: str | None = Field(
        default=None, description="Unique name in this recipe; defaults to the stage name."
    )
    enabled: bool = True
    params: dict[str, Any] = Field(default_factory=dict)

    @property
    def key(self) -> str:
        return self.id or self.stage


class Recipe(BaseModel):
    """A named list of stages plus the run seed."""

    model_config = ConfigDict(extra="forbid")

    name: str
    description: str = ""
    seed: int = 0
    stages: list[StageSpec]

    @model_validator(mode="after")
    def _unique_keys(self) -> Recipe:
        seen: set[str] = set()
        for spec in self.stages:
            if spec.key in seen:
                raise ValueError(f"stage id {spec.key!r} appears twice; give one an `id`")
            seen.add(spec.key)
        return self

    def spec(self, key: str) -> StageSpec:
        for spec in self.stages:
            if spec.key == key:
                return spec
        raise UnknownNameError("stage in this recipe", key, [s.key for s in self.stages])

    def has(self, key: str) -> bool:
        return any(spec.key == key for spec in self.stages)

    def with_params(self, key: str, **params: Any) -> Recipe:
        """A copy with ``params`` merged into stage ``key`` (None values are ignored)."""
        updates = {k: v for k, v in params.items() if v is not None}
        if not updates:
            return self
        copy = self.model_copy(deep=True)
        spec = copy.spec(key)
        spec.params = {**spec.params, **updates}
        return copy

    def with_enabled(self, key: str, enabled: bool) -> Recipe:
        copy = self.model_copy(deep=True)
        copy.spec(key).enabled = enabled
        return copy

    def check(self) -> None:
        """Validate every stage name and its parameters; errors name the stage."""
        for spec in self.stages:
            get_stage(spec.stage)(spec.params)


def builtin_recipes() -> dict[str, Path]:
    """Recipes shipped with the package (``pipelines/`` in the repository)."""
    folder = resources.files("dataprep") / "recipes"
    return {
        Path(entry.name).stem: Path(str(entry))
        for entry in folder.iterdir()
        if entry.name.endswith(".yaml")
    }


def load_recipe(name_or_path: str | Path) -> Recipe:
    """Load a built-in recipe by name or a user's YAML file by path."""
    path = Path(name_or_path)
    if not path.suffix:
        recipes = builtin_recipes()
        if str(name_or_path) not in recipes:
            raise UnknownNameError("recipe", str(name_or_path), list(recipes))
        path = recipes[str(name_or_path)]
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: recipe file not found") from None
    except yaml.YAMLError as error:
        raise ConfigError(f"{path}: not valid YAML ({error})") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: a recipe must be a mapping with `name` and `stages`")
    try:
        recipe = Recipe(**data)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in error.errors()
        )
        raise ConfigError(f"{path}: {problems}") from None
    recipe.check()
    return recipe


def parse_override(text: str) -> tuple[str, str, Any]:
    """Parse ``stage.param=value`` (value as a YAML scalar or list) from ``--set``."""
    if "=" not in text or "." not in text.split("=", 1)[0]:
        raise ConfigError(
            f"--set {text!r}: expected STAGE.PARAM=VALUE, e.g. sessionize.gap_minutes=30"
        )
    left, raw = text.split("=", 1)
    stage, param = left.split(".", 1)
    try:
        value = yaml.safe_load(raw) if raw else ""
    except yaml.YAMLError:
        value = raw
    return stage, param, value
