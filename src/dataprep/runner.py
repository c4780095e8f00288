"""Run a recipe: build stages from the registry, chain their streams, count, report.

All output files go through ``ctx.outputs`` and are renamed into place only after every
stage finished; on any error they are discarded, so no half-written output remains.
"""

from __future__ import annotations

import platform
import sys
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
    try:
        # Every stage checks its inputs and paths before any stage loads a model.
        each_stage(built, "check", ctx)
        engine.setup(built, ctx)
        stream: Iterator[pl.DataFrame] = _empty()
        upstream: _Meter | None = None
        for key, stage in built:
            rows_in_meter = upstream
            upstream_rows = iter(rows_in_meter) if rows_in_meter else _empty()
            stream = engine.process(key, stage, upstream_rows, ctx)
            ctx.progress.task(f"stage:{key}", f"{key} (rows out)", total=None)
            meter = _Meter(key, stream, rows_in_meter, ctx)
            meters.append((key, stage, meter))
            upstream = meter
        if upstream is not None:
            for _ in upstream:
                pass
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
