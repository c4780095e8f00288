"""The two tables chat data flows through.

Messages (long table, one row per message, what readers produce):

=============  ================  ==========================================================
column         dtype             meaning
=============  ================  ==========================================================
conversation   Utf8              chat identity: source file (+ chat/channel name or id)
chat           Utf8 (nullable)   the chat's name as the export shows it (Telegram chat,
                                 Discord channel, Slack folder, WhatsApp file, WeChat
                                 talker, generic conversation key); null when unknown
speaker        Utf8 (nullable)   display name as in the export; null for system lines
speaker_id     Utf8 (nullable)   platform id (Telegram from_id, Discord/Slack user id, ...)
is_me          Boolean (null.)   the export says this is the exporting user (WeChat
                                 ``is_sender``, ``assistant`` role in JSONL); else null
text           Utf8              message body, multi-line bodies joined with "\\n"
time           Datetime(us)      local time as exported (no time zone); null if unknown
kind           Utf8              text | system | media | deleted | prompt
message_id     Utf8 (nullable)   platform message id
reply_to       Utf8 (nullable)   id of the message this replies to
source_file    Utf8              path of the file the message came from
source_line    Int64             1-based line of the message's first line in text formats
                                 (WhatsApp, CSV, JSONL); 1-based position in the message
                                 array for JSON exports (Telegram, Discord, Slack)
=============  ================  ==========================================================

Samples (one row per training conversation, what ``build_samples`` produces and the
writers, dedupe, PII and split stages consume):

=============  ===================================  ======================================
column         dtype                                meaning
=============  ===================================  ======================================
id             Utf8                                 stable id (hash of source and lines)
group          Utf8                                 split group (source session)
messages       List(Struct(role, content))          roles: system, user, assistant
speakers       List(Utf8)                           participants' names and handles
source         Utf8                                 ``file:first_line-last_line``
=============  ===================================  ======================================

Preference samples add ``chosen`` and ``rejected`` (same list type as ``messages``, which
then holds the prompt).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import polars as pl

__all__ = [
    "MESSAGE_KINDS",
    "MESSAGE_SCHEMA",
    "SAMPLE_SCHEMA",
    "TURN",
    "empty_messages",
    "messages_frame",
    "samples_frame",
]

MESSAGE_KINDS = ("text", "system", "media", "deleted", "prompt")

MESSAGE_SCHEMA: dict[str, pl.DataType] = {
    "conversation": pl.Utf8(),
    "chat": pl.Utf8(),
    "speaker": pl.Utf8(),
    "speaker_id": pl.Utf8(),
    "is_me": pl.Boolean(),
    "text": pl.Utf8(),
    "time": pl.Datetime("us"),
    "kind": pl.Utf8(),
    "message_id": pl.Utf8(),
    "reply_to": pl.Utf8(),
    "source_file": pl.Utf8(),
    "source_line": pl.Int64(),
}

TURN = pl.Struct({"role": pl.Utf8(), "content": pl.Utf8()})

SAMPLE_SCHEMA: dict[str, pl.DataType] = {
    "id": pl.Utf8(),
    "group": pl.Utf8(),
    "messages": pl.List(TURN),
    "speakers": pl.List(pl.Utf8()),
    "source": pl.Utf8(),
}


def empty_messages() -> pl.DataFrame:
    return pl.DataFrame(schema=MESSAGE_SCHEMA)


def messages_frame(rows: Iterable[Mapping[str, Any]] | Mapping[str, list[Any]]) -> pl.DataFrame:
    """Build a messages table from dict rows (or columns); missing columns become null."""
    if isinstance(rows, Mapping):
        frame = pl.DataFrame(
            {name: rows.get(name) for name in MESSAGE_SCHEMA if name in rows},
            schema={n: t for n, t in MESSAGE_SCHEMA.items() if n in rows},
            strict=False,
        )
    else:
        frame = (
            pl.DataFrame(list(rows), schema=MESSAGE_SCHEMA, strict=False, orient="row")
            if rows
            else empty_messages()
        )
    missing = [
        pl.lit(None, dtype=t).alias(n) for n, t in MESSAGE_SCHEMA.items() if n not in frame.columns
    ]
    if missing:
        frame = frame.with_columns(missing)
    return frame.select([pl.col(n).cast(t) for n, t in MESSAGE_SCHEMA.items()])


def samples_frame(rows: Iterable[Mapping[str, Any]]) -> pl.DataFrame:
    rows = list(rows)
    if not rows:
        return pl.DataFrame(schema=SAMPLE_SCHEMA)
    return pl.DataFrame(rows, schema=SAMPLE_SCHEMA, strict=False)
