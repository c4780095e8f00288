"""OpenAI's preference fine-tuning rows: ``input.messages``, ``preferred_output``,
``non_preferred_output``. ``--output-format openai`` writes preference pairs in this shape."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from dataprep.formats.base import Conversation, RecordFormat, message_turns, put_contents

if TYPE_CHECKING:
    import polars as pl

__all__ = ["FORMAT"]


def _matches(row: Mapping[str, Any]) -> bool:
    return "input" in row and "preferred_output" in row


def _read(record: dict[str, Any]) -> Conversation:
    source = record["input"].get("messages") if isinstance(record["input"], dict) else None
    return Conversation(
        message_turns(source, "input.messages"),
        message_turns(record["preferred_output"], "preferred_output"),
        message_turns(record.get("non_preferred_output"), "non_preferred_output"),
    )


def _restore(record: dict[str, Any], conversation: Conversation) -> dict[str, Any]:
    put_contents(record["input"], "messages", conversation.messages)
    put_contents(record, "preferred_output", conversation.chosen or [])
    put_contents(record, "non_preferred_output", conversation.rejected or [])
    return record


def _write_pairs(samples: pl.DataFrame) -> pl.DataFrame:
    import polars as pl

    return samples.select(
        pl.struct(pl.col("messages").alias("messages")).alias("input"),
        pl.col("chosen").alias("preferred_output"),
        pl.col("rejected").alias("non_preferred_output"),
    )


FORMAT = RecordFormat(
    name="openai_dpo",
    label="OpenAI preference (input/preferred_output/non_preferred_output)",
    matches=_matches,
    keys=frozenset({"input", "preferred_output", "non_preferred_output"}),
    read=_read,
    restore=_restore,
    write_pairs=_write_pairs,
    output_names=("openai",),
)
