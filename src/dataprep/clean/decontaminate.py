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

from dataprep.clean.text import normalize_expr, turn_columns
from dataprep.deps import require
from dataprep.errors import InputError
from dataprep.io import iter_jsonl, read_text
from dataprep.registry import register
from dataprep.stage import Stage, StageParams

if TYPE_CHECKING:
    import numpy as np

    from dataprep.context import RunContext

__all__ = ["DecontaminateParams", "DecontaminateStage", "EvalIndex", "read_eval_texts"]

_PUNCTUATION = string.punctuation + "，。！？、；：“”‘’（）《》【】…"
_PUNCTUATION_RE = "[" + re.escape(_PUNCTUATION) + "]"
_CJK_CLASS = "[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]"
_CJK_RUN = re.compile(_CJK_CLASS + "+")
# Multiplier of the polynomial that combines token hashes into an n-gram hash.
_POLY = 0x9E3779B97F4A7C15


def _tokens_expr(text: pl.Expr) -> pl.Expr:
    """lm-eval style: lower case, ASCII and CJK punctuation removed, split on whitespace."""
    return text.str.to_lowercase().str.replace_all(_PUNCTUATION_RE, "").str.extract_all(r"\S+")


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


class _TokenWindows:
    """Hashes of token windows of many token lists, for any window size.

    Token hashes are polars' ``hash`` (fixed seeds, the same on both sides in a run); a
    window's hash is the polynomial ``sum t[i + j] * P^(size - 1 - j)`` mod 2^64, so two
    windows collide with chance ~2^-64. Prefix sums of ``t[m] * P^-m`` (P is odd, so it has
    an inverse mod 2^64) give every window of every size in a few array passes.
    """

    def __init__(self, tokens: pl.Series, shortest: int) -> None:
        import numpy as np

        lengths = tokens.list.len().fill_null(0).to_numpy().astype(np.int64)
        self.lists = np.flatnonzero(lengths >= shortest)
        self.lengths = lengths[self.lists]
        flat = tokens.gather(self.lists).explode().hash().to_numpy()
        self.starts = np.concatenate([[0], np.cumsum(self.lengths)[:-1]]).astype(np.int64)
        with np.errstate(over="ignore"):
            self.powers = np.cumprod(np.full(flat.size + 1, _POLY, dtype=np.uint64))
            self.powers = np.concatenate([np.ones(1, np.uint64), self.powers[:-1]])
            inverse = np.cumprod(np.full(flat.size, pow(_POLY, -1, 1 << 64), dtype=np.uint64))
            inverse = np.concatenate([np.ones(1, np.uint64), inverse[:-1]])
            self.prefix = np.concatenate([np.zeros(1, np.uint64), np.cumsum(flat * inverse)])

    def grams(self, size: int, whole: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """Hashes of every ``size``-token window inside one list (with ``whole``, only of
        lists exactly ``size`` long) and the index of the list each came from."""
        import numpy as np

        counts = (
            (self.lengths == size).astype(np.int64)
            if whole
            else np.maximum(self.lengths - size + 1, 0)
        )
        owner = np.repeat(np.arange(self.lengths.size, dtype=np.int64), counts)
        first = self.starts[owner] + (
            np.arange(owner.size, dtype=np.int64) - np.repeat(np.cumsum(counts) - counts, counts)
        )
        with np.errstate(over="ignore"):
            hashes = (self.prefix[first + size] - self.prefix[first]) * self.powers[
                first + size - 1
            ]
        return hashes, self.lists[owner]


class EvalIndex:
    """The n-grams and exact strings of one evaluation file.

    Word n-grams are kept as 64-bit hashes (sorted arrays, one per size), so a batch of
    training messages is checked with numpy instead of a Python loop per window.
    """

    def __init__(self, words: int, chars: int, min_words: int, min_exact_chars: int) -> None:
        self.words, self.chars = words, chars
        self.min_words, self.min_exact_chars = min_words, min_exact_chars
        self.word_grams: dict[int, pl.Series] = {}
        self.char_grams: set[str] = set()
        self.exact: set[str] = set()
        self.items = 0

    def add(self, text: str) -> None:
        self.add_all([text])

    def add_all(self, texts: Iterable[str]) -> None:
        """Index evaluation texts: exact strings, word n-grams, CJK character n-grams."""
        import numpy as np

        series = pl.Series(list(texts), dtype=pl.Utf8)
        self.items += len(series)
        views = series.to_frame("text").select(
            normalize_expr(pl.col("text")).alias("normal"), _tokens_expr(pl.col("text"))
        )
        normal = views["normal"]
        self.exact.update(normal.filter(normal.str.len_chars() >= self.min_exact_chars).to_list())
        windows = _TokenWindows(views["text"], self.min_words)
        found: dict[int, list[np.ndarray]] = {self.words: [windows.grams(self.words)[0]]}
        for size in range(self.min_words, self.words):
            found[size] = [windows.grams(size, whole=True)[0]]
        for size, parts in found.items():
            known = self.word_grams.get(size, pl.Series(dtype=pl.UInt64)).to_numpy()
            merged = np.unique(np.concatenate([known, *parts]))
            if merged.size:
                self.word_grams[size] = pl.Series(merged, dtype=pl.UInt64)
        for text in series.filter(series.str.contains(_CJK_CLASS)).to_list():
            for run in _CJK_RUN.findall(text):
                self.char_grams.update(
                    run[i : i + self.chars] for i in range(len(run) - self.chars + 1)
                )

    def matches(self, text: str) -> bool:
        return bool(self.matching(pl.Series([text], dtype=pl.Utf8))[0])

    def matching(self, texts: pl.Series) -> np.ndarray:
        """For each text, whether it shares an n-gram or an exact string with this file."""
        import numpy as np

        hit = np.zeros(len(texts), dtype=bool)
        frame = texts.fill_null("").to_frame("text")
        if self.exact:
            exact = pl.Series(list(self.exact), dtype=pl.Utf8).implode()
            hit |= frame.select(normalize_expr(pl.col("text")).is_in(exact)).to_series().to_numpy()
        if self.word_grams:
            tokens = frame.select(_tokens_expr(pl.col("text"))).to_series()
            windows = _TokenWindows(tokens, min(self.word_grams))
            for size, grams in self.word_grams.items():
                hashes, owner = windows.grams(size)
                # A hash-set lookup (polars): 20x faster than numpy's sorted search here.
                found = pl.Series(hashes).is_in(grams.implode()).to_numpy()
                hit[owner[found]] = True
        if self.char_grams:
            cjk = frame.select(pl.col("text").str.contains(_CJK_CLASS)).to_series().to_numpy()
            for row in np.flatnonzero(cjk & ~hit).tolist():
                hit[row] = self._cjk_match(texts[row])
        return hit

    def _cjk_match(self, text: str) -> bool:
        return any(
            run[i : i + self.chars] in self.char_grams
            for run in _CJK_RUN.findall(text)
            for i in range(len(run) - self.chars + 1)
        )


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
        if p.eval_files:
            require("numpy", extra="clean")
        self.indexes: dict[str, EvalIndex] = {}
        for name in p.eval_files:
            index = EvalIndex(p.ngram_words, p.ngram_chars, p.min_words, p.min_exact_chars)
            index.add_all(read_eval_texts(Path(name)))
            self.indexes[Path(name).name] = index
        self.removed = dict.fromkeys(self.indexes, 0)
        self.checked = 0

    def map_batch(self, batch: pl.DataFrame, ctx: RunContext) -> pl.DataFrame:
        if not self.indexes:
            return batch
        import numpy as np

        eligible = np.asarray(self._eligible(batch), dtype=bool)
        self.checked += int(eligible.sum())
        texts = pl.concat_list(
            [
                pl.col(c).fill_null([]).list.eval(pl.element().struct.field("content"))
                for c in turn_columns(batch)
            ]
        )
        messages = (
            batch.select(texts.alias("text"))
            .with_row_index("sample")
            .filter(pl.Series(eligible))
            .explode("text")
        )
        owners = messages["sample"].to_numpy()
        # Index (into self.indexes) of the first eval file each sample matched, -1 if none.
        matched = np.full(batch.height, -1, dtype=np.int64)
        for number, (name, index) in enumerate(self.indexes.items()):
            open_rows = np.flatnonzero(matched[owners] < 0)
            hits = np.unique(owners[open_rows][index.matching(messages["text"][open_rows])])
            matched[hits] = number
            self.removed[name] += len(hits)
        names = pl.Series([*self.indexes, None], dtype=pl.Utf8)
        flagged = batch.with_columns(
            names.gather(np.where(matched < 0, len(self.indexes), matched)).alias("matched_eval")
        )
        dropped = flagged.filter(pl.col("matched_eval").is_not_null())
        if dropped.height:
            ctx.reject(self.name, dropped, "contaminated")
        return batch.filter(pl.Series(matched < 0))

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
