"""Hostile files and file systems: each case used to end in a traceback, a hang, a memory
blow-up or a silent loss. Each now ends in output plus counted rejects, or one line."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
import zipfile
from pathlib import Path

import pytest

from tests.robustness.helpers import (
    UNPRIVILEGED,
    WHATSAPP,
    assert_one_line_error,
    peak_rss_mb,
    run_cli,
    write_conversations,
)

needs_setpriv = pytest.mark.skipif(shutil.which("setpriv") is None, reason="needs setpriv")


def _chat(inputs: Path, out: Path, *extra: str, **options):
    out.mkdir(exist_ok=True)
    return run_cli(
        "chat", inputs, "--me", "Colin", "--no-pii", "--out", out / "train.jsonl",
        "--rejects", out / "rejects.jsonl", "-q", *extra, **options,
    )  # fmt: skip


def _read_rejects(out: Path) -> dict[str, int]:
    report = json.loads((out / "train.report.json").read_text(encoding="utf-8"))
    return report["stages"]["read_chat"]["rejected"]


def _ok(result: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in result.stderr, result.stderr
    assert result.returncode == 0, result.stderr


def _generic_lines(*texts: str) -> str:
    speakers = ["Colin", "Maya"]
    return "".join(
        json.dumps({"speaker": speakers[i % 2], "text": t, "time": f"2024-01-01 10:{i:02d}"}) + "\n"
        for i, t in enumerate(texts)
    )


# -- parsing -------------------------------------------------------------------------------


def test_deeply_nested_json_line_is_a_counted_reject(tmp_path):
    data = tmp_path / "chat.jsonl"
    deep = '{"speaker": "Maya", "text": ' + "[" * 100_000 + "]" * 100_000 + "}\n"
    data.write_text(_generic_lines("hello", "hi") + deep + _generic_lines("a", "b"))
    result = _chat(data, tmp_path / "out")
    _ok(result)
    assert _read_rejects(tmp_path / "out") == {"invalid_json": 1}


def test_deeply_nested_conversation_is_a_counted_reject_in_clean(tmp_path):
    data = write_conversations(tmp_path / "data.jsonl", 5)
    with data.open("a") as handle:
        handle.write('{"messages": ' + "[" * 50_000 + "]" * 50_000 + "}\n")
    result = run_cli("clean", data, "--no-pii", "--out", tmp_path / "o.jsonl", "-q")
    _ok(result)


def test_deeply_nested_telegram_export_is_one_line(tmp_path):
    export = tmp_path / "result.json"
    export.write_text(
        '{"name": "c", "type": "personal_chat", "id": 1, "messages": [{"id": 1, '
        '"type": "message", "date": "2024-01-01T10:00:00", "from": "Colin", "text": '
        + "[" * 100_000
        + "]" * 100_000
        + "}]}"
    )
    line = assert_one_line_error(_chat(export, tmp_path / "out"))
    # A phrase, not a word: this test's tmp_path in the line holds "nested" too.
    assert "JSON nested too deeply" in line, line


def test_cr_only_line_ends_in_csv(tmp_path):
    data = tmp_path / "chat.csv"
    data.write_bytes(
        b"speaker,text,time\rColin,hello there,2024-01-01 10:00\rMaya,hi,2024-01-01 10:01\r"
        b"Colin,how are you,2024-01-01 10:02\rMaya,fine,2024-01-01 10:03\r"
    )
    result = _chat(data, tmp_path / "out")
    _ok(result)
    assert (tmp_path / "out/train.jsonl").stat().st_size > 0


def test_lone_surrogate_escapes_become_replacement_characters(tmp_path):
    data = tmp_path / "chat.jsonl"
    data.write_text(_generic_lines("hello \\ud800 there", "hi \\udfff", "a", "b"))
    # json.dumps would escape the backslash; write the escapes raw.
    data.write_text(data.read_text().replace("\\\\ud", "\\ud"))
    result = _chat(data, tmp_path / "out")
    _ok(result)
    text = (tmp_path / "out/train.jsonl").read_bytes().decode("utf-8")  # valid UTF-8
    assert "\ufffd" in text or "\\ufffd" in text
    clean_input = tmp_path / "conv.jsonl"
    message = '{"messages": [{"role": "user", "content": "x \\ud800"}, '
    clean_input.write_text(message + '{"role": "assistant", "content": "y"}]}\n')
    _ok(run_cli("clean", clean_input, "--no-pii", "--out", tmp_path / "c.jsonl", "-q"))


def test_slack_subtype_that_is_a_list(tmp_path):
    export = tmp_path / "slack"
    shutil.copytree(Path(__file__).resolve().parents[2] / "fixtures/chat/slack/acme_workspace",
                    export)  # fmt: skip
    day = sorted(export.glob("*/*.json"))[0]
    messages = json.loads(day.read_text())
    messages[0]["subtype"] = ["channel_join", "bot_message"]
    day.write_text(json.dumps(messages))
    out = tmp_path / "out"
    out.mkdir()
    result = run_cli("chat", export, "--me", "Colin", "--no-pii", "--out", out / "t.jsonl", "-q")
    _ok(result)


# -- archives --------------------------------------------------------------------------------


def _whatsapp_zip(path: Path) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.write(WHATSAPP, "WhatsApp Chat.txt")
    return path


def test_corrupt_deflate_data_is_one_line_or_a_skipped_file(tmp_path):
    folder = tmp_path / "exports"
    folder.mkdir()
    shutil.copy(WHATSAPP, folder / "good.txt")
    bad = _whatsapp_zip(folder / "bad.zip")
    data = bytearray(bad.read_bytes())
    start = data.find(b"WhatsApp Chat.txt") + len("WhatsApp Chat.txt")
    for i in range(start + 10, start + 200):
        data[i] ^= 0x5A
    bad.write_bytes(bytes(data))
    line = assert_one_line_error(_chat(bad, tmp_path / "out1"))
    # Phrases, not words: this test's tmp_path in the line holds "corrupt" too.
    assert "'WhatsApp Chat.txt' is corrupt" in line or "not a readable zip" in line, line
    result = _chat(folder, tmp_path / "out2", "--skip-bad-files")
    _ok(result)
    assert _read_rejects(tmp_path / "out2") == {"unreadable_file": 1}


def test_encrypted_zip_says_so(tmp_path):
    bad = _whatsapp_zip(tmp_path / "enc.zip")
    data = bytearray(bad.read_bytes())
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = data.find(signature)
        data[at + offset] |= 0x1  # the "encrypted" flag bit
    bad.write_bytes(bytes(data))
    line = assert_one_line_error(_chat(bad, tmp_path / "out"))
    # The member is named: "encrypted" alone would match this test's own tmp_path in the line.
    assert "zip member 'WhatsApp Chat.txt' is encrypted" in line, line
    assert "unknown chat export format" not in line, line


def test_zip_bomb_is_refused_before_it_inflates(tmp_path):
    bomb = tmp_path / "bomb.zip"
    zeros = bytes(1024 * 1024)
    with (
        zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive,
        archive.open("WhatsApp Chat.txt", "w", force_zip64=True) as member,
    ):
        member.write(b"01/02/2024, 10:00 - Colin: hello\n")
        for _ in range(400):
            member.write(zeros)
    assert bomb.stat().st_size < 2 * 1024 * 1024
    (tmp_path / "out").mkdir()
    code, rss, err = peak_rss_mb("chat", bomb, "--me", "Colin", "--no-pii", "--out",
                                 tmp_path / "out/t.jsonl")  # fmt: skip
    assert code == 2 and "zip bomb" in err and "Traceback" not in err, err
    assert rss < 400, rss  # it used to peak at 3.5 GB


def test_bzip2_member_is_refused_without_inflating(tmp_path):
    archive_path = tmp_path / "chat.zip"
    with zipfile.ZipFile(archive_path, "w", zipfile.ZIP_BZIP2) as archive:
        archive.writestr("WhatsApp Chat.txt", bytes(200 * 1024 * 1024))
    assert archive_path.stat().st_size < 100_000
    (tmp_path / "out").mkdir()
    code, rss, err = peak_rss_mb("chat", archive_path, "--me", "Colin", "--no-pii", "--out",
                                 tmp_path / "out/t.jsonl")  # fmt: skip
    assert code == 2 and "Traceback" not in err, err
    assert "compression method" in err or "zip bomb" in err
    assert rss < 400, rss  # format detection used to inflate it whole


# -- file systems ----------------------------------------------------------------------------


def test_broken_links_and_link_loops_are_counted_rejects(tmp_path):
    folder = tmp_path / "exports"
    folder.mkdir()
    shutil.copy(WHATSAPP, folder / "chat.txt")
    (folder / "gone.txt").symlink_to(tmp_path / "missing.txt")
    (folder / "loop.txt").symlink_to(folder / "loop.txt")
    (folder / "parent").symlink_to(folder)  # a folder link back up: visited once
    result = _chat(folder, tmp_path / "out")
    _ok(result)
    assert _read_rejects(tmp_path / "out") == {"broken_link": 1, "link_loop": 1}
    line = assert_one_line_error(_chat(folder / "gone.txt", tmp_path / "out2"))
    assert "symbolic link" in line


def test_links_to_parents_do_not_explode_the_walk(tmp_path):
    root = tmp_path / "exports"
    level = root
    for depth in range(12):
        level = level / f"d{depth}"
        level.mkdir(parents=True)
        (level / "up").symlink_to("..")
        (level / "top").symlink_to(root)
    shutil.copy(WHATSAPP, level / "chat.txt")
    started = time.monotonic()
    result = _chat(root, tmp_path / "out", timeout=60)
    _ok(result)
    assert time.monotonic() - started < 30


def test_fifos_sockets_and_devices_never_block(tmp_path):
    folder = tmp_path / "exports"
    folder.mkdir()
    shutil.copy(WHATSAPP, folder / "chat.txt")
    os.mkfifo(folder / "pipe.txt")
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(folder / "sock.json"))
    try:
        result = _chat(folder, tmp_path / "out", timeout=30)
    finally:
        server.close()
    _ok(result)
    assert _read_rejects(tmp_path / "out") == {"not_a_regular_file": 2}
    for special in (folder / "pipe.txt", Path("/dev/null")):
        line = assert_one_line_error(_chat(special, tmp_path / "out2", timeout=30))
        assert "not a regular file" in line


def test_file_names_that_are_not_utf8(tmp_path):
    folder = tmp_path / "exports"
    folder.mkdir()
    shutil.copy(WHATSAPP, folder / "chat.txt")
    bad = os.fsdecode(os.fsencode(folder) + b"/caf\xe9.txt")
    shutil.copy(WHATSAPP, bad)
    result = _chat(folder, tmp_path / "out")
    _ok(result)
    assert _read_rejects(tmp_path / "out") == {"file_name_not_utf8": 1}
    (tmp_path / "out/rejects.jsonl").read_bytes().decode("utf-8")  # still valid UTF-8
    line = assert_one_line_error(_chat(Path(bad), tmp_path / "out2"))
    assert "UTF-8" in line


@needs_setpriv
def test_unreadable_files_and_folders(tmp_path):
    folder = tmp_path / "exports"
    (folder / "locked").mkdir(parents=True)
    shutil.copy(WHATSAPP, folder / "chat.txt")
    shutil.copy(WHATSAPP, folder / "secret.txt")
    shutil.copy(WHATSAPP, folder / "locked/inner.txt")
    (folder / "secret.txt").chmod(0)
    (folder / "locked").chmod(0)
    try:
        line = assert_one_line_error(
            _chat(folder / "secret.txt", tmp_path / "o1", prefix=UNPRIVILEGED)
        )
        assert "not readable" in line or "ermission denied" in line
        result = _chat(folder, tmp_path / "o2", "--skip-bad-files", prefix=UNPRIVILEGED)
        _ok(result)
        assert _read_rejects(tmp_path / "o2") == {"unreadable_file": 1, "unreadable_folder": 1}
    finally:
        (folder / "locked").chmod(0o755)


@needs_setpriv
def test_unreadable_slack_channel_folder_is_a_counted_reject(tmp_path):
    export = tmp_path / "slack"
    shutil.copytree(Path(__file__).resolve().parents[2] / "fixtures/chat/slack/acme_workspace",
                    export)  # fmt: skip
    channel = sorted(p for p in export.iterdir() if p.is_dir())[0]
    channel.chmod(0)
    try:
        out = tmp_path / "out"
        out.mkdir()
        result = run_cli("chat", export, "--me", "Colin", "--no-pii", "--out", out / "t.jsonl",
                         "-q", prefix=UNPRIVILEGED)  # fmt: skip
    finally:
        channel.chmod(0o755)
    assert "Traceback" not in result.stderr, result.stderr
    report = json.loads((out / "t.report.json").read_text())
    assert report["stages"]["read_chat"]["rejected"].get("unreadable_folder") == 1


@needs_setpriv
@pytest.mark.parametrize("command", ["chat", "clean", "validate", "convert"])
def test_read_only_output_folder_is_one_line(tmp_path, command):
    data = write_conversations(tmp_path / "data.jsonl", 10)
    alpaca = tmp_path / "alpaca.jsonl"
    alpaca.write_text(json.dumps({"instruction": "Say hi", "input": "", "output": "Hi"}) + "\n")
    chat = tmp_path / "chat.txt"
    shutil.copy(WHATSAPP, chat)
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    args = {
        "chat": ["chat", chat, "--me", "Colin", "--no-pii", "--out", locked / "t.jsonl"],
        "clean": ["clean", data, "--no-pii", "--out", locked / "t.jsonl"],
        "validate": ["validate", data, "--output", locked / "report.txt"],
        "convert": ["convert", alpaca, "--out", locked / "t.jsonl"],
    }[command]
    try:
        result = run_cli(*args, prefix=UNPRIVILEGED)
    finally:
        locked.chmod(0o755)
    line = assert_one_line_error(result)
    assert "ermission denied" in line
    assert list(locked.iterdir()) == []


# -- hangs and memory ------------------------------------------------------------------------


def test_telegram_runs_of_backslashes_are_linear(tmp_path):
    export = tmp_path / "result.json"
    messages = [
        {"id": 1, "type": "message", "date": "2024-01-01T10:00:00", "from": "Colin",
         "from_id": "user1", "text": "hello"},
        {"id": 2, "type": "message", "date": "2024-01-01T10:01:00", "from": "Maya",
         "from_id": "user2", "text": "\\" * 200_000 + "x"},
    ]  # fmt: skip
    export.write_text(json.dumps({"name": "c", "type": "personal_chat", "id": 1,
                                  "messages": messages}))  # fmt: skip
    started = time.monotonic()
    result = _chat(export, tmp_path / "out", timeout=60)  # it used to take over 300 s
    assert "Traceback" not in result.stderr, result.stderr
    assert time.monotonic() - started < 30


def test_one_huge_line_in_validate_is_reported_not_held(tmp_path):
    data = tmp_path / "huge.jsonl"
    with data.open("wb") as handle:
        handle.write(b'{"messages": [{"role": "user", "content": "hi"}, '
                     b'{"role": "assistant", "content": "ok"}]}\n')  # fmt: skip
        handle.write(b'{"text": "' + b"a" * (200 * 1024 * 1024) + b'"}\n')
    code, rss, err = peak_rss_mb(
        "validate", data, "--output", tmp_path / "r.txt", DATAPREP_MAX_ROW_BYTES="1048576"
    )
    assert code == 1 and "Traceback" not in err, err
    assert "more than the limit" in (tmp_path / "r.txt").read_text()
    assert rss < 300, rss  # the old reader held the line twice (over 400 MB here)


def test_samples_of_different_telegram_chats_have_distinct_ids(tmp_path):
    export = Path(__file__).resolve().parents[2] / "fixtures/chat/telegram/full_account_result.json"
    out = tmp_path / "out"
    out.mkdir()
    result = run_cli("chat", export, "--me", "Colin", "--no-pii", "--no-dedupe", "--no-split",
                     "--out", out / "t.jsonl", "-q")  # fmt: skip
    _ok(result)
    traces = [json.loads(line) for line in (out / "t.sources.jsonl").read_text().splitlines()]
    assert len({trace["group"].split("#")[1] for trace in traces}) > 1  # several chats
    assert len({trace["id"] for trace in traces}) == len(traces)


def test_a_zip_lying_about_its_size_says_what_is_wrong(tmp_path):
    from tests.chat.test_archive import _patch_declared_size

    liar = _whatsapp_zip(tmp_path / "liar.zip")
    _patch_declared_size(liar, 10)
    line = assert_one_line_error(_chat(liar, tmp_path / "out"))
    assert "unknown chat export format" not in line and "corrupt" in line, line
