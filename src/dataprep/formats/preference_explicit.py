"""``{"prompt", "chosen", "rejected"}``: TRL preference with an explicit prompt (DPO, reward, KTO).

``--output-format trl`` writes preference pairs in this shape (conversational).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field

from dataprep.formats.base import (
    ChatMessage,
    Conversation,
    NotAConversation,
    RecordFormat,
    put_contents,
    text_or_turns,
)
from dataprep.formats.prompt_completion import is_pair_row

if TYPE_CHECKING:
    import polars as pl

__all__ = ["FORMAT", "DpoExplicit", "DpoExplicitConversational", "read_pair", "restore_pair"]

Turns = list[ChatMessage]


class DpoExplicit(BaseModel):
    """Preference with an explicit prompt (what TRL recommends for DPO).

    ``margin`` (optional, numeric) is used by TRL's ``RewardTrainer`` in the loss.
    """

    model_config = ConfigDict(extra="allow")

    prompt: str = Field(min_length=1)
    chosen: str = Field(min_length=1)
    rejected: str = Field(min_length=1)
    margin: float | None = None


class DpoExplicitConversational(BaseModel):
    """Conversational preference with an explicit prompt: ``chosen``/``rejected`` hold only the answer turns."""

    model_config = ConfigDict(extra="allow")

    prompt: Turns = Field(min_length=1)
    chosen: Turns = Field(min_length=1)
    rejected: Turns = Field(min_length=1)
    margin: float | None = None


def _matches(row: Mapping[str, Any]) -> bool:
    return is_pair_row(row) and "prompt" in row


def read_pair(record: dict[str, Any]) -> Conversation:
    """A TRL pair (strings or message lists); without a prompt the turns are empty."""
    if "chosen" not in record or "rejected" not in record:
        raise NotAConversation("a preference row needs both chosen and rejected")
    prompt = record.get("prompt")
    return Conversation(
        text_or_turns(prompt, "prompt", "user") if prompt is not None else [],
        text_or_turns(record["chosen"], "chosen", "assistant"),
        text_or_turns(record["rejected"], "rejected", "assistant"),
    )


def restore_pair(record: dict[str, Any], conversation: Conversation) -> dict[str, Any]:
    if record.get("prompt") is not None:
        put_contents(record, "prompt", conversation.messages)
    put_contents(record, "chosen", conversation.chosen or [])
    put_contents(record, "rejected", conversation.rejected or [])
    return record


def _write_pairs(samples: pl.DataFrame) -> pl.DataFrame:
    import polars as pl

    return samples.select(pl.col("messages").alias("prompt"), pl.col("chosen"), pl.col("rejected"))


FORMAT = RecordFormat(
    name="preference_explicit",
    label="preference with explicit prompt (prompt/chosen/rejected)",
    matches=_matches,
    models={"dpo_explicit": DpoExplicit, "dpo_explicit_conversational": DpoExplicitConversational},
    profiles=("dpo", "reward", "kto"),
    keys=frozenset({"prompt", "chosen", "rejected"}),
    read=read_pair,
    restore=restore_pair,
    write_pairs=_write_pairs,
    output_names=("trl",),
)
