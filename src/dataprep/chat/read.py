"""``read_chat``: the source stage that runs the right reader on every input unit."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Literal

import polars as pl
from pydantic import Field

from dataprep.chat.batching import DEFAULT_BATCH_ROWS, SESSION_GAP_KEY, session_batches
from dataprep.chat.readers import (
    ReaderOptions,
    Rejecter,
    detect_format,
    discover_inputs,
    get_reader,
    read_unit,
)
from dataprep.chat.schema import MESSAGE_SCHEMA
from dataprep.context import RunContext
from dataprep.errors import ConfigError, InputError
from dataprep.registry import register
from dataprep.stage import FileSource, StageParams

__all__ = ["ReadChat"]


class ReadChatParams(ReaderOptions, StageParams):
    input_format: str = Field(
        default="auto", description="Export format, or auto to detect per file."
    )
    on_unreadable: Literal["fail", "skip"] = Field(
        default="fail",
        description="A file that cannot be read at all: stop with an error, or skip it as a counted reject.",
    )
    since: date | datetime | None = Field(
        default=None,
        description="Keep messages from this date or time on (messages without a time are kept).",
    )
    until: date | datetime | None = Field(
        default=None,
        description="Keep messages up to this time, or to the end of this date.",
    )
    include_chats: list[str] = Field(
        default_factory=list,
        description="Read only these chats: a chat's name (Telegram chat, Discord channel, Slack channel, WhatsApp file) or id, case-insensitive.",
    )
    exclude_chats: list[str] = Field(
        default_factory=list, description="Skip these chats (names or ids, as include_chats)."
    )
    batch_rows: int | None = Field(
        default=DEFAULT_BATCH_ROWS,
        ge=1,
        description="Messages per batch; a batch is cut only between conversations or at a silence longer than the session gap (none: one batch).",
    )


@register
class ReadChat(FileSource):
    """Reads WhatsApp, Telegram, Discord, Slack, WeChat and generic exports into messages,
    each input unit (a file, a Slack folder) on its own."""

    name = "read_chat"
    produces = "messages"
    description = "Read chat exports (auto-detected per file) into a table of messages."
    Params = ReadChatParams
    params: ReadChatParams

    def check(self, ctx: RunContext) -> None:
        """Find every input unit now, so a mistyped path fails before any model loads."""
        if not ctx.inputs:
            raise ConfigError("no input paths given")
        if self.params.input_format != "auto":
            get_reader(self.params.input_format)  # unknown names list the valid ones
        self._skipped: list[tuple[str, str]] = []
        self._units = discover_inputs(list(ctx.inputs), self._skipped)
        #: Units read per format; read_file counts on the instance (on a Ray worker too).
        self._formats: Counter[str] = Counter()

    def files(self, ctx: RunContext) -> list[Path]:
        return list(self._units)

    def combine(self, parts: Iterator[pl.DataFrame], ctx: RunContext) -> Iterator[pl.DataFrame]:
        """Every reader's output, re-cut so that no batch splits a session (see batching)."""
        if self._skipped:  # entries of input folders that cannot be read: counted, not lost
            gone = _RejectBuffer()
            for source, reason in self._skipped:
                gone(source, None, reason, None)
            ctx.reject(self.name, _reject_frame(gone.rows))
        ctx.progress.task("read", "Reading exports", total=len(self._units))
        gap = ctx.shared.get(SESSION_GAP_KEY)
        matched: set[str] = set()
        batches = (self._select(batch, matched, ctx) for batch in parts)
        yield from session_batches(batches, self.params.batch_rows, gap)
        for pattern in self.params.include_chats:
            if pattern.casefold() not in matched:
                ctx.warn(f"--include-chat {pattern!r} matched no chat")
        ctx.report[self.name] = {
            "files": len(self._units),
            "formats": dict(sorted(self._formats.items())),
        }

    def _select(self, batch: pl.DataFrame, matched: set[str], ctx: RunContext) -> pl.DataFrame:
        """Apply --include-chat/--exclude-chat and --since/--until (counted rejects)."""
        params = self.params
        if params.include_chats:
            hits = _chat_matches(params.include_chats)
            for pattern in params.include_chats:
                if batch.select(_chat_matches([pattern]).any()).item():
                    matched.add(pattern.casefold())
            batch = self.keep_or_reject(batch, hits, "chat_not_included", ctx)
        if params.exclude_chats:
            batch = self.keep_or_reject(
                batch, ~_chat_matches(params.exclude_chats), "chat_excluded", ctx
            )
        time = pl.col("time")
        if params.since is not None:
            batch = self.keep_or_reject(
                batch, time.is_null() | (time >= _start(params.since)), "before_since", ctx
            )
        if params.until is not None:
            batch = self.keep_or_reject(
                batch, time.is_null() | (time < _end(params.until)), "after_until", ctx
            )
        return batch

    def read_file(self, path: Path, ctx: RunContext) -> Iterator[pl.DataFrame]:
        """One input unit's messages, paths starting at the input's own name; a unit that
        cannot be read fails the run or, with ``on_unreadable=skip``, is a counted reject."""
        options = ReaderOptions(
            **self.params.model_dump(include=set(ReaderOptions.model_fields))
        ).spooling_in(ctx.spool_dir())
        prefix = _location_prefix(path, ctx.inputs)
        rejects = _RejectBuffer(prefix)
        try:
            try:
                for batch in self._read_unit(path, options, rejects):
                    yield batch.with_columns(
                        pl.col("conversation").str.strip_prefix(prefix),
                        pl.col("source_file").str.strip_prefix(prefix),
                    )
            except OSError as error:  # unreadable file, I/O error
                raise InputError(f"cannot read ({error.strerror or error})", path=path) from None
        except InputError as error:
            if self.params.on_unreadable == "fail":
                raise
            rejects(str(path), error.line, "unreadable_file", None)
            reason = str(error)
            if error.path:
                reason = reason.replace(error.path, ctx.path_label(error.path))
            ctx.warn(f"skipped {ctx.path_label(path)}: {reason}")
        for source, warning in rejects.warnings:
            ctx.warn(f"{ctx.path_label(source)}: {warning}")
        if rejects.rows:
            ctx.reject(self.name, _reject_frame(rejects.rows))
        ctx.progress.advance("read")

    def _read_unit(
        self, unit: Path, options: ReaderOptions, reject: Rejecter
    ) -> Iterator[pl.DataFrame]:
        if self.params.input_format == "auto":
            reader = detect_format(unit, options)
        else:
            reader = get_reader(self.params.input_format)
        self._formats[reader.name] += 1
        for batch in read_unit(reader, unit, options, reject):
            if batch.height:
                yield batch.select([pl.col(n).cast(t) for n, t in MESSAGE_SCHEMA.items()])


def _chat_matches(patterns: list[str]) -> pl.Expr:
    """Rows whose chat name, chat id (the conversation id's last part) or whole conversation
    id equals one of ``patterns``, ignoring case."""
    wanted = [p.strip().casefold() for p in patterns]
    conversation = pl.col("conversation").str.to_lowercase()
    chat_id = conversation.str.extract(r"(?:#|^discord:)([^#]*)$")
    return (
        pl.col("chat").str.to_lowercase().is_in(wanted)
        | chat_id.is_in(wanted)
        | conversation.is_in(wanted)
    ).fill_null(False)


def _naive(moment: datetime) -> datetime:
    """Exports carry wall-clock times without a zone; so does a bound given with one."""
    return moment.replace(tzinfo=None)


def _start(bound: date | datetime) -> datetime:
    if isinstance(bound, datetime):
        return _naive(bound)
    return datetime(bound.year, bound.month, bound.day)


def _end(bound: date | datetime) -> datetime:
    """The first moment after ``bound``: a date includes its whole day."""
    if isinstance(bound, datetime):
        return _naive(bound) + timedelta(microseconds=1)
    return datetime(bound.year, bound.month, bound.day) + timedelta(days=1)


def _location_prefix(unit: Path, inputs: list[Path]) -> str:
    """What to strip from a unit's path so that recorded paths start at the input's own name.

    ``dataprep chat /home/me/exports`` and ``dataprep chat exports`` then both record
    ``exports/whatsapp/chat.txt``: sample ids and split assignment (hashes of these names) do
    not depend on the working directory or on where the exports live.
    """
    for root in inputs:
        if unit == root or root in unit.parents:
            base = str(root.parent)
            return "" if base in ("", ".") else base.rstrip("/") + "/"
    return ""


class _RejectBuffer:
    """The ``Rejecter`` handed to readers: collects rejected lines of one input unit."""

    def __init__(self, prefix: str = "") -> None:
        self.prefix = prefix
        self.rows: list[dict[str, object]] = []
        self.warnings: list[tuple[str, str]] = []

    def warn(self, source: str, message: str) -> None:
        self.warnings.append((source.removeprefix(self.prefix), message))

    def __call__(self, source: str, line: int | None, reason: str, raw: str | None) -> None:
        source = source.removeprefix(self.prefix)
        self.rows.append({"source_file": source, "source_line": line, "reason": reason, "raw": raw})


def _reject_frame(rows: list[dict[str, object]]) -> pl.DataFrame:
    return pl.DataFrame(
        rows,
        schema={"source_file": pl.Utf8, "source_line": pl.Int64, "reason": pl.Utf8, "raw": pl.Utf8},
        orient="row",
    )
