"""A content-addressed on-disk cache of successful requests.

One JSON file per request, named by the sha256 of the canonical request body
(``ab/abcdef….json``), written to a temporary file, fsynced and renamed, so a crash or
Ctrl-C leaves either the whole entry or none. The cache is what makes a rerun or a resume
repeat no successful request: the generator replays cached replies in order and rebuilds
exactly the rows it had accepted. Entries hold the request body and the reply, never the
API key (it is a header, not part of the body).
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from dataprep.bootstrap.client import ChatReply, ChatRequest
from dataprep.errors import OutputError

__all__ = ["RequestCache", "default_cache_dir"]


def default_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/dataprep/bootstrap`` (``~/.cache/dataprep/bootstrap``)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "dataprep" / "bootstrap"


class RequestCache:
    """Replies by request key; ``root=None`` disables caching."""

    def __init__(self, root: Path | None, secret: str | None = None) -> None:
        self.root = root
        #: An entry holding this text (the API key, echoed by a server) is never replayed.
        self.secret = secret
        self.hits = 0
        self.writes = 0
        self.refused = 0
        if root is not None:
            try:
                root.mkdir(parents=True, exist_ok=True)
            except OSError as error:
                raise OutputError(
                    f"{root}: cannot create the cache directory ({error.strerror})"
                ) from None

    def _path(self, key: str) -> Path:
        assert self.root is not None
        return self.root / key[:2] / f"{key}.json"

    def get(self, request: ChatRequest) -> ChatReply | None:
        if self.root is None:
            return None
        path = self._path(request.key)
        try:
            text = path.read_text(encoding="utf-8")
            if self.secret and self.secret in text:
                # Written by an older version or another tool: refuse it, ask again.
                self.refused += 1
                path.unlink()
                return None
            entry = json.loads(text)
            reply = ChatReply.from_dict(entry["reply"])
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError):
            # Unreadable entry (should not happen with atomic writes): ask again.
            return None
        self.hits += 1
        return reply

    def put(self, request: ChatRequest, reply: ChatReply) -> None:
        if self.root is None:
            return
        path = self._path(request.key)
        entry: dict[str, Any] = {
            "key": request.key,
            "request": request.body(),
            "reply": reply.redacted(self.secret).to_dict(),
        }
        data = json.dumps(entry, ensure_ascii=False, sort_keys=True).encode()
        path.parent.mkdir(exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise
        self.writes += 1
