"""``{"messages": [{"role", "content"}, ...]}``: TRL conversational language modeling and
OpenAI chat fine-tuning, the shape chat templates read directly."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from dataprep.formats.base import (
    ChatMessage,
    ChatRole,
    Conversation,
    RecordFormat,
    message_turns,
    put_contents,
)

if TYPE_CHECKING:
    import polars as pl

__all__ = ["FORMAT", "OpenAIChat", "OpenAIMessage", "SftMessages"]


class SftMessages(BaseModel):
    """Conversational language modeling: ``{"messages": [{"role", "content"}, ...]}``.

    TRL trains on the whole conversation (or only assistant turns with ``assistant_only_loss``).
    ``tools`` holds JSON-schema function specs, as a list or as a JSON string.
    """

    model_config = ConfigDict(extra="allow")

    messages: list[ChatMessage] = Field(min_length=1)
    tools: list[dict[str, Any]] | str | None = None
    chat_template_kwargs: dict[str, Any] | None = None


class OpenAIMessage(BaseModel):
    """A message of OpenAI chat fine-tuning; ``weight`` 0 excludes an assistant turn from the loss."""

    model_config = ConfigDict(extra="forbid")

    role: ChatRole
    content: str | list[dict[str, Any]] | None = None
    name: str | None = None
    tool_calls: list[dict[str, Any]] | None = None
    tool_call_id: str | None = None
    function_call: dict[str, Any] | None = None
    weight: Literal[0, 1] | None = None


class OpenAIChat(BaseModel):
    """OpenAI chat fine-tuning file row: ``messages`` plus optional ``tools``; no other keys."""

    model_config = ConfigDict(extra="forbid")

    messages: list[OpenAIMessage] = Field(min_length=1)
    tools: list[dict[str, Any]] | None = None
    parallel_tool_calls: bool | None = None
    functions: list[dict[str, Any]] | None = None


def _matches(row: Mapping[str, Any]) -> bool:
    return "messages" in row


def _read(record: dict[str, Any]) -> Conversation:
    return Conversation(message_turns(record["messages"], "messages"))


def _restore(record: dict[str, Any], conversation: Conversation) -> dict[str, Any]:
    put_contents(record, "messages", conversation.messages)
    return record


def _write(samples: pl.DataFrame) -> pl.DataFrame:
    import polars as pl

    return samples.select(pl.col("messages"))


FORMAT = RecordFormat(
    name="messages",
    label="conversational language modeling (messages)",
    matches=_matches,
    models={"sft_messages": SftMessages, "openai_chat": OpenAIChat},
    profiles=("sft",),
    keys=frozenset({"messages"}),
    read=_read,
    restore=_restore,
    write_samples=_write,
    output_names=("openai", "trl"),
)
