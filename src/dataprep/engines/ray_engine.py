"""``--engine ray``: the same stages, with per-batch work on Ray workers.

What runs where:

- A stage that only maps batches (it keeps ``Stage.process``) runs on the workers, one Ray
  task per batch; a killed worker's task is retried (``max_retries``).
- If such a stage also has a ``setup`` (it loads a model: ``scrub_pii``; or an index:
  ``decontaminate``), it runs in a pool of actors, one per worker CPU, so that the model
  loads once per actor, not per batch; a killed actor restarts (setup again) and its
  pending batches are retried. Its ``finish`` runs in one actor, with the counters of every
  batch added up.
- A source that reads file by file (a ``FileSource``: ``read_chat``, ``read_conversations``)
  reads each file in a Ray task of its own; the files' batches come back in input order
  and the stage's ``combine`` (re-cutting, filters, its report) runs on the driver.
- Every other stage (other sources, writers, and the stages that look across batches: roles,
  sessions, dedupe, split) runs on the driver, over the stream of batches the workers
  send back, in input order. A driver-side stage with a ``carried_keys`` (``dedupe``) has
  that per-batch part done on the workers first: the MinHash signatures, which ``dedupe``
  and ``split`` then take as carried instead of hashing the texts on the driver. The
  near-duplicate search of ``dedupe`` and ``split`` (signatures still missing, band keys,
  candidate pairs, their checks) runs in Ray tasks too (``RunContext.near_duplicate_index``,
  see ``ray_dedupe``). Outputs are written on the driver through the run's output set, so a
  failed run leaves nothing behind.

Batches travel as Arrow tables (``to_arrow``/``from_arrow``); results are taken in the
order the batches were sent, so the output is the local engine's row for row. The writers
cut each split into shards of ``shard_rows`` rows (``train-00000-of-00003.jsonl``,
``dataprep.shards``), whose concatenation is the local engine's file.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from dataprep.deps import require
from dataprep.engines import each_stage
from dataprep.engines.ray_worker import (
    Events,
    WorkerSettings,
    add_counts,
    apply_stage,
    counts_of,
    finish_stage,
    read_source_file,
    setup_stage,
)
from dataprep.errors import DataprepError, StageError
from dataprep.shards import DEFAULT_SHARD_ROWS, refuse_shards_as_inputs
from dataprep.stage import FileSource, Stage

require("ray", extra="ray")
import ray  # noqa: E402  (after the check that names the extra)

from dataprep.engines.ray_dedupe import ray_index_factory  # noqa: E402  (imports ray)

if TYPE_CHECKING:
    import pyarrow as pa

    from dataprep.context import RunContext

__all__ = ["RayEngine", "RayRunError", "runs_on_workers"]

#: Retries of a batch whose worker died (a task's ``max_retries``, an actor's restarts).
MAX_RETRIES = 3
#: The fewest partitions of the band keys in the near-duplicate search (more with more
#: worker CPUs: two per CPU).
MIN_PARTITIONS = 8


class RayRunError(DataprepError):
    """Ray could not run a batch (its worker died more often than the retries allow)."""


def runs_on_workers(stage: Stage) -> bool:
    """Whether ``stage`` maps each batch on its own, so any worker can take any batch."""
    return stage.kind == "transform" and type(stage).process is Stage.process


def _loads_something(stage: Stage) -> bool:
    return type(stage).setup is not Stage.setup


class CarriedKeys(Stage):
    """A driver-side stage's ``carried_keys`` (``dedupe``: keys and MinHash signatures),
    computed on the workers batch by batch, so the driver hashes no text."""

    name = "carried_keys"

    def __init__(self, owner: Stage) -> None:
        super().__init__()
        self.owner = owner

    def map_batch(self, batch: pl.DataFrame, ctx: RunContext) -> pl.DataFrame:
        return self.owner.carried_keys(batch)  # type: ignore[attr-defined]


@ray.remote(max_retries=MAX_RETRIES)
def _map_batch(
    stage: Stage, table: pa.Table, settings: WorkerSettings, shared: dict[str, Any]
) -> tuple[pa.Table | None, Events]:
    return apply_stage(stage, table, settings, shared)


@ray.remote(max_retries=MAX_RETRIES)
def _read_file(
    stage: FileSource, path: Path, settings: WorkerSettings, shared: dict[str, Any]
) -> tuple[list[pa.Table], Events]:
    return read_source_file(stage, path, settings, shared)


@ray.remote(max_restarts=MAX_RETRIES, max_task_retries=MAX_RETRIES)
class _StageActor:
    """One worker's copy of a stage that loads something: set up once, then many batches."""

    def __init__(self, stage: Stage, settings: WorkerSettings) -> None:
        self.stage = stage
        self.settings = settings
        self.setup_events = setup_stage(stage, settings)
        self.baseline = counts_of(stage)

    def ready(self) -> Events:
        return self.setup_events

    def map_batch(self, table: pa.Table, shared: dict[str, Any]) -> tuple[pa.Table | None, Events]:
        return apply_stage(self.stage, table, self.settings, shared)

    def finish(self, grown: dict[str, Any]) -> Events:
        return finish_stage(self.stage, self.baseline, grown, self.settings)


class RayEngine:
    """Runs a recipe's per-batch stages on a Ray cluster (see the module docstring).

    ``address``: a running cluster (``ray start --head``, ``ray://...``); None starts a
    local instance, or uses the one this process is already connected to. The writers cut
    each split into shards of ``shard_rows`` rows (``dataprep.shards``).
    """

    def __init__(
        self,
        address: str | None = None,
        *,
        num_cpus: int | None = None,
        object_store_memory: int | None = None,
        workers: int | None = None,
        shard_rows: int | None = None,
    ) -> None:
        self.address = address
        self.shard_rows = shard_rows
        self.num_cpus = num_cpus
        self.object_store_memory = object_store_memory
        self.workers = workers
        self._started = False
        self._settings: WorkerSettings | None = None
        self._actors: dict[str, list[Any]] = {}
        self._stages: dict[str, Any] = {}
        self._grown: dict[str, dict[str, Any]] = {}
        self._sources: dict[str, Any] = {}

    def _connect(self) -> None:
        if ray.is_initialized():
            return
        options: dict[str, Any] = {
            "include_dashboard": False,
            "logging_level": logging.WARNING,
            "configure_logging": True,
        }
        if self.address:
            ray.init(address=self.address, **options)
        else:
            ray.init(
                num_cpus=self.num_cpus,
                object_store_memory=self.object_store_memory,
                **options,
            )
        self._started = True

    def _worker_slots(self) -> list[str]:
        """One node id per worker CPU of the cluster (``workers`` of them when set)."""
        slots = [
            node["NodeID"]
            for node in sorted(ray.nodes(), key=lambda node: node["NodeID"])
            if node["Alive"]
            for _ in range(int(node["Resources"].get("CPU", 0)))
        ]
        if not slots:
            raise RayRunError("the Ray cluster has no node with a CPU")
        count = self.workers or len(slots)
        return [slots[number % len(slots)] for number in range(count)]

    def _pool_size(self) -> int:
        return len(self._worker_slots())

    def setup(self, built: list[tuple[str, Stage]], ctx: RunContext) -> None:
        ctx.shard_rows = self.shard_rows or ctx.shard_rows or DEFAULT_SHARD_ROWS
        if ctx.output is not None:
            refuse_shards_as_inputs(ctx.inputs, ctx.output)
        self._connect()
        each_stage([(k, s) for k, s in built if not runs_on_workers(s)], "setup", ctx)
        self._settings = WorkerSettings.of(ctx)
        ctx.near_duplicate_index = ray_index_factory(
            max(2 * self._pool_size(), MIN_PARTITIONS),
            get=lambda refs: self._get(refs, "near-duplicate search"),
        )
        for key, stage in built:
            if isinstance(stage, FileSource):
                self._sources[key] = ray.put(stage)
            if not runs_on_workers(stage):
                if hasattr(stage, "carried_keys"):
                    self._grown[_carrier(key)] = {}
                    self._stages[_carrier(key)] = ray.put(CarriedKeys(stage))
                continue
            self._grown[key] = {}
            if _loads_something(stage):
                self._start_actors(key, stage, ctx)
            else:
                self._stages[key] = ray.put(stage)

    def _start_actors(self, key: str, stage: Stage, ctx: RunContext) -> None:
        from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

        # One actor per worker CPU, on that CPU's node. Not soft: a soft affinity let Ray put
        # both actors of a two-node test on the head (a restarted actor stays on its node).
        # No CPU is reserved for it: the pool size bounds the work, and the actors of
        # several stages live beside the tasks on a small machine.
        actors = [
            _StageActor.options(  # type: ignore[attr-defined]
                num_cpus=0,
                scheduling_strategy=NodeAffinitySchedulingStrategy(node, soft=False),
            ).remote(stage, self._settings)
            for node in self._worker_slots()
        ]
        self._actors[key] = actors
        ready = self._get([actor.ready.remote() for actor in actors], key)
        for events in ready:
            _raise_in(key, events)
        ready[0].apply(ctx)  # every actor reported the same setup; take it once

    def process(
        self, key: str, stage: Stage, batches: Iterator[pl.DataFrame], ctx: RunContext
    ) -> Iterator[pl.DataFrame]:
        if key in self._sources:
            assert isinstance(stage, FileSource)
            return stage.combine(self._read_files(key, stage, ctx), ctx)
        if key in self._grown:
            return self._stream(key, batches, ctx)
        if _carrier(key) in self._grown:
            batches = self._stream(_carrier(key), batches, ctx)
        return stage.process(batches, ctx)

    def _submit(self, key: str, number: int, batch: pl.DataFrame, ctx: RunContext) -> Any:
        table, shared = batch.to_arrow(), dict(ctx.shared)
        assert self._settings is not None
        actors = self._actors.get(key)
        if actors:
            return actors[number % len(actors)].map_batch.remote(table, shared)
        return _map_batch.remote(self._stages[key], table, self._settings, shared)

    def _stream(
        self, key: str, batches: Iterator[pl.DataFrame], ctx: RunContext
    ) -> Iterator[pl.DataFrame]:
        """Send batches out, a bounded number at a time; yield results in input order."""
        window = 2 * len(self._actors.get(key) or [None] * self._pool_size())
        pending: deque[Any] = deque()
        for number, batch in enumerate(batches):
            pending.append(self._submit(key, number, batch, ctx))
            if len(pending) >= window:
                yield from self._take(key, pending.popleft(), ctx)
        while pending:
            yield from self._take(key, pending.popleft(), ctx)

    def _read_files(self, key: str, stage: FileSource, ctx: RunContext) -> Iterator[pl.DataFrame]:
        """A per-file source's files, one Ray task each, a bounded number at a time; their
        batches in input order, what each task reported replayed here as it is taken."""
        assert self._settings is not None
        window = 2 * self._pool_size()
        pending: deque[Any] = deque()
        for path in stage.files(ctx):
            shared = dict(ctx.shared)
            pending.append(_read_file.remote(self._sources[key], path, self._settings, shared))
            if len(pending) >= window:
                yield from self._take_file(key, stage, pending.popleft(), ctx)
        while pending:
            yield from self._take_file(key, stage, pending.popleft(), ctx)

    def _take_file(
        self, key: str, stage: FileSource, ref: Any, ctx: RunContext
    ) -> Iterator[pl.DataFrame]:
        tables, events = self._get(ref, key)
        events.raise_error()
        events.apply(ctx)
        add_counts(stage, events.counts)
        for table in tables:
            yield _frame(table)

    def _take(self, key: str, ref: Any, ctx: RunContext) -> Iterator[pl.DataFrame]:
        table, events = self._get(ref, key)
        events.raise_error()
        events.apply(ctx)
        add_counts(self._grown[key], events.counts)
        if table is not None:
            yield _frame(table)

    def _get(self, refs: Any, key: str) -> Any:
        try:
            return ray.get(refs)
        except ray.exceptions.RayTaskError as error:
            # A bug in a stage (DataprepErrors come back in the events): raise it as the
            # local engine would, with Ray's remote traceback chained.
            cause = error.cause
            if isinstance(cause, Exception) and not isinstance(cause, ray.exceptions.RayError):
                raise cause from error
            raise RayRunError(f"{key}: {error}") from error
        except ray.exceptions.RayError as error:
            raise RayRunError(
                f"{key}: Ray could not run a batch ({type(error).__name__})"
            ) from error

    def finish(self, built: list[tuple[str, Stage]], ctx: RunContext) -> None:
        for key, stage in built:
            if key in self._actors:
                events = self._get(self._actors[key][0].finish.remote(self._grown[key]), key)
                _raise_in(key, events)
                events.apply(ctx)
                continue
            if key in self._grown:
                add_counts(stage, self._grown[key])
            each_stage([(key, stage)], "finish", ctx)

    def close(self) -> None:
        if not ray.is_initialized():
            return
        for actors in self._actors.values():
            for actor in actors:
                ray.kill(actor)
        self._actors.clear()
        if self._started:
            ray.shutdown()
            self._started = False


def _frame(table: pa.Table) -> pl.DataFrame:
    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    return frame


def _carrier(key: str) -> str:
    return f"{key}:carried_keys"


def _raise_in(key: str, events: Events) -> None:
    try:
        events.raise_error()
    except DataprepError as error:
        raise StageError(key, error) from error
