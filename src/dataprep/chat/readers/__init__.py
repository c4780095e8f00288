"""Chat export readers, one module per platform, and the detection that picks one per file.

A reader turns one input unit (a file, a ``.zip``, or a Slack export folder) into batches of
the messages table (``dataprep.chat.schema.MESSAGE_SCHEMA``). Line-level problems become
counted rejects through ``Rejecter``; a unit that cannot be read at all raises ``InputError``.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Literal, Protocol

import polars as pl
from pydantic import BaseModel, ConfigDict, Field

from dataprep.errors import InputError, UnknownNameError
from dataprep.io import decode_head

__all__ = [
    "READER_MODULES",
    "ChatReader",
    "ReaderOptions",
    "Rejecter",
    "detect_format",
    "discover_inputs",
    "get_reader",
    "reader_names",
]

#: Reader modules; each defines ``READERS: list[ChatReader]``. Order matters for detection:
#: the first reader whose ``sniff`` accepts a unit reads it.
READER_MODULES = (
    "dataprep.chat.readers.slack",
    "dataprep.chat.readers.whatsapp",
    "dataprep.chat.readers.telegram",
    "dataprep.chat.readers.discord",
    "dataprep.chat.readers.wechat",
    "dataprep.chat.readers.generic",
)

#: Reports one rejected line: (source_file, line, reason, raw_text_or_None).
Rejecter = Callable[[str, int | None, str, str | None], None]


class ReaderOptions(BaseModel):
    """Options every reader receives; each uses the ones that apply to its format."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    encoding: str | None = Field(
        default=None, description="Force a text encoding (default: detect BOM/UTF-16, else UTF-8)."
    )
    date_order: Literal["auto", "dmy", "mdy", "ymd"] = Field(
        default="auto", description="WhatsApp day/month order; auto infers it once per file."
    )
    speaker_column: str = Field(
        default="speaker", description="Generic JSONL/CSV: column with the author's name."
    )
    text_column: str = Field(
        default="text", description="Generic JSONL/CSV: column with the message text."
    )
    time_column: str | None = Field(
        default="time", description="Generic JSONL/CSV: column with the timestamp (optional)."
    )
    conversation_column: str | None = Field(
        default="conversation", description="Generic JSONL/CSV: column with a chat id (optional)."
    )
    role_column: str | None = Field(
        default="role",
        description="Generic JSONL/CSV: column with user/assistant roles (optional).",
    )
    max_member_bytes: int = Field(
        default=512 * 1024 * 1024, description="Largest zip member read, uncompressed."
    )


class ChatReader(Protocol):
    """What a platform reader provides."""

    #: Format name used by ``--input-format``.
    name: str

    def sniff(self, path: Path, head: str) -> bool:
        """True when this reader recognises ``path``; ``head`` is its first ~64 KiB as text
        ('' for folders and zip files)."""
        ...

    def read(self, path: Path, options: ReaderOptions, reject: Rejecter) -> Iterator[pl.DataFrame]:
        """Yield message-table batches for ``path``."""
        ...


_readers: dict[str, ChatReader] | None = None


def all_readers() -> dict[str, ChatReader]:
    """Every chat reader, by name, in detection order (``READER_MODULES``)."""
    global _readers
    if _readers is None:
        found: dict[str, ChatReader] = {}
        for module_name in READER_MODULES:
            module = importlib.import_module(module_name)
            for reader in module.READERS:
                found[reader.name] = reader
        _readers = found
    return _readers


def reader_names() -> list[str]:
    return list(all_readers())


def get_reader(name: str) -> ChatReader:
    readers = all_readers()
    if name not in readers:
        raise UnknownNameError("input format", name, ["auto", *readers])
    return readers[name]


_SUFFIXES = {".txt", ".json", ".jsonl", ".ndjson", ".csv", ".zip"}


def _is_slack_folder(path: Path) -> bool:
    # Enterprise Grid exports name the user list org_users.json.
    users = (path / "users.json").is_file() or (path / "org_users.json").is_file()
    return path.is_dir() and (path / "channels.json").is_file() and users


def _is_media_folder(path: Path) -> bool:
    """DiscordChatExporter saves attachments in ``<export file>_Files`` beside the export."""
    if not path.name.endswith("_Files"):
        return False
    base = path.name[: -len("_Files")]
    return any(p.is_file() and p.name.startswith(base) for p in path.parent.iterdir())


def discover_inputs(paths: list[Path]) -> list[Path]:
    """Expand folders into readable units, sorted for a deterministic order.

    A folder holding ``channels.json`` and ``users.json`` is one Slack export unit.
    Hidden files and our own outputs (``*.report.json``) are skipped.
    """
    units: list[Path] = []
    for path in paths:
        if not path.exists():
            raise InputError("no such file or directory", path=path)
        if path.is_file() or _is_slack_folder(path):
            units.append(path)
            continue
        stack = [path]
        while stack:
            folder = stack.pop()
            if _is_slack_folder(folder):
                units.append(folder)
                continue
            for child in sorted(folder.iterdir()):
                if child.name.startswith("."):
                    continue
                if child.is_dir():
                    if not _is_media_folder(child):
                        stack.append(child)
                elif child.suffix.lower() in _SUFFIXES and not child.name.endswith(".report.json"):
                    units.append(child)
    if not units:
        shown = ", ".join(str(p) for p in paths)
        raise InputError(
            f"{shown}: no chat exports found (looked for {', '.join(sorted(_SUFFIXES))} files and Slack export folders)"
        )
    return sorted(set(units))


def _head(path: Path, encoding: str | None) -> str:
    if path.is_dir() or path.suffix.lower() == ".zip":
        return ""
    with open(path, "rb") as handle:
        data = handle.read(65536)
    return decode_head(data, encoding)


def detect_format(path: Path, options: ReaderOptions | None = None) -> ChatReader:
    """The first reader that recognises ``path``; a clear error when none does."""
    options = options or ReaderOptions()
    head = _head(path, options.encoding)
    for reader in all_readers().values():
        if reader.sniff(path, head):
            return reader
    raise InputError(
        "unknown chat export format",
        path=path,
        hint="You can fix this by passing --input-format with one of: " + ", ".join(reader_names()),
    )
