"""Work on both cores from one process: polars and the compiled MinHash kernel release the
GIL while they run, so threads overlap where the work is theirs."""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

__all__ = ["ordered_map", "worker_threads"]

T = TypeVar("T")
R = TypeVar("R")


def worker_threads() -> int:
    """Threads for data-parallel work: the cores this process may use (at least 1)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def ordered_map(
    func: Callable[[T], R], items: Iterable[T], *, workers: int | None = None
) -> Iterator[R]:
    """``map(func, items)`` on ``workers`` helper threads, results in input order.

    At most ``workers + 1`` items are in flight (taken from ``items`` but not yet yielded),
    so memory follows a few items, not the input; with one worker, the helper works on the
    next item while the caller uses the previous result. An error of ``func`` is raised
    where its result would have been yielded; closing the iterator early waits for the
    running calls.
    """
    workers = workers or worker_threads()
    pending: deque[Future[R]] = deque()
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="dataprep-map") as pool:
        try:
            for item in items:
                pending.append(pool.submit(func, item))
                if len(pending) > workers:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        finally:
            for future in pending:
                future.cancel()
