"""The hand-labelled real sentences of the PII benchmark: counts, labels, tuned vs held-out."""

from __future__ import annotations

import re
import sys

import pii_multilingual as pm
import pytest

from tests.conftest import REPO

MARK = re.compile(r"\[\[(.+?)\]\]")


def _lines(prefix: str, lang: str) -> list[str]:
    path = pm.REAL / f"{prefix}_{lang}.txt"
    return [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.mark.parametrize("lang", pm.LANGUAGES)
def test_every_language_has_200_real_lines_and_a_held_out_part(lang: str) -> None:
    tuned = [row for row in pm.real("tuned") if row["lang"] == lang]
    held_out = [row for row in pm.heldout() if row["lang"] == lang]
    assert len(tuned) + len(held_out) >= 200
    assert len(held_out) >= 100
    assert any(row["entities"] for row in held_out)  # recall is measured on names
    assert sum(not row["entities"] for row in held_out) >= 50  # and damage on clean lines


FRESH_LANGUAGES = ("de", "ru", "zh")


@pytest.mark.parametrize("lang", FRESH_LANGUAGES)
def test_fresh_held_out_set_has_100_lines_and_25_names(lang: str) -> None:
    rows = [row for row in pm.fresh() if row["lang"] == lang]
    assert len(rows) >= 100
    assert sum(len(row["entities"]) for row in rows) >= 25
    assert all(row["source"] == "tatoeba_fresh" for row in rows)


@pytest.mark.parametrize("lang", FRESH_LANGUAGES)
def test_fresh_lines_are_shared_with_no_other_set(lang: str) -> None:
    fresh = {MARK.sub(r"\1", line) for line in _lines("heldout2", lang)}
    older = {MARK.sub(r"\1", line) for p in ("tatoeba", "heldout") for line in _lines(p, lang)}
    assert not fresh & older


def test_second_fresh_set_is_new_and_large_enough() -> None:
    rows = pm.fresh2()
    assert len(rows) >= 200 and sum(len(row["entities"]) for row in rows) >= 25
    assert all(row["source"] == "tatoeba_fresh2" and row["lang"] == "zh" for row in rows)
    second = {MARK.sub(r"\1", line) for line in _lines("heldout3", "zh")}
    older = {
        MARK.sub(r"\1", line)
        for p in ("tatoeba", "heldout", "heldout2")
        for line in _lines(p, "zh")
    }
    assert not second & older


@pytest.mark.parametrize(
    ("prefix", "lang"),
    [(p, lang) for p in ("tatoeba", "heldout") for lang in pm.LANGUAGES]
    + [("heldout2", lang) for lang in FRESH_LANGUAGES]
    + [("heldout3", "zh")],
)
def test_labels_are_well_formed(prefix: str, lang: str) -> None:
    for line in _lines(prefix, lang):
        bare = MARK.sub("", line)
        assert "[[" not in bare and "]]" not in bare, line
        assert all(name == name.strip() and name for name in MARK.findall(line)), line


def test_held_out_lines_are_new_and_loaded_with_their_spans() -> None:
    tuned = {row["text"] for row in pm.real("tuned")}
    rows = pm.heldout()
    assert rows and all(row["source"] == "tatoeba_heldout" for row in rows)
    assert not tuned & {row["text"] for row in rows}
    expected = [MARK.sub(r"\1", line) for lang in pm.LANGUAGES for line in _lines("heldout", lang)]
    assert [row["text"] for row in rows] == expected
    row = next(row for row in rows if row["text"].startswith("Sami told Layla"))
    assert [row["text"][e["start"] : e["end"]] for e in row["entities"]] == ["Sami", "Layla"]


class RecordingAnalyzer:
    """Stands in for BatchAnalyzer: finds nothing and remembers what it was asked to read."""

    def __init__(self) -> None:
        self.batches: list[list[str]] = []

    def identify(self, texts: list[str], samples: list[int], names: object) -> list[str]:
        return ["en"] * len(texts)

    def analyze(self, texts: list[str], names: object, languages: list[str]) -> list[list]:
        self.batches.append(list(texts))
        return [[] for _ in texts]


def test_held_out_figures_come_from_the_held_out_files_only() -> None:
    sys.path.insert(0, str(REPO / "benchmarks"))
    import bench_pii

    analyzer = RecordingAnalyzer()
    quality = bench_pii.quality_by_set(analyzer)
    assert list(quality) == ["tuned", "heldout", "fresh", "fresh2"]
    tuned_batch, held_out_batch, fresh_batch, fresh2_batch = analyzer.batches
    assert fresh2_batch == [MARK.sub(r"\1", line) for line in _lines("heldout3", "zh")]
    assert set(quality["fresh2"]["per_language"]) == {"zh"}
    assert fresh_batch == [
        MARK.sub(r"\1", line)
        for lang in pm.LANGUAGES
        if lang in FRESH_LANGUAGES
        for line in _lines("heldout2", lang)
    ]
    assert set(quality["fresh"]["per_language"]) == set(FRESH_LANGUAGES)
    held_out_files = [
        MARK.sub(r"\1", line) for lang in pm.LANGUAGES for line in _lines("heldout", lang)
    ]
    assert held_out_batch == held_out_files
    assert not set(held_out_batch) & set(tuned_batch)
    figures = quality["heldout"]
    assert figures["rows"] == len(held_out_files)
    assert set(figures["per_language"]) == set(pm.LANGUAGES)
    gold = sum(line.count("[[") for lang in pm.LANGUAGES for line in _lines("heldout", lang))
    assert sum(f["PERSON"]["gold"] for f in figures["per_language"].values()) == gold
    assert "PERSON recall" in figures["verdict"] and "not met" in figures["verdict"]


def test_verdict_names_the_languages_that_miss() -> None:
    sys.path.insert(0, str(REPO / "benchmarks"))
    import bench_pii

    figures = {
        "en": {"damage": 0.0, "PERSON": {"recall": 0.95}},
        "de": {"damage": 0.006, "PERSON": {"recall": 0.80}},
        "zh": {"damage": 0.0, "PERSON": {"recall": 0.85}},
    }
    line = bench_pii.verdict(figures)
    assert "not met (de 0.0060)" in line and "not met (zh 0.85)" in line
    assert bench_pii.verdict({"it": {"damage": 0.0, "PERSON": {"recall": 0.75}}}).count("met") == 2
