"""``write_conversations``: the sink that writes samples as trainer-ready JSONL.

Formats:
- ``sharegpt``: ``{"conversations": [{"from": "system"|"human"|"gpt", "value": ...}]}``
  (LLaMA-Factory's ShareGPT; a leading ``system`` turn is read as the system prompt).
  Preference rows: ``conversations`` holds the prompt, ``chosen``/``rejected`` one ``gpt`` turn each.
- ``openai``: ``{"messages": [{"role", "content"}]}`` (OpenAI chat fine-tuning, TRL
  conversational). Preference rows use OpenAI's DPO shape (``input.messages``,
  ``preferred_output``, ``non_preferred_output``).
- ``trl``: like ``openai`` for SFT; preference rows as TRL's explicit-prompt conversational
  shape ``{"prompt": [...], "chosen": [...], "rejected": [...]}``.

Rows with a ``split`` column go to one file per split (see ``dataprep.io.split_output_paths``).
Each file gets a ``.sources.jsonl`` sidecar tracing every line to its source file and lines.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Literal

import polars as pl
from pydantic import Field

from dataprep.context import RunContext
from dataprep.errors import ConfigError
from dataprep.io import beside, split_output_paths
from dataprep.registry import register
from dataprep.stage import Stage, StageParams

__all__ = ["WriteConversations", "sidecar_path", "to_records_frame"]

_SHAREGPT_ROLES = {"system": "system", "user": "human", "assistant": "gpt"}
SPLIT_ORDER = ("train", "val", "test")
#: ``ctx.shared`` key under which the split stage names the splits it assigns.
SPLIT_NAMES_KEY = "split_names"


class WriteConversationsParams(StageParams):
    output_format: Literal["sharegpt", "openai", "trl"] = Field(
        default="sharegpt", description="Record shape of the output JSONL."
    )
    trace: Literal["sidecar", "field", "none"] = Field(
        default="sidecar",
        description="Trace each sample to its source: a <name>.sources.jsonl sidecar, id/source fields in each record, or none.",
    )
    min_samples_warning: int = Field(
        default=50, ge=0, description="Warn when fewer samples than this are written."
    )


def sidecar_path(path: Path) -> Path:
    return beside(path, "sources.jsonl")


def _sharegpt_turns(column: str) -> pl.Expr:
    return pl.col(column).list.eval(
        pl.struct(
            pl.element()
            .struct.field("role")
            .replace_strict(_SHAREGPT_ROLES, default="human")
            .alias("from"),
            pl.element().struct.field("content").alias("value"),
        )
    )


def to_records_frame(samples: pl.DataFrame, output_format: str, trace_fields: bool) -> pl.DataFrame:
    """The output records as a frame whose columns are the JSON keys, in order."""
    preference = "chosen" in samples.columns and "rejected" in samples.columns
    if output_format == "sharegpt":
        if preference:
            columns = [
                _sharegpt_turns("messages").alias("conversations"),
                _sharegpt_turns("chosen").list.first().alias("chosen"),
                _sharegpt_turns("rejected").list.first().alias("rejected"),
            ]
        else:
            columns = [_sharegpt_turns("messages").alias("conversations")]
    elif preference and output_format == "openai":
        columns = [
            pl.struct(pl.col("messages").alias("messages")).alias("input"),
            pl.col("chosen").alias("preferred_output"),
            pl.col("rejected").alias("non_preferred_output"),
        ]
    elif preference:
        columns = [pl.col("messages").alias("prompt"), pl.col("chosen"), pl.col("rejected")]
    else:
        columns = [pl.col("messages")]
    if trace_fields:
        columns += [pl.col("id"), pl.col("source")]
    return samples.select(columns)


@register
class WriteConversations(Stage):
    """Writes samples (or preference pairs) as JSONL, one file per split."""

    name = "write_conversations"
    description = "Write samples as ShareGPT, OpenAI-messages or TRL JSONL (one file per split) with a source-trace sidecar."
    kind = "sink"
    unit = "samples"
    Params = WriteConversationsParams
    params: WriteConversationsParams

    def setup(self, ctx: RunContext) -> None:
        if ctx.output is None:
            raise ConfigError("no output path given", hint="Pass --out FILE.jsonl")
        self._written: dict[str, int] = {}
        self._splits: list[str] = ["train"]

    def process(self, batches: Iterator[pl.DataFrame], ctx: RunContext) -> Iterator[pl.DataFrame]:
        assert ctx.output is not None
        paths = split_output_paths(ctx.output, SPLIT_ORDER)
        # Every split file exists, even when nothing went to it (the split stage names them
        # when it runs; without it there is one file).
        self._splits = list(ctx.shared.get(SPLIT_NAMES_KEY, ("train",)))
        for split in self._splits:
            self._create(
                paths.setdefault(split, split_output_paths(ctx.output, [split])[split]), ctx
            )
        for batch in batches:
            if "split" in batch.columns:
                for (split,), part in batch.group_by("split", maintain_order=True):
                    self._write(part, str(split), paths, ctx)
            else:
                self._write(batch, "train", paths, ctx)
        yield from ()

    def _create(self, target: Path, ctx: RunContext) -> None:
        ctx.outputs.open(target, "a").close()
        if self.params.trace == "sidecar":
            ctx.outputs.open(sidecar_path(target), "a").close()

    def _write(
        self, samples: pl.DataFrame, split: str, paths: dict[str, Path], ctx: RunContext
    ) -> None:
        if split not in paths:
            paths[split] = split_output_paths(paths["train"], [split])[split]
        target = paths[split]
        records = to_records_frame(samples, self.params.output_format, self.params.trace == "field")
        with ctx.outputs.open(target, "a") as handle:
            records.write_ndjson(handle)
        if self.params.trace == "sidecar":
            with ctx.outputs.open(sidecar_path(target), "a") as handle:
                samples.select("id", "group", "source").write_ndjson(handle)
        self._written[split] = self._written.get(split, 0) + samples.height

    def finish(self, ctx: RunContext) -> None:
        total = sum(self._written.values())
        splits = [*self._splits, *sorted(set(self._written) - set(self._splits))]
        ctx.report[self.name] = {
            "samples": {split: self._written.get(split, 0) for split in splits},
            "format": self.params.output_format,
        }
        if total < self.params.min_samples_warning:
            ctx.warn(
                f"only {total} samples were written; fine-tuning usually needs at least "
                f"{self.params.min_samples_warning} (see the per-stage counts for where rows were dropped)"
            )
