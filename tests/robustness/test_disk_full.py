"""A full disk: every command stops with one line, the previous outputs stay as they were,
and nothing is left in the output folder. The disk is a real 1 MiB tmpfs, filled up."""

from __future__ import annotations

import contextlib
import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.bootstrap.conftest import FAKE_KEY, KEY_ENV, SEEDS
from tests.bootstrap.fake_openai_server import FakeOpenAIServer
from tests.robustness.helpers import (
    WHATSAPP,
    assert_one_line_error,
    run_cli,
    snapshot,
    write_conversations,
)


@pytest.fixture
def full_disk(tmp_path: Path) -> Iterator[Path]:
    """A 1 MiB tmpfs holding an old output, then filled to the last byte."""
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount)], capture_output=True
    )
    if done.returncode != 0:
        pytest.skip("cannot mount a tmpfs here: " + done.stderr.decode(errors="replace"))
    try:
        (mount / "t.jsonl").write_text("old output\n")
        with contextlib.suppress(OSError), open(mount / "filler", "wb") as handle:
            while True:
                handle.write(bytes(4096))
                handle.flush()
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def _commands(tmp: Path, disk: Path, server: FakeOpenAIServer) -> dict[str, list[str | Path]]:
    chat = tmp / "chat.txt"
    shutil.copy(WHATSAPP, chat)
    data = write_conversations(tmp / "data.jsonl", 200)
    alpaca = tmp / "alpaca.jsonl"
    rows = [{"instruction": f"Say hi {i}", "input": "", "output": "Hi " * 50} for i in range(200)]
    alpaca.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return {
        "chat": ["chat", chat, "--me", "Colin", "--no-pii", "--out", disk / "t.jsonl"],
        "clean": ["clean", data, "--no-pii", "--out", disk / "t.jsonl"],
        "validate": ["validate", data, "--output-format", "json", "--output", disk / "t.jsonl"],
        "convert": ["convert", alpaca, "--out", disk / "t.jsonl"],
        "bootstrap": ["bootstrap", SEEDS, "--n", "3", "--model", "m", "--base-url",
                      server.base_url, "--api-key-env", KEY_ENV, "--cache-dir", tmp / "cache",
                      "--out", disk / "t.jsonl"],
    }  # fmt: skip


@pytest.mark.parametrize("command", ["chat", "clean", "validate", "convert", "bootstrap"])
def test_a_full_disk_is_one_line_and_keeps_the_old_output(tmp_path, full_disk, command):
    before = snapshot(full_disk)
    with FakeOpenAIServer(expected_key=FAKE_KEY) as server:
        args = _commands(tmp_path, full_disk, server)[command]
        result = run_cli(*args, **{KEY_ENV: FAKE_KEY})
    line = assert_one_line_error(result)
    assert "No space left on device" in line or "ENOSPC" in line, line
    assert snapshot(full_disk) == before  # old output intact, no staging folder, no temp file
