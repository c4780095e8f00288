"""``read_chat``: the source stage that runs the right reader on every input unit."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Literal

import polars as pl
from pydantic import Field

from dataprep.chat.readers import (
    ReaderOptions,
    Rejecter,
    detect_format,
    discover_inputs,
    get_reader,
)
from dataprep.chat.schema import MESSAGE_SCHEMA
from dataprep.context import RunContext
from dataprep.errors import ConfigError, InputError
from dataprep.registry import register
from dataprep.stage import Stage, StageParams

__all__ = ["ReadChat"]


class ReadChatParams(ReaderOptions, StageParams):
    input_format: str = Field(
        default="auto", description="Export format, or auto to detect per file."
    )
    on_unreadable: Literal["fail", "skip"] = Field(
        default="fail",
        description="A file that cannot be read at all: stop with an error, or skip it as a counted reject.",
    )


@register
class ReadChat(Stage):
    """Reads WhatsApp, Telegram, Discord, Slack, WeChat and generic exports into messages."""

    name = "read_chat"
    consumes = "none"
    produces = "messages"
    description = "Read chat exports (auto-detected per file) into a table of messages."
    kind = "source"
    Params = ReadChatParams
    params: ReadChatParams

    def check(self, ctx: RunContext) -> None:
        """Find every input unit now, so a mistyped path fails before any model loads."""
        if not ctx.inputs:
            raise ConfigError("no input paths given")
        if self.params.input_format != "auto":
            get_reader(self.params.input_format)  # unknown names list the valid ones
        self._units = discover_inputs(list(ctx.inputs))

    def process(self, batches: Iterator[pl.DataFrame], ctx: RunContext) -> Iterator[pl.DataFrame]:
        units = self._units
        options = ReaderOptions(**self.params.model_dump(include=set(ReaderOptions.model_fields)))
        ctx.progress.task("read", "Reading exports", total=len(units))
        formats: dict[str, int] = {}
        for unit in units:
            prefix = _location_prefix(unit, ctx.inputs)
            rejects = _RejectBuffer(prefix)
            try:
                for batch in self._read_unit(unit, options, rejects, formats):
                    yield batch.with_columns(
                        pl.col("conversation").str.strip_prefix(prefix),
                        pl.col("source_file").str.strip_prefix(prefix),
                    )
            except InputError as error:
                if self.params.on_unreadable == "fail":
                    raise
                rejects(str(unit), error.line, "unreadable_file", None)
                ctx.warn(f"skipped {unit}: {error}")
            if rejects.rows:
                ctx.reject(self.name, _reject_frame(rejects.rows))
            ctx.progress.advance("read")
        ctx.report[self.name] = {"files": len(units), "formats": dict(sorted(formats.items()))}

    def _read_unit(
        self, unit: Path, options: ReaderOptions, reject: Rejecter, formats: dict[str, int]
    ) -> Iterator[pl.DataFrame]:
        if self.params.input_format == "auto":
            reader = detect_format(unit, options)
        else:
            reader = get_reader(self.params.input_format)
        formats[reader.name] = formats.get(reader.name, 0) + 1
        for batch in reader.read(unit, options, reject):
            if batch.height:
                yield batch.select([pl.col(n).cast(t) for n, t in MESSAGE_SCHEMA.items()])


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

    def __call__(self, source: str, line: int | None, reason: str, raw: str | None) -> None:
        source = source.removeprefix(self.prefix)
        self.rows.append({"source_file": source, "source_line": line, "reason": reason, "raw": raw})


def _reject_frame(rows: list[dict[str, object]]) -> pl.DataFrame:
    return pl.DataFrame(
        rows,
        schema={"source_file": pl.Utf8, "source_line": pl.Int64, "reason": pl.Utf8, "raw": pl.Utf8},
        orient="row",
    )
