"""File helpers: atomic outputs, the one encoding sniff, streaming JSONL reading, split files.

Outputs go through the commit protocol of ``dataprep.outputs`` (staged in the output
folder, published as one set), so an interrupted run never leaves a half-written
``train.jsonl`` or a mix of old and new files.
"""

from __future__ import annotations

import codecs
import io
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    import polars as pl

from dataprep import safejson
from dataprep.errors import InputError
from dataprep.outputs import OutputSet, atomic_write
from dataprep.textlines import capped_lines, max_row_bytes

__all__ = [
    "SPLITS",
    "JsonLine",
    "OutputSet",
    "SplitWriter",
    "atomic_write",
    "beside",
    "decode_bytes",
    "decode_head",
    "iter_jsonl",
    "open_input",
    "read_jsonl",
    "read_text",
    "sniff_encoding",
    "split_output_paths",
    "split_parts",
]


#: Names of the splits, in the order their files are written; the first holds everything
#: when a run has no split stage.
SPLITS: tuple[str, ...] = ("train", "val", "test")


_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


def _sniff_utf16(data: bytes) -> str | None:
    # UTF-16 without a BOM: every other byte of ASCII text is zero. A few bytes are no evidence
    # (UTF-8 text may hold a NUL), so at least 16 characters are needed to say UTF-16.
    sample = data[:4096]
    if len(sample) < 32:
        return None
    even_zeros = sample[0::2].count(0)
    odd_zeros = sample[1::2].count(0)
    half = len(sample) // 2
    if odd_zeros > 0.4 * half and even_zeros < 0.05 * half:
        return "utf-16-le"
    if even_zeros > 0.4 * half and odd_zeros < 0.05 * half:
        return "utf-16-be"
    return None


def sniff_encoding(data: bytes) -> tuple[str, int]:
    """The encoding of a file from its first bytes, and the length of its byte-order mark.

    A BOM decides (UTF-8, UTF-16, UTF-32); without one, text with every other byte zero is
    UTF-16; anything else is read as UTF-8. This is the one encoding sniff of the project.
    """
    for bom, name in _BOMS:
        if data.startswith(bom):
            return name, len(bom)
    return _sniff_utf16(data) or "utf-8", 0


def decode_head(data: bytes, encoding: str | None = None) -> str:
    """Best-effort text of a file's first bytes, for format detection (bad bytes replaced)."""
    skip = 0
    if encoding is None:
        encoding, skip = sniff_encoding(data)
    try:
        return data[skip:].decode(encoding, errors="replace")
    except LookupError:
        return data[skip:].decode("utf-8", errors="replace")


def decode_bytes(data: bytes, path: str | Path, encoding: str | None = None) -> str:
    """Decode a whole file: BOMs and UTF-16 are detected; bad bytes raise with the line."""
    if encoding is None:
        encoding, skip = sniff_encoding(data)
        data = data[skip:]
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise InputError(
            f"cannot decode byte 0x{data[error.start]:02x} as {encoding}",
            path=path,
            line=line,
            hint="You can fix this by passing --encoding with the file's real encoding (e.g. --encoding cp1252)",
        ) from None
    except LookupError:
        raise InputError(f"unknown encoding {encoding!r}", path=path) from None


def open_input(path: str | Path) -> IO[bytes]:
    """Open an input file for binary reading; a missing or unreadable file is one clear error."""
    try:
        return open(path, "rb")
    except FileNotFoundError:
        raise InputError("no such file", path=path) from None
    except IsADirectoryError:
        raise InputError("is a directory, expected a file", path=path) from None
    except PermissionError:
        raise InputError("permission denied", path=path) from None


def read_text(path: str | Path, encoding: str | None = None) -> str:
    """Read a text file with BOM/UTF-16 detection and a clear error on bad bytes."""
    with open_input(path) as handle:
        data = handle.read()
    return decode_bytes(data, path, encoding)


@dataclass(frozen=True)
class JsonLine:
    """One non-blank line of a JSONL file: its number, its text, and its value or why it has none."""

    number: int
    text: str
    value: Any = None
    #: ``invalid_utf8``, ``invalid_json`` or ``row_too_large`` when the line could not be
    #: read, else None.
    reason: str | None = None
    detail: str = ""

    @property
    def error(self) -> str | None:
        """The problem in words, or None for a good line."""
        if self.reason is None:
            return None
        what = {"invalid_utf8": "invalid UTF-8", "row_too_large": "row too large"}.get(
            self.reason, "invalid JSON"
        )
        return f"{what} ({self.detail})"


def _text_lines(
    handle: IO[bytes], path: str | Path, encoding: str | None
) -> Iterator[bytes | str | None]:
    """The file's lines, split on ``\n`` only: bytes for UTF-8 (decoded per line), else text."""
    head = handle.peek(4096) if hasattr(handle, "peek") else b""
    skip = 0
    if encoding is None:
        encoding, skip = sniff_encoding(head)
    handle.read(skip)
    if codecs.lookup(encoding).name == "utf-8":
        # A line over DATAPREP_MAX_ROW_BYTES comes back as None, never held whole.
        for _number, raw, _size in capped_lines(handle):
            yield raw
        return
    # str.splitlines() and text-mode iteration would also break at U+2028/U+0085, which JSON
    # allows raw inside strings; newline="\n" splits at "\n" only.
    yield from io.TextIOWrapper(handle, encoding=encoding, newline="\n")


def read_jsonl(path: str | Path, encoding: str | None = None) -> Iterator[JsonLine]:
    """Stream the non-blank lines of a JSONL file, one parsed value at a time.

    Memory stays flat on any file size. A BOM (or UTF-16 without one) is detected; a line that
    is not valid UTF-8 or not valid JSON comes back with its ``reason``, and callers decide
    whether that is a counted reject or a hard error.
    """
    handle = open_input(path)
    try:
        lines = _text_lines(handle, path, encoding)
        for number, line in enumerate(lines, start=1):
            if line is None:
                detail = f"over {max_row_bytes():,} bytes (DATAPREP_MAX_ROW_BYTES)"
                yield JsonLine(number, "", reason="row_too_large", detail=detail)
                continue
            if isinstance(line, bytes):
                try:
                    text = line.decode("utf-8")
                except UnicodeDecodeError as error:
                    raw = line.decode("utf-8", "replace").rstrip("\r\n")
                    yield JsonLine(number, raw, reason="invalid_utf8", detail=f"byte {error.start}")
                    continue
            else:
                text = line
            text = text.rstrip("\n").removesuffix("\r")
            if not text.strip():
                continue
            try:
                yield JsonLine(number, text, safejson.loads(text))
            except json.JSONDecodeError as error:
                detail = f"{error.msg} at column {error.colno}"
                yield JsonLine(number, text, reason="invalid_json", detail=detail)
    except LookupError:
        raise InputError(f"unknown encoding {encoding!r}", path=path) from None
    finally:
        handle.close()


def iter_jsonl(
    path: str | Path, encoding: str | None = None
) -> Iterator[tuple[int, Any, str | None]]:
    """``(line_number, value, error)`` for each non-blank line (``value`` is the line's text on error)."""
    for line in read_jsonl(path, encoding):
        yield line.number, (line.text if line.reason else line.value), line.error


def beside(path: str | Path, tag: str) -> Path:
    """A companion file of an output: ``data/train.jsonl`` + ``report.json`` -> ``data/train.report.json``."""
    path = Path(path)
    return path.with_name(f"{path.stem}.{tag}")


def split_output_paths(output: str | Path, splits: list[str] | tuple[str, ...]) -> dict[str, Path]:
    """Where each split goes when ``--out`` names one file.

    ``train`` is written to ``output`` itself. The other splits go beside it: when the stem
    is ``train`` (``data/train.jsonl``) they are ``data/val.jsonl`` and ``data/test.jsonl``;
    otherwise the split name is added to the stem (``chats.jsonl`` -> ``chats.val.jsonl``).
    """
    output = Path(output)
    suffix = "".join(output.suffixes) or ".jsonl"
    stem = output.name[: -len(suffix)] if output.suffixes else output.name
    paths: dict[str, Path] = {}
    for split in splits:
        if split == "train":
            paths[split] = output
        elif stem == "train":
            paths[split] = output.with_name(f"{split}{suffix}")
        else:
            paths[split] = output.with_name(f"{stem}.{split}{suffix}")
    return paths


def split_parts(batch: pl.DataFrame) -> Iterator[tuple[str, pl.DataFrame]]:
    """``(split, rows)`` of a batch: by its ``split`` column, else everything in the first split."""
    import polars as pl

    if "split" not in batch.columns:
        yield SPLITS[0], batch
        return
    column = pl.col("split").fill_null(SPLITS[0])
    for (split,), part in batch.with_columns(column).group_by("split", maintain_order=True):
        yield str(split), part


class SplitWriter:
    """Appends rows to one file per split through an ``OutputSet`` (so all are published together).

    ``train`` goes to ``output`` and the other splits beside it (``split_output_paths``); with
    ``tag`` each split gets that companion file instead (``sources.jsonl``: train.sources.jsonl).
    """

    def __init__(self, outputs: OutputSet, output: str | Path, tag: str | None = None) -> None:
        self.outputs = outputs
        self.output = Path(output)
        self.tag = tag
        self.counts: dict[str, int] = {}
        #: The files of each split, once ``close`` has run (shards: several per split).
        self.files: dict[str, list[Path]] = {}
        self._opened: dict[str, None] = {}  # splits in the order their files were opened

    def path(self, split: str) -> Path:
        path = split_output_paths(self.output, [split])[split]
        return beside(path, self.tag) if self.tag else path

    def touch(self, *splits: str) -> None:
        """Make sure these split files exist, even when no row goes to them."""
        for split in splits:
            self.outputs.open(self.path(split), "a").close()
            self._opened[split] = None

    def write_frame(self, split: str, rows: pl.DataFrame) -> None:
        with self.outputs.open(self.path(split), "a") as handle:
            rows.write_ndjson(handle)
        self._opened[split] = None
        self.counts[split] = self.counts.get(split, 0) + rows.height

    def write_lines(self, split: str, lines: Iterable[str]) -> None:
        """Write JSON lines (without their newline) to the split's file."""
        self._opened[split] = None
        with self.outputs.open(self.path(split), "a") as handle:
            for line in lines:
                handle.write(line + "\n")
                self.counts[split] = self.counts.get(split, 0) + 1

    def close(self) -> None:
        """Done writing: ``files`` lists each split's file."""
        for split in self._opened:
            self.files[split] = [self.path(split)]
