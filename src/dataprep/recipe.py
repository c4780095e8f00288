"""Recipes: pipelines as data (YAML), validated by pydantic before anything runs.

``Recipe.check`` parses every stage's parameters once (``Recipe.plan``) and checks that each
stage gets the table it consumes (``dataprep.tables``), so a misordered recipe fails in one
line naming both stages before any model loads. Command-line shortcuts address stages by
capability (``Recipe.configure``, ``Recipe.disable``), never by a built-in stage id.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, model_validator

from dataprep.errors import ConfigError, UnknownNameError
from dataprep.registry import get_stage
from dataprep.stage import Stage, StageParams
from dataprep.tables import TABLES, accepts

__all__ = [
    "PlannedStage",
    "Recipe",
    "StageSpec",
    "builtin_recipes",
    "load_recipe",
    "parse_override",
]


@dataclass(frozen=True)
class PlannedStage:
    """One step of a checked recipe: its key, its class and its parsed parameters."""

    key: str
    stage_class: type[Stage]
    params: StageParams
    enabled: bool

    def build(self) -> Stage:
        return self.stage_class(self.params)


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

    _plan: list[PlannedStage] | None = PrivateAttr(default=None)

    def spec(self, key: str) -> StageSpec:
        for spec in self.stages:
            if spec.key == key:
                return spec
        raise UnknownNameError("stage in this recipe", key, [s.key for s in self.stages])

    def has(self, key: str) -> bool:
        return any(spec.key == key for spec in self.stages)

    def _edited(self) -> Recipe:
        copy = self.model_copy(deep=True)
        copy._plan = None
        return copy

    def with_params(self, key: str, **params: Any) -> Recipe:
        """A copy with ``params`` merged into stage ``key`` (None values are ignored)."""
        updates = {k: v for k, v in params.items() if v is not None}
        if not updates:
            return self
        copy = self._edited()
        spec = copy.spec(key)
        spec.params = {**spec.params, **updates}
        return copy

    def with_enabled(self, key: str, enabled: bool) -> Recipe:
        copy = self._edited()
        copy.spec(key).enabled = enabled
        return copy

    def addressed(self, capability: str) -> list[str]:
        """Keys of the stages that offer ``capability`` (their name, or a declared capability)."""
        return [spec.key for spec in self.stages if get_stage(spec.stage).provides(capability)]

    def _addressed_or_fail(self, capability: str, option: str) -> list[str]:
        keys = self.addressed(capability)
        if not keys:
            raise ConfigError(
                f"{option}: recipe {self.name!r} has no {capability} stage",
                hint="Add one to the recipe (see `dataprep stages`) or leave the option out",
            )
        return keys

    def configure(self, capability: str, option: str, **params: Any) -> Recipe:
        """A copy with ``params`` set on every stage offering ``capability`` (None values ignored).

        ``option`` names the command-line option in the error when the recipe has no such stage.
        """
        updates = {k: v for k, v in params.items() if v is not None}
        if not updates:
            return self
        recipe = self
        for key in self._addressed_or_fail(capability, option):
            recipe = recipe.with_params(key, **updates)
        return recipe

    def disable(self, capability: str, option: str) -> Recipe:
        """A copy with every stage offering ``capability`` turned off (``--no-split`` and the like)."""
        recipe = self
        for key in self._addressed_or_fail(capability, option):
            recipe = recipe.with_enabled(key, False)
        return recipe

    def plan(self) -> list[PlannedStage]:
        """Every stage with its class and parsed parameters; parsed once per recipe."""
        if self._plan is None:
            plan = []
            for spec in self.stages:
                cls = get_stage(spec.stage)
                plan.append(
                    PlannedStage(spec.key, cls, cls.parse_params(spec.params), spec.enabled)
                )
            self._plan = plan
        return self._plan

    def check(self) -> list[PlannedStage]:
        """Validate names and parameters, and that every enabled stage gets the table it reads."""
        plan = self.plan()
        _check_tables(self.name, [step for step in plan if step.enabled])
        return plan


def _check_tables(recipe: str, steps: list[PlannedStage]) -> None:
    """One line naming both stages when a stage would not get the table it consumes."""
    table, previous = "none", None
    for step in steps:
        cls = step.stage_class
        needed = cls.consumes
        if not accepts(needed, table) and not (needed == "none" and previous is None):
            raise ConfigError(_order_problem(recipe, step, previous, table, steps))
        if cls.produces != "same":
            table = cls.produces
        previous = step


def _order_problem(
    recipe: str,
    step: PlannedStage,
    previous: PlannedStage | None,
    table: str,
    steps: list[PlannedStage],
) -> str:
    needed = step.stage_class.consumes
    if previous is None:
        return f"recipe {recipe!r}: {step.key} needs {TABLES.get(needed, needed)} but comes first; a recipe starts with a source stage"
    if needed == "none":
        return f"recipe {recipe!r}: {step.key} is a source stage but comes after {previous.key}; a recipe has one source, first"
    if table == "none":
        return f"recipe {recipe!r}: {step.key} comes after {previous.key}, which writes the outputs and passes nothing on"
    makers = [s.key for s in steps if accepts(needed, str(s.stage_class.produces))]
    where = f"; put it after {makers[0]}" if makers else ""
    return (
        f"recipe {recipe!r}: {step.key} needs {TABLES.get(needed, needed)} "
        f"but {previous.key} gives it {TABLES.get(table, table)}{where}"
    )


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
