"""Auto-detection: every fixture goes to the right reader, look-alikes do not, and inputs
that match nothing get one clear line instead of a traceback."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from dataprep.chat.readers import detect_format, discover_inputs, reader_names
from dataprep.errors import InputError
from tests.conftest import FIXTURES, run_main

CHAT = FIXTURES / "chat"

EXPECTED = {
    "telegram/single_chat_result.json": "telegram",
    "telegram/full_account_result.json": "telegram",
    "telegram/quirks_result.json": "telegram",
    "discord/Makers Collective - Projects - general [810000000000000001].json": "discord",
    "discord/Makers Collective - Projects - build-log [810000000000000002] [part 1].json": "discord",
    "discord/Makers Collective - Projects - build-log [810000000000000002] [part 2].json": "discord",
    "slack/acme_workspace": "slack",
    "slack/acme_workspace/general/2024-03-04.json": "slack",
    "wechat/pywxdump_xiaolin.csv": "wechat",
    "wechat/memotrace_chenmei.csv": "wechat",
    "generic/messages.jsonl": "jsonl",
    "generic/roles.jsonl": "jsonl",
    "generic/messages.csv": "csv",
    "generic/sharegpt.jsonl": "sharegpt",
    "generic/openai.jsonl": "openai",
}


@pytest.mark.parametrize(("relative", "name"), EXPECTED.items(), ids=list(EXPECTED))
def test_every_fixture_is_detected(relative: str, name: str) -> None:
    assert detect_format(CHAT / relative).name == name


def test_all_readers_are_registered() -> None:
    assert {"telegram", "discord", "slack", "wechat", "jsonl", "csv", "sharegpt", "openai"} <= set(
        reader_names()
    )


def test_slack_folder_is_one_input_unit() -> None:
    units = discover_inputs([CHAT / "slack"])
    assert units == [CHAT / "slack" / "acme_workspace"]


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


SHAREGPT_LINE = json.dumps(
    {"conversations": [{"from": "human", "value": "hi"}, {"from": "gpt", "value": "yo"}]}
)
OPENAI_LINE = json.dumps(
    {"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"}]}
)
LOOKALIKES = {
    # A Telegram message whose text quotes a Discord export stays Telegram.
    "telegram-quoting-discord.json": (
        json.dumps({"name": "x", "type": "personal_chat", "id": 1, "messages": [
            {"id": 1, "type": "message", "date": "2024-01-01T00:00:00", "from": "A",
             "text": '{"guild": {}, "channel": {}, "messages": []}'}]}),
        "telegram",
    ),
    # Minified, unixtime-only single chat (like chat-miner's sample).
    "minified.json": ('{"messages":[{"type":"message","date_unixtime":"1","from":"A","text":"x"}]}', "telegram"),
    "full-account.json": (json.dumps({"personal_information": {"user_id": 1}, "chats": {"list": []}}), "telegram"),
    "dce.json": (json.dumps({"guild": {"id": "1"}, "channel": {"id": "2"}, "messages": [{"type": "Default"}]}), "discord"),
    "sharegpt-in-json-suffix.json": (SHAREGPT_LINE + "\n", "sharegpt"),
    "sharegpt-first-line-broken.jsonl": ("{oops\n" + SHAREGPT_LINE + "\n", "sharegpt"),
    "openai.ndjson": (OPENAI_LINE + "\n", "openai"),
    "messages-field-is-text.jsonl": (json.dumps({"speaker": "A", "text": "hi", "messages": "3 unread"}) + "\n", "jsonl"),
    "conversations-field-is-text.jsonl": (json.dumps({"speaker": "A", "text": "hi", "conversations": 2}) + "\n", "jsonl"),
    "generic-with-wechat-words.csv": ("speaker,text,msg,talker\nA,hi,x,y\n", "csv"),
}  # fmt: skip


@pytest.mark.parametrize(("name", "case"), LOOKALIKES.items(), ids=list(LOOKALIKES))
def test_lookalikes_go_to_the_right_reader(
    tmp_path: Path, name: str, case: tuple[str, str]
) -> None:
    text, expected = case
    assert detect_format(write(tmp_path / name, text)).name == expected


@pytest.mark.parametrize(
    ("line", "expected"),
    [(SHAREGPT_LINE, "sharegpt"), (OPENAI_LINE, "openai")],
    ids=["sharegpt", "openai"],
)
def test_first_line_longer_than_the_sniffed_head(tmp_path: Path, line: str, expected: str) -> None:
    record = json.loads(line)
    key = "conversations" if expected == "sharegpt" else "messages"
    field = "value" if expected == "sharegpt" else "content"
    record[key][0][field] = "long " * 30_000  # 150 KB: the 64 KiB head cuts the line
    path = write(tmp_path / "big.jsonl", json.dumps(record) + "\n")
    assert detect_format(path).name == expected


def test_non_slack_zip_is_not_slack(tmp_path: Path) -> None:
    archive = tmp_path / "photos.zip"
    with zipfile.ZipFile(archive, "w") as handle:
        handle.writestr("channels.json", "[]")  # no users.json beside it
    from dataprep.chat.readers.slack import SlackReader

    assert not SlackReader().sniff(archive, "")


@pytest.mark.parametrize(
    ("name", "text"),
    [("x.json", '{"foo": 1}'), ("x.jsonl", "not json at all\n"), ("x.json", "[1, 2, 3]")],
    ids=["unknown-object", "garbage-jsonl", "json-array"],
)
def test_unknown_format_lists_the_formats(tmp_path: Path, name: str, text: str) -> None:
    path = write(tmp_path / name, text)
    with pytest.raises(InputError) as caught:
        detect_format(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: unknown chat export format")
    assert "--input-format" in message
    for reader in ("telegram", "discord", "slack", "wechat", "jsonl", "csv", "sharegpt", "openai"):
        assert reader in message


def test_unknown_format_through_the_cli_is_one_line(tmp_path: Path) -> None:
    path = write(tmp_path / "x.json", '{"foo": 1}')
    out = tmp_path / "out.jsonl"
    code, _, stderr = run_main("chat", path, "--out", out, "-q")
    assert code == 2
    lines = stderr.strip().splitlines()
    assert (
        len(lines) == 1 and "unknown chat export format" in lines[0] and "Traceback" not in stderr
    )
    assert not out.exists()


def test_empty_directory_is_a_clear_error(tmp_path: Path) -> None:
    empty = tmp_path / "nothing here"
    empty.mkdir()
    (empty / "notes.md").write_text("not an export", encoding="utf-8")
    with pytest.raises(InputError, match="no chat exports found"):
        discover_inputs([empty])
    code, _, stderr = run_main("chat", empty, "--out", tmp_path / "out.jsonl", "-q")
    assert code == 2 and "no chat exports found" in stderr and len(stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("name", "content"),
    [
        (
            "cut.json",
            '{"name": "x", "type": "personal_chat", "id": 1, "messages": [{"type": "message", "te',
        ),
        (
            "cut.jsonl",
            '{"speaker": "A", "text": "hi"}\n{"speaker": "B", "te\n{"speaker": "B", "text": "hello"}\n',
        ),
    ],
    ids=["truncated-telegram", "truncated-jsonl-line"],
)
def test_bad_files_through_the_cli(tmp_path: Path, name: str, content: str) -> None:
    path = write(tmp_path / name, content)
    out = tmp_path / "out.jsonl"
    rejects = tmp_path / "rejects.jsonl"
    code, _, stderr = run_main("chat", path, "--out", out, "--rejects", rejects, "--me", "B", "-q")
    if name.endswith(".json"):
        # A document that cannot be parsed stops the run with one line and no output.
        assert code == 2
        assert f"{path}:1: truncated JSON" in stderr and len(stderr.strip().splitlines()) == 1
        assert not out.exists()
    else:
        # A broken JSONL line is a counted reject with its line number; the rest is read.
        assert code == 0, stderr
        kept = [json.loads(line) for line in rejects.read_text(encoding="utf-8").splitlines()]
        read_rejects = [r for r in kept if r.get("reason") == "invalid_json"]
        # Recorded paths start at the input's own name (see read_chat._location_prefix).
        assert [(r["source_file"], r["source_line"]) for r in read_rejects] == [(path.name, 2)]
        assert "hello" in out.read_text(encoding="utf-8")
