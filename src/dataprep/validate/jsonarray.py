"""Stream the elements of a file holding one JSON array, in memory bounded by the largest element.

``datasets.load_dataset("json")`` and LLaMA-Factory read ``[{...}, {...}]`` files, so validate
reads them too, element by element: the decoder's ``raw_decode`` parses one element out of a
text buffer that is refilled in 1 MiB chunks and trimmed after each element. Findings point at
the line where an element starts.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Iterator
from typing import IO, Any, Protocol

from dataprep.io import sniff_encoding

__all__ = ["is_json_array", "iter_array", "lone_surrogate"]

_CHUNK = 1 << 20
_WHITESPACE = " \t\r\n"
# A high surrogate escape not followed by a low one, or a low one not preceded by a high one.
_LONE = re.compile(
    rb"\\u[dD][89abAB][0-9a-fA-F]{2}(?!\\u[dD][c-fC-F][0-9a-fA-F]{2})"
    rb"|(?<![0-9a-fA-F]{4})(?<!\\u[dD][89abAB][0-9a-fA-F]{2})\\u[dD][c-fC-F][0-9a-fA-F]{2}"
)


class _Emitter(Protocol):
    def locate(self, line: int | None, raw: bytes | None = None) -> None: ...
    def emit(self, rule: str, pointer: str, message: str) -> None: ...


def lone_surrogate(raw: bytes) -> str | None:
    """A message naming a lone UTF-16 surrogate escape in ``raw``, or None when there is none."""
    match = _LONE.search(raw)
    if match is None:
        return None
    escape = match.group().decode("ascii")
    return (
        f"{escape} at column {match.start() + 1} is half of a UTF-16 surrogate pair, not a "
        "character; Arrow's JSON reader rejects it (re-export the text as UTF-8)"
    )


def is_json_array(handle: IO[bytes]) -> bool:
    """Whether the file's first non-blank byte (after a BOM) opens an array; rewinds the handle."""
    head = handle.read(4096)
    handle.seek(0)
    encoding, skip = sniff_encoding(head)
    return encoding.startswith("utf-8") and head[skip:].lstrip()[:1] == b"["


class _Buffer:
    """Decoded text from a binary handle, refilled on demand, with the line of its start."""

    def __init__(self, handle: IO[bytes]) -> None:
        self._handle = handle
        self._decoder = codecs.getincrementaldecoder("utf-8-sig")()
        self.text = ""
        self.pos = 0
        self.line = 1
        self.eof = False

    def fill(self) -> bool:
        """Read one more chunk; False at the end of the file."""
        if self.eof:
            return False
        chunk = self._handle.read(_CHUNK)
        self.eof = not chunk
        self.text += self._decoder.decode(chunk, final=self.eof)
        return bool(chunk)

    def advance(self, end: int) -> None:
        self.line += self.text.count("\n", self.pos, end)
        self.pos = end

    def skip_space(self) -> str:
        """The next non-blank character (reading more as needed), or "" at the end."""
        while True:
            text, pos = self.text, self.pos
            while pos < len(text) and text[pos] in _WHITESPACE:
                pos += 1
            self.advance(pos)
            if pos < len(text):
                return text[pos]
            if not self.fill():
                return ""

    def trim(self) -> None:
        self.text, self.pos = self.text[self.pos :], 0


def iter_array(handle: IO[bytes], validator: _Emitter) -> Iterator[tuple[int, bytes, Any]]:
    """Yield ``(line, raw, element)`` for each element; problems go to ``validator`` (J001, J003)."""
    buffer = _Buffer(handle)
    decoder = json.JSONDecoder()
    try:
        buffer.skip_space()
        buffer.advance(buffer.pos + 1)  # the opening bracket
        expect_value = True
        while True:
            char = buffer.skip_space()
            if char == "]" or (char == "" and not expect_value):
                break
            if char == "" or (not expect_value and char != ","):
                validator.locate(buffer.line)
                validator.emit("J001", "", "invalid JSON: the array is not closed properly")
                return
            if not expect_value:
                buffer.advance(buffer.pos + 1)
                buffer.skip_space()
            element = _decode(buffer, decoder, validator)
            if element is None:
                return
            line, raw, _ = element
            problem = lone_surrogate(raw) if b"\\u" in raw else None
            if problem is None:
                yield element
            else:
                validator.locate(line, raw)
                validator.emit("J007", "", problem)
            expect_value = False
            buffer.trim()
    except UnicodeDecodeError as error:
        validator.locate(buffer.line)
        validator.emit("J003", "", f"the file is not valid UTF-8 ({error.reason})")


def _decode(
    buffer: _Buffer, decoder: json.JSONDecoder, validator: _Emitter
) -> tuple[int, bytes, Any] | None:
    """One element at the buffer's position, reading more text until it parses."""
    while True:
        try:
            value, end = decoder.raw_decode(buffer.text, buffer.pos)
        except json.JSONDecodeError as error:
            if buffer.fill():
                continue  # the element may only be cut by the buffer's end
            validator.locate(buffer.line)
            validator.emit("J001", "", f"invalid JSON: {error.msg} (array element)")
            return None
        raw = buffer.text[buffer.pos : end].encode("utf-8", "surrogatepass")
        line = buffer.line
        buffer.advance(end)
        return line, raw, value
