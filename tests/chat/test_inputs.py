"""Inputs people bring: JSON arrays of conversations, trimmed Slack exports, Telegram HTML,
split Discord exports."""

from __future__ import annotations

import json
import shutil
import tracemalloc
from pathlib import Path

import pytest

from dataprep.chat.readers import ReaderOptions, discover_inputs, get_reader
from dataprep.chat.readers._json_stream import CHUNK_BYTES
from dataprep.chat.readers.generic import _iter_records
from tests.conftest import FIXTURES, run_main

FLAGS = ("--no-pii", "--no-dedupe", "--no-split", "-q")


def _sharegpt(i: int) -> dict:
    return {
        "conversations": [{"from": "human", "value": f"q{i}"}, {"from": "gpt", "value": f"a{i}"}],
        "system": "Be brief.",
    }


def _openai(i: int) -> dict:
    return {
        "messages": [
            {"role": "user", "content": f"q{i}"},
            {"role": "assistant", "content": f"a{i}"},
        ]
    }


def _alpaca(i: int) -> dict:
    return {"instruction": f"q{i}", "input": "", "output": f"a{i}", "history": [["hi", "hello"]]}


def _run(source: Path, out: Path, *extra: str) -> tuple[list[dict], dict]:
    code, _, err = run_main("chat", source, "--out", out, *FLAGS, *extra)
    assert code == 0, err
    lines = out.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines], json.loads(
        out.with_name(out.stem + ".report.json").read_text()
    )


@pytest.mark.parametrize(
    ("name", "make", "turns"),
    [("sharegpt", _sharegpt, 3), ("openai", _openai, 2), ("alpaca", _alpaca, 4)],
)
@pytest.mark.parametrize("indent", [None, 2])
def test_json_array_of_conversations_is_detected_and_read(tmp_path, name, make, turns, indent):
    source = tmp_path / "dataset.json"
    source.write_text(json.dumps([make(i) for i in range(140)], indent=indent), encoding="utf-8")
    records, report = _run(source, tmp_path / "train.jsonl")
    assert report["details"]["read_chat"]["formats"] == {name: 1}
    assert len(records) == 140
    assert all(len(r["conversations"]) == turns for r in records)
    assert records[7]["conversations"][-1] == {"from": "gpt", "value": "a7"}
    assert report["rejects_total"] == 0


def test_json_array_forced_with_input_format_has_no_invalid_json_rejects(tmp_path):
    source = tmp_path / "data.json"
    source.write_text(json.dumps([_openai(i) for i in range(140)]), encoding="utf-8")
    records, report = _run(source, tmp_path / "train.jsonl", "--input-format", "openai")
    assert len(records) == 140
    assert report["rejects_total"] == 0


def test_json_array_elements_that_are_not_conversations_are_counted_rejects(tmp_path):
    source = tmp_path / "data.json"
    source.write_text(json.dumps([_sharegpt(0), 5, {"conversations": "x"}, _sharegpt(1)]))
    rejects: list[tuple] = []
    frames = list(
        get_reader("sharegpt").read(source, ReaderOptions(), lambda *row: rejects.append(row))
    )
    assert sum(f.height for f in frames) == 6
    assert [(r[1], r[2]) for r in rejects] == [
        (2, "element_not_an_object"),
        (3, "no_conversations_list"),
    ]


def test_a_large_json_array_is_read_an_element_at_a_time(tmp_path):
    source = tmp_path / "big.json"
    record = _sharegpt(0)
    record["conversations"][0]["value"] = "x" * 2000
    with source.open("w", encoding="utf-8") as handle:
        handle.write("[" + ",".join(json.dumps(record) for _ in range(24_000)) + "]")
    size = source.stat().st_size
    tracemalloc.start()
    count = sum(1 for _ in _iter_records(source, ReaderOptions(), lambda *row: None))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert count == 24_000
    # The whole file is 50 MB of text (plus its decoded tree); the window stays a few chunks.
    assert peak < 4 * CHUNK_BYTES < size / 3, (peak, size)


@pytest.mark.parametrize(
    "removed", [("channels.json",), ("users.json",), ("channels.json", "users.json")]
)
def test_slack_folder_without_channels_or_users_json_runs(tmp_path, removed):
    export = tmp_path / "workspace"
    shutil.copytree(FIXTURES / "chat" / "slack" / "acme_workspace", export)
    for name in removed:
        (export / name).unlink()
    me = "U0COLIN" if "users.json" in removed else "Colin"
    records, report = _run(export, tmp_path / "train.jsonl", "--me", me)
    assert records
    assert report["stages"]["read_chat"]["rows_out"] == 15


def test_telegram_html_export_is_a_one_line_error_naming_the_json_option(tmp_path):
    export = tmp_path / "ChatExport_2024-05-01"
    (export / "css").mkdir(parents=True)
    (export / "messages.html").write_text("<!DOCTYPE html><html><body></body></html>")
    for target in (export, export / "messages.html"):
        code, _, err = run_main("chat", target, "--me", "Colin", "--out", tmp_path / "o.jsonl")
        assert code != 0
        lines = [line for line in err.strip().splitlines() if line.strip()]
        assert len(lines) == 1, err
        assert "Telegram HTML export" in lines[0] and "Machine-readable JSON" in lines[0]


def _discord_part(path: Path, part: int, messages: list[tuple[str, str, str]]) -> None:
    document = {
        "guild": {"id": "1", "name": "G"},
        "channel": {"id": "42", "type": "GuildTextChat", "name": "chat"},
        "messages": [
            {
                "id": f"{part}{i}",
                "type": "Default",
                "timestamp": stamp,
                "content": text,
                "author": {"id": author, "name": author, "isBot": False},
            }
            for i, (stamp, author, text) in enumerate(messages)
        ],
    }
    path.write_text(json.dumps(document), encoding="utf-8")


def test_discord_parts_continue_one_conversation_in_part_order(tmp_path):
    base = "G - chat [42]"
    exports = tmp_path / "exports"  # outside the output folder: an output in an input is refused
    exports.mkdir()
    # Part 10 sorts before part 2 as text; a session runs across the part 1 / part 2 cut.
    _discord_part(exports / f"{base} [part 1].json", 1, [
        ("2025-01-01T09:00:00Z", "ana", "first question?"),
    ])  # fmt: skip
    _discord_part(exports / f"{base} [part 2].json", 2, [
        ("2025-01-01T09:02:00Z", "colin", "first answer"),
        ("2025-01-02T09:00:00Z", "ana", "second question?"),
    ])  # fmt: skip
    _discord_part(exports / f"{base} [part 10].json", 10, [
        ("2025-01-02T09:01:00Z", "colin", "second answer"),
    ])  # fmt: skip
    units = discover_inputs([exports])
    assert [u.name.rsplit(" ", 1)[-1] for u in units] == ["1].json", "2].json", "10].json"]
    out = tmp_path / "out" / "train.jsonl"
    records, _ = _run(exports, out, "--me", "colin")
    turns = [[t["value"] for t in r["conversations"]] for r in records]
    assert turns == [["first question?", "first answer"], ["second question?", "second answer"]]
    sources = [
        json.loads(line) for line in out.with_name("train.sources.jsonl").read_text().splitlines()
    ]
    assert [s["group"] for s in sources] == ["discord:42#1", "discord:42#2"]
