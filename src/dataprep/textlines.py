"""Reading JSONL lines with a size cap, so one huge line cannot exhaust memory.

A line longer than the cap is skipped in chunks (never held whole) and reported as too
large: the caller counts it as a reject with one line. The cap defaults to 64 MiB and can
be changed with ``DATAPREP_MAX_ROW_BYTES``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import IO

__all__ = ["DEFAULT_MAX_ROW_BYTES", "capped_lines", "max_row_bytes"]

DEFAULT_MAX_ROW_BYTES = 64 * 1024 * 1024
_CHUNK = 1024 * 1024


def max_row_bytes() -> int:
    """The cap: ``$DATAPREP_MAX_ROW_BYTES`` when it is a positive integer, else 64 MiB."""
    value = os.environ.get("DATAPREP_MAX_ROW_BYTES", "")
    return int(value) if value.isdigit() and int(value) > 0 else DEFAULT_MAX_ROW_BYTES


def capped_lines(
    handle: IO[bytes], limit: int | None = None
) -> Iterator[tuple[int, bytes | None, int]]:
    """``(line_number, raw, size)`` per line; ``raw`` is None when the line passed ``limit``."""
    limit = max_row_bytes() if limit is None else limit
    number = 0
    while True:
        raw = handle.readline(limit + 1)
        if not raw:
            return
        number += 1
        if len(raw) <= limit or raw.endswith(b"\n"):
            yield number, raw, len(raw)
            continue
        size = len(raw)
        del raw
        while True:
            piece = handle.readline(_CHUNK)
            size += len(piece)
            if not piece or piece.endswith(b"\n"):
                break
        yield number, None, size
