"""The two tables chat data flows through; defined once in ``dataprep.tables``."""

from __future__ import annotations

from dataprep.tables import (
    MESSAGE_KINDS,
    MESSAGE_SCHEMA,
    SAMPLE_SCHEMA,
    TURN,
    empty_messages,
    messages_frame,
    samples_frame,
)

__all__ = [
    "MESSAGE_KINDS",
    "MESSAGE_SCHEMA",
    "SAMPLE_SCHEMA",
    "TURN",
    "empty_messages",
    "messages_frame",
    "samples_frame",
]
