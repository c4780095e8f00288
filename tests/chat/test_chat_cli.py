"""`dataprep chat` end to end through the real entry point, on the bundled fixtures."""

from __future__ import annotations

import json

import pytest

from tests.conftest import FIXTURES, run_main

CHAT = FIXTURES / "chat"
# Tests of the chat stages themselves skip the model-backed and splitting stages.
BARE = ("--no-pii", "--no-split", "--no-dedupe")


def write_jsonl(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.fixture
def small_export(tmp_path):
    return write_jsonl(
        tmp_path / "export.jsonl",
        [
            {"speaker": "Ann", "text": "hi", "time": "2024-01-01T10:00:00"},
            {"speaker": "Colin", "text": "hey", "time": "2024-01-01T10:01:00"},
            {"speaker": "Ann", "text": "later?", "time": "2024-01-01T15:00:00"},
            {"speaker": "Colin", "text": "sure", "time": "2024-01-01T15:02:00"},
        ],
    )


def test_fixtures_run_twice_give_identical_bytes(tmp_path):
    outputs = []
    for name in ("a", "b"):
        out = tmp_path / name / "train.jsonl"
        out.parent.mkdir()
        code, _, err = run_main("chat", CHAT, "--me", "Colin", "--out", out, "-q")
        assert code == 0, err
        outputs.append((out.read_bytes(), (out.parent / "train.sources.jsonl").read_bytes()))
    assert outputs[0] == outputs[1]
    records = [json.loads(line) for line in outputs[0][0].decode().splitlines()]
    assert len(records) >= 20
    for record in records:
        turns = record["conversations"]
        assert turns[0]["from"] == "human" and turns[-1]["from"] == "gpt"


def test_every_format_in_the_fixtures_is_read(tmp_path):
    out = tmp_path / "train.jsonl"
    code, _, err = run_main("chat", CHAT, "--me", "Colin", "--out", out, "-q")
    assert code == 0, err
    report = json.loads((tmp_path / "train.report.json").read_text())
    formats = set(report["details"]["read_chat"]["formats"])
    assert {"whatsapp", "telegram", "discord", "slack", "wechat"} <= formats


def test_session_gap_and_output_format_options(tmp_path, small_export):
    out = tmp_path / "o.jsonl"
    assert run_main("chat", small_export, "--me", "Colin", "--out", out, "-q", *BARE)[0] == 0
    assert len(out.read_text().splitlines()) == 2
    code, _, _ = run_main(
        "chat",
        small_export,
        "--me",
        "Colin",
        "--out",
        out,
        "-q",
        *BARE,
        "--session-gap",
        "600",
        "--output-format",
        "openai",
    )
    assert code == 0
    (record,) = [json.loads(line) for line in out.read_text().splitlines()]
    assert [m["role"] for m in record["messages"]] == ["user", "assistant", "user", "assistant"]


def test_set_override_and_user_recipe(tmp_path, small_export):
    recipe = tmp_path / "my.yaml"
    code, text, _ = run_main("recipes", "chat")
    assert code == 0
    recipe.write_text(text.replace("gap_minutes: 60", "gap_minutes: 600"))
    out = tmp_path / "o.jsonl"
    assert (
        run_main(
            "chat", small_export, "--me", "Colin", "--out", out, "-q", *BARE, "--recipe", recipe
        )[0]
        == 0
    )
    assert len(out.read_text().splitlines()) == 1
    # --set wins over the recipe file.
    code, _, err = run_main(
        "chat",
        small_export,
        "--me",
        "Colin",
        "--out",
        out,
        "-q",
        *BARE,
        "--recipe",
        recipe,
        "--set",
        "sessionize.gap_minutes=3",
    )
    assert code == 0, err
    assert len(out.read_text().splitlines()) == 2


def test_unknown_me_lists_speakers(tmp_path, small_export):
    code, _, err = run_main("chat", small_export, "--me", "Nobody", "--out", tmp_path / "o.jsonl")
    assert code == 2
    assert "Speakers found (messages): Ann (2), Colin (2)" in err
    assert not (tmp_path / "o.jsonl").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--input-format", "icq"], "unknown input format 'icq'"),
        (["--set", "nope.x=1"], "unknown stage in this recipe 'nope'"),
        (["--set", "sessionize.gap=1"], "sessionize.gap: unknown parameter"),
    ],
    ids=["input-format", "set-stage", "set-param"],
)
def test_bad_options_are_one_line_errors(tmp_path, small_export, args, message):
    code, _, err = run_main(
        "chat", small_export, "--me", "Colin", "--out", tmp_path / "o.jsonl", *args
    )
    assert code == 2
    assert message in err
    assert len(err.strip().splitlines()) == 1


def test_empty_directory_is_a_clear_error(tmp_path):
    (tmp_path / "empty").mkdir()
    code, _, err = run_main(
        "chat", tmp_path / "empty", "--me", "Colin", "--out", tmp_path / "o.jsonl"
    )
    assert code == 2
    assert "no chat exports found" in err


def test_unknown_format_names_the_file(tmp_path):
    odd = tmp_path / "notes.txt"
    odd.write_text("just some notes\nnothing like a chat\n")
    code, _, err = run_main("chat", odd, "--me", "Colin", "--out", tmp_path / "o.jsonl")
    assert code == 2
    assert f"{odd}: unknown chat export format" in err
    assert "--input-format" in err


def test_skip_bad_files_counts_the_file_as_a_reject(tmp_path, small_export):
    bad = tmp_path / "broken.json"
    bad.write_text('{"messages": [{"id": 1, "type": "message", "date_unixtime": "1"')
    out = tmp_path / "o.jsonl"
    code, _, err = run_main("chat", small_export, bad, "--me", "Colin", "--out", out, "-q")
    assert code == 2  # without the flag, one broken file stops the run
    assert str(bad) in err
    assert not out.exists()
    code, _, err = run_main(
        "chat", small_export, bad, "--me", "Colin", "--out", out, "-q", *BARE, "--skip-bad-files"
    )
    assert code == 0, err
    report = json.loads((tmp_path / "o.report.json").read_text())
    assert report["stages"]["read_chat"]["rejected"] == {"unreadable_file": 1}
    assert any(str(bad) in warning for warning in report["warnings"])
    assert len(out.read_text().splitlines()) == 2


def test_help_mentions_every_option():
    code, text, _ = run_main("chat", "--help")
    assert code == 0
    for option in (
        "--me",
        "--out",
        "--input-format",
        "--output-format",
        "--system",
        "--session-gap",
        "--max-turns",
        "--max-chars",
        "--urls",
        "--rejects",
        "--report",
        "--recipe",
        "--set",
        "--seed",
    ):
        assert option in text


def test_default_run_dedupes_scrubs_and_splits(tmp_path):
    """The chat recipe's safety stages are on by default and reported."""
    out = tmp_path / "train.jsonl"
    code, _, err = run_main("chat", CHAT, "--me", "Colin", "--out", out, "-q")
    assert code == 0, err
    report = json.loads((tmp_path / "train.report.json").read_text())
    assert {"dedupe", "scrub_pii", "split"} <= set(report["stages"])
    written = report["details"]["write_conversations"]["samples"]
    assert written["train"] > 0
    for split in written:
        path = out if split == "train" else tmp_path / f"{split}.jsonl"
        assert len(path.read_text().splitlines()) == written[split]
    # A planted e-mail address in the fixtures never reaches any output.
    for path in tmp_path.glob("*.jsonl"):
        assert "games@example.org" not in path.read_text()


@pytest.mark.parametrize(
    ("flag", "stage"),
    [("--no-pii", "scrub_pii"), ("--no-split", "split"), ("--no-dedupe", "dedupe")],
)
def test_safety_stages_can_be_switched_off(tmp_path, small_export, flag, stage):
    out = tmp_path / "o.jsonl"
    code, _, err = run_main(
        "chat", small_export, "--me", "Colin", "--out", out, "-q", "--no-pii", flag
    )
    assert code == 0, err
    report = json.loads((tmp_path / "o.report.json").read_text())
    assert stage not in report["stages"]


def test_recorded_paths_do_not_depend_on_how_the_input_was_named(
    tmp_path, small_export, monkeypatch
):
    """Sample ids and splits hash the recorded paths, so those start at the input's own name."""
    monkeypatch.chdir(small_export.parent)
    runs = []
    for name, given in (("abs", small_export), ("rel", small_export.name)):
        out = tmp_path / name / "o.jsonl"
        out.parent.mkdir()
        assert run_main("chat", given, "--me", "Colin", "--out", out, "-q", "--no-pii")[0] == 0
        runs.append(
            [json.loads(line) for line in (out.parent / "o.sources.jsonl").read_text().splitlines()]
        )
    assert runs[0] == runs[1]
    assert runs[0][0]["source"].startswith("export.jsonl:")
