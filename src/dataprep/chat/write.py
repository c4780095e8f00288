"""``write_conversations``: the sink that writes samples as trainer-ready JSONL.

The record shape comes from the format registry (``dataprep.formats``): ``--output-format``
names a family (``sharegpt``, ``openai``, ``trl``, ``alpaca``, ...) and the registry gives the
writer for SFT samples and for preference pairs (``openai`` writes pairs in OpenAI's DPO
shape, ``trl`` in TRL's explicit-prompt conversational shape).

Rows with a ``split`` column go to one file per split (see ``dataprep.io.SplitWriter``), or
to shards of each split when the run asks for them (``--engine ray``; ``dataprep.shards``).
Each file gets a ``.sources.jsonl`` sidecar tracing every line to its source file and lines.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Literal

import polars as pl
from pydantic import Field, field_validator

from dataprep.context import RunContext, file_label
from dataprep.errors import ConfigError
from dataprep.formats import output_format_names, output_writer
from dataprep.io import SPLITS, beside, split_parts
from dataprep.registry import register
from dataprep.shards import shard_listing, split_writer
from dataprep.stage import Stage, StageParams

__all__ = ["WriteConversations", "sidecar_path", "to_records_frame"]

#: ``ctx.shared`` key under which the split stage names the splits it assigns.
SPLIT_NAMES_KEY = "split_names"


class WriteConversationsParams(StageParams):
    output_format: str = Field(
        default="sharegpt",
        description="Record shape of the output JSONL: "
        + ", ".join(output_format_names())
        + " (dataprep.formats).",
    )
    trace: Literal["sidecar", "field", "none"] = Field(
        default="sidecar",
        description="Trace each sample to its source: a <name>.sources.jsonl sidecar, id/source fields in each record, or none.",
    )
    min_samples_warning: int = Field(
        default=50, ge=0, description="Warn when fewer samples than this are written."
    )

    @field_validator("output_format")
    @classmethod
    def _known_format(cls, value: str) -> str:
        names = output_format_names()
        if value not in names:
            raise ValueError(f"unknown output format {value!r} (valid: {', '.join(names)})")
        return value


#: The companion file tracing each output line to its source: ``train.sources.jsonl``.
SIDECAR_TAG = "sources.jsonl"


def private_traces(samples: pl.DataFrame) -> pl.DataFrame:
    """``source`` (``path:first-last``) and ``group`` (``path#n``) with the path as a label."""

    def relabel(separator: str) -> Callable[[str], str]:
        def apply(value: str) -> str:
            path, sep, tail = value.rpartition(separator)
            return f"{file_label(path)}{sep}{tail}" if sep else file_label(value)

        return apply

    return samples.with_columns(
        pl.col("source").map_elements(relabel(":"), return_dtype=pl.Utf8),
        pl.col("group").map_elements(relabel("#"), return_dtype=pl.Utf8),
    )


def sidecar_path(path: Path) -> Path:
    return beside(path, SIDECAR_TAG)


def to_records_frame(samples: pl.DataFrame, output_format: str, trace_fields: bool) -> pl.DataFrame:
    """The output records as a frame whose columns are the JSON keys, in order."""
    preference = "chosen" in samples.columns and "rejected" in samples.columns
    records = output_writer(output_format, preference)(samples)
    if trace_fields:
        records = records.with_columns(samples["id"], samples["source"])
    return records


@register
class WriteConversations(Stage):
    """Writes samples (or preference pairs) as JSONL, one file per split."""

    name = "write_conversations"
    consumes = "samples"
    produces = "none"
    description = "Write samples as JSONL in a record format of dataprep.formats (ShareGPT, OpenAI messages, TRL, alpaca), one file per split, with a source-trace sidecar."
    kind = "sink"
    Params = WriteConversationsParams
    params: WriteConversationsParams

    def check(self, ctx: RunContext) -> None:
        if ctx.output is None:
            raise ConfigError("no output path given", hint="Pass --out FILE.jsonl")

    def process(self, batches: Iterator[pl.DataFrame], ctx: RunContext) -> Iterator[pl.DataFrame]:
        assert ctx.output is not None
        self._records = split_writer(ctx.outputs, ctx.output, ctx.shard_rows)
        sidecar = split_writer(ctx.outputs, ctx.output, ctx.shard_rows, tag=SIDECAR_TAG)
        # Every split file exists, even when nothing went to it: the split stage names its
        # splits when it runs; without it there is one file.
        self._splits = list(ctx.shared.get(SPLIT_NAMES_KEY, SPLITS[:1]))
        self._records.touch(*self._splits)
        if self.params.trace == "sidecar":
            sidecar.touch(*self._splits)
        trace_fields = self.params.trace == "field"
        for batch in batches:
            for split, samples in split_parts(batch):
                if ctx.shared.get("private_sources"):
                    samples = private_traces(samples)
                records = to_records_frame(samples, self.params.output_format, trace_fields)
                self._records.write_frame(split, records)
                if self.params.trace == "sidecar":
                    sidecar.write_frame(split, samples.select("id", "group", "source"))
        self._records.close()
        sidecar.close()
        yield from ()

    def finish(self, ctx: RunContext) -> None:
        written = self._records.counts
        total = sum(written.values())
        splits = [*self._splits, *sorted(set(written) - set(self._splits))]
        ctx.report[self.name] = {
            "samples": {split: written.get(split, 0) for split in splits},
            "format": self.params.output_format,
        }
        if ctx.shard_rows is not None:
            ctx.report[self.name]["shards"] = shard_listing(self._records)
        if total < self.params.min_samples_warning:
            ctx.warn(
                f"only {total} samples were written; fine-tuning usually needs at least "
                f"{self.params.min_samples_warning} (see the per-stage counts for where rows were dropped)"
            )
