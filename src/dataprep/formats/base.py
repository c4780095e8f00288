"""What every record format module provides, and the pieces they share.

A record format is one module in ``dataprep.formats`` holding its pydantic model(s) (the JSON
Schemas in ``validators/`` are generated from them), the keys that identify a row of it, its
conversion to and from the internal samples table, and its label. ``RecordFormat`` bundles
those; the registry in ``dataprep.formats`` lists every module once.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, get_args

from pydantic import BaseModel, ConfigDict

if TYPE_CHECKING:
    import polars as pl

__all__ = [
    "CHAT_ROLES",
    "ChatMessage",
    "ChatRole",
    "Content",
    "Conversation",
    "NotAConversation",
    "RecordFormat",
    "TrainerLayout",
    "Turns",
    "message_turns",
    "put_contents",
    "text_or_turns",
]

#: Roles of chat data (``developer``: gpt-oss/Harmony; ``function``: OpenAI's legacy tool role).
ChatRole = Literal["system", "developer", "user", "assistant", "tool", "function"]
#: The same roles as a set, for fast membership checks.
CHAT_ROLES: frozenset[str] = frozenset(get_args(ChatRole))

#: Content is a string, or a list of typed parts (``{"type": "text"|"image", ...}``) for vision models.
Content = str | list[dict[str, Any]]

#: Turns of the internal samples table: ``{"role", "content"}`` with ChatML roles.
Turns = list[dict[str, str]]


class ChatMessage(BaseModel):
    """One turn of a conversation in the ``role``/``content`` (ChatML) shape.

    An assistant turn may carry ``tool_calls`` instead of ``content``; extra keys such as
    ``thinking`` or ``name`` are passed to the chat template unchanged.
    """

    model_config = ConfigDict(extra="allow")

    role: ChatRole
    content: Content | None = None
    tool_calls: list[dict[str, Any]] | None = None


class NotAConversation(ValueError):
    """A JSON value that is none of the supported conversation shapes."""


@dataclass
class Conversation:
    """One record in the internal shape: its turns, and the two replies of a preference pair."""

    messages: Turns
    chosen: Turns | None = None
    rejected: Turns | None = None


#: Reads one JSON record into a Conversation (raises NotAConversation).
Reader = Callable[[dict[str, Any]], Conversation]
#: Puts a Conversation's (possibly changed) turn contents back into the record it came from.
Restorer = Callable[[dict[str, Any], Conversation], dict[str, Any]]
#: Turns a samples table into the output records (one column per JSON key, in order).
Writer = Callable[["pl.DataFrame"], "pl.DataFrame"]


@dataclass(frozen=True)
class TrainerLayout:
    """Another trainer's own dataset layout: ``convert --to NAME`` writes it with the config
    snippet that loads it, and ``validate --profile NAME`` checks data against that trainer."""

    #: A TRL-format row -> the row in the trainer's layout and its shape (one shape per file).
    convert: Callable[[dict[str, Any]], tuple[dict[str, Any], Any]]
    #: (the file's shape, the output path) -> the config snippet that loads the output.
    snippet: Callable[[Any, Path], str]
    #: The snippet's file name suffix beside ``--out`` and what the summary calls it.
    snippet_suffix: str
    snippet_label: str


@dataclass(frozen=True)
class RecordFormat:
    """One record format: how to recognise, read, write and describe it."""

    #: Stable name: reports, ``validate`` output, the ``format`` column of read samples.
    name: str
    #: What the human summary calls it.
    label: str
    #: Decides whether a JSON object is a row of this format (by its keys).
    matches: Callable[[Mapping[str, Any]], bool]
    #: Schema name -> pydantic model; ``dataprep schemas`` writes one JSON Schema per entry.
    models: Mapping[str, type[BaseModel]] = field(default_factory=dict)
    #: Trainer profiles that accept the format, the first being the one ``auto`` picks.
    profiles: tuple[str, ...] = ()
    #: Keys that identify the format (anything else in a row is an extra column).
    keys: frozenset[str] = frozenset()
    read: Reader | None = None
    restore: Restorer | None = None
    #: Writers of SFT samples and of preference pairs (samples with chosen/rejected).
    write_samples: Writer | None = None
    write_pairs: Writer | None = None
    #: ``--output-format`` names this format answers to, for the rows it can write.
    output_names: tuple[str, ...] = ()
    #: Set for another trainer's layout (``convert --to``, ``validate --profile``).
    trainer: TrainerLayout | None = None

    def writer(self, preference: bool) -> Writer | None:
        return self.write_pairs if preference else self.write_samples


def message_turns(messages: Any, where: str) -> Turns:
    """``[{"role", "content"}]`` turns of an OpenAI/TRL message list (text content only)."""
    if not isinstance(messages, list) or not messages:
        raise NotAConversation(f"{where} is not a non-empty list of messages")
    turns = []
    for message in messages:
        if not isinstance(message, dict) or "role" not in message:
            raise NotAConversation(f"{where} holds an entry without a role")
        content = message.get("content")
        if content is not None and not isinstance(content, str):
            raise NotAConversation(
                f"{where} has non-text content (only text conversations are supported)"
            )
        turns.append({"role": str(message["role"]), "content": content or ""})
    return turns


def text_or_turns(value: Any, where: str, role: str) -> Turns:
    """A TRL field that is either a string (one ``role`` turn) or a message list."""
    if isinstance(value, str):
        return [{"role": role, "content": value}]
    return message_turns(value, where)


def put_contents(target: Any, key: str, turns: Turns, text_key: str = "content") -> None:
    """Write turn contents back into ``target[key]`` (a string, one turn or a list) where they changed."""
    value = target[key]
    if isinstance(value, str):
        if turns and turns[0]["content"] != value:
            target[key] = turns[0]["content"]
        return
    entries = [value] if isinstance(value, dict) else value
    for entry, turn in zip(entries, turns, strict=False):
        if (entry.get(text_key) or "") != turn["content"]:
            entry[text_key] = turn["content"]
