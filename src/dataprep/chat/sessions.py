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
        default=60, gt=0, description="A silence longer than this starts a new session (WeClone/MemoTrace use 2-60 min)."
    )
    merge_turns: bool = Field(
        default=True, description="Merge consecutive messages of the same role into one turn (joined with a newline)."
    )
    max_turn_chars: int = Field(
        default=4000, ge=1, description="Stop merging into a turn once it would exceed this many characters."
    )


@register
class Sessionize(Stage):
    """Assigns session ids and turns messages into alternating user/assistant turns.

    Order within a conversation is the export's order (``source_line``), not the timestamps:
    exports contain out-of-order times (DST, clock changes), which never split a session.
    """

    name = "sessionize"
    description = "Split conversations into sessions on a silence gap and merge consecutive same-role messages into turns."
    Params = SessionizeParams
    params: SessionizeParams

    def map_batch(self, batch: pl.DataFrame, ctx: RunContext) -> pl.DataFrame:
        gap = pl.duration(seconds=int(self.params.gap_minutes * 60))
        conv = pl.col("conversation")
        batch = batch.with_row_index("_order")
        new_session = (
            (conv != conv.shift(1)).fill_null(True)
            | ((pl.col("time") - pl.col("time").shift(1)) > gap).fill_null(False)
        )
        batch = batch.with_columns(new_session.cum_sum().alias("_session"))
        batch = batch.with_columns(
            (conv + pl.lit("#") + (pl.col("_session") - pl.col("_session").min().over("conversation") + 1).cast(pl.Utf8)).alias("session")
        )
        if not self.params.merge_turns:
            turns = batch.with_columns(pl.col("_order").alias("_turn"))
        else:
            turns = self._merge(batch)
        out = turns.group_by("_turn", maintain_order=True).agg(
            pl.col("session").first(),
            pl.col("conversation").first(),
            pl.col("is_assistant").first(),
            pl.col("text").str.join("\n"),
            pl.col("speaker").drop_nulls().unique(maintain_order=True).alias("speakers"),
            pl.col("time").first(),
            pl.col("source_file").first(),
            pl.col("source_line").min().alias("first_line"),
            pl.col("source_line").max().alias("last_line"),
            pl.len().alias("messages"),
        )
        merged = batch.height - out.height
        if merged:
            ctx.note(self.name, "messages_merged_into_turns", merged)
        ctx.note(self.name, "sessions", out["session"].n_unique())
        return out.drop("_turn")

    def _merge(self, batch: pl.DataFrame) -> pl.DataFrame:
        role_change = (
            (pl.col("session") != pl.col("session").shift(1)).fill_null(True)
            | (pl.col("is_assistant") != pl.col("is_assistant").shift(1)).fill_null(True)
        )
        batch = batch.with_columns(role_change.cum_sum().alias("_run"))
        # Within a run of one role, start a new turn when the merged text would grow too long.
        length = (pl.col("text").str.len_chars() + 1).cum_sum().over("_run")
        chunk = (length // (self.params.max_turn_chars + 1)).alias("_chunk")
        batch = batch.with_columns(chunk)
        key = pl.col("_run").cast(pl.Utf8) + pl.lit(":") + pl.col("_chunk").cast(pl.Utf8)
        return batch.with_columns((key != key.shift(1)).fill_null(True).cum_sum().alias("_turn"))
