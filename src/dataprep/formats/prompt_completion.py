"""``{"prompt", "completion"}``: TRL prompt-completion SFT, standard or conversational."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from dataprep.formats.base import ChatMessage, RecordFormat

__all__ = ["FORMAT", "SftPromptCompletion", "SftPromptCompletionConversational"]


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
)
