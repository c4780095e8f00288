"""The public io helpers every reader and writer uses: one encoding sniff, one streaming JSONL
reader, one split writer."""

from __future__ import annotations

import codecs
import json
import re
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dataprep.io import (
    SPLITS,
    OutputSet,
    SplitWriter,
    read_jsonl,
    sniff_encoding,
    split_parts,
)
from tests.conftest import REPO

SRC = REPO / "src" / "dataprep"


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (codecs.BOM_UTF8 + b"{}", ("utf-8", 3)),
        (codecs.BOM_UTF16_LE + "{}".encode("utf-16-le"), ("utf-16-le", 2)),
        (codecs.BOM_UTF16_BE + "{}".encode("utf-16-be"), ("utf-16-be", 2)),
        ('{"text": "a long enough line"}'.encode("utf-16-le"), ("utf-16-le", 0)),
        (b'{"a": 1}', ("utf-8", 0)),
        ("0\x00\x80".encode(), ("utf-8", 0)),
    ],
    ids=["utf8-bom", "utf16le-bom", "utf16be-bom", "utf16-no-bom", "plain", "short-nul"],
)
def test_sniff_encoding(data: bytes, expected: tuple[str, int]) -> None:
    assert sniff_encoding(data) == expected


def test_only_io_sniffs_encodings() -> None:
    """BOM handling lives in dataprep.io (the validate linter reports BOMs as findings)."""
    pattern = re.compile(r"BOM_UTF|\\xef\\xbb\\xbf|_sniff_utf16|_BOMS")
    owners = {
        path.relative_to(SRC).as_posix()
        for path in SRC.rglob("*.py")
        if pattern.search(path.read_text(encoding="utf-8"))
    }
    assert owners <= {"io.py", "validate/reader.py"}, owners


def test_read_jsonl_reports_bad_lines_and_keeps_going(tmp_path: Path) -> None:
    path = tmp_path / "rows.jsonl"
    path.write_bytes(
        codecs.BOM_UTF8
        + b'{"a": "x\xe2\x80\xa8y"}\r\n'  # U+2028 inside a string is valid JSON, not a line break
        + b"\n   \n"
        + b"{broken\n"
        + b'{"b": "\xff"}\n'
        + b"[1, 2]"
    )
    lines = list(read_jsonl(path))
    assert [line.number for line in lines] == [1, 4, 5, 6]
    assert lines[0].value == {"a": "x\u2028y"} and lines[0].error is None
    assert lines[1].reason == "invalid_json" and lines[1].error.startswith("invalid JSON (")
    assert lines[2].reason == "invalid_utf8" and lines[2].detail == "byte 7"
    assert lines[3].value == [1, 2]


def test_read_jsonl_reads_utf16(tmp_path: Path) -> None:
    path = tmp_path / "rows.jsonl"
    text = '{"a": "é"}\n{"b": 2}\n'
    path.write_bytes(codecs.BOM_UTF16_LE + text.encode("utf-16-le"))
    assert [line.value for line in read_jsonl(path)] == [{"a": "é"}, {"b": 2}]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.dictionaries(st.text(max_size=5), st.text(max_size=20), max_size=3), max_size=8))
def test_read_jsonl_round_trips(
    tmp_path_factory: pytest.TempPathFactory, rows: list[dict[str, str]]
) -> None:
    path = tmp_path_factory.mktemp("jsonl") / "rows.jsonl"
    path.write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8"
    )
    assert [line.value for line in read_jsonl(path)] == rows


def test_split_writer_publishes_one_file_per_split(tmp_path: Path) -> None:
    outputs = OutputSet()
    writer = SplitWriter(outputs, tmp_path / "train.jsonl")
    sidecar = SplitWriter(outputs, tmp_path / "train.jsonl", tag="sources.jsonl")
    writer.touch(SPLITS[0])
    batch = pl.DataFrame({"x": [1, 2, 3], "split": ["val", None, "val"]})
    for split, rows in split_parts(batch):
        writer.write_frame(split, rows.select("x"))
        sidecar.write_lines(split, (json.dumps({"n": n}) for n in rows["x"]))
    assert not (tmp_path / "val.jsonl").exists()  # nothing is published before commit
    outputs.commit()
    assert writer.counts == {"val": 2, "train": 1}
    assert (tmp_path / "val.jsonl").read_text().splitlines() == ['{"x":1}', '{"x":3}']
    assert (tmp_path / "train.sources.jsonl").read_text() == '{"n": 2}\n'
    assert not (tmp_path / "test.jsonl").exists()
