"""``generate``: bootstrap as a source stage, so generated rows flow through a recipe.

``pipelines/bootstrap.yaml`` runs ``generate -> scrub_pii -> split -> write_records``: the
rows come out as records (each keeps its own format, read through ``dataprep.formats``), so
the same PII and split stages as ``dataprep clean`` apply, and ``write_records`` writes
every row back in the seeds' shape. The provenance sidecar (one line per generated row, in
generation order) and the request cache work as in ``dataprep bootstrap``.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from dataprep.bootstrap.run import (
    BootstrapConfig,
    api_key_from_env,
    build_engine,
    generation_summary,
    run_engine,
    sidecar_paths,
)
from dataprep.clean.conversations import CONVERSATION_SCHEMA, parse_record
from dataprep.errors import ConfigError, InputError
from dataprep.registry import register
from dataprep.stage import Stage, StageParams

if TYPE_CHECKING:
    from dataprep.bootstrap.client import ChatModel
    from dataprep.context import RunContext

__all__ = ["GenerateParams", "GenerateStage", "records_frame"]


class GenerateParams(BootstrapConfig, StageParams):
    """The options of ``dataprep bootstrap``, as stage parameters."""


def records_frame(rows: list[dict[str, Any]], model: str) -> pl.DataFrame:
    """Generated rows as the records table (each row read by its format in the registry)."""
    records = []
    for number, row in enumerate(rows, start=1):
        fmt, messages, chosen, rejected = parse_record(row)
        records.append(
            {
                "id": f"generated:{number}",
                "group": f"generated:{number}",
                "messages": messages,
                "speakers": [],
                "source": f"{model}:{number}",
                "chosen": chosen,
                "rejected": rejected,
                "format": fmt,
                "record": json.dumps(row, ensure_ascii=False),
            }
        )
    return pl.DataFrame(records, schema=CONVERSATION_SCHEMA)


@register
class GenerateStage(Stage):
    """Generates rows like the seed file (the run's input) from an OpenAI-compatible endpoint."""

    name = "generate"
    kind = "source"
    consumes = "none"
    produces = "records"
    description = "Generate synthetic SFT/DPO/KTO rows in the style of the seed file (dataprep bootstrap as a stage)."
    Params = GenerateParams
    params: GenerateParams

    def __init__(self, params: Any = None, *, model: ChatModel | None = None) -> None:
        super().__init__(params)
        self.model = model
        #: The generated rows, in the seeds' format, once process() ran.
        self.rows: list[dict[str, Any]] = []

    def check(self, ctx: RunContext) -> None:
        if len(ctx.inputs) != 1:
            raise ConfigError("generate reads exactly one seed file")
        if not Path(ctx.inputs[0]).is_file():
            raise InputError("no such seed file", path=ctx.inputs[0])
        if self.params.task != "dpo-from-sft" and self.params.n is None:
            raise ConfigError(f"generate: task {self.params.task} needs n, the rows to generate")
        if self.model is None:
            api_key_from_env(self.params)

    def process(self, batches: Iterator[pl.DataFrame], ctx: RunContext) -> Iterator[pl.DataFrame]:
        engine, target = build_engine(
            self.params, Path(ctx.inputs[0]), ctx, self.model, stage=self.name
        )
        asyncio.run(run_engine(engine))
        if ctx.output is not None:
            provenance, _ = sidecar_paths(ctx.output)
            with ctx.outputs.open(provenance) as handle:
                for record in engine.provenance:
                    handle.write(json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n")
        ctx.report[self.name] = generation_summary(self.params, engine, ctx, target)
        self.rows = engine.rows
        if engine.rows:
            yield records_frame(engine.rows, self.params.model)
