"""``sessionize``: split conversations on silences and merge consecutive turns of one role."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Literal

import polars as pl
from pydantic import Field

from dataprep.chat.batching import SESSION_GAP_KEY, session_starts
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
    speaker_prefix: Literal["auto", "always", "never"] = Field(
        default="auto",
        description="Prefix user turns with 'Name: ' (auto: from the first session in which a conversation has more than two speakers).",
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

    unit = "turns"

    def setup(self, ctx: RunContext) -> None:
        # read_chat cuts its batches at silences of this length (see dataprep.chat.batching).
        ctx.shared[SESSION_GAP_KEY] = self.params.gap_minutes

    def process(self, batches: Iterator[pl.DataFrame], ctx: RunContext) -> Iterator[pl.DataFrame]:
        """Sessionize whole sessions only: the last session of each batch waits for the next.

        Session numbers continue per conversation from batch to batch, so the output does
        not depend on where the batches were cut; memory holds one session at most extra.
        """
        numbers: dict[str, int] = {}
        # Each conversation's first speakers (three are enough to call it a group chat).
        seen: dict[str, tuple[str, ...]] = {}
        held: pl.DataFrame | None = None
        for batch in batches:
            if held is not None:
                batch = pl.concat([held, batch], how="vertical_relaxed")
            starts = batch.select(session_starts(batch, self.params.gap_minutes)).to_series()
            last = int(starts.arg_true()[-1])
            held = batch.slice(last)
            if last:
                yield self._sessions(batch.slice(0, last), numbers, seen, ctx)
        if held is not None and held.height:
            yield self._sessions(held, numbers, seen, ctx)

    def _sessions(
        self,
        batch: pl.DataFrame,
        numbers: dict[str, int],
        seen: dict[str, tuple[str, ...]],
        ctx: RunContext,
    ) -> pl.DataFrame:
        starts = session_starts(batch, self.params.gap_minutes)
        batch = batch.with_columns(starts.cum_sum().alias("_session"))
        speakers = (
            batch.select("_session", "conversation", "speaker")
            .unique()
            .sort("_session", "speaker")
            .group_by("_session", maintain_order=True)
            .agg(pl.col("conversation").first(), pl.col("speaker").drop_nulls().alias("speakers"))
        )
        batch = self._prefix(batch, speakers, seen)
        if self.params.merge_turns:
            batch = self._merge(batch)
        else:
            batch = batch.with_columns(pl.lit(True).alias("_turn_start")).with_row_index("_turn")
        turns = self._turns(batch)
        merged = batch.height - turns.height
        if merged:
            ctx.note(self.name, "messages_merged_into_turns", merged)
        turns = self._number_sessions(turns, numbers)
        ctx.note(self.name, "sessions", speakers.height)
        speakers = speakers.select("_session", "speakers")
        return turns.join(speakers, on="_session", how="left", maintain_order="left").drop(
            "_session", "_turn"
        )

    def _prefix(
        self, batch: pl.DataFrame, speakers: pl.DataFrame, seen: dict[str, tuple[str, ...]]
    ) -> pl.DataFrame:
        """Prefix user messages with ``Name: `` in group chats.

        auto: a conversation counts as a group from the first session by whose end it has had
        more than two speakers; the count continues across batches.
        """
        mode = self.params.speaker_prefix
        if mode == "never":
            return batch
        group: pl.Expr = pl.lit(True)
        if mode == "auto":
            groups = []
            for session, conversation, names in speakers.iter_rows():
                known = tuple(dict.fromkeys([*seen.get(conversation, ()), *names]))[:3]
                seen[conversation] = known
                if len(known) > 2:
                    groups.append(session)
            group = pl.col("_session").is_in(groups)
        prefix = pl.col("speaker").fill_null("") + pl.lit(": ") + pl.col("text")
        return batch.with_columns(
            pl.when(group & ~pl.col("is_assistant"))
            .then(prefix)
            .otherwise(pl.col("text"))
            .alias("text")
        )

    @staticmethod
    def _number_sessions(turns: pl.DataFrame, numbers: dict[str, int]) -> pl.DataFrame:
        """Session ids ``<conversation>#<n>``, numbered within the conversation across batches."""
        conv = pl.col("conversation")
        seen = [c for c in turns.get_column("conversation").unique().to_list() if c in numbers]
        offsets = pl.DataFrame(
            {"conversation": seen, "_offset": [numbers[c] for c in seen]},
            schema={"conversation": pl.Utf8, "_offset": pl.Int64},
        )
        local = pl.col("_session").rank("dense").over("conversation").cast(pl.Int64)
        turns = turns.join(offsets, on="conversation", how="left", maintain_order="left")
        number = local + pl.col("_offset").fill_null(0)
        turns = turns.with_columns(number.alias("_number")).drop("_offset")
        for name, last in turns.group_by("conversation").agg(pl.col("_number").max()).iter_rows():
            numbers[name] = last
        return turns.with_columns(
            (conv + pl.lit("#") + pl.col("_number").cast(pl.Utf8)).alias("session")
        ).drop("_number")

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
