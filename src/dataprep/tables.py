"""The tables data flows through between stages, defined once.

Every stage declares the table it consumes and the one it produces (``Stage.consumes`` and
``Stage.produces``); ``Recipe.check`` uses these names to refuse a misordered recipe before
any stage loads a model.

Messages (long table, one row per message, what chat readers produce):

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

Samples (one row per training conversation, what ``build_samples``, ``read_conversations``
and ``generate`` produce and the writers, dedupe, PII and split stages consume):

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
then holds the prompt). Samples read back from a file add ``format`` (the record format's
name) and ``record`` (the original JSON) so a writer can put every record back in its own shape.

Records: samples read back from a dataset file (``read_conversations``), with ``format`` and
``record`` columns; every stage that takes samples takes records, and ``write_records`` needs them.

Audio files (one row per recording: source, relative path, speaker) and clips (one row per
audio segment, what ``dataprep voice`` stages pass on: source file, start and end in seconds,
clip path, text, language and the transcriber's scores).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Literal

import polars as pl

__all__ = [
    "MESSAGE_KINDS",
    "MESSAGE_SCHEMA",
    "SAMPLE_SCHEMA",
    "SUBTABLES",
    "TABLES",
    "TURN",
    "Table",
    "accepts",
    "empty_messages",
    "messages_frame",
    "samples_frame",
]

#: The tables a stage can consume or produce; ``none`` is what a source consumes and a sink
#: produces, ``any`` what a stage that takes every table consumes.
Table = Literal["none", "messages", "samples", "records", "audio", "clips", "any"]

#: What each table is, for the error naming a misordered recipe.
TABLES: dict[str, str] = {
    "none": "no rows",
    "messages": "messages (one row per chat message)",
    "samples": "samples (one row per training conversation)",
    "records": "records (samples read from a dataset file, each keeping its original record)",
    "audio": "audio files (one row per recording)",
    "clips": "clips (one row per audio segment)",
}

#: A table that is a kind of another: records are samples that also keep their source record.
SUBTABLES: dict[str, str] = {"records": "samples"}


def accepts(needed: str, given: str) -> bool:
    """Whether a stage consuming ``needed`` can take the ``given`` table."""
    if needed == "any":
        return given != "none"
    return needed == given or SUBTABLES.get(given) == needed


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
