"""The data behind a text dataset's page: validate findings, then one statistics pass."""

from __future__ import annotations

from array import array
from collections import Counter
from pathlib import Path
from typing import Any

from dataprep.report import runinfo
from dataprep.report.dataset import TextDataset
from dataprep.report.text import TextStats, placeholders, without_placeholders
from dataprep.validate.findings import RULES
from dataprep.validate.formats import FORMAT_LABELS

__all__ = ["text_page_data"]

#: Rows per rule whose finding links into the sample browser.
EXAMPLES_PER_RULE = 5


class TokenCounter:
    """The dataset's tokenizer: tokens of one message, and the trainer's view of each row.

    ``checker`` is validate's length hook: it renders every row as TRL does (chat template,
    special tokens), so its per-row lengths are the sequence lengths the trainer sees.
    """

    def __init__(self, path: Path) -> None:
        from dataprep.validate.lengths import LengthChecker, load_tokenizer

        self.tokenizer = load_tokenizer(path)
        self.checker = LengthChecker(self.tokenizer)

    def count(self, text: str) -> int:
        return len(self.tokenizer.encode(text, add_special_tokens=False))


def _validate(dataset: TextDataset, tokens: TokenCounter | None) -> list[dict[str, Any]]:
    from dataprep.validate.reader import validate_file

    checker = tokens.checker if tokens is not None else None
    by_rule: dict[str, dict[str, Any]] = {}
    for split in dataset.splits:
        report = validate_file(split.read_path, row_hook=checker)
        for rule, count in report.counts.items():
            entry = by_rule.setdefault(
                rule,
                {
                    "rule": rule,
                    "severity": RULES[rule].severity,
                    "title": RULES[rule].title,
                    "count": 0,
                    "examples": [],
                },
            )
            entry["count"] += count
        for finding in report.findings:
            entry = by_rule[finding.rule]
            if finding.line is not None and len(entry["examples"]) < EXAMPLES_PER_RULE:
                entry["examples"].append(
                    {
                        "row": f"{split.name}:{finding.line}",
                        "split": split.name,
                        "line": finding.line,
                        "message": finding.message,
                    }
                )
    order = {"error": 0, "warning": 1, "info": 2}
    return sorted(by_rule.values(), key=lambda e: (order.get(e["severity"], 3), e["rule"]))


def load_language_model() -> None:
    """Load py3langid's model now (about a second), e.g. on a thread while a run's stages
    work, so that the page does not wait for it at the end."""
    try:
        import py3langid
    except ImportError:
        return
    py3langid.classify("warm up")


def detect_languages(texts: list[list[str]]) -> list[str | None]:
    """Language of each sampled row with py3langid (the ``report`` extra); None without it."""
    try:
        import py3langid
    except ImportError:
        return [None] * len(texts)
    codes: list[str | None] = []
    for parts in texts:
        text = without_placeholders(" ".join(parts)[:1000]).strip()
        codes.append(str(py3langid.classify(text)[0]) if len(text) >= 3 else None)
    return codes


def pii_by_language(texts: list[list[str]], codes: list[str | None]) -> list[list[Any]]:
    """Placeholder counts per (language, entity type) over the sampled rows."""
    counts: Counter[tuple[str, str]] = Counter()
    for parts, code in zip(texts, codes, strict=True):
        for text in parts:
            counts.update((code or "unknown", entity) for entity in placeholders(text))
    return [[code, entity, n] for (code, entity), n in counts.most_common()]


def _extra_charts(
    run_report: dict[str, Any] | None, pii: dict[str, int], findings: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Bar charts of rejects by reason, PII by type and validate findings by rule."""
    charts = [runinfo.reject_bars(run_report)]
    if pii:
        ordered = sorted(pii.items(), key=lambda kv: -kv[1])
        charts.append(runinfo.bars("pii_by_type", "PII findings by type", ordered))
    if findings:
        by_rule = [(entry["rule"], entry["count"]) for entry in findings]
        charts.append(runinfo.bars("findings_by_rule", "Validate findings by rule", by_rule))
    return [chart for chart in charts if chart is not None]


def _tables(stats: TextStats, sampled: list[list[str]], codes: list[str | None]) -> list[Any]:
    in_sample = f"in {len(sampled)} randomly sampled rows"
    return [
        {
            "id": "repeated_replies",
            "title": "Most repeated assistant replies",
            "columns": ["reply", "times"],
            "rows": [[text, n] for text, n in stats.repeated_replies()],
        },
        {
            "id": "top_ngrams",
            "title": f"Top word 3-grams ({in_sample})",
            "columns": ["3-gram", "count"],
            "rows": [[gram, n] for gram, n in stats.top_ngrams()],
        },
        {
            "id": "pii_by_language",
            "title": f"PII placeholders by language ({in_sample})",
            "columns": ["language", "entity", "count"],
            "rows": pii_by_language(sampled, codes),
        },
    ]


def text_page_data(
    dataset: TextDataset,
    run_report: dict[str, Any] | None,
    *,
    tokenizer: Path | None = None,
    seed: int = 0,
    title: str = "",
) -> dict[str, Any]:
    tokens = TokenCounter(tokenizer) if tokenizer is not None else None
    findings = _validate(dataset, tokens)
    keep = {(e["split"], e["line"]) for entry in findings for e in entry["examples"]}
    stats = TextStats(seed=seed, keep=keep, count_tokens=tokens.count if tokens else None)
    for split in dataset.splits:
        stats.add_file(split)
    if tokens is not None and len(tokens.checker.lengths):
        # Per sample: the sequence the trainer builds (template and special tokens included).
        stats.sample_tokens.data = array("d", tokens.checker.lengths)
    sampled = stats.text_sample.sample()
    codes = detect_languages(sampled)
    pii_counted = runinfo.pii_from_run(run_report)
    pii = pii_counted or dict(stats.pii.most_common())
    overview = {
        "rows_total": sum(stats.rows.values()),
        "splits": _split_overview(dataset, stats.rows),
        "formats": {FORMAT_LABELS.get(k, k): v for k, v in stats.formats.most_common()},
        "languages": dict(Counter(code for code in codes if code).most_common()),
        "languages_sampled": len(sampled),
        "sources": dict(stats.sources.most_common(20)),
        "sources_total": len(stats.sources),
        "unreadable_rows": stats.unreadable,
        "duplicates_removed": runinfo.duplicates_removed(run_report),
        "labels": dict(stats.labels),
        "pii_by_type": pii,
        "pii_from": "run report" if pii_counted else "placeholders",
        "tokenizer": str(tokenizer) if tokenizer else None,
    }
    return {
        "kind": "text",
        "title": title or dataset.root.name,
        "overview": overview,
        "funnel": runinfo.funnel(run_report),
        "charts": stats.charts() + _extra_charts(run_report, pii, findings),
        "tables": _tables(stats, sampled, codes),
        "findings": findings,
        "samples": {"total": overview["rows_total"], "rows": stats.samples()},
    }


def _split_overview(dataset: TextDataset, rows: Counter[str]) -> list[dict[str, Any]]:
    """One entry per split, in order: its first file, every file (a split written as shards
    has several), its rows."""
    entries: dict[str, dict[str, Any]] = {}
    for split in dataset.splits:
        entry = entries.setdefault(
            split.name, {"name": split.name, "file": split.path.name, "files": [], "rows": 0}
        )
        entry["files"].append(split.path.name)
        entry["rows"] = rows[split.name]
    return list(entries.values())
