"""Engines: where a recipe's stages run. The runner asks its engine to set up, stream and
finish the stages; the stages themselves are the same classes whatever the engine.

``local`` (the default) runs every stage in this process over polars batches. ``ray``
(``dataprep.engines.ray_engine``, the ``[ray]`` extra) sends per-batch stages to Ray
workers and keeps the rest on the driver.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Protocol

from dataprep.errors import ConfigError, DataprepError, StageError, UnknownNameError

if TYPE_CHECKING:
    import polars as pl

    from dataprep.context import RunContext
    from dataprep.stage import Stage

__all__ = ["ENGINES", "Engine", "LocalEngine", "each_stage", "make_engine"]

ENGINES = ("local", "ray")


class Engine(Protocol):
    """What the runner needs from an engine: three hooks around the stages, and a close."""

    def setup(self, built: list[tuple[str, Stage]], ctx: RunContext) -> None: ...

    def process(
        self, key: str, stage: Stage, batches: Iterator[pl.DataFrame], ctx: RunContext
    ) -> Iterator[pl.DataFrame]: ...

    def finish(self, built: list[tuple[str, Stage]], ctx: RunContext) -> None: ...

    def close(self) -> None: ...


def each_stage(built: list[tuple[str, Stage]], hook: str, ctx: RunContext) -> None:
    """Call ``hook`` (check, setup, finish) on every stage; errors name the stage."""
    for key, stage in built:
        try:
            getattr(stage, hook)(ctx)
        except DataprepError as error:
            raise StageError(key, error) from error


class LocalEngine:
    """Every stage in this process, one stream of polars batches."""

    def setup(self, built: list[tuple[str, Stage]], ctx: RunContext) -> None:
        each_stage(built, "setup", ctx)

    def process(
        self, key: str, stage: Stage, batches: Iterator[pl.DataFrame], ctx: RunContext
    ) -> Iterator[pl.DataFrame]:
        return stage.process(batches, ctx)

    def finish(self, built: list[tuple[str, Stage]], ctx: RunContext) -> None:
        each_stage(built, "finish", ctx)

    def close(self) -> None:
        pass


def make_engine(
    name: str, *, ray_address: str | None = None, shard_rows: int | None = None
) -> Engine:
    """The engine ``--engine NAME`` asks for; ``ray`` needs the ``[ray]`` extra."""
    if name == "local":
        for given, option in ((ray_address, "--ray-address"), (shard_rows, "--shard-rows")):
            if given:
                raise ConfigError(
                    f"{option} needs --engine ray", hint=f"Add --engine ray or drop {option}"
                )
        return LocalEngine()
    if name == "ray":
        from dataprep.engines.ray_engine import RayEngine

        return RayEngine(address=ray_address, shard_rows=shard_rows)
    raise UnknownNameError("engine", name, ENGINES)
