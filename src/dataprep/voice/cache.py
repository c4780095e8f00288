"""A small on-disk cache so re-running on the same folder skips work already done.

Entries are JSON files keyed by a hash of the file's content and every parameter that
shaped the result; a changed file or setting simply misses. Entries are written atomically
as soon as a file is done (not at the end of the run), so an interrupted run resumes.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from pathlib import Path
from typing import Any

from dataprep.io import atomic_write

__all__ = ["ResultCache", "cache_key"]

#: Bump when the meaning of cached values changes.
CACHE_VERSION = 3


def cache_key(*parts: Any) -> str:
    """A stable hex key of JSON-serializable ``parts``."""
    text = json.dumps([CACHE_VERSION, *parts], sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


class ResultCache:
    """JSON values under ``folder/<namespace>/<key>.json``; a null folder caches nothing."""

    def __init__(self, folder: Path | None, namespace: str) -> None:
        self.folder = None if folder is None else folder / namespace

    def get(self, key: str) -> Any | None:
        if self.folder is None:
            return None
        path = self.folder / f"{key}.json"
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except (FileNotFoundError, json.JSONDecodeError, UnicodeDecodeError):
            return None

    def put(self, key: str, value: Any) -> None:
        if self.folder is None:
            return
        # A cache that cannot be written (read-only disk) only costs speed on the next run.
        with contextlib.suppress(OSError):
            self.folder.mkdir(parents=True, exist_ok=True)
            with atomic_write(self.folder / f"{key}.json") as handle:
                json.dump(value, handle, ensure_ascii=False, allow_nan=True)
