"""Slack workspace exports: a folder (or ``.zip``) with ``users.json``, ``channels.json`` and
one subfolder per conversation holding ``YYYY-MM-DD.json`` day files (JSON arrays).

Layout as read by hfaran/slack-export-viewer. Every conversation folder is read, so
channels, private groups, DMs and group DMs all come through; the conversation id is
``<export>#<folder name>``. ``ts`` is a UTC epoch, so Slack times are UTC.
"""

from __future__ import annotations

import json
import os
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import polars as pl

from dataprep.chat.readers import (
    SLACK_DAY_FILE,
    SLACK_METADATA,
    ReaderOptions,
    Rejecter,
    is_slack_folder,
)
from dataprep.chat.readers._reader_kit import (
    MessageBatcher,
    as_object,
    epoch_to_datetime,
    has_json_key,
    parse_json_document,
    whole_input,
)
from dataprep.errors import InputError

__all__ = ["READERS", "SlackReader", "render_markup"]

_DAY_FILE = SLACK_DAY_FILE
_MARKUP = re.compile(r"<([^<>\n]+)>")
_MARKUP_TARGET = re.compile(r"[@#!]\S*|[A-Za-z][\w+.-]*:\S+")

#: Subtypes that are notices, not something a person wrote.
SYSTEM_SUBTYPES = frozenset(
    {
        "channel_join", "channel_leave", "channel_topic", "channel_purpose", "channel_name",
        "channel_archive", "channel_unarchive", "channel_convert_to_private",
        "group_join", "group_leave", "group_topic", "group_purpose", "group_name",
        "group_archive", "group_unarchive", "pinned_item", "unpinned_item",
        "reminder_add", "bot_add", "bot_remove", "bot_enable", "bot_disable",
        "huddle_thread", "sh_room_created", "message_changed",
    }
)  # fmt: skip
DELETED_SUBTYPES = frozenset({"tombstone", "message_deleted"})

#: (source label, file path or member bytes) per export-relative name like ``general/2016-01-15.json``.
ExportFiles = dict[str, tuple[str, Path | bytes]]


def _special_mention(target: str, label: str) -> str:
    # <!here>, <!channel>, <!everyone>, <!subteam^ID|@team>, <!date^...|fallback>
    if label:
        return label
    return "@" + target[1:].split("^", 1)[0]


def render_markup(text: str, users: dict[str, str]) -> str:
    """Slack markup to plain text: ``<@U1>`` -> ``@Name``, ``<url|label>`` -> ``label (url)``."""

    def replace(match: re.Match[str]) -> str:
        target, _, label = match.group(1).partition("|")
        if not _MARKUP_TARGET.fullmatch(target):
            return match.group(0)  # a stray "<...>", not Slack markup
        if target.startswith("@"):
            return "@" + (label or users.get(target[1:], target[1:]))
        if target.startswith("#"):
            return "#" + (label or target[1:])
        if target.startswith("!"):
            return _special_mention(target, label)
        bare = re.sub(r"^(mailto:|https?://)", "", target)
        shown = target.removeprefix("mailto:")
        if not label or label in (target, bare):
            return label or shown
        return f"{label} ({shown})"

    rendered = _MARKUP.sub(replace, text) if "<" in text else text
    # Slack escapes only these three characters in message text.
    return rendered.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def user_names(users: Any) -> dict[str, str]:
    """User id -> real name, else display name, else handle."""
    names: dict[str, str] = {}
    for user in users if isinstance(users, list) else []:
        if not isinstance(user, dict) or not user.get("id"):
            continue
        profile = as_object(user.get("profile"))
        name = (
            user.get("real_name")
            or profile.get("real_name")
            or profile.get("display_name")
            or user.get("name")
            or user["id"]
        )
        names[str(user["id"])] = str(name)
    return names


def _speaker(message: dict[str, Any], users: dict[str, str]) -> tuple[str | None, str | None]:
    """(name, id) of the author; a bot message keeps the bot's own username."""
    user_id = message.get("user") or message.get("bot_id")
    if message.get("subtype") == "bot_message" or (  # == on a list is just False
        not message.get("user") and message.get("bot_id")
    ):
        bot = as_object(message.get("bot_profile"))
        name = message.get("username") or bot.get("name") or users.get(str(user_id))
        return (str(name) if name else user_id), user_id
    profile = as_object(message.get("user_profile"))
    name = users.get(str(user_id)) or profile.get("real_name") or profile.get("display_name")
    return (str(name) if name else user_id), user_id


def _media_text(message: dict[str, Any]) -> str | None:
    """A placeholder naming the files of a message without text, or None."""
    files = [
        f"<file: {item.get('name') or item.get('title') or 'file'}>"
        for item in message.get("files") or []
        if isinstance(item, dict)
    ]
    if not files and message.get("attachments"):
        files.append("<attachment>")
    return " ".join(files) if files else None


def message_row(message: dict[str, Any], users: dict[str, str]) -> dict[str, Any]:
    """One messages-table row (without conversation and source) for a Slack message."""
    subtype = message.get("subtype")
    if not isinstance(subtype, str):  # hostile or broken exports: a list, a number
        subtype = None
    text = render_markup(str(message.get("text") or ""), users)
    speaker, speaker_id = _speaker(message, users)
    kind = "text"
    if subtype in SYSTEM_SUBTYPES:
        kind, speaker = "system", None
    elif subtype in DELETED_SUBTYPES:
        kind = "deleted"
    elif not text.strip():
        placeholder = _media_text(message)
        if placeholder is not None:
            text, kind = placeholder, "media"
    ts, thread_ts = message.get("ts"), message.get("thread_ts")
    return {
        "speaker": speaker,
        "speaker_id": None if speaker_id is None else str(speaker_id),
        "is_me": None,
        "text": text,
        # The part after the dot is a per-channel sequence number, not a fraction of a second.
        "time": epoch_to_datetime(str(ts).split(".", 1)[0]) if ts is not None else None,
        "kind": kind,
        "message_id": None if ts is None else str(ts),
        "reply_to": str(thread_ts) if thread_ts and thread_ts != ts else None,
    }


def _export_prefix(names: list[str]) -> str | None:
    """The folder inside a zip that holds the export: its metadata files (``channels.json``,
    ``users.json``...) or, when those are missing, the conversation folders of day files."""
    for name in sorted(names, key=lambda n: (n.count("/"), n)):
        folder, _, base = name.rpartition("/")
        if base in SLACK_METADATA:
            prefix = folder + "/" if folder else ""
            if any(_is_day_member(other, prefix) for other in names):
                return prefix
    days = set()
    for name in names:
        parts = name.split("/")
        if len(parts) >= 2 and _DAY_FILE.fullmatch(parts[-1]):
            days.add("".join(part + "/" for part in parts[:-2]))
    return days.pop() if len(days) == 1 else None


def _is_day_member(name: str, prefix: str) -> bool:
    """``<prefix><conversation>/<YYYY-MM-DD>.json``."""
    relative = name[len(prefix) :] if name.startswith(prefix) else ""
    return relative.count("/") == 1 and _DAY_FILE.fullmatch(relative.rpartition("/")[2]) is not None


def _folder_files(root: Path, reject: Rejecter) -> ExportFiles:
    """The export's JSON files; a channel folder that cannot be listed is a counted reject
    (``glob`` would skip it silently)."""
    files: ExportFiles = {item.name: (str(item), item) for item in root.glob("*.json")}
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        try:
            items = sorted(folder.glob("*.json")) if os.access(folder, os.R_OK | os.X_OK) else None
        except OSError:
            items = None
        if items is None:
            reject(str(folder), None, "unreadable_folder", None)
            continue
        for item in items:
            files[f"{folder.name}/{item.name}"] = (str(item), item)
    return files


def _zip_files(path: Path, options: ReaderOptions) -> ExportFiles:
    from dataprep.chat.readers.archive import read_zip_members

    members = read_zip_members(path, suffixes=(".json",), max_member_bytes=options.max_member_bytes)
    prefix = _export_prefix([name for name, _ in members])
    if prefix is None:
        raise InputError(
            "not a Slack export: the zip has no conversation folders of day files", path=path
        )
    files: ExportFiles = {}
    for name, data in members:
        relative = name[len(prefix) :]
        if name.startswith(prefix) and relative.count("/") <= 1:
            files[relative] = (f"{path}/{name}", data)
    return files


def _load(entry: tuple[str, Path | bytes], options: ReaderOptions) -> Any:
    label, content = entry
    if isinstance(content, bytes):
        return parse_json_document(label, data=content, encoding=options.encoding)
    return parse_json_document(content, encoding=options.encoding)


def _read_day(
    entry: tuple[str, Path | bytes],
    conversation: str,
    users: dict[str, str],
    options: ReaderOptions,
    reject: Rejecter,
    batcher: MessageBatcher,
) -> Iterator[pl.DataFrame]:
    source = entry[0]
    day = _load(entry, options)
    if not isinstance(day, list):
        raise InputError("not a Slack day file: the top level is not a JSON array", path=source)
    for index, message in enumerate(day, start=1):
        if not isinstance(message, dict):
            reject(
                source,
                index,
                "message_not_an_object",
                json.dumps(message, ensure_ascii=False)[:1000],
            )
            continue
        row = message_row(message, users)
        full = batcher.add(
            conversation=conversation,
            chat=conversation.rpartition("#")[2],
            source_file=source,
            source_line=index,
            **row,
        )
        if full is not None:
            yield full


class SlackReader:
    """Reads Slack workspace exports (folder or zip), or one loose day file."""

    name = "slack"

    def sniff(self, path: Path, head: str) -> bool:
        if path.is_dir():
            return is_slack_folder(path)
        suffix = path.suffix.lower()
        if suffix == ".zip":
            try:
                with zipfile.ZipFile(path) as archive:
                    return _export_prefix(archive.namelist()) is not None
            except (zipfile.BadZipFile, OSError):
                return False
        return (
            _DAY_FILE.fullmatch(path.name) is not None
            and head.lstrip().startswith("[")
            and has_json_key(head, "ts")
        )

    @whole_input
    def read(self, path: Path, options: ReaderOptions, reject: Rejecter) -> Iterator[pl.DataFrame]:
        if path.is_file() and path.suffix.lower() == ".json":
            yield from self._read_loose_day(path, options, reject)
            return
        files = _zip_files(path, options) if path.is_file() else _folder_files(path, reject)
        users_entry = files.get("users.json") or files.get("org_users.json")
        users = user_names(_load(users_entry, options)) if users_entry else {}
        batcher = MessageBatcher()
        for relative in sorted(files):
            folder, _, name = relative.rpartition("/")
            if folder and _DAY_FILE.fullmatch(name):
                yield from _read_day(
                    files[relative], f"{path}#{folder}", users, options, reject, batcher
                )
        yield from batcher.drain()

    def _read_loose_day(
        self, path: Path, options: ReaderOptions, reject: Rejecter
    ) -> Iterator[pl.DataFrame]:
        """A day file given on its own: names come from ``../users.json`` when it exists."""
        export = path.parent.parent
        users_file = export / "users.json"
        users = (
            user_names(parse_json_document(users_file, encoding=options.encoding))
            if users_file.is_file()
            else {}
        )
        batcher = MessageBatcher()
        yield from _read_day(
            (str(path), path), f"{export}#{path.parent.name}", users, options, reject, batcher
        )
        yield from batcher.drain()


READERS = [SlackReader()]
