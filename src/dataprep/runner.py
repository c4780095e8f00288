"""Run a recipe: build stages from the registry, chain their streams, count, report.

All output files go through ``ctx.outputs`` and are renamed into place only after every
stage finished; on any error they are discarded, so no half-written output remains.
"""

from __future__ import annotations

import os
import platform
import queue
import sys
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any

import polars as pl

from dataprep.context import RunContext
from dataprep.engines import Engine, LocalEngine, each_stage
from dataprep.errors import DataprepError, StageError
from dataprep.outputs import signals_held
from dataprep.recipe import Recipe
from dataprep.stage import Stage

__all__ = ["RunResult", "build_stages", "run_recipe"]

# Distributions whose versions go into the report when they were used by the run.
_REPORTED = {
    "polars": "polars",
    "pydantic": "pydantic",
    "datasketch": "datasketch",
    "presidio_analyzer": "presidio-analyzer",
    "spacy": "spacy",
    "torch": "torch",
    "silero_vad": "silero-vad",
    "faster_whisper": "faster-whisper",
    "ctranslate2": "ctranslate2",
    "soundfile": "soundfile",
    "openai": "openai",
}


def _version(distribution: str) -> str | None:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return None


def versions() -> dict[str, str | None]:
    found = {"python": platform.python_version(), "dataprep": _version("finetune-dataprep")}
    for module, distribution in _REPORTED.items():
        if module in sys.modules:
            found[distribution] = _version(distribution)
    return found


class _Cancelled(BaseException):
    """Raised inside a stage's thread when the run stops (an error elsewhere, Ctrl-C), so the
    stage unwinds through its own ``finally`` and ``with`` blocks."""


class _Pipe:
    """One stage's output stream, run on its own thread and handed on through a small queue.

    With every stage on its own thread, a stage works on one batch while the next stage
    works on the one before it, so a chain of stages uses both cores wherever the work runs
    in polars or the compiled MinHash kernel (both release the GIL). Order, and so every
    output byte, is the same as in one thread: each stage still sees its batches in order.
    """

    #: Batches that may wait between two stages: one, so that memory grows by at most a
    #: batch or two per stage while the producer already works on the next.
    DEPTH = 1
    _END = object()

    def __init__(self, meter: _Meter, stop: threading.Event) -> None:
        self.meter = meter
        self.stop = stop
        self.queue: queue.Queue[Any] = queue.Queue(self.DEPTH)
        self.waited = 0.0  # seconds the downstream stage spent waiting for these batches
        self.thread = threading.Thread(
            target=self._run, name=f"dataprep-stage-{meter.key}", daemon=True
        )

    def _run(self) -> None:
        try:
            for batch in self.meter:
                if not self._put(batch):
                    return
            self._put(self._END)
        except _Cancelled:
            return
        except BaseException as error:
            self._put(error)
        finally:
            close = getattr(self.meter.stream, "close", None)
            if close is not None:
                close()

    def _put(self, item: Any) -> bool:
        while not self.stop.is_set():
            try:
                self.queue.put(item, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def __iter__(self) -> Iterator[pl.DataFrame]:
        while True:
            start = time.perf_counter()
            while True:
                if self.stop.is_set():
                    raise _Cancelled
                try:
                    item = self.queue.get(timeout=0.05)
                    break
                except queue.Empty:
                    continue
            self.waited += time.perf_counter() - start
            if item is self._END:
                return
            if isinstance(item, BaseException):
                raise item
            yield item


class _Meter:
    """Wraps a stage's output stream; measures rows and the time spent inside it."""

    def __init__(
        self, key: str, stream: Iterator[pl.DataFrame], upstream: _Meter | None, ctx: RunContext
    ):
        self.key = key
        self.stream = stream
        self.upstream = upstream
        self.ctx = ctx
        self.total_seconds = 0.0
        #: Set when the stage runs on its own thread: the pipe it reads its batches from.
        self.source: _Pipe | None = None

    def __iter__(self) -> Iterator[pl.DataFrame]:
        counts = self.ctx.counts[self.key]
        while True:
            start = time.perf_counter()
            try:
                batch = next(self.stream)
            except StopIteration:
                self.total_seconds += time.perf_counter() - start
                return
            except DataprepError as error:
                if isinstance(error, StageError):
                    raise
                raise StageError(self.key, error) from error
            self.total_seconds += time.perf_counter() - start
            counts.rows_out += batch.height
            counts.batches += 1
            self.ctx.progress.advance(f"stage:{self.key}", batch.height)
            yield batch

    @property
    def own_seconds(self) -> float:
        """Seconds the stage spent on its batches, waiting for its input excluded."""
        if self.source is not None:
            return max(0.0, self.total_seconds - self.source.waited)
        upstream = self.upstream.total_seconds if self.upstream else 0.0
        return max(0.0, self.total_seconds - upstream)


class RunResult:
    """What a finished run produced: the report dict and the files written."""

    def __init__(self, report: dict[str, Any], outputs: list[Path], ctx: RunContext) -> None:
        self.report = report
        self.outputs = outputs
        self.ctx = ctx

    def rejected(self, stage: str | None = None) -> int:
        stages = self.report["stages"]
        keys = [stage] if stage else list(stages)
        return sum(stages[k]["rejected_total"] for k in keys)


def build_stages(recipe: Recipe) -> list[tuple[str, Stage]]:
    """Instantiate the enabled stages of ``recipe`` from its parameters, parsed once."""
    return [(step.key, step.build()) for step in recipe.plan() if step.enabled]


def pipeline_threads() -> bool:
    """Whether stages run on threads of their own (``DATAPREP_THREADS=0`` turns it off)."""
    return os.environ.get("DATAPREP_THREADS", "1").strip().lower() not in {"0", "false", "no"}


def _join(pipes: list[_Pipe], stop: threading.Event, *, cancel: bool = False) -> None:
    """Wait for the stages' threads; with ``cancel``, tell them to stop first."""
    if cancel:
        stop.set()
    for pipe in pipes:
        if pipe.thread.ident is not None:
            pipe.thread.join()


def _prepare_page(ctx: RunContext) -> None:
    """A text run that ends with an HTML page loads the page's language model on a thread
    of its own while the stages work."""
    if ctx.html_report and ctx.output is not None and ctx.output.suffix == ".jsonl":
        from dataprep.report.textpage import load_language_model

        threading.Thread(target=load_language_model, name="dataprep-page", daemon=True).start()


def _empty() -> Iterator[pl.DataFrame]:
    return iter(())


def run_recipe(
    recipe: Recipe,
    ctx: RunContext,
    *,
    report_path: Path | None = None,
    stages: list[tuple[str, Stage]] | None = None,
    engine: Engine | None = None,
) -> RunResult:
    """Run ``recipe`` in ``ctx`` and commit outputs atomically; returns the report.

    The recipe is checked (names, parameters, table order) unless ``stages`` gives the
    stage instances to run, as tests do to put a frame source or a collector around stages.
    ``engine`` says where stages run (``dataprep.engines``; default: all in this process).
    """
    started = datetime.now(timezone.utc)
    clock = time.perf_counter()
    if stages is None:
        recipe.check()
    built = stages if stages is not None else build_stages(recipe)
    meters: list[tuple[str, Stage, _Meter]] = []
    engine = engine if engine is not None else LocalEngine()
    stop = threading.Event()
    pipes: list[_Pipe] = []
    try:
        # Every stage checks its inputs and paths before any stage loads a model.
        each_stage(built, "check", ctx)
        engine.setup(built, ctx)
        _prepare_page(ctx)
        # Stages on threads of their own under the local engine (another engine spreads
        # the work its own way).
        threaded = pipeline_threads() and len(built) > 1 and isinstance(engine, LocalEngine)
        stream: Iterator[pl.DataFrame] = _empty()
        upstream: _Meter | None = None
        source: _Pipe | None = None
        for key, stage in built:
            ctx.counts[key]  # created here, not from the stages' threads
            rows_in: Iterator[pl.DataFrame] = (
                iter(source) if source else iter(upstream) if upstream else _empty()
            )
            stream = engine.process(key, stage, rows_in, ctx)
            ctx.progress.task(f"stage:{key}", f"{key} (rows out)", total=None)
            meter = _Meter(key, stream, upstream, ctx)
            meter.source = source
            meters.append((key, stage, meter))
            upstream = meter
            if threaded and (key, stage) != built[-1]:
                source = _Pipe(meter, stop)
                pipes.append(source)
            else:
                source = None
        for pipe in pipes:
            pipe.thread.start()
        if upstream is not None:
            for _ in upstream:
                pass
        _join(pipes, stop)
        engine.finish(built, ctx)
        previous_out = 0
        for index, (key, _stage, meter) in enumerate(meters):
            counts = ctx.counts[key]
            counts.rows_in = previous_out if index else 0
            counts.seconds = meter.own_seconds
            previous_out = counts.rows_out
        report = build_report(
            recipe, ctx, started, time.perf_counter() - clock, [k for k, _ in built]
        )
        for key, stage in built:
            # What one row is, and whether rows leave the stage or are written by it.
            report["stages"][key].update(unit=stage.output_unit(), kind=stage.kind)
        written = ctx.commit(report, report_path)
    except BaseException:
        # Stop every stage's thread before the staged files go, so none writes after. A
        # second Ctrl-C or SIGTERM (another thread may meet the same fault) waits until then.
        with signals_held():
            _join(pipes, stop, cancel=True)
            ctx.abort()
        raise
    finally:
        engine.close()
        ctx.progress.close()
    report["outputs"] = [str(p) for p in written]
    return RunResult(report, written, ctx)


def resolved_recipe(recipe: Recipe) -> dict[str, Any]:
    """The recipe with every stage's parameters filled in with their defaults."""
    data = recipe.model_dump(mode="json")
    for spec, step in zip(data["stages"], recipe.plan(), strict=True):
        spec["params"] = step.params.model_dump(mode="json")
    return data


def build_report(
    recipe: Recipe, ctx: RunContext, started: datetime, seconds: float, keys: list[str]
) -> dict[str, Any]:
    """The run report: resolved recipe, versions, seed, per-stage counts and timings."""
    stages = {key: ctx.counts[key].to_dict() for key in keys}
    rejects: dict[str, int] = {}
    for key in keys:
        for reason, n in ctx.counts[key].rejected.items():
            rejects[f"{key}.{reason}"] = rejects.get(f"{key}.{reason}", 0) + n
    return {
        "recipe": resolved_recipe(recipe),
        "seed": ctx.seed,
        "versions": versions(),
        "started": started.isoformat(timespec="seconds"),
        "seconds": round(seconds, 3),
        "inputs": [ctx.path_label(p) for p in ctx.inputs],
        "output": str(ctx.output) if ctx.output else None,
        "stages": stages,
        "rejects_by_reason": dict(sorted(rejects.items())),
        "rejects_total": sum(rejects.values()),
        "warnings": list(ctx.warnings),
        **({"details": ctx.report} if ctx.report else {}),
    }
