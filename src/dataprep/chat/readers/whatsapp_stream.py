"""A big WhatsApp export read once, so memory follows a chunk, not the file.

``parse_whatsapp`` decides a few things from every line of a file: the dominant header
format (only its lines start messages), the day/month order (a date field over 12 can only be
a day), the known authors (of one-colon lines) and how often each author candidate recurs
on lines with several colons. Pass 1 reads the file chunk by chunk, parses each chunk's
header fields, keeps only those counts and sets in memory, and spools the parsed chunks to
disk (Arrow IPC, in the run's staging area). Pass 2 reads the spooled chunks back, so the
file is decoded, split into lines and matched against the header pattern once, and parses
each chunk's messages with the decisions fixed, cutting only before a header line so that a
message and its continuation lines stay together. The rows equal ``parse_whatsapp`` on the
whole text (``tests/chat/test_whatsapp_stream.py`` checks every fixture at several chunk
sizes).
"""

from __future__ import annotations

import codecs
import weakref
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from dataprep.chat.readers import Rejecter
from dataprep.chat.readers.whatsapp import (
    DATE_FIELDS,
    Decided,
    build_messages,
    candidate_names,
    decide_order,
    header_fields,
    over_12,
    reject_orphans,
    rest_expr,
    single_authors,
    split_messages,
    with_cuts,
    year_position,
)
from dataprep.clean.spool import Spool
from dataprep.errors import InputError
from dataprep.io import open_input, sniff_encoding
from dataprep.threads import ordered_map

__all__ = ["CHUNK_CHARS", "STREAM_ABOVE_BYTES", "line_frames", "stream_whatsapp", "text_blocks"]

#: Characters parsed at a time (measured: the reader peaks at 264 MB on a 77 MB export).
CHUNK_CHARS = 4 * 2**20
#: Files up to this size are parsed whole in one pass (faster); bigger ones in two passes.
STREAM_ABOVE_BYTES = 16 * 2**20
_BLOCK_BYTES = 4 * 2**20


def text_blocks(path: Path, encoding: str | None) -> Iterator[str]:
    """The file's text in blocks, decoded incrementally (BOM and UTF-16 sniffed first)."""
    with open_input(path) as handle:
        head = handle.read(4096)
        skip = 0
        if encoding is None:
            encoding, skip = sniff_encoding(head)
        try:
            decoder = codecs.getincrementaldecoder(encoding)()
        except LookupError:
            raise InputError(f"unknown encoding {encoding!r}", path=path) from None
        block, lines = head[skip:], 1
        while True:
            final = not block
            try:
                text = decoder.decode(block, final=final)
            except UnicodeDecodeError as error:
                raise InputError(
                    f"cannot decode byte 0x{block[error.start]:02x} as {encoding}",
                    path=path,
                    line=lines + block[: error.start].count(b"\n"),
                    hint="You can fix this by passing --encoding with the file's real encoding (e.g. --encoding cp1252)",
                ) from None
            if text:
                yield text
            if final:
                return
            lines += block.count(b"\n")
            try:
                block = handle.read(_BLOCK_BYTES)
            except OSError as error:
                raise InputError(f"cannot read ({error.strerror})", path=path) from None


def line_frames(blocks: Iterable[str], chunk_chars: int = CHUNK_CHARS) -> Iterator[pl.DataFrame]:
    """Frames of whole lines (``line`` numbered from 1 over the file, ``raw`` without the
    line end); only "\\n" ends a line, as in ``parse_whatsapp``."""
    pending: list[str] = []
    size, first = 0, 1
    for block in blocks:
        pending.append(block)
        size += len(block)
        if size < chunk_chars:
            continue
        text, start = "".join(pending), 0
        while len(text) - start >= chunk_chars:
            cut = text.rfind("\n", start, start + chunk_chars) + 1
            if cut <= start:  # a line longer than a chunk ends further on
                cut = text.find("\n", start + chunk_chars) + 1
                if cut == 0:
                    break
            frame = _lines(text[start:cut], first)
            first += frame.height
            start = cut
            yield frame
        pending, size = [text[start:]], len(text) - start
    text = "".join(pending)
    if text:
        yield _lines(text, first)


def _lines(text: str, first: int) -> pl.DataFrame:
    lines = pl.DataFrame({"raw": [text]}).select(pl.col("raw").str.split("\n")).explode("raw")
    if text.endswith("\n"):
        lines = lines.slice(0, lines.height - 1)
    if "\r" in text:  # else stripping would only copy every line
        lines = lines.with_columns(pl.col("raw").str.strip_suffix("\r"))
    return lines.with_row_index("line", offset=first)


@dataclass
class _Counts:
    """What pass 1 keeps, per header format key: counts, sets and the first header."""

    lines: Counter[int] = field(default_factory=Counter)
    first: dict[int, dict[str, Any]] = field(default_factory=dict)
    over_12: dict[int, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    authors: dict[int, set[str]] = field(default_factory=lambda: defaultdict(set))
    # key -> first candidate -> candidate -> lines (for the recurring-name rule)
    candidates: dict[int, dict[str, Counter[str]]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(Counter))
    )

    def add(self, headers: pl.DataFrame) -> None:
        """Count one chunk's header lines (``_headers_of``)."""
        if headers.height == 0:
            return
        keys = headers.get_column("key").value_counts()
        for key, count in keys.iter_rows():
            self.lines[key] += count
        for row in headers.unique("key", keep="first", maintain_order=True).iter_rows(named=True):
            self.first.setdefault(row["key"], row)
        columns = ("key", *DATE_FIELDS, rest_expr())
        cut = with_cuts(headers.select(columns), body=False)
        # Most chunks hold one header format: then the chunk is its one group, not copied.
        groups = cut.group_by(["key"]) if keys.height > 1 else [((keys.item(0, 0),), cut)]
        for (key,), group in groups:
            self.over_12[key].update(over_12(group))
            self.authors[key].update(single_authors(group).values())
            for rest in group.filter(pl.col("cuts") > 1).get_column("rest").to_list():
                names = candidate_names(rest)
                self.candidates[key][names[0]].update(set(names))

    def decide(self, date_order: str, source: str) -> tuple[int, Decided]:
        if not self.lines:
            raise InputError(
                "no WhatsApp message header found",
                path=source,
                hint="Expected lines like '31/12/23, 21:05 - Name: text' or '[31.12.23, 21:05:09] Name: text'",
            )
        key = min(self.lines, key=lambda k: (-self.lines[k], k))
        sample = self.first[key]
        year_at = year_position(sample)
        order, order_source = decide_order(self.over_12[key], year_at, date_order, source)
        known = self.authors[key]
        recurring: Counter[str] = Counter()
        for first, counts in self.candidates[key].items():
            if first not in known:
                recurring.update(counts)
        decided = Decided(
            order, order_source, len(sample[f"f{year_at}"]), known=known, recurring=recurring
        )
        return key, decided


def _parse_chunk(lines: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame, bool]:
    """A chunk's lines with their header fields, its header lines, and whether it is blank."""
    fields = header_fields(lines)
    headers = fields.filter(pl.col("key").is_not_null())
    # A header line is never blank, so only a chunk without one needs the scan (most have one).
    blank = headers.height == 0 and lines.filter(pl.col("raw").str.strip_chars() != "").height == 0
    return fields, headers, blank


def stream_whatsapp(
    blocks: Callable[[], Iterable[str]],
    source: str,
    *,
    date_order: str = "auto",
    reject: Rejecter | None = None,
    chunk_chars: int = CHUNK_CHARS,
    spool_dir: Path | None = None,
) -> tuple[Decided, Iterator[pl.DataFrame]]:
    """Pass 1 over ``blocks()`` now; the messages frames of pass 2 as they are parsed.

    ``blocks`` is called once and gives the file's text in pieces of any size. The parsed
    chunks wait in a spool in ``spool_dir`` (default: the system's temporary folder), which
    is removed when the frames are exhausted or closed, or the iterator is dropped.
    """
    counts = _Counts()
    empty = True
    spool = Spool(spool_dir)
    try:
        # Header fields are parsed by polars, which releases the GIL: chunks on both cores.
        for fields, headers, blank in ordered_map(_parse_chunk, line_frames(blocks(), chunk_chars)):
            empty = empty and blank
            counts.add(headers)
            spool.add(fields)
        if empty:
            raise InputError("the file is empty", path=source)
        key, decided = counts.decide(date_order, source)
    except BaseException:
        spool.close()
        raise
    frames = _pass_two(spool, key, decided, source, reject)
    # A generator that is never started does not run its ``finally``: drop the spool with it.
    weakref.finalize(frames, spool.close)
    return decided, frames


def _pass_two(
    spool: Spool,
    key: int,
    decided: Decided,
    source: str,
    reject: Rejecter | None,
) -> Iterator[pl.DataFrame]:
    """The messages of each spooled chunk up to its last header line (the rest waits for
    the next chunk); chunks are parsed on helper threads (polars releases the GIL), in order."""

    def parse(job: tuple[pl.DataFrame, Rejecter | None]) -> pl.DataFrame:
        return _messages(job[0], decided, source, job[1])

    try:
        yield from ordered_map(parse, _whole_messages(spool, key, source, reject))
    finally:
        spool.close()


def _whole_messages(
    chunks: Iterable[pl.DataFrame], key: int, source: str, reject: Rejecter | None
) -> Iterator[tuple[pl.DataFrame, Rejecter | None]]:
    """Lines cut before a header, each with the rejecter for orphan lines (first cut only)."""
    carry: pl.DataFrame | None = None
    seen = False
    for chunk in chunks:
        fields = chunk.with_columns(is_header=(pl.col("key") == key).fill_null(False))
        if carry is not None:
            fields = pl.concat([carry, fields], how="vertical_relaxed")
        at = fields.get_column("is_header").arg_true()
        if at.len() == 0 and not seen:  # text before the first header: counted rejects
            reject_orphans(fields.with_columns(message=pl.lit(0)), source, reject)
            carry = None
            continue
        last = int(at[-1]) if at.len() else 0
        if last:
            yield fields.slice(0, last), reject if not seen else None
            seen = True
        carry = fields.slice(last)
    if carry is not None and carry.height:
        yield carry, reject if not seen else None


def _messages(
    fields: pl.DataFrame, decided: Decided, source: str, reject: Rejecter | None
) -> pl.DataFrame:
    """The messages of whole messages' lines (orphans before the first header rejected)."""
    lines = fields.with_columns(message=pl.col("is_header").cum_sum())
    reject_orphans(lines, source, reject)
    return build_messages(*split_messages(lines), source, decided)
