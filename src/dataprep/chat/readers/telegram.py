"""Telegram Desktop ``result.json``: single-chat and full-account exports.

The shape follows tdesktop's ``export_output_json.cpp``: a single chat is
``{name, type, id, messages}``; a full account wraps chats in ``{"chats": {"list": [...]}}``
(plus ``left_chats``) and names the exporting user in ``personal_information.user_id``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import polars as pl

from dataprep.chat.readers import ReaderOptions, Rejecter
from dataprep.chat.readers._json_stream import JsonCursor, TextSource
from dataprep.chat.readers._reader_kit import (
    MessageBatcher,
    as_object,
    epoch_to_datetime,
    has_json_key,
    parse_timestamp,
)
from dataprep.errors import InputError

__all__ = ["READERS", "TelegramReader"]

# tdesktop writes bytes below 0x20 as "\x0C"-style escapes, which JSON does not allow
# (chat-analytics #100). An escape preceded by an even run of backslashes is a real one.
_BAD_ESCAPE = re.compile(r"(?<!\\)((?:\\\\)*)\\x([0-9A-Fa-f]{2})")

_MESSAGE_TYPE = re.compile(r'(?<!\\)"type"\s*:\s*"(message|service)"')

# Keys that mark a message carrying media instead of (or besides) text.
_MEDIA_KEYS = {
    "photo": "photo",
    "file": "file",
    "location_information": "location",
    "poll": "poll",
    "contact_information": "contact",
    "game_information": "game",
    "invoice_information": "invoice",
}


def sanitize_escapes(text: str) -> str:
    """Rewrite tdesktop's invalid ``\\xNN`` escapes as ``\\u00NN``."""
    if "\\x" not in text:
        return text
    return _BAD_ESCAPE.sub(r"\1\\u00\2", text)


def _richness(value: Any) -> int:
    if value is None:
        return 0
    if isinstance(value, str):
        return len(value)
    if isinstance(value, list):
        return len(value) + sum(_richness(item) for item in value)
    if isinstance(value, dict):
        return len(value) + sum(_richness(item) for item in value.values())
    return 1


def keep_richer_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """Object hook: on a duplicate key keep the richer value, not silently the last one.

    Star-gift service messages carry two ``"text"`` keys (tdesktop #28781).
    """
    result = dict(pairs)
    if len(result) == len(pairs):
        return result
    result = {}
    for key, value in pairs:
        if key in result and _richness(result[key]) > _richness(value):
            continue
        result[key] = value
    return result


def flatten_text(value: Any) -> str:
    """``text`` is a string, or a list of strings and ``{type, text}`` entities."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        parts = []
        for item in value:
            if isinstance(item, str):
                parts.append(item)
            elif isinstance(item, dict):
                parts.append(flatten_text(item.get("text")))
        return "".join(parts)
    return str(value)


def _message_time(message: dict[str, Any]) -> datetime | None:
    # ``date`` is the exporting machine's local time, as the schema wants; ``date_unixtime``
    # (UTC epoch) is the fallback for exports that only carry it.
    if message.get("date"):
        parsed = parse_timestamp(message["date"])
        if parsed is not None:
            return parsed
    return epoch_to_datetime(message.get("date_unixtime"))


def _service_text(message: dict[str, Any]) -> str:
    """The service line's own text, else a description built from its action and actor."""
    text = flatten_text(message.get("text"))
    if text.strip():
        return text
    action = str(message.get("action") or "service message").replace("_", " ")
    details = [str(message[key]) for key in ("title", "game_title") if message.get(key)]
    members = message.get("members")
    if isinstance(members, list) and members:
        details.append(", ".join(str(member) for member in members if member))
    actor = message.get("actor")
    line = f"{actor}: {action}" if actor else action
    return line + (f" ({'; '.join(details)})" if details else "")


def _media_label(message: dict[str, Any]) -> str | None:
    """What media a message carries (``sticker``, ``photo``, ...), or None."""
    if message.get("media_type"):
        return str(message["media_type"])
    if message.keys().isdisjoint(_MEDIA_KEYS):
        return None
    for key, label in _MEDIA_KEYS.items():
        if key in message:
            return label
    return None


def _text_and_kind(message: dict[str, Any]) -> tuple[str, str]:
    """The body and the kind: service -> system; media without a caption -> media."""
    if message.get("type") == "service":
        return _service_text(message), "system"
    text = flatten_text(message.get("text"))
    if not text and "text_entities" in message:
        text = flatten_text(message.get("text_entities"))
    if message.get("type") == "unsupported":
        return text or "<unsupported message>", "media"
    label = _media_label(message)
    if label is not None and not text.strip():
        if label == "sticker" and message.get("sticker_emoji"):
            return str(message["sticker_emoji"]), "media"
        return f"<{label}>", "media"
    return text, "text"


def _as_id(value: Any) -> str | None:
    return None if value is None else str(value)


def message_row(message: dict[str, Any], me_id: str | None = None) -> dict[str, Any]:
    """One messages-table row (without conversation and source) for a tdesktop message."""
    text, kind = _text_and_kind(message)
    if kind == "system":
        speaker, speaker_id = None, _as_id(message.get("actor_id"))
    else:
        speaker_id = _as_id(message.get("from_id"))
        speaker = message.get("from") or speaker_id
    is_me = None
    if me_id is not None and speaker_id is not None:
        is_me = speaker_id in (me_id, f"user{me_id}")
    return {
        "speaker": None if speaker is None else str(speaker),
        "speaker_id": speaker_id,
        "is_me": is_me,
        "text": text,
        "time": _message_time(message),
        "kind": kind,
        "message_id": _as_id(message.get("id")),
        "reply_to": _as_id(message.get("reply_to_message_id")),
    }


def _raw(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)[:1000]


def mark_exporter(frame: pl.DataFrame, me_id: str) -> pl.DataFrame:
    """``is_me`` from the full-account export's ``personal_information.user_id``.

    Applied once the whole file is read, so it holds wherever that key sits in the file.
    """
    speaker = pl.col("speaker_id")
    is_me = pl.when(speaker.is_null()).then(None).otherwise(speaker.is_in([me_id, f"user{me_id}"]))
    return frame.with_columns(is_me.alias("is_me"))


class _ExportWalk:
    """One pass over a tdesktop document, message by message, collecting batches.

    Batches and rejects are handed out only after the whole file parsed, so a truncated
    export yields nothing rather than half of itself.
    """

    def __init__(self, cursor: JsonCursor, source: str) -> None:
        self.cursor = cursor
        self.source = source
        self.me_id: str | None = None
        self.batcher = MessageBatcher()
        self.frames: list[pl.DataFrame] = []
        self.rejects: list[tuple[str, int | None, str, str | None]] = []
        self.chats = 0

    def chat(self) -> None:
        """Walk one chat object, or a document's top level (single chat or full account)."""
        cursor = self.cursor
        label: Any = None
        name: Any = None
        pending: list[Any] | None = None
        for key in cursor.members():
            if key == "messages" and cursor.peek() == "[":
                self.chats += 1
                if label is None:  # identity not seen yet: decode now, label at the end
                    pending = cursor.value()
                else:
                    self._stream_messages(label, name)
            elif key in ("chats", "left_chats") and cursor.peek() == "{":
                self._chat_list()
            elif key == "personal_information":
                info = as_object(cursor.value())
                self.me_id = None if info.get("user_id") is None else str(info["user_id"])
            elif key in ("id", "name"):
                value = cursor.value()
                label = value if label is None or key == "id" else label
                name = value if key == "name" else name
            else:
                cursor.value()
        for index, message in enumerate(pending or [], start=1):
            self._add(message, index, label, name)

    def _chat_list(self) -> None:
        for key in self.cursor.members():
            if key != "list" or self.cursor.peek() != "[":
                self.cursor.value()
                continue
            for _ in self.cursor.elements():
                if self.cursor.peek() == "{":
                    self.chat()
                else:
                    self.rejects.append(
                        (self.source, None, "chat_not_an_object", _raw(self.cursor.value()))
                    )

    def _stream_messages(self, label: Any, name: Any) -> None:
        for index in self.cursor.elements():
            self._add(self.cursor.value(), index, label, name)

    def _add(self, message: Any, index: int, label: Any, name: Any) -> None:
        if not isinstance(message, dict):
            self.rejects.append((self.source, index, "message_not_an_object", _raw(message)))
            return
        conversation = self.source if label is None else f"{self.source}#{label}"
        row = message_row(message)
        # ``index`` counts messages within one chat: in a full-account export the source
        # names the chat too, or samples of different chats would share ids and traces.
        full = self.batcher.add(
            conversation=conversation,
            chat=None if name is None else str(name),
            source_file=conversation,
            source_line=index,
            **row,
        )
        if full is not None:
            self.frames.append(full)


class TelegramReader:
    """Reads Telegram Desktop JSON exports (``result.json``)."""

    name = "telegram"

    def sniff(self, path: Path, head: str) -> bool:
        if path.suffix.lower() != ".json" or not head.lstrip().startswith("{"):
            return False
        if has_json_key(head, "guild"):  # DiscordChatExporter
            return False
        if has_json_key(head, "personal_information") or has_json_key(head, "chats", "list"):
            return True
        if not has_json_key(head, "messages"):
            return False
        return has_json_key(head, "date_unixtime") or _MESSAGE_TYPE.search(head) is not None

    def read(self, path: Path, options: ReaderOptions, reject: Rejecter) -> Iterator[pl.DataFrame]:
        source = TextSource(path, options.encoding, transform=sanitize_escapes)
        try:
            cursor = JsonCursor(source, path, object_pairs_hook=keep_richer_duplicates)
            if cursor.peek() != "{":
                raise InputError(
                    "not a Telegram export: the top level is not a JSON object", path=path
                )
            walk = _ExportWalk(cursor, str(path))
            walk.chat()
            cursor.end()
        finally:
            source.close()
        if walk.chats == 0:
            raise InputError(
                "not a Telegram export: no 'messages' list and no 'chats.list'", path=path
            )
        for rejected in walk.rejects:
            reject(*rejected)
        for frame in [*walk.frames, *walk.batcher.drain()]:
            yield frame if walk.me_id is None else mark_exporter(frame, walk.me_id)


READERS = [TelegramReader()]
