"""Slack export reader: folder, zip and loose day file, plus bad-input cases."""

from __future__ import annotations

import json
import shutil
import zipfile
from datetime import datetime
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from dataprep.chat.readers import ReaderOptions, detect_format, discover_inputs
from dataprep.chat.readers.slack import SlackReader, render_markup
from dataprep.chat.schema import MESSAGE_SCHEMA
from dataprep.errors import InputError
from tests.conftest import run_main

EXPORT = Path(__file__).resolve().parents[2] / "fixtures" / "chat" / "slack" / "acme_workspace"
READER = SlackReader()
USERS = {"U1": "Ann Lee", "U2": "Bo"}


def read(path: Path, **options: object) -> tuple[pl.DataFrame, list[tuple]]:
    rejects: list[tuple] = []
    batches = list(READER.read(path, ReaderOptions(**options), lambda *a: rejects.append(a)))
    frame = pl.concat(batches) if batches else pl.DataFrame(schema=MESSAGE_SCHEMA)
    assert frame.schema == pl.Schema(MESSAGE_SCHEMA)
    return frame, rejects


def zip_folder(folder: Path, target: Path, prefix: str = "acme_workspace/") -> Path:
    with zipfile.ZipFile(target, "w") as archive:
        for item in sorted(folder.rglob("*.json")):
            archive.write(item, prefix + item.relative_to(folder).as_posix())
    return target


def test_folder_export_rows() -> None:
    frame, rejects = read(EXPORT)
    assert rejects == []
    by_conversation = frame.group_by("conversation", maintain_order=True).len().rows()
    assert by_conversation == [
        (f"{EXPORT}#D0COLINLENA", 2),
        (f"{EXPORT}#general", 10),
        (f"{EXPORT}#random", 3),
    ]
    general = frame.filter(pl.col("conversation") == f"{EXPORT}#general")
    assert general["kind"].to_list() == [
        "system", "text", "text", "text", "text", "media", "text", "deleted", "text", "text",
    ]  # fmt: skip
    assert general["speaker"].to_list() == [
        None, "Colin", "Lena Kowalski", "Arjun S", "Deploy Bot", "Lena Kowalski", "Arjun S",
        "USLACKBOT", "Colin", "Colin",
    ]  # fmt: skip
    assert general["text"].to_list() == [
        "@Arjun S has joined the channel",
        "Morning all! Standup notes are in the doc (https://example.org/notes).",
        "@Colin thanks, I added the release checklist & the rollback plan",
        "Quick one: is the demo\nat 3pm or 4pm?\nCalendar says both",
        "Deployed `web` to staging: https://staging.example.org",
        "<file: checklist.pdf>",
        "Late reply to the standup thread: the demo is at 4pm, see #random",
        "This message was deleted.",
        "Thanks @Arjun S, 4pm it is. I'll move the invite.",
        "@here lunch is on me today",
    ]
    parent = general["message_id"][1]
    # Thread replies point at the parent's ts, across day files; the parent itself does not.
    replies = [parent if n in (2, 6, 8) else None for n in range(10)]
    assert general["reply_to"].to_list() == replies
    assert general["speaker_id"].to_list()[4] == "B0DEPLOY"
    assert general["time"][1] == datetime(2024, 3, 4, 9, 0)
    assert general["source_line"].to_list() == [1, 2, 3, 4, 5, 6, 1, 2, 3, 4]
    assert general["source_file"][6] == str(EXPORT / "general" / "2024-03-05.json")
    assert frame["is_me"].null_count() == frame.height


@pytest.mark.parametrize(
    ("markup", "plain"),
    [
        ("hi <@U1>", "hi @Ann Lee"),
        ("<@U9>", "@U9"),
        ("<@U2|bo>", "@bo"),
        ("see <#C1|general>", "see #general"),
        ("<!here> <!channel> <!everyone>", "@here @channel @everyone"),
        ("<!subteam^S1|@devs> ping", "@devs ping"),
        ("<https://example.org|the docs>", "the docs (https://example.org)"),
        ("<https://example.org>", "https://example.org"),
        ("<http://example.org|example.org>", "example.org"),
        ("<mailto:a@example.org|a@example.org>", "a@example.org"),
        ("a &lt;b&gt; &amp;&amp; c", "a <b> && c"),
        ("x < y and y > z", "x < y and y > z"),
    ],
    ids=[
        "mention", "unknown-user", "mention-label", "channel", "specials", "subteam",
        "labelled-link", "bare-link", "autolink", "mailto", "entities", "loose-angles",
    ],
)  # fmt: skip
def test_render_markup(markup: str, plain: str) -> None:
    assert render_markup(markup, USERS) == plain


def test_zip_export_reads_like_the_folder(tmp_path: Path) -> None:
    archive = zip_folder(EXPORT, tmp_path / "acme.zip")
    assert detect_format(archive).name == "slack"
    from_zip, rejects = read(archive)
    from_folder, _ = read(EXPORT)
    assert rejects == []
    columns = [
        "speaker",
        "speaker_id",
        "text",
        "time",
        "kind",
        "message_id",
        "reply_to",
        "source_line",
    ]
    assert from_zip.select(columns).equals(from_folder.select(columns))
    assert from_zip["conversation"][0] == f"{archive}#D0COLINLENA"
    assert from_zip["source_file"][0] == f"{archive}/acme_workspace/D0COLINLENA/2024-03-05.json"


def test_zip_without_slack_layout(tmp_path: Path) -> None:
    archive = tmp_path / "other.zip"
    with zipfile.ZipFile(archive, "w") as handle:
        handle.writestr("notes/readme.json", "[]")
    assert not READER.sniff(archive, "")
    with pytest.raises(InputError, match="not a Slack export"):
        read(archive)


@pytest.mark.parametrize(
    "removed", [("channels.json",), ("channels.json", "users.json", "dms.json")]
)
def test_folder_without_channels_or_users_json_is_still_an_export(tmp_path: Path, removed) -> None:
    export = tmp_path / "acme"
    shutil.copytree(EXPORT, export)
    for name in removed:
        (export / name).unlink()
    units = discover_inputs([tmp_path])
    full, _ = read(EXPORT)
    if "users.json" in removed:
        # No metadata at all: every day file is a unit of its own, read as a loose day file.
        assert all(unit.parent.parent == export for unit in units)
        frame = pl.concat([read(unit)[0] for unit in units])
    else:
        assert units == [export]
        frame, _ = read(export)
        assert frame["speaker"].to_list() == full["speaker"].to_list()
    assert sorted(frame["message_id"].to_list()) == sorted(full["message_id"].to_list())
    assert set(frame["conversation"].str.replace(str(export), "", literal=True)) == set(
        full["conversation"].str.replace(str(EXPORT), "", literal=True)
    )


def test_zip_of_day_folders_only_is_an_export(tmp_path: Path) -> None:
    archive = tmp_path / "trimmed.zip"
    with zipfile.ZipFile(archive, "w") as handle:
        for day in sorted((EXPORT / "general").glob("*.json")):
            handle.write(day, f"export/general/{day.name}")
    assert READER.sniff(archive, "")
    frame, _ = read(archive)
    assert frame.height > 0
    assert frame["conversation"][0] == f"{archive}#general"


def test_zip_with_hostile_member_is_refused(tmp_path: Path) -> None:
    archive = zip_folder(EXPORT, tmp_path / "evil.zip", prefix="")
    with zipfile.ZipFile(archive, "a") as handle:
        handle.writestr("../escape.json", "[]")
    with pytest.raises(InputError, match=r"'\.\.' path component"):
        read(archive)


def test_loose_day_file_uses_the_exports_users(tmp_path: Path) -> None:
    day = EXPORT / "random" / "2024-03-04.json"
    assert detect_format(day).name == "slack"
    frame, _ = read(day)
    assert frame["speaker"].to_list() == ["Lena Kowalski", "Colin", None]
    assert frame["conversation"].unique().to_list() == [f"{EXPORT}#random"]
    lonely = tmp_path / "2024-03-04.json"
    shutil.copy(day, lonely)
    assert read(lonely)[0]["speaker"].to_list() == ["U0LENA", "U0COLIN", None]


def copy_export(tmp_path: Path) -> Path:
    target = tmp_path / "export"
    shutil.copytree(EXPORT, target)
    return target


def test_message_that_is_not_an_object_is_a_counted_reject(tmp_path: Path) -> None:
    export = copy_export(tmp_path)
    day = export / "random" / "2024-03-04.json"
    messages = json.loads(day.read_text(encoding="utf-8"))
    day.write_text(json.dumps([messages[0], "junk", messages[1]]), encoding="utf-8")
    frame, rejects = read(export)
    assert frame.filter(pl.col("conversation").str.ends_with("#random")).height == 2
    assert [(r[0], r[1], r[2]) for r in rejects] == [(str(day), 2, "message_not_an_object")]


def test_truncated_day_file_names_that_file(tmp_path: Path) -> None:
    export = copy_export(tmp_path)
    day = export / "general" / "2024-03-05.json"
    day.write_bytes(day.read_bytes()[:150])
    with pytest.raises(InputError) as caught:
        read(export)
    assert str(caught.value).startswith(f"{day}:")
    assert "truncated JSON" in str(caught.value)


def test_day_file_that_is_not_an_array(tmp_path: Path) -> None:
    export = copy_export(tmp_path)
    (export / "general" / "2024-03-05.json").write_text('{"ts": "1"}', encoding="utf-8")
    with pytest.raises(InputError, match="not a Slack day file"):
        read(export)


def test_bom_and_utf16_files(tmp_path: Path) -> None:
    export = copy_export(tmp_path)
    users = export / "users.json"
    users.write_bytes(b"\xef\xbb\xbf" + users.read_bytes())
    day = export / "random" / "2024-03-04.json"
    day.write_bytes(b"\xff\xfe" + day.read_text(encoding="utf-8").encode("utf-16-le"))
    frame, _ = read(export)
    expected, _ = read(EXPORT)
    assert frame["text"].to_list() == expected["text"].to_list()
    assert frame["speaker"].to_list() == expected["speaker"].to_list()


def test_undecodable_bytes_in_a_day_file(tmp_path: Path) -> None:
    export = copy_export(tmp_path)
    day = export / "random" / "2024-03-04.json"
    day.write_bytes(b'[\n{"type": "message", "text": "\xe9t\xe9", "ts": "1"}\n]')
    with pytest.raises(InputError, match=r"2024-03-04\.json:2: cannot decode byte 0xe9"):
        read(export)


def test_a_failing_export_hands_on_nothing(tmp_path: Path) -> None:
    # A reject in an early day file, then a truncated later one: no batch and no reject
    # leaves the reader before the error.
    export = copy_export(tmp_path)
    early = export / "general" / "2024-03-04.json"
    early.write_text(
        json.dumps(["junk", *json.loads(early.read_text(encoding="utf-8"))]), encoding="utf-8"
    )
    late = export / "random" / "2024-03-04.json"
    late.write_bytes(late.read_bytes()[:100])
    rejects: list[tuple] = []
    batches = READER.read(export, ReaderOptions(), lambda *a: rejects.append(a))
    with pytest.raises(InputError, match="truncated JSON"):
        next(batches)
    assert rejects == []


@given(st.text(st.characters(blacklist_characters="<&")))
def test_text_without_markup_is_unchanged(text: str) -> None:
    assert render_markup(text, USERS) == text


@given(st.text(st.characters(blacklist_characters="<>&|")), st.sampled_from(sorted(USERS)))
def test_mentions_resolve_to_names(text: str, user: str) -> None:
    assert render_markup(f"{text}<@{user}>", USERS) == f"{text}@{USERS[user]}"


def test_zip_export_through_the_cli(tmp_path: Path) -> None:
    archive = zip_folder(EXPORT, tmp_path / "acme.zip")
    out = tmp_path / "train.jsonl"
    code, _, stderr = run_main("chat", archive, "--me", "Colin", "--out", out, "-q", "--no-split")
    assert code == 0, stderr
    samples = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    answers = [
        turn["value"]
        for sample in samples
        for turn in sample["conversations"]
        if turn["from"] == "gpt"
    ]
    assert "Sure, tomorrow morning.\nSend me the link when it's green." in answers
    assert "Count me in 🎲" in answers
