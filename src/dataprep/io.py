"""File helpers: atomic outputs, text decoding with clear errors, JSONL reading.

Outputs are written to a temporary file beside the target and renamed only when the whole
run succeeded, so an interrupted run never leaves a half-written ``train.jsonl``.
"""

from __future__ import annotations

import codecs
import contextlib
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from dataprep.errors import InputError, OutputError

__all__ = [
    "SPLITS",
    "OutputSet",
    "atomic_write",
    "beside",
    "decode_bytes",
    "iter_jsonl",
    "read_text",
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
    # UTF-16 without a BOM: every other byte of ASCII text is zero.
    sample = data[:4096]
    if len(sample) < 4:
        return None
    even_zeros = sample[0::2].count(0)
    odd_zeros = sample[1::2].count(0)
    half = len(sample) // 2
    if odd_zeros > 0.4 * half and even_zeros < 0.05 * half:
        return "utf-16-le"
    if even_zeros > 0.4 * half and odd_zeros < 0.05 * half:
        return "utf-16-be"
    return None


def decode_bytes(data: bytes, path: str | Path, encoding: str | None = None) -> str:
    """Decode a whole file: BOMs and UTF-16 are detected; bad bytes raise with the line."""
    if encoding is None:
        for bom, name in _BOMS:
            if data.startswith(bom):
                data, encoding = data[len(bom) :], name
                break
        else:
            encoding = _sniff_utf16(data) or "utf-8"
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


def read_text(path: str | Path, encoding: str | None = None) -> str:
    """Read a text file with BOM/UTF-16 detection and a clear error on bad bytes."""
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise InputError("no such file", path=path) from None
    except IsADirectoryError:
        raise InputError("is a directory, expected a file", path=path) from None
    except PermissionError:
        raise InputError("permission denied", path=path) from None
    return decode_bytes(data, path, encoding)


def iter_jsonl(
    path: str | Path, text: str | None = None, encoding: str | None = None
) -> Iterator[tuple[int, Any, str | None]]:
    """Yield ``(line_number, value, error)`` for each non-blank line of a JSONL file.

    ``error`` is a short reason when the line is not valid JSON (``value`` is then the raw
    line); callers decide whether that is a counted reject or a hard error.
    """
    if text is None:
        text = read_text(path, encoding)
    # Split on "\n" only: str.splitlines() also breaks at U+2028/U+0085, which JSON allows raw
    # inside strings.
    for number, line in enumerate(text.split("\n"), start=1):
        line = line.removesuffix("\r")
        if not line.strip():
            continue
        try:
            yield number, json.loads(line), None
        except json.JSONDecodeError as error:
            yield number, line, f"invalid JSON ({error.msg} at column {error.colno})"


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
