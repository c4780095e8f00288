"""Overlapping work across files: one file is prepared in a helper thread while the
consumer works on the previous one (soxr, soundfile, onnxruntime and CTranslate2 release the
GIL, so the two really run on two cores)."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

__all__ = ["pipelined"]

T = TypeVar("T")
R = TypeVar("R")


def pipelined(items: Iterator[T], work: Callable[[T], R]) -> Iterator[R]:
    """``map(work, items)`` with one item worked on in a helper thread ahead of the consumer."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="dataprep-voice") as pool:
        pending: deque[Any] = deque()
        for item in items:
            pending.append(pool.submit(work, item))
            if len(pending) > 1:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
