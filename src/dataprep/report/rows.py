"""A dataset row of any text format as role-tagged turns, the shape the report measures.

Formats are decided by ``validate.formats.candidate_formats`` (one home for format detection);
this module only flattens each shape into ``(role, text)`` pairs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from dataprep.validate.formats import candidate_formats

__all__ = ["FlatRow", "flatten"]

_SHAREGPT_ROLES = {"human": "user", "gpt": "assistant", "system": "system", "tool": "tool"}


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


def content_text(content: Any) -> str:
    """A message's content: a string, or the text parts of a multimodal list."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(
            str(part.get("text", "")) for part in content if isinstance(part, dict)
        ).strip()
    return "" if content is None else str(content)


def _turns(value: Any, default_role: str) -> list[tuple[str, str]]:
    """A string (one turn) or a message list (OpenAI or ShareGPT keys)."""
    if isinstance(value, str):
        return [(default_role, value)]
    turns = []
    if isinstance(value, list):
        for message in value:
            if not isinstance(message, dict):
                continue
            if "from" in message:
                role = _SHAREGPT_ROLES.get(str(message["from"]), str(message["from"]))
                turns.append((role, content_text(message.get("value"))))
            else:
                role = str(message.get("role", default_role))
                turns.append((role, content_text(message.get("content"))))
    return turns


def flatten(row: Any) -> FlatRow | None:
    """The row as turns, or None when it is not an object of one known format."""
    if not isinstance(row, dict):
        return None
    formats = candidate_formats(row, "auto")
    if len(formats) != 1:
        return None
    fmt = formats[0]
    if fmt == "messages":
        return FlatRow(fmt, _turns(row["messages"], "user"))
    if fmt == "sharegpt":
        return FlatRow(fmt, _turns(row["conversations"], "user"))
    if fmt == "text":
        return FlatRow(fmt, [("text", content_text(row["text"]))])
    prompt = _turns(row.get("prompt"), "user") if "prompt" in row else []
    if fmt in ("preference_explicit", "preference_implicit"):
        return FlatRow(
            fmt,
            prompt,
            chosen=_turns(row.get("chosen"), "assistant"),
            rejected=_turns(row.get("rejected"), "assistant"),
        )
    completion = _turns(row.get("completion"), "assistant") if "completion" in row else []
    label = row.get("label") if isinstance(row.get("label"), bool) else None
    return FlatRow(fmt, prompt + completion, label=label)
