"""A dataset row of any text format as role-tagged turns, the shape the report measures.

Rows are read through the format registry (``dataprep.formats``, one home per format); the
formats it cannot read back into a conversation (``text``, prompt-completion, prompt-only,
unpaired preference) are taken apart with the registry's own turn helper.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from dataprep.formats import NotAConversation, detect_readable
from dataprep.formats.base import Turns, text_or_turns
from dataprep.validate.formats import candidate_formats

__all__ = ["FlatRow", "flatten"]


@dataclass
class FlatRow:
    """One row as turns; preference rows also keep their two answers apart."""

    format: str
    turns: list[tuple[str, str]] = field(default_factory=list)
    chosen: list[tuple[str, str]] | None = None
    rejected: list[tuple[str, str]] | None = None
    label: bool | None = None

    def texts(self) -> list[str]:
        parts = [text for _, text in self.turns]
        for side in (self.chosen, self.rejected):
            if side:
                parts += [text for _, text in side]
        return parts


def _pairs(turns: Turns | None) -> list[tuple[str, str]] | None:
    if turns is None:
        return None
    return [(turn["role"], turn["content"]) for turn in turns]


def _read_conversation(row: dict[str, Any]) -> FlatRow | None:
    try:
        fmt = detect_readable(row)
        assert fmt.read is not None
        conversation = fmt.read(row)
    except NotAConversation:
        return None
    return FlatRow(
        fmt.name,
        _pairs(conversation.messages) or [],
        _pairs(conversation.chosen),
        _pairs(conversation.rejected),
    )


#: Trainer formats the registry does not read back into a conversation.
_FIELD_FORMATS = frozenset({"text", "prompt_completion", "prompt_only", "unpaired_preference"})


def _read_fields(row: dict[str, Any]) -> FlatRow | None:
    formats = candidate_formats(row, "auto")
    if len(formats) != 1 or formats[0] not in _FIELD_FORMATS:
        return None
    fmt = formats[0]
    try:
        if fmt == "text":
            text = row["text"]
            return FlatRow(fmt, [("text", text)]) if isinstance(text, str) else None
        turns: Turns = []
        for key, role in (("prompt", "user"), ("completion", "assistant")):
            if row.get(key) is not None:
                turns += text_or_turns(row[key], key, role)
    except NotAConversation:
        return None
    # KTO labels: booleans, or 0/1 (datasets often store them as integers).
    label = bool(row["label"]) if row.get("label") in (True, False, 0, 1) else None
    return FlatRow(fmt, _pairs(turns) or [], label=label)


def flatten(row: Any) -> FlatRow | None:
    """The row as turns, or None when it is not an object of one known text format."""
    if not isinstance(row, dict):
        return None
    return _read_conversation(row) or _read_fields(row)
