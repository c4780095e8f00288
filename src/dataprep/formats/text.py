"""``{"text": "..."}``: standard language modeling, text already formatted by the user."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from dataprep.formats.base import RecordFormat

__all__ = ["FORMAT", "SftText"]


class SftText(BaseModel):
    """Standard language modeling: ``{"text": "..."}``, already formatted by the user."""

    model_config = ConfigDict(extra="allow")

    text: str = Field(min_length=1)


def _matches(row: Mapping[str, Any]) -> bool:
    return "text" in row


FORMAT = RecordFormat(
    name="text",
    label="standard language modeling (text)",
    matches=_matches,
    models={"sft_text": SftText},
    profiles=("sft",),
    keys=frozenset({"text"}),
)
