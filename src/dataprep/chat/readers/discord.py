"""DiscordChatExporter JSON: ``{guild, channel, dateRange, messages[...], messageCount}``.

Shape from DCE's ``JsonMessageWriter.cs``. Partitioned exports (``... [part N].json``) of one
channel all map to the conversation ``discord:<channel id>``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import polars as pl

from dataprep.chat.readers import ReaderOptions, Rejecter
from dataprep.chat.readers._json_stream import JsonCursor, TextSource
from dataprep.chat.readers._reader_kit import (
    MessageBatcher,
    as_object,
    has_json_key,
    parse_timestamp,
)
from dataprep.errors import InputError

__all__ = ["READERS", "DiscordReader"]

# Message kinds a person (or a bot answering a command) wrote. DCE writes the kind's enum
# name, or its number for kinds its enum lacks (20 slash command, 21 thread starter,
# 23 context menu command). Every other kind (GuildMemberJoin, ChannelPinnedMessage,
# RecipientAdd, Call, ThreadCreated, ...) is a system notice with fallback text.
_PERSON_KINDS = {
    "Default",
    "Reply",
    "ChatInputCommand",
    "ContextMenuCommand",
    "ThreadStarterMessage",
    "20",
    "21",
    "23",
}

_PART_SUFFIX = re.compile(r" \[part \d+\]$")


def _media_text(message: dict[str, Any]) -> str | None:
    """A placeholder naming the attachments/stickers/embeds of a message without text."""
    names = [
        f"<attachment: {item.get('fileName') or 'file'}>"
        for item in message.get("attachments") or []
        if isinstance(item, dict)
    ]
    names += [
        f"<sticker: {item.get('name') or 'sticker'}>"
        for item in message.get("stickers") or []
        if isinstance(item, dict)
    ]
    if not names and message.get("embeds"):
        names.append("<embed>")
    return " ".join(names) if names else None


def message_row(message: dict[str, Any]) -> dict[str, Any]:
    """One messages-table row (without conversation and source) for a DCE message."""
    author = as_object(message.get("author"))
    text = message.get("content") or ""
    if not isinstance(text, str):
        text = str(text)
    kind = "text" if str(message.get("type", "Default")) in _PERSON_KINDS else "system"
    if kind == "text" and not text.strip():
        placeholder = _media_text(message)
        if placeholder is not None:
            text, kind = placeholder, "media"
    reference = as_object(message.get("reference"))
    speaker = author.get("nickname") or author.get("name")
    return {
        "speaker": None if kind == "system" or speaker is None else str(speaker),
        "speaker_id": None if author.get("id") is None else str(author["id"]),
        "is_me": None,
        "text": text,
        "time": parse_timestamp(message.get("timestamp")),
        "kind": kind,
        "message_id": None if message.get("id") is None else str(message["id"]),
        "reply_to": None if reference.get("messageId") is None else str(reference["messageId"]),
    }


def conversation_id(document: dict[str, Any], path: Path) -> str:
    """``discord:<channel id>``, shared by every ``[part N]`` file of the channel."""
    channel = document.get("channel")
    if isinstance(channel, dict) and channel.get("id") is not None:
        return f"discord:{channel['id']}"
    return "discord:" + _PART_SUFFIX.sub("", path.stem)


class _ChannelWalk:
    """One pass over a DCE document, message by message; results wait for the whole file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.source = str(path)
        self.header: dict[str, Any] = {}
        self.batcher = MessageBatcher()
        self.frames: list[pl.DataFrame] = []
        self.rejects: list[tuple[str, int | None, str, str | None]] = []

    def walk(self, cursor: JsonCursor) -> None:
        pending: list[Any] | None = None
        found = False
        for key in cursor.members():
            if key != "messages" or cursor.peek() != "[":
                self.header[key] = cursor.value()
                continue
            found = True
            if "channel" in self.header:  # DCE writes it first: stream message by message
                conversation = conversation_id(self.header, self.path)
                for index in cursor.elements():
                    self._add(index, cursor.value(), conversation)
            else:
                pending = cursor.value()
        cursor.end()
        if not found:
            raise InputError("not a DiscordChatExporter export: no 'messages' list", path=self.path)
        conversation = conversation_id(self.header, self.path)
        for index, message in enumerate(pending or [], start=1):
            self._add(index, message, conversation)

    def _add(self, index: int, message: Any, conversation: str) -> None:
        if not isinstance(message, dict):
            raw = json.dumps(message, ensure_ascii=False)[:1000]
            self.rejects.append((self.source, index, "message_not_an_object", raw))
            return
        channel = as_object(self.header.get("channel"))
        full = self.batcher.add(
            conversation=conversation,
            chat=None if channel.get("name") is None else str(channel["name"]),
            source_file=self.source,
            source_line=index,
            **message_row(message),
        )
        if full is not None:
            self.frames.append(full)


class DiscordReader:
    """Reads DiscordChatExporter JSON exports, including split ``[part N]`` files."""

    name = "discord"

    def sniff(self, path: Path, head: str) -> bool:
        return (
            path.suffix.lower() == ".json"
            and head.lstrip().startswith("{")
            and has_json_key(head, "guild", "channel", "messages")
        )

    def read(self, path: Path, options: ReaderOptions, reject: Rejecter) -> Iterator[pl.DataFrame]:
        source = TextSource(path, options.encoding)
        try:
            cursor = JsonCursor(source, path)
            if cursor.peek() != "{":
                raise InputError(
                    "not a DiscordChatExporter export: the top level is not a JSON object",
                    path=path,
                )
            walk = _ChannelWalk(path)
            walk.walk(cursor)
        finally:
            source.close()
        for rejected in walk.rejects:
            reject(*rejected)
        yield from walk.frames
        yield from walk.batcher.drain()


READERS = [DiscordReader()]
