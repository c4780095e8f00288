"""``sessionize``: split conversations on silences and merge consecutive turns of one role."""

from __future__ import annotations

import polars as pl
from pydantic import Field

from dataprep.context import RunContext
from dataprep.registry import register
from dataprep.stage import Stage, StageParams

__all__ = ["Sessionize"]


class SessionizeParams(StageParams):
    gap_minutes: float = Field(
        default=60,
        gt=0,
        description="A silence longer than this starts a new session (WeClone/MemoTrace use 2-60 min).",
    )
    merge_turns: bool = Field(
        default=True,
        description="Merge consecutive messages of the same role into one turn (joined with a newline).",
    )
    max_turn_chars: int = Field(
        default=4000,
        ge=1,
        description="Stop merging into a turn once it would exceed this many characters.",
    )


@register
class Sessionize(Stage):
    """Assigns session ids and turns messages into alternating user/assistant turns.

    Order within a conversation is the export's order (``source_line``), not the timestamps:
    exports contain out-of-order times (DST, clock changes), which never split a session.
    """

    name = "sessionize"
    consumes = "messages"
    description = "Split conversations into sessions on a silence gap and merge consecutive same-role messages into turns."
    Params = SessionizeParams
    params: SessionizeParams

    def map_batch(self, batch: pl.DataFrame, ctx: RunContext) -> pl.DataFrame:
        gap = pl.duration(seconds=int(self.params.gap_minutes * 60))
        conv = pl.col("conversation")
        new_session = (conv != conv.shift(1)).fill_null(True) | (
            (pl.col("time") - pl.col("time").shift(1)) > gap
        ).fill_null(False)
        batch = batch.with_columns(new_session.cum_sum().alias("_session"))
        if self.params.merge_turns:
            batch = self._merge(batch)
        else:
            batch = batch.with_columns(pl.lit(True).alias("_turn_start")).with_row_index("_turn")
        turns = self._turns(batch)
        merged = batch.height - turns.height
        if merged:
            ctx.note(self.name, "messages_merged_into_turns", merged)
        # Session ids number sessions within their conversation: "<conversation>#<n>".
        number = pl.col("_session") - pl.col("_session").min().over("conversation") + 1
        turns = turns.with_columns((conv + pl.lit("#") + number.cast(pl.Utf8)).alias("session"))
        speakers = (
            batch.select("_session", "speaker")
            .unique()
            .sort("_session", "speaker")
            .group_by("_session", maintain_order=True)
            .agg(pl.col("speaker").drop_nulls().alias("speakers"))
        )
        ctx.note(self.name, "sessions", speakers.height)
        return turns.join(speakers, on="_session", how="left", maintain_order="left").drop(
            "_session", "_turn"
        )

    @staticmethod
    def _turns(batch: pl.DataFrame) -> pl.DataFrame:
        """One row per turn; most turns are a single message, which skip the costly join."""
        # A turn is a single message when it starts here and the next row starts another.
        single_row = pl.col("_turn_start") & pl.col("_turn_start").shift(-1).fill_null(True)
        columns = [
            "_turn",
            "_session",
            "conversation",
            "is_assistant",
            "text",
            "time",
            "source_file",
        ]
        columns += [c for c in ("system_prompt",) if c in batch.columns]
        single = batch.filter(single_row).select(
            *columns,
            pl.col("source_line").alias("first_line"),
            pl.col("source_line").alias("last_line"),
            pl.lit(1, dtype=pl.UInt32).alias("messages"),
        )
        multiple = (
            batch.filter(~single_row)
            .group_by("_turn")
            .agg(
                *[pl.col(c).first() for c in columns[1:] if c != "text"],
                pl.col("text").str.join("\n"),
                pl.col("source_line").min().alias("first_line"),
                pl.col("source_line").max().alias("last_line"),
                pl.len().alias("messages"),
            )
            .select(single.columns)
        )
        return pl.concat([single, multiple]).sort("_turn")

    def _merge(self, batch: pl.DataFrame) -> pl.DataFrame:
        """Number turns: a new turn at each session or role change, or when one grows too long.

        Runs are contiguous, so lengths within a run come from one global cumulative sum minus
        its value at the run's start (forward-filled) - no per-group window needed.
        """
        run_start = (pl.col("_session") != pl.col("_session").shift(1)).fill_null(True) | (
            pl.col("is_assistant") != pl.col("is_assistant").shift(1)
        ).fill_null(True)
        size = pl.col("text").str.len_chars() + 1
        total = size.cum_sum()
        base = pl.when(run_start).then(total - size).otherwise(None).forward_fill()
        chunk = (total - base) // (self.params.max_turn_chars + 1)
        batch = batch.with_columns(run_start.alias("_run_start"), chunk.alias("_chunk"))
        turn_start = pl.col("_run_start") | (
            pl.col("_chunk") != pl.col("_chunk").shift(1)
        ).fill_null(True)
        return batch.with_columns(
            turn_start.alias("_turn_start"), turn_start.cum_sum().alias("_turn")
        ).drop("_run_start", "_chunk")
