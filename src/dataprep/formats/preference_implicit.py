"""``{"chosen", "rejected"}``: TRL preference with an implicit prompt (the common prefix)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from dataprep.formats.base import ChatMessage, RecordFormat
from dataprep.formats.preference_explicit import read_pair, restore_pair
from dataprep.formats.prompt_completion import is_pair_row

__all__ = ["FORMAT", "DpoImplicit", "DpoImplicitConversational"]


class DpoImplicit(BaseModel):
    """Preference with an implicit prompt: the prompt is the common prefix of ``chosen`` and ``rejected``.

    TRL's ``extract_prompt`` splits the two strings at their longest common prefix, so an
    empty prefix gives an empty prompt. ``RewardTrainer`` prefers this shape.
    """

    model_config = ConfigDict(extra="allow")

    chosen: str = Field(min_length=1)
    rejected: str = Field(min_length=1)
    margin: float | None = None


class DpoImplicitConversational(BaseModel):
    """Conversational preference with an implicit prompt: two full conversations sharing the user turns."""

    model_config = ConfigDict(extra="allow")

    chosen: list[ChatMessage] = Field(min_length=2)
    rejected: list[ChatMessage] = Field(min_length=2)
    margin: float | None = None


def _matches(row: Mapping[str, Any]) -> bool:
    return is_pair_row(row) and "prompt" not in row


FORMAT = RecordFormat(
    name="preference_implicit",
    label="preference with implicit prompt (chosen/rejected)",
    matches=_matches,
    models={"dpo_implicit": DpoImplicit, "dpo_implicit_conversational": DpoImplicitConversational},
    profiles=("dpo", "reward", "kto"),
    keys=frozenset({"chosen", "rejected"}),
    read=read_pair,
    restore=restore_pair,
)
