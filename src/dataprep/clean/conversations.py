"""Conversation JSONL in and out for ``dataprep clean``.

``read_conversations`` turns records of every readable format (ShareGPT, OpenAI messages,
TRL preference, OpenAI DPO, alpaca; see ``dataprep.formats``) into the samples table and
keeps each original record as JSON text.
``write_records`` writes every record back in its own format with only the turn contents
replaced (what ``scrub_pii`` changed), so fields we do not touch come out unchanged.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl
from pydantic import Field

from dataprep import safejson
from dataprep.errors import ConfigError, InputError
from dataprep.formats import Conversation, NotAConversation, detect_readable, get_format
from dataprep.io import SPLITS, read_jsonl, split_parts
from dataprep.registry import register
from dataprep.shards import shard_listing, split_writer
from dataprep.stage import FileSource, Stage, StageParams
from dataprep.tables import SAMPLE_SCHEMA, TURN

if TYPE_CHECKING:
    from dataprep.context import RunContext

__all__ = [
    "CONVERSATION_SCHEMA",
    "NotAConversation",
    "ReadConversations",
    "WriteRecords",
    "parse_record",
    "restore_record",
]

CONVERSATION_SCHEMA: dict[str, pl.DataType] = {
    **SAMPLE_SCHEMA,
    "chosen": pl.List(TURN),
    "rejected": pl.List(TURN),
    "format": pl.Utf8(),
    "record": pl.Utf8(),
}

Turns = list[dict[str, str]]


def parse_record(record: Any) -> tuple[str, Turns, Turns | None, Turns | None]:
    """``(format, messages, chosen, rejected)`` of one JSON record, or NotAConversation."""
    fmt = detect_readable(record)
    assert fmt.read is not None
    conversation = fmt.read(record)
    return fmt.name, conversation.messages, conversation.chosen, conversation.rejected


def restore_record(
    record: dict[str, Any], fmt: str, messages: Turns, chosen: Turns | None, rejected: Turns | None
) -> dict[str, Any]:
    """``record`` with the (possibly scrubbed) turn contents put back in place."""
    restore = get_format(fmt).restore
    assert restore is not None
    return restore(record, Conversation(messages, chosen, rejected))


def _text_or_none(value: Any) -> str | None:
    return None if value is None else str(value)


class ReadConversationsParams(StageParams):
    batch_size: int = Field(default=10_000, ge=1, description="Records per batch.")


@register
class ReadConversations(FileSource):
    """Reads conversation JSONL files line by line (memory stays flat on huge files), each
    file on its own (``--engine ray`` reads them in parallel)."""

    name = "read_conversations"
    produces = "records"
    description = "Read conversation JSONL of any readable record format (dataprep.formats) into samples, keeping each record."
    Params = ReadConversationsParams
    params: ReadConversationsParams

    def check(self, ctx: RunContext) -> None:
        if not ctx.inputs:
            raise ConfigError("read_conversations needs at least one input file")
        for path in ctx.inputs:
            if not Path(path).is_file():
                raise InputError("no such file", path=path)

    def files(self, ctx: RunContext) -> list[Path]:
        return [Path(path) for path in ctx.inputs]

    def read_file(self, path: Path, ctx: RunContext) -> Iterator[pl.DataFrame]:
        rows: list[dict[str, Any]] = []
        for row in self._rows(path, ctx):
            rows.append(row)
            if len(rows) >= self.params.batch_size:
                yield pl.DataFrame(rows, schema=CONVERSATION_SCHEMA)
                rows = []
        if rows:
            yield pl.DataFrame(rows, schema=CONVERSATION_SCHEMA)

    def _rows(self, path: Path, ctx: RunContext) -> Iterator[dict[str, Any]]:
        # Rejects name the file, not the path as typed (which can hold a user's home folder).
        where_file = ctx.path_label(path.name)
        for line in read_jsonl(path):
            number, record = line.number, line.value
            reason, detail = line.reason, line.detail
            if reason is None:
                try:
                    fmt, messages, chosen, rejected = parse_record(record)
                except NotAConversation as error:
                    reason, detail = "not_a_conversation", str(error)
            if reason is not None:
                where = pl.DataFrame({"source": [f"{where_file}:{number}"], "detail": [detail]})
                ctx.reject(self.name, where, reason)
                continue
            ctx.progress.advance(self.name)
            yield {
                "id": _text_or_none(record.get("id")) or f"{path.name}:{number}",
                "group": _text_or_none(
                    record.get("group") or record.get("conversation_id") or record.get("session_id")
                ),
                "messages": messages,
                "speakers": [str(s) for s in record.get("speakers") or [] if s],
                "source": f"{path}:{number}",
                "chosen": chosen,
                "rejected": rejected,
                "format": fmt,
                "record": line.text.strip(),
            }


@register
class WriteRecords(Stage):
    """Writes records back in their input format; one file (or shards) per split beside ``--out``."""

    name = "write_records"
    consumes = "records"
    produces = "none"
    kind = "sink"
    description = (
        "Write conversation records back in their own format (train/val/test files beside --out)."
    )

    def check(self, ctx: RunContext) -> None:
        if ctx.output is None:
            raise ConfigError("write_records needs --out")

    def process(self, batches: Iterator[pl.DataFrame], ctx: RunContext) -> Iterator[pl.DataFrame]:
        assert ctx.output is not None
        writer = split_writer(ctx.outputs, ctx.output, ctx.shard_rows)
        splits: tuple[str, ...] = SPLITS[:1]
        for batch in batches:
            if "split" in batch.columns and len(splits) == 1:
                splits = SPLITS
                writer.touch(*splits)
            for split, rows in split_parts(batch):
                writer.write_lines(split, map(_restored_line, rows.iter_rows(named=True)))
        writer.touch(*splits)
        writer.close()
        ctx.report[self.name] = {"records_written": {s: writer.counts.get(s, 0) for s in splits}}
        if ctx.shard_rows is not None:
            ctx.report[self.name]["shards"] = shard_listing(writer)
        yield from ()


def _restored_line(row: dict[str, Any]) -> str:
    """One record back in its own format, with the turn contents the stages changed."""
    record = restore_record(
        safejson.loads(row["record"]),  # a lone surrogate escape anywhere becomes U+FFFD
        row["format"],
        row["messages"],
        row.get("chosen"),
        row.get("rejected"),
    )
    return json.dumps(record, ensure_ascii=False)
