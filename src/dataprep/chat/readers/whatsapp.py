"""WhatsApp "Export chat" files (``.txt``, or the phone's ``.zip`` with the chat inside).

There is no single WhatsApp format: date order, 12/24 h clock, brackets, separators and
invisible marks vary by phone and locale. The header format is inferred ONCE per file from
all its header-like lines; only lines in that dominant format start a message, every other
line continues the previous one. The file is parsed with vectorised polars expressions
(one regex pass over a frame of lines), so a million messages take seconds. A file over
``whatsapp_stream.STREAM_ABOVE_BYTES`` is read once in bounded chunks (the format decided
from every line first, the parsed chunks spooled to disk meanwhile), so memory does not grow
with the export.
"""

from __future__ import annotations

import re
import zipfile
import zlib
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import polars as pl

from dataprep.chat.readers import ReaderOptions, Rejecter, reader_warning
from dataprep.chat.readers.archive import check_member, read_zip_members
from dataprep.chat.readers.whatsapp_strings import (
    ANDROID_MEDIA,
    DELETED,
    FILE_ATTACHED,
    IOS_DOCUMENT,
    IOS_MEDIA,
    LIVE_LOCATION,
    LOCATION_PREFIXES,
    MISSED_CALLS_BY_LANGUAGE,
    VIEW_ONCE,
    alternation,
)
from dataprep.chat.schema import MESSAGE_SCHEMA
from dataprep.errors import InputError
from dataprep.io import decode_bytes, decode_head

__all__ = ["READERS", "WhatsAppFormat", "WhatsAppReader", "parse_whatsapp"]

# Invisible direction and isolate marks WhatsApp puts around lines, phone numbers and
# attachments (U+200E/F, U+202A..U+202E, U+2066..U+2069) plus a stray BOM.
_MARK_CHARS = "\u200e\u200f\u202a-\u202e\ufeff\u2066-\u2069"
_MARKS = f"[{_MARK_CHARS}]*"
# NBSP (Android, issue Pustur #224) and NARROW NBSP (iOS 17+, Pustur #248) inside times.
_SPACE = "[ \u00a0\u202f]"

# 12-hour markers after the time (English, Spanish "a. m.", German, Greek, Vietnamese,
# Swedish, Hungarian, Arabic) and before it (Chinese, Japanese, Korean).
_AMPM_AFTER = (
    f"[aApP]\\.?{_SPACE}?[mM]\\.?|vorm\\.|nachm\\.|π\\.μ\\.|μ\\.μ\\.|SA|CH|fm|em|de\\.|du\\.|ص|م"
)
_AMPM_BEFORE = "上午|下午|午前|午後|오전|오후"
#: The afternoon markers among them (a 12-hour time with one of these is PM).
PM_MARKERS = r"^(?:[pP]|nachm|μ\.μ|CH|em|du|م|下午|午後|오후)"
# Words some locales put between date and time: Finnish "klo", French "à", German "um".
_DATE_TIME_WORD = "klo|à|um|às|at"

# Only the header prefix is captured: capturing ".*$" too would make the regex engine walk
# every long line with its slow capture machinery (measured 2.4x slower on 1M lines).
# Dates may have spaces after the separators and a trailing dot ("13. 6. 2018."); the year
# may come first, last, or in the middle ("06/2018/13"); the time may end with a dot.
HEADER_PATTERN = (
    f"^(?P<head>{_MARKS}(?P<open>\\[)?{_MARKS}"
    f"(?P<f1>\\d{{1,4}})(?P<s1>[./-]){_SPACE}?(?P<f2>\\d{{1,4}})(?P<s2>[./-]){_SPACE}?"
    r"(?P<f3>\d{1,4})\.?"
    f"(?:,{_SPACE}*|{_SPACE}+(?:(?:{_DATE_TIME_WORD}){_SPACE}+)?){_MARKS}"
    f"(?:(?P<ampm_pre>{_AMPM_BEFORE}){_SPACE}?)?"
    r"(?P<hour>\d{1,2})[:.](?P<minute>\d{2})(?:[:.](?P<second>\d{2}))?\.?"
    f"(?:{_SPACE}*(?P<ampm>{_AMPM_AFTER}))?{_MARKS}"
    f"(?:(?P<close>\\])|{_SPACE}+(?P<dash>[-\u2013])|(?P<colon>:)){_MARKS}{_SPACE}?)"
)
_HEADER_RE = re.compile(HEADER_PATTERN)

_BRACKETED = f"[<‹]{_SPACE}*(?:{{}}){_SPACE}*[>›]"
_OPTIONALLY_BRACKETED = f"[<‹]?{_MARKS}(?:{{}}){_MARKS}[>›]?"
# An attachment: a caption on the following lines is kept as the message's text.
_ATTACHMENT_PATTERN = (
    f"(?i)^{_MARKS}\\s*(?:"
    + _BRACKETED.format(alternation(ANDROID_MEDIA))
    + "|"
    + _OPTIONALLY_BRACKETED.format(alternation(IOS_MEDIA))
    + f"|(?:.+ )?(?:{alternation(IOS_DOCUMENT)})"
    + r"|<attached: [^>]*>"
    + f"|.+ <{_MARKS}attached>"
    + f"|.+ \\((?:{alternation(FILE_ATTACHED)})\\)"
    + f"){_MARKS}\\s*$"
)
# Never text, whatever follows: view-once media, polls (their options follow on the next
# lines) and shared locations.
_NOT_TEXT_PATTERN = (
    f"(?i)^{_MARKS}\\s*(?:"
    + _OPTIONALLY_BRACKETED.format(alternation(VIEW_ONCE))
    + r"|POLL:|[^:]{1,40}: https://maps\.google\.com/\?q=\S+"
    + f"|(?:{alternation(LOCATION_PREFIXES)}){_SPACE}*https?://\\S+"
    + f"|{alternation(LIVE_LOCATION)}"
    + f"){_MARKS}\\s*$"
)
_DELETED_PATTERN = f"(?i)^{_MARKS}\\s*(?:(?:{alternation(DELETED)})\\.?|null){_MARKS}\\s*$"
_CALL_PATTERN = f"(?i)^{_MARKS}\\s*(?:{alternation(MISSED_CALLS_BY_LANGUAGE)})\\.?{_MARKS}\\s*$"

DateOrder = Literal["dmy", "mdy", "ymd", "dym", "myd"]


@dataclass(frozen=True)
class WhatsAppFormat:
    """The header format inferred for one file, and how the date order was decided."""

    bracketed: bool
    separator: str
    date_separator: str
    year_digits: int
    seconds: bool
    twelve_hour: bool
    #: Field order: d(ay), m(onth), y(ear); the year may sit in the middle ("dym", "myd").
    date_order: DateOrder
    #: "given" (--date-order), "inferred" (a value over 12), or "ambiguous" (defaulted to dmy).
    date_order_source: Literal["given", "inferred", "ambiguous"]
    header_lines: int
    invalid_dates: int


def header_fields(lines: pl.DataFrame) -> pl.DataFrame:
    """Extract header parts from every line and give each header-like line a format key.

    The key is a small integer (bracket or dash kind, date separator, year position and
    width, seconds, AM/PM) so that counting formats over a million lines stays cheap.
    """
    frame = lines.with_columns(pl.col("raw").str.extract_groups(HEADER_PATTERN).alias("h")).unnest(
        "h"
    )
    frame = frame.with_columns(pl.coalesce("ampm_pre", "ampm").alias("ampm")).drop("ampm_pre")
    f1_len, f2_len, f3_len = (pl.col(n).str.len_bytes() for n in ("f1", "f2", "f3"))
    valid = (
        (pl.col("s1") == pl.col("s2"))
        & (pl.col("open").is_null() == pl.col("close").is_null())
        & pl.when(f1_len == 4)
        .then((f2_len <= 2) & (f3_len <= 2))
        .when(f2_len == 4)
        .then((f1_len <= 2) & (f3_len <= 2))
        .otherwise((f1_len <= 2) & (f2_len <= 2) & f3_len.is_in([2, 4]))
    )
    year_position = pl.when(f1_len == 4).then(0).when(f2_len == 4).then(1).otherwise(f3_len)
    code = (
        pl.col("close").is_not_null().cast(pl.Int32)
        + 2 * (pl.col("dash") == "\u2013").fill_null(False).cast(pl.Int32)
        + 4 * pl.col("s1").replace_strict({".": 0, "/": 1, "-": 2}, return_dtype=pl.Int32)
        + 16 * year_position.cast(pl.Int32)
        + 128 * pl.col("second").is_not_null().cast(pl.Int32)
        + 256 * pl.col("ampm").is_not_null().cast(pl.Int32)
        + 512 * pl.col("colon").is_not_null().cast(pl.Int32)
    )
    return frame.with_columns(pl.when(valid).then(code).alias("key"))


DATE_FIELDS = ("f1", "f2", "f3")


def over_12(headers: pl.DataFrame) -> dict[str, int]:
    """How many headers have each date field above 12 (only a day can be)."""
    return headers.select((pl.col(n).cast(pl.Int32) > 12).sum().alias(n) for n in DATE_FIELDS).row(
        0, named=True
    )


def decide_order(
    over: Mapping[str, int], year_at: int, given: str, source: str
) -> tuple[DateOrder, Literal["given", "inferred", "ambiguous"]]:
    """Day/month order from all header dates at once: a value over 12 can only be a day.

    ``over`` counts the headers whose field is above 12 (``over_12``); ``year_at`` is the
    year's field (1, 2 or 3). A year first is always ymd; otherwise
    ``given`` (dmy or mdy) says whether the day comes before the month.
    """
    if year_at == 1:
        return "ymd", "given" if given == "ymd" else "inferred"
    day_first: DateOrder = "dym" if year_at == 2 else "dmy"
    month_first: DateOrder = "myd" if year_at == 2 else "mdy"
    if given == "ymd":
        raise InputError(
            "date order ymd does not fit: this file's dates do not start with the year",
            path=source,
            hint="You can fix this by passing --date-order dmy or mdy (or auto)",
        )
    if given in ("dmy", "mdy"):
        return (day_first if given == "dmy" else month_first), "given"
    other = "f2" if year_at == 3 else "f3"
    stats = {"mdy_bad": over["f1"], "dmy_bad": over[other]}
    if stats["mdy_bad"] == 0 and stats["dmy_bad"] == 0:
        return day_first, "ambiguous"
    if stats["mdy_bad"] < stats["dmy_bad"]:
        return month_first, "inferred"
    return day_first, "inferred"


def _time_expr(order: str, year_digits: int) -> pl.Expr:
    """Build the timestamp with integer arithmetic; an impossible date or time gives null.

    Days since 1970 come from Howard Hinnant's ``days_from_civil``: no per-row calendar
    call, so a million headers take milliseconds.
    """
    names = {
        "dmy": ("f3", "f2", "f1"),
        "mdy": ("f3", "f1", "f2"),
        "ymd": ("f1", "f2", "f3"),
        "dym": ("f2", "f3", "f1"),
        "myd": ("f2", "f1", "f3"),
    }[order]
    year, month, day = (pl.col(n).cast(pl.Int64) for n in names)
    if year_digits == 2:
        year = year + 2000
    hour = pl.col("hour").cast(pl.Int64)
    # 12-hour clocks: 12 AM is 0 h, 12 PM is 12 h; "00:08 a. m." (seen in real exports) stays 0 h.
    is_pm = pl.col("ampm").str.contains(PM_MARKERS).cast(pl.Int64)
    hour = pl.when(pl.col("ampm").is_null()).then(hour).otherwise(hour % 12 + 12 * is_pm)
    minute = pl.col("minute").cast(pl.Int64)
    second = pl.col("second").cast(pl.Int64).fill_null(0)
    leap = ((year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))).cast(pl.Int64)
    month_days = (
        pl.when(month == 2).then(28 + leap).when(month.is_in([4, 6, 9, 11])).then(30).otherwise(31)
    )
    valid = (
        month.is_between(1, 12)
        & day.is_between(1, month_days)
        & hour.is_between(0, 23)
        & minute.is_between(0, 59)
        & second.is_between(0, 59)
    )
    shifted = year - (month <= 2).cast(pl.Int64)
    era = shifted // 400
    year_of_era = shifted - era * 400
    day_of_year = (153 * (month + pl.when(month > 2).then(-3).otherwise(9)) + 2) // 5 + day - 1
    day_of_era = year_of_era * 365 + year_of_era // 4 - year_of_era // 100 + day_of_year
    days = era * 146097 + day_of_era - 719468
    micros = (days * 86400 + hour * 3600 + minute * 60 + second) * 1_000_000
    return pl.when(valid).then(micros).cast(pl.Datetime("us"))


def _split_lines(text: str) -> pl.DataFrame:
    """One row per line (1-based ``line``); only "\\n" ends a line, as in WhatsApp itself."""
    lines = pl.DataFrame({"raw": [text]}).select(pl.col("raw").str.split("\n")).explode("raw")
    if text.endswith("\n"):
        lines = lines.slice(0, lines.height - 1)
    if "\r" in text:
        lines = lines.with_columns(pl.col("raw").str.strip_suffix("\r"))
    return lines.with_row_index("line", offset=1)


_MARK_RE = re.compile(f"[{_MARK_CHARS}]")


def _clean_name(name: str) -> str:
    """A display name without direction marks; NBSPs inside phone numbers become spaces."""
    return _MARK_RE.sub("", name).replace("\u00a0", " ").replace("\u202f", " ").strip()


def _cut_points(rest: str) -> list[int]:
    """Positions of every ":" that may end the author: each ": " and a ":" ending the line."""
    cuts = [m.start() for m in re.finditer(": ", rest)]
    if rest.endswith(":"):
        cuts.append(len(rest) - 1)
    return cuts


def candidate_names(rest: str) -> list[str]:
    """The author candidates of a line with several ``:`` cuts, first cut first."""
    return [_clean_name(rest[:cut]) for cut in _cut_points(rest)]


def _resolve_ambiguous(
    rests: list[str], known: set[str], recurring: Counter[str] | None = None
) -> tuple[list[str], list[str]]:
    """Authors for lines with several ``: `` candidates.

    A first candidate seen as an author on a one-colon line wins. Otherwise the longest
    candidate recurring on two or more such lines wins (a contact saved as "Work: Bob" is a
    candidate on all of Bob's lines, while texts after it differ); else the first candidate.
    ``recurring`` counts those lines per candidate over the whole file when the caller
    parses it in chunks; otherwise it is counted over ``rests``.
    """
    split = [(rest, _cut_points(rest)) for rest in rests]
    named = [[_clean_name(rest[:cut]) for cut in cuts] for rest, cuts in split]
    if recurring is None:
        recurring = Counter()
        for names in named:
            if names[0] not in known:
                recurring.update(set(names))
    speakers: list[str] = []
    texts: list[str] = []
    for (rest, cuts), names in zip(split, named, strict=True):
        chosen = 0
        if names[0] not in known:
            repeated = [i for i, name in enumerate(names) if recurring[name] >= 2]
            chosen = max(repeated, key=lambda i: len(names[i]), default=0)
        speakers.append(names[chosen])
        texts.append(rest[cuts[chosen] + 2 :])
    return speakers, texts


def with_cuts(headers: pl.DataFrame, *, body: bool = True) -> pl.DataFrame:
    """Add ``cuts`` (author candidates), and ``speaker`` (raw) and ``body`` where there is one.

    ``body=False`` adds only ``cuts`` and ``speaker`` (what the streaming reader's first pass
    counts), which skips most of the string work.
    """
    rest = pl.col("rest")
    # Group events whose free text (a subject) may contain ": " are never authored.
    template = (
        rest.str.contains(" changed the subject ", literal=True)
        | rest.str.contains(' created group "', literal=True)
    ) & rest.str.ends_with('"')
    at_end = rest.str.ends_with(":")
    headers = headers.with_columns(
        cuts=pl.when(template)
        .then(0)
        .otherwise(rest.str.count_matches(": ", literal=True) + at_end.cast(pl.UInt32)),
        parts=rest.str.splitn(": ", 2),
    )
    single = pl.col("cuts") == 1
    only_end = at_end & ~rest.str.contains(": ", literal=True)
    speaker = pl.when(single).then(
        pl.when(only_end).then(rest.str.strip_suffix(":")).otherwise(pl.col("parts").struct[0])
    )
    if not body:
        return headers.with_columns(speaker=speaker).drop("parts")
    headers = headers.with_columns(
        speaker=speaker,
        body=pl.when(single).then(
            pl.when(only_end).then(pl.lit("")).otherwise(pl.col("parts").struct[1])
        ),
    ).drop("parts")
    return headers.with_columns(
        glued=(pl.col("cuts") == 0) & ~template & rest.str.contains(":", literal=True)
    )


def single_authors(headers: pl.DataFrame) -> dict[str, str]:
    """Raw -> cleaned name of the authors of one-colon lines (``headers`` from ``with_cuts``)."""
    raw_names = headers.get_column("speaker").drop_nulls().unique().to_list()
    return {name: _clean_name(name) for name in raw_names}


def _split_authors(
    headers: pl.DataFrame,
    known: set[str] | None = None,
    recurring: Counter[str] | None = None,
) -> pl.DataFrame:
    """Separate author and text; lines with no author become system lines (speaker null).

    A line with exactly one candidate ``:`` is unambiguous; its authors form the set of known
    participants that resolves the others (names may contain ": ", and "John Doe:." glues
    the text to the colon). ``known`` and ``recurring`` come from the whole file when it is
    parsed in chunks (``whatsapp_stream``).
    """
    headers = with_cuts(headers)
    cleaned = single_authors(headers)
    if known is None:
        known = set(cleaned.values())
    headers = headers.with_columns(
        pl.col("speaker").replace_strict(cleaned, default=None, return_dtype=pl.Utf8)
    )
    headers = _resolve_rows(headers, pl.col("glued"), known, _glued_author)

    def ambiguous(rests: list[str], names: set[str]) -> tuple[list[str], list[str]]:
        return _resolve_ambiguous(rests, names, recurring)

    headers = _resolve_rows(headers, pl.col("cuts") > 1, known, ambiguous)
    return headers.with_columns(pl.col("body").fill_null(pl.col("rest"))).drop("glued")


def _glued_author(rests: list[str], known: set[str]) -> tuple[list[str | None], list[str | None]]:
    """``John Doe:.``: the text glued to the colon, trusted only for a known author."""
    speakers: list[str | None] = []
    texts: list[str | None] = []
    for rest in rests:
        name, _, text = rest.partition(":")
        if _clean_name(name) in known:
            speakers.append(_clean_name(name))
            texts.append(text)
        else:
            speakers.append(None)
            texts.append(None)
    return speakers, texts


Resolver = Callable[[list[str], set[str]], tuple[list[Any], list[Any]]]


def _resolve_rows(
    headers: pl.DataFrame, rows: pl.Expr, known: set[str], resolve: Resolver
) -> pl.DataFrame:
    """Run ``resolve`` in Python on the (few) rows selected by ``rows``."""
    mask = headers.select(rows.fill_null(False)).to_series()
    if not mask.any():
        return headers
    index = mask.arg_true()
    speakers, texts = resolve(headers.get_column("rest").gather(index).to_list(), known)
    return headers.with_columns(
        headers.get_column("speaker").scatter(index, speakers),
        headers.get_column("body").scatter(index, texts),
    )


def _kind_expr() -> pl.Expr:
    """Kind from the message's first line: deleted, system (no author, or a call event),
    media, else text. An attachment with a caption on the next lines is text (the caption).
    """
    body = pl.col("body")
    attachment = body.str.contains(_ATTACHMENT_PATTERN)
    return (
        pl.when(body.str.contains(_DELETED_PATTERN))
        .then(pl.lit("deleted"))
        .when(pl.col("speaker").is_null() | body.str.contains(_CALL_PATTERN))
        .then(pl.lit("system"))
        .when(body.str.contains(_NOT_TEXT_PATTERN) | (attachment & pl.col("more").is_null()))
        .then(pl.lit("media"))
        .when(attachment)
        .then(pl.lit("caption"))
        .otherwise(pl.lit("text"))
    )


def _text_expr() -> pl.Expr:
    """The message text: the first line and the following ones; a caption alone."""
    whole = pl.concat_str([pl.col("body"), pl.col("more")], separator="\n")
    return (
        pl.when(pl.col("more").is_null())
        .then(pl.col("body"))
        .when(pl.col("kind") == "caption")
        .then(pl.col("more"))
        .otherwise(whole)
    )


def parse_whatsapp(
    text: str,
    source: str,
    *,
    date_order: Literal["auto", "dmy", "mdy", "ymd"] = "auto",
    reject: Rejecter | None = None,
) -> tuple[pl.DataFrame, WhatsAppFormat]:
    """Parse one decoded export into the messages table and the format it was read with.

    Lines before the first message header go to ``reject``; nothing else is dropped.
    """
    if not text.strip():
        raise InputError("the file is empty", path=source)
    headers, continuations = _find_messages(_split_lines(text), source, reject)
    sample = headers.row(0, named=True)
    decided = decide_format(sample, headers, date_order, source)
    frame = build_messages(headers, continuations, source, decided)
    return frame, decided.described(sample, frame.height, frame.get_column("time").null_count())


@dataclass(frozen=True)
class Decided:
    """What a parse decides from the whole file: date order, year width, known authors."""

    order: DateOrder
    order_source: Literal["given", "inferred", "ambiguous"]
    year_digits: int
    known: set[str] | None = None
    recurring: Counter[str] | None = None

    def described(self, sample: dict[str, Any], header_lines: int, invalid: int) -> WhatsAppFormat:
        return WhatsAppFormat(
            bracketed=sample["open"] is not None,
            separator="]" if sample["close"] else sample["dash"] or sample["colon"],
            date_separator=sample["s1"],
            year_digits=self.year_digits,
            seconds=sample["second"] is not None,
            twelve_hour=sample["ampm"] is not None,
            date_order=self.order,
            date_order_source=self.order_source,
            header_lines=header_lines,
            invalid_dates=invalid,
        )


def year_position(sample: dict[str, Any]) -> int:
    """The field (1, 2 or 3) of a header's four-digit year; 3 when none has four digits."""
    return next((i for i, n in enumerate(("f1", "f2", "f3"), 1) if len(sample[n]) == 4), 3)


def decide_format(
    sample: dict[str, Any], headers: pl.DataFrame, date_order: str, source: str
) -> Decided:
    """Date order and year width from the first header and every header's date fields."""
    year_at = year_position(sample)
    order, order_source = decide_order(over_12(headers), year_at, date_order, source)
    return Decided(order, order_source, len(sample[f"f{year_at}"]))


def build_messages(
    headers: pl.DataFrame, continuations: pl.DataFrame, source: str, decided: Decided
) -> pl.DataFrame:
    """The messages table of header rows and their joined continuation lines."""
    headers = _split_authors(
        headers.with_columns(rest_expr()).drop("raw", "head"), decided.known, decided.recurring
    )
    headers = headers.join(continuations, on="message", how="left", maintain_order="left")
    headers = headers.with_columns(_kind_expr().alias("kind"))
    frame = headers.select(
        conversation=pl.lit(source),
        chat=pl.lit(chat_name(source)),
        speaker=pl.col("speaker"),
        text=_text_expr(),
        time=_time_expr(decided.order, decided.year_digits),
        kind=pl.col("kind").replace("caption", "text"),
        source_file=pl.lit(source),
        source_line=pl.col("line").cast(pl.Int64),
    )
    absent = [
        pl.lit(None, dtype=t).alias(n) for n, t in MESSAGE_SCHEMA.items() if n not in frame.columns
    ]
    return frame.with_columns(absent).select(list(MESSAGE_SCHEMA))


# Export file names: "WhatsApp Chat with Ana.txt", "WhatsApp Chat - Family.zip", and their
# translations (from mlomb/chat-analytics' FilenamePatterns).
_FILE_PREFIXES = re.compile(
    r"^(?:WhatsApp Chat with |WhatsApp Chat - |Chat de WhatsApp con |Чат WhatsApp с "
    r"|Chat WhatsApp con |Conversa no WhatsApp com |Conversa do WhatsApp com "
    r"|WhatsApp Chat mit |Discussion WhatsApp avec )",
    re.IGNORECASE,
)


def chat_name(source: str) -> str:
    """The chat's name from the export's file name (the zip's for a ``_chat.txt`` inside)."""
    archive, _, member = source.rpartition("!/")
    name = Path(member).stem
    if name.lstrip("_").lower() == "chat" and archive:
        name = Path(archive).stem
    return _FILE_PREFIXES.sub("", name.replace("_", " ") if "WhatsApp_" in name else name)


def rest_expr() -> pl.Expr:
    """The line after its header: author and text."""
    return pl.col("raw").str.slice(pl.col("head").str.len_chars()).alias("rest")


def _find_messages(
    lines: pl.DataFrame, source: str, reject: Rejecter | None
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Header rows in the file's dominant format, and the other lines joined per message."""
    lines = header_fields(lines)
    counts = (
        lines.get_column("key")
        .drop_nulls()
        .value_counts()
        .sort(["count", "key"], descending=[True, False])
    )
    if counts.height == 0:
        raise InputError(
            "no WhatsApp message header found",
            path=source,
            hint="Expected lines like '31/12/23, 21:05 - Name: text' or '[31.12.23, 21:05:09] Name: text'",
        )
    is_header = (pl.col("key") == counts.row(0)[0]).fill_null(False)
    lines = lines.with_columns(is_header.alias("is_header")).with_columns(
        message=pl.col("is_header").cum_sum()
    )
    reject_orphans(lines, source, reject)
    return split_messages(lines)


def split_messages(lines: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Header rows, and the other lines of each message joined (``is_header``/``message`` set)."""
    continuations = (
        lines.filter(~pl.col("is_header") & (pl.col("message") > 0))
        .group_by("message", maintain_order=True)
        .agg(pl.col("raw").str.join("\n").alias("more"))
    )
    headers = lines.filter("is_header").select("line", "message", "raw", "head", *HEADER_FIELDS)
    return headers, continuations


HEADER_FIELDS = (
    "open", "f1", "s1", "f2", "f3", "hour", "minute", "second", "ampm", "close", "dash", "colon",
)  # fmt: skip


def reject_orphans(lines: pl.DataFrame, source: str, reject: Rejecter | None) -> None:
    """Non-blank lines before the first header belong to no message: counted rejects."""
    orphans = lines.filter(pl.col("message") == 0).filter(pl.col("raw").str.strip_chars() != "")
    if reject is not None:
        for line, raw in orphans.select("line", "raw").iter_rows():
            reject(source, line, "text before the first message header", raw)


def _looks_like_chat(head: str) -> bool:
    """True when ``head`` starts like a WhatsApp export.

    Exports begin with a header line; a file someone prefixed with a title still counts
    when at least 3 of its first 20 non-blank lines are headers.
    """
    lines = [line.rstrip("\r") for line in head.split("\n", 200)[:200] if line.strip()][:20]
    hits = [bool((m := _HEADER_RE.match(line)) and m["s1"] == m["s2"]) for line in lines]
    return bool(hits) and (hits[0] or sum(hits) >= 3)


def _decode_head(data: bytes) -> str:
    """Best-effort text of a member's first bytes, for detection only (BOM/UTF-16 aware)."""
    return decode_head(data)


def _sniffable(path: Path, info: zipfile.ZipInfo) -> bool:
    """Whether a member may be opened to look at its head (no bomb, no unsafe method)."""
    try:
        check_member(path, info)
    except InputError:
        return False
    return True


def _parse_and_warn(
    text: str, source: str, options: ReaderOptions, reject: Rejecter
) -> pl.DataFrame:
    """Parse one export; an ambiguous day/month order is read day-first with a warning."""
    frame, found = parse_whatsapp(text, source, date_order=options.date_order, reject=reject)
    if found.date_order_source == "ambiguous":
        _warn_ambiguous(reject, source)
    return frame


def _stream_and_warn(
    path: Path, options: ReaderOptions, reject: Rejecter
) -> Iterator[pl.DataFrame]:
    """A big export in two passes, the second over the first's spooled chunks
    (``whatsapp_stream``): frames of a bounded size."""
    from dataprep.chat.readers import whatsapp_stream as stream

    decided, frames = stream.stream_whatsapp(
        lambda: stream.text_blocks(path, options.encoding),
        str(path),
        date_order=options.date_order,
        reject=reject,
        chunk_chars=stream.CHUNK_CHARS,
        spool_dir=options.spool_dir,
    )
    if decided.order_source == "ambiguous":
        _warn_ambiguous(reject, str(path))
    yield from frames


def _warn_ambiguous(reject: Rejecter, source: str) -> None:
    reader_warning(
        reject,
        source,
        "no date in this WhatsApp export has a day above 12, so day and month "
        "cannot be told apart; it was read day-first. Pass --date-order mdy if the phone "
        "writes the month first",
    )


class WhatsAppReader:
    """Reads WhatsApp ``.txt`` exports and the ``.zip`` a phone produces."""

    name = "whatsapp"

    def sniff(self, path: Path, head: str) -> bool:
        suffix = path.suffix.lower()
        if suffix == ".txt":
            return _looks_like_chat(head)
        if suffix != ".zip" or not path.is_file():
            return False
        try:
            with zipfile.ZipFile(path) as archive:
                for info in archive.infolist():
                    if info.filename.lower().endswith(".txt") and _sniffable(path, info):
                        with archive.open(info) as member:
                            if _looks_like_chat(_decode_head(member.read(8192))):
                                return True
        except (
            zipfile.BadZipFile,
            zlib.error,
            OSError,
            EOFError,
            ValueError,
            NotImplementedError,
            RuntimeError,
        ):
            return False
        return False

    def read(self, path: Path, options: ReaderOptions, reject: Rejecter) -> Iterator[pl.DataFrame]:
        if path.suffix.lower() != ".zip":
            from dataprep.chat.readers import whatsapp_stream as stream

            if path.stat().st_size > stream.STREAM_ABOVE_BYTES:
                yield from _stream_and_warn(path, options, reject)
                return
            try:
                # The raw bytes are dropped as soon as they are decoded (80 MB for 1M messages).
                text = decode_bytes(path.read_bytes(), path, options.encoding)
            except OSError as error:
                raise InputError(f"cannot read ({error.strerror})", path=path) from None
            yield _parse_and_warn(text, str(path), options, reject)
            return
        members = read_zip_members(
            path, suffixes=(".txt",), max_member_bytes=options.max_member_bytes
        )
        chats = [
            (name, data) for name, data in members if _looks_like_chat(_decode_head(data[:8192]))
        ]
        if not chats:
            raise InputError("no WhatsApp chat .txt inside the archive", path=path)
        for name, data in chats:
            source = f"{path}!/{name}"
            text = decode_bytes(data, source, options.encoding)
            yield _parse_and_warn(text, source, options, reject)


READERS = [WhatsAppReader()]
