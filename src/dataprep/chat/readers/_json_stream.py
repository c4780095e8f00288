"""Reading one big JSON export a value at a time, from a file decoded a chunk at a time.

Telegram account exports and DiscordChatExporter channels are single JSON documents that
reach gigabytes (field notes, failure mode #14). Parsing them whole holds the text (four
bytes a character once it contains an emoji) and the decoded tree, several times the file
size. Here only a window of text and one message's objects are alive at a time.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from dataprep.errors import InputError
from dataprep.io import open_input, sniff_encoding

__all__ = ["CHUNK_BYTES", "JsonCursor", "TextSource", "iter_lines"]

#: Bytes read per chunk; the text window is at most about one chunk plus one message.
CHUNK_BYTES = 4 * 1024 * 1024

_WHITESPACE = re.compile(r"[ \t\n\r]*")
_NUMBER_TAIL = re.compile(r"[0-9eE.+-]*\Z")
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)")
# A chunk cut inside an escape ("\", "\x", "\x0") would hide it from the transform.
_OPEN_ESCAPE = re.compile(r"\\+(?:x[0-9A-Fa-f]?)?\Z")


class TextSource:
    """A file's text, a chunk at a time, with the BOM/UTF-16 detection of ``dataprep.io``.

    ``transform`` (e.g. repairing tdesktop's escapes) sees whole escapes: a chunk that ends
    inside one is held back until the next chunk arrives.
    """

    def __init__(
        self,
        path: Path,
        encoding: str | None = None,
        *,
        transform: Callable[[str], str] | None = None,
        chunk_bytes: int = CHUNK_BYTES,
    ) -> None:
        self.path = path
        self._handle = open_input(path)
        self._chunk_bytes = chunk_bytes
        self._transform = transform
        # Sniff the encoding on a fair sample, then hand the bytes on chunk by chunk.
        first = self._handle.read(max(chunk_bytes, 4096))
        if encoding is None:
            encoding, skip = sniff_encoding(first)
            first = first[skip:]
        try:
            self._decoder = codecs.getincrementaldecoder(encoding)()
        except LookupError:
            self._handle.close()
            raise InputError(f"unknown encoding {encoding!r}", path=path) from None
        self.encoding = encoding
        self._buffer = first
        self._held = ""
        self._lines = 0
        self.done = False

    def read(self) -> str:
        """The next piece of text; '' once the file is exhausted (``done`` is then True)."""
        while not self.done:
            if self._buffer:
                data, self._buffer = (
                    self._buffer[: self._chunk_bytes],
                    self._buffer[self._chunk_bytes :],
                )
            else:
                data = self._handle.read(self._chunk_bytes)
            final = not data
            text = self._decode(data, final)
            if final:
                self.done = True
                self._handle.close()
            if self._transform is not None:
                text = self._held + text
                self._held = ""
                match = None if final else _OPEN_ESCAPE.search(text)
                if match is not None:
                    text, self._held = text[: match.start()], text[match.start() :]
                text = self._transform(text)
            if text:
                return text
        return ""

    def close(self) -> None:
        self._handle.close()

    def _decode(self, data: bytes, final: bool) -> str:
        try:
            text: str = self._decoder.decode(data, final)
        except UnicodeDecodeError as error:
            self._handle.close()
            # error.object holds the decoder's buffered bytes too, not only ``data``.
            line = self._lines + error.object[: error.start].count(b"\n") + 1
            raise InputError(
                f"cannot decode byte 0x{error.object[error.start]:02x} as {self.encoding}",
                path=self.path,
                line=line,
                hint="You can fix this by passing --encoding with the file's real encoding (e.g. --encoding cp1252)",
            ) from None
        self._lines += text.count("\n")
        return text


def iter_lines(source: TextSource) -> Iterator[str]:
    """The source's lines with their line ends (``\\n``, ``\\r\\n`` or ``\\r``), as
    ``open(..., newline="")`` splits them; U+2028 and friends stay inside their line."""
    rest = ""
    while True:
        piece = source.read()
        if not piece:
            break
        buffer = rest + piece
        # Cut after the last line end; a final "\r" waits, it may be half of "\r\n".
        cut = max(buffer.rfind("\n"), buffer.rfind("\r", 0, len(buffer) - 1)) + 1
        yield from _LINE.findall(buffer, 0, cut)
        rest = buffer[cut:]
    if rest:  # the last line, without a line end (or with a lone final "\r")
        yield rest


class JsonCursor:
    """Walks a JSON document, decoding one value at a time.

    ``source`` is the whole text, or a ``TextSource`` read as the walk advances: the text
    already walked past is dropped whenever more is read.
    """

    def __init__(
        self, source: str | TextSource, path: str | Path, object_pairs_hook: Any = None
    ) -> None:
        self.path = path
        self._source = source if isinstance(source, TextSource) else None
        self.text = source if isinstance(source, str) else ""
        self.pos = 0
        self._line_base = 0  # newlines in the text dropped so far
        self._decoder = json.JSONDecoder(strict=False, object_pairs_hook=object_pairs_hook)
        if self._source is not None:
            self._more()
        if self.text.startswith("\ufeff"):  # a BOM left by an explicit --encoding
            self.pos = 1

    def _more(self, *, double: bool = False) -> bool:
        """Read more text into the window, dropping what was walked past; False at the end.

        ``double`` reads until the window has doubled, so a value much larger than a chunk
        is re-parsed a logarithmic number of times, not once per chunk.
        """
        if self._source is None or self._source.done:
            return False
        self._line_base += self.text.count("\n", 0, self.pos)
        self.text = self.text[self.pos :]
        self.pos = 0
        wanted = max(len(self.text), 1) if double else 1
        pieces: list[str] = []
        added = 0
        while added < wanted and not self._source.done:
            piece = self._source.read()
            pieces.append(piece)
            added += len(piece)
        self.text += "".join(pieces)
        return added > 0

    def _line(self, pos: int) -> int:
        return self._line_base + self.text.count("\n", 0, pos) + 1

    def _error(self, expected: str) -> InputError:
        if self.pos >= len(self.text.rstrip()):
            return InputError(
                "truncated JSON: the file ends in the middle of a value",
                path=self.path,
                line=self._line(self.pos),
            )
        column = self.pos - self.text.rfind("\n", 0, self.pos)
        return InputError(
            f"invalid JSON (expected {expected} at column {column})",
            path=self.path,
            line=self._line(self.pos),
        )

    def _decode_error(self, error: json.JSONDecodeError) -> InputError:
        rest = self.text[error.pos :]
        runs_to_end = error.msg.startswith("Unterminated string") and '"' not in rest[1:]
        if runs_to_end or not rest.strip():
            message = "truncated JSON: the file ends in the middle of a value"
        else:
            message = f"invalid JSON ({error.msg} at column {error.colno})"
        return InputError(message, path=self.path, line=self._line_base + error.lineno)

    def peek(self) -> str:
        """The next significant character ('' at the end)."""
        while True:
            self.pos = _WHITESPACE.match(self.text, self.pos).end()  # type: ignore[union-attr]
            if self.pos < len(self.text) or not self._more():
                return self.text[self.pos : self.pos + 1]

    def take(self, char: str) -> None:
        if self.peek() != char:
            raise self._error(repr(char))
        self.pos += 1

    def value(self) -> Any:
        """Decode the next value whole."""
        self.peek()
        while True:
            try:
                value, end = self._decoder.raw_decode(self.text, self.pos)
            except json.JSONDecodeError as error:
                failure = self._decode_error(error)  # before the window moves
                if self._more(double=True):  # the value may run past the window: read on
                    continue
                raise failure from None
            except RecursionError:
                raise InputError("JSON nested too deeply", path=self.path) from None
            # A number cut by the window's end ("12" of "1234", "2.5" of "2.5e3") may go on
            # in the next piece.
            number = isinstance(value, int | float) and not isinstance(value, bool)
            if number and _NUMBER_TAIL.match(self.text, end) and self._more(double=True):
                continue
            self.pos = end
            return value

    def members(self) -> Iterator[str]:
        """Keys of the object at the cursor; the caller consumes each key's value."""
        self.take("{")
        if self.peek() == "}":
            self.pos += 1
            return
        while True:
            if self.peek() != '"':
                raise self._error("a key")
            key = self.value()
            self.take(":")
            yield key
            if not self._next_item("}"):
                return

    def elements(self) -> Iterator[int]:
        """1-based positions in the array at the cursor; the caller consumes each value."""
        self.take("[")
        if self.peek() == "]":
            self.pos += 1
            return
        position = 0
        while True:
            position += 1
            yield position
            if not self._next_item("]"):
                return

    def _next_item(self, closing: str) -> bool:
        """After an item: True on ',' (another follows), False on ``closing``."""
        char = self.peek()
        if char == ",":
            self.pos += 1
            return True
        if char == closing:
            self.pos += 1
            return False
        raise self._error(f"',' or '{closing}'")

    def end(self) -> None:
        """Check nothing but whitespace follows the document."""
        if self.peek():
            raise self._error("the end of the file")
