"""``{"prompt", "completion", "label"}``: unpaired preference for KTO."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool

from dataprep.formats.base import ChatMessage, RecordFormat
from dataprep.formats.prompt_completion import is_pair_row, read_completion, restore_completion

__all__ = ["FORMAT", "Kto", "KtoConversational"]


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

    prompt: list[ChatMessage] = Field(min_length=1)
    completion: list[ChatMessage] = Field(min_length=1)
    label: KtoLabel


def _matches(row: Mapping[str, Any]) -> bool:
    return "completion" in row and "label" in row and not is_pair_row(row)


FORMAT = RecordFormat(
    name="unpaired_preference",
    label="unpaired preference (prompt/completion/label)",
    matches=_matches,
    models={"kto": Kto, "kto_conversational": KtoConversational},
    profiles=("kto",),
    keys=frozenset({"prompt", "completion", "label"}),
    read=read_completion,
    restore=restore_completion,
)
