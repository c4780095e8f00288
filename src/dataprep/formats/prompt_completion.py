"""``{"prompt", "completion"}``: TRL prompt-completion SFT, standard or conversational."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from dataprep.formats.base import (
    ChatMessage,
    Conversation,
    RecordFormat,
    put_contents,
    text_or_turns,
)

__all__ = [
    "FORMAT",
    "SftPromptCompletion",
    "SftPromptCompletionConversational",
    "read_completion",
    "restore_completion",
]


class SftPromptCompletion(BaseModel):
    """Standard prompt-completion: the loss covers only ``completion`` by default in TRL."""

    model_config = ConfigDict(extra="allow")

    prompt: str = Field(min_length=1)
    completion: str = Field(min_length=1)


class SftPromptCompletionConversational(BaseModel):
    """Conversational prompt-completion: ``prompt`` turns, then the assistant ``completion`` turns."""

    model_config = ConfigDict(extra="allow")

    prompt: list[ChatMessage] = Field(min_length=1)
    completion: list[ChatMessage] = Field(min_length=1)


def is_pair_row(row: Mapping[str, Any]) -> bool:
    """A row with ``chosen`` or ``rejected``: a preference pair, whatever else it holds."""
    return "chosen" in row or "rejected" in row


def _matches(row: Mapping[str, Any]) -> bool:
    return "completion" in row and "label" not in row and not is_pair_row(row)


def read_completion(record: dict[str, Any]) -> Conversation:
    """The prompt as the turns and the completion as the reply (strings or message lists)."""
    return Conversation(
        text_or_turns(record["prompt"], "prompt", "user"),
        text_or_turns(record["completion"], "completion", "assistant"),
    )


def restore_completion(record: dict[str, Any], conversation: Conversation) -> dict[str, Any]:
    put_contents(record, "prompt", conversation.messages)
    put_contents(record, "completion", conversation.chosen or [])
    return record


FORMAT = RecordFormat(
    name="prompt_completion",
    label="prompt-completion",
    matches=_matches,
    models={
        "sft_prompt_completion": SftPromptCompletion,
        "sft_prompt_completion_conversational": SftPromptCompletionConversational,
    },
    profiles=("sft",),
    keys=frozenset({"prompt", "completion"}),
    read=read_completion,
    restore=restore_completion,
)
