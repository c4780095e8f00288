"""Statistics of a text dataset, computed in one streaming pass over every row.

Memory stays bounded whatever the size: lengths are kept as compact arrays (8 bytes a value),
repeated replies as one hash per reply, n-grams in a pruned counter, and only a seeded random
sample of rows (plus rows that validate flagged) is kept for the page.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Any

from dataprep.io import JsonLine, read_jsonl
from dataprep.report.dataset import SplitFile
from dataprep.report.rows import FlatRow, flatten
from dataprep.report.summaries import Reservoir, Values, histogram, shared_histogram

__all__ = ["TextStats"]

#: Longest text kept per turn in the page; statistics always use the full text.
MAX_TURN_CHARS = 2000
_WORD = re.compile(r"\w+", re.UNICODE)
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")
#: Placeholders the PII scrubber writes: <PERSON>, <PERSON_1>, <EMAIL_ADDRESS_9F86D081>.
_PLACEHOLDER = re.compile(r"<([A-Z]+(?:_[A-Z]+)*)(?:_[0-9A-F]{1,8})?>")
_SOURCE_FILE = re.compile(r":\d+(?:-\d+)?$")


def placeholders(text: str) -> list[str]:
    """Entity types of the PII placeholders in ``text``."""
    return _PLACEHOLDER.findall(text) if "<" in text else []


def without_placeholders(text: str) -> str:
    """``text`` with PII placeholders blanked (they look like words of no language)."""
    return _PLACEHOLDER.sub(" ", text) if "<" in text else text


def ngrams(text: str, n: int = 3) -> list[str]:
    """Word n-grams; runs of CJK characters count each character as a word."""
    found = _WORD.findall(text.lower())
    if _CJK.search(text) is None:  # most texts: no word to break into characters
        words = found
    else:
        words = []
        for word in found:
            if _CJK.search(word):
                words += list(word)
            else:
                words.append(word)
    return [" ".join(words[i : i + n]) for i in range(len(words) - n + 1)]


def _trim(turns: list[tuple[str, str]] | None) -> list[list[str]] | None:
    if turns is None:
        return None
    return [[role, text[:MAX_TURN_CHARS]] for role, text in turns]


class TextStats:
    """Accumulates everything the text page shows; ``add`` sees each row once."""

    def __init__(
        self,
        *,
        sample_size: int = 300,
        text_sample: int = 600,
        seed: int = 0,
        keep: set[tuple[str, int]] | None = None,
        count_tokens: Any = None,
    ) -> None:
        self.rows: Counter[str] = Counter()
        self.formats: Counter[str] = Counter()
        self.sources: Counter[str] = Counter()
        self.unreadable = 0
        self.sample_chars = Values()
        self.turns = Values()
        self.role_chars: dict[str, Values] = {}
        self.sample_tokens = Values()
        self.role_tokens: dict[str, Values] = {}
        self.preference = {"chosen": Values(), "rejected": Values()}
        self.labels: Counter[str] = Counter()
        self.reply_hashes: Counter[int] = Counter()
        self.reply_texts: dict[int, str] = {}
        self.pii: Counter[str] = Counter()
        self.sample: Reservoir[dict[str, Any]] = Reservoir(sample_size, seed)
        #: Rows whose language and n-grams are measured: both cost far more per row than lengths.
        self.text_sample: Reservoir[list[str]] = Reservoir(text_sample, seed + 1)
        self.kept: list[dict[str, Any]] = []
        self.keep = keep or set()
        self.count_tokens = count_tokens

    def add_file(self, split: SplitFile) -> None:
        """Stream one split file, with its source sidecar (line N traces data line N)."""
        traces = iter(read_jsonl(split.sidecar)) if split.sidecar else iter(())
        trace = next(traces, None)
        for line in read_jsonl(split.read_path):
            while trace is not None and trace.number < line.number:
                trace = next(traces, None)
            if line.reason is not None:
                self.unreadable += 1
                continue
            same_line = trace is not None and trace.number == line.number
            self.add(
                split.name,
                line.number,
                line.value,
                _source_of(line.value, trace if same_line else None),
            )

    def add(self, split: str, line: int, row: Any, source: str | None) -> None:
        flat = flatten(row)
        self.rows[split] += 1
        if flat is None:
            self.unreadable += 1
            return
        self.formats[flat.format] += 1
        if source:
            self.sources[_SOURCE_FILE.sub("", source)] += 1
        self._measure(flat)

        def make() -> dict[str, Any]:
            return _sample_row(split, line, flat, source)

        if (split, line) in self.keep:
            self.kept.append(make())
        else:
            self.sample.offer(make)
        self.text_sample.offer(flat.texts)

    def _measure(self, flat: FlatRow) -> None:
        total = 0
        tokens = 0
        role_chars = self.role_chars
        for role, text in flat.turns:
            size = len(text)
            total += size
            chars = role_chars.get(role)
            if chars is None:
                chars = role_chars[role] = Values()
            chars.data.append(size)  # a length: never None or NaN, so no Values.add check
            if self.count_tokens is not None:
                n = self.count_tokens(text)
                tokens += n
                self.role_tokens.setdefault(role, Values()).add(n)
            if role == "assistant":
                self._reply(text)
            if "<" in text:  # placeholders(): nothing to count without a "<"
                self.pii.update(placeholders(text))
        self.turns.add(len(flat.turns))
        for side in ("chosen", "rejected"):
            answer = getattr(flat, side)
            if answer is not None:
                length = sum(len(text) for _, text in answer)
                total += length
                self.preference[side].add(length)
                for _, text in answer:
                    self.pii.update(placeholders(text))
        if flat.label is not None:
            self.labels["desirable" if flat.label else "undesirable"] += 1
        self.sample_chars.add(total)
        if self.count_tokens is not None:
            self.sample_tokens.add(tokens)

    def _reply(self, text: str) -> None:
        key = hash(" ".join(text.lower().split()))
        self.reply_hashes[key] += 1
        if self.reply_hashes[key] == 2:
            self.reply_texts[key] = text[:300]

    def top_ngrams(self, n: int = 20) -> list[tuple[str, int]]:
        """Word 3-grams of the sampled rows, most frequent first."""
        counts: Counter[str] = Counter()
        for texts in self.text_sample.sample():
            for text in texts:
                counts.update(ngrams(text))
        return counts.most_common(n)

    def repeated_replies(self, n: int = 15) -> list[tuple[str, int]]:
        top = [(k, c) for k, c in self.reply_hashes.most_common(n) if c > 1]
        return [(self.reply_texts[k], c) for k, c in top]

    def charts(self) -> list[dict[str, Any]]:
        charts = [
            _hist("chars_per_sample", "Characters per sample", self.sample_chars, True),
            _hist("turns_per_sample", "Turns per sample", self.turns, True),
            _multi("chars_per_role", "Characters per message, by role", self.role_chars),
        ]
        if self.count_tokens is not None:
            charts.append(
                _hist(
                    "tokens_per_sample",
                    "Tokens per sample (as the trainer builds it)",
                    self.sample_tokens,
                    True,
                )
            )
            charts.append(
                _multi("tokens_per_role", "Tokens per message, by role", self.role_tokens)
            )
        if len(self.preference["chosen"]):
            charts.append(
                _multi(
                    "preference_chars", "Chosen vs rejected answer (characters)", self.preference
                )
            )
        return [chart for chart in charts if chart["edges"]]

    def samples(self) -> list[dict[str, Any]]:
        rows = self.kept + self.sample.sample()
        return sorted(rows, key=lambda row: (row["split"], row["line"]))


def _source_of(row: Any, trace: JsonLine | None) -> str | None:
    """The row's source trace: from its sidecar line, else from a ``source`` field."""
    if (
        trace is not None
        and isinstance(trace.value, dict)
        and isinstance(trace.value.get("source"), str)
    ):
        return str(trace.value["source"])
    if isinstance(row, dict) and isinstance(row.get("source"), str):
        return str(row["source"])
    return None


def _sample_row(split: str, line: int, flat: FlatRow, source: str | None) -> dict[str, Any]:
    row: dict[str, Any] = {
        "id": f"{split}:{line}",
        "split": split,
        "line": line,
        "format": flat.format,
        "turns": _trim(flat.turns),
        "source": source,
    }
    if flat.chosen is not None:
        row["chosen"] = _trim(flat.chosen)
        row["rejected"] = _trim(flat.rejected)
    if flat.label is not None:
        row["label"] = flat.label
    return row


def _hist(chart_id: str, title: str, values: Values, integer: bool) -> dict[str, Any]:
    data = histogram(values.data, integer=integer)
    return {
        "id": chart_id,
        "title": title,
        "kind": "hist",
        "edges": data["edges"],
        "overflow": data["overflow"],
        "series": [{"label": "rows", "counts": data["counts"]}],
    }


def _multi(chart_id: str, title: str, series: dict[str, Values]) -> dict[str, Any]:
    ordered = {k: v for k, v in sorted(series.items(), key=lambda kv: -len(kv[1])) if len(v)}
    data = shared_histogram(ordered, integer=True)
    return {"id": chart_id, "title": title, "kind": "hist", **data}


def file_label(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return path.name
