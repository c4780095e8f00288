"""``{"prompt"}``: prompt-only rows for GRPO/RLOO (other columns go to the reward functions)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from dataprep.formats.base import ChatMessage, RecordFormat
from dataprep.formats.prompt_completion import is_pair_row

__all__ = ["FORMAT", "GrpoPrompt", "GrpoPromptConversational"]


class GrpoPrompt(BaseModel):
    """Prompt-only row for GRPO/RLOO; every extra column is passed to the reward functions."""

    model_config = ConfigDict(extra="allow")

    prompt: str = Field(min_length=1)


class GrpoPromptConversational(BaseModel):
    """Conversational prompt-only row for GRPO; the prompt should end with a user turn."""

    model_config = ConfigDict(extra="allow")

    prompt: list[ChatMessage] = Field(min_length=1)


def _matches(row: Mapping[str, Any]) -> bool:
    return "prompt" in row and "completion" not in row and not is_pair_row(row)


FORMAT = RecordFormat(
    name="prompt_only",
    label="prompt-only",
    matches=_matches,
    models={"grpo": GrpoPrompt, "grpo_conversational": GrpoPromptConversational},
    profiles=("grpo",),
    keys=frozenset({"prompt"}),
)
