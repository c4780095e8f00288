"""Test-only stages that misbehave on Ray workers: crash once, fail, count their setups."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import polars as pl

from dataprep.clean.conversations import ReadConversations
from dataprep.context import RunContext
from dataprep.errors import InputError
from dataprep.stage import Stage, StageParams


class MarkerParams(StageParams):
    marker: str


class LineParams(StageParams):
    line: int


class CrashOnce(Stage):
    """Kills its worker process on the first batch it sees (once per marker file)."""

    name = "crash_once"
    consumes = "samples"
    Params = MarkerParams
    params: MarkerParams

    def map_batch(self, batch: pl.DataFrame, ctx: RunContext) -> pl.DataFrame:
        marker = Path(self.params.marker)
        if not marker.exists():
            marker.write_text(str(os.getpid()), encoding="utf-8")
            os._exit(1)
        return batch


class CrashOnceAfterSetup(CrashOnce):
    """The same in an actor: a stage with a ``setup`` runs in the actor pool."""

    name = "crash_once_after_setup"

    def setup(self, ctx: RunContext) -> None:
        self.ready = True


class CountSetups(Stage):
    """Appends its worker's pid to a file at each setup; counts the batches it maps."""

    name = "count_setups"
    consumes = "samples"
    Params = MarkerParams
    params: MarkerParams

    def __init__(self, params: object = None) -> None:
        super().__init__(params)
        self.batches_seen = 0

    def setup(self, ctx: RunContext) -> None:
        with open(self.params.marker, "a", encoding="utf-8") as handle:
            handle.write(f"{os.getpid()}\n")

    def map_batch(self, batch: pl.DataFrame, ctx: RunContext) -> pl.DataFrame:
        self.batches_seen += 1
        ctx.note(self.name, "batches")
        return batch

    def finish(self, ctx: RunContext) -> None:
        ctx.report[self.name] = {"batches_seen": self.batches_seen}


class FailOnWorker(Stage):
    """Raises a dataprep error on the worker, as a stage does on bad input."""

    name = "fail_on_worker"
    consumes = "samples"

    def map_batch(self, batch: pl.DataFrame, ctx: RunContext) -> pl.DataFrame:
        raise InputError("this batch cannot be read", path="somewhere.jsonl", line=3)


class RecordNodes(Stage):
    """Notes, per batch, the Ray node that mapped it (``node:<id>``) and, with a setup
    (actors), the node its actor lives on (``actor:<id>``)."""

    name = "record_nodes"
    consumes = "samples"

    def map_batch(self, batch: pl.DataFrame, ctx: RunContext) -> pl.DataFrame:
        import time

        import ray

        ctx.note(self.name, f"node:{ray.get_runtime_context().get_node_id()}")
        # Long enough that the next task is sent while this one holds its node's only CPU
        # (a task that ends at once leaves Ray no reason to use the other node).
        time.sleep(0.5)
        return batch


class RecordActorNodes(RecordNodes):
    name = "record_actor_nodes"

    def setup(self, ctx: RunContext) -> None:
        import ray

        self.node = ray.get_runtime_context().get_node_id()

    def map_batch(self, batch: pl.DataFrame, ctx: RunContext) -> pl.DataFrame:
        ctx.note(self.name, f"actor:{self.node}")
        return batch


class BreakOnWorker(Stage):
    """A bug: raises a plain Python error on the worker."""

    name = "break_on_worker"
    consumes = "samples"

    def map_batch(self, batch: pl.DataFrame, ctx: RunContext) -> pl.DataFrame:
        raise ZeroDivisionError("a bug in a stage")


class ReadConversationsWhere(ReadConversations):
    """The real ``read_conversations``, noting the process that read each file
    (``pid:<pid>``), so a test counts where the per-file tasks ran."""

    def read_file(self, path: Path, ctx: RunContext) -> Iterator[pl.DataFrame]:
        ctx.note(self.name, f"pid:{os.getpid()}")
        yield from super().read_file(path, ctx)


class FailAtLine(Stage):
    """Fails (a dataprep error) on the first batch holding a record from line ``line`` of
    its file on: placed just before the writer, earlier batches are written first."""

    name = "fail_at_line"
    consumes = "records"
    Params = LineParams
    params: LineParams

    def map_batch(self, batch: pl.DataFrame, ctx: RunContext) -> pl.DataFrame:
        lines = batch["source"].str.extract(r":(\d+)$").cast(pl.Int64)
        if (lines >= self.params.line).any():
            raise InputError("this record cannot be written", path="conversations.jsonl")
        return batch


class RewriteTexts(Stage):
    """Appends a word to every message of a sample, as PII scrubbing changes texts between
    dedupe and split: split must hash those samples again."""

    name = "rewrite_texts"
    consumes = "samples"

    def map_batch(self, batch: pl.DataFrame, ctx: RunContext) -> pl.DataFrame:
        return batch.with_columns(
            pl.col("messages").list.eval(
                pl.element().struct.with_fields(pl.field("content") + " (edited)")
            )
        )
