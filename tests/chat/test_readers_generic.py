"""Generic JSONL/CSV, ShareGPT and OpenAI-messages readers plus bad-input cases."""

from __future__ import annotations

import csv
import json
from datetime import datetime
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dataprep.chat.readers import ReaderOptions
from dataprep.chat.readers.generic import (
    CsvReader,
    JsonlReader,
    OpenAIReader,
    ShareGPTReader,
    openai_turns,
    sharegpt_turns,
)
from dataprep.chat.schema import MESSAGE_SCHEMA
from dataprep.errors import InputError

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "chat" / "generic"


def read(reader: object, path: Path, **options: object) -> tuple[pl.DataFrame, list[tuple]]:
    rejects: list[tuple] = []
    batches = list(reader.read(path, ReaderOptions(**options), lambda *a: rejects.append(a)))  # type: ignore[attr-defined]
    frame = pl.concat(batches) if batches else pl.DataFrame(schema=MESSAGE_SCHEMA)
    assert frame.schema == pl.Schema(MESSAGE_SCHEMA)
    return frame, rejects


def write_lines(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_jsonl_fixture_rows() -> None:
    path = FIXTURES / "messages.jsonl"
    frame, rejects = read(JsonlReader(), path)
    assert rejects == []
    assert (
        frame["conversation"].to_list() == [f"{path}#trip-planning"] * 4 + [f"{path}#book-swap"] * 3
    )
    assert frame["speaker"].to_list() == ["Hana", "Colin", "Hana", "Colin", "Oren", "Colin", "Oren"]
    assert frame["text"][1] == "Yes, the 9:05 one.\nSeats 41 and 42,\ncarriage 3."
    assert frame["source_line"].to_list() == [1, 2, 3, 4, 6, 7, 8]  # line 5 is blank
    assert frame["time"].to_list()[2:5] == [
        datetime(2025, 4, 10, 8, 17, 5),
        datetime(2025, 4, 10, 8, 18),  # epoch seconds, UTC
        datetime(2025, 4, 12, 19, 0),
    ]
    assert frame["is_me"].null_count() == 7
    assert frame["kind"].unique().to_list() == ["text"]


def test_jsonl_roles_fixture() -> None:
    frame, _ = read(JsonlReader(), FIXTURES / "roles.jsonl")
    assert frame["speaker"].to_list() == ["system", "user", "assistant", "user"]
    assert frame["is_me"].to_list() == [None, False, True, False]
    assert frame["kind"].to_list() == ["prompt", "text", "text", "text"]
    assert frame["time"].null_count() == 4  # no time field in this file


def test_jsonl_custom_field_names(tmp_path: Path) -> None:
    path = write_lines(
        tmp_path / "c.jsonl",
        [
            json.dumps({"author": "Ann", "body": "hello", "ts": 1700000000, "chat": 7, "id": 1}),
            json.dumps(
                {
                    "author": "Bo",
                    "body": "hi Ann",
                    "ts": 1700000060,
                    "chat": 7,
                    "id": 2,
                    "reply_to": 1,
                }
            ),
        ],
    )
    options = {
        "speaker_column": "author",
        "text_column": "body",
        "time_column": "ts",
        "conversation_column": "chat",
    }
    frame, rejects = read(JsonlReader(), path, **options)
    assert rejects == []
    assert frame["speaker"].to_list() == ["Ann", "Bo"]
    assert frame["conversation"].to_list() == [f"{path}#7"] * 2
    assert frame["time"].to_list() == [
        datetime(2023, 11, 14, 22, 13, 20),
        datetime(2023, 11, 14, 22, 14, 20),
    ]
    assert frame["message_id"].to_list() == ["1", "2"]
    assert frame["reply_to"].to_list() == [None, "1"]


def test_jsonl_bad_lines_are_counted_rejects(tmp_path: Path) -> None:
    path = write_lines(
        tmp_path / "bad.jsonl",
        [
            '{"speaker": "A", "text": "one"}',
            '{"speaker": "A", "text": "tw',
            "[1, 2]",
            '"just a string"',
            '{"speaker": "B"}',
            '{"speaker": "B", "text": {"nested": true}}',
            '{"speaker": "B", "text": "six"}',
        ],
    )
    frame, rejects = read(JsonlReader(), path)
    assert frame["text"].to_list() == ["one", "six"]
    assert [(r[0], r[1], r[2]) for r in rejects] == [
        (str(path), 2, "invalid_json"),
        (str(path), 3, "line_not_an_object"),
        (str(path), 4, "line_not_an_object"),
        (str(path), 5, "missing_text_field"),
        (str(path), 6, "text_not_a_string"),
    ]
    assert rejects[0][3] == '{"speaker": "A", "text": "tw'


def test_jsonl_missing_text_before_the_first_good_line_is_still_counted(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "x.jsonl", ['{"speaker": "A"}', '{"speaker": "A", "text": "ok"}'])
    frame, rejects = read(JsonlReader(), path)
    assert frame["text"].to_list() == ["ok"]
    assert [(r[1], r[2]) for r in rejects] == [(1, "missing_text_field")]


def test_jsonl_without_the_text_field_anywhere_is_an_error(tmp_path: Path) -> None:
    path = write_lines(
        tmp_path / "x.jsonl", ['{"who": "A", "msg": "hi"}', '{"who": "B", "msg": "yo"}']
    )
    with pytest.raises(InputError) as caught:
        read(JsonlReader(), path)
    assert str(caught.value).startswith(f"{path}:1: no line has the text field 'text'")
    assert "--set read_chat.text_column=FIELD" in str(caught.value)
    frame, _ = read(JsonlReader(), path, text_column="msg", speaker_column="who")
    assert frame["speaker"].to_list() == ["A", "B"]


@pytest.mark.parametrize(
    ("prefix", "encoding"),
    [(b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16-le"), (b"", "utf-16-le")],
    ids=["utf8-bom", "utf16-bom", "utf16-no-bom"],
)
def test_jsonl_bom_and_utf16(tmp_path: Path, prefix: bytes, encoding: str) -> None:
    path = tmp_path / "w.jsonl"
    path.write_bytes(
        prefix + (FIXTURES / "messages.jsonl").read_text(encoding="utf-8").encode(encoding)
    )
    frame, rejects = read(JsonlReader(), path)
    assert rejects == []
    assert (
        frame["text"].to_list()
        == read(JsonlReader(), FIXTURES / "messages.jsonl")[0]["text"].to_list()
    )


def test_jsonl_undecodable_bytes(tmp_path: Path) -> None:
    path = tmp_path / "b.jsonl"
    path.write_bytes(b'{"speaker": "A", "text": "ok"}\n{"speaker": "A", "text": "na\xefve"}\n')
    with pytest.raises(InputError, match=r"b\.jsonl:2: cannot decode byte 0xef as utf-8"):
        read(JsonlReader(), path)


def test_csv_fixture_rows() -> None:
    path = FIXTURES / "messages.csv"
    frame, rejects = read(CsvReader(), path)
    assert rejects == []
    assert frame["speaker"].to_list() == ["Colin", "Ines", "Colin", "Ines"]
    assert frame["text"].to_list() == [
        "Trying a new dal recipe tonight",
        "Which one?\nThe one with coconut milk?",  # CRLF inside the quoted field becomes \n
        'Yes, and lots of ginger, "extra" ginger',
        "Save me a bowl",
    ]
    assert frame["source_line"].to_list() == [2, 3, 5, 6]
    assert frame["conversation"].unique().to_list() == [f"{path}#recipes"]
    assert frame["time"][1] == datetime(2025, 2, 1, 18, 31, 10)


@pytest.mark.parametrize(
    ("prefix", "encoding"),
    [(b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be")],
    ids=["utf8-bom", "utf16le-bom", "utf16be-bom"],
)
def test_csv_bom_and_utf16(tmp_path: Path, prefix: bytes, encoding: str) -> None:
    path = tmp_path / "w.csv"
    path.write_bytes(
        prefix + (FIXTURES / "messages.csv").read_text(encoding="utf-8").encode(encoding)
    )
    frame, rejects = read(CsvReader(), path)
    assert rejects == []
    assert frame["speaker"].to_list() == [
        "Colin",
        "Ines",
        "Colin",
        "Ines",
    ]  # the BOM is not in the header
    assert (
        frame["text"].to_list() == read(CsvReader(), FIXTURES / "messages.csv")[0]["text"].to_list()
    )


def test_csv_short_rows_are_rejects_and_missing_columns_are_errors(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text("speaker,text\nA,hello\nB\nC,bye\n", encoding="utf-8")
    frame, rejects = read(CsvReader(), path)
    assert frame["text"].to_list() == ["hello", "bye"]
    assert [(r[1], r[2], r[3]) for r in rejects] == [(3, "wrong_field_count", "B")]
    with pytest.raises(
        InputError, match=r"c\.csv:1: no 'body' column \(2 columns in the first line"
    ):
        read(CsvReader(), path, text_column="body")
    with pytest.raises(InputError, match="no 'author' or 'role' column"):
        read(CsvReader(), path, speaker_column="author")


def test_sharegpt_fixture_rows() -> None:
    path = FIXTURES / "sharegpt.jsonl"
    frame, rejects = read(ShareGPTReader(), path)
    assert rejects == []
    assert frame["conversation"].to_list() == [f"{path}:1"] * 5 + [f"{path}:2"] * 2
    assert frame["speaker"].to_list() == [
        "system",
        "user",
        "assistant",
        "user",
        "assistant",
        "user",
        "assistant",
    ]
    assert frame["is_me"].to_list() == [None, False, True, False, True, False, True]
    assert frame["kind"].to_list() == ["prompt"] + ["text"] * 6
    assert frame["text"][2] == "About 6 minutes from boiling,\nthen straight into cold water."
    assert frame["time"].null_count() == 7


def test_openai_fixture_rows() -> None:
    path = FIXTURES / "openai.jsonl"
    frame, rejects = read(OpenAIReader(), path)
    assert rejects == []
    assert frame["conversation"].to_list() == [f"{path}:1"] * 3 + [f"{path}:2"] * 2
    assert frame["speaker"].to_list() == ["system", "user", "assistant", "user", "assistant"]
    assert frame["kind"].to_list() == ["prompt", "text", "text", "text", "text"]
    assert frame["text"][3] == "Describe this picture:"  # the image part is not text


@pytest.mark.parametrize(
    ("record", "expected"),
    [
        ({"conversations": "nope"}, "no_conversations_list"),
        ({"conversations": [{"from": "human"}]}, "bad_turn"),
        ({"conversations": ["hi"]}, "bad_turn"),
        (
            {"conversations": [{"from": "function_call", "value": "{}"}]},
            [("function_call", None, "text")],
        ),
        (
            {"conversations": [{"from": "system", "value": "Be brief"}]},
            [("system", None, "prompt")],
        ),
    ],
    ids=["not-a-list", "no-value", "turn-not-object", "tool-role", "system-turn"],
)
def test_sharegpt_turns(record: dict, expected: object) -> None:
    turns = sharegpt_turns(record)
    if isinstance(expected, str):
        assert turns == expected
    else:
        assert [(t["speaker"], t["is_me"], t["kind"]) for t in turns] == expected


@pytest.mark.parametrize(
    ("content", "text", "kind"),
    [
        ("plain", "plain", "text"),
        (None, "", "text"),
        ([{"type": "text", "text": "a"}, {"type": "text", "text": "b"}], "a\nb", "text"),
        ([{"type": "image_url", "image_url": {"url": "x"}}], "<image_url>", "media"),
    ],
    ids=["string", "null", "text-parts", "image-only"],
)
def test_openai_content(content: object, text: str, kind: str) -> None:
    turns = openai_turns({"messages": [{"role": "user", "content": content}]})
    assert isinstance(turns, list)
    assert (turns[0]["text"], turns[0]["kind"]) == (text, kind)
    assert openai_turns({"messages": [{"content": "no role"}]}) == "bad_turn"
    assert openai_turns({"messages": None}) == "no_messages_list"


def test_conversation_formats_reject_bad_lines(tmp_path: Path) -> None:
    path = write_lines(
        tmp_path / "s.jsonl",
        [
            json.dumps(
                {
                    "conversations": [
                        {"from": "human", "value": "hi"},
                        {"from": "gpt", "value": "hello"},
                    ]
                }
            ),
            "{broken",
            "42",
            json.dumps({"conversations": [{"from": "human"}]}),
        ],
    )
    frame, rejects = read(ShareGPTReader(), path)
    assert frame.height == 2
    assert [(r[1], r[2]) for r in rejects] == [
        (2, "invalid_json"),
        (3, "line_not_an_object"),
        (4, "bad_turn"),
    ]


# -- Round trips: what we write as JSONL/CSV comes back unchanged -----------------------------

names = st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=20)
# Control characters other than newline and tab are left out: NUL-heavy text looks like
# UTF-16 to the encoding sniffer, which is the io module's business, not these readers'.
bodies = st.text(
    st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\x85\u2028\u2029")
    | st.sampled_from("\n\t"),
    max_size=200,
)
messages = st.lists(st.tuples(names, bodies), min_size=1, max_size=20)


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=messages)
def test_jsonl_round_trip(tmp_path: Path, rows: list[tuple[str, str]]) -> None:
    path = tmp_path / "rt.jsonl"
    path.write_text(
        "".join(json.dumps({"speaker": s, "text": t}) + "\n" for s, t in rows), encoding="utf-8"
    )
    frame, rejects = read(JsonlReader(), path)
    assert rejects == []
    assert list(zip(frame["speaker"].to_list(), frame["text"].to_list(), strict=True)) == rows


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=messages)
def test_csv_round_trip(tmp_path: Path, rows: list[tuple[str, str]]) -> None:
    path = tmp_path / "rt.csv"
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["speaker", "text"])
        writer.writerows(rows)
    frame, rejects = read(CsvReader(), path)
    assert rejects == []
    assert list(zip(frame["speaker"].to_list(), frame["text"].to_list(), strict=True)) == rows


def test_line_separator_characters_inside_a_jsonl_string(tmp_path: Path) -> None:
    # U+2028, U+0085 and a form feed are valid raw inside JSON strings; only \n ends a line.
    text = "one\u2028two\x85three\x0cfour"
    path = tmp_path / "ls.jsonl"
    path.write_text(
        json.dumps({"speaker": "A", "text": text}, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    frame, rejects = read(JsonlReader(), path)
    assert rejects == []
    assert frame["text"].to_list() == [text]
