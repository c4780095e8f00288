"""DiscordChatExporter reader: fixtures written for this project plus bad-input cases."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import polars as pl
import pytest

from dataprep.chat.readers import ReaderOptions
from dataprep.chat.readers.discord import DiscordReader, message_row
from dataprep.chat.schema import MESSAGE_SCHEMA
from dataprep.errors import InputError

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "chat" / "discord"
GENERAL = FIXTURES / "Makers Collective - Projects - general [810000000000000001].json"
PARTS = sorted(FIXTURES.glob("*build-log*[[]part *.json"))
READER = DiscordReader()


def read(path: Path, **options: object) -> tuple[pl.DataFrame, list[tuple]]:
    rejects: list[tuple] = []
    batches = list(READER.read(path, ReaderOptions(**options), lambda *a: rejects.append(a)))
    frame = pl.concat(batches) if batches else pl.DataFrame(schema=MESSAGE_SCHEMA)
    assert frame.schema == pl.Schema(MESSAGE_SCHEMA)
    return frame, rejects


def test_channel_fixture_rows() -> None:
    frame, rejects = read(GENERAL)
    assert rejects == []
    assert frame["conversation"].unique().to_list() == ["discord:810000000000000001"]
    assert frame["kind"].to_list() == [
        "system",
        "text",
        "text",
        "media",
        "media",
        "system",
        "text",
        "text",
    ]
    assert frame["speaker"].to_list() == [
        None,
        "Colin",
        "Noor",
        "Noor",
        "Colin",
        None,
        "kai",
        "Colin",
    ]
    assert frame["speaker_id"].to_list()[:3] == [
        "100000000000000002",
        "100000000000000001",
        "100000000000000002",
    ]
    assert frame["text"].to_list() == [
        "Joined the server.",
        "Welcome Noor! What are you building these days?",
        "A tiny weather station.\nESP32 + a BME280,\nsolar powered if I can manage",
        "<attachment: board.jpg>",
        "<sticker: thumbs up>",
        "Pinned a message.",
        "Nice board! Which enclosure?",
        "A 3D-printed one, I'll share the STL tonight.",
    ]
    assert frame["reply_to"].to_list()[2] == "830000000000000002"
    assert frame["reply_to"].to_list()[6] == "830000000000000004"
    # The exporter's offset is dropped: times stay local as exported.
    assert frame["time"].to_list()[:3] == [
        datetime(2025, 9, 1, 18, 0, 0, 123000),
        datetime(2025, 9, 1, 18, 1, 10),
        datetime(2025, 9, 1, 18, 3, 42, 500000),
    ]
    assert frame["reply_to"].to_list()[7] == "830000000000000007"
    assert frame["source_line"].to_list() == list(range(1, 9))
    assert frame["is_me"].null_count() == 8


def test_split_parts_share_one_conversation() -> None:
    assert [p.name[-15:] for p in PARTS] == ["] [part 1].json", "] [part 2].json"]
    frames = [read(part)[0] for part in PARTS]
    both = pl.concat(frames)
    assert both["conversation"].unique().to_list() == ["discord:810000000000000002"]
    assert both["message_id"].to_list() == [f"86000000000000000{n}" for n in range(1, 6)]
    assert both["source_file"].unique(maintain_order=True).to_list() == [str(p) for p in PARTS]
    assert both["kind"].to_list() == ["text", "text", "text", "text", "system"]
    assert both["speaker"].to_list()[1] == "BuildBot"
    assert both["reply_to"].to_list()[3] == "860000000000000003"


def test_part_without_channel_id_takes_the_file_name(tmp_path: Path) -> None:
    path = tmp_path / "Guild - chan [5] [part 3].json"
    path.write_text(json.dumps({"guild": {}, "channel": {}, "messages": []}), encoding="utf-8")
    frame, _ = read(path)
    assert frame.height == 0
    from dataprep.chat.readers.discord import conversation_id

    assert conversation_id({"channel": {}}, path) == "discord:Guild - chan [5]"


@pytest.mark.parametrize(
    ("message", "kind", "text"),
    [
        ({"type": "Default", "content": "hi"}, "text", "hi"),
        ({"type": "20", "content": "/roll 6"}, "text", "/roll 6"),
        (
            {"type": "RecipientAdd", "content": "Added Bo to the group."},
            "system",
            "Added Bo to the group.",
        ),
        ({"type": "Call", "content": "Started a call."}, "system", "Started a call."),
        ({"type": "Default", "content": "", "embeds": [{"title": "x"}]}, "media", "<embed>"),
        ({"type": "Default", "content": ""}, "text", ""),
        (
            {"type": "Default", "content": "see file", "attachments": [{"fileName": "a.txt"}]},
            "text",
            "see file",
        ),
    ],
    ids=[
        "default",
        "slash-command",
        "recipient-add",
        "call",
        "embed-only",
        "empty",
        "text-with-attachment",
    ],
)
def test_message_kinds(message: dict, kind: str, text: str) -> None:
    row = message_row({"id": "1", "author": {"id": "9", "name": "bo", "nickname": "Bo"}, **message})
    assert (row["kind"], row["text"]) == (kind, text)
    assert row["speaker"] == (None if kind == "system" else "Bo")


def test_message_that_is_not_an_object_is_a_counted_reject(tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    document = {
        "guild": {},
        "channel": {"id": "1"},
        "messages": [None, {"id": "2", "content": "ok"}],
    }
    path.write_text(json.dumps(document), encoding="utf-8")
    frame, rejects = read(path)
    assert frame["text"].to_list() == ["ok"]
    assert frame["source_line"].to_list() == [2]
    assert [(r[1], r[2]) for r in rejects] == [(1, "message_not_an_object")]


def test_truncated_export_is_one_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "cut.json"
    data = GENERAL.read_bytes()
    path.write_bytes(data[: len(data) - 200])
    with pytest.raises(InputError, match=r"cut\.json:\d+: truncated JSON"):
        read(path)


def test_utf16_export_reads_like_utf8(tmp_path: Path) -> None:
    path = tmp_path / "wide.json"
    path.write_bytes(b"\xff\xfe" + GENERAL.read_text(encoding="utf-8").encode("utf-16-le"))
    assert read(path)[0]["text"].to_list() == read(GENERAL)[0]["text"].to_list()


def test_undecodable_bytes(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_bytes(b'{"guild": {}, "channel": {}, "messages": [{"content": "\xff"}]}')
    with pytest.raises(InputError, match=r"bad\.json:1: cannot decode byte 0xff"):
        read(path)


def test_no_messages_list(tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    path.write_text('{"guild": {}, "channel": {}, "messages": {}}', encoding="utf-8")
    with pytest.raises(InputError, match="no 'messages' list"):
        read(path)


def test_channel_after_messages_still_names_the_conversation(tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    path.write_text(
        '{"messages": [{"id": "1", "content": "hi"}], "guild": {}, "channel": {"id": "42"}}',
        encoding="utf-8",
    )
    frame, _ = read(path)
    assert frame["conversation"].to_list() == ["discord:42"]
