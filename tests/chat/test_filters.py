"""Filters on what is read (--since/--until, --include-chat/--exclude-chat) and --me-first."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, run_main

FLAGS = ("--no-pii", "--no-dedupe", "--no-split", "-q")
TELEGRAM = FIXTURES / "chat" / "telegram" / "full_account_result.json"


def _chat(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _run(*args: object) -> tuple[int, str, list[dict], dict]:
    out = Path(str(args[args.index("--out") + 1]))
    code, _, err = run_main("chat", *args, *FLAGS)
    if code != 0:
        return code, err, [], {}
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    report = json.loads(out.with_name(out.stem + ".report.json").read_text())
    return code, err, records, report


def _texts(records: list[dict]) -> list[list[str]]:
    return [[turn["value"] for turn in r["conversations"]] for r in records]


@pytest.fixture
def january(tmp_path: Path) -> Path:
    return _chat(
        tmp_path / "chat.txt",
        [
            "14/01/2024, 09:00 - Ana: first?",
            "14/01/2024, 09:01 - Colin: first!",
            "20/01/2024, 18:00 - Ana: second?",
            "20/01/2024, 18:01 - Colin: second!",
            "31/01/2024, 23:30 - Ana: third?",
            "31/01/2024, 23:31 - Colin: third!",
        ],
    )


@pytest.mark.parametrize(
    ("window", "expected"),
    [
        (("--since", "2024-01-20"), ["second", "third"]),
        (("--until", "2024-01-20"), ["first", "second"]),
        (("--since", "2024-01-15", "--until", "2024-01-30"), ["second"]),
        (("--since", "2024-01-20T18:02"), ["third"]),
        (("--until", "2024-01-31"), ["first", "second", "third"]),
    ],
)
def test_since_and_until_keep_messages_in_the_window(tmp_path, january, window, expected):
    out = tmp_path / "o" / "train.jsonl"
    code, err, records, report = _run(january, "--me", "Colin", "--out", out, *window)
    assert code == 0, err
    assert [t[0].rstrip("?") for t in _texts(records)] == expected
    rejected = report["stages"]["read_chat"]["rejected"]
    assert sum(rejected.values()) == 6 - 2 * len(expected)


def test_a_bad_since_value_is_a_one_line_error(tmp_path, january):
    code, _, err = run_main(
        "chat", january, "--me", "Colin", "--out", tmp_path / "o.jsonl", "--since", "last week"
    )
    assert code != 0
    assert "read_chat.since" in err


@pytest.mark.parametrize(
    ("option", "value"), [("--include-chat", "Book Club"), ("--include-chat", "BOOK CLUB")]
)
def test_include_chat_by_name_reads_only_that_chat(tmp_path, option, value):
    out = tmp_path / "train.jsonl"
    code, err, included, report = _run(TELEGRAM, "--me", "Colin", "--out", out, option, value)
    assert code == 0, err
    code, err, everything, _ = _run(TELEGRAM, "--me", "Colin", "--out", tmp_path / "all.jsonl")
    assert 0 < len(included) < len(everything)
    assert report["stages"]["read_chat"]["rejected"]["chat_not_included"] > 0


def test_exclude_chat_by_id_and_include_by_id(tmp_path):
    document = json.loads(TELEGRAM.read_text(encoding="utf-8"))
    chats = document["chats"]["list"]
    first = chats[0]
    out = tmp_path / "only.jsonl"
    code, err, _, only = _run(
        TELEGRAM, "--me", "Colin", "--out", out, "--include-chat", str(first["id"])
    )
    assert code == 0, err
    code, err, _, without = _run(
        TELEGRAM,
        "--me",
        "Colin",
        "--out",
        tmp_path / "without.jsonl",
        "--exclude-chat",
        str(first["id"]),
    )
    assert code == 0, err
    read_only = only["stages"]["read_chat"]["rows_out"]
    read_without = without["stages"]["read_chat"]["rows_out"]
    total = read_only + only["stages"]["read_chat"]["rejected"]["chat_not_included"]
    assert read_only + read_without == total
    assert without["stages"]["read_chat"]["rejected"]["chat_excluded"] == read_only


def test_include_chat_matching_nothing_is_a_warning(tmp_path, january):
    code, _, err = run_main(
        "chat", january, "--me", "Colin", "--no-pii", "--out", tmp_path / "o.jsonl",
        "--include-chat", "chat", "--include-chat", "nobody",
    )  # fmt: skip
    assert code == 0, err
    assert "--include-chat 'nobody' matched no chat" in err
    assert "'chat' matched" not in err


@pytest.fixture
def opens_with_me(tmp_path: Path) -> Path:
    return _chat(
        tmp_path / "chat.txt",
        [
            "14/01/2024, 09:00 - Colin: morning! coffee?",
            "14/01/2024, 09:05 - Ana: yes please",
            "14/01/2024, 09:06 - Colin: on my way",
        ],
    )


@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        (None, [["yes please", "on my way"]]),
        ("drop", [["yes please", "on my way"]]),
        ("keep", [["morning! coffee?", "yes please", "on my way"]]),
        ("empty-user", [["", "morning! coffee?", "yes please", "on my way"]]),
    ],
)
def test_me_first_keeps_samples_that_open_with_the_me_speaker(
    tmp_path, opens_with_me, mode, expected
):
    extra = ("--me-first", mode) if mode else ()
    out = tmp_path / "train.jsonl"
    code, err, records, report = _run(opens_with_me, "--me", "Colin", "--out", out, *extra)
    assert code == 0, err
    assert _texts(records) == expected
    roles = [t["from"] for t in records[0]["conversations"]]
    assert roles[-1] == "gpt"
    if mode == "keep":
        assert roles[0] == "gpt"
        assert "build_samples.leading_assistant_turn" not in report["rejects_by_reason"]
    if mode in (None, "drop"):
        assert report["rejects_by_reason"]["build_samples.leading_assistant_turn"] == 1


def test_me_first_keep_writes_an_assistant_first_openai_record(tmp_path, opens_with_me):
    out = tmp_path / "train.jsonl"
    code, err, _, _ = _run(
        opens_with_me,
        "--me",
        "Colin",
        "--out",
        out,
        "--me-first",
        "keep",
        "--output-format",
        "openai",
        "--system",
        "Be Colin.",
    )
    assert code == 0, err
    record = json.loads(out.read_text().splitlines()[0])
    assert [m["role"] for m in record["messages"]] == ["system", "assistant", "user", "assistant"]


def test_include_chat_matches_a_whatsapp_chat_by_the_name_in_its_file_name(tmp_path):
    lines = ["14/01/2024, 09:00 - Ana: hi?", "14/01/2024, 09:01 - Colin: hi!"]
    exports = tmp_path / "exports"  # outside the output folder: an output in an input is refused
    exports.mkdir()
    _chat(exports / "WhatsApp Chat with Ana Lima.txt", lines)
    _chat(exports / "WhatsApp Chat - Book Club.txt", [line.replace("hi", "yo") for line in lines])
    out = tmp_path / "o" / "train.jsonl"
    code, err, records, report = _run(
        exports, "--me", "Colin", "--out", out, "--include-chat", "ana lima"
    )
    assert code == 0, err
    assert _texts(records) == [["hi?", "hi!"]]
    assert report["stages"]["read_chat"]["rejected"] == {"chat_not_included": 2}
