"""What `dataprep chat` writes and shows: folders, split files, summary table, errors."""

from __future__ import annotations

import json

import pytest

from tests.conftest import FIXTURES, run_main

SMALL = FIXTURES / "chat" / "whatsapp" / "android_dmy_24h_colin.txt"


def test_missing_output_folders_are_created(tmp_path):
    out = tmp_path / "out1" / "nested" / "train.jsonl"
    code, _, err = run_main("chat", SMALL, "--me", "Colin", "--no-pii", "--out", out, "-q")
    assert code == 0, err
    assert out.is_file() and (out.parent / "train.report.json").is_file()


def test_output_folder_blocked_by_a_file_fails_before_any_stage_loads(tmp_path):
    (tmp_path / "out1").write_text("a file, not a folder")
    # PII stays on: the command checks the folder before any stage is set up, so the error
    # names the folder, not a stage ("[scrub_pii] ..." would mean spaCy was loaded first).
    code, _, err = run_main(
        "chat", SMALL, "--me", "Colin", "--out", tmp_path / "out1" / "train.jsonl"
    )
    assert code != 0
    assert len(err.strip().splitlines()) == 1
    assert "out1" in err and "a file is in the way of its folder" in err
    assert "[" not in err.split(":")[0]


def test_every_split_file_is_written_even_when_empty(tmp_path):
    out = tmp_path / "train.jsonl"
    # Four samples: too few for every split to receive one.
    code, _, err = run_main("chat", SMALL, "--me", "Colin", "--no-pii", "--out", out, "-q")
    assert code == 0, err
    report = json.loads((tmp_path / "train.report.json").read_text())
    written = report["details"]["write_conversations"]["samples"]
    assert list(written) == ["train", "val", "test"]
    for split in ("train", "val", "test"):
        path = tmp_path / f"{split}.jsonl"
        assert path.is_file(), split
        assert len(path.read_text().splitlines()) == written[split]
        assert (tmp_path / f"{split}.sources.jsonl").is_file()
    assert 0 in written.values(), "this fixture is meant to leave a split empty"


def test_without_splits_only_the_output_file_is_written(tmp_path):
    out = tmp_path / "chats.jsonl"
    code, _, err = run_main(
        "chat", SMALL, "--me", "Colin", "--no-pii", "--no-split", "--out", out, "-q"
    )
    assert code == 0, err
    # The data card and the HTML report sit beside the output; no val/test files.
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "README.md", "chats.jsonl", "chats.report.html", "chats.report.json", "chats.sources.jsonl",
    ]  # fmt: skip


def test_summary_names_units_split_counts_and_what_a_writer_wrote(tmp_path):
    out = tmp_path / "train.jsonl"
    code, _, err = run_main("chat", SMALL, "--me", "Colin", "--no-pii", "--out", out)
    assert code == 0, err
    text = " ".join(err.split())
    report = json.loads((tmp_path / "train.report.json").read_text())
    stages = report["stages"]
    assert stages["read_chat"]["unit"] == "messages"
    assert stages["sessionize"]["unit"] == "turns"
    assert stages["build_samples"]["unit"] == "samples"
    assert stages["write_conversations"]["kind"] == "sink"
    assert f"{stages['read_chat']['rows_out']} messages" in text
    assert "turns" in text and "samples" in text
    written = report["details"]["write_conversations"]["samples"]
    assert f"{sum(written.values())} samples written" in text
    shown = ", ".join(f"{name} {n}" for name, n in written.items())
    assert f"samples per split: {shown}" in text
    assert "a writer's out is what it wrote" in text


@pytest.mark.parametrize(
    ("override", "valid"),
    [
        ("sessionize.gap=5", "gap_minutes, merge_turns, speaker_prefix, max_turn_chars"),
        ("read_chat.batch=5", "batch_rows"),
    ],
)
def test_unknown_set_parameter_lists_the_valid_ones(tmp_path, override, valid):
    code, _, err = run_main(
        "chat", SMALL, "--me", "Colin", "--out", tmp_path / "o.jsonl", "--set", override
    )
    assert code != 0
    assert "unknown parameter (valid: " in err and valid in err


def test_output_format_help_describes_what_trl_writes():
    code, out, _ = run_main("chat", "--help")
    assert code == 0
    text = " ".join(out.split())
    assert "TRL preference shape" not in text
    assert "TRL (conversational 'messages' for SFT samples" in text
