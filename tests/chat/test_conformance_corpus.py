"""Conformance: every export in fixtures/chat_real parses with the expected message count.

Expected counts come from the source projects' own tests, an independent counter script or
counting by hand (fixtures/chat_real/SOURCES.md says which for each file). The shared real
exports (outside this repository) are read too when present.
"""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from dataprep.chat.readers import ReaderOptions, detect_format, discover_inputs
from tests.conftest import FIXTURES, SHARED, run_main

CORPUS = FIXTURES / "chat_real"
EXPECTED = json.loads((CORPUS / "expected.json").read_text(encoding="utf-8"))
REAL_EXPORTS = SHARED / "real-exports"


def read(path: Path) -> tuple[pl.DataFrame, str]:
    reader = detect_format(path)
    rejects: list[tuple] = []
    frames = list(reader.read(path, ReaderOptions(), lambda *row: rejects.append(row)))
    return pl.concat(frames), reader.name


def count(frame: pl.DataFrame, metric: str) -> int:
    if metric == "all":
        return frame.height
    return frame.filter(pl.col("kind") != "system").height


@pytest.mark.parametrize("entry", EXPECTED, ids=[e["file"] for e in EXPECTED])
def test_message_count_is_within_one_percent_of_the_expected(entry):
    frame, reader = read(CORPUS / entry["file"])
    assert reader == entry["format"]
    actual = count(frame, entry["metric"])
    assert abs(actual - entry["expected"]) <= 0.01 * entry["expected"], (actual, entry)
    assert frame.get_column("time").null_count() == 0


def test_the_corpus_has_thirty_files_and_every_one_is_listed():
    listed = {e["file"] for e in EXPECTED}
    on_disk = {
        str(p.relative_to(CORPUS))
        for p in CORPUS.rglob("*")
        if p.is_file() and p.suffix in {".txt", ".json", ".zip"} and p.name != "expected.json"
    }
    assert on_disk == listed
    assert len(listed) >= 30
    assert sum(1 for e in EXPECTED if e["repository"]) >= 30


@pytest.mark.parametrize(
    "entry",
    [e for e in EXPECTED if e["file"].startswith("constructed/")],
    ids=lambda e: e["file"],
)
def test_constructed_locale_exports_are_typed_by_hand_counts(entry):
    frame, _ = read(CORPUS / entry["file"])
    kinds = dict(frame.group_by("kind").len().iter_rows())
    # Per file (by hand): hello, reply, caption, goodbye are text; the localised media line
    # and the location are media; one deleted message; the group event and the missed call.
    assert kinds == {"text": 4, "media": 2, "deleted": 1, "system": 2}
    assert "the view from the hut" in frame.get_column("text").to_list()
    assert frame.get_column("speaker").drop_nulls().unique().sort().to_list() == [
        "Ana Lima",
        "Colin",
    ]


def test_every_corpus_file_runs_through_dataprep_chat(tmp_path):
    out = tmp_path / "out" / "train.jsonl"
    inputs = [
        CORPUS / folder for folder in ("whatsapp", "telegram", "slack", "discord", "constructed")
    ]
    code, _, err = run_main(
        "chat", *inputs, "--me", "Colin", "--me", "John Doe", "--me", "U0KU00BRS", "--me", "Henry",
        "--no-pii", "--no-dedupe", "--out", out, "-q",
    )  # fmt: skip
    assert code == 0, err
    report = json.loads((out.parent / "train.report.json").read_text())
    assert report["details"]["read_chat"]["files"] == sum(
        1 for e in EXPECTED if not e["file"].startswith("telegram_html")
    )
    assert sum(report["details"]["write_conversations"]["samples"].values()) > 0


def test_telegram_html_export_from_the_corpus_is_a_one_line_error(tmp_path):
    code, _, err = run_main(
        "chat", CORPUS / "telegram_html", "--me", "Colin", "--out", tmp_path / "o.jsonl"
    )
    assert code != 0
    assert len(err.strip().splitlines()) == 1 and "Machine-readable JSON" in err


@pytest.mark.skipif(
    not REAL_EXPORTS.is_dir(), reason=f"shared real exports not present at {REAL_EXPORTS}"
)
def test_every_shared_real_export_reads_with_messages():
    for unit in discover_inputs([REAL_EXPORTS]):
        frame, _ = read(unit)
        assert frame.height > 0, unit
        assert frame.filter(pl.col("kind") == "text").height > 0, unit
