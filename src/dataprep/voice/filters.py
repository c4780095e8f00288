"""Quality filters on transcribed clips; each failing rule is a reject with its own reason.

Default thresholds are Whisper's own failure thresholds (faster-whisper ``transcribe``:
compression ratio > 2.4 means a repetition loop, average log-probability < -1.0 a failed
decode, no-speech probability > 0.6 together with log-probability < -1.0 silence). The
characters-per-second window catches clips whose text cannot match their audio (a
hallucinated sentence over a cough, a transcript that lost half the words); 2-30 covers English (~15/s in LJSpeech) and
Chinese or Japanese (~4-8 characters per second).
"""

from __future__ import annotations

import polars as pl
from pydantic import Field

from dataprep.stage import StageParams

__all__ = ["FilterThresholds", "chars_per_second", "filter_rules"]


class FilterThresholds(StageParams):
    """The limits the filter rules compare against (the ``filter_clips`` parameters)."""

    max_no_speech_prob: float = Field(
        default=0.6,
        description="Reject as no_speech above this no-speech probability when avg_logprob is also low.",
    )
    min_avg_logprob: float = Field(
        default=-1.0, description="Reject below this average token log-probability."
    )
    max_compression_ratio: float = Field(
        default=2.4, description="Reject above this gzip ratio (repetition loops)."
    )
    min_chars_per_second: float = Field(default=2.0, ge=0, description="Reject slower transcripts.")
    max_chars_per_second: float = Field(
        default=30.0, gt=0, description="Reject faster transcripts."
    )
    language: str | None = Field(
        default=None, description="Reject clips detected in another language (Whisper code)."
    )


def chars_per_second() -> pl.Expr:
    """Characters of the transcript, whitespace excluded, per second of clip."""
    chars = pl.col("text").str.replace_all(r"\s+", "").str.len_chars()
    return (chars / pl.col("duration")).alias("chars_per_second")


def filter_rules(limits: FilterThresholds) -> list[tuple[str, pl.Expr]]:
    """``(reason, keep expression)`` pairs, applied in order; a null score passes."""
    rules = [
        ("empty_text", pl.col("text").str.contains(r"\w")),
        # Whisper's own silence rule needs both signals: no_speech_prob alone runs above 0.6
        # on clean speech (measured 0.61-0.69 with tiny.en on the benchmark's espeak speech).
        (
            "no_speech",
            pl.when(
                (pl.col("no_speech_prob") > limits.max_no_speech_prob)
                & (pl.col("avg_logprob") < limits.min_avg_logprob)
            )
            .then(False)
            .otherwise(True),
        ),
        (
            "low_logprob",
            pl.col("avg_logprob").is_null() | (pl.col("avg_logprob") >= limits.min_avg_logprob),
        ),
        (
            "repetition",
            pl.col("compression_ratio").is_null()
            | (pl.col("compression_ratio") <= limits.max_compression_ratio),
        ),
    ]
    if limits.language:
        rules.append(("wrong_language", pl.col("language") == limits.language))
    rules.append(
        (
            "chars_per_second",
            pl.col("chars_per_second").is_between(
                limits.min_chars_per_second, limits.max_chars_per_second
            ),
        )
    )
    return rules
