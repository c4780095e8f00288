"""Telegram Desktop reader: fixtures written for this project plus bad-input cases."""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dataprep.chat.readers import ReaderOptions
from dataprep.chat.readers.telegram import (
    TelegramReader,
    flatten_text,
    keep_richer_duplicates,
    sanitize_escapes,
)
from dataprep.chat.schema import MESSAGE_SCHEMA
from dataprep.errors import InputError
from tests.conftest import run_main

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "chat" / "telegram"
READER = TelegramReader()


def read(path: Path, **options: object) -> tuple[pl.DataFrame, list[tuple]]:
    rejects: list[tuple] = []
    batches = list(READER.read(path, ReaderOptions(**options), lambda *a: rejects.append(a)))
    frame = pl.concat(batches) if batches else pl.DataFrame(schema=MESSAGE_SCHEMA)
    assert frame.schema == pl.Schema(MESSAGE_SCHEMA)
    return frame, rejects


def write_export(tmp_path: Path, messages: list, name: str = "result.json") -> Path:
    path = tmp_path / name
    document = {"name": "Test", "type": "personal_chat", "id": 7, "messages": messages}
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def test_single_chat_fixture_rows() -> None:
    path = FIXTURES / "single_chat_result.json"
    frame, rejects = read(path)
    assert rejects == []
    assert frame["conversation"].unique().to_list() == [f"{path}#4000000001"]
    assert frame["source_line"].to_list() == list(range(1, 11))
    assert frame["message_id"].to_list() == [str(n) for n in range(101, 111)]
    assert frame["kind"].to_list() == [
        "text", "text", "text", "media", "text", "media", "system", "media", "text", "text",
    ]  # fmt: skip
    assert frame["speaker"].to_list() == [
        "Priya Raman", "Colin", "Colin", "Priya Raman", "Priya Raman", "Colin", None,
        "Priya Raman", "Priya Raman", "Colin",
    ]  # fmt: skip
    assert frame["text"].to_list() == [
        "Are we still on for the climbing gym tomorrow?",
        "Yes! 7pm at the usual place",
        "Bring the chalk bag\nand the spare shoes,\nmine are still wet",
        "👍",
        "Look at this route",
        "<photo>",
        "Colin: phone call",
        "<voice_message>",
        "Opening hours: https://example.org/gym",
        "Perfect, see you then",
    ]
    assert frame["reply_to"].to_list()[2] == "101"
    assert frame["speaker_id"].to_list()[6] == "user1000001"  # the service line's actor
    # ``date`` (local time as exported) wins over ``date_unixtime`` (UTC).
    assert frame["time"][0] == datetime(2025, 3, 14, 18, 2, 11)
    assert frame["is_me"].null_count() == 10  # a single-chat export does not say who exported it


def test_full_account_reads_every_chat_and_marks_the_exporting_user() -> None:
    path = FIXTURES / "full_account_result.json"
    frame, rejects = read(path)
    assert rejects == []
    counts = frame.group_by("conversation", maintain_order=True).len()
    assert counts.rows() == [
        (f"{path}#4000000002", 6),
        (f"{path}#4000000003", 8),
        (f"{path}#4000000004", 3),  # from left_chats
    ]
    colin = frame.filter(pl.col("speaker_id") == "user1000001")
    assert colin["is_me"].to_list() == [True] * 9  # his messages and the service lines he caused
    assert frame.filter(pl.col("speaker_id") != "user1000001")["is_me"].to_list() == [False] * 8
    group = frame.filter(pl.col("conversation").str.ends_with("#4000000003"))
    assert group["kind"].to_list() == [
        "system",
        "text",
        "text",
        "media",
        "system",
        "text",
        "system",
        "text",
    ]
    assert (
        group["text"].to_list()[0]
        == "Colin: create group (Book Club; Colin, Maya Chen, Tomás Ortega)"
    )
    assert group["text"].to_list()[3] == "<poll>"
    assert group["text"].to_list()[5] == "Agreed with Tomás, a mystery it is"
    assert group["speaker"].to_list()[2] == "Tomás Ortega"


def test_quirks_invalid_escapes_and_duplicate_keys() -> None:
    frame, rejects = read(FIXTURES / "quirks_result.json")
    assert rejects == []
    texts = frame["text"].to_list()
    assert texts[0] == "Pasted from the PDF:\x0cpage two starts here"
    assert texts[1] == "A real backslash stays: C:\\x01\\notes.txt"
    # Two "text" keys: the richer one wins, not Python's silent last-one-wins.
    assert texts[2] == "Thanks for the help with the move!"
    assert frame["kind"].to_list() == ["text", "text", "system", "text"]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ('"a\\x0Cb"', '"a\\u000Cb"'),
        ('"a\\\\x0Cb"', '"a\\\\x0Cb"'),  # escaped backslash followed by "x0C": left alone
        ('"a\\\\\\x01b"', '"a\\\\\\u0001b"'),  # escaped backslash, then a bad escape
        ('"plain"', '"plain"'),
    ],
    ids=["bad-escape", "escaped-backslash", "backslash-then-escape", "untouched"],
)
def test_sanitize_escapes(raw: str, expected: str) -> None:
    assert sanitize_escapes(raw) == expected


@given(st.text())
def test_sanitize_escapes_leaves_valid_json_alone(text: str) -> None:
    dumped = json.dumps({"text": text})
    assert sanitize_escapes(dumped) == dumped
    assert json.loads(sanitize_escapes(dumped))["text"] == text


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("plain", "plain"),
        (["a", {"type": "bold", "text": "b"}, "c"], "abc"),
        ([{"type": "link", "text": "https://x.org"}], "https://x.org"),
        (None, ""),
        ([], ""),
    ],
    ids=["string", "mixed", "entity-only", "null", "empty-list"],
)
def test_flatten_text(value: object, expected: str) -> None:
    assert flatten_text(value) == expected


def test_duplicate_keys_keep_the_richer_value() -> None:
    assert keep_richer_duplicates([("text", "long text"), ("text", "")]) == {"text": "long text"}
    assert keep_richer_duplicates([("text", ""), ("text", ["x"])]) == {"text": ["x"]}
    assert keep_richer_duplicates([("a", 1), ("b", 2)]) == {"a": 1, "b": 2}


def test_unixtime_only_and_old_integer_ids(tmp_path: Path) -> None:
    path = write_export(
        tmp_path,
        [
            {
                "id": 1,
                "type": "message",
                "date_unixtime": "1700000000",
                "from": "Ann",
                "from_id": 42,
                "text": "hi",
            },
            {
                "id": 2,
                "type": "unsupported",
                "date": "2023-11-14T23:00:00",
                "from": "Ann",
                "text": "",
            },
            {
                "id": 3,
                "type": "message",
                "date_unixtime": "1700000100",
                "from": None,
                "from_id": "user9",
                "text": "who am I",
            },
        ],
    )
    frame, _ = read(path)
    assert frame["time"].to_list()[0] == datetime(2023, 11, 14, 22, 13, 20)  # UTC
    assert frame["speaker_id"].to_list() == ["42", None, "user9"]
    assert frame["kind"].to_list() == ["text", "media", "text"]
    assert frame["speaker"].to_list() == ["Ann", "Ann", "user9"]  # a deleted account keeps its id


def test_message_that_is_not_an_object_is_a_counted_reject(tmp_path: Path) -> None:
    path = write_export(
        tmp_path, [{"id": 1, "type": "message", "from": "A", "text": "ok"}, "junk", 5]
    )
    frame, rejects = read(path)
    assert frame.height == 1
    assert [(r[1], r[2]) for r in rejects] == [
        (2, "message_not_an_object"),
        (3, "message_not_an_object"),
    ]


def test_truncated_json_names_file_and_line(tmp_path: Path) -> None:
    full = (FIXTURES / "single_chat_result.json").read_text(encoding="utf-8")
    path = tmp_path / "result.json"
    path.write_text(full[: len(full) // 2], encoding="utf-8")
    with pytest.raises(InputError) as caught:
        read(path)
    message = str(caught.value)
    assert message.startswith(f"{path}:")
    assert "truncated JSON" in message
    assert caught.value.line is not None and caught.value.line > 1
    assert "\n" not in message


@pytest.mark.parametrize(
    ("encoding", "bom"),
    [
        ("utf-8", b"\xef\xbb\xbf"),
        ("utf-16-le", b"\xff\xfe"),
        ("utf-16-be", b"\xfe\xff"),
        ("utf-16-le", b""),
    ],
    ids=["utf8-bom", "utf16le-bom", "utf16be-bom", "utf16le-no-bom"],
)
def test_bom_and_utf16_files_read_like_utf8(tmp_path: Path, encoding: str, bom: bytes) -> None:
    text = (FIXTURES / "single_chat_result.json").read_text(encoding="utf-8")
    path = tmp_path / "result.json"
    path.write_bytes(bom + text.encode(encoding))
    frame, _ = read(path)
    expected, _ = read(FIXTURES / "single_chat_result.json")
    assert frame["text"].to_list() == expected["text"].to_list()


def test_undecodable_bytes_name_the_line(tmp_path: Path) -> None:
    path = tmp_path / "result.json"
    path.write_bytes(b'{"messages": [\n{"type": "message", "text": "caf\xe9"}\n]}')
    with pytest.raises(InputError) as caught:
        read(path)
    assert caught.value.line == 2
    assert "0xe9" in str(caught.value) and "--encoding" in str(caught.value)
    frame, _ = read(path, encoding="latin-1")
    assert frame["text"].to_list() == ["café"]


@pytest.mark.parametrize(
    "document",
    ['[{"type": "message"}]', '{"chats_total": 3}'],
    ids=["top-level-array", "no-messages"],
)
def test_not_a_telegram_document(tmp_path: Path, document: str) -> None:
    path = tmp_path / "result.json"
    path.write_text(document, encoding="utf-8")
    with pytest.raises(InputError, match="not a Telegram export"):
        read(path)


def test_key_order_does_not_matter(tmp_path: Path) -> None:
    # Messages before the chat id, personal_information after the chats: same result.
    path = tmp_path / "result.json"
    message = {
        "id": 1,
        "type": "message",
        "date": "2024-01-01T10:00:00",
        "from": "Colin",
        "from_id": "user5",
        "text": "hi",
    }
    document = (
        '{"chats": {"list": [{"messages": ['
        + json.dumps(message)
        + '], "id": 77, "name": "Pat"}, 3]},'
        ' "personal_information": {"user_id": 5, "bio": "braces { in } a bio"}}'
    )
    path.write_text(document, encoding="utf-8")
    frame, rejects = read(path)
    assert frame["conversation"].to_list() == [f"{path}#77"]
    assert frame["is_me"].to_list() == [True]
    assert [(r[1], r[2]) for r in rejects] == [(None, "chat_not_an_object")]


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ('{"messages": []} trailing', "expected the end of the file"),
        ('{"id": 1, "messages": [{"id": 1} {"id": 2}]}', "expected ',' or ']' at column 34"),
        ('{"messages" []}', "expected ':'"),
        ('{\n"messages": [\n{"id": 1},\n', "truncated JSON"),
    ],
    ids=["trailing-garbage", "missing-comma", "missing-colon", "truncated-between-messages"],
)
def test_malformed_documents_are_one_line_errors(
    tmp_path: Path, document: str, message: str
) -> None:
    path = tmp_path / "result.json"
    path.write_text(document, encoding="utf-8")
    with pytest.raises(InputError) as caught:
        read(path)
    assert str(caught.value).startswith(f"{path}:")
    assert message in str(caught.value)
    assert caught.value.line is not None


# tdesktop writes control characters as "\x0C" where JSON wants "\u000C".
_AS_TDESKTOP = re.compile(r"(?<!\\)((?:\\\\)*)\\u00([01][0-9a-fA-F])")


@settings(max_examples=50, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(texts=st.lists(st.text(st.characters(blacklist_categories=("Cs",))), min_size=1, max_size=8))
def test_any_text_survives_tdesktop_escapes(tmp_path: Path, texts: list[str]) -> None:
    messages = [
        {"id": n, "type": "message", "from": "A", "text": text} for n, text in enumerate(texts)
    ]
    raw = json.dumps({"id": 1, "messages": messages}, ensure_ascii=False)
    path = tmp_path / "result.json"
    path.write_text(_AS_TDESKTOP.sub(r"\1\\x\2", raw), encoding="utf-8")
    frame, rejects = read(path)
    assert rejects == []
    expected = [text.replace("\r\n", "\n").replace("\r", "\n") for text in texts]
    assert frame["text"].to_list() == expected


def test_personal_information_inside_a_message_is_not_the_exporter(tmp_path: Path) -> None:
    quoted = '{"personal_information": {"user_id": 5}}'
    path = write_export(
        tmp_path, [{"id": 1, "type": "message", "from": "A", "from_id": "user5", "text": quoted}]
    )
    frame, _ = read(path)
    assert frame["text"].to_list() == [quoted]
    assert frame["is_me"].to_list() == [None]


def test_full_account_export_needs_no_me_on_the_cli(tmp_path: Path) -> None:
    out = tmp_path / "train.jsonl"
    code, _, stderr = run_main(
        "chat", FIXTURES / "full_account_result.json", "--out", out, "-q", "--no-split"
    )
    assert code == 0, stderr
    samples = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    answers = [
        turn["value"]
        for sample in samples
        for turn in sample["conversations"]
        if turn["from"] == "gpt"
    ]
    assert "Almost.\nTwo charts left,\nthen the summary." in answers
    assert all("Maya" not in answer for answer in answers)
