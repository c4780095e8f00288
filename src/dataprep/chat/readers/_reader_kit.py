"""Helpers the Telegram, Discord, Slack, WeChat and generic readers share.

JSON documents are decoded with BOM/UTF-16 detection and a one-line error naming the file
and line; rows are gathered column by column and handed out as message-table batches.
"""

from __future__ import annotations

import csv
import functools
import json
import re
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import polars as pl

from dataprep import safejson
from dataprep.chat.schema import MESSAGE_SCHEMA, messages_frame
from dataprep.errors import InputError
from dataprep.io import decode_bytes, read_text

__all__ = [
    "BATCH_ROWS",
    "MessageBatcher",
    "as_object",
    "epoch_to_datetime",
    "first_json_line",
    "has_json_key",
    "head_is_whole",
    "iter_csv_records",
    "parse_json_document",
    "parse_timestamp",
    "whole_input",
]

#: Rows per yielded batch: big enough for polars to be efficient, small enough for memory.
BATCH_ROWS = 50_000

_COLUMNS = tuple(MESSAGE_SCHEMA)


def _coerce_value(value: Any, kind: type) -> Any:
    if value is None:
        return None
    if kind is str:
        if isinstance(value, str):
            return value.encode("utf-8", "replace").decode("utf-8")
        if isinstance(value, int | float) and not isinstance(value, bool):
            return str(value)
        return None
    if kind is bool:
        return value if isinstance(value, bool) else None
    if kind is int:
        fits = isinstance(value, int) and not isinstance(value, bool) and abs(value) < 2**63
        return value if fits else None
    return value if isinstance(value, datetime) else None


_COLUMN_TYPES = {"is_me": bool, "time": datetime, "source_line": int}


def _coerced(name: str, values: list[Any]) -> list[Any]:
    kind = _COLUMN_TYPES.get(name, str)
    return [_coerce_value(value, kind) for value in values]


class MessageBatcher:
    """Collects message rows column-wise and yields a batch every ``BATCH_ROWS`` rows.

    Line ends inside a message body are normalised to ``\\n`` (CSV exports from Windows
    tools carry ``\\r\\n``), as the messages table promises.
    """

    def __init__(self) -> None:
        self._reset()
        self.count = 0

    def _reset(self) -> None:
        self._columns: dict[str, list[Any]] = {name: [] for name in _COLUMNS}
        self._appenders = [(name, self._columns[name].append) for name in _COLUMNS]

    def add(self, **row: Any) -> pl.DataFrame | None:
        """Add one message; returns a full batch when one is ready, else None."""
        text = row.get("text")
        if text is not None and "\r" in text:
            row["text"] = text.replace("\r\n", "\n").replace("\r", "\n")
        get = row.get
        for name, append in self._appenders:
            append(get(name))
        self.count += 1
        if len(self._columns["text"]) >= BATCH_ROWS:
            return self.flush()
        return None

    def flush(self) -> pl.DataFrame | None:
        if not self._columns["text"]:
            return None
        try:
            frame = messages_frame(self._columns)
        except Exception:  # polars raises several kinds on a mistyped value
            # A hostile export put a list where a name goes, a number where a flag goes...:
            # values of the wrong type become null (only on this slow path).
            frame = messages_frame(
                {name: _coerced(name, values) for name, values in self._columns.items()}
            )
        self._reset()
        return frame

    def drain(self) -> Iterator[pl.DataFrame]:
        frame = self.flush()
        if frame is not None:
            yield frame


ReadMethod = Callable[[Any, Path, Any, Callable[..., None]], Iterator[pl.DataFrame]]


def whole_input(read: ReadMethod) -> ReadMethod:
    """Decorator for ``read``: run to the end before handing on batches or rejects.

    An input that fails half-way (a truncated day file, a broken CSV record) then raises
    before contributing anything, rather than half of itself.
    """

    @functools.wraps(read)
    def wrapper(
        self: Any, path: Path, options: Any, reject: Callable[..., None]
    ) -> Iterator[pl.DataFrame]:
        held: list[tuple[Any, ...]] = []
        frames = list(read(self, path, options, lambda *row: held.append(row)))
        for row in held:
            reject(*row)
        yield from frames

    return wrapper


def as_object(value: Any) -> dict[str, Any]:
    """``value`` when it is a JSON object, else an empty one (for optional nested fields)."""
    return value if isinstance(value, dict) else {}


def _json_error(path: str | Path, text: str, error: json.JSONDecodeError) -> InputError:
    rest = text[error.pos :]
    runs_to_end = error.msg.startswith("Unterminated string") and '"' not in rest[1:]
    if runs_to_end or not rest.strip():
        message = "truncated JSON: the file ends in the middle of a value"
    else:
        message = f"invalid JSON ({error.msg} at column {error.colno})"
    return InputError(message, path=path, line=error.lineno)


def parse_json_document(
    path: str | Path,
    *,
    encoding: str | None = None,
    data: bytes | None = None,
    text: str | None = None,
    object_pairs_hook: Any = None,
) -> Any:
    """Decode and parse one JSON file; any failure is an InputError with file and line."""
    if text is None:
        text = read_text(path, encoding) if data is None else decode_bytes(data, path, encoding)
    try:
        return safejson.loads(text, strict=False, object_pairs_hook=object_pairs_hook)
    except json.JSONDecodeError as error:
        raise _json_error(path, text, error) from None
    except RecursionError:
        raise InputError("JSON nested too deeply", path=path) from None


def has_json_key(head: str, *keys: str) -> bool:
    """True when every key appears as a real object key (not inside a string) in ``head``."""
    return all(re.search(r'(?<!\\)"' + re.escape(key) + r'"\s*:', head) for key in keys)


def first_json_line(head: str, whole: bool, max_lines: int = 20) -> Any:
    """The first line of ``head`` (among its first ``max_lines``) that parses as JSON.

    Broken lines are skipped so that one bad first line does not hide a file's format.
    ``whole`` says ``head`` is the entire file, so its last line is complete too.
    """
    lines = head.split("\n")
    if not whole:
        lines = lines[:-1]
    for line in lines[:max_lines]:
        if not line.strip():
            continue
        try:
            return safejson.loads(line)
        except json.JSONDecodeError:
            continue
    return None


def head_is_whole(path: Path) -> bool:
    """True when the sniffing head (64 KiB) holds the entire file."""
    try:
        return path.stat().st_size <= 65536
    except OSError:
        return False


def epoch_to_datetime(value: Any) -> datetime | None:
    """Epoch seconds (number or numeric string; milliseconds when huge) as naive UTC."""
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        return None
    if seconds > 1e11:  # milliseconds, as JavaScript-based exporters write
        seconds /= 1000
    try:
        return datetime.fromtimestamp(seconds, tz=timezone.utc).replace(tzinfo=None)
    except (OverflowError, OSError, ValueError):
        return None


_FRACTION = re.compile(r"\.(\d+)")
_TIME_FORMATS = ("%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M")


def parse_timestamp(value: Any) -> datetime | None:
    """ISO 8601, ``2024/10/4 11:42``-style or epoch time; the wall-clock time, no zone.

    An offset (``+02:00``) is dropped so that times stay local as exported, like every
    other reader's; unparseable values give None rather than a lost message.
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return epoch_to_datetime(value)
    text = str(value).strip()
    if len(text) >= 10 and text[4] == "-":  # fast path for the common ISO form
        try:
            parsed = datetime.fromisoformat(text)
            return parsed.replace(tzinfo=None) if parsed.tzinfo else parsed
        except ValueError:
            pass
    if not text:
        return None
    if re.fullmatch(r"\d+(\.\d+)?", text):
        return epoch_to_datetime(text)
    # Python 3.10's fromisoformat wants exactly 3 or 6 fraction digits and no "Z".
    iso = _FRACTION.sub(lambda m: "." + (m.group(1) + "00000")[:6], text.replace("Z", "+00:00"))
    try:
        return datetime.fromisoformat(iso).replace(tzinfo=None)
    except ValueError:
        pass
    for pattern in _TIME_FORMATS:
        try:
            return datetime.strptime(text, pattern)
        except ValueError:
            continue
    return None


def iter_csv_records(lines: Iterable[str], path: str | Path) -> Iterator[tuple[int, list[str]]]:
    """``(first line number, fields)`` per CSV record; quoted fields may span lines.

    ``lines`` keep their line ends (as ``open(newline="")`` or ``iter_lines`` give them), so
    csv itself decides what ends a record and U+2028 inside a message is just text.
    """
    reader = csv.reader(lines)
    previous = 0
    while True:
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            raise InputError(
                f"malformed CSV record ({error}); an unclosed quote?", path=path, line=previous + 1
            ) from None
        first = previous + 1
        previous = reader.line_num
        if fields:
            yield first, fields
