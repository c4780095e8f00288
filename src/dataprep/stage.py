"""The stage contract: batches of rows in, batches of rows out.

A stage is a small class with a stable snake_case ``name``, a pydantic ``Params`` model that
rejects unknown keys, an optional ``setup()`` that loads models once, and one hook. Most
stages only implement ``map_batch``; stateful ones (dedupe, split) override ``process``.
Sources ignore their input and yield the first batches; sinks consume and yield nothing.

Batches never split the unit a stage reasons about. Sources cut their batches only between
those units (``read_chat`` cuts between conversations or at a silence longer than the
session gap); a stage that looks across batches (a conversation's speakers, session
numbers) carries what it needs from one batch to the next, so that a run's output does not
depend on the batch size and memory stays bounded on one huge input. A stage that needs a
whole unit which may still continue in the next batch (``sessionize``) holds its tail back.

Each stage declares the table it consumes and the one it produces (``dataprep.tables``), so
``Recipe.check`` refuses a misordered recipe before anything runs, and the capabilities it
offers, so command-line shortcuts (``--no-split``, ``--me``) find their stage in any recipe.
Before any stage's ``setup()`` loads a model, the runner calls every stage's ``check()``,
where inputs and paths are resolved and verified.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import polars as pl
from pydantic import BaseModel, ConfigDict, ValidationError

from dataprep.errors import ConfigError
from dataprep.tables import Table

if TYPE_CHECKING:
    from dataprep.context import RunContext

__all__ = ["FileSource", "Stage", "StageParams"]


class StageParams(BaseModel):
    """Base of every stage's parameters: unknown keys are an error, not a silent no-op."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def format_validation_error(
    stage: str, error: ValidationError, valid: list[str] | None = None
) -> str:
    """One line per problem: ``stage.field: message``; an unknown name lists ``valid``."""
    parts = []
    for item in error.errors():
        where = ".".join(str(p) for p in item["loc"]) or "(params)"
        message = item["msg"]
        if item["type"] == "extra_forbidden":
            message = "unknown parameter"
            if valid:
                message += f" (valid: {', '.join(valid)})"
        parts.append(f"{stage}.{where}: {message}")
    return "; ".join(parts)


class Stage:
    """Base class for pipeline stages."""

    #: Stable snake_case name used in recipes, reports and rejects.
    name: ClassVar[str] = ""
    #: One sentence shown by ``dataprep stages``.
    description: ClassVar[str] = ""
    #: "source" yields the first batches, "sink" writes outputs, "transform" does the rest.
    kind: ClassVar[Literal["source", "transform", "sink"]] = "transform"
    #: What one output row is, when more precise than the table produced (shown in the run
    #: summary; ``sessionize`` yields messages merged into turns).
    unit: ClassVar[str | None] = None
    #: Parameters model; subclasses replace it.
    Params: ClassVar[type[StageParams]] = StageParams
    #: The table this stage reads (``none`` for a source) and the one it yields (``same``:
    #: the table it was given; ``none`` for a sink). See ``dataprep.tables``.
    consumes: ClassVar[Table] = "any"
    produces: ClassVar[Table | Literal["same"]] = "same"
    #: What command-line shortcuts may address this stage by, besides its name (``split``,
    #: ``dedupe``, ``pii``, ``speakers``...).
    capabilities: ClassVar[frozenset[str]] = frozenset()

    def __init__(self, params: StageParams | dict[str, Any] | None = None) -> None:
        if not isinstance(params, StageParams):
            params = self.parse_params(params or {})
        self.params = params

    @classmethod
    def parse_params(cls, params: dict[str, Any]) -> StageParams:
        """Validate recipe parameters into the stage's ``Params``; errors name the stage."""
        try:
            return cls.Params(**params)
        except ValidationError as error:
            valid = list(cls.Params.model_fields)
            raise ConfigError(format_validation_error(cls.name, error, valid)) from None

    @classmethod
    def provides(cls, capability: str) -> bool:
        """Whether command-line shortcuts for ``capability`` address this stage."""
        return capability == cls.name or capability in cls.capabilities

    @classmethod
    def output_unit(cls) -> str:
        """What one row this stage passes on (or, for a sink, writes) is: ``samples``..."""
        if cls.unit:
            return cls.unit
        table = cls.consumes if cls.produces in ("same", "none") else cls.produces
        return "rows" if table in ("any", "none") else table

    def check(self, ctx: RunContext) -> None:
        """Resolve and verify inputs and paths, before any stage's ``setup()``; never load models here."""

    def setup(self, ctx: RunContext) -> None:
        """Load models or open resources once, before any batch."""

    def process(self, batches: Iterator[pl.DataFrame], ctx: RunContext) -> Iterator[pl.DataFrame]:
        """Turn a stream of batches into another; the default maps each batch."""
        for batch in batches:
            out = self.map_batch(batch, ctx)
            if out is not None and out.height:
                yield out

    def map_batch(self, batch: pl.DataFrame, ctx: RunContext) -> pl.DataFrame:
        """Transform one batch; rows not returned must have been passed to ``ctx.reject``."""
        raise NotImplementedError(f"stage {self.name} implements neither process nor map_batch")

    def finish(self, ctx: RunContext) -> None:
        """Called once after the stream is drained (sinks close files here)."""

    def keep_or_reject(
        self, batch: pl.DataFrame, keep: pl.Expr | pl.Series, reason: str, ctx: RunContext
    ) -> pl.DataFrame:
        """Return the rows where ``keep`` is true; the others become rejects with ``reason``."""
        mask = (
            batch.select(keep.fill_null(False).alias("_keep")).to_series()
            if isinstance(keep, pl.Expr)
            else keep.fill_null(False)
        )
        dropped = batch.filter(~mask)
        if dropped.height:
            ctx.reject(self.name, dropped, reason)
        return batch.filter(mask)


class FileSource(Stage):
    """A source that reads its inputs one file at a time, each file on its own.

    ``process`` is ``combine`` over the batches of ``read_file`` for every file of ``files``,
    in order. Because a file's batches depend on nothing but that file, an engine may read
    several files at once (``--engine ray``: one task per file, results taken in input
    order) and hand the same stream to ``combine``, which runs where the stage runs.
    ``read_file`` reports through its context (rejects, warnings) and may count on the
    instance (numbers, Counters), as ``map_batch`` does.
    """

    kind = "source"
    consumes = "none"

    def files(self, ctx: RunContext) -> list[Path]:
        """The files to read, in order (known after ``check``)."""
        raise NotImplementedError

    def read_file(self, path: Path, ctx: RunContext) -> Iterator[pl.DataFrame]:
        """The batches of one file."""
        raise NotImplementedError

    def combine(self, parts: Iterator[pl.DataFrame], ctx: RunContext) -> Iterator[pl.DataFrame]:
        """The work on the files' batches that looks across files (re-cutting, filters, the
        report); the default passes them on."""
        return parts

    def process(self, batches: Iterator[pl.DataFrame], ctx: RunContext) -> Iterator[pl.DataFrame]:
        parts = (batch for path in self.files(ctx) for batch in self.read_file(path, ctx))
        return self.combine(parts, ctx)
