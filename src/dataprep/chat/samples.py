"""``build_samples``: cut sessions into training conversations.

Every sample starts with a user turn and ends with an assistant turn. Long sessions are cut
between exchanges (a user turn and the assistant's answer), never inside one.
"""

from __future__ import annotations

import hashlib
from typing import Literal

import polars as pl
from pydantic import Field

from dataprep.chat.schema import SAMPLE_SCHEMA, TURN
from dataprep.context import RunContext
from dataprep.registry import register
from dataprep.stage import Stage, StageParams

__all__ = ["BuildSamples", "sample_id"]


class BuildSamplesParams(StageParams):
    max_turns: int = Field(
        default=32,
        ge=2,
        description="Most user+assistant turns in one sample (a system prompt not counted).",
    )
    max_chars: int = Field(
        default=8000,
        ge=1,
        description="Most characters in one sample; longer sessions are cut between exchanges.",
    )
    system: str | None = Field(default=None, description="System prompt put first in every sample.")
    me_first: Literal["drop", "keep", "empty_user"] = Field(
        default="drop",
        description="A session that opens with the --me speaker: drop that opening turn, keep it as the sample's first turn (OpenAI/TRL accept an assistant first), or put an empty user turn before it (for ShareGPT trainers, which want a user first).",
    )


def sample_id(source: str) -> str:
    """Stable id of a sample from where it came from (file and line range)."""
    return hashlib.sha256(source.encode("utf-8")).hexdigest()[:16]


@register
class BuildSamples(Stage):
    """Turns alternating turns into samples of bounded length."""

    name = "build_samples"
    consumes = "messages"
    produces = "samples"
    description = (
        "Cut sessions into samples that start with a user turn and end with an assistant turn."
    )
    Params = BuildSamplesParams
    params: BuildSamplesParams

    def map_batch(self, batch: pl.DataFrame, ctx: RunContext) -> pl.DataFrame:
        session = pl.col("session")
        user = (~pl.col("is_assistant")).cast(pl.Int64)
        batch = batch.with_columns(
            pl.col("is_assistant").any().over(session).alias("_has_assistant"),
            user.cum_sum().over(session).alias("_exchange"),
            pl.col("is_assistant")
            .cast(pl.Int64)
            .cum_sum(reverse=True)
            .over(session)
            .alias("_assistant_after"),
        )
        batch = self.keep_or_reject(batch, pl.col("_has_assistant"), "no_assistant_turn", ctx)
        if self.params.me_first == "drop":
            batch = self.keep_or_reject(
                batch, pl.col("_exchange") > 0, "leading_assistant_turn", ctx
            )
        elif batch.select((pl.col("_exchange") == 0).any()).item():
            ctx.note(
                self.name,
                "sessions_opening_with_me",
                batch.filter(pl.col("_exchange") == 0)["session"].n_unique(),
            )
        batch = self.keep_or_reject(
            batch, pl.col("_assistant_after") > 0, "trailing_user_turn", ctx
        )
        if batch.height == 0:
            return pl.DataFrame(schema=SAMPLE_SCHEMA)
        batch = self._window(batch, ctx)
        return self._assemble(batch)

    def _window(self, batch: pl.DataFrame, ctx: RunContext) -> pl.DataFrame:
        exchanges = batch.group_by(["session", "_exchange"], maintain_order=True).agg(
            (pl.col("text").str.len_chars().sum()).alias("chars"), pl.len().alias("turns")
        )
        sample_of: list[int] = []
        current, chars, turns, last_session = -1, 0, 0, None
        limit_chars, limit_turns = self.params.max_chars, self.params.max_turns
        for session, ex_chars, ex_turns in zip(
            exchanges["session"].to_list(),
            exchanges["chars"].to_list(),
            exchanges["turns"].to_list(),
            strict=True,
        ):
            if ex_chars > limit_chars:
                sample_of.append(-1)  # one exchange alone is too long
                continue
            if (
                session != last_session
                or chars + ex_chars > limit_chars
                or turns + ex_turns > limit_turns
            ):
                current, chars, turns, last_session = current + 1, 0, 0, session
            chars += ex_chars
            turns += ex_turns
            sample_of.append(current)
        exchanges = exchanges.with_columns(pl.Series("_sample", sample_of, dtype=pl.Int64))
        batch = batch.join(
            exchanges.select("session", "_exchange", "_sample"),
            on=["session", "_exchange"],
            how="left",
            maintain_order="left",
        )
        return self.keep_or_reject(batch, pl.col("_sample") >= 0, "exchange_too_long", ctx)

    def _with_system(self, samples: pl.DataFrame) -> pl.DataFrame:
        """Put the system prompt first: ``--system`` wins over one read from the input."""
        if self.params.system:
            text = pl.lit(self.params.system, dtype=pl.Utf8)
        elif "system_prompt" in samples.columns:
            text = pl.col("system_prompt")
        else:
            return samples
        turn = pl.struct(pl.lit("system").alias("role"), text.alias("content"))
        with_system = pl.concat_list([turn, pl.col("messages")])
        messages = pl.when(text.is_not_null()).then(with_system).otherwise(pl.col("messages"))
        return samples.with_columns(messages.cast(pl.List(TURN)).alias("messages"))

    @staticmethod
    def _with_empty_user(samples: pl.DataFrame) -> pl.DataFrame:
        """Put an empty user turn before a first assistant turn."""
        first_role = pl.col("messages").list.first().struct.field("role")
        empty = pl.struct(pl.lit("user").alias("role"), pl.lit("").alias("content"))
        messages = (
            pl.when(first_role == "assistant")
            .then(pl.concat_list([empty, pl.col("messages")]))
            .otherwise(pl.col("messages"))
        )
        return samples.with_columns(messages.cast(pl.List(TURN)).alias("messages"))

    def _assemble(self, batch: pl.DataFrame) -> pl.DataFrame:
        role = pl.when(pl.col("is_assistant")).then(pl.lit("assistant")).otherwise(pl.lit("user"))
        batch = batch.with_columns(
            pl.struct(role.alias("role"), pl.col("text").alias("content")).alias("_turn")
        )
        samples = batch.group_by("_sample", maintain_order=True).agg(
            pl.col("session").first().alias("group"),
            pl.col("_turn").alias("messages"),
            pl.col("speakers").first(),
            (
                pl.col("source_file").first()
                + pl.lit(":")
                + pl.col("first_line").min().cast(pl.Utf8)
                + pl.lit("-")
                + pl.col("last_line").max().cast(pl.Utf8)
            ).alias("source"),
            *([pl.col("system_prompt").first()] if "system_prompt" in batch.columns else []),
        )
        if self.params.me_first == "empty_user":
            samples = self._with_empty_user(samples)
        samples = self._with_system(samples)
        samples = samples.with_columns(
            pl.col("source").map_elements(sample_id, return_dtype=pl.Utf8).alias("id")
        )
        return samples.select([pl.col(n).cast(t) for n, t in SAMPLE_SCHEMA.items()])
