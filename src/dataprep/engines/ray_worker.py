"""What runs inside a Ray worker: one stage over one batch, with everything the stage told
its context (rejects, notes, report sections, warnings, shared values) recorded and sent
back, so that the driver replays it into the run's one context in input order.

A stage instance keeps its own counters (``scrub_pii`` counts findings per entity,
``decontaminate`` removals per eval file). Each batch sends back how much those counters
grew, never their totals, so a batch that Ray retries on a restarted worker is counted
once, and the driver adds the deltas up before the stage's ``finish``.
"""

from __future__ import annotations

import copy
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from dataprep.context import RunContext
from dataprep.errors import DataprepError

if TYPE_CHECKING:
    import pyarrow as pa

    from dataprep.stage import FileSource, Stage

__all__ = [
    "Events",
    "RecordingContext",
    "WorkerSettings",
    "add_counts",
    "apply_stage",
    "counts_of",
    "finish_stage",
    "read_source_file",
    "setup_stage",
]


@dataclass
class Events:
    """What a stage did to its context on a worker; ``apply`` replays it on the driver."""

    rejects: list[tuple[str, pl.DataFrame, str | None]] = field(default_factory=list)
    notes: dict[str, Counter[str]] = field(default_factory=dict)
    report: dict[str, dict[str, Any]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    shared: dict[str, Any] = field(default_factory=dict)
    #: How much the stage instance's counters grew (see ``counts_of``).
    counts: dict[str, Any] = field(default_factory=dict)
    #: A DataprepError raised by the stage, as (type, args, attributes): some subclasses
    #: take other arguments than their message, so they do not survive plain pickling.
    error: tuple[type[DataprepError], tuple[Any, ...], dict[str, Any]] | None = None

    def apply(self, ctx: RunContext) -> None:
        for stage, rows, reason in self.rejects:
            ctx.reject(stage, rows, reason)
        for stage, notes in self.notes.items():
            ctx.counts[stage].notes.update(notes)
        ctx.report.update(self.report)
        ctx.warnings.extend(self.warnings)
        ctx.shared.update(self.shared)

    def raise_error(self) -> None:
        if self.error is None:
            return
        kind, args, attributes = self.error
        error = kind.__new__(kind)
        error.args = args
        error.__dict__.update(attributes)
        raise error


class RecordingContext(RunContext):
    """A worker's context: rejected rows are kept to send back, never written here."""

    recorded: list[tuple[str, pl.DataFrame, str | None]]

    def reject(self, stage: str, rows: pl.DataFrame, reason: str | None = None) -> None:
        if rows.height:
            self.recorded.append((stage, rows.select(pl.exclude(r"^__.*$")), reason))

    def spool_dir(self) -> Path:
        """The system's temporary folder: a worker (maybe on another node) has no staging
        area of the run's output set, and what a stage spools there it removes itself."""
        return Path(tempfile.gettempdir())


@dataclass
class WorkerSettings:
    """The parts of the driver's context a stage may read on a worker."""

    inputs: list[Path]
    output: Path | None
    seed: int
    cache_dir: Path | None
    shared: dict[str, Any]

    @classmethod
    def of(cls, ctx: RunContext) -> WorkerSettings:
        return cls(ctx.inputs, ctx.output, ctx.seed, ctx.cache_dir, dict(ctx.shared))

    def context(self, shared: dict[str, Any] | None = None) -> RecordingContext:
        ctx = RecordingContext(
            inputs=list(self.inputs),
            output=self.output,
            seed=self.seed,
            cache_dir=self.cache_dir,
            shared=dict(self.shared if shared is None else shared),
        )
        ctx.recorded = []
        return ctx


def _events(ctx: RecordingContext, shared_before: dict[str, Any]) -> Events:
    return Events(
        rejects=ctx.recorded,
        notes={key: counts.notes for key, counts in ctx.counts.items() if counts.notes},
        report=ctx.report,
        warnings=ctx.warnings,
        shared={
            key: value
            for key, value in ctx.shared.items()
            if key not in shared_before or shared_before[key] != value
        },
    )


def _caught(error: DataprepError) -> tuple[type[DataprepError], tuple[Any, ...], dict[str, Any]]:
    return type(error), error.args, dict(vars(error))


def setup_stage(stage: Stage, settings: WorkerSettings) -> Events:
    """Run ``stage.setup`` on this worker (a model loads here, once per worker)."""
    ctx = settings.context()
    try:
        stage.setup(ctx)
    except DataprepError as error:
        return Events(error=_caught(error))
    return _events(ctx, settings.shared)


def apply_stage(
    stage: Stage, table: pa.Table, settings: WorkerSettings, shared: dict[str, Any]
) -> tuple[pa.Table | None, Events]:
    """``stage`` over one batch: the rows it passed on (Arrow) and what it reported."""
    ctx = settings.context(shared)
    before = counts_of(stage)
    batch = pl.from_arrow(table)
    assert isinstance(batch, pl.DataFrame)
    try:
        out = list(stage.process(iter([batch]), ctx))
    except DataprepError as error:
        return None, Events(error=_caught(error))
    events = _events(ctx, shared)
    events.counts = _grown_since(stage, before)
    if not out:
        return None, events
    return pl.concat(out, how="vertical_relaxed").to_arrow(), events


def read_source_file(
    stage: FileSource, path: Path, settings: WorkerSettings, shared: dict[str, Any]
) -> tuple[list[pa.Table], Events]:
    """Every batch of one file of a per-file source (Arrow), and what the stage reported."""
    ctx = settings.context(shared)
    before = counts_of(stage)
    try:
        tables = [batch.to_arrow() for batch in stage.read_file(path, ctx)]
    except DataprepError as error:
        return [], Events(error=_caught(error))
    events = _events(ctx, shared)
    events.counts = _grown_since(stage, before)
    return tables, events


def finish_stage(
    stage: Stage, baseline: dict[str, Any], grown: dict[str, Any], settings: WorkerSettings
) -> Events:
    """``stage.finish`` with its counters set to ``baseline`` plus every batch's growth."""
    for name, value in baseline.items():
        setattr(stage, name, copy.deepcopy(value))
    add_counts(stage, grown)
    ctx = settings.context()
    try:
        stage.finish(ctx)
    except DataprepError as error:
        return Events(error=_caught(error))
    return _events(ctx, settings.shared)


def _is_count(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int | float | Counter):
        return True
    return isinstance(value, dict) and all(_is_count(v) for v in value.values())


def counts_of(stage: Stage) -> dict[str, Any]:
    """A copy of the stage instance's counters: numbers, Counters, dicts of them."""
    return {name: copy.deepcopy(v) for name, v in vars(stage).items() if _is_count(v)}


def _grown_since(stage: Stage, before: dict[str, Any]) -> dict[str, Any]:
    """How much the stage instance's counters grew since ``before`` (``counts_of``)."""
    return {name: _minus(value, before.get(name)) for name, value in counts_of(stage).items()}


def _minus(after: Any, before: Any) -> Any:
    if isinstance(after, dict):
        before = before if isinstance(before, dict) else {}
        grown = {key: _minus(value, before.get(key)) for key, value in after.items()}
        return Counter(grown) if isinstance(after, Counter) else grown
    return after - (before or 0)


def _plus(total: Any, more: Any) -> Any:
    if total is None:
        return copy.deepcopy(more)
    if isinstance(more, dict):
        added = dict(total)
        for key, value in more.items():
            added[key] = _plus(total.get(key), value)
        return Counter(added) if isinstance(total, Counter) else added
    return total + more


def add_counts(target: Stage | dict[str, Any], grown: dict[str, Any]) -> None:
    """Add counter growth to a stage instance's attributes (or to a dict of totals)."""
    if isinstance(target, dict):
        for name, value in grown.items():
            target[name] = _plus(target.get(name), value)
        return
    for name, value in grown.items():
        setattr(target, name, _plus(getattr(target, name, None), value))
