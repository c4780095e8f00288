"""Chat export readers, one module per platform, and the detection that picks one per file.

A reader turns one input unit (a file, a ``.zip``, or a Slack export folder) into batches of
the messages table (``dataprep.chat.schema.MESSAGE_SCHEMA``). Line-level problems become
counted rejects through ``Rejecter``; a unit that cannot be read at all raises ``InputError``.
"""

from __future__ import annotations

import errno
import importlib
import os
import re
import stat
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Literal, Protocol

import polars as pl
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr

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
    "is_slack_folder",
    "printable_path",
    "read_unit",
    "reader_names",
    "reader_warning",
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


def reader_warning(reject: Rejecter, source: str, message: str) -> None:
    """Hand a warning about ``source`` for the user to ``read_chat`` (its rejecter has a
    ``warn`` method), which names the file as the run's side files do (a hash of the name when
    PII is scrubbed: export file names hold contacts' names).

    Warnings name files and counts only, never message text.
    """
    warn = getattr(reject, "warn", None)
    if warn is not None:
        warn(source, message)


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
    #: Where a reader that spools parsed chunks (a big WhatsApp export) puts its temporary
    #: files; not an option a user sets: the run gives its staging area (``spooling_in``).
    _spool_dir: Path | None = PrivateAttr(default=None)

    @property
    def spool_dir(self) -> Path | None:
        """Folder for a reader's temporary files; None: the system's temporary folder."""
        return self._spool_dir

    def spooling_in(self, folder: Path | None) -> ReaderOptions:
        """A copy of these options whose readers spool their temporary files in ``folder``."""
        copy = self.model_copy()
        copy._spool_dir = folder
        return copy


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


#: Files of a Slack export's top folder (Enterprise Grid names the user list org_users.json).
SLACK_METADATA = (
    "channels.json",
    "users.json",
    "org_users.json",
    "groups.json",
    "dms.json",
    "mpims.json",
)
#: A Slack day file: one JSON array of that day's messages of one conversation.
SLACK_DAY_FILE = re.compile(r"\d{4}-\d{2}-\d{2}\.json")


def is_slack_folder(path: Path) -> bool:
    """A Slack export folder: its metadata files (any of them; exports trimmed by hand may
    lack ``channels.json`` or ``users.json``) beside conversation folders of day files."""
    try:
        if not path.is_dir() or not any((path / name).is_file() for name in SLACK_METADATA):
            return False
        folders = [folder for folder in path.iterdir() if folder.is_dir()]
    except OSError:  # a folder we may not look into: the walk rejects it
        return False
    return any(SLACK_DAY_FILE.fullmatch(name) for folder in folders for name in _names(folder))


def _names(folder: Path) -> list[str]:
    """The entry names of ``folder``; none when it cannot be read."""
    try:
        return [entry.name for entry in os.scandir(folder)]
    except OSError:
        return []


def _is_media_folder(path: Path) -> bool:
    """DiscordChatExporter saves attachments in ``<export file>_Files`` beside the export."""
    if not path.name.endswith("_Files"):
        return False
    base = path.name[: -len("_Files")]
    return any(p.is_file() and p.name.startswith(base) for p in path.parent.iterdir())


def _kind(path: Path) -> str:
    """``file``, ``folder``, ``missing``, ``broken_link``, ``link_loop``, ``unreadable`` or
    ``special`` (FIFO, socket, device: reading one could block forever)."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return "broken_link" if os.path.islink(path) else "missing"
    except OSError as error:
        if error.errno == errno.ELOOP:
            return "link_loop"
        return "unreadable"
    if stat.S_ISDIR(info.st_mode):
        return "folder"
    if stat.S_ISREG(info.st_mode):
        return "file"
    return "special"


_EXPLICIT_ERRORS = {
    "missing": "no such file or directory",
    "broken_link": "a symbolic link to a file that does not exist",
    "link_loop": "a symbolic link loop",
    "unreadable": "cannot be examined (permission denied)",
    "special": "not a regular file or folder (a FIFO, socket or device)",
}


def _utf8_name(path: Path) -> bool:
    try:
        path.name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


_TELEGRAM_HTML = re.compile(r"messages\d*\.html")


def _telegram_html_error(path: Path) -> InputError:
    return InputError(
        "this is a Telegram HTML export, which cannot be read",
        path=path,
        hint="Export the chat again in Telegram Desktop with Format: 'Machine-readable JSON' "
        "(Export chat history > Format), then pass its result.json",
    )


def discover_inputs(paths: list[Path], skipped: list[tuple[str, str]] | None = None) -> list[Path]:
    """Expand folders into readable units, sorted for a deterministic order.

    A Slack export folder is one unit. Hidden files and our own outputs (``*.report.json``)
    are skipped; a Telegram HTML export (``messages.html`` without ``result.json``) is an
    error that names the JSON export option. Files of one split Discord export
    (``... [part 2].json``) sort by part number. Inside folders, every entry with a chat
    suffix that cannot be read is added to ``skipped`` as ``(path, reason)`` (broken links,
    link loops, FIFOs and devices, unreadable folders, file names that are not UTF-8); each
    folder is visited once by its real identity, so links to parents cannot make the walk
    loop or explode. A path given explicitly that cannot be read is an error.
    """
    units: dict[tuple[int, int], Path] = {}
    seen_folders: set[tuple[int, int]] = set()

    def skip(path: Path, reason: str) -> None:
        if skipped is not None:
            skipped.append((printable_path(path), reason))

    def add(path: Path) -> None:
        info = os.stat(path)
        units.setdefault((info.st_dev, info.st_ino), path)

    for path in paths:
        kind = _kind(path)
        if kind not in ("file", "folder"):
            raise InputError(_EXPLICIT_ERRORS[kind], path=path)
        if not _utf8_name(path):
            raise InputError(
                "the name is not valid UTF-8", path=path, hint="Rename it to a UTF-8 name"
            )
        if kind == "file" and _TELEGRAM_HTML.fullmatch(path.name):
            raise _telegram_html_error(path)
        if kind == "file" or is_slack_folder(path):
            add(path)
            continue
        stack = [path]
        while stack:
            folder = stack.pop()
            info = os.stat(folder)
            if (info.st_dev, info.st_ino) in seen_folders:
                continue
            seen_folders.add((info.st_dev, info.st_ino))
            if is_slack_folder(folder):
                add(folder)
                continue
            try:
                children = sorted(folder.iterdir())
            except OSError:
                skip(folder, "unreadable_folder")
                continue
            names = {child.name for child in children}
            if "messages.html" in names and "result.json" not in names:
                raise _telegram_html_error(folder / "messages.html")
            for child in children:
                if child.name.startswith("."):
                    continue
                kind = _kind(child)
                chat_name = child.suffix.lower() in _SUFFIXES
                if not _utf8_name(child):
                    if chat_name or kind == "folder":
                        skip(child, "file_name_not_utf8")
                elif kind == "folder":
                    if not _is_media_folder(child):
                        stack.append(child)
                elif not chat_name or child.name.endswith(".report.json"):
                    continue
                elif kind == "file":
                    add(child)
                else:
                    skip(child, kind if kind != "special" else "not_a_regular_file")
    if not units:
        shown = ", ".join(printable_path(p) for p in paths)
        raise InputError(
            f"{shown}: no chat exports found (looked for {', '.join(sorted(_SUFFIXES))} files and Slack export folders)"
        )
    return sorted(units.values(), key=_unit_order)


def printable_path(path: str | Path) -> str:
    """A path as text that can always be printed and written (bad bytes become U+FFFD)."""
    return os.fsencode(path).decode("utf-8", "replace")


_PART = re.compile(r"(.*) \[part (\d+)\](\.\w+)$")


def _unit_order(path: Path) -> tuple[str, int, str]:
    """Paths in order, except that ``X [part 10].json`` comes after ``X [part 9].json``."""
    match = _PART.fullmatch(str(path))
    if match is None:
        return (str(path), 0, "")
    return (match.group(1), int(match.group(2)), match.group(3))


def _head(path: Path, encoding: str | None) -> str:
    if path.is_dir() or path.suffix.lower() == ".zip":
        return ""
    with open(path, "rb") as handle:
        data = handle.read(65536)
    return decode_head(data, encoding)


#: What a reader raises when a hostile or broken export has an unexpected shape (a list
#: where a name goes, ``true`` where a list goes): the file is unreadable, not a crash.
_SHAPE_ERRORS = (TypeError, AttributeError, KeyError, IndexError, ValueError, RecursionError)


def read_unit(
    reader: ChatReader, path: Path, options: ReaderOptions, reject: Rejecter
) -> Iterator[pl.DataFrame]:
    """``reader.read`` with a shape error turned into ``InputError`` (one line, or a
    counted ``unreadable_file`` with ``--skip-bad-files``). The message names the error
    type only: its text could quote the file's content."""
    try:
        yield from reader.read(path, options, reject)
    except InputError:
        raise
    except _SHAPE_ERRORS as error:
        raise InputError(
            f"unexpected structure for a {reader.name} export ({type(error).__name__})",
            path=path,
            hint="If this is a real export, please report it",
        ) from None


def detect_format(path: Path, options: ReaderOptions | None = None) -> ChatReader:
    """The first reader that recognises ``path``; a clear error when none does."""
    options = options or ReaderOptions()
    head = _head(path, options.encoding)
    for reader in all_readers().values():
        if reader.sniff(path, head):
            return reader
    if path.suffix.lower() == ".zip":
        # Say what is wrong with the archive (corrupt, encrypted, a bomb) when that is why
        # no reader recognised it.
        from dataprep.chat.readers.archive import read_zip_members

        read_zip_members(
            path, suffixes=(".txt", ".json"), max_member_bytes=options.max_member_bytes
        )
    raise InputError(
        "unknown chat export format",
        path=path,
        hint="You can fix this by passing --input-format with one of: " + ", ".join(reader_names()),
    )
