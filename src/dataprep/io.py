"""File helpers: atomic outputs, the one encoding sniff, streaming JSONL reading, split files.

Outputs are written to a temporary file beside the target and renamed only when the whole
run succeeded, so an interrupted run never leaves a half-written ``train.jsonl``.
"""

from __future__ import annotations

import codecs
import contextlib
import io
import json
import os
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    import polars as pl

from dataprep.errors import InputError, OutputError

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


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


# mkstemp creates files readable by the owner only; outputs get the usual permissions.
_FILE_MODE = 0o666 & ~_current_umask()


def _make_temp(target: Path) -> tuple[int, str]:
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.chmod(name, _FILE_MODE)
    return fd, name


def _check_parent(path: Path) -> None:
    parent = path.parent
    if not parent.exists():
        raise OutputError(
            f"{path}: the directory {parent} does not exist",
            hint="Create it first or choose another --out",
        )
    if not parent.is_dir():
        raise OutputError(f"{path}: {parent} is not a directory")


@contextlib.contextmanager
def atomic_write(path: str | Path, mode: str = "w") -> Iterator[IO[Any]]:
    """Write to ``path`` through a temporary file renamed into place on success."""
    target = Path(path)
    _check_parent(target)
    encoding, newline = (None, None) if "b" in mode else ("utf-8", "\n")
    fd, tmp_name = _make_temp(target)
    try:
        with os.fdopen(fd, mode, encoding=encoding, newline=newline) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
        raise


class OutputSet:
    """Several output files committed together: all renamed on success, none on failure."""

    def __init__(self) -> None:
        self._pending: dict[Path, Path] = {}

    def open(self, path: str | Path, mode: str = "w") -> IO[Any]:
        """Open a temporary file standing in for ``path`` (appending if already open)."""
        target = Path(path).absolute()
        if target in self._pending:
            tmp = self._pending[target]
            mode = mode.replace("w", "a")
        else:
            _check_parent(target)
            fd, tmp_name = _make_temp(target)
            os.close(fd)
            tmp = Path(tmp_name)
            self._pending[target] = tmp
        if "b" in mode:
            return open(tmp, mode)
        return open(tmp, mode, encoding="utf-8", newline="\n")

    def temp_path(self, path: str | Path) -> Path:
        """The temporary path standing in for ``path``, creating it when needed."""
        target = Path(path).absolute()
        if target not in self._pending:
            self.open(target).close()
        return self._pending[target]

    def current_path(self, path: str | Path) -> Path:
        """Where ``path``'s content is now: its staged temporary file, or the file itself when
        this set does not stage it (an output of an earlier run)."""
        target = Path(path).absolute()
        return self._pending.get(target, target)

    @property
    def targets(self) -> list[Path]:
        return sorted(self._pending)

    def commit(self) -> list[Path]:
        """Rename every temporary file into place."""
        done = []
        for target, tmp in sorted(self._pending.items()):
            try:
                os.replace(tmp, target)
            except OSError as error:
                raise OutputError(f"{target}: cannot write ({error.strerror})") from error
            done.append(target)
        self._pending.clear()
        return done

    def discard(self) -> None:
        """Remove every temporary file; the targets are left untouched."""
        for tmp in self._pending.values():
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
        self._pending.clear()


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
    #: ``invalid_utf8`` or ``invalid_json`` when the line could not be read, else None.
    reason: str | None = None
    detail: str = ""

    @property
    def error(self) -> str | None:
        """The problem in words, or None for a good line."""
        if self.reason is None:
            return None
        what = "invalid UTF-8" if self.reason == "invalid_utf8" else "invalid JSON"
        return f"{what} ({self.detail})"


def _text_lines(handle: IO[bytes], path: str | Path, encoding: str | None) -> Iterator[bytes | str]:
    """The file's lines, split on ``\n`` only: bytes for UTF-8 (decoded per line), else text."""
    head = handle.peek(4096) if hasattr(handle, "peek") else b""
    skip = 0
    if encoding is None:
        encoding, skip = sniff_encoding(head)
    handle.read(skip)
    if codecs.lookup(encoding).name == "utf-8":
        yield from handle
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
                yield JsonLine(number, text, json.loads(text))
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

    def path(self, split: str) -> Path:
        path = split_output_paths(self.output, [split])[split]
        return beside(path, self.tag) if self.tag else path

    def touch(self, *splits: str) -> None:
        """Make sure these split files exist, even when no row goes to them."""
        for split in splits:
            self.outputs.open(self.path(split), "a").close()

    def write_frame(self, split: str, rows: pl.DataFrame) -> None:
        with self.outputs.open(self.path(split), "a") as handle:
            rows.write_ndjson(handle)
        self.counts[split] = self.counts.get(split, 0) + rows.height

    def write_lines(self, split: str, lines: Iterable[str]) -> None:
        """Write JSON lines (without their newline) to the split's file."""
        with self.outputs.open(self.path(split), "a") as handle:
            for line in lines:
                handle.write(line + "\n")
                self.counts[split] = self.counts.get(split, 0) + 1
