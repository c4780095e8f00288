"""``assign_roles``: the target speaker (``--me``) becomes the assistant, everyone else the user."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Literal

import polars as pl
from pydantic import Field

from dataprep.context import RunContext
from dataprep.errors import ConfigError
from dataprep.registry import register
from dataprep.stage import Stage, StageParams

__all__ = ["AssignRoles", "speaker_table"]


class AssignRolesParams(StageParams):
    me: list[str] = Field(
        default_factory=list,
        description="Names or platform ids of the target speaker (case-insensitive); their turns become the assistant's.",
    )
    speaker_prefix: Literal["auto", "always", "never"] = Field(
        default="auto",
        description="Prefix user turns with 'Name: ' (auto: only in group chats with more than two speakers).",
    )


def speaker_table(counts: Counter[str], limit: int = 15) -> str:
    """``Alice (120), Bob (98), ...`` for error messages: names and counts only."""
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    shown = [f"{name} ({n})" for name, n in ranked[:limit]]
    if len(counts) > limit:
        shown.append(f"... and {len(counts) - limit} more")
    return ", ".join(shown)


@register
class AssignRoles(Stage):
    """Marks each message user or assistant, and prefixes speakers in group chats."""

    name = "assign_roles"
    consumes = "messages"
    description = "Make the target speaker (--me) the assistant and everyone else the user."
    Params = AssignRolesParams
    params: AssignRolesParams

    def process(self, batches: Iterator[pl.DataFrame], ctx: RunContext) -> Iterator[pl.DataFrame]:
        wanted = [m.strip().casefold() for m in self.params.me if m.strip()]
        speakers: Counter[str] = Counter()
        matched = 0
        for batch in batches:
            batch = self._take_system_prompts(batch, ctx)
            for name, n in batch.group_by("speaker").len().iter_rows():
                speakers[str(name)] += n
            batch = self._assign(batch, wanted)
            matched += int(batch["is_assistant"].sum())
            yield self._prefix(batch)
        if matched == 0 and speakers:
            listing = speaker_table(speakers)
            if wanted:
                raise ConfigError(
                    f"--me {', '.join(self.params.me)!s} matches no speaker",
                    hint=f"Speakers found (messages): {listing}",
                )
            raise ConfigError(
                "say whose turns are the assistant's with --me NAME",
                hint=f"Speakers found (messages): {listing}",
            )
        ctx.report[self.name] = {"speakers": len(speakers), "assistant_messages": matched}

    def _take_system_prompts(self, batch: pl.DataFrame, ctx: RunContext) -> pl.DataFrame:
        """Rows of kind ``prompt`` (system turns of ShareGPT/OpenAI input) are not speakers:
        they leave the stream and become each conversation's ``system_prompt``."""
        prompt = pl.col("kind") == "prompt"
        system = pl.col("text").filter(prompt).first().over("conversation")
        prompts = int(batch.select(prompt.sum()).item())
        if prompts == 0:
            return batch.with_columns(pl.lit(None, dtype=pl.Utf8).alias("system_prompt"))
        ctx.note(self.name, "system_prompts", prompts)
        return batch.with_columns(system.alias("system_prompt")).filter(~prompt)

    def _assign(self, batch: pl.DataFrame, wanted: list[str]) -> pl.DataFrame:
        if wanted:
            is_me = pl.col("speaker").str.to_lowercase().is_in(wanted) | pl.col(
                "speaker_id"
            ).str.to_lowercase().is_in(wanted)
        else:
            is_me = pl.col("is_me")
        return batch.with_columns(is_me.fill_null(False).alias("is_assistant"))

    def _prefix(self, batch: pl.DataFrame) -> pl.DataFrame:
        mode = self.params.speaker_prefix
        if mode == "never":
            return batch
        prefix = pl.col("speaker").fill_null("") + pl.lit(": ") + pl.col("text")
        if mode == "always":
            group = pl.lit(True)
        else:
            group = pl.col("speaker").n_unique().over("conversation") > 2
        return batch.with_columns(
            pl.when(group & ~pl.col("is_assistant"))
            .then(prefix)
            .otherwise(pl.col("text"))
            .alias("text")
        )
