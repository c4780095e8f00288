"""File helpers: atomic outputs, text decoding with clear errors, JSONL reading.

Outputs go through the commit protocol of ``dataprep.outputs`` (staged in the output
folder, published as one set), so an interrupted run never leaves a half-written
``train.jsonl`` or a mix of old and new files.
"""

from __future__ import annotations

import codecs
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from dataprep import safejson
from dataprep.errors import InputError
from dataprep.outputs import OutputSet, atomic_write

__all__ = [
    "OutputSet",
    "atomic_write",
    "beside",
    "decode_bytes",
    "iter_jsonl",
    "read_text",
]


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
            yield number, safejson.loads(line), None
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
