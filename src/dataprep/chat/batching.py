"""Where message batches may be cut: between conversations, or at a silence.

The chat stages reason about conversations and sessions (roles per conversation, turns and
samples per session). ``read_chat`` re-cuts whatever its readers yield with
``session_batches`` so that a batch ends only where a conversation ends or where a silence
longer than the session gap starts a new session; a long chat is then processed a bounded
number of rows at a time without splitting a session. ``sessionize`` additionally holds back
the last session of every batch until the next one starts, so its output never depends on
where batches were cut (see ``dataprep.stage`` for the contract).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import polars as pl

__all__ = ["DEFAULT_BATCH_ROWS", "SESSION_GAP_KEY", "session_batches", "session_starts"]

#: Rows a batch grows to before it is cut at the next safe point.
DEFAULT_BATCH_ROWS = 50_000
#: ``ctx.shared`` key under which ``sessionize`` publishes its gap (minutes) for the batcher.
SESSION_GAP_KEY = "session_gap_minutes"


def session_starts(frame: pl.DataFrame, gap_minutes: float | None) -> pl.Expr:
    """True on rows that start a new conversation, or a new session after a silence.

    The first row counts as a start; a missing time never starts a session (as in
    ``sessionize``).
    """
    conversation = pl.col("conversation")
    starts = (conversation != conversation.shift(1)).fill_null(True)
    if gap_minutes is not None:
        gap = pl.duration(seconds=int(gap_minutes * 60))
        starts = starts | ((pl.col("time") - pl.col("time").shift(1)) > gap).fill_null(False)
    return starts


def _cut_points(starts: list[int], height: int, rows: int) -> list[int]:
    """Greedy cuts: each piece has at least ``rows`` rows, and ends just before a start."""
    cuts = []
    begin = 0
    for start in starts:
        if start - begin >= rows:
            cuts.append(start)
            begin = start
    return [c for c in cuts if c < height]


def session_batches(
    frames: Iterable[pl.DataFrame], rows: int | None, gap_minutes: float | None
) -> Iterator[pl.DataFrame]:
    """Re-cut ``frames`` into batches of at least ``rows`` rows that end at safe points.

    ``rows=None`` yields one batch with everything. A batch is larger than ``rows`` only
    when no safe point comes sooner (one session longer than ``rows`` messages).
    """
    pending: pl.DataFrame | None = None
    for frame in frames:
        if frame.height == 0:
            continue
        pending = frame if pending is None else pl.concat([pending, frame], rechunk=False)
        if rows is None or pending.height < rows:
            continue
        starts = (
            pending.select(session_starts(pending, gap_minutes).alias("s"))
            .to_series()
            .arg_true()
            .to_list()
        )
        begin = 0
        for cut in _cut_points(starts, pending.height, rows):
            yield pending.slice(begin, cut - begin)
            begin = cut
        if begin:
            pending = pending.slice(begin)
    if pending is not None:
        yield pending
