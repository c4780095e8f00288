"""``clean_messages``: normalise text and drop what should never be trained on.

System lines, media placeholders and deleted messages are dropped structurally (by the
``kind`` the reader assigned), never by keywords inside user text (see the research notes:
keyword filters like "left"/"added" delete real messages).
"""

from __future__ import annotations

from typing import Literal

import polars as pl
from pydantic import Field

from dataprep.context import RunContext
from dataprep.registry import register
from dataprep.stage import Stage, StageParams

__all__ = ["CleanMessages"]

# Bidi marks and other invisible format characters exporters insert (WhatsApp puts U+200E
# before lines, U+202A..U+202C around phone numbers). ZWJ (U+200D) is kept: emoji need it.
_INVISIBLE = r"[\u200b\u200e\u200f\u202a-\u202e\u2060\u2066-\u2069\ufeff]"
# C0/C1 control characters except tab and newline.
_CONTROL = r"[\x00-\x08\x0b-\x1f\x7f-\x9f]"
_INVISIBLE_OR_CONTROL = _INVISIBLE[:-1] + _CONTROL[1:]
_URL = r"(?i)\b(?:https?://|www\.)[^\s<>\"']+"
# Markers WhatsApp appends to edited messages; the message itself is real.
_EDITED = r"\s*<(?:This message was edited|Se editó este mensaje\.?|Diese Nachricht wurde bearbeitet)>\s*$"

_KIND_REASONS = {
    "system": "system_line",
    "media": "media_placeholder",
    "deleted": "deleted_message",
}


class CleanMessagesParams(StageParams):
    normalization: Literal["NFC", "NFKC", "none"] = Field(
        default="NFC", description="Unicode normalization form."
    )
    drop_kinds: list[Literal["system", "media", "deleted"]] = Field(
        default=["system", "media", "deleted"], description="Message kinds to drop (each counted)."
    )
    urls: Literal["keep", "remove", "placeholder"] = Field(
        default="keep", description="What to do with URLs in text."
    )
    url_placeholder: str = Field(default="<URL>", description="Replacement when urls=placeholder.")
    min_chars: int = Field(
        default=1, ge=0, description="Drop messages shorter than this after cleaning."
    )
    max_chars: int = Field(
        default=4000, ge=1, description="Drop single messages longer than this (pastes, logs)."
    )


@register
class CleanMessages(Stage):
    """Normalises message text and drops non-text kinds, empty and overlong messages."""

    name = "clean_messages"
    consumes = "messages"
    description = "Normalize Unicode, strip control and invisible characters, drop system/media/deleted, empty and overlong messages."
    Params = CleanMessagesParams
    params: CleanMessagesParams

    def map_batch(self, batch: pl.DataFrame, ctx: RunContext) -> pl.DataFrame:
        for kind in self.params.drop_kinds:
            batch = self.keep_or_reject(batch, pl.col("kind") != kind, _KIND_REASONS[kind], ctx)
        batch = batch.with_columns(self._normalized(batch["text"]).alias("text"))
        text = (
            pl.col("text")
            .str.replace_all("\r\n?", "\n")
            .str.replace_all(_INVISIBLE_OR_CONTROL, "")
            .str.replace(_EDITED, "")
        )
        if self.params.urls == "remove":
            text = text.str.replace_all(_URL, "")
        elif self.params.urls == "placeholder":
            text = text.str.replace_all(_URL, self.params.url_placeholder, literal=False)
        text = text.str.strip_chars()
        speaker = pl.col("speaker").str.replace_all(_INVISIBLE_OR_CONTROL, "").str.strip_chars()
        batch = batch.with_columns(text.alias("text"), speaker.alias("speaker"))
        length = pl.col("text").str.len_chars()
        batch = self.keep_or_reject(batch, length > 0, "empty_text", ctx)
        if self.params.min_chars > 1:
            batch = self.keep_or_reject(batch, length >= self.params.min_chars, "too_short", ctx)
        return self.keep_or_reject(batch, length <= self.params.max_chars, "too_long", ctx)

    def _normalized(self, text: pl.Series) -> pl.Series:
        """Unicode-normalise only the non-ASCII rows (ASCII is already in every form)."""
        text = text.fill_null("")
        if self.params.normalization == "none":
            return text
        non_ascii = (text.str.len_bytes() != text.str.len_chars()).arg_true()
        if non_ascii.len() == 0:
            return text
        return text.scatter(
            non_ascii, text.gather(non_ascii).str.normalize(self.params.normalization)
        )
