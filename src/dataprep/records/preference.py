"""Record formats of preference (DPO, reward), GRPO and KTO datasets, as pydantic models.

Shapes follow TRL's dataset formats: *standard* fields are strings, *conversational* fields
are lists of ``{"role", "content"}`` messages. Their JSON Schemas are generated into
``validators/``; the linter in ``dataprep.validate`` enforces the same rules per row.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool

from dataprep.records.chat import ChatMessage

__all__ = [
    "DpoExplicit",
    "DpoExplicitConversational",
    "DpoImplicit",
    "DpoImplicitConversational",
    "GrpoPrompt",
    "GrpoPromptConversational",
    "Kto",
    "KtoConversational",
]

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

    chosen: Turns = Field(min_length=2)
    rejected: Turns = Field(min_length=2)
    margin: float | None = None


class GrpoPrompt(BaseModel):
    """Prompt-only row for GRPO/RLOO; every extra column is passed to the reward functions."""

    model_config = ConfigDict(extra="allow")

    prompt: str = Field(min_length=1)


class GrpoPromptConversational(BaseModel):
    """Conversational prompt-only row for GRPO; the prompt should end with a user turn."""

    model_config = ConfigDict(extra="allow")

    prompt: Turns = Field(min_length=1)


#: A KTO label: true/false, or the integers 1/0 that TRL sums and casts to booleans.
KtoLabel = StrictBool | Literal[0, 1]


class Kto(BaseModel):
    """Unpaired preference for KTO: ``label`` is a JSON boolean (``true`` = desirable); TRL casts 1/0."""

    model_config = ConfigDict(extra="allow")

    prompt: str = Field(min_length=1)
    completion: str = Field(min_length=1)
    label: KtoLabel


class KtoConversational(BaseModel):
    """Conversational unpaired preference for KTO."""

    model_config = ConfigDict(extra="allow")

    prompt: Turns = Field(min_length=1)
    completion: Turns = Field(min_length=1)
    label: KtoLabel
