"""Decontamination: drop training samples that overlap the user's evaluation files.

A training sample is contaminated when one of its messages shares an n-gram with an
evaluation text: 13 words for spaced languages (lm-eval-harness and NeMo Curator use 13),
13 characters for Chinese/Japanese/Korean text, where words are not separated. Evaluation
texts shorter than n words but at least ``min_words`` long are matched whole, and any
evaluation string of at least ``min_exact_chars`` characters is also matched as an exact
normalised message (chat answers are often too short for 13-grams).
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import polars as pl
from pydantic import Field

from dataprep.clean.text import has_cjk, normalize_text, turn_columns
from dataprep.errors import InputError
from dataprep.io import iter_jsonl, read_text
from dataprep.registry import register
from dataprep.stage import Stage, StageParams

if TYPE_CHECKING:
    from dataprep.context import RunContext

__all__ = ["DecontaminateParams", "DecontaminateStage", "EvalIndex", "read_eval_texts"]

_PUNCTUATION = str.maketrans("", "", string.punctuation + "，。！？、；：“”‘’（）《》【】…")
_CJK_RUN = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]+")


def _tokens(text: str) -> list[str]:
    """lm-eval style: lower case, ASCII and CJK punctuation removed, split on whitespace."""
    return text.lower().translate(_PUNCTUATION).split()


def _strings(value: Any) -> Iterator[str]:
    """Every string inside a JSON value (eval files come in many shapes)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


class EvalIndex:
    """The n-grams and exact strings of one evaluation file."""

    def __init__(self, words: int, chars: int, min_words: int, min_exact_chars: int) -> None:
        self.words, self.chars = words, chars
        self.min_words, self.min_exact_chars = min_words, min_exact_chars
        self.word_grams: dict[int, set[tuple[str, ...]]] = {}
        self.char_grams: set[str] = set()
        self.exact: set[str] = set()
        self.items = 0

    def add(self, text: str) -> None:
        self.items += 1
        normal = normalize_text(text)
        if len(normal) >= self.min_exact_chars:
            self.exact.add(normal)
        tokens = _tokens(text)
        if len(tokens) >= self.words:
            grams = self.word_grams.setdefault(self.words, set())
            grams.update(
                tuple(tokens[i : i + self.words]) for i in range(len(tokens) - self.words + 1)
            )
        elif len(tokens) >= self.min_words:
            self.word_grams.setdefault(len(tokens), set()).add(tuple(tokens))
        for run in _CJK_RUN.findall(text):
            self.char_grams.update(
                run[i : i + self.chars] for i in range(len(run) - self.chars + 1)
            )

    def matches(self, text: str) -> bool:
        if normalize_text(text) in self.exact:
            return True
        tokens = _tokens(text)
        for size, grams in self.word_grams.items():
            if any(tuple(tokens[i : i + size]) in grams for i in range(len(tokens) - size + 1)):
                return True
        if self.char_grams and has_cjk(text):
            for run in _CJK_RUN.findall(text):
                if any(
                    run[i : i + self.chars] in self.char_grams
                    for i in range(len(run) - self.chars + 1)
                ):
                    return True
        return False


def read_eval_texts(path: Path) -> Iterable[str]:
    """Strings of an evaluation file: every string field of a JSONL file, or text lines."""
    if not path.is_file():
        raise InputError("evaluation file not found", path=path)
    if path.suffix.lower() in {".jsonl", ".ndjson", ".json"}:
        for line, value, error in iter_jsonl(path):
            if error:
                raise InputError(error, path=path, line=line)
            yield from _strings(value)
    else:
        yield from (line for line in read_text(path).splitlines() if line.strip())


class DecontaminateParams(StageParams):
    eval_files: list[str] = Field(
        default_factory=list,
        description="Evaluation files (JSONL: every string field; other files: one text per line).",
    )
    ngram_words: int = Field(
        default=13,
        ge=3,
        description="Word n-gram size for spaced languages (lm-eval-harness uses 13).",
    )
    ngram_chars: int = Field(default=13, ge=4, description="Character n-gram size for CJK text.")
    min_words: int = Field(
        default=8,
        ge=1,
        description="Eval texts shorter than ngram_words but at least this long are matched whole.",
    )
    min_exact_chars: int = Field(
        default=20,
        ge=1,
        description="Eval strings at least this long also match as an exact normalised message.",
    )
    apply_to: Literal["train", "all"] = Field(
        default="train",
        description="Drop contaminated samples from train only (rows without a split count as train) or from every split.",
    )


@register
class DecontaminateStage(Stage):
    """Drops training samples that share n-grams with evaluation files."""

    name = "decontaminate"
    consumes = "samples"
    description = "Drop training samples that share 13-grams (words; characters for CJK) with evaluation files."
    Params = DecontaminateParams
    params: DecontaminateParams

    def check(self, ctx: RunContext) -> None:
        for name in self.params.eval_files:
            if not Path(name).is_file():
                raise InputError("evaluation file not found", path=name)

    def setup(self, ctx: RunContext) -> None:
        p = self.params
        self.indexes: dict[str, EvalIndex] = {}
        for name in p.eval_files:
            index = EvalIndex(p.ngram_words, p.ngram_chars, p.min_words, p.min_exact_chars)
            for text in read_eval_texts(Path(name)):
                index.add(text)
            self.indexes[Path(name).name] = index
        self.removed = dict.fromkeys(self.indexes, 0)
        self.checked = 0

    def map_batch(self, batch: pl.DataFrame, ctx: RunContext) -> pl.DataFrame:
        if not self.indexes:
            return batch
        columns = turn_columns(batch)
        contents = batch.select(
            pl.concat_list(
                [
                    pl.col(c).fill_null([]).list.eval(pl.element().struct.field("content"))
                    for c in columns
                ]
            ).alias("texts")
        )["texts"].to_list()
        eligible = self._eligible(batch)
        matched: list[str | None] = []
        for texts, check in zip(contents, eligible, strict=True):
            hit = None
            if check:
                self.checked += 1
                hit = next(
                    (
                        name
                        for name, index in self.indexes.items()
                        if any(index.matches(t or "") for t in texts or [])
                    ),
                    None,
                )
            if hit:
                self.removed[hit] += 1
            matched.append(hit)
        flagged = batch.with_columns(pl.Series("matched_eval", matched, dtype=pl.Utf8))
        dropped = flagged.filter(pl.col("matched_eval").is_not_null())
        if dropped.height:
            ctx.reject(self.name, dropped, "contaminated")
        return batch.filter(pl.Series(matched).is_null())

    def _eligible(self, batch: pl.DataFrame) -> list[bool]:
        if self.params.apply_to == "all" or "split" not in batch.columns:
            return [True] * batch.height
        return batch.select((pl.col("split").fill_null("train") == "train").alias("t"))[
            "t"
        ].to_list()

    def finish(self, ctx: RunContext) -> None:
        if not self.indexes:
            return
        ctx.report[self.name] = {
            "eval_files": {
                name: {"items": index.items, "removed_samples": self.removed[name]}
                for name, index in self.indexes.items()
            },
            "samples_checked": self.checked,
            "removed_total": sum(self.removed.values()),
            "ngram_words": self.params.ngram_words,
            "ngram_chars": self.params.ngram_chars,
        }
