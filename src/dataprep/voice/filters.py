"""Quality filters on transcribed clips; each failing rule is a reject with its own reason.

Default thresholds are Whisper's own failure thresholds (faster-whisper ``transcribe``:
compression ratio > 2.4 means a repetition loop, average log-probability < -1.0 a failed
decode, no-speech probability > 0.6 together with log-probability < -1.0 silence). The
characters-per-second window catches clips whose text cannot match their audio (a
hallucinated sentence over a cough, a transcript that lost half the words); 2-30 covers English (~15/s in LJSpeech) and
Chinese or Japanese (~4-8 characters per second).
"""

from __future__ import annotations

import re

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
    min_english_word_probability: float = Field(
        default=0.6,
        ge=0,
        le=1,
        description=(
            "English-only model: every clip of a file whose words average a lower probability "
            "is wrong_language (0 turns the English-only language check off)."
        ),
    )
    min_clip_word_probability: float = Field(
        default=0.5,
        ge=0,
        le=1,
        description=(
            "English-only model: a clip whose words average lower is wrong_language, and so is "
            "a clip below min_english_word_probability whose neighbours, taken with it, do."
        ),
    )
    min_distinct_word_ratio: float = Field(
        default=0.25,
        ge=0,
        le=1,
        description=(
            "English-only model: a file whose 50-word stretches hold fewer distinct words per "
            "word on average (a transcript looping on one phrase) is wrong_language."
        ),
    )
    max_empty_share: float = Field(
        default=0.5,
        ge=0,
        le=1,
        description=(
            "English-only model: when more of a file's speech clips than this get no words at "
            "all, the file is not English and every clip is wrong_language."
        ),
    )


def chars_per_second() -> pl.Expr:
    """Characters of the transcript, whitespace excluded, per second of clip."""
    chars = pl.col("text").str.replace_all(r"\s+", "").str.len_chars()
    return (chars / pl.col("duration")).alias("chars_per_second")


#: Window of the moving distinct-word ratio: a loop repeats within it, while a long file of
#: ordinary speech (whose plain type/token ratio keeps falling with length) does not.
DISTINCT_WINDOW_WORDS = 50
_WORD = re.compile(r"[\w']+")


def moving_distinct_ratio(texts: list[str], window: int = DISTINCT_WINDOW_WORDS) -> float | None:
    """Mean share of distinct words in every ``window``-word stretch of the joined texts
    (None below one window). Measured near 0.1 on tiny.en's loops over Japanese, 0.6-0.9
    on English read speech, including an hour of the same few sentences repeated."""
    words = [w for text in texts for w in _WORD.findall(text.lower())]
    if len(words) < window:
        return None
    step = max(1, window // 5)
    ratios = [
        len(set(words[start : start + window])) / window
        for start in range(0, len(words) - window + 1, step)
    ]
    return sum(ratios) / len(ratios)


def neighbourhood_word_probability() -> pl.Expr:
    """Mean word probability of a clip together with the clips just before and after it in
    its file (weighted by words). A switch to another language lasts beyond one clip, while an
    unsure English clip usually sits between sure ones: measured on faster-whisper's
    ``multilingual.mp3`` (English, then German), the German clips that tiny.en half trusted
    (0.50-0.55 alone) averaged 0.45-0.49 with their neighbours; English clips alone stayed
    at or above 0.71 (81 clips of real recordings) and 0.66 cut to 8 kHz telephone band."""
    counts = pl.col("word_count").fill_null(0).cast(pl.Float64)
    weighted = pl.col("word_probability").fill_null(0) * counts
    in_file_order = pl.col("start").arg_sort().arg_sort()

    def centred_sum(expr: pl.Expr) -> pl.Expr:
        return (
            expr.sort_by("start")
            .rolling_sum(window_size=3, center=True, min_samples=1)
            .gather(in_file_order)
        )

    total = centred_sum(counts)
    return (
        pl.when(total > 0)
        .then(centred_sum(weighted) / total)
        .otherwise(None)
        .alias("neighbourhood_word_probability")
    )


def file_language_signals(texts: list[str]) -> list[pl.Expr]:
    """Per-file aggregates (a batch is one file) of the English-only language signals, and
    each clip's word probability taken with its neighbours'."""
    counts = pl.col("word_count").fill_null(0)
    weighted = (pl.col("word_probability").fill_null(0) * counts).sum()
    return [
        (weighted / counts.sum()).fill_nan(None).alias("file_word_probability"),
        (counts == 0).mean().alias("file_empty_share"),
        pl.lit(moving_distinct_ratio(texts), dtype=pl.Float64).alias("file_distinct_word_ratio"),
        neighbourhood_word_probability(),
    ]


def english_only_rule(limits: FilterThresholds) -> pl.Expr:
    """Keep expression of ``wrong_language`` under an English-only model.

    tiny.en decodes any speech into English words; on other languages it is unsure of them
    (word probabilities measured in benchmarks/RESULTS.md, "Voice language"), writes
    nothing, or loops. A file is judged as a whole, since a short clip of English can be
    unsure too, and a clip on its own or with its neighbours catches a switch of language
    inside an English file.
    """
    english_file = (
        (pl.col("file_word_probability").fill_null(0.0) >= limits.min_english_word_probability)
        & (pl.col("file_empty_share") <= limits.max_empty_share)
        & (pl.col("file_distinct_word_ratio").fill_null(1.0) >= limits.min_distinct_word_ratio)
    )
    # A clip the file rule would call unsure is another language when its neighbours,
    # taken with it, fall below the clip limit too (a stretch of another language).
    probability = pl.col("word_probability")
    english_clip = probability.is_null() | (
        (probability >= limits.min_clip_word_probability)
        & (
            (probability >= limits.min_english_word_probability)
            | (
                pl.col("neighbourhood_word_probability").fill_null(1.0)
                >= limits.min_clip_word_probability
            )
        )
    )
    return (~pl.col("english_only_model")) | (english_file & english_clip)


def filter_rules(limits: FilterThresholds) -> list[tuple[str, pl.Expr]]:
    """``(reason, keep expression)`` pairs, applied in order; a null score passes."""
    rules: list[tuple[str, pl.Expr]] = []
    if limits.min_english_word_probability > 0:
        rules.append(("wrong_language", english_only_rule(limits)))
    rules += [
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
