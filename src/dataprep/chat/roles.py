"""``assign_roles``: the target speaker (``--me``) becomes the assistant, everyone else the user."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

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


def speaker_table(counts: Counter[str], limit: int = 15) -> str:
    """``Alice (120), Bob (98), ...`` for error messages: names and counts only."""
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    shown = [f"{name} ({n})" for name, n in ranked[:limit]]
    if len(counts) > limit:
        shown.append(f"... and {len(counts) - limit} more")
    return ", ".join(shown)


@register
class AssignRoles(Stage):
    """Marks each message user or assistant."""

    name = "assign_roles"
    consumes = "messages"
    description = "Make the target speaker (--me) the assistant and everyone else the user."
    Params = AssignRolesParams
    params: AssignRolesParams

    def process(self, batches: Iterator[pl.DataFrame], ctx: RunContext) -> Iterator[pl.DataFrame]:
        wanted = [m.strip().casefold() for m in self.params.me if m.strip()]
        speakers: Counter[str] = Counter()
        matched = 0
        # Carried from batch to batch: the last conversation's system prompt.
        prompt: tuple[str, str | None] = ("", None)
        for batch in batches:
            batch, prompt = self._take_system_prompts(batch, prompt, ctx)
            for name, n in batch.group_by("speaker").len().iter_rows():
                speakers[str(name)] += n
            batch = self._assign(batch, wanted)
            matched += int(batch["is_assistant"].sum())
            yield batch
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

    def _take_system_prompts(
        self, batch: pl.DataFrame, carried: tuple[str, str | None], ctx: RunContext
    ) -> tuple[pl.DataFrame, tuple[str, str | None]]:
        """Rows of kind ``prompt`` (system turns of ShareGPT/OpenAI input) are not speakers:
        they leave the stream and become each conversation's ``system_prompt``.

        A conversation continuing from the previous batch keeps the prompt read there.
        """
        prompt = pl.col("kind") == "prompt"
        prompts = int(batch.select(prompt.sum()).item())
        if prompts:
            ctx.note(self.name, "system_prompts", prompts)
        system = pl.col("text").filter(prompt).first().over("conversation")
        continued = pl.col("conversation") == carried[0]
        system = pl.when(continued).then(system.fill_null(pl.lit(carried[1], pl.Utf8)))
        system = system.otherwise(pl.col("text").filter(prompt).first().over("conversation"))
        if prompts == 0 and carried[1] is None:
            batch = batch.with_columns(pl.lit(None, dtype=pl.Utf8).alias("system_prompt"))
        else:
            batch = batch.with_columns(system.cast(pl.Utf8).alias("system_prompt")).filter(~prompt)
        if batch.height == 0:
            return batch, carried
        last = batch.select(pl.col("conversation").last(), pl.col("system_prompt").last()).row(0)
        return batch, (last[0], last[1])

    def _assign(self, batch: pl.DataFrame, wanted: list[str]) -> pl.DataFrame:
        if wanted:
            is_me = pl.col("speaker").str.to_lowercase().is_in(wanted) | pl.col(
                "speaker_id"
            ).str.to_lowercase().is_in(wanted)
        else:
            is_me = pl.col("is_me")
        return batch.with_columns(is_me.fill_null(False).alias("is_assistant"))
